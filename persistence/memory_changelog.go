package persistence

import (
	"context"
	"slices"

	pairsync "github.com/pairpad/pairpad/sync"
)

// AppendChanges implements sync.ChangeLog; FailSaves makes it fail too.
func (m *Memory) AppendChanges(ctx context.Context, entries []pairsync.LogEntry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failSaves != nil {
		return m.failSaves
	}
	if m.log == nil {
		m.log = map[string][]pairsync.LogEntry{}
	}
	for _, e := range entries {
		e.Data = slices.Clone(e.Data)
		m.log[e.RoomID] = append(m.log[e.RoomID], e)
	}
	return nil
}

// Compact implements sync.ChangeLog.
func (m *Memory) Compact(ctx context.Context, id string, data []byte, language, text string, base int64, marks pairsync.LogMarks) (int64, error) {
	v, err := m.Save(ctx, id, data, language, text, base)
	if err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.log[id]) == 0 {
		return v, nil
	}
	m.log[id] = slices.DeleteFunc(m.log[id], func(e pairsync.LogEntry) bool {
		seq, ok := marks[e.Writer]
		return ok && e.Seq <= seq
	})
	return v, nil
}

// LogLen reports a room's change-log entries and bytes (tests).
func (m *Memory) LogLen(id string) (entries, bytes int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range m.log[id] {
		bytes += len(e.Data)
	}
	return len(m.log[id]), bytes
}

// foldLog appends the room's log to rec.Data; m.mu is held.
func (m *Memory) foldLog(rec *pairsync.RoomRecord) {
	for _, e := range m.log[rec.ID] {
		if rec.Log == nil {
			rec.Log = pairsync.LogMarks{}
		}
		rec.Data = append(rec.Data, e.Data...)
		rec.Log.Cover(e.Writer, e.Seq)
	}
}
