package crdt

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Benchmarks over documents built from the editing traces in
// testdata/traces (Joseph Gentle's editing-traces, CC BY 4.0), one change
// per patch; $PAIRPAD_TRACES points elsewhere.

type benchPatch struct {
	pos, del int
	ins      string
}

func loadBenchTrace(b testing.TB, name string) (patches []benchPatch, end string) {
	b.Helper()
	dir := os.Getenv("PAIRPAD_TRACES")
	if dir == "" {
		dir = filepath.Join("..", "testdata", "traces")
	}
	f, err := os.Open(filepath.Join(dir, name+".json.gz"))
	if err != nil {
		b.Fatalf("editing trace not found (set PAIRPAD_TRACES): %v", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		b.Fatal(err)
	}
	var raw struct {
		EndContent string `json:"endContent"`
		Txns       []struct {
			Patches [][3]json.RawMessage `json:"patches"`
		} `json:"txns"`
	}
	if err := json.NewDecoder(zr).Decode(&raw); err != nil {
		b.Fatal(err)
	}
	for _, t := range raw.Txns {
		for _, p := range t.Patches {
			var bp benchPatch
			if json.Unmarshal(p[0], &bp.pos) != nil || json.Unmarshal(p[1], &bp.del) != nil || json.Unmarshal(p[2], &bp.ins) != nil {
				b.Fatal("malformed patch")
			}
			if bp.del == 0 && bp.ins == "" {
				continue
			}
			patches = append(patches, bp)
		}
	}
	return patches, raw.EndContent
}

var builtDocs = map[string][]byte{}

// traceDoc returns the saved document built from trace name (cached).
func traceDoc(b testing.TB, name string) []byte {
	b.Helper()
	if data, ok := builtDocs[name]; ok {
		return data
	}
	patches, end := loadBenchTrace(b, name)
	d, err := New("rust")
	if err != nil {
		b.Fatal(err)
	}
	for i, p := range patches {
		if err := d.Splice(p.pos, p.del, p.ins); err != nil {
			b.Fatalf("patch %d: %v", i, err)
		}
	}
	if s, _ := d.Text(); s != end {
		b.Fatalf("%s: document text differs from endContent", name)
	}
	data, err := d.Save()
	if err != nil {
		b.Fatal(err)
	}
	builtDocs[name] = data
	return data
}

var benchTraces = []string{"rustcode", "sveltecomponent"}

func BenchmarkSaveTraceDoc(b *testing.B) {
	for _, name := range benchTraces {
		b.Run(name, func(b *testing.B) {
			d, err := Load(traceDoc(b, name))
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			var n int
			for i := 0; i < b.N; i++ {
				d.saved = nil // measure the real save, not the cache
				data, err := d.Save()
				if err != nil {
					b.Fatal(err)
				}
				n = len(data)
			}
			b.ReportMetric(float64(n), "saved-bytes")
		})
	}
}

func BenchmarkLoadTraceDoc(b *testing.B) {
	for _, name := range benchTraces {
		b.Run(name, func(b *testing.B) {
			data := traceDoc(b, name)
			b.SetBytes(int64(len(data)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := Load(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFastJoin is a fresh peer opening a trace room: the server builds
// the v2 snapshot message (saved form cached, as in a live room), the client
// loads it and reads the text.
func BenchmarkFastJoin(b *testing.B) {
	for _, name := range benchTraces {
		b.Run(name+"/server", func(b *testing.B) {
			srv, err := Load(traceDoc(b, name))
			if err != nil {
				b.Fatal(err)
			}
			first := firstClientMessage(b)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				ps := srv.NewPeerState()
				if info, _ := InspectSync(first); !info.SupportsV2 || len(info.Heads) != 0 {
					b.Fatal("no fast join")
				}
				if _, err := srv.Receive(ps, first); err != nil {
					b.Fatal(err)
				}
				if _, _, err := srv.SnapshotMessage(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/client", func(b *testing.B) {
			srv, err := Load(traceDoc(b, name))
			if err != nil {
				b.Fatal(err)
			}
			ps := srv.NewPeerState()
			first := firstClientMessage(b)
			_, _ = srv.Receive(ps, first)
			msg, _, err := srv.SnapshotMessage()
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(msg)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c := Empty()
				if _, _, err := c.ReceiveFromServer(c.NewPeerState(), msg); err != nil {
					b.Fatal(err)
				}
				if _, err := c.Text(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func firstClientMessage(b *testing.B) []byte {
	c := Empty()
	m, ok, err := c.GenerateAdvertisingV2(c.NewPeerState())
	if err != nil || !ok {
		b.Fatalf("client message: %v %v", ok, err)
	}
	return m
}

// BenchmarkKeystroke is one typed character on a trace-sized document:
// splice + commit, then the sync message for one peer.
func BenchmarkKeystroke(b *testing.B) {
	for _, name := range benchTraces {
		b.Run(name, func(b *testing.B) {
			d, err := Load(traceDoc(b, name))
			if err != nil {
				b.Fatal(err)
			}
			peer, err := Load(traceDoc(b, name))
			if err != nil {
				b.Fatal(err)
			}
			ps, pp := d.NewPeerState(), peer.NewPeerState()
			settle(b, d, peer, ps, pp)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := d.Splice(i%100, 0, "x"); err != nil {
					b.Fatal(err)
				}
				m, ok, err := d.Generate(ps)
				if err != nil || !ok {
					b.Fatalf("generate: %v %v", ok, err)
				}
				b.StopTimer()
				if _, err := peer.Receive(pp, m); err != nil {
					b.Fatal(err)
				}
				settle(b, d, peer, ps, pp)
				b.StartTimer()
			}
		})
	}
}

// settle exchanges messages until both sides are quiet.
func settle(b *testing.B, a, c *Doc, sa, sc *PeerState) {
	for i := 0; i < 10; i++ {
		quiet := true
		if m, ok, err := a.Generate(sa); err != nil {
			b.Fatal(err)
		} else if ok {
			quiet = false
			if _, err := c.Receive(sc, m); err != nil {
				b.Fatal(err)
			}
		}
		if m, ok, err := c.Generate(sc); err != nil {
			b.Fatal(err)
		} else if ok {
			quiet = false
			if _, err := a.Receive(sa, m); err != nil {
				b.Fatal(err)
			}
		}
		if quiet {
			return
		}
	}
	b.Fatal(fmt.Errorf("sync did not settle"))
}
