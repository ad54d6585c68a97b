package persistence_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"go.uber.org/zap"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/internal/testenv"
	"github.com/pairpad/pairpad/persistence"
	pairsync "github.com/pairpad/pairpad/sync"
)

// BenchmarkLogAppendTick measures one LOG_INTERVAL tick of the change log:
// one transaction appending one entry per busy room. An entry is a real
// automerge increment of `keys` single-character changes (1 keystroke, or
// ~1 s of fast typing = 10), so bytes/tick is what the database receives.
//
//	go test -run XXX -bench LogAppendTick -benchtime 20x ./persistence/
func BenchmarkLogAppendTick(b *testing.B) {
	open := map[string]func(b *testing.B) *persistence.GormStore{
		"sqlite": func(b *testing.B) *persistence.GormStore {
			s, err := persistence.Open(context.Background(), "sqlite:"+filepath.Join(b.TempDir(), "bench.db"), zap.NewNop())
			if err != nil {
				b.Fatal(err)
			}
			return s
		},
		"postgres": func(b *testing.B) *persistence.GormStore {
			s, err := persistence.Open(context.Background(), testenv.PostgresURL(b), zap.NewNop())
			if err != nil {
				b.Fatal(err)
			}
			return s
		},
	}
	for _, db := range []string{"sqlite", "postgres"} {
		for _, rooms := range []int{1, 20, 200, 1000} {
			for _, keys := range []int{1, 10} {
				b.Run(fmt.Sprintf("%s/rooms=%d/keys=%d", db, rooms, keys), func(b *testing.B) {
					s := open[db](b)
					defer s.Close()
					ctx := context.Background()
					doc, _ := crdt.New("go")
					_, _ = doc.SaveIncremental()
					for i := 0; i < keys; i++ {
						_ = doc.Splice(i, 0, "x")
					}
					inc, err := doc.SaveIncremental()
					if err != nil {
						b.Fatal(err)
					}
					ids := make([]string, rooms)
					for i := range ids {
						ids[i] = crdt.NewDocumentID()
					}
					writer := fmt.Sprintf("bench%d", rooms*100+keys)
					batch := make([]pairsync.LogEntry, rooms)
					b.ResetTimer()
					for it := 0; it < b.N; it++ {
						for i, id := range ids {
							batch[i] = pairsync.LogEntry{RoomID: id, Writer: writer, Seq: int64(it + 1), Data: inc}
						}
						if err := s.AppendChanges(ctx, batch); err != nil {
							b.Fatal(err)
						}
					}
					b.StopTimer()
					b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/tick")
					b.ReportMetric(float64(rooms*len(inc)), "bytes/tick")
					_ = s.DeleteLog(ctx, ids...)
				})
			}
		}
	}
}
