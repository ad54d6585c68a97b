package sync

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/pairpad/pairpad/crdt"
)

// saveResult is what a background save tells its room.
type saveResult struct {
	version int64
	// merged holds another writer's document that the save merged in; the
	// room folds it into its live document so its peers get those edits.
	merged []byte
	err    error
	// durability (durable.go)
	marks     LogMarks // log entries the saved document covers
	size      int      // bytes saved
	spilled   bool     // the save failed and the document was spilled
	quick     bool     // a quick snapshot (crdt.Doc.QuickSave): not compacted, maybe no text copy
	unspilled bool     // the save succeeded and the room's spill was removed
}

// save writes data for room id, based on version base. On a conflict it
// merges the stored document with ours and retries.
func (h *Hub) save(ctx context.Context, id string, data []byte, language, text string, base int64, marks LogMarks) saveResult {
	select {
	case h.saveSem <- struct{}{}:
	case <-ctx.Done():
		return saveResult{err: ctx.Err()}
	}
	defer func() { <-h.saveSem }()

	start := time.Now()
	var res saveResult
	busyWait := 10 * time.Millisecond
	for attempt := 0; attempt < 5; attempt++ {
		sctx, cancel := context.WithTimeout(ctx, h.cfg.SaveTimeout)
		var v int64
		var err error
		if base == 0 {
			// A document a peer created (room.created): store it.
			v, err = h.storeCreate(sctx, id, data, language, text)
		} else {
			v, err = h.storeSave(sctx, id, data, language, text, base, marks)
		}
		cancel()
		if err == nil {
			res.version, res.err = v, nil
			break
		}
		res.err = err
		if errors.Is(err, ErrCompactBusy) && time.Since(start)+busyWait < h.cfg.SaveTimeout {
			// Another instance is compacting this room: wait for it
			// (not an attempt), then our compare-and-set fails and we
			// merge what it saved.
			h.metrics.SaveLockBusy.Add(1)
			select {
			case <-time.After(busyWait):
			case <-ctx.Done():
			}
			if ctx.Err() != nil {
				res.err = ctx.Err()
				break
			}
			busyWait = min(2*busyWait, 500*time.Millisecond)
			attempt--
			continue
		}
		if !errors.Is(err, ErrConflict) {
			break
		}
		h.metrics.SaveConflicts.Add(1)
		lctx, cancel := context.WithTimeout(ctx, h.cfg.SaveTimeout)
		stored, lerr := h.store.Load(lctx, id)
		cancel()
		if lerr != nil {
			res.err = lerr
			break
		}
		doc, err := crdt.Load(data)
		if err != nil {
			res.err = err
			break
		}
		if err := doc.Merge(stored.Data); err != nil {
			res.err = fmt.Errorf("merge stored document: %w", err)
			break
		}
		if data, err = doc.Save(); err != nil {
			res.err = err
			break
		}
		if text, err = doc.Text(); err != nil {
			text = "" // a document without text content (see startSaveCtx)
		}
		base = stored.Version
		res.merged = stored.Data
		for w, s := range stored.Log {
			marks.Cover(w, s)
		}
	}
	res.marks = marks
	h.metrics.observeSave(time.Since(start), res.err)
	return res
}

// startSave takes the document's bytes and saves them in the background
// (Hub.save); the room hears back on saveCh.
func (r *room) startSave() { r.startSaveCtx(context.Background()) }

func (r *room) startSaveCtx(ctx context.Context) {
	if !r.dirty || r.saving {
		return
	}
	r.takeIncrement() // the snapshot covers it (saveMarks)
	if r.version == 0 {
		// The first save stores the document whole (a Create): the
		// change log starts after it, not with a copy of it that no
		// snapshot would ever compact.
		r.doc.MarkLogged()
		r.logDirty = false
	}
	// A save while peers may type (not the last leave, not a shutdown)
	// must not hold them up: a large document is saved by appending its
	// new changes to its last full save (crdt.Doc.QuickSave: 0.1 ms
	// instead of 170 ms for 2 MiB of text), and its text copy is stored
	// only if it is at hand (walking 2 MiB takes 60–90 ms). The final save
	// stores the document compacted and its text copy (Hub.Text reads the
	// stored document meanwhile: NoText).
	// A sleeping document's save is the one it keeps: no need to ask
	// its size (which would wake it).
	final := r.wantUnload || r.deadline.Load() != nil || len(r.peers) == 0 || r.version == 0
	var data []byte
	var err error
	quick := false
	if final || r.doc.Sleeping() {
		data, err = r.doc.Save()
	} else {
		var full bool
		data, full, err = r.doc.QuickSave(r.sizeHint())
		quick = !full
	}
	if err != nil {
		r.log.Error("save document", zap.Error(err))
		return
	}
	// The text copy stored beside the document answers GET /text while
	// the room is not loaded (Hub.Text).
	// Documents created through /sync need not have a text content: their
	// copy is empty, and nothing a peer writes stops the save.
	text, cached := r.doc.CachedText()
	if quick {
		r.hub.metrics.QuickSaves.Add(1)
		if !cached {
			text = NoText
		}
	} else if !cached {
		if text, err = r.doc.Text(); err != nil {
			r.log.Debug("no text copy for this document", zap.Error(err))
			text = ""
		}
	}
	r.saving = true
	r.clearDirty()
	lang, id, base, marks := r.doc.Language(), r.id, r.version, r.saveMarks()
	spilled, finishing := r.spilled, r.deadline.Load() != nil
	go func() {
		res := r.hub.save(ctx, id, data, lang, text, base, marks)
		res.size, res.quick = len(data), quick
		r.hub.afterSave(id, data, spilled, finishing, &res)
		r.saveCh <- res
	}()
}

func (r *room) saveDone(res saveResult) {
	r.saving = false
	if res.err != nil {
		// Dirty again before the flag is updated: readers of the flag
		// (GET /rooms/{id} unsaved_changes) never see a failed save's
		// changes as saved.
		r.log.Error("save failed; will retry", zap.Error(res.err), zap.Bool("spilled", res.spilled))
		r.markDirtyOnly()
		r.saveFailed(res)
		return
	}
	r.dirtyFlag.Store(r.dirty)
	r.version = res.version
	r.quickStored = res.quick && res.merged == nil
	defer r.savedDurable(res, res.size)
	if res.merged != nil {
		before := r.doc.HeadsKey()
		if err := r.doc.Merge(res.merged); err != nil {
			r.log.Error("merge another writer's document", zap.Error(err))
		} else if r.doc.HeadsKey() != before {
			r.sizeChanged()
			r.markDirty()
			r.generate()
		}
	}
}

// storeCreate stores a document a peer created; another writer that
// created it first is a conflict (the caller merges and saves).
func (h *Hub) storeCreate(ctx context.Context, id string, data []byte, language, text string) (int64, error) {
	now := time.Now().UTC()
	err := h.store.Create(ctx, RoomRecord{ID: id, Language: language, Data: data, Text: text, Version: 1, CreatedAt: now, UpdatedAt: now})
	if errors.Is(err, ErrExists) {
		return 0, ErrConflict
	}
	if err != nil {
		return 0, err
	}
	return 1, nil
}
