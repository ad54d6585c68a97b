package crdt

import (
	"syscall"
	"testing"
	"time"
)

// BenchmarkHistory lists a whole trace session (rustcode: 40,173 changes):
// the room's part (HistorySource: the cached saved form and every change's
// hash, in the room goroutine) and the decoding (BuildHistory, anywhere),
// then every page of GET /history would slice the result.
func BenchmarkHistory(b *testing.B) {
	for _, name := range benchTraces {
		b.Run(name, func(b *testing.B) {
			d, err := Load(traceDoc(b, name))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := d.Save(); err != nil { // a live room has it cached
				b.Fatal(err)
			}
			b.ResetTimer()
			var n int
			for i := 0; i < b.N; i++ {
				src, err := d.HistorySource()
				if err != nil {
					b.Fatal(err)
				}
				h, err := BuildHistory(src)
				if err != nil {
					b.Fatal(err)
				}
				n = len(h.Changes)
			}
			b.ReportMetric(float64(n), "changes")
		})
	}
}

func BenchmarkHistorySource(b *testing.B) {
	d, err := Load(traceDoc(b, "rustcode"))
	if err != nil {
		b.Fatal(err)
	}
	_, _ = d.Save()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := d.HistorySource(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHistoryViews: text at an old version, blame and the trace
// export of rustcode, on a built History.
func BenchmarkHistoryViews(b *testing.B) {
	d, err := Load(traceDoc(b, "rustcode"))
	if err != nil {
		b.Fatal(err)
	}
	src, _ := d.HistorySource()
	h, err := BuildHistory(src)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("text-at-half", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			v := h.versionOf([]int{len(h.Changes) / 2})
			_ = h.TextAt(v)
		}
	})
	b.Run("blame", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			_ = h.Blame()
		}
	})
	b.Run("trace", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := h.Trace(0); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkBuildHistory(b *testing.B) {
	d, err := Load(traceDoc(b, "rustcode"))
	if err != nil {
		b.Fatal(err)
	}
	src, _ := d.HistorySource()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := BuildHistory(src); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHistoryCPU reports CPU time (getrusage: what the work costs on
// an idle core, whatever the machine's load) of listing rustcode's history
// in the three situations of GET /history: a loaded room (hashes and
// build), a stored room (load first), and the JSON-free part only.
func BenchmarkHistoryCPU(b *testing.B) {
	data := traceDoc(b, "rustcode")
	var loadCPU, srcCPU, buildCPU time.Duration
	for i := 0; i < b.N; i++ {
		t0 := cpuNow()
		d, err := Load(data)
		if err != nil {
			b.Fatal(err)
		}
		t1 := cpuNow()
		src, err := d.HistorySource()
		if err != nil {
			b.Fatal(err)
		}
		t2 := cpuNow()
		if _, err := BuildHistory(src); err != nil {
			b.Fatal(err)
		}
		t3 := cpuNow()
		loadCPU += t1 - t0
		srcCPU += t2 - t1
		buildCPU += t3 - t2
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) / float64(b.N) }
	b.ReportMetric(ms(loadCPU), "load-cpu-ms/op")
	b.ReportMetric(ms(srcCPU), "source-cpu-ms/op")
	b.ReportMetric(ms(buildCPU), "build-cpu-ms/op")
}

func cpuNow() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
