package persistence

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"

	"github.com/pairpad/pairpad/auth"
)

// LinkRow is the stored form of a share link (auth.Link).
type LinkRow struct {
	ID        string     `gorm:"primaryKey;size:32"`
	RoomID    string     `gorm:"size:64;not null;index"`
	Role      string     `gorm:"size:16;not null"`
	Label     string     `gorm:"size:400;not null;default:''"`
	CreatedAt time.Time  `gorm:"not null"`
	RevokedAt *time.Time `gorm:""`
	ExpiresAt *time.Time `gorm:""`
	// Notes: the link opens the room's private notes too.
	Notes bool `gorm:"not null;default:false"`
}

// TableName implements gorm's Tabler.
func (LinkRow) TableName() string { return "links" }

func (r LinkRow) link() auth.Link {
	l := auth.Link{ID: r.ID, RoomID: r.RoomID, Role: auth.Role(r.Role), Label: r.Label, CreatedAt: r.CreatedAt.UTC(), Notes: r.Notes}
	if r.RevokedAt != nil {
		t := r.RevokedAt.UTC()
		l.RevokedAt = &t
	}
	if r.ExpiresAt != nil {
		t := r.ExpiresAt.UTC()
		l.ExpiresAt = &t
	}
	return l
}

// CreateLink implements auth.LinkStore.
func (s *GormStore) CreateLink(ctx context.Context, l auth.Link) error {
	row := LinkRow{ID: l.ID, RoomID: l.RoomID, Role: string(l.Role), Label: l.Label, CreatedAt: l.CreatedAt.UTC(),
		RevokedAt: l.RevokedAt, ExpiresAt: l.ExpiresAt, Notes: l.Notes}
	return s.db.WithContext(ctx).Create(&row).Error
}

// GetLink implements auth.LinkStore.
func (s *GormStore) GetLink(ctx context.Context, id string) (auth.Link, error) {
	var row LinkRow
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return auth.Link{}, auth.ErrLinkNotFound
	}
	if err != nil {
		return auth.Link{}, err
	}
	return row.link(), nil
}

// ListLinks implements auth.LinkStore: a room's links, oldest first.
func (s *GormStore) ListLinks(ctx context.Context, roomID string) ([]auth.Link, error) {
	var rows []LinkRow
	if err := s.db.WithContext(ctx).Where("room_id = ?", roomID).Order("created_at, id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]auth.Link, len(rows))
	for i, r := range rows {
		out[i] = r.link()
	}
	return out, nil
}

// SetLinkRole implements auth.LinkStore.
func (s *GormStore) SetLinkRole(ctx context.Context, id string, role auth.Role) (auth.Link, error) {
	res := s.db.WithContext(ctx).Model(&LinkRow{}).Where("id = ?", id).Update("role", string(role))
	if res.Error != nil {
		return auth.Link{}, res.Error
	}
	if res.RowsAffected == 0 {
		return auth.Link{}, auth.ErrLinkNotFound
	}
	return s.GetLink(ctx, id)
}

// SetLinkNotes implements auth.LinkStore.
func (s *GormStore) SetLinkNotes(ctx context.Context, id string, notes bool) (auth.Link, error) {
	res := s.db.WithContext(ctx).Model(&LinkRow{}).Where("id = ?", id).Update("notes", notes)
	if res.Error != nil {
		return auth.Link{}, res.Error
	}
	if res.RowsAffected == 0 {
		return auth.Link{}, auth.ErrLinkNotFound
	}
	return s.GetLink(ctx, id)
}

// RevokeLink implements auth.LinkStore; the first revocation time is kept.
func (s *GormStore) RevokeLink(ctx context.Context, id string, at time.Time) (auth.Link, error) {
	err := s.db.WithContext(ctx).Model(&LinkRow{}).Where("id = ? AND revoked_at IS NULL", id).Update("revoked_at", at.UTC()).Error
	if err != nil {
		return auth.Link{}, err
	}
	return s.GetLink(ctx, id)
}
