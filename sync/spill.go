package sync

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"go.uber.org/zap"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/internal/spill"
)

// Spilling. A room that cannot be saved (the database is down and the
// shutdown deadline is near, or its snapshot save failed) writes its whole
// document to SpillDir, fsynced. At start RecoverSpills merges every spilled
// document into the database (a CRDT merge: nothing stored is lost, nothing
// spilled is lost) and removes each file only after its merge committed.

// spillRoom writes data as room id's spill.
func (h *Hub) spillRoom(id string, data []byte) error {
	if h.cfg.SpillDir == "" {
		return errors.New("no spill directory configured")
	}
	d, err := spill.Open(h.cfg.SpillDir)
	if err == nil {
		err = d.Write(id, data)
	}
	if err != nil {
		h.metrics.SpillErrors.Add(1)
		return err
	}
	h.metrics.Spills.Add(1)
	return nil
}

// unspill removes room id's spill after a save that includes it committed.
func (h *Hub) unspill(id string) error {
	d, err := spill.Open(h.cfg.SpillDir)
	if err != nil {
		return err
	}
	return d.Remove(id)
}

// RecoverSpills merges the rooms spilled in dir into store and removes their
// files; it returns the rooms recovered. A file that cannot be merged (not
// an automerge document, or the database failed) is left in place, logged,
// and reported in the error; the others are still recovered.
func RecoverSpills(ctx context.Context, store Store, dir string, m *Metrics, log *zap.Logger) ([]string, error) {
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil, nil // nothing was ever spilled
	}
	d, err := spill.Open(dir)
	if err != nil {
		return nil, err
	}
	entries, err := d.List()
	if err != nil {
		return nil, err
	}
	var recovered []string
	var errs []error
	for _, e := range entries {
		data, err := d.Read(e.ID)
		if err == nil {
			err = mergeSpill(ctx, store, e.ID, data)
		}
		if err == nil {
			err = d.Remove(e.ID)
		}
		if err != nil {
			log.Error("spilled room not recovered; its file stays", zap.String("room", e.ID),
				zap.String("file", d.File(e.ID)), zap.Error(err))
			errs = append(errs, fmt.Errorf("room %s: %w", e.ID, err))
			continue
		}
		if m != nil {
			m.SpillsRecovered.Add(1)
		}
		log.Info("spilled room merged into the database", zap.String("room", e.ID), zap.Int64("bytes", e.Size))
		recovered = append(recovered, e.ID)
	}
	return recovered, errors.Join(errs...)
}

// mergeSpill folds a spilled document into the stored room (creating it if
// it is gone), with the usual compare-and-set and retry on conflict.
func mergeSpill(ctx context.Context, store Store, id string, spilled []byte) error {
	if _, err := crdt.Load(spilled); err != nil {
		return fmt.Errorf("spill file is not an automerge document: %w", err)
	}
	for attempt := 0; attempt < 5; attempt++ {
		rec, err := store.Load(ctx, id)
		if errors.Is(err, ErrNotFound) {
			doc, err := crdt.Load(spilled)
			if err != nil {
				return err
			}
			data, err := doc.Save()
			if err != nil {
				return err
			}
			now := time.Now().UTC()
			err = store.Create(ctx, RoomRecord{ID: id, Language: doc.Language(), Data: data, Version: 1, CreatedAt: now, UpdatedAt: now})
			if errors.Is(err, ErrExists) {
				continue
			}
			return err
		}
		if err != nil {
			return err
		}
		doc, err := crdt.Load(rec.Data)
		if err != nil {
			return fmt.Errorf("stored document: %w", err)
		}
		before := doc.HeadsKey()
		if err := doc.Merge(spilled); err != nil {
			return fmt.Errorf("merge spill: %w", err)
		}
		if doc.HeadsKey() == before {
			return nil // the database has everything already
		}
		data, err := doc.Save()
		if err != nil {
			return err
		}
		text, err := doc.Text()
		if err != nil {
			return err
		}
		if cl, ok := store.(ChangeLog); ok {
			_, err = cl.Compact(ctx, id, data, doc.Language(), text, rec.Version, rec.Log)
		} else {
			_, err = store.Save(ctx, id, data, doc.Language(), text, rec.Version)
		}
		if errors.Is(err, ErrConflict) {
			continue
		}
		return err
	}
	return ErrConflict
}
