package sync_test

import (
	"context"
	"slices"
	"testing"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/persistence"
	pairsync "github.com/pairpad/pairpad/sync"
	"github.com/pairpad/pairpad/sync/wireclient"
)

// historyOf lists a room's history: hash and actor of each change.
func historyOf(t *testing.T, hub *pairsync.Hub, room string) []string {
	t.Helper()
	h, err := hub.History(context.Background(), room)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(h.Changes))
	for i, c := range h.Changes {
		out[i] = crdt.HashString(c.Hash) + "/" + h.Actors[c.Actor]
	}
	return out
}

// The history's change hashes are rebuilt in Go from the saved document,
// live or stored; when Go cannot rebuild them, automerge lists them (the
// loaded room walks its changes, a stored room is loaded), with the same
// result.
func TestHistoryHashesWithoutAndWithAutomerge(t *testing.T) {
	ts := newTestServer(t, pairsync.Config{}, persistence.NewMemory())
	room := ts.createRoom("go")
	c := ts.dial(room, wireclient.ClientOptions{})
	for _, s := range []string{"package main\n", "func main() {}\n", "// end\n"} {
		if err := c.Splice(len(c.Text()), 0, s); err != nil {
			t.Fatal(err)
		}
	}
	waitServerText(t, ts, room, c.Text())
	m := &ts.hub.Metrics().History

	live := historyOf(t, ts.hub, room)
	if m.Rehashes.Load() != 1 || m.RehashFails.Load() != 0 || m.Loads.Load() != 0 {
		t.Fatalf("live: rehashes %d, failures %d, loads %d; want 1, 0, 0", m.Rehashes.Load(), m.RehashFails.Load(), m.Loads.Load())
	}
	if len(live) < 4 {
		t.Fatalf("%d changes", len(live))
	}
	restore := pairsync.FailRehash()
	defer restore()
	ts.hub.ForgetHistories()
	if got := historyOf(t, ts.hub, room); !slices.Equal(got, live) {
		t.Fatalf("live, hashes from automerge:\n%v\nwant\n%v", got, live)
	}
	if m.RehashFails.Load() != 1 {
		t.Fatalf("failures %d, want 1", m.RehashFails.Load())
	}
	c.Close()
	eventually(t, "room unloaded", func() bool { return !ts.hub.Status(room).Loaded })
	ts.hub.ForgetHistories()
	if got := historyOf(t, ts.hub, room); !slices.Equal(got, live) {
		t.Fatalf("stored, loaded by automerge:\n%v\nwant\n%v", got, live)
	}
	if m.Loads.Load() != 1 || m.RehashFails.Load() != 2 {
		t.Fatalf("stored: loads %d, failures %d; want 1, 2", m.Loads.Load(), m.RehashFails.Load())
	}
	restore()
	ts.hub.ForgetHistories()
	if got := historyOf(t, ts.hub, room); !slices.Equal(got, live) {
		t.Fatalf("stored, rebuilt in Go:\n%v\nwant\n%v", got, live)
	}
	if m.Rehashes.Load() != 2 || m.Loads.Load() != 1 {
		t.Fatalf("stored: rehashes %d, loads %d; want 2, 1", m.Rehashes.Load(), m.Loads.Load())
	}
}

func waitServerText(t *testing.T, ts *testServer, room, want string) {
	t.Helper()
	eventually(t, "the server has the text", func() bool {
		text, err := ts.hub.Text(context.Background(), room)
		return err == nil && text == want
	})
}
