package crdt

import (
	"math/rand"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/automerge/automerge-go"
)

// twoWriters builds a room edited by two actors, with concurrent edits and
// merges; it returns the document, every change hash and the characters
// each change inserted and deleted as the test made them.
func twoWriters(t testing.TB, seed int64, steps int) (*Doc, map[automerge.ChangeHash][2]int) {
	t.Helper()
	a, err := New("go")
	if err != nil {
		t.Fatal(err)
	}
	b := copyTB(t, a)
	counts := map[automerge.ChangeHash][2]int{}
	rng := rand.New(rand.NewSource(seed))
	alphabet := []rune("abcdefghé€\n 𝄞")
	edit := func(d *Doc) {
		text, _ := d.Text()
		n := utf8.RuneCountInString(text)
		pos := rng.Intn(n + 1)
		del := 0
		if n-pos > 0 && rng.Intn(3) == 0 {
			del = rng.Intn(min(4, n-pos) + 1)
		}
		var ins strings.Builder
		for k := rng.Intn(4); k > 0; k-- {
			ins.WriteRune(alphabet[rng.Intn(len(alphabet))])
		}
		if del == 0 && ins.Len() == 0 {
			ins.WriteRune('x')
		}
		if err := d.Splice(pos, del, ins.String()); err != nil {
			t.Fatal(err)
		}
		counts[d.Heads()[0]] = [2]int{utf8.RuneCountInString(ins.String()), del}
	}
	for i := 0; i < steps; i++ {
		switch rng.Intn(5) {
		case 0, 1:
			edit(a)
		case 2, 3:
			edit(b)
		default:
			if err := a.Merge(saveTB(t, b)); err != nil {
				t.Fatal(err)
			}
			if err := b.Merge(saveTB(t, a)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := a.Merge(saveTB(t, b)); err != nil {
		t.Fatal(err)
	}
	return a, counts
}

func buildHistory(t testing.TB, d *Doc) *History {
	t.Helper()
	src, err := d.HistorySource()
	if err != nil {
		t.Fatal(err)
	}
	h, err := BuildHistory(src)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func textAtHeads(t testing.TB, d *Doc, heads ...automerge.ChangeHash) string {
	t.Helper()
	f, err := d.am.Fork(heads...)
	if err != nil {
		t.Fatal(err)
	}
	v, err := f.Path(FieldContent).Get()
	if err != nil {
		t.Fatal(err)
	}
	if v.Kind() != automerge.KindText {
		return ""
	}
	s, err := v.Text().Get()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Every change's counts, every version's text and the people map agree with
// what automerge itself says.
func TestHistoryMatchesAutomerge(t *testing.T) {
	for seed := int64(1); seed <= 3; seed++ {
		d, counts := twoWriters(t, seed, 120)
		h := buildHistory(t, d)
		chs, _ := d.am.Changes()
		if len(h.Changes) != len(chs) {
			t.Fatalf("seed %d: %d changes, automerge has %d", seed, len(h.Changes), len(chs))
		}
		seen := map[automerge.ChangeHash]int{}
		for i, c := range h.Changes {
			for _, dep := range c.Deps {
				if dep >= i {
					t.Fatalf("change %d depends on later change %d: not causal order", i, dep)
				}
			}
			seen[c.Hash] = i
			if want, ok := counts[c.Hash]; ok && (c.Inserted != want[0] || c.Deleted != want[1]) {
				t.Fatalf("seed %d change %d: inserted/deleted %d/%d, made %d/%d", seed, i, c.Inserted, c.Deleted, want[0], want[1])
			}
		}
		for _, c := range chs {
			i, ok := seen[c.Hash()]
			if !ok {
				t.Fatalf("change %s missing from the history", c.Hash())
			}
			got := h.Changes[i]
			if h.Actors[got.Actor] != c.ActorID() || got.Seq != c.ActorSeq() || got.Message != c.Message() {
				t.Fatalf("change %d metadata differs: %+v vs %s/%d %q", i, got, c.ActorID(), c.ActorSeq(), c.Message())
			}
			if len(got.Deps) != len(c.Dependencies()) {
				t.Fatalf("change %d deps differ", i)
			}
			v, err := h.VersionAt([]automerge.ChangeHash{c.Hash()})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := h.TextAt(v), textAtHeads(t, d, c.Hash()); got != want {
				t.Fatalf("seed %d text at %s:\n got %q\nwant %q", seed, c.Hash(), got, want)
			}
		}
		if h.Changes[0].Time > 1e11 || h.Actors[h.Changes[0].Actor] != ServerActor {
			t.Fatalf("root change: actor %s time %d", h.Actors[h.Changes[0].Actor], h.Changes[0].Time)
		}
		if p, ok := h.PersonOf(ServerActor); !ok || p.Name != ServerName || p.Colour != ServerColour {
			t.Fatalf("people[pairpad] = %+v, %v", p, ok)
		}
		cur, _ := h.VersionAt(nil)
		text, _ := d.Text()
		if h.TextAt(cur) != text {
			t.Fatal("current text differs")
		}
	}
}

func applyEdits(s string, edits []Edit) string {
	r := []rune(s)
	for _, e := range edits {
		r = append(r[:e.Pos], append([]rune(e.Insert), r[e.Pos+e.Delete:]...)...)
	}
	return string(r)
}

func TestHistoryDiffTurnsOneVersionIntoAnother(t *testing.T) {
	d, _ := twoWriters(t, 7, 150)
	h := buildHistory(t, d)
	rng := rand.New(rand.NewSource(1))
	for k := 0; k < 200; k++ {
		i, j := rng.Intn(len(h.Changes)), rng.Intn(len(h.Changes))
		vf := h.versionOf([]int{i})
		vt := h.versionOf([]int{j})
		edits := h.Diff(vf, vt)
		if got, want := applyEdits(h.TextAt(vf), edits), h.TextAt(vt); got != want {
			t.Fatalf("diff %d -> %d: got %q want %q (edits %+v)", i, j, got, want, edits)
		}
		for _, e := range edits {
			if e.Actor == "" || (e.Delete == 0) == (e.Insert == "") {
				t.Fatalf("bad edit %+v", e)
			}
		}
	}
}

func TestHistoryBlameCoversTheText(t *testing.T) {
	d, _ := twoWriters(t, 3, 100)
	h := buildHistory(t, d)
	text, _ := d.Text()
	spans := h.Blame()
	pos := 0
	actors := map[string]bool{}
	for k, s := range spans {
		if s.From != pos || s.To <= s.From {
			t.Fatalf("span %d %+v does not continue at %d", k, s, pos)
		}
		if k > 0 && spans[k-1].Actor == s.Actor && spans[k-1].Kind == s.Kind {
			t.Fatalf("adjacent spans %d and %d by the same actor and kind", k-1, k)
		}
		actors[s.Actor] = true
		pos = s.To
	}
	if pos != utf8.RuneCountInString(text) || len(actors) != 2 {
		t.Fatalf("blame covers %d of %d characters, %d actors", pos, utf8.RuneCountInString(text), len(actors))
	}
}

// replayTrace replays a concurrent trace with automerge: each transaction
// starts from a fork at its parents' changes.
func replayTrace(t testing.TB, tr *ConcurrentTrace) string {
	t.Helper()
	doc := automerge.New()
	hashes := make([]automerge.ChangeHash, len(tr.Txns))
	for i, txn := range tr.Txns {
		var parents []automerge.ChangeHash
		for _, p := range txn.Parents {
			parents = append(parents, hashes[p])
		}
		var f *automerge.Doc
		var err error
		if len(parents) == 0 {
			f = automerge.New()
		} else if f, err = doc.Fork(parents...); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if err := f.Path("content").Set(automerge.NewText("")); err != nil {
				t.Fatal(err)
			}
		}
		for _, p := range txn.Patches {
			if err := f.Path("content").Text().Splice(p.Pos, p.Del, p.Ins); err != nil {
				t.Fatalf("txn %d patch %+v: %v", i, p, err)
			}
		}
		h, err := f.Commit("", automerge.CommitOptions{AllowEmpty: true})
		if err != nil {
			t.Fatal(err)
		}
		hashes[i] = h
		if i > 0 {
			if _, err := doc.Merge(f); err != nil {
				t.Fatal(err)
			}
		} else {
			doc = f
		}
	}
	s, err := doc.Path("content").Text().Get()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestHistoryTraceReplaysToTheText(t *testing.T) {
	// Concurrent edits merge in an order that depends on actor ids, so the
	// replay matches exactly when no two writers insert at the same place:
	// a linear session, and a concurrent one checked for convergence shape.
	a, _ := New("go")
	for _, s := range []string{"hello", " world", "!"} {
		text, _ := a.Text()
		_ = a.Splice(utf8.RuneCountInString(text), 0, s)
	}
	_ = a.Splice(0, 1, "H")
	b, _ := Load(saveTB(t, a))
	_ = a.Splice(0, 0, "«")
	_ = b.Splice(12, 0, "»")
	_ = b.Splice(5, 1, "_")
	_ = a.Merge(saveTB(t, b))
	_ = a.Splice(2, 0, "é")
	h := buildHistory(t, a)
	tr, err := h.Trace(0)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := a.Text()
	if tr.EndContent != text || tr.Kind != "concurrent" || tr.NumAgents != 3 || len(tr.Txns) != len(h.Changes) {
		t.Fatalf("trace header: %q agents %d txns %d", tr.EndContent, tr.NumAgents, len(tr.Txns))
	}
	if got := replayTrace(t, tr); got != text {
		t.Fatalf("replayed trace gives %q, room has %q", got, text)
	}
	children := 0
	for _, txn := range tr.Txns {
		children += txn.NumChildren
	}
	parents := 0
	for _, txn := range tr.Txns {
		parents += len(txn.Parents)
	}
	if children != parents {
		t.Fatalf("numChildren sum %d != parents %d", children, parents)
	}
	if _, err := h.Trace(1); err != ErrTraceTooCostly {
		t.Fatalf("work limit: %v", err)
	}
}

func TestParseHeads(t *testing.T) {
	good := strings.Repeat("ab", 32)
	if hs, err := ParseHeads(good + "," + good); err != nil || len(hs) != 1 {
		t.Fatalf("%v %v", hs, err)
	}
	for _, bad := range []string{"", ",", good[:63], good + "0", strings.Repeat("zz", 32), good + ",", strings.Repeat(good+",", 1100) + good} {
		if _, err := ParseHeads(bad); err == nil {
			t.Fatalf("%q accepted", clip(bad))
		}
	}
}

func FuzzParseHeads(f *testing.F) {
	good := strings.Repeat("0f", 32)
	for _, s := range []string{"", good, good + "," + good, "x", good[:10] + "," + good, " " + good} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		hs, err := ParseHeads(s)
		if err != nil {
			return
		}
		for _, h := range hs {
			if !strings.Contains(strings.ToLower(s), HashString(h)) {
				t.Fatalf("parsed %s from %q", HashString(h), s)
			}
		}
	})
}

// copyTB is another replica of d: a load of its saved form.
func copyTB(t testing.TB, d *Doc) *Doc {
	t.Helper()
	c, err := Load(saveTB(t, d))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func saveTB(t testing.TB, d *Doc) []byte {
	t.Helper()
	b, err := d.Save()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzBuildHistory: whatever the bytes, decoding a document chunk and every
// view of the result return (an error or a value) without panicking.
func FuzzBuildHistory(f *testing.F) {
	d, _ := twoWriters(f, 5, 30)
	saved := saveTB(f, d)
	f.Add(saved)
	f.Add(saved[:len(saved)/2])
	e, _ := New("go")
	f.Add(saveTB(f, e))
	f.Add([]byte{0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 0, 2, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := decodeDocChunk(data)
		if err != nil {
			return
		}
		src := HistorySource{Saved: data, Hashes: make([]automerge.ChangeHash, len(c.changes))}
		for i := range src.Hashes {
			src.Hashes[i][0], src.Hashes[i][1] = byte(i), byte(i>>8)
		}
		h, err := BuildHistory(src)
		if err != nil {
			return
		}
		cur, _ := h.VersionAt(nil)
		_ = h.TextAt(cur)
		_ = h.Blame()
		if len(h.Changes) > 0 {
			_ = h.Diff(h.versionOf([]int{0}), cur)
		}
		_, _ = h.Trace(1 << 20)
	})
}

// Blame tells typed, pasted and AI-accepted characters apart, from the
// inserting change's message, even when one actor made all three.
func TestHistoryBlameKinds(t *testing.T) {
	d, err := New("go")
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct{ text, message string }{{"typed ", ""}, {"pasted ", "paste"}, {"suggested", "ai"}, {"!", "other"}}
	pos := 0
	for _, s := range steps {
		if s.message == "" {
			err = d.Splice(pos, 0, s.text)
		} else {
			err = d.SpliceMessage(pos, 0, s.text, s.message)
		}
		if err != nil {
			t.Fatal(err)
		}
		pos += len(s.text)
	}
	var got []string
	for _, sp := range buildHistory(t, d).Blame() {
		got = append(got, sp.Kind)
	}
	if want := []string{"typed", "paste", "ai", "typed"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("kinds %v, want %v", got, want)
	}
}

// The timeline's character table gives, at every causal-order prefix, the
// text the history computes for that version (and automerge for the last).
func TestTimelineCharsMatchEveryPrefix(t *testing.T) {
	for seed := int64(1); seed <= 3; seed++ {
		d, _ := twoWriters(t, seed, 150)
		h := buildHistory(t, d)
		tl := h.Timeline()
		if len(tl.Ins) != len(tl.Del) || len(tl.Ins) != len(utf16.Encode([]rune(tl.Text))) {
			t.Fatalf("seed %d: %d ins, %d del for %d code units", seed, len(tl.Ins), len(tl.Del), len(utf16.Encode([]rune(tl.Text))))
		}
		v := make(Version, len(h.Changes))
		for i := range h.Changes {
			v[i] = true
			if got, want := tl.TextAtPrefix(i), h.TextAt(v); got != want {
				t.Fatalf("seed %d prefix %d:\n got %q\nwant %q", seed, i, got, want)
			}
		}
		text, _ := d.Text()
		if tl.TextAtPrefix(len(h.Changes)-1) != text {
			t.Fatalf("seed %d: the last prefix is not the document's text", seed)
		}
	}
}

// Replacing the content object: the old text disappears when the new
// object wins, and the new one appears.
func TestTimelineCharsContentReplaced(t *testing.T) {
	d, err := New("go")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Splice(0, 0, "old text"); err != nil {
		t.Fatal(err)
	}
	if err := guard(func() error { return d.live().Path(FieldContent).Set(automerge.NewText("new")) }); err != nil {
		t.Fatal(err)
	}
	if _, err := d.live().Commit("replace"); err != nil {
		t.Fatal(err)
	}
	if err := d.Splice(3, 0, "er"); err != nil {
		t.Fatal(err)
	}
	h := buildHistory(t, d)
	tl := h.Timeline()
	v := make(Version, len(h.Changes))
	var seen []string
	for i := range h.Changes {
		v[i] = true
		got := tl.TextAtPrefix(i)
		if want := h.TextAt(v); got != want {
			t.Fatalf("prefix %d: got %q want %q", i, got, want)
		}
		seen = append(seen, got)
	}
	if !slices.Contains(seen, "old text") || seen[len(seen)-1] != "newer" {
		t.Fatalf("texts along the way: %q", seen)
	}
}
