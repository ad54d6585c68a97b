package persistence_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"
	"go.uber.org/zap"

	"github.com/pairpad/pairpad/internal/testenv"
	"github.com/pairpad/pairpad/persistence"
	pairsync "github.com/pairpad/pairpad/sync"
)

// holdCompactLock takes room's compaction lock on a connection of its own,
// as another instance in the middle of compacting the room holds it; release
// ends that transaction.
func holdCompactLock(t *testing.T, url, room string) (release func()) {
	t.Helper()
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	if _, err := tx.Exec("SELECT pg_advisory_xact_lock($1, hashtext($2))", persistence.CompactLockSpace, room); err != nil {
		t.Fatal(err)
	}
	done := false
	release = func() {
		if !done {
			done = true
			_ = tx.Rollback()
			_ = db.Close()
		}
	}
	t.Cleanup(release)
	return release
}

// While another instance compacts a room (holds its advisory lock), Compact
// on PostgreSQL changes nothing and answers ErrCompactBusy at once; another
// room is not held up; once the lock is released the compaction goes
// through.
func TestCompactLockOneInstanceAtATime(t *testing.T) {
	ctx := context.Background()
	url := testenv.PostgresURL(t)
	s, err := persistence.Open(ctx, url, zap.NewNop())
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	defer s.Close()
	id, doc := newRoomDoc(t, s)
	other, otherDoc := newRoomDoc(t, s)
	if err := s.AppendChanges(ctx, []pairsync.LogEntry{{RoomID: id, Writer: "w1", Seq: 1, Data: edit(t, doc, "logged")}}); err != nil {
		t.Fatal(err)
	}
	snap, _ := doc.Save()

	release := holdCompactLock(t, url, id)
	_, err = s.Compact(ctx, id, snap, "go", "logged", 1, pairsync.LogMarks{"w1": 1})
	if !errors.Is(err, pairsync.ErrCompactBusy) {
		t.Fatalf("compact while another instance holds the room's lock: %v, want ErrCompactBusy", err)
	}
	if text, rec := loadText(t, s, id); text != "logged" || rec.Version != 1 || rec.Log["w1"] != 1 {
		t.Fatalf("refused compaction changed the room: %q version %d marks %v", text, rec.Version, rec.Log)
	}
	// The lock is per room.
	otherSnap, _ := otherDoc.Save()
	if _, err := s.Compact(ctx, other, otherSnap, "go", "", 1, pairsync.LogMarks{}); err != nil {
		t.Fatalf("another room's compaction: %v", err)
	}

	release()
	v, err := s.Compact(ctx, id, snap, "go", "logged", 1, pairsync.LogMarks{"w1": 1})
	if err != nil || v != 2 {
		t.Fatalf("compact after the lock is released: v=%d err=%v", v, err)
	}
	if text, rec := loadText(t, s, id); text != "logged" || rec.Log != nil {
		t.Fatalf("after compaction: %q marks %v", text, rec.Log)
	}
}
