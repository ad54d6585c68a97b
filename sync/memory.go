package sync

import "errors"

// Memory budget (Config.MaxMemory). automerge keeps a document's memory in
// Rust, invisible to Go's GC, so the hub budgets it from an estimate: each
// loaded room counts RoomBaseBytes plus MemoryPerDocByte times its document
// size (crdt.Doc.SizeBytes, kept by the size cap's bookkeeping,
// docsize.go). Both factors were measured with bench/bigdoc (BENCHMARKS.md).
//
// Rooms unload as soon as their last peer leaves and their save lands, so
// the hub never holds an idle room it could evict (there is no LRU to run):
// when the estimate of the loaded rooms reaches the budget,
//   - opening another room is refused (ErrOverloaded: HTTP 503 before the
//     upgrade; CloseOverloaded if the budget filled between that check and
//     the join);
//   - a paste (a change over keystrokeSlack) that would grow the estimate
//     past the budget is refused with CloseOverloaded (docsize.go); typing
//     goes on;
//   - an idle room is not compacted (compaction holds a second copy of the
//     document while it reloads: compact.go).
const (
	// RoomBaseBytes: a loaded room with an empty document (automerge doc,
	// goroutine, queues).
	RoomBaseBytes = 256 << 10
	// MemoryPerDocByte: server RSS per byte (character) of document:
	// 1 MiB pasted in 256 KiB changes took 598 MiB of RSS over the idle
	// server (bench/bigdoc, BENCHMARKS.md); typed text costs more per
	// character until compaction (~3.5 KB per change) and compaction
	// brings it to about this.
	MemoryPerDocByte = 600
)

// ErrOverloaded: the memory budget cannot take another room now.
var ErrOverloaded = errors.New("server memory budget is full: no more rooms can be opened right now, try again later")

func roomMemory(size int64) int64 { return RoomBaseBytes + MemoryPerDocByte*size }

// MemoryEstimate is the estimated memory of every room in memory (loaded,
// loading or saving on its way out).
func (h *Hub) MemoryEstimate() int64 { return h.memTotal.Load() }

// overBudget: adding more bytes of estimated memory would pass MaxMemory.
func (h *Hub) overBudget(more int64) bool {
	return h.cfg.MaxMemory > 0 && h.memTotal.Load()+more > h.cfg.MaxMemory
}

// CanOpen reports whether room id, whose stored document holds size
// characters (RoomMeta.TextChars), can be opened now: it is in memory
// already, or the budget has room for it. Callers answer ErrOverloaded with
// 503 before upgrading a WebSocket.
func (h *Hub) CanOpen(id string, size int) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.canOpenLocked(id, int64(size))
}

// canOpenLocked: size is the stored document's size if known (0 at a join,
// where the api has checked it already).
func (h *Hub) canOpenLocked(id string, size int64) error {
	if h.rooms[id] != nil || h.cfg.MaxMemory <= 0 {
		return nil
	}
	if h.overBudget(roomMemory(size)) {
		h.metrics.LoadsRefused.Add(1)
		return ErrOverloaded
	}
	return nil
}

// noteSize updates the room's memory estimate from its document size (room
// goroutine, or before it starts).
func (r *room) noteSize(size int64) {
	m := roomMemory(size)
	r.hub.memTotal.Add(m - r.mem.Swap(m))
}
