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
}

func (r *room) markDirtyOnly() {
	if !r.dirty {
		r.dirty = true
		r.hub.metrics.DirtyRooms.Add(1)
	}
	r.dirtyFlag.Store(true)
	r.noteChange()
}
