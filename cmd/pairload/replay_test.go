package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/automerge/automerge-go"
	"github.com/gorilla/websocket"
	"go.uber.org/zap"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/persistence"
	pairsync "github.com/pairpad/pairpad/sync"
	"github.com/pairpad/pairpad/sync/wireclient"
)

// genConcurrentTrace makes a concurrent trace in the editing-traces format:
// two agents typing at once with `lag` transactions of network latency.
// Agent 0 edits the text before a separator line, agent 1 the text after it,
// so (as in the real traces) no two concurrent inserts land at the same
// place and the end content does not depend on the merge order. Positions
// are relative to the version each transaction's parents name, as in
// friendsforever and clownschool.
func genConcurrentTrace(seed int64, n, lag int) []byte {
	rng := rand.New(rand.NewSource(seed))
	type txn struct {
		Parents []int    `json:"parents"`
		Agent   int      `json:"agent"`
		Time    string   `json:"time"`
		Patches [][3]any `json:"patches"`
	}
	var txns []txn
	var pars [][]int // parents of each transaction, for descends
	regions := [2][]rune{}
	// lenA[k]: length of agent 0's region after its k-th transaction (k = 0:
	// after the separator transaction).
	var lenA []int
	var last [2]int  // each agent's latest transaction
	var seenA [2]int // how many of agent 0's transactions each agent has merged (index into lenA)
	var a0txns []int // transaction index of agent 0's k-th transaction
	var a1txns []int // likewise for agent 1
	var seenB [2]int // how many of agent 1's transactions each agent has merged
	const sep = "\n--\n"
	txns = append(txns, txn{Parents: []int{}, Agent: 0, Patches: [][3]any{{0, 0, sep}}})
	pars = append(pars, nil)
	lenA = append(lenA, 0)
	a0txns = append(a0txns, 0)
	seenA = [2]int{1, 1}
	last = [2]int{0, -1}
	words := []string{"the ", "quick ", "brown ", "fox ", "jumps ", "over ", "lazy ", "dogs\n", "é", "→ "}
	base := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	for len(txns) < n {
		ag := rng.Intn(2)
		// Merge what has "arrived": the other agent's transactions older than lag.
		parents := []int{}
		if last[ag] >= 0 {
			parents = append(parents, last[ag])
		}
		if ag == 1 {
			// Agent 0's transactions up to lag ago.
			k := len(a0txns)
			for k > seenA[1] && len(txns)-a0txns[k-1] <= lag {
				k--
			}
			if k > seenA[1] {
				parents = append(parents, a0txns[k-1])
				seenA[1] = k
			}
		} else {
			k := len(a1txns)
			for k > seenB[0] && len(txns)-a1txns[k-1] <= lag {
				k--
			}
			if k > seenB[0] {
				parents = append(parents, a1txns[k-1])
				seenB[0] = k
			}
		}
		if len(parents) == 0 { // agent 1's first move before anything arrived
			parents = []int{0}
			seenA[1] = 1
		}
		// A parent list must be minimal: drop our own last transaction when
		// the other's transaction already descends from it.
		if len(parents) == 2 && descends(pars, parents[1], parents[0]) {
			parents = parents[1:]
		}
		reg := regions[ag]
		offset := 0
		if ag == 1 {
			offset = lenA[seenA[1]-1] + len([]rune(sep))
		}
		var p [3]any
		if len(reg) > 0 && rng.Intn(4) == 0 {
			pos := rng.Intn(len(reg))
			del := 1 + rng.Intn(min(3, len(reg)-pos))
			p = [3]any{offset + pos, del, ""}
			reg = append(reg[:pos:pos], reg[pos+del:]...)
		} else {
			pos := rng.Intn(len(reg) + 1)
			w := []rune(words[rng.Intn(len(words))])
			p = [3]any{offset + pos, 0, string(w)}
			reg = append(reg[:pos:pos], append(w, reg[pos:]...)...)
		}
		regions[ag] = reg
		i := len(txns)
		txns = append(txns, txn{Parents: parents, Agent: ag, Time: base.Add(time.Duration(i) * time.Second).Format(time.RFC3339), Patches: [][3]any{p}})
		pars = append(pars, parents)
		last[ag] = i
		if ag == 0 {
			a0txns = append(a0txns, i)
			lenA = append(lenA, len(reg))
			seenA[0] = len(a0txns)
		} else {
			a1txns = append(a1txns, i)
			seenB[1] = len(a1txns)
		}
	}
	// A final merge of everything (the traces end with one).
	final := txn{Agent: 0, Parents: []int{last[0]}, Patches: [][3]any{}}
	if last[1] >= 0 && !descends(pars, last[0], last[1]) {
		final.Parents = append(final.Parents, last[1])
	}
	txns = append(txns, final)
	out, _ := json.Marshal(map[string]any{
		"kind": "concurrent", "numAgents": 2, "txns": txns,
		"endContent": string(regions[0]) + sep + string(regions[1]),
	})
	return out
}

// descends reports whether transaction a has b among its ancestors (or is b).
func descends(parents [][]int, a, b int) bool {
	stack := []int{a}
	seen := map[int]bool{}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n == b {
			return true
		}
		if n < b || seen[n] {
			continue
		}
		seen[n] = true
		stack = append(stack, parents[n]...)
	}
	return false
}

// replayHub is an in-process Pairpad sync hub behind /ws/{id}.
type replayHub struct {
	hub   *pairsync.Hub
	store *persistence.Memory
	srv   *httptest.Server
}

func newReplayHub(t *testing.T) *replayHub {
	t.Helper()
	store := persistence.NewMemory()
	hub := pairsync.NewHub(pairsync.Config{}, store, zap.NewNop())
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	mux := http.NewServeMux()
	mux.HandleFunc("/ws/{id}", func(w http.ResponseWriter, r *http.Request) {
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		hub.ServeConn(r.Context(), conn, r.PathValue("id"), zap.NewNop())
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hub.Shutdown(ctx)
	})
	return &replayHub{hub: hub, store: store, srv: srv}
}

// room creates a room holding root (a saved document) and returns a dialer
// for it.
func (h *replayHub) room(t *testing.T, root []byte) dialFunc {
	t.Helper()
	now := time.Now().UTC()
	id := crdt.NewDocumentID()
	if err := h.store.Create(context.Background(), pairsync.RoomRecord{ID: id, Language: "go", Data: root, Version: 1, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	url := "ws" + strings.TrimPrefix(h.srv.URL, "http") + "/ws/" + id
	return func(ctx context.Context, agent int) (*wireclient.Client, error) {
		return wireclient.Dial(ctx, url, id, wireclient.ClientOptions{})
	}
}

func parseGenerated(t *testing.T, seed int64, n, lag int) *ReplayTrace {
	t.Helper()
	tr, err := ParseReplayTrace(fmt.Sprintf("gen-%d", seed), genConcurrentTrace(seed, n, lag))
	if err != nil {
		t.Fatalf("generated trace: %v", err)
	}
	return tr
}

func TestPureReplayOfConcurrentTraceEndsAtEndContent(t *testing.T) {
	tr := parseGenerated(t, 1, 1500, 7)
	if tr.Kind != "concurrent" || tr.NumAgents != 2 {
		t.Fatalf("kind %s agents %d", tr.Kind, tr.NumAgents)
	}
	merges := 0
	for _, txn := range tr.Txns {
		if len(txn.Parents) > 1 {
			merges++
		}
	}
	if merges < 50 {
		t.Fatalf("only %d merging transactions: the trace is hardly concurrent", merges)
	}
	root, err := DeterministicRoot("go")
	if err != nil {
		t.Fatal(err)
	}
	res, err := PureReplay(context.Background(), tr, root, true)
	if err != nil {
		t.Fatal(err)
	}
	if res.Text != tr.EndContent {
		t.Fatalf("pure replay gives %d chars, endContent %d:\n%q\nvs\n%q", len(res.Text), len(tr.EndContent), res.Text, tr.EndContent)
	}
	// Deterministic: the same again.
	again, err := PureReplay(context.Background(), tr, root, true)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(again.Heads) != fmt.Sprint(res.Heads) {
		t.Fatalf("two deterministic pure replays: heads %v and %v", res.Heads, again.Heads)
	}
	// Not deterministic: same text, other heads (random actors).
	other, err := PureReplay(context.Background(), tr, root, false)
	if err != nil {
		t.Fatal(err)
	}
	if other.Text != tr.EndContent || fmt.Sprint(other.Heads) == fmt.Sprint(res.Heads) {
		t.Fatalf("random actors: text ok %v, same heads %v", other.Text == tr.EndContent, fmt.Sprint(other.Heads) == fmt.Sprint(res.Heads))
	}
}

// TestServerReplayConvergesAndMatchesPureReplay replays a concurrent trace
// (2,000 transactions) through an in-process server, one client per agent,
// twice in deterministic mode: both runs converge (every client and a late
// observer), end at the trace's endContent, and give exactly the change
// hashes of the pure replay.
func TestServerReplayConvergesAndMatchesPureReplay(t *testing.T) {
	tr := parseGenerated(t, 2, 1000, 5)
	root, err := DeterministicRoot("go")
	if err != nil {
		t.Fatal(err)
	}
	pure, err := PureReplay(context.Background(), tr, root, true)
	if err != nil {
		t.Fatal(err)
	}
	h := newReplayHub(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var first *ServerReplay
	for run := 0; run < 2; run++ {
		res, err := ReplayThroughServer(ctx, tr, h.room(t, root), ReplayOptions{Deterministic: true, Settle: 20 * time.Second})
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if !res.Converged {
			t.Fatalf("run %d: not converged: %s", run, res.Divergence)
		}
		if res.Text != tr.EndContent {
			t.Fatalf("run %d: text of %d chars, endContent %d", run, len(res.Text), len(tr.EndContent))
		}
		if fmt.Sprint(res.Heads) != fmt.Sprint(pure.Heads) || res.Changes != pure.Changes {
			t.Fatalf("run %d: heads %v (%d changes), pure replay %v (%d)", run, res.Heads, res.Changes, pure.Heads, pure.Changes)
		}
		if res.BytesOut == 0 || res.BytesIn == 0 {
			t.Fatalf("run %d: no bytes counted (%d out, %d in)", run, res.BytesOut, res.BytesIn)
		}
		if first == nil {
			first = res
		}
	}
}

// TestServerReplayOfRealConcurrentTrace replays the first 3,000 transactions
// of the concurrent editing traces (testdata/traces, or $PAIRPAD_TRACES)
// through a server, comparing with the pure replay.
func TestServerReplayOfRealConcurrentTrace(t *testing.T) {
	dir, err := FindTracesDir("")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"friendsforever", "clownschool"} {
		path := filepath.Join(dir, name+".json.gz")
		t.Run(name, func(t *testing.T) {
			tr, err := LoadReplayTrace(path)
			if err != nil {
				t.Fatal(err)
			}
			full, err := PureReplay(context.Background(), tr, mustRoot(t), true)
			if err != nil {
				t.Fatal(err)
			}
			if full.Text != tr.EndContent {
				t.Fatalf("full pure replay: %d chars, endContent %d", len(full.Text), len(tr.EndContent))
			}
			part := tr.Prefix(3000)
			pure, err := PureReplay(context.Background(), part, mustRoot(t), true)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			// Paced as `pairload replay` paces it (--max-fps 400): the server
			// closes a socket over 500 frames/s with 4429.
			res, err := ReplayThroughServer(ctx, part, newReplayHub(t).room(t, mustRoot(t)), ReplayOptions{Deterministic: true, MaxFPS: 400, Settle: 20 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Converged || res.Text != pure.Text || fmt.Sprint(res.Heads) != fmt.Sprint(pure.Heads) {
				t.Fatalf("converged %v (%s), text equal %v, heads %v vs %v", res.Converged, res.Divergence, res.Text == pure.Text, res.Heads, pure.Heads)
			}
		})
	}
}

func mustRoot(t *testing.T) []byte {
	t.Helper()
	root, err := DeterministicRoot("go")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func TestParseReplayTraceValidates(t *testing.T) {
	ok := `{"kind":"concurrent","numAgents":2,"endContent":"yoooo ho ho\n","txns":[
		{"parents":[],"agent":0,"time":"2023-11-22T04:49:00+00:00","patches":[[0,0,"hi there\n"]]},
		{"parents":[0],"agent":0,"patches":[[0,8,""],[0,0,"yoooo"]]},
		{"parents":[1],"agent":1,"patches":[[5,0," ho ho"]]}]}`
	tr, err := ParseReplayTrace("example", []byte(ok))
	if err != nil {
		t.Fatal(err)
	}
	if tr.Kind != "concurrent" || tr.NumAgents != 2 || len(tr.Txns) != 3 || tr.Txns[2].Agent != 1 || fmt.Sprint(tr.Txns[2].Parents) != "[1]" {
		t.Fatalf("parsed %+v", tr)
	}
	res, err := PureReplay(context.Background(), tr, mustRoot(t), true)
	if err != nil || res.Text != tr.EndContent {
		t.Fatalf("replay of the format's example: %q, %v", res.Text, err)
	}
	// Sequential: one agent, each transaction after the previous; startContent first.
	seq, err := ParseReplayTrace("s", []byte(`{"startContent":"ab","endContent":"abc","txns":[{"time":"2021-01-01T00:00:00Z","patches":[[2,0,"c"]]}]}`))
	if err != nil || seq.Kind != "sequential" || len(seq.Txns) != 2 || fmt.Sprint(seq.Txns[1].Parents) != "[0]" {
		t.Fatalf("sequential: %+v, %v", seq, err)
	}
	if res, err := PureReplay(context.Background(), seq, mustRoot(t), false); err != nil || res.Text != "abc" {
		t.Fatalf("sequential replay: %v %v", res, err)
	}
	bad := map[string]string{
		"not json":           `{`,
		"no txns":            `{"endContent":"","txns":[]}`,
		"parent ahead":       `{"kind":"concurrent","numAgents":1,"txns":[{"parents":[0],"agent":0,"patches":[]}]}`,
		"agent out of range": `{"kind":"concurrent","numAgents":1,"txns":[{"parents":[],"agent":1,"patches":[]}]}`,
		"too many agents":    `{"kind":"concurrent","numAgents":100000,"txns":[{"parents":[],"agent":0,"patches":[]}]}`,
		"no parents field":   `{"kind":"concurrent","numAgents":1,"txns":[{"agent":0,"patches":[]}]}`,
		"bad patch":          `{"kind":"concurrent","numAgents":1,"txns":[{"parents":[],"agent":0,"patches":[[0,"x","a"]]}]}`,
		"negative pos":       `{"kind":"concurrent","numAgents":1,"txns":[{"parents":[],"agent":0,"patches":[[-1,0,"a"]]}]}`,
		"bad time":           `{"kind":"concurrent","numAgents":1,"txns":[{"parents":[],"agent":0,"time":"yesterday","patches":[]}]}`,
		"agent not ordered": `{"kind":"concurrent","numAgents":2,"txns":[{"parents":[],"agent":0,"patches":[[0,0,"a"]]},
			{"parents":[0],"agent":1,"patches":[[0,0,"b"]]},{"parents":[0],"agent":1,"patches":[[0,0,"c"]]}]}`,
	}
	for name, in := range bad {
		if _, err := ParseReplayTrace(name, []byte(in)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// A patch past the end of the text is a clear error, not a crash.
	oob, err := ParseReplayTrace("oob", []byte(`{"kind":"concurrent","numAgents":1,"txns":[{"parents":[],"agent":0,"patches":[[3,0,"a"]]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := PureReplay(context.Background(), oob, mustRoot(t), true); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Fatalf("out-of-range patch: %v", err)
	}
}

func FuzzParseReplayTrace(f *testing.F) {
	f.Add([]byte(`{"kind":"concurrent","numAgents":2,"endContent":"ab","txns":[{"parents":[],"agent":0,"patches":[[0,0,"a"]]},{"parents":[0],"agent":1,"patches":[[1,0,"b"]]}]}`))
	f.Add([]byte(`{"startContent":"x","endContent":"xy","txns":[{"time":"2021-01-01T00:00:00Z","patches":[[1,0,"y"]]}]}`))
	f.Add([]byte(`{"kind":"concurrent","numAgents":1,"txns":[{"parents":[],"agent":0,"patches":[[5,9,"é"]]}]}`))
	f.Add(genConcurrentTrace(3, 30, 2))
	root, err := DeterministicRoot("go")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := ParseReplayTrace("fuzz", data)
		if err != nil {
			return
		}
		if len(tr.Txns) > 200 {
			return
		}
		// A valid trace replays or fails with an error; it never panics.
		_, _ = PureReplay(context.Background(), tr, root, true)
	})
}

func TestSelectChangesPicksByHashAndRejectsGarbage(t *testing.T) {
	doc, err := automerge.Load(mustRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"a", "b", "c"} {
		if err := doc.Path("content").Text().Append(w); err != nil {
			t.Fatal(err)
		}
		if _, err := doc.Commit(""); err != nil {
			t.Fatal(err)
		}
	}
	a := &agentState{doc: doc}
	chs, err := a.doc.Changes()
	if err != nil || len(chs) < 3 {
		t.Fatalf("%d changes, %v", len(chs), err)
	}
	all := automerge.SaveChanges(chs)
	want := []automerge.ChangeHash{chs[1].Hash(), chs[2].Hash()}
	got, err := selectChanges(all, want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, append(chs[1].Save(), chs[2].Save()...)) {
		t.Fatal("selected bytes differ from the two changes")
	}
	if _, err := selectChanges(all, []automerge.ChangeHash{{1, 2, 3}}); err == nil {
		t.Fatal("a hash that is not there was reported found")
	}
	for _, garbage := range [][]byte{all[:len(all)-1], append([]byte{0, 1, 2, 3}, all...), {0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 1, 0xff}} {
		if _, err := selectChanges(garbage, want); err == nil {
			t.Fatal("malformed chunks accepted")
		}
	}
}

// TestConflictScenariosThroughServer runs every named scenario through an
// in-process server: each converges with the in-memory merge's heads, and
// the merges that do not depend on actor order have their known outcome.
func TestConflictScenariosThroughServer(t *testing.T) {
	h := newReplayHub(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	want := map[string]string{
		"delete-vs-insert":         "hello !!",
		"overlapping-deletes":      "af",
		"same-deletion":            "keep keep",
		"delete-line-vs-edit-line": "a\n // notec\n",
		"move-vs-edit":             "one\n!three\ntwo\n",
		"language-vs-typing":       "x = 1",
	}
	for _, s := range ConflictScenarios {
		tr := s.Trace()
		pure, err := PureReplay(ctx, tr, mustRoot(t), true)
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		res, err := ReplayThroughServer(ctx, tr, h.room(t, mustRoot(t)), ReplayOptions{Deterministic: true, Settle: 10 * time.Second})
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		if !res.Converged || fmt.Sprint(res.Heads) != fmt.Sprint(pure.Heads) || res.Text != pure.Text || res.Language != pure.Language {
			t.Fatalf("%s: converged %v (%s), server %q/%s, in memory %q/%s", s.Name, res.Converged, res.Divergence, res.Text, res.Language, pure.Text, pure.Language)
		}
		if w, ok := want[s.Name]; ok && res.Text != w {
			t.Errorf("%s: merged %q, want %q", s.Name, res.Text, w)
		}
		a, _ := s.sideText(s.A)
		b, _ := s.sideText(s.B)
		switch s.Name {
		case "same-position-insert", "same-position-typing", "append-at-end":
			// Both sides' insertions survive, one after the other (which first: actor order).
			if len(res.Text) != len(a)+len(b)-len(s.Base) {
				t.Errorf("%s: merged %q keeps not both insertions of %q and %q", s.Name, res.Text, a, b)
			}
		case "concurrent-language-change":
			if res.Language != "python" && res.Language != "rust" {
				t.Errorf("%s: language %q", s.Name, res.Language)
			}
		case "language-vs-typing":
			if res.Language != "python" {
				t.Errorf("%s: language %q", s.Name, res.Language)
			}
		}
		if s.Name == "replace-same-word" && res.Text != "let x = 23;" && res.Text != "let x = 32;" {
			t.Errorf("replace-same-word: %q", res.Text)
		}
		if s.Name == "same-position-typing" && res.Text != "f(foobar)" && res.Text != "f(barfoo)" {
			t.Errorf("typing runs interleaved: %q", res.Text)
		}
	}
}

func TestReplayCommandLine(t *testing.T) {
	run := func(args ...string) (int, string, string) {
		var out, errb strings.Builder
		code := runReplayCommand(args, &out, &errb)
		return code, out.String(), errb.String()
	}
	code, out, _ := run("--scenario", "list")
	if code != 0 {
		t.Fatalf("list: exit %d", code)
	}
	for _, s := range ConflictScenarios {
		if !strings.Contains(out, s.Name) {
			t.Errorf("list lacks %s", s.Name)
		}
	}
	if code, _, errs := run(); code != 2 || !strings.Contains(errs, "give a trace") {
		t.Errorf("no trace: exit %d, %q", code, errs)
	}
	if code, _, errs := run("--url", "http://10.1.2.3:8080", "x"); code != 2 || !strings.Contains(errs, "not loopback") {
		t.Errorf("remote url: exit %d, %q", code, errs)
	}
	if code, _, errs := run("--local", "--scenario", "nope"); code != 2 || !strings.Contains(errs, "unknown scenario") {
		t.Errorf("unknown scenario: exit %d, %q", code, errs)
	}
	code, out, _ = run("--local", "--scenario", "delete-vs-insert")
	if code != 0 || !strings.Contains(out, `merged "hello !!"`) {
		t.Errorf("local scenario: exit %d\n%s", code, out)
	}
	// A trace file replayed locally: a summary and a JSON line saying it matched.
	path := filepath.Join(t.TempDir(), "gen.json")
	if err := os.WriteFile(path, genConcurrentTrace(5, 300, 4), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := run("--local", "--deterministic", path)
	if code != 0 {
		t.Fatalf("local replay: exit %d\n%s\n%s", code, out, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var rep ReplayReport
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.Converged || rep.EndContentOK == nil || !*rep.EndContentOK || rep.Agents != 2 || rep.Txns != 301 {
		t.Fatalf("report %+v", rep)
	}
	if code, _, errs := run("--local", filepath.Join(t.TempDir(), "missing.json")); code != 1 || !strings.Contains(errs, "not found") {
		t.Errorf("missing trace: exit %d, %q", code, errs)
	}
}

// A classroom with thin viewers: every viewer, thin or full, sees every
// keystroke, the full ones converge on the text and the thin ones on the
// typist's heads.
func TestClassroomWithThinViewers(t *testing.T) {
	h := newReplayHub(t)
	mux := http.NewServeMux()
	mux.Handle("/ws/", h.srv.Config.Handler)
	mux.HandleFunc("POST /rooms", func(w http.ResponseWriter, r *http.Request) {
		doc, err := crdt.New("go")
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		data, _ := doc.Save()
		now := time.Now().UTC()
		id := crdt.NewDocumentID()
		if err := h.store.Create(r.Context(), pairsync.RoomRecord{ID: id, Language: "go", Data: data, Version: 1, CreatedAt: now, UpdatedAt: now}); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"room_id":%q}`, id)
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) { h.hub.Metrics().WritePrometheus(w) })
	srv := httptest.NewServer(mux)
	defer srv.Close()

	cfg := DefaultConfig()
	cfg.Scenario, cfg.URL = ScenarioClassroom, srv.URL
	cfg.Typists, cfg.Viewers, cfg.ThinViewers = 1, fullViewers+6, true
	cfg.Rate, cfg.Duration, cfg.Seed = 20, 2*time.Second, false
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := run(ctx, &cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.ErrorCount != 0 || res.Converged == nil || !*res.Converged {
		t.Fatalf("errors %d %v, converged %v", res.ErrorCount, res.Errors, res.Converged)
	}
	if res.Keystrokes < 20 || res.Lost != 0 || res.Latency == nil || res.Latency.N != res.Keystrokes*cfg.Viewers {
		t.Fatalf("keystrokes %d, lost %d, latency %+v: want every keystroke seen by all %d viewers", res.Keystrokes, res.Lost, res.Latency, cfg.Viewers)
	}
	if !res.ThinViewers {
		t.Fatal("the result does not say its viewers were thin")
	}
}
