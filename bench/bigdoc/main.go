// Command bigdoc measures what large documents cost a Pairpad server in
// memory: it creates -rooms rooms, pastes -chunks changes of -chunk bytes of
// text into each (one Go client per room, waiting for the server to have
// each paste), then leaves the rooms open for -idle (compaction) and closes
// them (save and unload), sampling the server's RSS (/proc/<pid>/status:
// VmRSS, VmHWM) after every step. It also times three concurrent
// GET /rooms/{id}/text calls on the first room, loaded and unloaded. Loopback
// only; the server's pid is needed to read its memory.
//
//	go run ./bench/bigdoc -url http://127.0.0.1:8080 -pid $(pgrep -n pairpad) -chunks 4 -chunk 262144
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pairpad/pairpad/bench/internal/benchapi"
	"github.com/pairpad/pairpad/sync/wireclient"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "server base URL (loopback only)")
	pid := flag.Int("pid", 0, "server process id (to read its RSS)")
	rooms := flag.Int("rooms", 1, "rooms to fill")
	chunks := flag.Int("chunks", 4, "pastes per room")
	chunk := flag.Int("chunk", 256<<10, "bytes per paste")
	idle := flag.Duration("idle", 40*time.Second, "time the rooms stay open after the pastes (compaction runs after COMPACT_AFTER)")
	flag.Parse()
	if err := benchapi.Loopback(*base); err != nil {
		fail(err)
	}
	if *pid == 0 {
		fail(fmt.Errorf("-pid is required"))
	}
	ctx := context.Background()
	start := time.Now()
	rss0, _ := mem(*pid)
	report := func(step string) {
		rss, hwm := mem(*pid)
		fmt.Printf("%7.1fs  %-44s rss %7.1f MiB  peak %7.1f MiB\n", time.Since(start).Seconds(), step, mib(rss), mib(hwm))
	}
	report("start")
	var clients []*wireclient.Client
	var ids []string
	for r := 0; r < *rooms; r++ {
		id, err := benchapi.CreateRoom(*base)
		if err != nil {
			fail(err)
		}
		ws := "ws" + strings.TrimPrefix(*base, "http") + "/ws/" + id
		c, err := wireclient.Dial(ctx, ws, id, wireclient.ClientOptions{})
		if err != nil {
			fail(fmt.Errorf("room %d: %w", r, err))
		}
		clients, ids = append(clients, c), append(ids, id)
		text := strings.Repeat("abcdefghijklmno\n", *chunk/16)
		for i := 0; i < *chunks; i++ {
			if err := c.Splice(len(c.Text()), 0, text); err != nil {
				fail(err)
			}
			wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
			err := c.WaitSynced(wctx)
			cancel()
			if err != nil {
				report(fmt.Sprintf("room %d: paste %d refused, close %d", r, i+1, c.CloseCode()))
				break
			}
			report(fmt.Sprintf("room %d: %d KiB pasted", r, (i+1)**chunk>>10))
		}
	}
	textCalls(*base, ids[0], *pid, "loaded")
	textCalls(*base, ids[0], *pid, "loaded, again")
	// Keystrokes: the text changed since the last walk, not by a paste
	// (the first change after a paste is the one automerge walks slowly).
	for _, what := range []string{"loaded, first keystroke after the pastes", "loaded, next keystroke"} {
		if err := clients[0].Splice(0, 0, "x"); err != nil {
			fail(err)
		}
		wctx, cancel := context.WithTimeout(ctx, time.Minute)
		if err := clients[0].WaitSynced(wctx); err != nil {
			fail(err)
		}
		cancel()
		textCalls(*base, ids[0], *pid, what)
	}
	deadline := time.Now().Add(*idle)
	for time.Now().Before(deadline) {
		time.Sleep(min(10*time.Second, time.Until(deadline)))
		report("rooms open, idle")
	}
	for _, c := range clients {
		c.Close()
	}
	for i := 0; i < 15; i++ {
		time.Sleep(2 * time.Second)
		if loaded(*base) == 0 {
			break
		}
	}
	report("rooms closed (saved, unloaded)")
	textCalls(*base, ids[0], *pid, "unloaded")
	rss, hwm := mem(*pid)
	total := int64(*rooms) * int64(*chunks) * int64(*chunk)
	fmt.Printf("text %d KiB in %d room(s); start rss %.1f MiB; peak %.1f MiB; peak-start per MiB of text: %.0f MiB; rss now %.1f MiB\n",
		total>>10, *rooms, mib(rss0), mib(hwm), (mib(hwm)-mib(rss0))/mib(total), mib(rss))
}

// textCalls times three concurrent GET /rooms/{id}/text.
func textCalls(base, id string, pid int, what string) {
	before, _ := mem(pid)
	var wg sync.WaitGroup
	times := make([]time.Duration, 3)
	sizes := make([]int, 3)
	for i := range times {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			resp, err := http.Get(base + "/rooms/" + id + "/text")
			if err != nil {
				fail(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			times[i], sizes[i] = time.Since(t0), len(b)
		}()
	}
	wg.Wait()
	after, _ := mem(pid)
	fmt.Printf("3 concurrent GET /text (%s room, %d KiB): %v %v %v; rss %+.1f MiB\n", what, sizes[0]>>10,
		times[0].Round(time.Millisecond), times[1].Round(time.Millisecond), times[2].Round(time.Millisecond), mib(after-before))
}

// loaded is the number of rooms in memory (-1 when unknown).
func loaded(base string) int {
	n, err := benchapi.Metric(base, "pairpad_rooms_loaded")
	if err != nil {
		return -1
	}
	return int(n)
}

func mem(pid int) (rss, hwm int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		fail(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 && (f[0] == "VmRSS:" || f[0] == "VmHWM:") {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			if f[0] == "VmRSS:" {
				rss = n << 10
			} else {
				hwm = n << 10
			}
		}
	}
	return rss, hwm
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bigdoc:", err)
	os.Exit(1)
}
