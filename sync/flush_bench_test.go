package sync_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/pairpad/pairpad/internal/testenv"
	"github.com/pairpad/pairpad/persistence"
	pairsync "github.com/pairpad/pairpad/sync"
	"github.com/pairpad/pairpad/sync/wireclient"
)

// BenchmarkFlushDirtyRooms measures one periodic flush of 1,000 loaded rooms
// that each have unsaved edits: from FlushAll until every room is saved, on
// SQLite and on PostgreSQL (TEST_DATABASE_URL). Each room holds a ~200-char
// document typed one change per character.
//
//	go test -run XXX -bench FlushDirtyRooms -benchtime 5x ./sync/
func BenchmarkFlushDirtyRooms(b *testing.B) {
	const rooms = 1000
	stores := map[string]func(b *testing.B) pairsync.Store{
		"sqlite": func(b *testing.B) pairsync.Store {
			s, err := persistence.Open(context.Background(), "sqlite:"+filepath.Join(b.TempDir(), "bench.db"), zap.NewNop())
			if err != nil {
				b.Fatal(err)
			}
			return s
		},
		"postgres": func(b *testing.B) pairsync.Store {
			s, err := persistence.Open(context.Background(), testenv.PostgresURL(b), zap.NewNop())
			if err != nil {
				b.Fatal(err)
			}
			return s
		},
	}
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(fmt.Sprintf("%s/rooms=%d", name, rooms), func(b *testing.B) {
			store := stores[name](b)
			defer store.Close()
			hub := pairsync.NewHub(pairsync.Config{FlushInterval: time.Hour}, store, zap.NewNop())
			defer hub.Shutdown(context.Background())
			ts := serveHub(b, hub)
			clients := make([]*wireclient.Client, rooms)
			for i := range clients {
				rec, err := hub.CreateRoom(context.Background(), "go")
				if err != nil {
					b.Fatal(err)
				}
				c, err := wireclient.Dial(context.Background(), ts.wsURL(rec.ID), rec.ID, wireclient.ClientOptions{})
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				for j := 0; j < 200; j++ {
					if err := c.Splice(j, 0, "x"); err != nil {
						b.Fatal(err)
					}
				}
				clients[i] = c
			}
			m := hub.Metrics()
			b.ResetTimer()
			for it := 0; it < b.N; it++ {
				b.StopTimer()
				for _, c := range clients {
					if err := c.Splice(0, 0, "y"); err != nil {
						b.Fatal(err)
					}
				}
				waitMetric(b, "all rooms dirty", func() bool { return m.DirtyRooms.Load() == rooms })
				saves := m.Saves.Load()
				b.StartTimer()
				hub.FlushAll()
				waitMetric(b, "all rooms saved", func() bool { return m.Saves.Load()-saves >= rooms })
			}
			b.StopTimer()
			if m.SaveErrors.Load() > 0 {
				b.Fatalf("%d saves failed", m.SaveErrors.Load())
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/flush")
		})
	}
}

func waitMetric(b *testing.B, what string, cond func() bool) {
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			b.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
