package crdt

import (
	"bytes"
	"container/heap"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	stdsync "sync"
	"unicode/utf8"

	"github.com/automerge/automerge-go"
)

// History is a room's change log read for people: every change with its
// author, time and what it did to the content, the text at any version,
// diffs between versions, blame and an editing-trace export. It is built in
// Go from the saved document chunk (docchunk.go) plus the change hashes,
// which only automerge computes (HistorySource); once built it needs no
// automerge document and is safe for concurrent reads.
type History struct {
	Actors  []string // hex, the document's actor table
	Changes []HistChange
	byHash  map[automerge.ChangeHash]int
	// heads: indexes of the current heads
	heads []int
	// elems: the characters ever inserted into the content text objects,
	// in document order
	elems []elem
	// contents: the text objects ever put at root "content", by op id
	contents []contentObj
	// people at the current heads
	people map[string]Person
	// dels: the deleting changes of characters deleted more than once
	// (concurrently); multi: values of more than one code point
	dels  [][]int32
	multi []string

	timelineOnce stdsync.Once
	timeline     TimelineChars
}

// HistChange is one change. Index fields refer to History.Changes.
type HistChange struct {
	Hash       automerge.ChangeHash
	Actor      int32 // into History.Actors
	Seq        uint64
	Time       int64 // seconds since the Unix epoch (milliseconds normalised)
	Message    string
	HasMessage bool
	Deps       []int
	Inserted   int // characters of content inserted by this change
	Deleted    int // characters of content deleted by this change
	maxOp      uint64
}

// Person is an entry of the document's people map.
type Person struct {
	Name   string `json:"name"`
	Colour string `json:"colour"`
}

// elem is one character (pointer-free and small: rustcode has 522,531).
type elem struct {
	obj int32 // index into contents
	ins int32 // change that inserted it
	del int32 // first change that deleted it, -1 if none; -2-k: several, History.dels[k]
	r   rune  // the character; -1-k: History.multi[k] (an op holding several)
}

type contentObj struct {
	id   opID
	ch   int32   // change that made it
	succ []int32 // changes that overwrote root "content"
}

// HistorySource is what a room hands out of its goroutine to build a
// History: the saved document and the hash of each of its changes, in the
// order the saved document lists them.
type HistorySource struct {
	Saved  []byte
	Hashes []automerge.ChangeHash
}

// HistorySource reads what BuildHistory needs from the document: its saved
// form (cached) and every change's hash. automerge lists its changes in the
// order it saves them; that is checked (each change's seq, each actor's
// first change, the heads), and if it ever did not hold, the changes are
// matched by actor and seq instead (~10 µs more per change). rustcode's
// 40,173 changes take ~250 ms here (BENCHMARKS.md).
func (d *Doc) HistorySource() (HistorySource, error) {
	saved, err := d.Save()
	if err != nil {
		return HistorySource{}, err
	}
	c, err := decodeDocChunk(saved)
	if err != nil {
		return HistorySource{}, err
	}
	src := HistorySource{Saved: saved, Hashes: make([]automerge.ChangeHash, len(c.changes))}
	err = guard(func() error {
		chs, err := d.live().Changes()
		if err != nil {
			return err
		}
		if len(chs) != len(c.changes) {
			return fmt.Errorf("%d changes saved, %d in the document", len(c.changes), len(chs))
		}
		if sameOrder(c, chs) {
			for i, ch := range chs {
				src.Hashes[i] = ch.Hash()
			}
			if headsListed(c, src.Hashes) {
				return nil
			}
		}
		byActorSeq := make(map[ActorSeq]automerge.ChangeHash, len(chs))
		for _, ch := range chs {
			byActorSeq[ActorSeq{ch.ActorID(), ch.ActorSeq()}] = ch.Hash()
		}
		for i, rc := range c.changes {
			h, ok := byActorSeq[ActorSeq{c.actorHex(rc.actor), rc.seq}]
			if !ok {
				return fmt.Errorf("no change %s/%d in the document", c.actorHex(rc.actor), rc.seq)
			}
			src.Hashes[i] = h
		}
		return nil
	})
	return src, err
}

func sameOrder(c *docChunk, chs []*automerge.Change) bool {
	checked := make([]bool, len(c.actors))
	for i, ch := range chs {
		rc := c.changes[i]
		if ch.ActorSeq() != rc.seq {
			return false
		}
		if !checked[rc.actor] {
			if ch.ActorID() != c.actorHex(rc.actor) {
				return false
			}
			checked[rc.actor] = true
		}
	}
	return true
}

// headsListed: the saved heads are the hashes of the changes nothing
// depends on.
func headsListed(c *docChunk, hashes []automerge.ChangeHash) bool {
	depended := make([]bool, len(c.changes))
	for _, rc := range c.changes {
		for _, d := range rc.deps {
			depended[d] = true
		}
	}
	want := map[automerge.ChangeHash]bool{}
	for i, h := range hashes {
		if !depended[i] {
			want[h] = true
		}
	}
	if len(want) != len(c.heads) {
		return false
	}
	for _, h := range c.heads {
		if !want[h] {
			return false
		}
	}
	return true
}

// ActorSeq names a change by its author and sequence number.
type ActorSeq struct {
	Actor string
	Seq   uint64
}

// ErrUnknownChange: a hash that names no change of the document.
var ErrUnknownChange = errors.New("unknown change hash")

// BuildHistory decodes src.
func BuildHistory(src HistorySource) (*History, error) {
	c, err := decodeDocChunk(src.Saved)
	if err != nil {
		return nil, err
	}
	h := &History{byHash: make(map[automerge.ChangeHash]int, len(c.changes))}
	for i := range c.actors {
		h.Actors = append(h.Actors, c.actorHex(int32(i)))
	}
	// Changes in a stable topological order: the chunk's order when it is
	// one (automerge writes them so), else Kahn's algorithm taking the
	// lowest chunk index first.
	order := topoOrder(c.changes)
	pos := make([]int, len(c.changes))
	for i, ci := range order {
		pos[ci] = i
	}
	h.Changes = make([]HistChange, len(order))
	for i, ci := range order {
		rc := c.changes[ci]
		if len(src.Hashes) != len(c.changes) {
			return nil, fmt.Errorf("%w: %d hashes for %d changes", errChunk, len(src.Hashes), len(c.changes))
		}
		hash := src.Hashes[ci]
		hc := HistChange{Hash: hash, Actor: rc.actor, Seq: rc.seq, Time: normaliseTime(rc.time),
			Message: rc.message, HasMessage: rc.hasMessage, maxOp: rc.maxOp}
		for _, d := range rc.deps {
			hc.Deps = append(hc.Deps, pos[d])
		}
		h.Changes[i] = hc
		h.byHash[hash] = i
	}
	for _, hd := range c.heads {
		i, ok := h.byHash[hd]
		if !ok {
			return nil, fmt.Errorf("%w: head %x is not a change", errChunk, hd[:4])
		}
		h.heads = append(h.heads, i)
	}
	if len(c.heads) == 0 { // older chunks: heads are the changes no one depends on
		h.heads = h.computeHeads(len(h.Changes))
	}
	if err := h.readOps(c, newOwnerIndex(h)); err != nil {
		return nil, err
	}
	return h, nil
}

// normaliseTime: JavaScript clients stamp seconds; automerge-go (and
// Pairpad's root change before it was fixed) milliseconds.
func normaliseTime(t int64) int64 {
	if t > 1e11 || t < -1e11 {
		return t / 1000
	}
	return t
}

func topoOrder(chs []rawChange) []int {
	sorted := true
	for i, c := range chs {
		for _, d := range c.deps {
			if int(d) >= i {
				sorted = false
			}
		}
	}
	out := make([]int, 0, len(chs))
	if sorted {
		for i := range chs {
			out = append(out, i)
		}
		return out
	}
	waiting := make([]int, len(chs))
	children := make([][]int, len(chs))
	for i, c := range chs {
		waiting[i] = len(c.deps)
		for _, d := range c.deps {
			children[d] = append(children[d], i)
		}
	}
	q := &intHeap{}
	for i := range chs {
		if waiting[i] == 0 {
			heap.Push(q, i)
		}
	}
	for q.Len() > 0 {
		i := heap.Pop(q).(int)
		out = append(out, i)
		for _, ch := range children[i] {
			if waiting[ch]--; waiting[ch] == 0 {
				heap.Push(q, ch)
			}
		}
	}
	return out // a cycle (impossible for hashed changes) drops its members
}

type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (h *History) computeHeads(n int) []int {
	has := make([]bool, n)
	for _, c := range h.Changes[:n] {
		for _, d := range c.Deps {
			has[d] = true
		}
	}
	var out []int
	for i := 0; i < n; i++ {
		if !has[i] {
			out = append(out, i)
		}
	}
	return out
}

// ownerIndex maps an operation id to the change that made it: each actor's
// changes sorted by seq, found by their max op.
type ownerIndex struct {
	byActor [][]int // actor -> change indexes by seq
	h       *History
}

func newOwnerIndex(h *History) *ownerIndex {
	o := &ownerIndex{byActor: make([][]int, len(h.Actors)), h: h}
	for i, c := range h.Changes {
		o.byActor[c.Actor] = append(o.byActor[c.Actor], i)
	}
	for _, l := range o.byActor {
		sort.Slice(l, func(a, b int) bool { return h.Changes[l[a]].Seq < h.Changes[l[b]].Seq })
	}
	return o
}

func (o *ownerIndex) of(id opID) int32 {
	if id.actor < 0 || int(id.actor) >= len(o.byActor) {
		return -1
	}
	l := o.byActor[id.actor]
	k := sort.Search(len(l), func(i int) bool { return o.h.Changes[l[i]].maxOp >= id.ctr })
	if k == len(l) {
		return -1
	}
	return int32(l[k])
}

func (h *History) readOps(c *docChunk, own *ownerIndex) error {
	// Objects come in order of their ids, the root first: the root's ops
	// (content, people) are known before the objects they name. Text
	// characters are read as they stream by; the few other map operations
	// (people entries) are kept for the end.
	objIndex := map[opID]int32{}
	fieldTexts := map[opID]*strings.Builder{}
	var peopleObjs, mapOps []keptOp
	err := c.eachOp(func(op *rawOp) {
		switch {
		case op.obj.isRoot():
			if op.keyStr == FieldContent && op.action == actMakeText {
				co := contentObj{id: op.id, ch: own.of(op.id)}
				for _, s := range op.succ {
					co.succ = append(co.succ, own.of(s))
				}
				objIndex[op.id] = int32(len(h.contents))
				h.contents = append(h.contents, co)
			}
			if op.keyStr == FieldPeople && op.action == actMakeMap && len(op.succ) == 0 {
				peopleObjs = append(peopleObjs, keep(op))
			}
		case op.insert:
			oi, ok := objIndex[op.obj]
			if !ok || !op.isStr {
				if b := fieldTexts[op.obj]; b != nil && op.isStr && len(op.succ) == 0 {
					b.Write(op.val)
				}
				return
			}
			e := elem{obj: oi, ins: own.of(op.id), del: -1}
			n := 1
			if r, size := utf8.DecodeRune(op.val); size == len(op.val) && size > 0 {
				e.r = r
			} else {
				e.r = rune(-1 - len(h.multi))
				h.multi = append(h.multi, string(op.val))
				n = utf8.RuneCount(op.val)
			}
			if e.ins >= 0 {
				h.Changes[e.ins].Inserted += n
			}
			for _, s := range op.succ {
				d := own.of(s)
				if d < 0 {
					continue
				}
				h.Changes[d].Deleted += n
				switch {
				case e.del == -1:
					e.del = d
				case e.del >= 0:
					h.dels = append(h.dels, []int32{e.del, d})
					e.del = int32(-1 - len(h.dels))
				default:
					k := -2 - e.del
					h.dels[k] = append(h.dels[k], d)
				}
			}
			h.elems = append(h.elems, e)
		case len(op.succ) == 0 && op.keyStr != "" && (op.action == actMakeMap || (op.action == actSet && op.isStr)):
			mapOps = append(mapOps, keep(op))
		case len(op.succ) == 0 && (op.keyStr == "name" || op.keyStr == "colour") && op.action == actMakeText:
			// a person's name or colour written as a text (JavaScript
			// clients write strings so): its characters follow later, in
			// its own object
			mapOps = append(mapOps, keep(op))
			fieldTexts[op.id] = &strings.Builder{}
		}
	})
	if err != nil {
		return err
	}
	// people: the winning map at root "people", each winning entry map's
	// winning name and colour (winner: the highest op id, as automerge
	// picks among concurrent values)
	h.people = map[string]Person{}
	people, ok := h.winner(peopleObjs)
	if !ok {
		return nil
	}
	entries := map[string][]keptOp{}
	fields := map[opID]map[string][]keptOp{}
	for _, op := range mapOps {
		if op.obj == people.id && op.action == actMakeMap {
			entries[op.key] = append(entries[op.key], op)
		}
		if op.action == actSet || op.action == actMakeText {
			if b := fieldTexts[op.id]; b != nil {
				op.str = b.String()
			}
			m := fields[op.obj]
			if m == nil {
				m = map[string][]keptOp{}
				fields[op.obj] = m
			}
			m[op.key] = append(m[op.key], op)
		}
	}
	for actor, ops := range entries {
		e, _ := h.winner(ops)
		var p Person
		if v, ok := h.winner(fields[e.id]["name"]); ok {
			p.Name = v.str
		}
		if v, ok := h.winner(fields[e.id]["colour"]); ok {
			p.Colour = v.str
		}
		h.people[actor] = p
	}
	return nil
}

// keptOp is a map operation kept past eachOp.
type keptOp struct {
	obj, id opID
	key     string
	action  uint64
	str     string
}

func keep(op *rawOp) keptOp {
	return keptOp{obj: op.obj, id: op.id, key: op.keyStr, action: op.action, str: string(op.val)}
}

// winner is the op automerge shows among concurrent ones: highest counter,
// then highest actor id.
func (h *History) winner(ops []keptOp) (keptOp, bool) {
	if len(ops) == 0 {
		return keptOp{}, false
	}
	best := ops[0]
	for _, op := range ops[1:] {
		if h.opLess(best.id, op.id) {
			best = op
		}
	}
	return best, true
}

func (h *History) opLess(a, b opID) bool {
	if a.ctr != b.ctr {
		return a.ctr < b.ctr
	}
	return h.Actors[a.actor] < h.Actors[b.actor]
}

// People returns the people map at the current heads.
func (h *History) People() map[string]Person { return h.people }

// PersonOf returns the people entry of an actor, if any.
func (h *History) PersonOf(actor string) (Person, bool) {
	p, ok := h.people[actor]
	return p, ok
}

// Index returns a change's index by hash.
func (h *History) Index(hash automerge.ChangeHash) (int, bool) {
	i, ok := h.byHash[hash]
	return i, ok
}

// Heads returns the indexes of the current heads.
func (h *History) Heads() []int { return h.heads }

// Version is a set of changes: the ancestors of some heads, inclusive.
type Version []bool

// VersionAt returns the version of the given heads; nil heads: the current
// version. ErrUnknownChange for a hash the document does not hold.
func (h *History) VersionAt(heads []automerge.ChangeHash) (Version, error) {
	var idx []int
	if heads == nil {
		idx = h.heads
	}
	for _, hd := range heads {
		i, ok := h.byHash[hd]
		if !ok {
			return nil, fmt.Errorf("%w: %s", ErrUnknownChange, hd)
		}
		idx = append(idx, i)
	}
	return h.versionOf(idx), nil
}

func (h *History) versionOf(idx []int) Version {
	v := make(Version, len(h.Changes))
	stack := append([]int(nil), idx...)
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if v[i] {
			continue
		}
		v[i] = true
		stack = append(stack, h.Changes[i].Deps...)
	}
	return v
}

func (v Version) has(i int32) bool { return i >= 0 && int(i) < len(v) && v[i] }

// contentAt is the content object visible at v (-1: none): the
// highest-id text put at root "content" by a change in v and not
// overwritten in v.
func (h *History) contentAt(v Version) int32 {
	best := int32(-1)
	for i, co := range h.contents {
		if !v.has(co.ch) {
			continue
		}
		over := false
		for _, s := range co.succ {
			if v.has(s) {
				over = true
			}
		}
		if over {
			continue
		}
		if best < 0 || h.opLess(h.contents[best].id, co.id) {
			best = int32(i)
		}
	}
	return best
}

func (h *History) visibleIn(e *elem, v Version) bool {
	return v.has(e.ins) && h.deleter(e, v) < 0
}

// deleter returns the first change in v that deleted e (-1: none).
func (h *History) deleter(e *elem, v Version) int32 {
	if e.del >= 0 {
		if v.has(e.del) {
			return e.del
		}
		return -1
	}
	if e.del == -1 {
		return -1
	}
	for _, d := range h.dels[-2-e.del] {
		if v.has(d) {
			return d
		}
	}
	return -1
}

// deleters lists every change that deleted e.
func (h *History) deleters(e *elem) []int32 {
	switch {
	case e.del >= 0:
		return []int32{e.del}
	case e.del == -1:
		return nil
	}
	return h.dels[-2-e.del]
}

func (h *History) text(e *elem) string {
	if e.r >= 0 {
		return string(e.r)
	}
	return h.multi[-1-e.r]
}

func (h *History) width(e *elem) int {
	if e.r >= 0 {
		return 1
	}
	return utf8.RuneCountInString(h.multi[-1-e.r])
}

func (h *History) writeText(b *strings.Builder, e *elem) {
	if e.r >= 0 {
		b.WriteRune(e.r)
	} else {
		b.WriteString(h.multi[-1-e.r])
	}
}

// TextAt returns the content at version v.
func (h *History) TextAt(v Version) string {
	obj := h.contentAt(v)
	var b strings.Builder
	for i := range h.elems {
		e := &h.elems[i]
		if e.obj == obj && h.visibleIn(e, v) {
			h.writeText(&b, e)
		}
	}
	return b.String()
}

// Edit is one step of a diff: at Pos (Unicode code points, in the text as
// edited so far), delete Delete characters or insert Insert, by Actor.
type Edit struct {
	Pos    int    `json:"pos"`
	Delete int    `json:"delete"`
	Insert string `json:"insert"`
	Actor  string `json:"actor"`
}

// Diff returns the edits that turn the text at from into the text at to,
// in order (each position counts the text as edited by the edits before
// it). Deleted characters are attributed to the change that deleted them
// (in to), inserted ones to their author. When the content object itself
// was replaced between the versions, the diff deletes the old text and
// inserts the new one.
func (h *History) Diff(from, to Version) []Edit {
	of, ot := h.contentAt(from), h.contentAt(to)
	var out []Edit
	pos := 0
	add := func(del int, ins string, actor string) {
		if n := len(out); n > 0 {
			last := &out[n-1]
			if last.Actor == actor {
				switch {
				case del > 0 && last.Insert == "" && last.Pos == pos:
					last.Delete += del
					return
				case ins != "" && last.Delete == 0 && last.Pos+utf8.RuneCountInString(last.Insert) == pos:
					last.Insert += ins
					return
				}
			}
		}
		out = append(out, Edit{Pos: pos, Delete: del, Insert: ins, Actor: actor})
	}
	for i := range h.elems {
		e := &h.elems[i]
		vf := e.obj == of && h.visibleIn(e, from)
		vt := e.obj == ot && h.visibleIn(e, to)
		switch {
		case vf && vt:
			pos += h.width(e)
		case vf:
			actor := ""
			if d := h.deleter(e, to); d >= 0 {
				actor = h.Actors[h.Changes[d].Actor]
			} else if ot >= 0 && ot != of {
				actor = h.Actors[h.Changes[h.contents[ot].ch].Actor]
			} else {
				// to is older than its insertion: going back undoes its
				// author's work
				actor = h.Actors[h.Changes[e.ins].Actor]
			}
			add(h.width(e), "", actor)
		case vt:
			add(0, h.text(e), h.Actors[h.Changes[e.ins].Actor])
			pos += h.width(e)
		}
	}
	return out
}

// Span is a run of the current text written by one actor: characters
// [From, To) (Unicode code points). Time is the latest change time among
// its characters.
type Span struct {
	From  int
	To    int
	Actor string
	Time  int64
	// Kind is how the characters came: "ai" (an accepted suggestion), "paste",
	// or "typed" (any other change), from the inserting change's message.
	Kind string
}

// ChangeKind names how a change's insertions came, from its message
// (README "History": "ai" and "paste" messages); anything else is "typed".
func ChangeKind(c *HistChange) string {
	if c.HasMessage && (c.Message == "ai" || c.Message == "paste") {
		return c.Message
	}
	return "typed"
}

// Blame returns the current text as spans, adjacent characters by the
// same actor inserted the same way (typed, pasted, AI) merged.
func (h *History) Blame() []Span {
	v := h.versionOf(h.heads)
	obj := h.contentAt(v)
	var out []Span
	pos := 0
	for i := range h.elems {
		e := &h.elems[i]
		if e.obj != obj || !h.visibleIn(e, v) {
			continue
		}
		n := h.width(e)
		c := &h.Changes[e.ins]
		actor := h.Actors[c.Actor]
		kind := ChangeKind(c)
		if k := len(out); k > 0 && out[k-1].Actor == actor && out[k-1].Kind == kind && out[k-1].To == pos {
			out[k-1].To += n
			out[k-1].Time = max(out[k-1].Time, c.Time)
		} else {
			out = append(out, Span{From: pos, To: pos + n, Actor: actor, Time: c.Time, Kind: kind})
		}
		pos += n
	}
	return out
}

// ParseHeads parses a comma-separated list of change hashes (64 hex
// characters each). Empty input is an error; duplicates are dropped.
func ParseHeads(s string) ([]automerge.ChangeHash, error) {
	if s == "" {
		return nil, errors.New("no change hash given")
	}
	parts := strings.Split(s, ",")
	if len(parts) > 1024 {
		return nil, errors.New("more than 1024 hashes")
	}
	var out []automerge.ChangeHash
	seen := map[automerge.ChangeHash]bool{}
	for _, p := range parts {
		h, err := ParseHash(strings.TrimSpace(p))
		if err != nil {
			return nil, err
		}
		if !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	return out, nil
}

// ParseHash parses one change hash: 64 hexadecimal characters.
func ParseHash(s string) (automerge.ChangeHash, error) {
	var h automerge.ChangeHash
	if len(s) != 64 {
		return h, fmt.Errorf("change hash %q is not 64 hexadecimal characters", clip(s))
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return h, fmt.Errorf("change hash %q is not 64 hexadecimal characters", clip(s))
	}
	copy(h[:], b)
	return h, nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// HashString is the hex form of a change hash.
func HashString(h automerge.ChangeHash) string { return hex.EncodeToString(h[:]) }

// HashStrings is HashString of each hash, in order.
func HashStrings(hs []automerge.ChangeHash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = HashString(h)
	}
	return out
}

// sortHashes orders hashes bytewise (as automerge lists heads).
func sortHashes(hs []automerge.ChangeHash) {
	sort.Slice(hs, func(i, j int) bool { return bytes.Compare(hs[i][:], hs[j][:]) < 0 })
}

// ContentIsText reports whether the document's content field is a text
// object (what a room needs; an imported document is checked with it).
func (d *Doc) ContentIsText() bool {
	ok := false
	_ = guard(func() error {
		v, err := d.live().Path(FieldContent).Get()
		ok = err == nil && v.Kind() == automerge.KindText
		return nil
	})
	return ok
}

// SpliceMessage is Splice committed with a change message ("ai" for an
// accepted suggestion, "paste" for a paste: README "History").
func (d *Doc) SpliceMessage(pos, del int, text, message string) error {
	d.changing()
	return guard(func() error {
		if err := d.live().Path(FieldContent).Text().Splice(pos, del, text); err != nil {
			return err
		}
		_, err := d.live().Commit(message)
		return err
	})
}

// SetPerson writes people[actor] = {name, colour} and commits, as scalar
// strings (JavaScript clients write texts; History reads both).
func (d *Doc) SetPerson(actor, name, colour string) error {
	d.changing()
	return guard(func() error {
		if err := d.live().Path(FieldPeople, actor, "name").Set(name); err != nil {
			return err
		}
		if err := d.live().Path(FieldPeople, actor, "colour").Set(colour); err != nil {
			return err
		}
		_, err := d.live().Commit("")
		return err
	})
}

// ActorID is the actor this document's own changes are made by.
func (d *Doc) ActorID() string { return d.live().ActorID() }
