package persistence

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/pairpad/pairpad/internal/lang"
	pairsync "github.com/pairpad/pairpad/sync"
)

// LogEntry is the stored form of one change-log entry: an automerge
// incremental save of a room (see sync.LogEntry). The snapshot in rooms.data
// plus the room's entries, in order, is the whole document.
//
// Besides (room_id, seq) the key holds the writer, the room incarnation that
// took the entry: sequence numbers restart with every load, and two
// instances may hold the same room, so (room_id, seq) alone could collide.
type LogEntry struct {
	RoomID    string    `gorm:"primaryKey;size:64"`
	Writer    string    `gorm:"primaryKey;size:32"`
	Seq       int64     `gorm:"primaryKey;autoIncrement:false"`
	Data      []byte    `gorm:"not null"`
	CreatedAt time.Time `gorm:"not null"`
}

// TableName is the change log's table.
func (LogEntry) TableName() string { return "room_log" }

// appendBatch bounds the rows of one INSERT (PostgreSQL allows 65,535
// parameters per statement).
const appendBatch = 1000

// AppendChanges implements sync.ChangeLog: one transaction for all entries.
func (s *GormStore) AppendChanges(ctx context.Context, entries []pairsync.LogEntry) error {
	if len(entries) == 0 {
		return nil
	}
	now := time.Now().UTC()
	rows := make([]LogEntry, len(entries))
	for i, e := range entries {
		rows[i] = LogEntry{RoomID: e.RoomID, Writer: e.Writer, Seq: e.Seq, Data: e.Data, CreatedAt: now}
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return tx.CreateInBatches(rows, appendBatch).Error
	})
}

// CompactLockSpace is the first key of the PostgreSQL advisory lock that
// Compact takes on a room (the second is hashtext(room id)): "pair" in
// ASCII, so that the locks never meet another application's.
const CompactLockSpace int32 = 0x70616972

// Compact implements sync.ChangeLog: Save's compare-and-set and the removal
// of the covered log entries, in one transaction.
//
// On PostgreSQL, where several instances share the database (REDIS_URL), the
// transaction first takes pg_try_advisory_xact_lock(CompactLockSpace,
// hashtext(id)): only one instance compacts a room at a time, and one that
// finds the lock taken returns sync.ErrCompactBusy at once instead of
// waiting on the row for a compare-and-set that would fail anyway. The lock
// ends with the transaction (commit, rollback or a dropped connection), so
// an instance killed mid-compaction holds nothing.
func (s *GormStore) Compact(ctx context.Context, id string, data []byte, language, text string, base int64, marks pairsync.LogMarks) (int64, error) {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if s.kind == Postgres {
			var locked bool
			if err := tx.Raw("SELECT pg_try_advisory_xact_lock(?, hashtext(?))", CompactLockSpace, id).Scan(&locked).Error; err != nil {
				return err
			}
			if !locked {
				return pairsync.ErrCompactBusy
			}
		}
		res := tx.Model(&Room{}).Where("id = ? AND version = ?", id, base).Updates(map[string]any{
			"data":       data,
			"text":       textValue(text), // as Save
			"size_bytes": len(data),
			"language":   lang.ForColumn(language), // as Save: the document keeps what peers wrote
			"version":    base + 1,
			"updated_at": time.Now().UTC(),
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			var n int64
			if err := tx.Model(&Room{}).Where("id = ?", id).Count(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				return pairsync.ErrNotFound
			}
			return pairsync.ErrConflict
		}
		for writer, seq := range marks {
			if err := tx.Where("room_id = ? AND writer = ? AND seq <= ?", id, writer, seq).Delete(&LogEntry{}).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return base + 1, nil
}

// load reads a room and its change log in one transaction, so that a
// compaction in between cannot remove entries the snapshot read lacks.
func (s *GormStore) load(ctx context.Context, id string) (pairsync.RoomRecord, error) {
	var row Room
	var log []LogEntry
	var opts *sql.TxOptions
	if s.kind == Postgres {
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("id = ?", id).Take(&row).Error; err != nil {
			return err
		}
		return tx.Where("room_id = ?", id).Order("created_at, writer, seq").Find(&log).Error
	}, opts)
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return pairsync.RoomRecord{}, pairsync.ErrNotFound
	}
	if err != nil {
		return pairsync.RoomRecord{}, err
	}
	rec := pairsync.RoomRecord{ID: row.ID, Language: row.Language, Data: row.Data, Version: row.Version,
		CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt}
	foldLog(&rec, log)
	return rec, nil
}

// foldLog appends log entries to the snapshot in rec.Data and records them
// in rec.Log.
func foldLog(rec *pairsync.RoomRecord, log []LogEntry) {
	if len(log) == 0 {
		return
	}
	n := len(rec.Data)
	for _, e := range log {
		n += len(e.Data)
	}
	data := slices.Grow(rec.Data[:len(rec.Data):len(rec.Data)], n-len(rec.Data))
	rec.Log = pairsync.LogMarks{}
	for _, e := range log {
		data = append(data, e.Data...)
		rec.Log.Cover(e.Writer, e.Seq)
	}
	rec.Data = data
}

// LogStats reports a room's change log: entries and bytes. For tests and
// the measurements in BENCHMARKS.md.
func (s *GormStore) LogStats(ctx context.Context, id string) (entries int64, bytes int64, err error) {
	var out struct {
		N int64
		B int64
	}
	err = s.db.WithContext(ctx).Model(&LogEntry{}).Select("COUNT(*) AS n, COALESCE(SUM(LENGTH(data)), 0) AS b").
		Where("room_id = ?", id).Scan(&out).Error
	return out.N, out.B, err
}

// DeleteLog removes the change log of rooms that were deleted.
func (s *GormStore) DeleteLog(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	return s.db.WithContext(ctx).Where("room_id IN ?", ids).Delete(&LogEntry{}).Error
}
