package sync

import (
	"go.uber.org/zap"

	"github.com/pairpad/pairpad/crdt"
)

// Compaction (see Config.CompactAfter): an idle room with new history is
// reloaded from its saved form in the background and swapped in.

type compactResult struct {
	doc   *crdt.Doc
	heads string // the heads the compacted copy was saved at
	err   error
}

// startCompact reloads the document from its saved form in the background.
func (r *room) startCompact() {
	heads := r.doc.HeadsKey()
	if r.compacting || heads == r.compactedHeads {
		return
	}
	// The reload holds a second copy until it is swapped in: only when the
	// memory budget has room for it (see memory.go).
	if r.hub.overBudget(r.mem.Load()) {
		r.hub.metrics.CompactionsSkipped.Add(1)
		return
	}
	data, err := r.doc.Save()
	if err != nil {
		r.log.Error("save for compaction", zap.Error(err))
		return
	}
	r.compacting = true
	go func() {
		doc, err := crdt.Load(data)
		r.compactCh <- compactResult{doc: doc, heads: heads, err: err}
	}()
}

// compactDone swaps in the compacted copy if nothing changed meanwhile.
func (r *room) compactDone(res compactResult) {
	r.compacting = false
	if res.err != nil {
		r.log.Error("compaction failed", zap.Error(res.err))
		return
	}
	if res.heads != r.doc.HeadsKey() {
		return // edited meanwhile; the next idle period tries again
	}
	moved := make(map[*peer]*crdt.PeerState, len(r.peers))
	for p, ps := range r.peers {
		st, err := ps.moveTo(res.doc)
		if err != nil {
			r.log.Error("move sync state to the compacted document", zap.Error(err))
			return
		}
		moved[p] = st
	}
	for p, st := range moved {
		r.peers[p].state = st
	}
	r.takeIncrement() // from the old document, before it goes
	r.doc, r.compactedHeads = res.doc, res.heads
	_, _ = r.doc.Text() // idle: keep GET /text's cache warm
	r.hub.metrics.Compactions.Add(1)
	r.hub.noteGarbage()
	// The reload measured what a wake would cost now: a room that did not
	// look cheap enough to sleep (a load timed on a busy machine) may be.
	r.trySleep()
}

func (r *room) markDirtyOnly() {
	if !r.dirty {
		r.dirty = true
		r.hub.metrics.DirtyRooms.Add(1)
	}
	r.dirtyFlag.Store(true)
	r.noteChange()
}

// Sleeping rooms. An idle room whose document is cheap to load again puts
// it to sleep instead of compacting it (crdt.Doc.Sleep): the automerge
// document (~40 KiB of C memory for a short one) is dropped and its saved
// form kept; the first message that needs it loads it again, which is also
// a compaction. Saves, GET /text and heads answer a sleeping room without
// waking it.

// An idle room sleeps only when waking it would take at most
// Config.SleepMaxWake (5 ms: about 1,000 typed changes); longer histories
// are compacted and stay awake, so nobody's first keystroke after a pause
// waits long on a load.

// trySleep puts the idle room's document to sleep if it is cheap to wake;
// it reports whether the document sleeps.
func (r *room) trySleep() bool {
	if r.asleep {
		return true
	}
	if r.compacting || r.absent {
		return false
	}
	limit := r.hub.cfg.SleepMaxWake
	if cost := r.doc.WakeCost(); limit < 0 || cost == 0 || cost > limit {
		return false
	}
	// A full save now (cached when nothing changed) measures the history
	// as it is, not as it was loaded.
	if _, err := r.doc.Save(); err != nil {
		return false
	}
	if cost := r.doc.WakeCost(); cost > limit || !r.doc.Sleep() {
		return false
	}
	r.asleep = true
	r.compactedHeads = r.doc.HeadsKey()
	r.hub.metrics.RoomsAsleep.Add(1)
	r.hub.metrics.RoomSleeps.Add(1)
	r.hub.noteGarbage()
	return true
}

// noteWake accounts for a sleeping document that something woke.
func (r *room) noteWake() {
	if r.asleep && !r.doc.Sleeping() {
		r.asleep = false
		r.hub.metrics.RoomsAsleep.Add(-1)
		r.hub.metrics.RoomWakes.Add(1)
	}
}
