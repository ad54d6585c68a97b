package api_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/automerge/automerge-go"
	"go.uber.org/zap"

	"github.com/pairpad/pairpad/api"
	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/persistence"
	pairsync "github.com/pairpad/pairpad/sync"
	"github.com/pairpad/pairpad/sync/wireclient"
)

type historyRoom struct {
	id       string
	versions []struct{ head, text string } // after each edit
	actors   [2]string
}

// buildHistoryRoom: two Go peers take turns editing a room (each waits for
// the other's edit first, so the history is a line); the first names
// itself in people, the second accepts an "ai" suggestion and pastes.
func buildHistoryRoom(t *testing.T, f *fixture) *historyRoom {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	room := f.createRoom(t, `{"language":"go"}`)
	hr := &historyRoom{id: room.RoomID}
	a, b := f.dial(t, ctx, room.RoomID), f.dial(t, ctx, room.RoomID)
	defer a.Close()
	defer b.Close()
	for _, c := range []*wireclient.Client{a, b} {
		if err := c.WaitSynced(ctx); err != nil {
			t.Fatal(err)
		}
	}
	_ = a.Edit(func(d *crdt.Doc) error { hr.actors[0] = d.ActorID(); return nil })
	_ = b.Edit(func(d *crdt.Doc) error { hr.actors[1] = d.ActorID(); return nil })
	step := func(c *wireclient.Client, other *wireclient.Client, edit func(d *crdt.Doc) error) {
		t.Helper()
		if err := c.Edit(edit); err != nil {
			t.Fatal(err)
		}
		want := c.Text()
		if err := other.WaitFor(ctx, func(s string) bool { return s == want }); err != nil {
			t.Fatal(err)
		}
		f.waitText(t, room.RoomID, want)
		var head string
		_ = c.Edit(func(d *crdt.Doc) error { head = crdt.HashString(d.Heads()[0]); return nil })
		hr.versions = append(hr.versions, struct{ head, text string }{head, want})
	}
	step(a, b, func(d *crdt.Doc) error { return d.SetPerson(d.ActorID(), "Ada", "#ff0000") })
	step(a, b, func(d *crdt.Doc) error { return d.Splice(0, 0, "func main() {\n}") })
	step(b, a, func(d *crdt.Doc) error { return d.SpliceMessage(14, 0, "\tfmt.Println(\"hé\")\n", "ai") })
	step(a, b, func(d *crdt.Doc) error { return d.Splice(5, 4, "start") })
	step(b, a, func(d *crdt.Doc) error { return d.SpliceMessage(0, 0, "package main\n\n", "paste") })
	step(a, b, func(d *crdt.Doc) error { return d.Splice(0, 7, "") })
	return hr
}

func getJSON(t *testing.T, f *fixture, path string, out any) {
	t.Helper()
	resp, b := f.do(t, "GET", path, "")
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, b)
	}
}

func allHistory(t *testing.T, f *fixture, room string, limit int) []api.HistoryChange {
	t.Helper()
	var out []api.HistoryChange
	q := "?limit=" + itoa(limit)
	for pages := 0; ; pages++ {
		var page api.HistoryPage
		getJSON(t, f, "/rooms/"+room+"/history"+q, &page)
		out = append(out, page.Changes...)
		if page.Next == nil {
			return out
		}
		if len(page.Changes) != limit || *page.Next != page.Changes[len(page.Changes)-1].Hash || pages > 100 {
			t.Fatalf("page of %d with next %s", len(page.Changes), *page.Next)
		}
		q = "?limit=" + itoa(limit) + "&after=" + *page.Next
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func applyDiff(s string, edits []crdt.Edit) string {
	r := []rune(s)
	for _, e := range edits {
		r = append(r[:e.Pos], append([]rune(e.Insert), r[e.Pos+e.Delete:]...)...)
	}
	return string(r)
}

// checkHistory runs every history endpoint on the room and checks it
// against what the test made.
func checkHistory(t *testing.T, f *fixture, hr *historyRoom) []api.HistoryChange {
	t.Helper()
	base := "/rooms/" + hr.id
	all := allHistory(t, f, hr.id, 1000)
	paged := allHistory(t, f, hr.id, 2)
	if len(all) != len(hr.versions)+1 || len(paged) != len(all) {
		t.Fatalf("%d changes (%d paged), want %d", len(all), len(paged), len(hr.versions)+1)
	}
	seen := map[string]bool{}
	for i, c := range all {
		if paged[i].Hash != c.Hash {
			t.Fatalf("paging changes the order at %d", i)
		}
		for _, d := range c.Deps {
			if !seen[d] {
				t.Fatalf("change %d depends on %s, not listed before it", i, d)
			}
		}
		seen[c.Hash] = true
	}
	root := all[0]
	now := time.Now().Unix()
	if root.Actor != crdt.ServerActor || root.Seq != 1 || root.Person == nil || root.Person.Name != "Pairpad" ||
		root.Person.Colour != "#6b7280" || root.Time < now-600 || root.Time > now+5 || len(root.Deps) != 0 {
		t.Fatalf("root change %+v (person %+v)", root, root.Person)
	}
	want := []struct {
		actor             int
		inserted, deleted int
		ai, paste         bool
	}{{0, 0, 0, false, false}, {0, 15, 0, false, false}, {1, 19, 0, true, false}, {0, 5, 4, false, false}, {1, 14, 0, false, true}, {0, 0, 7, false, false}}
	for k, w := range want {
		c := all[k+1]
		if c.Hash != hr.versions[k].head || c.Actor != hr.actors[w.actor] || c.Inserted != w.inserted || c.Deleted != w.deleted || c.AI != w.ai || c.Paste != w.paste {
			t.Fatalf("change %d: %+v, want %+v by %s", k+1, c, w, hr.actors[w.actor])
		}
		if (c.Message != nil) != (w.ai || w.paste) {
			t.Fatalf("change %d message %v", k+1, c.Message)
		}
		if c.Actor == hr.actors[0] && (c.Person == nil || c.Person.Name != "Ada" || c.Person.Colour != "#ff0000") {
			t.Fatalf("change %d person %+v", k+1, c.Person)
		}
		if c.Actor == hr.actors[1] && c.Person != nil {
			t.Fatalf("change %d by a nameless actor has person %+v", k+1, c.Person)
		}
	}
	// the text at every version, and diffs between them
	current := hr.versions[len(hr.versions)-1].text
	for _, v := range hr.versions {
		resp, b := f.do(t, "GET", base+"/text?heads="+v.head, "")
		if resp.StatusCode != 200 || string(b) != v.text {
			t.Fatalf("text at %s: %d %q, want %q", v.head[:8], resp.StatusCode, b, v.text)
		}
		var edits []crdt.Edit
		getJSON(t, f, base+"/diff?from="+v.head, &edits)
		if got := applyDiff(v.text, edits); got != current {
			t.Fatalf("diff from %s gives %q, want %q", v.head[:8], got, current)
		}
		getJSON(t, f, base+"/diff?from="+hr.versions[len(hr.versions)-1].head+"&to="+v.head, &edits)
		if got := applyDiff(current, edits); got != v.text {
			t.Fatalf("diff back to %s gives %q, want %q", v.head[:8], got, v.text)
		}
	}
	// blame: the "ai" line and what is left of the paste are b's, the rest a's
	var spans []api.BlameSpan
	getJSON(t, f, base+"/blame", &spans)
	var b strings.Builder
	pos := 0
	for _, s := range spans {
		if s.From != pos || s.To <= s.From || s.Time < now-600 {
			t.Fatalf("span %+v at %d", s, pos)
		}
		if (s.Actor == hr.actors[0]) != (s.Person != nil && s.Person.Name == "Ada") {
			t.Fatalf("span %+v person %+v", s, s.Person)
		}
		seg := string([]rune(current)[s.From:s.To])
		if s.Actor == hr.actors[1] {
			b.WriteString(seg)
		}
		pos = s.To
	}
	if pos != utf8.RuneCountInString(current) || b.String() != " main\n\n\tfmt.Println(\"hé\")\n" {
		t.Fatalf("blame covers %d of %d; b wrote %q", pos, utf8.RuneCountInString(current), b.String())
	}
	// graph
	var g api.Graph
	getJSON(t, f, base+"/graph", &g)
	edges := 0
	for i, c := range all {
		edges += len(c.Deps)
		if g.Nodes[i].Hash != c.Hash || g.Nodes[i].Actor != c.Actor || g.Nodes[i].Seq != c.Seq || g.Nodes[i].Time != c.Time {
			t.Fatalf("graph node %d %+v", i, g.Nodes[i])
		}
	}
	if len(g.Nodes) != len(all) || len(g.Edges) != edges {
		t.Fatalf("graph: %d nodes %d edges", len(g.Nodes), len(g.Edges))
	}
	resp, dot := f.do(t, "GET", base+"/graph?format=dot", "")
	if resp.StatusCode != 200 || !strings.HasPrefix(string(dot), "digraph history {\n") || !strings.HasSuffix(string(dot), "}\n") ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/vnd.graphviz") {
		t.Fatalf("dot: %d %s", resp.StatusCode, dot)
	}
	edgeRe := regexp.MustCompile(`(?m)^  "([0-9a-f]{64})" -> "([0-9a-f]{64})";$`)
	nodeRe := regexp.MustCompile(`(?m)^  "([0-9a-f]{64})" \[label="[^"\n]*"\];$`)
	if len(edgeRe.FindAll(dot, -1)) != edges || len(nodeRe.FindAll(dot, -1)) != len(all) {
		t.Fatalf("dot has %d edges, %d nodes:\n%s", len(edgeRe.FindAll(dot, -1)), len(nodeRe.FindAll(dot, -1)), dot)
	}
	// trace: replaying it gives the text
	var tr crdt.ConcurrentTrace
	getJSON(t, f, base+"/trace", &tr)
	if tr.Kind != "concurrent" || tr.EndContent != current || len(tr.Txns) != len(all) || tr.NumAgents != 3 {
		t.Fatalf("trace header %+v", tr)
	}
	text := []rune{}
	for i, txn := range tr.Txns {
		// a line of edits: each transaction follows the one before (automerge
		// may also list older ancestors among its deps)
		if i > 0 && !slices.Contains(txn.Parents, i-1) {
			t.Fatalf("txn %d parents %v", i, txn.Parents)
		}
		for _, p := range txn.Patches {
			text = append(text[:p.Pos], append([]rune(p.Ins), text[p.Pos+p.Del:]...)...)
		}
	}
	if string(text) != current {
		t.Fatalf("trace replays to %q, want %q", string(text), current)
	}
	checkTimeline(t, f, base, all, current)
	return all
}

// checkTimeline: GET /timeline lists the changes of GET /history, and its
// character table gives each change's text as GET /text?heads= does (the
// room's changes form a line, so a prefix is the version of its last hash).
func checkTimeline(t *testing.T, f *fixture, base string, all []api.HistoryChange, current string) {
	t.Helper()
	var tl api.TimelineJSON
	getJSON(t, f, base+"/timeline", &tl)
	n := len(all)
	if tl.Changes != n || len(tl.Hashes) != 32*n || len(tl.Times) != 4*n || len(tl.ActorOf) != 4*n || len(tl.Flags) != n {
		t.Fatalf("timeline sizes: %d changes, %d/%d/%d/%d bytes", tl.Changes, len(tl.Hashes), len(tl.Times), len(tl.ActorOf), len(tl.Flags))
	}
	units := utf16.Encode([]rune(tl.Text))
	if len(tl.Ins) != 4*len(units) || len(tl.Del) != 4*len(units) {
		t.Fatalf("timeline table: %d code units, %d/%d bytes", len(units), len(tl.Ins), len(tl.Del))
	}
	textAt := func(i int) string {
		var out []uint16
		for k, u := range units {
			ins := int32(binary.LittleEndian.Uint32(tl.Ins[4*k:]))
			del := int32(binary.LittleEndian.Uint32(tl.Del[4*k:]))
			if int(ins) <= i && (del < 0 || int(del) > i) {
				out = append(out, u)
			}
		}
		return string(utf16.Decode(out))
	}
	for i, c := range all {
		if hex.EncodeToString(tl.Hashes[32*i:32*i+32]) != c.Hash || int64(binary.LittleEndian.Uint32(tl.Times[4*i:])) != c.Time ||
			tl.Actors[binary.LittleEndian.Uint32(tl.ActorOf[4*i:])] != c.Actor || (tl.Flags[i]&1 != 0) != c.AI || (tl.Flags[i]&2 != 0) != c.Paste {
			t.Fatalf("timeline change %d differs from the history's %+v", i, c)
		}
		resp, want := f.do(t, "GET", base+"/text?heads="+c.Hash, "")
		if resp.StatusCode != 200 {
			t.Fatalf("text at %s: %d", c.Hash, resp.StatusCode)
		}
		if got := textAt(i); got != string(want) {
			t.Fatalf("timeline text after change %d: %q, want %q", i, got, want)
		}
	}
	t.Logf("timeline: %d changes, %d code units checked", n, len(units))
	if textAt(n-1) != current {
		t.Fatal("the timeline's last text is not the current text")
	}
	for actor, p := range tl.People {
		if !slices.Contains(tl.Actors, actor) || p.Name == "" {
			t.Fatalf("people entry %s %+v", actor, p)
		}
	}
}

func TestHistoryEndpoints(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "")
	hr := buildHistoryRoom(t, f)
	// the room is still loaded (its last peers just left) or saving: both
	// paths must agree
	live := checkHistory(t, f, hr)
	deadline := time.Now().Add(10 * time.Second)
	for f.hub.Status(hr.id).Loaded {
		if time.Now().After(deadline) {
			t.Fatal("room never unloaded")
		}
		time.Sleep(20 * time.Millisecond)
	}
	f.hub.ForgetHistories() // else the live build, same heads, answers from the cache
	stored := checkHistory(t, f, hr)
	a, _ := json.Marshal(live)
	b, _ := json.Marshal(stored)
	if !bytes.Equal(a, b) {
		t.Fatalf("history of the loaded room differs from the stored one:\n%s\n%s", a, b)
	}
	_, m := f.do(t, "GET", "/metrics", "")
	for _, name := range []string{"pairpad_history_builds_total", "pairpad_history_rehashes_total", "pairpad_history_cache_hits_total"} {
		if !regexp.MustCompile(`(?m)^` + name + ` [1-9]`).Match(m) {
			t.Fatalf("metric %s not counted:\n%s", name, m)
		}
	}
	// Both builds rebuilt the change hashes in Go: automerge loaded nothing.
	for _, name := range []string{"pairpad_history_loads_total", "pairpad_history_rehash_failures_total"} {
		if !regexp.MustCompile(`(?m)^` + name + ` 0$`).Match(m) {
			t.Fatalf("metric %s counted:\n%s", name, m)
		}
	}
}

func TestHistoryBadInput(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "")
	room := f.createRoom(t, "").RoomID
	base := "/rooms/" + room
	var page api.HistoryPage
	getJSON(t, f, base+"/history", &page)
	if len(page.Changes) != 1 || page.Next != nil {
		t.Fatalf("new room history %+v", page)
	}
	unknown := strings.Repeat("ab", 32)
	root := page.Changes[0].Hash
	cases := []struct {
		path, code string
		status     int
	}{
		{base + "/history?limit=0", "invalid_param", 400},
		{base + "/history?limit=10001", "invalid_param", 400},
		{base + "/history?limit=x", "invalid_param", 400},
		{base + "/history?after=xyz", "invalid_param", 400},
		{base + "/history?after=" + unknown, "unknown_change", 400},
		{base + "/text?heads=", "invalid_param", 400},
		{base + "/text?heads=" + root + ",", "invalid_param", 400},
		{base + "/text?heads=" + unknown, "unknown_change", 400},
		{base + "/text?heads=" + strings.ToUpper(root[:63]), "invalid_param", 400},
		{base + "/diff", "invalid_param", 400},
		{base + "/diff?from=" + unknown, "unknown_change", 400},
		{base + "/diff?from=" + root + "&to=nope", "invalid_param", 400},
		{base + "/graph?format=svg", "invalid_param", 400},
		{"/rooms/" + crdt.NewDocumentID() + "/history", "room_not_found", 404},
		{"/rooms/" + crdt.NewDocumentID() + "/blame", "room_not_found", 404},
		{"/rooms/nope/trace", "invalid_room_id", 400},
	}
	for _, c := range cases {
		resp, b := f.do(t, "GET", c.path, "")
		if resp.StatusCode != c.status || errorCode(t, b) != c.code {
			t.Errorf("GET %s: %d %s, want %d %s", c.path, resp.StatusCode, b, c.status, c.code)
		}
	}
	// the end of the history: an empty page
	getJSON(t, f, base+"/history?after="+root, &page)
	if len(page.Changes) != 0 || page.Next != nil {
		t.Fatalf("after the last change: %+v", page)
	}
	// an empty room: empty text at its root, no spans
	resp, b := f.do(t, "GET", base+"/text?heads="+root, "")
	if resp.StatusCode != 200 || len(b) != 0 {
		t.Fatalf("text at root: %d %q", resp.StatusCode, b)
	}
	var spans []api.BlameSpan
	getJSON(t, f, base+"/blame", &spans)
	if spans == nil || len(spans) != 0 {
		t.Fatalf("blame of an empty room: %v", spans)
	}
}

type countingStore struct {
	*persistence.Memory
	creates atomic.Int64
}

func (s *countingStore) Create(ctx context.Context, rec pairsync.RoomRecord) error {
	s.creates.Add(1)
	return s.Memory.Create(ctx, rec)
}

func postDoc(t *testing.T, f *fixture, data []byte) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", f.srv.URL+"/rooms", bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	return resp, buf.Bytes()
}

func changeHashes(t *testing.T, data []byte) []string {
	t.Helper()
	d, err := automerge.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	chs, err := d.Changes()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range chs {
		out = append(out, c.Hash().String())
	}
	return out
}

func TestImportRoundTripsHistory(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "")
	hr := buildHistoryRoom(t, f)
	resp, exported := f.do(t, "GET", "/rooms/"+hr.id+"/snapshot", "")
	if resp.StatusCode != 200 {
		t.Fatal(resp.Status)
	}
	resp, b := postDoc(t, f, exported)
	if resp.StatusCode != 201 {
		t.Fatalf("import: %d %s", resp.StatusCode, b)
	}
	var created api.CreateRoomResponse
	if err := json.Unmarshal(b, &created); err != nil || !crdt.ValidDocumentID(created.RoomID) || created.RoomID == hr.id ||
		resp.Header.Get("Location") != "/rooms/"+created.RoomID {
		t.Fatalf("import response %s", b)
	}
	_, again := f.do(t, "GET", "/rooms/"+created.RoomID+"/snapshot", "")
	if got, want := changeHashes(t, again), changeHashes(t, exported); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("import changed the history:\n%v\n%v", got, want)
	}
	f.waitText(t, created.RoomID, hr.versions[len(hr.versions)-1].text)
	orig := allHistory(t, f, hr.id, 1000)
	imported := allHistory(t, f, created.RoomID, 1000)
	a, _ := json.Marshal(orig)
	c, _ := json.Marshal(imported)
	if !bytes.Equal(a, c) {
		t.Fatalf("imported history differs:\n%s\n%s", a, c)
	}
	var info api.RoomInfo
	getJSON(t, f, "/rooms/"+created.RoomID, &info)
	if info.Language != "go" {
		t.Fatalf("imported language %q", info.Language)
	}
}

func TestImportRefusesBadDocuments(t *testing.T) {
	t.Parallel()
	store := &countingStore{Memory: persistence.NewMemory()}
	hub := pairsync.NewHub(pairsync.Config{MaxDocBytes: 64, MaxFrameBytes: 4096}, store, zap.NewNop())
	srv := httptest.NewServer(api.New(api.Options{Hub: hub, Store: store, Log: zap.NewNop()}).Handler())
	defer srv.Close()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hub.Shutdown(ctx)
	}()
	f := &fixture{srv: srv, hub: hub}

	strContent := automerge.New()
	_ = strContent.Path("content").Set("not a text")
	_, _ = strContent.Commit("")
	noContent := automerge.New()
	_ = noContent.Path("other").Set(automerge.NewText("x"))
	_, _ = noContent.Commit("")
	big, _ := crdt.New("go")
	_ = big.Splice(0, 0, strings.Repeat("x", 100))
	bigData, _ := big.Save()
	ok, _ := crdt.New("rust")
	_ = ok.Splice(0, 0, "fn main() {}")
	okData, _ := ok.Save()
	cases := []struct {
		name   string
		body   []byte
		status int
		code   string
	}{
		{"empty", nil, 400, "invalid_document"},
		{"garbage", []byte("not automerge at all"), 400, "invalid_document"},
		{"truncated", okData[:len(okData)/2], 400, "invalid_document"},
		{"content is a string", strContent.Save(), 400, "invalid_document"},
		{"no content", noContent.Save(), 400, "invalid_document"},
		{"over MAX_DOC_BYTES", bigData, 413, "too_large"},
		{"over MAX_FRAME_BYTES", bytes.Repeat([]byte{0x85}, 5000), 413, "too_large"},
	}
	for _, c := range cases {
		resp, b := postDoc(t, f, c.body)
		if resp.StatusCode != c.status || errorCode(t, b) != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, resp.StatusCode, b, c.status, c.code)
		}
	}
	if n := store.creates.Load(); n != 0 {
		t.Fatalf("%d rooms stored from refused imports", n)
	}
	resp, b := postDoc(t, f, okData)
	if resp.StatusCode != 201 {
		t.Fatalf("good import: %d %s", resp.StatusCode, b)
	}
}
