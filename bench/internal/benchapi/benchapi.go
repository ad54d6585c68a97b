// Package benchapi holds what the benchmark commands under bench/ ask a
// Pairpad server over HTTP: a loopback check, a new room, a metric.
package benchapi

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Loopback reports an error unless base is a loopback http URL: the
// benchmarks load only servers on this machine.
func Loopback(base string) error {
	if !strings.HasPrefix(base, "http://127.0.0.1") && !strings.HasPrefix(base, "http://localhost") {
		return fmt.Errorf("-url must be a loopback address, not %q", base)
	}
	return nil
}

// CreateRoom creates a plaintext room (the server needs ACCESS=open for the
// benchmarks' token-less WebSockets) and returns its id.
func CreateRoom(base string) (string, error) {
	resp, err := http.Post(base+"/rooms", "application/json", strings.NewReader(`{"language":"plaintext"}`))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		return "", fmt.Errorf("POST /rooms: %d %s", resp.StatusCode, b)
	}
	var out struct {
		RoomID string `json:"room_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return "", fmt.Errorf("POST /rooms: %w", err)
	}
	return out.RoomID, nil
}

// Metric reads one unlabelled metric from GET /metrics.
func Metric(base, name string) (float64, error) {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return 0, fmt.Errorf("metric %s: %w", name, err)
			}
			return f, nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("metric %s not in /metrics", name)
}
