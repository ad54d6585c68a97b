package crdt

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
)

// ConcurrentTrace is josephg/editing-traces' concurrent trace format: one
// transaction per change, each with its parents (indexes of earlier
// transactions: the change's dependencies) and its patches, which apply in
// order to the document as of its parents (the merge of their versions).
type ConcurrentTrace struct {
	Kind       string     `json:"kind"`
	EndContent string     `json:"endContent"`
	NumAgents  int        `json:"numAgents"`
	Txns       []TraceTxn `json:"txns"`
}

// TraceTxn is one transaction of a ConcurrentTrace.
type TraceTxn struct {
	Parents     []int        `json:"parents"`
	NumChildren int          `json:"numChildren"`
	Agent       int          `json:"agent"`
	Patches     []TracePatch `json:"patches"`
}

// TracePatch deletes Del characters at Pos, then inserts Ins there
// (Unicode code points). It encodes as [pos, del, ins].
type TracePatch struct {
	Pos int
	Del int
	Ins string
}

// MarshalJSON encodes the patch as the format's triple.
func (p TracePatch) MarshalJSON() ([]byte, error) { return json.Marshal([]any{p.Pos, p.Del, p.Ins}) }

// UnmarshalJSON decodes [pos, del, ins].
func (p *TracePatch) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if len(raw) != 3 {
		return errors.New("a patch is [pos, del, ins]")
	}
	if err := json.Unmarshal(raw[0], &p.Pos); err != nil {
		return err
	}
	if err := json.Unmarshal(raw[1], &p.Del); err != nil {
		return err
	}
	return json.Unmarshal(raw[2], &p.Ins)
}

// ErrTraceTooCostly: the export would take more work than allowed (many
// concurrent changes in a long text; see Trace).
var ErrTraceTooCostly = errors.New("trace export too costly for this history")

// Trace exports the history as a concurrent editing trace. A change that
// follows everything before it (the usual case) costs O(log n) per
// character; a concurrent one (its dependencies are not all of the changes
// before it) needs the text at its parents, O(characters ever inserted):
// when those would add up past maxWork element visits the export stops with
// ErrTraceTooCostly. Only the current content object is exported.
func (h *History) Trace(maxWork int) (*ConcurrentTrace, error) {
	cur := h.versionOf(h.heads)
	obj := h.contentAt(cur)
	n := len(h.Changes)
	ins := make([][]int32, n)
	del := make([][]int32, n)
	weight := make([]int32, len(h.elems))
	for i := range h.elems {
		e := &h.elems[i]
		if e.obj != obj || e.ins < 0 {
			continue
		}
		weight[i] = int32(h.width(e))
		ins[e.ins] = append(ins[e.ins], int32(i))
		for _, d := range h.deleters(e) {
			del[d] = append(del[d], int32(i))
		}
	}
	out := &ConcurrentTrace{Kind: "concurrent", EndContent: h.TextAt(cur), Txns: make([]TraceTxn, n)}
	agents := map[int32]int{}
	running := newFenwick(len(h.elems))
	heads := map[int]bool{}
	work := 0
	for i := range h.Changes {
		c := &h.Changes[i]
		agent, ok := agents[c.Actor]
		if !ok {
			agent = len(agents)
			agents[c.Actor] = agent
		}
		txn := TraceTxn{Parents: append([]int{}, c.Deps...), Agent: agent, Patches: []TracePatch{}}
		for _, d := range c.Deps {
			out.Txns[d].NumChildren++
		}
		// It follows everything before it when every head so far is among
		// its deps (automerge may list older ancestors there too).
		linear := true
		for hd := range heads {
			if !slices.Contains(c.Deps, hd) {
				linear = false
				break
			}
		}
		fw := running
		if !linear {
			work += len(h.elems)
			if maxWork > 0 && work > maxWork {
				return nil, ErrTraceTooCostly
			}
			v := h.versionOf(c.Deps)
			fw = newFenwick(len(h.elems))
			for j := range h.elems {
				if weight[j] > 0 && h.visibleIn(&h.elems[j], v) {
					fw.add(j, weight[j])
				}
			}
		}
		txn.Patches = h.patchesFor(fw, weight, ins[i], del[i], txn.Patches)
		if !linear { // bring the running state up to date too
			for k := len(del[i]) - 1; k >= 0; k-- {
				if e := del[i][k]; running.at(int(e)) > 0 {
					running.add(int(e), -running.at(int(e)))
				}
			}
			for _, e := range ins[i] {
				running.add(int(e), weight[e])
			}
		}
		for _, d := range c.Deps {
			delete(heads, d)
		}
		heads[i] = true
		out.Txns[i] = txn
	}
	out.NumAgents = len(agents)
	return out, nil
}

// patchesFor applies one change's deletions (last first) then insertions
// to fw, returning the patches that do the same to a text, merged where
// they touch.
func (h *History) patchesFor(fw *fenwick, weight []int32, ins, del []int32, out []TracePatch) []TracePatch {
	for k := len(del) - 1; k >= 0; k-- {
		e := int(del[k])
		w := fw.at(e)
		if w == 0 {
			continue // deleted already (by a concurrent change)
		}
		pos := int(fw.prefix(e))
		fw.add(e, -w)
		if l := len(out); l > 0 && out[l-1].Ins == "" && out[l-1].Pos == pos+int(w) {
			out[l-1].Pos = pos
			out[l-1].Del += int(w)
			continue
		}
		out = append(out, TracePatch{Pos: pos, Del: int(w)})
	}
	// insertions: the open patch's text grows in buf (a paste is one
	// change of thousands of characters)
	var buf strings.Builder
	open, openEnd := false, 0
	flush := func() {
		if open {
			out[len(out)-1].Ins = buf.String()
			buf.Reset()
			open = false
		}
	}
	for _, e32 := range ins {
		e := int(e32)
		fw.add(e, weight[e])
		pos := int(fw.prefix(e))
		if open && openEnd == pos {
			h.writeText(&buf, &h.elems[e])
			openEnd += int(weight[e])
			continue
		}
		flush()
		out = append(out, TracePatch{Pos: pos})
		h.writeText(&buf, &h.elems[e])
		open, openEnd = true, pos+int(weight[e])
	}
	flush()
	return out
}

// fenwick is a binary indexed tree of element weights (characters
// visible), for positions in O(log n).
type fenwick struct {
	tree []int32
	val  []int32
}

func newFenwick(n int) *fenwick { return &fenwick{tree: make([]int32, n+1), val: make([]int32, n)} }

func (f *fenwick) add(i int, d int32) {
	f.val[i] += d
	for j := i + 1; j < len(f.tree); j += j & -j {
		f.tree[j] += d
	}
}

func (f *fenwick) at(i int) int32 { return f.val[i] }

// prefix is the weight of the elements before i.
func (f *fenwick) prefix(i int) int32 {
	var s int32
	for j := i; j > 0; j -= j & -j {
		s += f.tree[j]
	}
	return s
}
