package sync_test

import (
	"context"
	"testing"

	"github.com/pairpad/pairpad/persistence"
	pairsync "github.com/pairpad/pairpad/sync"
	"github.com/pairpad/pairpad/sync/wireclient"
)

// Hub.Text (GET /rooms/{id}/text) never loads a document: an unloaded room
// answers from the text copy stored with its save, a loaded one from its
// live document; neither reads the stored document nor loads a room.
func TestTextNeverLoadsADocument(t *testing.T) {
	t.Parallel()
	store := persistence.NewMemory()
	ts := newTestServer(t, pairsync.Config{}, store)
	room := ts.createRoom("go")
	ctx := context.Background()

	// Fresh room, never loaded: the empty copy stored at creation.
	if text, err := ts.hub.Text(ctx, room); err != nil || text != "" {
		t.Fatalf("text of a new room: %q %v", text, err)
	}
	c := ts.dial(room, wireclient.ClientOptions{})
	if err := c.Splice(0, 0, "package main\n"); err != nil {
		t.Fatal(err)
	}
	// Loaded: from the live document, before any save.
	eventually(t, "live text", func() bool {
		text, err := ts.hub.Text(ctx, room)
		return err == nil && text == "package main\n"
	})
	c.Close()
	eventually(t, "room unloaded", func() bool { return !ts.hub.Status(room).Loaded })
	if got := storedText(t, store, room); got != "package main\n" {
		t.Fatalf("stored document: %q", got)
	}
	loads := store.Loads() // storedText read it
	for i := 0; i < 3; i++ {
		text, err := ts.hub.Text(ctx, room)
		if err != nil || text != "package main\n" {
			t.Fatalf("text of an unloaded room: %q %v", text, err)
		}
	}
	if ts.hub.Status(room).Loaded || ts.hub.Metrics().RoomsLoaded.Load() != 0 {
		t.Fatal("GET text loaded the room")
	}
	if n := store.Loads(); n != loads {
		t.Fatalf("GET text read the stored document (%d loads)", n-loads)
	}
	if _, err := ts.hub.Text(ctx, "4NMNnkgVmzWmE6DDJbJhxRNqMCeF"); err == nil {
		t.Fatal("text of an unknown room: no error")
	}
}
