package sync_test

import (
	"context"
	"testing"
	"time"

	"github.com/pairpad/pairpad/persistence"
	pairsync "github.com/pairpad/pairpad/sync"
	"github.com/pairpad/pairpad/sync/wireclient"
)

// sleepAnyway: a wake-cost limit that a loaded, racing test machine does
// not push a short history over (the 5 ms default is a policy, not what
// these tests are about).
const sleepAnyway = time.Second

// An idle room with a short history puts its document to sleep: it stays
// loaded with its peers, GET /text and a periodic save answer without
// waking it, and the next edit wakes it and reaches the other peer; nothing
// is lost on the way to the store.
func TestIdleRoomSleepsAndWakesOnTheNextEdit(t *testing.T) {
	t.Parallel()
	store := persistence.NewMemory()
	ts := newTestServer(t, pairsync.Config{CompactAfter: 50 * time.Millisecond, FlushInterval: 20 * time.Millisecond, SleepMaxWake: sleepAnyway}, store)
	room := ts.createRoom("go")
	ctx := context.Background()
	a := ts.dial(room, wireclient.ClientOptions{})
	b := ts.dial(room, wireclient.ClientOptions{})
	if err := a.Splice(0, 0, "package main\n"); err != nil {
		t.Fatal(err)
	}
	waitText(t, b, "package main\n")
	m := ts.hub.Metrics()
	eventually(t, "the idle room sleeps", func() bool { return m.RoomsAsleep.Load() == 1 })
	if text, err := ts.hub.Text(ctx, room); err != nil || text != "package main\n" {
		t.Fatalf("text of the sleeping room: %q %v", text, err)
	}
	if st := ts.hub.Status(room); !st.Loaded || st.Peers != 2 {
		t.Fatalf("sleeping room: %+v", st)
	}
	if m.RoomWakes.Load() != 0 || m.RoomsAsleep.Load() != 1 {
		t.Fatalf("GET text woke the room (wakes %d)", m.RoomWakes.Load())
	}

	if err := b.Splice(0, 0, "// b\n"); err != nil {
		t.Fatal(err)
	}
	waitText(t, a, "// b\npackage main\n")
	eventually(t, "woken", func() bool { return m.RoomWakes.Load() >= 1 })
	eventually(t, "asleep again", func() bool { return m.RoomsAsleep.Load() == 1 && !ts.hub.Status(room).Dirty })
	if got := storedText(t, store, room); got != "// b\npackage main\n" {
		t.Fatalf("stored while asleep: %q", got)
	}
	a.Close()
	b.Close()
	eventually(t, "unloaded", func() bool { return !ts.hub.Status(room).Loaded })
	if m.RoomsAsleep.Load() != 0 {
		t.Fatalf("rooms asleep after unload: %d", m.RoomsAsleep.Load())
	}
	if got := storedText(t, store, room); got != "// b\npackage main\n" {
		t.Fatalf("stored after leave: %q", got)
	}
}

// Presence heartbeats (ephemeral messages) do not keep a room awake: only
// document activity counts as activity.
func TestHeartbeatsDoNotKeepARoomAwake(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, pairsync.Config{CompactAfter: 100 * time.Millisecond, SleepMaxWake: sleepAnyway}, nil)
	room := ts.createRoom("go")
	a := ts.dial(room, wireclient.ClientOptions{})
	if err := a.Splice(0, 0, "x"); err != nil {
		t.Fatal(err)
	}
	m := ts.hub.Metrics()
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				_ = a.SendEphemeral([]byte{0xa0})
			}
		}
	}()
	eventually(t, "the room sleeps while heartbeats flow", func() bool { return m.RoomsAsleep.Load() == 1 })
	close(stop)
	<-done
	if n := m.RoomWakes.Load(); n != 0 {
		t.Fatalf("heartbeats woke the room %d times", n)
	}
}
