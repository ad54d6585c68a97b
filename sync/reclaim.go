package sync

import (
	"time"

	"github.com/pairpad/pairpad/internal/memtrim"
)

// noteGarbage tells the reclaimer that documents were dropped (unloaded or
// replaced by a compacted copy).
func (h *Hub) noteGarbage() {
	h.mu.Lock()
	h.garbage = true
	h.mu.Unlock()
}

// Memory reclaim. automerge-go allocates a C result for every call and frees
// it (and a dropped document's Rust memory) only from a Go finalizer; Go's
// GC, paced by the small Go heap, runs rarely, so C garbage piles up. The
// reclaimer forces a GC, runs those finalizers and trims the C heap: soon
// after rooms unload or compact, and periodically while rooms are busy.
const (
	reclaimTick        = 2 * time.Second
	reclaimEveryFrames = 20000 // frames handled since the last reclaim
	reclaimBusyPeriod  = 30 * time.Second
)

func (h *Hub) reclaimer() {
	defer h.wg.Done()
	t := time.NewTicker(reclaimTick)
	defer t.Stop()
	lastFrames, lastAt := h.metrics.FramesIn.Load(), time.Now()
	for {
		select {
		case <-h.stopFlush:
			return
		case <-t.C:
		}
		h.mu.Lock()
		unloaded := h.garbage
		h.garbage = false
		h.mu.Unlock()
		frames := h.metrics.FramesIn.Load()
		busy := frames-lastFrames >= reclaimEveryFrames ||
			(frames != lastFrames && time.Since(lastAt) >= reclaimBusyPeriod)
		if unloaded || busy {
			memtrim.Release()
			h.metrics.Reclaims.Add(1)
			lastFrames, lastAt = frames, time.Now()
		}
	}
}
