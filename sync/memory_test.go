package sync_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	pairsync "github.com/pairpad/pairpad/sync"
	"github.com/pairpad/pairpad/sync/wireclient"
)

// Under a budget that fits two small rooms (the estimate counts a change by
// its upper bound: a few hundred bytes for a short splice), a third room is refused (4503
// over the socket, ErrOverloaded for the HTTP check) while the two carry
// on; once a room unloads, the third opens.
func TestMemoryBudgetRefusesLoads(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, pairsync.Config{MaxMemory: 2*pairsync.RoomBaseBytes + 160<<10}, nil)
	a, b, c := ts.createRoom("go"), ts.createRoom("go"), ts.createRoom("go")
	ca := ts.dial(a, wireclient.ClientOptions{})
	cb := ts.dial(b, wireclient.ClientOptions{})
	if err := ts.hub.CanOpen(c, 0); !errors.Is(err, pairsync.ErrOverloaded) {
		t.Fatalf("CanOpen with a full budget: %v, want ErrOverloaded", err)
	}
	if err := ts.hub.CanOpen(a, 0); err != nil {
		t.Fatalf("CanOpen of a loaded room: %v", err)
	}
	conn := ts.rawJoin(c, "third")
	if code := closeCodeOf(t, conn); code != int(pairsync.CloseOverloaded) {
		t.Fatalf("closed with %d, want %d", code, pairsync.CloseOverloaded)
	}
	if ts.hub.Status(c).Loaded {
		t.Fatal("refused room is loaded")
	}
	if n := ts.hub.Metrics().LoadsRefused.Load(); n < 2 {
		t.Fatalf("pairpad_room_loads_refused_total = %d", n)
	}
	// The loaded rooms keep working.
	cb2 := ts.dial(b, wireclient.ClientOptions{})
	if err := cb.Splice(0, 0, "still"); err != nil {
		t.Fatal(err)
	}
	waitText(t, cb2, "still")

	// a's only peer leaves: the room saves and unloads, freeing its share.
	ca.Close()
	eventually(t, "room a unloaded", func() bool { return !ts.hub.Status(a).Loaded })
	if err := ts.hub.CanOpen(c, 0); err != nil {
		t.Fatalf("CanOpen after an unload: %v", err)
	}
	// A stored room as large as the rest of the budget does not fit.
	if err := ts.hub.CanOpen(c, 1<<20); !errors.Is(err, pairsync.ErrOverloaded) {
		t.Fatalf("CanOpen of a large stored room: %v, want ErrOverloaded", err)
	}
	cc := ts.dial(c, wireclient.ClientOptions{})
	if err := cc.Splice(0, 0, "third room"); err != nil {
		t.Fatal(err)
	}
}

// A paste that would take the memory estimate over MaxMemory is refused
// with 4503 (typing goes on), and an idle room whose compaction copy would
// not fit the budget is not compacted.
func TestMemoryBudgetRefusesPastesAndCompaction(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, pairsync.Config{MaxMemory: 4 << 20, CompactAfter: 50 * time.Millisecond}, nil)
	room := ts.createRoom("go")
	a := ts.dial(room, wireclient.ClientOptions{})
	b := ts.dial(room, wireclient.ClientOptions{})
	five := strings.Repeat("f", 5<<10) // ~3 MiB estimated: fits
	if err := a.Splice(0, 0, five); err != nil {
		t.Fatal(err)
	}
	waitText(t, b, five)
	eventually(t, "compaction skipped", func() bool { return ts.hub.Metrics().CompactionsSkipped.Load() >= 1 })
	if n := ts.hub.Metrics().Compactions.Load(); n != 0 {
		t.Fatalf("%d compactions over the budget", n)
	}
	if err := b.Splice(0, 0, strings.Repeat("g", 20<<10)); err != nil { // +12 MiB estimated
		t.Fatal(err)
	}
	select {
	case <-b.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("paste over the memory budget was not refused")
	}
	if code := b.CloseCode(); code != int(pairsync.CloseOverloaded) {
		t.Fatalf("closed with %d, want %d", code, pairsync.CloseOverloaded)
	}
	if err := a.Splice(0, 0, "typing goes on "); err != nil {
		t.Fatal(err)
	}
	c := ts.dial(room, wireclient.ClientOptions{AdvertiseV2: true})
	waitText(t, c, "typing goes on "+five)
}
