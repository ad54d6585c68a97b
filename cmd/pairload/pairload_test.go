package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/automerge/automerge-go"
)

// tracesDir finds the editing traces for tests: $PAIRPAD_TRACES or
// testdata/traces in the repository. A test that cannot find them
// fails, naming what to set: the replay test is the tool's correctness check.
func tracesDir(t *testing.T) string {
	t.Helper()
	dir, err := FindTracesDir("")
	if err != nil {
		t.Fatalf("editing traces not found: %v (set %s to the folder holding rustcode.json.gz)", err, tracesEnv)
	}
	return dir
}

func TestTraceReplayEndsAtEndContent(t *testing.T) {
	dir := tracesDir(t)
	for _, name := range TraceNames {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tr, err := LoadTrace(dir, name)
			if err != nil {
				t.Fatal(err)
			}
			ks := tr.Keystrokes(2 * time.Second)
			if len(ks) < 10000 {
				t.Fatalf("%d keystrokes; the traces hold tens of thousands", len(ks))
			}
			got, err := Replay(tr.StartContent, ks, 0)
			if err != nil {
				t.Fatal(err)
			}
			if got != tr.EndContent {
				i := 0
				for i < len(got) && i < len(tr.EndContent) && got[i] == tr.EndContent[i] {
					i++
				}
				t.Fatalf("replay gives %d bytes, endContent %d; first difference at byte %d", len(got), len(tr.EndContent), i)
			}
			// Pacing: offsets never go back, and no pause exceeds the cap.
			for i := 1; i < len(ks); i++ {
				if d := ks[i].At - ks[i-1].At; d < 0 || d > 2*time.Second {
					t.Fatalf("keystroke %d: gap %v", i, d)
				}
			}
			if n := BulkPrefix(ks); n != 1 {
				t.Fatalf("bulk prefix %d; the traces start with one file load stamped at the epoch", n)
			}
		})
	}
}

func TestReplayRejectsOutOfRangePatch(t *testing.T) {
	ks := []Keystroke{{Patch: Patch{Pos: 0, Ins: "héllo"}}, {Patch: Patch{Pos: 1, Del: 1, Ins: "e"}}}
	got, err := Replay("", ks, 0)
	if err != nil || got != "hello" {
		t.Fatalf("Replay = %q, %v", got, err)
	}
	if got, _ := Replay("", ks, 1); got != "héllo" {
		t.Fatalf("Replay(n=1) = %q", got)
	}
	if _, err := Replay("", []Keystroke{{Patch: Patch{Pos: 3, Ins: "x"}}}, 0); err == nil {
		t.Fatal("insert past the end accepted")
	}
	if _, err := Replay("ab", []Keystroke{{Patch: Patch{Pos: 1, Del: 2}}}, 0); err == nil {
		t.Fatal("delete past the end accepted")
	}
}

func TestParseTraceFieldsAndPacing(t *testing.T) {
	raw := rawTrace{StartContent: "", EndContent: "ab"}
	raw.Txns = append(raw.Txns,
		struct {
			Time      string            `json:"time"`
			Timestamp string            `json:"timestamp"`
			Patches   []json.RawMessage `json:"patches"`
		}{Timestamp: "2021-01-01T00:00:00Z", Patches: []json.RawMessage{[]byte(`[0,0,"a"]`), []byte(`[0,0,""]`)}},
		struct {
			Time      string            `json:"time"`
			Timestamp string            `json:"timestamp"`
			Patches   []json.RawMessage `json:"patches"`
		}{Time: "2021-01-01T01:00:00Z", Patches: []json.RawMessage{[]byte(`[1,0,"b"]`)}},
	)
	tr, err := parseTrace("t", raw)
	if err != nil {
		t.Fatal(err)
	}
	ks := tr.Keystrokes(time.Second)
	if len(ks) != 2 { // the no-op patch is dropped
		t.Fatalf("%d keystrokes, want 2", len(ks))
	}
	if ks[1].At != time.Second {
		t.Fatalf("an hour's pause capped to %v, want 1s", ks[1].At)
	}
	if BulkPrefix(ks) != 0 {
		t.Fatal("2021 keystrokes taken for a bulk load")
	}
	raw.Txns[0].Patches = []json.RawMessage{[]byte(`[0,"x","a"]`)}
	if _, err := parseTrace("t", raw); err == nil {
		t.Fatal("malformed patch accepted")
	}
}

func TestPercentileNearestRank(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	cases := []struct {
		name string
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one", ms(7), 99, 7 * time.Millisecond},
		{"median of odd", ms(5, 1, 3), 50, 3 * time.Millisecond},
		{"median of even is the lower", ms(4, 1, 3, 2), 50, 2 * time.Millisecond},
		{"p99 of 100", ms(seq(1, 100)...), 99, 99 * time.Millisecond},
		{"p99 of 1000 is the 990th", ms(seq(1, 1000)...), 99, 990 * time.Millisecond},
		{"p95 of 10 is the max", ms(seq(1, 10)...), 95, 10 * time.Millisecond},
		{"max", ms(3, 9, 1), 100, 9 * time.Millisecond},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Percentile(c.in, c.p); got != c.want {
				t.Fatalf("Percentile(%v) = %v, want %v", c.p, got, c.want)
			}
		})
	}
	s := Summarize(ms(seq(1, 200)...))
	if s.N != 200 || s.P50 != 100 || s.P95 != 190 || s.P99 != 198 || s.Max != 200 {
		t.Fatalf("Summarize = %+v", s)
	}
	if Median([]float64{3, 1, 2, 10}) != 2.5 || Median(nil) != 0 {
		t.Fatal("Median")
	}
}

func seq(a, b int) []int {
	var out []int
	for i := a; i <= b; i++ {
		out = append(out, i)
	}
	return out
}

func TestConfigValidation(t *testing.T) {
	cases := []struct {
		name    string
		mod     func(c *Config)
		wantErr string
	}{
		{"defaults", func(c *Config) {}, ""},
		{"reference default url", func(c *Config) { c.Target = TargetReference }, ""},
		{"localhost", func(c *Config) { c.URL = "http://localhost:9000" }, ""},
		{"ipv6 loopback", func(c *Config) { c.URL = "http://[::1]:9000" }, ""},
		{"127/8", func(c *Config) { c.URL = "ws://127.1.2.3:9000" }, ""},
		{"private address refused", func(c *Config) { c.URL = "http://10.0.0.5:8080" }, "not loopback"},
		{"public name refused", func(c *Config) { c.URL = "http://example.com" }, "not loopback"},
		{"bad scheme", func(c *Config) { c.URL = "ftp://127.0.0.1" }, "scheme"},
		{"unknown scenario", func(c *Config) { c.Scenario = "storm" }, "scenario"},
		{"unknown target", func(c *Config) { c.Target = "yjs" }, "target"},
		{"zero rooms", func(c *Config) { c.Rooms = 0 }, "rooms"},
		{"negative rate", func(c *Config) { c.Rate = -1 }, "rate"},
		{"recorded pace needs a gap cap", func(c *Config) { c.Rate = 0; c.MaxGap = 0 }, "max-gap"},
		{"unbounded duration", func(c *Config) { c.Duration = time.Hour }, "duration"},
		{"late beyond drain", func(c *Config) { c.LateAfter = 10 * time.Second }, "late"},
		{"ramp max below start", func(c *Config) { c.Scenario = ScenarioRamp; c.RampMax = 5 }, "ramp rooms"},
		{"ramp step too short", func(c *Config) { c.Scenario = ScenarioRamp; c.RampStepDur = time.Second }, "ramp-step-duration"},
		{"advertise value", func(c *Config) { c.AdvertiseV2 = "maybe" }, "advertise-v2"},
		{"max time", func(c *Config) { c.MaxTime = 0 }, "max-time"},
		{"observer url", func(c *Config) { c.ObserverURL = "http://127.0.0.1:9001" }, ""},
		{"thin viewers in a classroom", func(c *Config) { c.Scenario = ScenarioClassroom; c.ThinViewers = true }, ""},
		{"thin viewers elsewhere", func(c *Config) { c.ThinViewers = true }, "thin-viewers"},
		{"observer url not loopback", func(c *Config) { c.ObserverURL = "http://10.0.0.5:8080" }, "observer-url"},
		{"observer url for the reference", func(c *Config) { c.Target = TargetReference; c.ObserverURL = "http://127.0.0.1:9001" }, "observer-url"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.mod(&c)
			err := c.Validate()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if c.URL == "" {
					t.Fatal("no default URL")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.wantErr)
			}
		})
	}
}

func TestAdvertiseV2PerTarget(t *testing.T) {
	c := DefaultConfig()
	if w, f := c.advertiseV2(); !w || !f {
		t.Fatal("pairpad: all peers should advertise v2")
	}
	c.Target = TargetReference
	if w, f := c.advertiseV2(); w || !f {
		t.Fatal("reference: only fresh join peers should advertise v2")
	}
	c.AdvertiseV2 = "off"
	if w, f := c.advertiseV2(); w || f {
		t.Fatal("off")
	}
}

func TestTrackerMarksKeystrokesSeenThroughHeads(t *testing.T) {
	h := func(b byte) automerge.ChangeHash { var x automerge.ChangeHash; x[0] = b; return x }
	rt := newRoomTracker(2)
	o := rt.addObserver()
	t0 := time.Unix(1000, 0)
	// typist 0: a1, a2; typist 1 merged a1 then wrote b1.
	rt.committed(0, nil, []automerge.ChangeHash{h(1)}, t0)
	rt.committed(0, []automerge.ChangeHash{h(1)}, []automerge.ChangeHash{h(2)}, t0.Add(10*time.Millisecond))
	rt.committed(1, []automerge.ChangeHash{h(1)}, []automerge.ChangeHash{h(3)}, t0.Add(20*time.Millisecond))
	if rt.pending() != 3 {
		t.Fatalf("pending %d, want 3", rt.pending())
	}
	// Observer holds b1 only: that implies a1 too, not a2.
	rt.observed(o, []automerge.ChangeHash{h(3), h(99)}, t0.Add(50*time.Millisecond))
	if rt.pending() != 1 {
		t.Fatalf("pending %d, want 1 (a2)", rt.pending())
	}
	rt.observed(o, []automerge.ChangeHash{h(2), h(3)}, t0.Add(100*time.Millisecond))
	var tl tally
	rt.collect(&tl, time.Time{}, time.Time{}, t0.Add(time.Second), 60*time.Millisecond, false)
	if tl.sent != 3 || tl.expect != 3 || tl.lost != 0 || len(tl.samples) != 3 {
		t.Fatalf("tally %+v", tl)
	}
	want := map[time.Duration]bool{50 * time.Millisecond: true, 30 * time.Millisecond: true, 90 * time.Millisecond: true}
	for _, s := range tl.samples {
		if !want[s] {
			t.Fatalf("latency %v not in %v", s, want)
		}
	}
	if tl.late != 1 {
		t.Fatalf("late %d, want 1 (90ms > 60ms)", tl.late)
	}
	// A keystroke nobody saw counts as lost, or as late with a lower bound.
	rt.committed(0, []automerge.ChangeHash{h(2), h(3)}, []automerge.ChangeHash{h(4)}, t0.Add(200*time.Millisecond))
	var lost, late tally
	rt.collect(&lost, time.Time{}, time.Time{}, t0.Add(time.Second), time.Second, false)
	rt.collect(&late, t0.Add(150*time.Millisecond), time.Time{}, t0.Add(time.Second), 500*time.Millisecond, true)
	if lost.lost != 1 || late.late != 1 || len(late.samples) != 1 || late.samples[0] != 800*time.Millisecond {
		t.Fatalf("lost %+v late %+v", lost, late)
	}
}

func TestProcParsers(t *testing.T) {
	stat := "1234 (my (odd) name) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 8 0 100 200 300"
	d, err := parseStatCPU(stat)
	if err != nil || d != 3*time.Second {
		t.Fatalf("parseStatCPU = %v, %v; want 3s", d, err)
	}
	if _, err := parseStatCPU("garbage"); err == nil {
		t.Fatal("garbage stat accepted")
	}
	rss, hwm, err := parseStatusMem("Name:\tx\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n")
	if err != nil || rss != 1<<20 || hwm != 2<<20 {
		t.Fatalf("parseStatusMem = %d %d %v", rss, hwm, err)
	}
	m, err := parseMetrics(strings.NewReader("# HELP x\nx_total 12\ny{code=\"1\"} 3\nz 1.5e3\n"))
	if err != nil || m["x_total"] != 12 || m["z"] != 1500 || len(m) != 2 {
		t.Fatalf("parseMetrics = %v, %v", m, err)
	}
	// The live readers work on this process.
	if _, err := ProcCPU("self"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ProcMem("self"); err != nil {
		t.Fatal(err)
	}
}

func TestFindTracesDirHonoursEnv(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(tracesEnv, dir)
	got, err := FindTracesDir("")
	if err != nil || got != dir {
		t.Fatalf("FindTracesDir = %q, %v", got, err)
	}
	if got, _ := FindTracesDir("/x"); got != "/x" {
		t.Fatal("flag should win")
	}
	if _, err := LoadTrace(dir, "missing"); err == nil || !strings.Contains(err.Error(), tracesEnv) {
		t.Fatalf("missing trace error %v should name %s", err, tracesEnv)
	}
	_ = os.WriteFile(filepath.Join(dir, "bad.json.gz"), []byte("nope"), 0o644)
	if _, err := LoadTrace(dir, "bad"); err == nil {
		t.Fatal("non-gzip trace accepted")
	}
}
