package main

import (
	stdsync "sync"
	"time"

	"github.com/automerge/automerge-go"
)

// How a keystroke is "seen" by an observer.
//
// Every keystroke is one Automerge change, so the document's heads name
// exactly which changes it holds: a document whose heads are H holds H and
// all of their ancestors, nothing else. Each typist's changes form a chain
// (each depends on the typist's previous one), so "holds typist k's change
// number s" implies "holds all of k's changes up to s".
//
// When a typist commits keystroke s, it records in the room's tracker, under
// the new change's hash, a vector: for every typist j, the highest sequence
// number of j's changes that its document held at that moment (the maximum
// over the vectors of its heads just before the commit), with its own entry
// set to s. It does so inside the edit, before the change is sent, so no
// observer can receive a hash the tracker does not know yet. An observer,
// each time a sync message has been applied, reads its heads (a handful of
// hashes), takes the element-wise maximum of their vectors, and marks every
// keystroke up to that point as seen now. This costs a map lookup per head
// per sync message, needs no markers in the text, and is exact: a keystroke
// is seen exactly when the observer's document first contains it. Hashes
// the tracker does not know (the room's creation change) count as nothing.

// sample is one keystroke seen by one observer.
type sample struct {
	sentAt time.Time
	lat    time.Duration
}

// roomTracker follows the keystrokes of one room. Safe for concurrent use.
type roomTracker struct {
	mu        stdsync.Mutex
	typists   int
	vec       map[automerge.ChangeHash][]int32
	sent      [][]time.Time // sent[k][s-1]: when typist k sent keystroke s
	observers []*observerState
}

type observerState struct {
	seen    []int32 // per typist, highest sequence number seen
	samples []sample
}

func newRoomTracker(typists int) *roomTracker {
	return &roomTracker{typists: typists, vec: map[automerge.ChangeHash][]int32{}, sent: make([][]time.Time, typists)}
}

// addObserver registers an observer and returns its index.
func (rt *roomTracker) addObserver() int {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.observers = append(rt.observers, &observerState{seen: make([]int32, rt.typists)})
	return len(rt.observers) - 1
}

// committed records typist k's keystroke sent at sentAt: before are the
// typist's heads just before the change, after the heads just after it.
func (rt *roomTracker) committed(k int, before, after []automerge.ChangeHash, sentAt time.Time) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	v := make([]int32, rt.typists)
	for _, h := range before {
		for j, s := range rt.vec[h] {
			v[j] = max(v[j], s)
		}
	}
	rt.sent[k] = append(rt.sent[k], sentAt)
	v[k] = int32(len(rt.sent[k]))
	for _, h := range after {
		rt.vec[h] = v
	}
}

// observed is called after observer o applied a sync message, with its heads.
func (rt *roomTracker) observed(o int, heads []automerge.ChangeHash, now time.Time) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	ob := rt.observers[o]
	for _, h := range heads {
		for k, s := range rt.vec[h] {
			for ob.seen[k] < s {
				ob.seen[k]++
				sentAt := rt.sent[k][ob.seen[k]-1]
				ob.samples = append(ob.samples, sample{sentAt: sentAt, lat: now.Sub(sentAt)})
			}
		}
	}
}

// pending reports how many (observer, keystroke) pairs are not seen yet.
func (rt *roomTracker) pending() int {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	n := 0
	for _, ob := range rt.observers {
		for k := range rt.sent {
			n += len(rt.sent[k]) - int(ob.seen[k])
		}
	}
	return n
}

// tally is what a set of rooms measured.
type tally struct {
	sent    int             // keystrokes sent
	expect  int             // (observer, keystroke) pairs
	samples []time.Duration // latencies of pairs seen
	lost    int             // pairs never seen
	late    int             // pairs seen later than the late threshold
}

// collect adds to t the keystrokes sent in [from, to) (zero times: all);
// keystrokes not seen by now count as lost or, when unseenAsLate, as a
// sample of now - sentAt (a lower bound of their latency).
func (rt *roomTracker) collect(t *tally, from, to time.Time, now time.Time, lateAfter time.Duration, unseenAsLate bool) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	in := func(at time.Time) bool {
		return (from.IsZero() || !at.Before(from)) && (to.IsZero() || at.Before(to))
	}
	for k := range rt.sent {
		for _, at := range rt.sent[k] {
			if in(at) {
				t.sent++
			}
		}
	}
	for _, ob := range rt.observers {
		for _, s := range ob.samples {
			if !in(s.sentAt) {
				continue
			}
			t.expect++
			t.samples = append(t.samples, s.lat)
			if s.lat > lateAfter {
				t.late++
			}
		}
		for k := range rt.sent {
			for _, at := range rt.sent[k][ob.seen[k]:] {
				if !in(at) {
					continue
				}
				t.expect++
				if unseenAsLate {
					t.samples = append(t.samples, now.Sub(at))
					t.late++
				} else {
					t.lost++
				}
			}
		}
	}
}
