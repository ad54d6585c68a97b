package api_test

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/pairpad/pairpad/api"
	"github.com/pairpad/pairpad/crdt"
)

// rustcodeDoc builds the rustcode editing trace (josephg/editing-traces,
// CC BY 4.0) as a room document: 40,173 changes.
func rustcodeDoc(b *testing.B) []byte {
	b.Helper()
	dir := os.Getenv("PAIRPAD_TRACES")
	if dir == "" {
		dir = filepath.Join("..", "testdata", "traces")
	}
	fh, err := os.Open(filepath.Join(dir, "rustcode.json.gz"))
	if err != nil {
		b.Fatalf("editing trace not found (set PAIRPAD_TRACES): %v", err)
	}
	defer fh.Close()
	zr, err := gzip.NewReader(fh)
	if err != nil {
		b.Fatal(err)
	}
	var raw struct {
		Txns []struct {
			Patches []crdt.TracePatch `json:"patches"`
		} `json:"txns"`
	}
	if err := json.NewDecoder(zr).Decode(&raw); err != nil {
		b.Fatal(err)
	}
	d, _ := crdt.New("rust")
	for _, t := range raw.Txns {
		for _, p := range t.Patches {
			if p.Del == 0 && p.Ins == "" {
				continue
			}
			if err := d.Splice(p.Pos, p.Del, p.Ins); err != nil {
				b.Fatal(err)
			}
		}
	}
	data, err := d.Save()
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// listAll pages through GET /history (10,000 changes a page).
func listAll(b *testing.B, f *fixture, room string) int {
	n := 0
	q := "?limit=10000"
	for {
		var page api.HistoryPage
		resp, body := f.do(&testing.T{}, "GET", "/rooms/"+room+"/history"+q, "")
		if resp.StatusCode != 200 {
			b.Fatalf("history: %d %s", resp.StatusCode, body)
		}
		if err := json.Unmarshal(body, &page); err != nil {
			b.Fatal(err)
		}
		n += len(page.Changes)
		if page.Next == nil {
			return n
		}
		q = "?limit=10000&after=" + *page.Next
	}
}

// BenchmarkHistoryRustcode: listing the whole rustcode session over HTTP
// (5 pages of 10,000), in three situations:
//   - live: the room is loaded and has just changed (no cached history:
//     its hashes are read in the room goroutine, the chunk decoded);
//   - cached: nothing changed since the last listing;
//   - stored: the room is not loaded (its change hashes are rebuilt from
//     the stored document in Go; automerge's load was ~2-4 s of it before).
func BenchmarkHistoryRustcode(b *testing.B) {
	f := newFixture(&testing.T{}, "")
	data := rustcodeDoc(b)
	ctx := context.Background()
	rec, err := f.hub.ImportRoom(ctx, data)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("stored", func(b *testing.B) {
		// Rooms never listed, imported first: the import's own automerge
		// load (validation) and its freeing (the hub's reclaim, within 2 s)
		// stay out of the figures.
		reclaims := f.hub.Metrics().Reclaims.Load()
		ids := make([]string, b.N)
		for i := range ids {
			rec, err := f.hub.ImportRoom(ctx, data)
			if err != nil {
				b.Fatal(err)
			}
			ids[i] = rec.ID
		}
		for deadline := time.Now().Add(10 * time.Second); f.hub.Metrics().Reclaims.Load() == reclaims; {
			if time.Now().After(deadline) {
				b.Fatal("no memory reclaim after the imports")
			}
			time.Sleep(50 * time.Millisecond)
		}
		runtime.GC()
		b.ResetTimer()
		var cpu time.Duration
		for i := 0; i < b.N; i++ {
			start := cpuTime()
			if n := listAll(b, f, ids[i]); n != 40174 {
				b.Fatalf("%d changes", n)
			}
			cpu += cpuTime() - start
		}
		b.ReportMetric(float64(cpu)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	})
	c := f.dial(&testing.T{}, ctx, rec.ID)
	defer c.Close()
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := c.WaitSynced(cctx); err != nil {
		b.Fatal(err)
	}
	b.Run("live", func(b *testing.B) {
		var cpu time.Duration
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			want := strconv.Itoa(i) + c.Text()
			if err := c.Splice(0, 0, strconv.Itoa(i)); err != nil {
				b.Fatal(err)
			}
			deadline := time.Now().Add(time.Minute)
			for {
				resp, body := f.do(&testing.T{}, "GET", "/rooms/"+rec.ID+"/text", "")
				if resp.StatusCode == 200 && string(body) == want {
					break
				}
				if time.Now().After(deadline) {
					b.Fatal("edit never reached the server")
				}
				time.Sleep(10 * time.Millisecond)
			}
			b.StartTimer()
			start := cpuTime()
			listAll(b, f, rec.ID)
			cpu += cpuTime() - start
		}
		b.ReportMetric(float64(cpu)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	})
	timeline := func(b *testing.B) {
		resp, body := f.do(&testing.T{}, "GET", "/rooms/"+rec.ID+"/timeline", "")
		var tl api.TimelineJSON
		if resp.StatusCode != 200 || json.Unmarshal(body, &tl) != nil || tl.Changes < 40174 {
			b.Fatalf("timeline: %d (%d bytes)", resp.StatusCode, len(body))
		}
		b.ReportMetric(float64(len(body)), "bytes")
	}
	// The same through GET /timeline (one answer: the changes and the
	// character table the browser's playback scrubs).
	b.Run("timeline-live", func(b *testing.B) {
		var cpu time.Duration
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			f.hub.ForgetHistories()
			b.StartTimer()
			start := cpuTime()
			timeline(b)
			cpu += cpuTime() - start
		}
		b.ReportMetric(float64(cpu)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	})
	b.Run("timeline-cached", func(b *testing.B) {
		timeline(b)
		b.ResetTimer()
		start := cpuTime()
		for i := 0; i < b.N; i++ {
			timeline(b)
		}
		reportCPU(b, start)
	})
	b.Run("cached", func(b *testing.B) {
		listAll(b, f, rec.ID)
		b.ResetTimer()
		start := cpuTime()
		for i := 0; i < b.N; i++ {
			listAll(b, f, rec.ID)
		}
		reportCPU(b, start)
	})
}
