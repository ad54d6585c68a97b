package sync_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/pairpad/pairpad/internal/testenv"
	"github.com/pairpad/pairpad/persistence"
	pairsync "github.com/pairpad/pairpad/sync"
	"github.com/pairpad/pairpad/sync/wireclient"
)

// holdCompactLock takes room's compaction lock (persistence.Compact's
// advisory lock) on a connection of its own, as a third instance in the
// middle of compacting the room would; release ends that transaction.
func holdCompactLock(t *testing.T, room string) (release func()) {
	t.Helper()
	db, err := sql.Open("pgx", testenv.PostgresURL(t))
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

// Two instances racing to compact the same room: while the room's lock is
// held neither snapshot lands (both wait, counted), and once it is free both
// instances' edits are in the store, nothing lost, the log folded in.
func TestRedisOneInstanceCompactsARoomAtATime(t *testing.T) {
	servers, brokers := redisCluster(t, 2, pairsync.Config{FlushInterval: 30 * time.Millisecond, LogInterval: 10 * time.Millisecond, HeadsInterval: time.Minute})
	room := servers[0].createRoom("go")
	store := servers[0].store
	release := holdCompactLock(t, room)

	a := servers[0].dial(room, wireclient.ClientOptions{})
	b := servers[1].dial(room, wireclient.ClientOptions{})
	waitText(t, a, "")
	waitText(t, b, "")
	// Each instance saves only its own peer's edits: their snapshots race.
	brokers[0].SetDropPublishes(true)
	brokers[1].SetDropPublishes(true)
	typeConcurrently(t, []*wireclient.Client{a, b}, 20)
	eventually(t, "both instances wait for the compaction lock", func() bool {
		return servers[0].hub.Metrics().SaveLockBusy.Load() > 0 && servers[1].hub.Metrics().SaveLockBusy.Load() > 0
	})
	meta, err := store.Meta(context.Background(), room)
	if err != nil {
		t.Fatal(err)
	}
	if meta.Version != 1 {
		t.Fatalf("a snapshot was saved (version %d) while another instance held the room's compaction lock", meta.Version)
	}
	// Meanwhile the change log keeps every keystroke durable.
	eventually(t, "every keystroke in snapshot + log while compaction waits", func() bool {
		return missingKeystroke(storedText(t, store, room), 2, 20) == ""
	})

	release()
	eventually(t, "both instances compacted the room", func() bool {
		m, err := store.Meta(context.Background(), room)
		return err == nil && m.Version >= 3
	})
	if tok := missingKeystroke(storedText(t, store, room), 2, 20); tok != "" {
		t.Fatalf("keystroke %s lost after the racing compactions", tok)
	}
	for i, s := range servers {
		if n := s.hub.Metrics().SaveErrors.Load(); n != 0 {
			t.Fatalf("instance %d: %d failed saves", i, n)
		}
	}
}
