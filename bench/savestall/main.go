// Command savestall measures whether keystrokes wait behind a server's saves
// of a large room (issue 16, goal 4): it creates a room, pastes -chunks
// changes of -chunk bytes into it (2 MiB by default), connects a second
// client, then types -keys single-character keystrokes at -rate per second
// and times each from the typist's change to the moment the partner holds
// it. Run the server with a short FLUSH_INTERVAL (e.g. 1s) so that many
// snapshots of the large document happen while typing, and once with a long
// one for the baseline. It reports the latency percentiles, keystrokes over
// 10 ms and 50 ms, and the snapshots the server took meanwhile
// (pairpad_saves_total). Loopback only; the server needs ACCESS=open (the
// clients use no token) and MAX_DOC_BYTES above the pasted size.
//
//	go run ./bench/savestall -url http://127.0.0.1:8080 -keys 300 -rate 10
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/pairpad/pairpad/bench/internal/benchapi"
	"github.com/pairpad/pairpad/sync/wireclient"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "server base URL (loopback only)")
	chunks := flag.Int("chunks", 8, "pastes that fill the room")
	chunk := flag.Int("chunk", 256<<10, "bytes per paste")
	keys := flag.Int("keys", 300, "keystrokes to time")
	rate := flag.Float64("rate", 10, "keystrokes per second")
	flag.Parse()
	if err := benchapi.Loopback(*base); err != nil {
		fail(err)
	}
	if *keys < 1 || *rate <= 0 || *chunks < 0 || *chunk < 16 {
		fail(fmt.Errorf("-keys, -rate and -chunk must be positive"))
	}
	ctx := context.Background()
	id, err := benchapi.CreateRoom(*base)
	if err != nil {
		fail(err)
	}
	ws := "ws" + strings.TrimPrefix(*base, "http") + "/ws/" + id
	typist, err := wireclient.Dial(ctx, ws, id, wireclient.ClientOptions{})
	if err != nil {
		fail(err)
	}
	defer typist.Close()
	text := strings.Repeat("abcdefghijklmno\n", *chunk/16)
	for i := 0; i < *chunks; i++ {
		if err := typist.Splice(i*len(text), 0, text); err != nil {
			fail(err)
		}
		wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		err := typist.WaitSynced(wctx)
		cancel()
		if err != nil {
			fail(fmt.Errorf("paste %d not taken (close code %d): %w", i+1, typist.CloseCode(), err))
		}
	}
	fmt.Printf("room %s: %d KiB pasted\n", id, *chunks**chunk>>10)
	partner, err := wireclient.Dial(ctx, ws, id, wireclient.ClientOptions{})
	if err != nil {
		fail(err)
	}
	defer partner.Close()
	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	if err := partner.WaitHas(wctx, typist.Heads()); err != nil {
		fail(fmt.Errorf("partner never got the pasted document: %w", err))
	}
	cancel()

	saves0 := metric(*base, "pairpad_saves_total")
	lat := make([]time.Duration, 0, *keys)
	every := time.Duration(float64(time.Second) / *rate)
	next := time.Now()
	for k := 0; k < *keys; k++ {
		time.Sleep(time.Until(next))
		next = next.Add(every)
		if err := typist.Splice(k*7%1000, 0, "x"); err != nil {
			fail(err)
		}
		heads := typist.Heads()
		t0 := time.Now()
		kctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := partner.WaitHas(kctx, heads)
		cancel()
		if err != nil {
			fail(fmt.Errorf("keystroke %d never reached the partner: %w", k, err))
		}
		lat = append(lat, time.Since(t0))
	}
	saves := metric(*base, "pairpad_saves_total") - saves0
	slices.Sort(lat)
	q := func(p float64) float64 { return ms(lat[min(len(lat)-1, int(p*float64(len(lat))))]) }
	n10, n50 := 0, 0
	for _, x := range lat {
		if x > 10*time.Millisecond {
			n10++
		}
		if x > 50*time.Millisecond {
			n50++
		}
	}
	fmt.Printf("%d keystrokes at %.0f/s, %.0f snapshots meanwhile: typist->partner p50 %.1f ms, p90 %.1f, p99 %.1f, max %.1f; over 10 ms: %d, over 50 ms: %d\n",
		len(lat), *rate, saves, q(0.5), q(0.9), q(0.99), ms(lat[len(lat)-1]), n10, n50)
	out, _ := json.Marshal(map[string]any{"keys": len(lat), "saves": saves, "p50_ms": q(0.5), "p90_ms": q(0.9), "p99_ms": q(0.99),
		"max_ms": ms(lat[len(lat)-1]), "over_10ms": n10, "over_50ms": n50, "doc_kib": *chunks * *chunk >> 10})
	fmt.Println(string(out))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func metric(base, name string) float64 {
	v, err := benchapi.Metric(base, name)
	if err != nil {
		fail(err)
	}
	return v
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "savestall:", err)
	os.Exit(1)
}
