package persistence

import (
	"context"
	"time"

	"gorm.io/gorm"

	pairsync "github.com/pairpad/pairpad/sync"
)

// OpenedResolution is how stale a room's opened_at may be before MarkOpened
// writes it again: joining a room costs at most one UPDATE per hour, never
// one per connection or keystroke.
const OpenedResolution = time.Hour

// The TTL methods below let the API expire rooms nobody opens (ROOM_TTL).
// A room's last opening is opened_at, or its last save (updated_at) when it
// was never opened since the column appeared; both stores implement them.

// MarkOpened records that a WebSocket for room id was accepted at at. It
// writes only when the stored time is older than OpenedResolution, and is
// not an error for an unknown room.
func (s *GormStore) MarkOpened(ctx context.Context, id string, at time.Time) error {
	at = at.UTC()
	return s.db.WithContext(ctx).Model(&Room{}).
		Where("id = ? AND (opened_at IS NULL OR opened_at < ?)", id, at.Add(-OpenedResolution)).
		UpdateColumn("opened_at", at).Error // opening is not an edit: updated_at stays
}

// lastActivityBefore selects rooms neither opened nor saved since before: a
// save (an edit in a session longer than the TTL) keeps a room as much as
// opening it does.
const lastActivityBefore = "(opened_at IS NULL OR opened_at < ?) AND updated_at < ?"

// ExpiredRooms returns up to limit ids of rooms neither opened nor saved
// since before.
func (s *GormStore) ExpiredRooms(ctx context.Context, before time.Time, limit int) ([]string, error) {
	var ids []string
	err := s.db.WithContext(ctx).Model(&Room{}).
		Where(lastActivityBefore, before.UTC(), before.UTC()).
		Order("id").Limit(limit).Pluck("id", &ids).Error
	return ids, err
}

// DeleteUnopenedSince deletes room id if it still was last opened before
// before (a room opened after the sweep picked it is kept), and reports
// whether it did.
func (s *GormStore) DeleteUnopenedSince(ctx context.Context, id string, before time.Time) (bool, error) {
	deleted := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Where("id = ? AND "+lastActivityBefore, id, before.UTC(), before.UTC()).Delete(&Room{})
		if res.Error != nil || res.RowsAffected != 1 {
			return res.Error
		}
		deleted = true
		return tx.Where("room_id = ?", id).Delete(&LogEntry{}).Error // its change log goes too
	})
	return deleted && err == nil, err
}

// MarkOpened implements the TTL methods for tests (see GormStore).
func (m *Memory) MarkOpened(_ context.Context, id string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.rooms[id]; !ok {
		return nil
	}
	if prev, ok := m.opened[id]; !ok || prev.Before(at.Add(-OpenedResolution)) {
		m.opened[id] = at
	}
	return nil
}

// lastActivity is the later of the room's last opening and last save.
func (m *Memory) lastActivity(rec pairsync.RoomRecord) time.Time {
	if t, ok := m.opened[rec.ID]; ok && t.After(rec.UpdatedAt) {
		return t
	}
	return rec.UpdatedAt
}

// ExpiredRooms implements the TTL methods for tests (see GormStore).
func (m *Memory) ExpiredRooms(_ context.Context, before time.Time, limit int) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ids []string
	for id, rec := range m.rooms {
		if len(ids) < limit && m.lastActivity(rec).Before(before) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// DeleteUnopenedSince implements the TTL methods for tests (see GormStore).
func (m *Memory) DeleteUnopenedSince(_ context.Context, id string, before time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, ok := m.rooms[id]
	if !ok || !m.lastActivity(rec).Before(before) {
		return false, nil
	}
	delete(m.rooms, id)
	delete(m.opened, id)
	delete(m.log, id)
	return true, nil
}
