package crdt

import "testing"

// BenchmarkSaveIncremental is one LOG_INTERVAL tick of a room holding a
// whole trace session (40,000 changes for rustcode): one new keystroke, then
// the increment for the change log. It runs on the room's goroutine.
//
//	go test -run XXX -bench SaveIncremental -benchtime 200x ./crdt/
func BenchmarkSaveIncremental(b *testing.B) {
	for _, name := range benchTraces {
		b.Run(name, func(b *testing.B) {
			d, err := Load(traceDoc(b, name))
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			n := 0
			for i := 0; i < b.N; i++ {
				if err := d.Splice(0, 0, "x"); err != nil {
					b.Fatal(err)
				}
				inc, err := d.SaveIncremental()
				if err != nil || len(inc) == 0 {
					b.Fatalf("increment: %d bytes, %v", len(inc), err)
				}
				n = len(inc)
			}
			b.ReportMetric(float64(n), "bytes/increment")
		})
	}
}
