package crdt

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// TimelineChars is the content's history in the form a player scrubs: every
// character ever inserted into the content, in document order, each with
// the range of causal-order prefixes in which it is visible. The text at
// prefix i (the changes History.Changes[0..i]) is the characters with
// Ins <= i and (Del < 0 or Del > i), in order: a linear scan a browser does
// in a few milliseconds, where Automerge's view of an old version costs tens.
//
// Ins and Del are per UTF-16 code unit of Text (a character outside the
// Basic Multilingual Plane has two, with the same values), so a JavaScript
// client indexes Text directly.
type TimelineChars struct {
	Text string
	Ins  []int32
	Del  []int32 // -1: never deleted
}

// Timeline returns the content's characters with their visibility ranges.
// When the content object was replaced (root "content" set again), a
// character is visible only while its object is the content: the ranges
// are cut to the prefixes in which the object wins (if an object wins,
// loses and wins again among concurrent replacements, its range spans
// from its first win to its last; such documents are not made by Pairpad).
// It is computed once per History (safe for concurrent use).
func (h *History) Timeline() TimelineChars {
	h.timelineOnce.Do(func() { h.timeline = h.buildTimeline() })
	return h.timeline
}

func (h *History) buildTimeline() TimelineChars {
	n := len(h.Changes)
	// The content object of each prefix; first and last prefix it wins.
	first := make([]int, len(h.contents))
	last := make([]int, len(h.contents))
	for k := range first {
		first[k], last[k] = -1, -1
	}
	if len(h.contents) > 0 {
		v := make(Version, n)
		for i := 0; i < n; i++ {
			v[i] = true
			if o := h.contentAt(v); o >= 0 {
				if first[o] < 0 {
					first[o] = i
				}
				last[o] = i
			}
		}
	}
	var b strings.Builder
	ins := make([]int32, 0, len(h.elems))
	del := make([]int32, 0, len(h.elems))
	var buf strings.Builder
	for i := range h.elems {
		e := &h.elems[i]
		if e.obj < 0 || first[e.obj] < 0 {
			continue // never the content
		}
		from := max(e.ins, int32(first[e.obj]))
		to := h.firstDeleter(e)
		if l := int32(last[e.obj]); int(l) < n-1 && (to < 0 || to > l+1) {
			to = l + 1 // replaced from then on
		}
		if to >= 0 && to <= from {
			continue // never visible
		}
		buf.Reset()
		h.writeText(&buf, e)
		for _, r := range buf.String() {
			units := 1
			if r >= 0x10000 {
				units = 2 // a surrogate pair in UTF-16
			}
			b.WriteRune(r)
			for u := 0; u < units; u++ {
				ins = append(ins, from)
				del = append(del, to)
			}
		}
	}
	return TimelineChars{Text: b.String(), Ins: ins, Del: del}
}

// firstDeleter is the earliest change (in causal order) that deleted e;
// -1 if none did.
func (h *History) firstDeleter(e *elem) int32 {
	switch {
	case e.del >= 0:
		return e.del
	case e.del == -1:
		return -1
	}
	best := int32(-1)
	for _, d := range h.dels[-2-e.del] {
		if best < 0 || d < best {
			best = d
		}
	}
	return best
}

// TextAtPrefix returns the text of t at prefix i, as a client computes it
// (tests compare it with History.TextAt).
func (t TimelineChars) TextAtPrefix(i int) string {
	units := utf16.Encode([]rune(t.Text))
	var out []uint16
	for k, u := range units {
		if int(t.Ins[k]) <= i && (t.Del[k] < 0 || int(t.Del[k]) > i) {
			out = append(out, u)
		}
	}
	s := string(utf16.Decode(out))
	if !utf8.ValidString(s) {
		return ""
	}
	return s
}
