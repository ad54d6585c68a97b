package sync

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/pairpad/pairpad/internal/spill"
)

// Durability of a room (issue 10):
//
//   - While dirty, the room takes its changes since the last increment
//     (crdt.Doc.SaveIncremental) on LogInterval boundaries of the clock and
//     hands them to the hub's change logger, which appends every room's
//     entries in one transaction. Nothing here waits on the database.
//   - The FlushInterval snapshot compacts: the whole document is saved and
//     the log entries it covers are deleted, in one transaction.
//   - A failed snapshot is retried with backoff, and the document is spilled
//     to SpillDir. The room stays loaded, serving readers and joining peers
//     from memory; after its last peer leaves it unloads only once saved.
//   - On shutdown each room saves until the deadline is near, then spills;
//     Hub.Shutdown reports which rooms were saved, spilled or lost.

// roomDurable is a room's durability state; owned by the room's goroutine
// unless marked.
type roomDurable struct {
	writer   string   // this incarnation's change-log writer id
	logSeq   int64    // last change-log entry taken
	marks    LogMarks // change-log entries the document includes
	logDirty bool     // changed since the last increment
	logTimer *time.Timer
	logC     <-chan time.Time // non-nil while an increment is scheduled

	retryTimer *time.Timer
	retryC     <-chan time.Time // non-nil while a save retry is scheduled
	backoff    time.Duration
	unsaved    bool // the last snapshot save failed
	spilled    bool // SpillDir holds a copy of this room
	wantUnload bool // the last peer left: unload once saved
	// quickStored: the stored form is a quick snapshot (save.go); the last
	// leave and a shutdown save the room once more, compacted, with its
	// text copy.
	quickStored bool

	unloadCh chan struct{}            // cap 1; see requestUnload
	outcome  atomic.Int32             // how finish ended (finishOutcome); read after done
	live     atomic.Pointer[RoomMeta] // metadata served from memory (Hub.LiveMeta)
}

type finishOutcome int32

const (
	outcomeNone    finishOutcome = iota // never loaded
	outcomeClean                        // nothing left to save
	outcomeSaved                        // saved to the database
	outcomeSpilled                      // written to SpillDir
	outcomeLost                         // neither
)

func newWriterID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// initDurable records what was loaded.
func (r *room) initDurable(rec RoomRecord, size int) {
	r.writer = newWriterID()
	r.marks = LogMarks{}
	maps.Copy(r.marks, rec.Log)
	r.live.Store(&RoomMeta{ID: rec.ID, Language: rec.Language, SizeBytes: size, Version: rec.Version,
		CreatedAt: rec.CreatedAt, UpdatedAt: rec.UpdatedAt})
}

// noteChange: the document changed; schedule an increment at the next
// LogInterval boundary.
func (r *room) noteChange() {
	if r.hub.clog == nil {
		return
	}
	r.logDirty = true
	if r.logC != nil {
		return
	}
	iv := r.hub.cfg.LogInterval
	now := time.Now()
	d := now.Truncate(iv).Add(iv).Sub(now)
	if r.logTimer == nil {
		r.logTimer = time.NewTimer(d)
	} else {
		r.logTimer.Reset(d)
	}
	r.logC = r.logTimer.C
}

// logTick takes the room's increment for the change log.
func (r *room) logTick() {
	r.logC = nil
	r.takeIncrement()
}

// takeIncrement hands the changes since the last increment to the logger.
func (r *room) takeIncrement() {
	if r.hub.clog == nil || !r.logDirty || r.doc == nil || r.version == 0 {
		return // (version 0: not stored yet; its first save creates it whole)
	}
	r.logDirty = false
	data, err := r.doc.SaveIncremental()
	if err != nil {
		r.log.Error("incremental save", zap.Error(err))
		return
	}
	if data == nil {
		return
	}
	r.logSeq++
	r.hub.clog.add(LogEntry{RoomID: r.id, Writer: r.writer, Seq: r.logSeq, Data: data})
	if m := r.live.Load(); m != nil && m.Language != r.doc.Language() {
		c := *m
		c.Language = r.doc.Language()
		r.live.Store(&c)
	}
}

// saveMarks: the log entries a snapshot taken now includes.
func (r *room) saveMarks() LogMarks {
	if r.hub.clog == nil {
		return nil
	}
	marks := maps.Clone(r.marks)
	if marks == nil {
		marks = LogMarks{}
	}
	if r.logSeq > 0 {
		marks.Cover(r.writer, r.logSeq)
	}
	return marks
}

// savedDurable: a snapshot committed.
func (r *room) savedDurable(res saveResult, size int) {
	if r.hub.clog != nil && res.marks != nil {
		r.hub.clog.dropCovered(r.id, res.marks)
		for w, s := range res.marks {
			r.marks.Cover(w, s)
		}
	}
	if r.unsaved {
		r.unsaved = false
		r.hub.metrics.UnsavedRooms.Add(-1)
		r.log.Info("room saved again after failures")
	}
	if res.unspilled {
		r.spilled = false
	}
	r.backoff = 0
	if r.retryC != nil {
		r.retryTimer.Stop()
		r.retryC = nil
	}
	if m := r.live.Load(); m != nil {
		c := *m
		c.Version, c.SizeBytes, c.UpdatedAt, c.Language = res.version, size, time.Now().UTC(), r.doc.Language()
		r.live.Store(&c)
	}
	if r.wantUnload {
		if r.quickStored {
			r.markDirtyOnly() // the last leave stores it compacted
		}
		if r.dirty {
			r.startSave() // another writer's changes came in with the save
		} else {
			r.hub.tryUnload(r)
		}
	}
}

// saveFailed: retry with backoff (1s doubling, at most 30s or
// FlushInterval); the room stays in memory meanwhile.
func (r *room) saveFailed(res saveResult) {
	if !r.unsaved {
		r.unsaved = true
		r.hub.metrics.UnsavedRooms.Add(1)
	}
	if res.spilled {
		r.spilled = true
	}
	r.backoff = min(max(2*r.backoff, time.Second), 30*time.Second, r.hub.cfg.FlushInterval)
	if r.retryTimer == nil {
		r.retryTimer = time.NewTimer(r.backoff)
	} else {
		r.retryTimer.Reset(r.backoff)
	}
	r.retryC = r.retryTimer.C
}

// retryTick: time to try the failed save again.
func (r *room) retryTick() {
	r.retryC = nil
	r.startSave()
}

// requestUnload: the last peer left (Hub.detach). Safe for concurrent use.
func (r *room) requestUnload() {
	select {
	case r.unloadCh <- struct{}{}:
	default:
	}
}

// onUnload: save, then unload if still nobody uses the room.
func (r *room) onUnload() {
	r.wantUnload = true
	if r.quickStored && !r.saving {
		r.markDirtyOnly()
	}
	if r.dirty || r.saving || r.unsaved {
		r.takeIncrement()
		r.startSave()
		return
	}
	r.hub.tryUnload(r)
}

// tryUnload unloads r if nobody attached to it meanwhile.
func (h *Hub) tryUnload(r *room) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if r.refs > 0 || h.rooms[r.id] != r {
		return
	}
	delete(h.rooms, r.id)
	h.closing[r.id] = r
	r.stop(CloseNormal)
}

// spillMargin is the part of the shutdown time kept for spilling.
func spillMargin(total time.Duration) time.Duration {
	return min(max(total/5, 500*time.Millisecond), 2*time.Second)
}

// finishDurably saves the room on its way out: until saved; during a
// shutdown, until the deadline is near, then it spills. It records the
// outcome for Hub.Shutdown.
func (r *room) finishDurably() {
	if r.doc == nil {
		return // never loaded: nothing of ours to save
	}
	r.outcome.Store(int32(outcomeClean))
	r.takeIncrement()
	backoff := 100 * time.Millisecond
	for {
		if r.saving {
			r.saveDone(<-r.saveCh)
		}
		if r.quickStored {
			r.markDirtyOnly() // stored quickly: store it compacted, with its text
		}
		if !r.dirty && !r.unsaved {
			return
		}
		dl := r.deadline.Load()
		margin := spillMargin(r.shutdownTotal())
		if dl != nil && time.Until(*dl) <= margin {
			r.spillOnShutdown()
			return
		}
		r.startSaveCtx(r.finishCtx())
		r.saveDone(<-r.saveCh)
		if !r.dirty && !r.unsaved {
			r.outcome.Store(int32(outcomeSaved))
			return
		}
		wait := backoff
		if dl != nil {
			wait = min(wait, time.Until(dl.Add(-margin))) // then spill
		}
		time.Sleep(max(wait, 0))
		backoff = min(backoff*2, 5*time.Second)
	}
}

// finishCtx bounds a save on the way out by the shutdown deadline, minus
// the time kept for spilling.
func (r *room) finishCtx() context.Context {
	dl := r.deadline.Load()
	if dl == nil {
		return context.Background()
	}
	ctx, cancel := context.WithDeadline(context.Background(), dl.Add(-spillMargin(r.shutdownTotal())))
	context.AfterFunc(ctx, cancel)
	return ctx
}

func (r *room) shutdownTotal() time.Duration {
	if t := r.hub.shutdownTotal.Load(); t > 0 {
		return time.Duration(t)
	}
	return 10 * time.Second
}

// spillOnShutdown writes the document to SpillDir.
func (r *room) spillOnShutdown() {
	data, err := r.doc.Save()
	if err == nil {
		err = r.hub.spillRoom(r.id, data)
	}
	if err != nil {
		r.outcome.Store(int32(outcomeLost))
		r.log.Error("room neither saved nor spilled: its unsaved edits are lost", zap.Error(err))
		return
	}
	r.outcome.Store(int32(outcomeSpilled))
	r.log.Warn("room not saved to the database before the shutdown deadline; spilled", zap.String("file", r.hub.spillFile(r.id)))
}

// LiveMeta returns a loaded room's metadata from memory, without the
// database: false if the room is not loaded (or still loading).
func (h *Hub) LiveMeta(id string) (RoomMeta, RoomStatus, bool) {
	h.mu.Lock()
	r := h.rooms[id]
	if r == nil {
		r = h.closing[id]
	}
	h.mu.Unlock()
	if r == nil {
		return RoomMeta{}, RoomStatus{}, false
	}
	m := r.live.Load()
	if m == nil {
		return RoomMeta{}, RoomStatus{}, false
	}
	return *m, RoomStatus{Loaded: true, Peers: int(r.peerCount.Load()), Dirty: r.dirtyFlag.Load()}, true
}

// ShutdownReport says where every room went on Shutdown.
type ShutdownReport struct {
	Saved   []string // in the database
	Spilled []string // in SpillDir: merged into the database at the next start
	Lost    []string // neither: their unsaved edits are lost
}

// ShutdownError is returned by Shutdown when a room did not reach the
// database.
type ShutdownError struct{ Report ShutdownReport }

func (e *ShutdownError) Error() string {
	return fmt.Sprintf("%d room(s) not saved to the database: %d spilled to disk %v, %d lost %v",
		len(e.Report.Spilled)+len(e.Report.Lost), len(e.Report.Spilled), e.Report.Spilled, len(e.Report.Lost), e.Report.Lost)
}

// report collects the outcome of rooms after Shutdown waited for them.
func report(rooms []*room) ShutdownReport {
	var rep ShutdownReport
	for _, r := range rooms {
		select {
		case <-r.done:
		default:
			rep.Lost = append(rep.Lost, r.id)
			continue
		}
		switch finishOutcome(r.outcome.Load()) {
		case outcomeSaved, outcomeClean:
			rep.Saved = append(rep.Saved, r.id)
		case outcomeSpilled:
			rep.Spilled = append(rep.Spilled, r.id)
		case outcomeLost:
			rep.Lost = append(rep.Lost, r.id)
		}
	}
	return rep
}

// storeSave is Save, or Compact when the store keeps a change log.
func (h *Hub) storeSave(ctx context.Context, id string, data []byte, language, text string, base int64, marks LogMarks) (int64, error) {
	if cl, ok := h.store.(ChangeLog); ok && marks != nil {
		if h.clog != nil {
			// The room's log entries wait while the transaction that
			// compacts them runs (changeLogger.hold): one the snapshot
			// covers is then dropped, never appended after it.
			if !h.clog.hold(ctx, id) {
				return 0, ctx.Err()
			}
			v, err := cl.Compact(ctx, id, data, language, text, base, marks)
			var covered LogMarks
			if err == nil {
				covered = marks
			}
			h.clog.release(id, covered)
			return v, err
		}
		return cl.Compact(ctx, id, data, language, text, base, marks)
	}
	return h.store.Save(ctx, id, data, language, text, base)
}

// afterSave runs in the save's goroutine: a failed save spills the document
// (outside shutdown, which spills on its own schedule); a successful one
// removes the room's spill, which it now includes.
func (h *Hub) afterSave(id string, data []byte, spilled, finishing bool, res *saveResult) {
	switch {
	case res.err != nil && !finishing && h.cfg.SpillDir != "":
		if err := h.spillRoom(id, data); err != nil {
			h.log.Error("spill failed", zap.String("room", id), zap.Error(err))
			return
		}
		res.spilled = true
	case res.err == nil && spilled:
		if err := h.unspill(id); err != nil {
			h.log.Error("remove spill after save", zap.String("room", id), zap.Error(err))
			return
		}
		res.unspilled = true
	}
}

// spillFile names room id's spill file (for logs).
func (h *Hub) spillFile(id string) string {
	if d, err := spill.Open(h.cfg.SpillDir); err == nil {
		return d.File(id)
	}
	return ""
}
