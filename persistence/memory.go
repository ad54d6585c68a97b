package persistence

import (
	"context"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/internal/lang"
	pairsync "github.com/pairpad/pairpad/sync"
)

// Memory is an in-memory sync.Store for tests. FailSaves makes saves fail,
// to test error paths.
type Memory struct {
	mu        sync.Mutex
	rooms     map[string]pairsync.RoomRecord
	failSaves error
	saves     int
	loads     int                            // Load calls
	log       map[string][]pairsync.LogEntry // change log by room (memory_changelog.go)
	opened    map[string]time.Time           // see ttl.go
}

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory {
	return &Memory{rooms: map[string]pairsync.RoomRecord{}, opened: map[string]time.Time{}}
}

// FailSaves makes every Save return err (nil restores normal saves).
func (m *Memory) FailSaves(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failSaves = err
}

// Saves counts successful saves.
func (m *Memory) Saves() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.saves
}

// Create implements sync.Store.
func (m *Memory) Create(_ context.Context, rec pairsync.RoomRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.rooms[rec.ID]; ok {
		return pairsync.ErrExists
	}
	if rec.Version == 0 {
		rec.Version = 1
	}
	rec.Data, rec.Language = slices.Clone(rec.Data), lang.ForColumn(rec.Language)
	m.rooms[rec.ID] = rec
	return nil
}

// Load implements sync.Store.
func (m *Memory) Load(_ context.Context, id string) (pairsync.RoomRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, ok := m.rooms[id]
	if !ok {
		return rec, pairsync.ErrNotFound
	}
	m.loads++
	rec.Data = slices.Clone(rec.Data)
	m.foldLog(&rec)
	return rec, nil
}

// Meta implements sync.Store.
func (m *Memory) Meta(_ context.Context, id string) (pairsync.RoomMeta, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, ok := m.rooms[id]
	if !ok {
		return pairsync.RoomMeta{}, pairsync.ErrNotFound
	}
	return pairsync.RoomMeta{ID: rec.ID, Language: rec.Language, SizeBytes: len(rec.Data), Version: rec.Version, TextChars: textChars(rec.Text),
		CreatedAt: rec.CreatedAt, UpdatedAt: rec.UpdatedAt}, nil
}

// Save implements sync.Store.
func (m *Memory) Save(ctx context.Context, id string, data []byte, language, text string, base int64) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failSaves != nil {
		return 0, m.failSaves
	}
	rec, ok := m.rooms[id]
	if !ok {
		return 0, pairsync.ErrNotFound
	}
	if rec.Version != base {
		return 0, pairsync.ErrConflict
	}
	rec.Data, rec.Language, rec.Version, rec.UpdatedAt = slices.Clone(data), lang.ForColumn(language), base+1, time.Now().UTC()
	rec.Text = text
	m.rooms[id] = rec
	m.saves++
	return rec.Version, nil
}

// LoadText implements sync.Store.
func (m *Memory) LoadText(_ context.Context, id string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, err := m.textCopyLocked(id)
	return rec.Text, err
}

// LoadTextHeads implements sync.Store.
func (m *Memory) LoadTextHeads(_ context.Context, id string) (string, []string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, err := m.textCopyLocked(id)
	if err != nil {
		return "", nil, err
	}
	heads, err := crdt.SavedHeadsHex(rec.Data)
	if err != nil {
		return "", nil, pairsync.ErrNoText
	}
	return rec.Text, heads, nil
}

// textCopyLocked returns the record whose text copy is current.
func (m *Memory) textCopyLocked(id string) (pairsync.RoomRecord, error) {
	rec, ok := m.rooms[id]
	if !ok {
		return pairsync.RoomRecord{}, pairsync.ErrNotFound
	}
	if len(m.log[id]) > 0 || rec.Text == pairsync.NoText { // newer than the copy (see GormStore.LoadText)
		return pairsync.RoomRecord{}, pairsync.ErrNoText
	}
	return rec, nil
}

// Loads counts Load calls (documents read), for tests.
func (m *Memory) Loads() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.loads
}

// Ping implements sync.Store.
func (m *Memory) Ping(context.Context) error { return nil }

// Close implements sync.Store.
func (m *Memory) Close() error { return nil }

func textChars(text string) int {
	if text == pairsync.NoText {
		return 0
	}
	return utf8.RuneCountInString(text)
}
