// Package persistence stores rooms for the sync core: GORM over SQLite (the
// zero-configuration default) or PostgreSQL, plus an in-memory store for
// tests. It implements sync.Store and is the only package that imports GORM.
//
// All stores are safe for concurrent use. Saves are conditional on the
// version they were based on, so two server instances writing the same room
// get sync.ErrConflict instead of overwriting each other; the sync core then
// merges and retries.
package persistence

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	gormlogger "gorm.io/gorm/logger"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/internal/lang"
	pairsync "github.com/pairpad/pairpad/sync"
)

// DefaultSQLiteFile is used when DATABASE_URL is empty.
const DefaultSQLiteFile = "pairpad.db"

// Room is the stored form of a room.
type Room struct {
	ID       string `gorm:"primaryKey;size:64"`
	Language string `gorm:"size:32;not null"`
	Data     []byte `gorm:"not null"`
	// Text is the document's content as of Data, for GET /rooms/{id}/text
	// without loading the document; NULL for rooms saved before it existed.
	Text      *string
	SizeBytes int       `gorm:"not null"`
	Version   int64     `gorm:"not null"`
	CreatedAt time.Time `gorm:"not null"`
	UpdatedAt time.Time `gorm:"not null;index"`
	// OpenedAt is when a WebSocket for the room was last accepted (NULL
	// before it ever was); ROOM_TTL counts from it (see ttl.go).
	OpenedAt *time.Time `gorm:"index"`
}

// Kind names a database driver.
type Kind string

// Supported drivers.
const (
	SQLite   Kind = "sqlite"
	Postgres Kind = "postgres"
)

// ParseURL maps DATABASE_URL to a driver and its DSN:
//   - ""                       SQLite file pairpad.db in the working directory
//   - "sqlite:PATH", "file:PATH" SQLite file PATH
//   - "postgres://…", "postgresql://…" PostgreSQL
func ParseURL(url string) (Kind, string, error) {
	switch {
	case url == "":
		return SQLite, DefaultSQLiteFile, nil
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return Postgres, url, nil
	case strings.HasPrefix(url, "sqlite://"):
		return sqlitePath(strings.TrimPrefix(url, "sqlite://"))
	case strings.HasPrefix(url, "sqlite:"):
		return sqlitePath(strings.TrimPrefix(url, "sqlite:"))
	case strings.HasPrefix(url, "file:"):
		return sqlitePath(strings.TrimPrefix(url, "file:"))
	}
	return "", "", fmt.Errorf("DATABASE_URL %q: want empty (SQLite %s), sqlite:PATH or postgres://…", redact(url), DefaultSQLiteFile)
}

func sqlitePath(p string) (Kind, string, error) {
	if p == "" {
		return "", "", errors.New("DATABASE_URL: sqlite: needs a file path, e.g. sqlite:pairpad.db")
	}
	return SQLite, p, nil
}

// redact hides a password in a URL for error messages.
func redact(url string) string {
	if at := strings.Index(url, "@"); at > 0 {
		if colon := strings.LastIndex(url[:at], ":"); colon > strings.Index(url, "://")+2 {
			return url[:colon+1] + "***" + url[at:]
		}
	}
	return url
}

// GormStore is a sync.Store over GORM.
type GormStore struct {
	db   *gorm.DB
	kind Kind
}

// Open connects to the database named by url (see ParseURL) and migrates
// the schema.
func Open(ctx context.Context, url string, log *zap.Logger) (*GormStore, error) {
	kind, dsn, err := ParseURL(url)
	if err != nil {
		return nil, err
	}
	cfg := &gorm.Config{
		Logger: gormlogger.New(zapWriter{log.Sugar()}, gormlogger.Config{
			SlowThreshold:             500 * time.Millisecond,
			LogLevel:                  gormlogger.Warn,
			IgnoreRecordNotFoundError: true,
		}),
		NowFunc:        func() time.Time { return time.Now().UTC() },
		TranslateError: true,
	}
	var dialector gorm.Dialector
	switch kind {
	case SQLite:
		// WAL lets readers run beside the writer; busy_timeout makes
		// concurrent writers wait instead of failing.
		dialector = sqlite.Open("file:" + dsn + "?_journal_mode=WAL&_busy_timeout=10000&_synchronous=NORMAL&_txlock=immediate")
	case Postgres:
		dialector = postgres.Open(dsn)
	}
	db, err := gorm.Open(dialector, cfg)
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", kind, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	if kind == SQLite {
		sqlDB.SetMaxOpenConns(4)
	} else {
		sqlDB.SetMaxOpenConns(16)
		sqlDB.SetMaxIdleConns(8)
	}
	s := &GormStore{db: db, kind: kind}
	if err := s.Ping(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("connect to %s database: %w", kind, err)
	}
	if err := s.migrate(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("migrate %s database: %w", kind, err)
	}
	return s, nil
}

// Kind reports the driver in use.
func (s *GormStore) Kind() Kind { return s.kind }

func (s *GormStore) migrate(ctx context.Context) error {
	db := s.db.WithContext(ctx)
	models := []any{&Room{}, &LogEntry{}, &LinkRow{}, &SecretRow{}}
	if s.kind != Postgres {
		return db.AutoMigrate(models...)
	}
	// Serialise migrations of concurrently starting instances.
	return db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("SELECT pg_advisory_xact_lock(727370)").Error; err != nil {
			return err
		}
		return tx.AutoMigrate(models...)
	})
}

// Create implements sync.Store.
func (s *GormStore) Create(ctx context.Context, rec pairsync.RoomRecord) error {
	text := textColumn(rec.Text)
	row := Room{ID: rec.ID, Language: lang.ForColumn(rec.Language), Data: rec.Data, Text: &text, SizeBytes: len(rec.Data),
		Version: rec.Version, CreatedAt: rec.CreatedAt, UpdatedAt: rec.UpdatedAt}
	if row.Version == 0 {
		row.Version = 1
	}
	err := s.db.WithContext(ctx).Create(&row).Error
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return pairsync.ErrExists
	}
	return err
}

// Load implements sync.Store; the room's change log is folded in (see
// sync.ChangeLog).
func (s *GormStore) Load(ctx context.Context, id string) (pairsync.RoomRecord, error) {
	return s.load(ctx, id)
}

// Meta implements sync.Store.
func (s *GormStore) Meta(ctx context.Context, id string) (pairsync.RoomMeta, error) {
	var row struct {
		ID        string
		Language  string
		SizeBytes int
		Version   int64
		CreatedAt time.Time
		UpdatedAt time.Time
		TextChars int
	}
	// length() counts characters on both SQLite and PostgreSQL.
	err := s.db.WithContext(ctx).Model(&Room{}).
		Select("id, language, size_bytes, version, created_at, updated_at, COALESCE(length(text), 0) AS text_chars").
		Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return pairsync.RoomMeta{}, pairsync.ErrNotFound
	}
	if err != nil {
		return pairsync.RoomMeta{}, err
	}
	return pairsync.RoomMeta{ID: row.ID, Language: row.Language, SizeBytes: row.SizeBytes, Version: row.Version,
		CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt, TextChars: row.TextChars}, nil
}

// Save implements sync.Store: a compare-and-set on the version.
func (s *GormStore) Save(ctx context.Context, id string, data []byte, language, text string, base int64) (int64, error) {
	res := s.db.WithContext(ctx).Model(&Room{}).Where("id = ? AND version = ?", id, base).Updates(map[string]any{
		"data":       data,
		"text":       textValue(text), // PostgreSQL text cannot hold NUL; the document keeps it
		"size_bytes": len(data),
		"language":   lang.ForColumn(language), // the document keeps what peers wrote
		"version":    base + 1,
		"updated_at": time.Now().UTC(),
	})
	if res.Error != nil {
		return 0, res.Error
	}
	if res.RowsAffected == 1 {
		return base + 1, nil
	}
	var n int64
	if err := s.db.WithContext(ctx).Model(&Room{}).Where("id = ?", id).Count(&n).Error; err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, pairsync.ErrNotFound
	}
	return 0, pairsync.ErrConflict
}

// LoadText implements sync.Store.
func (s *GormStore) LoadText(ctx context.Context, id string) (string, error) {
	row, err := s.textCopy(ctx, id, "id", "text")
	if err != nil {
		return "", err
	}
	return *row.Text, nil
}

// LoadTextHeads implements sync.Store: the text copy and the document it
// was written with come from one row read.
func (s *GormStore) LoadTextHeads(ctx context.Context, id string) (string, []string, error) {
	row, err := s.textCopy(ctx, id, "id", "text", "data")
	if err != nil {
		return "", nil, err
	}
	heads, err := crdt.SavedHeadsHex(row.Data)
	if err != nil {
		return "", nil, pairsync.ErrNoText // not one document chunk: the caller loads it
	}
	return *row.Text, heads, nil
}

// textCopy reads the columns of a room whose text copy is current.
func (s *GormStore) textCopy(ctx context.Context, id string, columns ...any) (Room, error) {
	var row Room
	err := s.db.WithContext(ctx).Select(columns[0], columns[1:]...).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return row, pairsync.ErrNotFound
	}
	if err != nil {
		return row, err
	}
	if row.Text == nil {
		return row, pairsync.ErrNoText
	}
	// Change-log entries (appended between snapshots) are newer than the
	// copy: the caller reads the document until the next snapshot.
	var logged int64
	if err := s.db.WithContext(ctx).Model(&LogEntry{}).Where("room_id = ?", id).Limit(1).Count(&logged).Error; err != nil {
		return row, err
	}
	if logged > 0 {
		return row, pairsync.ErrNoText
	}
	return row, nil
}

// Ping implements sync.Store.
func (s *GormStore) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// Close implements sync.Store.
func (s *GormStore) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// DeleteAllForTests empties the rooms table. Tests only.
func (s *GormStore) DeleteAllForTests(ctx context.Context) error {
	if err := s.db.WithContext(ctx).Where("1 = 1").Delete(&LogEntry{}).Error; err != nil {
		return err
	}
	return s.db.WithContext(ctx).Where("1 = 1").Delete(&Room{}).Error
}

type zapWriter struct{ s *zap.SugaredLogger }

func (w zapWriter) Printf(format string, args ...any) { w.s.Warnf(format, args...) }

// textColumn makes a document's text storable in a text column: PostgreSQL
// refuses NUL bytes and invalid UTF-8, so those become U+FFFD in the copy
// (the document itself keeps what peers wrote).
// textValue is the text column's value for a save: NULL for
// pairsync.NoText.
func textValue(s string) any {
	if s == pairsync.NoText {
		return nil
	}
	return textColumn(s)
}

func textColumn(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}
