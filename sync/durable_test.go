package sync_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/persistence"
	pairsync "github.com/pairpad/pairpad/sync"
	"github.com/pairpad/pairpad/sync/wireclient"
)

var errDatabaseDown = errors.New("database down (test)")

func memText(t *testing.T, store *persistence.Memory, room string) string {
	t.Helper()
	rec, err := store.Load(context.Background(), room)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	d, err := crdt.Load(rec.Data)
	if err != nil {
		t.Fatalf("load document: %v", err)
	}
	s, _ := d.Text()
	return s
}

// Edits reach the store through the change log long before the snapshot.
func TestChangeLogWritesBetweenSnapshots(t *testing.T) {
	t.Parallel()
	store := persistence.NewMemory()
	ts := newTestServer(t, pairsync.Config{FlushInterval: time.Hour, LogInterval: 20 * time.Millisecond}, store)
	room := ts.createRoom("go")
	c := ts.dial(room, wireclient.ClientOptions{})
	waitText(t, c, "")
	for i, s := range []string{"a", "b", "c"} {
		if err := c.Splice(i, 0, s); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "edits in the change log", func() bool { return memText(t, store, room) == "abc" })
	if n := store.Saves(); n != 0 {
		t.Fatalf("%d snapshot saves; the log alone should have carried the edits", n)
	}
	if n, _ := store.LogLen(room); n == 0 {
		t.Fatal("no change-log entries")
	}
	ts.hub.FlushAll()
	eventually(t, "snapshot compacts the log", func() bool { n, _ := store.LogLen(room); return n == 0 && store.Saves() == 1 })
	if got := memText(t, store, room); got != "abc" {
		t.Fatalf("after compaction: %q", got)
	}
	m := ts.hub.Metrics()
	if m.LogAppends.Load() == 0 || m.LogEntriesWritten.Load() == 0 || m.LogBytesWritten.Load() == 0 {
		t.Fatalf("log metrics: appends %d entries %d bytes %d", m.LogAppends.Load(), m.LogEntriesWritten.Load(), m.LogBytesWritten.Load())
	}
}

// Over a long session the snapshot keeps the log short (memory store and
// SQLite).
func TestChangeLogStaysBounded(t *testing.T) {
	t.Parallel()
	sqlite, err := persistence.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "log.db"), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sqlite.Close() })
	mem := persistence.NewMemory()
	for name, tc := range map[string]struct {
		store  pairsync.Store
		logLen func(room string) int
	}{
		"memory": {mem, func(room string) int { n, _ := mem.LogLen(room); return n }},
		"sqlite": {sqlite, func(room string) int {
			n, _, err := sqlite.LogStats(context.Background(), room)
			if err != nil {
				t.Errorf("log stats: %v", err)
			}
			return int(n)
		}},
	} {
		t.Run(name, func(t *testing.T) {
			ts := newTestServer(t, pairsync.Config{FlushInterval: 100 * time.Millisecond, LogInterval: 10 * time.Millisecond}, tc.store)
			room := ts.createRoom("go")
			c := ts.dial(room, wireclient.ClientOptions{})
			waitText(t, c, "")
			maxEntries := 0
			var want strings.Builder
			for i := 0; i < 150; i++ {
				if err := c.Splice(i, 0, "x"); err != nil {
					t.Fatal(err)
				}
				want.WriteString("x")
				time.Sleep(10 * time.Millisecond) // a typist's pace: 150 keystrokes over ~1.5 s
				maxEntries = max(maxEntries, tc.logLen(room))
			}
			written := int(ts.hub.Metrics().LogEntriesWritten.Load())
			waitText(t, c, want.String())
			eventually(t, "everything stored", func() bool { return storedText(t, tc.store, room) == want.String() })
			// ~10 log ticks per snapshot; allow for slow CI.
			if maxEntries > 40 {
				t.Fatalf("change log reached %d entries (of %d written): the snapshot does not compact it", maxEntries, written)
			}
			if written < 20 {
				t.Fatalf("only %d entries written over the session: the log did not run", written)
			}
			ts.hub.FlushAll()
			eventually(t, "log compacted after the last snapshot", func() bool { return tc.logLen(room) == 0 })
		})
	}
}

// While the store fails, a loaded room keeps serving readers and new peers
// from memory, stays loaded after its last peer leaves, and is saved once
// the store is back.
func TestStoreOutageServesFromMemory(t *testing.T) {
	t.Parallel()
	store := persistence.NewMemory()
	ts := newTestServer(t, pairsync.Config{FlushInterval: 50 * time.Millisecond, LogInterval: 20 * time.Millisecond}, store)
	room := ts.createRoom("go")
	a := ts.dial(room, wireclient.ClientOptions{})
	if err := a.Splice(0, 0, "before;"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "stored", func() bool { return memText(t, store, room) == "before;" })

	store.FailSaves(errDatabaseDown)
	if err := a.Splice(7, 0, "during;"); err != nil {
		t.Fatal(err)
	}
	m := ts.hub.Metrics()
	eventually(t, "save failures counted", func() bool {
		return m.UnsavedRooms.Load() == 1 && m.LogAppendErrors.Load() > 0 && m.LogEntriesPending.Load() > 0
	})
	a.Close()
	b := ts.dial(room, wireclient.ClientOptions{})
	waitText(t, b, "before;during;")
	b.Close()
	eventually(t, "peers gone", func() bool { return ts.hub.Status(room).Peers == 0 })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	data, err := ts.hub.Snapshot(ctx, room)
	if err != nil {
		t.Fatalf("snapshot during the outage: %v", err)
	}
	if d, _ := crdt.Load(data); d == nil {
		t.Fatal("snapshot is not a document")
	} else if s, _ := d.Text(); s != "before;during;" {
		t.Fatalf("snapshot during the outage: %q", s)
	}
	if meta, st, ok := ts.hub.LiveMeta(room); !ok || !st.Loaded || !st.Dirty || meta.Language != "go" {
		t.Fatalf("unsaved room left memory or lost its metadata: %+v %+v %v", meta, st, ok)
	}
	if memText(t, store, room) != "before;" {
		t.Fatal("the failing store took a write")
	}

	store.FailSaves(nil)
	eventually(t, "saved after the outage", func() bool { return memText(t, store, room) == "before;during;" })
	eventually(t, "unloaded once saved", func() bool { return !ts.hub.Status(room).Loaded })
	if m.UnsavedRooms.Load() != 0 {
		t.Fatalf("unsaved rooms gauge %d after recovery", m.UnsavedRooms.Load())
	}
}

// Shutdown with the store down spills the room and says so; the spill is
// merged back at the next start.
func TestShutdownSpillsWhenStoreDown(t *testing.T) {
	t.Parallel()
	store := persistence.NewMemory()
	spillDir := filepath.Join(t.TempDir(), "spill")
	hub := pairsync.NewHub(pairsync.Config{FlushInterval: time.Hour, LogInterval: 20 * time.Millisecond, SpillDir: spillDir}, store, discardLogger())
	ts := serveHub(t, hub)
	ts.store = store
	room := ts.createRoom("go")
	c := ts.dial(room, wireclient.ClientOptions{})
	store.FailSaves(errDatabaseDown)
	if err := c.Splice(0, 0, "only in memory"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "room has the edit", func() bool {
		data, err := hub.Snapshot(context.Background(), room)
		if err != nil {
			return false
		}
		d, _ := crdt.Load(data)
		s, _ := d.Text()
		return s == "only in memory"
	})
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	err := hub.Shutdown(ctx)
	var se *pairsync.ShutdownError
	if !errors.As(err, &se) || len(se.Report.Spilled) != 1 || se.Report.Spilled[0] != room || len(se.Report.Lost) != 0 {
		t.Fatalf("shutdown: %v; want the room reported spilled", err)
	}
	if _, err := os.Stat(filepath.Join(spillDir, room+".automerge")); err != nil {
		t.Fatalf("spill file: %v", err)
	}
	store.FailSaves(nil)
	got, err := pairsync.RecoverSpills(context.Background(), store, spillDir, nil, discardLogger())
	if err != nil || len(got) != 1 {
		t.Fatalf("recover: %v %v", got, err)
	}
	if s := memText(t, store, room); s != "only in memory" {
		t.Fatalf("after recovery: %q", s)
	}
}

// Shutdown with everything saved reports every room saved and no error.
func TestShutdownReportsSaved(t *testing.T) {
	t.Parallel()
	store := persistence.NewMemory()
	hub := pairsync.NewHub(pairsync.Config{FlushInterval: time.Hour}, store, discardLogger())
	ts := serveHub(t, hub)
	ts.store = store
	room := ts.createRoom("go")
	c := ts.dial(room, wireclient.ClientOptions{})
	if err := c.Splice(0, 0, "saved"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "room dirty", func() bool { return hub.Status(room).Dirty })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hub.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if rep := hub.ShutdownReport(); len(rep.Saved) != 1 || len(rep.Spilled)+len(rep.Lost) != 0 {
		t.Fatalf("report %+v", rep)
	}
	if s := memText(t, store, room); s != "saved" {
		t.Fatalf("stored %q", s)
	}
}

func discardLogger() *zap.Logger { return zap.NewNop() }
