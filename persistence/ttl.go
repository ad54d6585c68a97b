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
		Update("opened_at", at).Error
}

// ExpiredRooms returns up to limit ids of rooms last opened before before.
func (s *GormStore) ExpiredRooms(ctx context.Context, before time.Time, limit int) ([]string, error) {
	var ids []string
	err := s.db.WithContext(ctx).Model(&Room{}).
		Where("COALESCE(opened_at, updated_at) < ?", before.UTC()).
		Order("id").Limit(limit).Pluck("id", &ids).Error
	return ids, err
}

// DeleteUnopenedSince deletes room id if it still was last opened before
// before (a room opened after the sweep picked it is kept), and reports
// whether it did.
func (s *GormStore) DeleteUnopenedSince(ctx context.Context, id string, before time.Time) (bool, error) {
	deleted := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Where("id = ? AND COALESCE(opened_at, updated_at) < ?", id, before.UTC()).Delete(&Room{})
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

func (m *Memory) lastOpened(rec pairsync.RoomRecord) time.Time {
	if t, ok := m.opened[rec.ID]; ok {
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
		if len(ids) < limit && m.lastOpened(rec).Before(before) {
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
	if !ok || !m.lastOpened(rec).Before(before) {
		return false, nil
	}
	delete(m.rooms, id)
	delete(m.opened, id)
	delete(m.log, id)
	return true, nil
}
