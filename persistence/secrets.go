package persistence

import (
	"context"
	"time"

	"gorm.io/gorm/clause"
)

// SecretRow is a server-generated secret (e.g. the link token secret when
// AUTH_SECRET is unset), kept so that restarts keep tokens valid.
type SecretRow struct {
	Name      string    `gorm:"primaryKey;size:64"`
	Value     []byte    `gorm:"not null"`
	CreatedAt time.Time `gorm:"not null"`
}

// TableName implements gorm's Tabler.
func (SecretRow) TableName() string { return "secrets" }

// LoadOrCreateSecret implements auth.SecretStore: the first writer's value
// wins, also between instances starting at once.
func (s *GormStore) LoadOrCreateSecret(ctx context.Context, name string, fresh []byte) ([]byte, error) {
	db := s.db.WithContext(ctx)
	row := SecretRow{Name: name, Value: fresh, CreatedAt: time.Now().UTC()}
	if err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
		return nil, err
	}
	var got SecretRow
	if err := db.Where("name = ?", name).Take(&got).Error; err != nil {
		return nil, err
	}
	return got.Value, nil
}
