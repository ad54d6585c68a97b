package sync_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pairpad/pairpad/crdt"
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
	// With the heads of that text: the client's, once it is synced.
	if err := c.WaitSynced(ctx); err != nil {
		t.Fatal(err)
	}
	want := crdt.HashStrings(c.Heads())
	text, heads, err := ts.hub.TextHeads(ctx, room)
	if err != nil || text != "package main\n" || !slices.Equal(heads, want) {
		t.Fatalf("live text heads: %q %v %v, want %v", text, heads, err, want)
	}
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
	// Unloaded: the stored copy, with the heads of the document stored with it.
	text, heads, err = ts.hub.TextHeads(ctx, room)
	if err != nil || text != "package main\n" || !slices.Equal(heads, want) {
		t.Fatalf("stored text heads: %q %v %v, want %v", text, heads, err, want)
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

// While a room loads its document (seconds for a long one), GET /text
// answers from the stored copy at once, with the stored version's heads,
// instead of waiting for the load and a walk of the text.
func TestTextWhileRoomLoads(t *testing.T) {
	t.Parallel()
	store := persistence.NewMemory()
	ts := newTestServer(t, pairsync.Config{}, store)
	release := ts.hub.HoldLoads()
	released := false
	defer func() {
		if !released {
			release()
		}
	}()
	room := ts.createRoom("go")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, want, err := ts.hub.TextHeads(ctx, room) // stored: the room is not loaded
	if err != nil || len(want) != 1 {
		t.Fatalf("stored heads %v %v", want, err)
	}
	// A fresh peer makes the room load (held) and is served the stored bytes.
	c := ts.dial(room, wireclient.ClientOptions{AdvertiseV2: true})
	if !ts.hub.Status(room).Loaded {
		t.Fatal("the room is not loading")
	}
	text, heads, err := ts.hub.TextHeads(ctx, room)
	if err != nil || text != "" || !slices.Equal(heads, want) {
		t.Fatalf("text while loading: %q %v %v, want heads %v", text, heads, err, want)
	}
	release()
	released = true
	if err := c.Splice(0, 0, "x"); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitSynced(ctx); err != nil {
		t.Fatal(err)
	}
	text, heads, err = ts.hub.TextHeads(ctx, room)
	if err != nil || text != "x" || !slices.Equal(heads, crdt.HashStrings(c.Heads())) {
		t.Fatalf("live text after the load: %q %v %v", text, heads, err)
	}
}

// A large paste is followed by a walk of the room's text, and so is the
// change after it (automerge's first walks after a paste are the slow
// ones), so GET /text finds it cached; other keystrokes walk nothing.
func TestLargePasteWarmsTheText(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, pairsync.Config{}, persistence.NewMemory())
	room := ts.createRoom("go")
	c := ts.dial(room, wireclient.ClientOptions{})
	defer c.Close()
	m := ts.hub.Metrics()
	splice := func(pos int, s string) {
		t.Helper()
		if err := c.Splice(pos, 0, s); err != nil {
			t.Fatal(err)
		}
		want := c.Text()
		eventually(t, "the server has the change", func() bool {
			text, err := ts.hub.Text(context.Background(), room)
			return err == nil && text == want
		})
	}
	// The room counts a warm after the batch that answered GET /text, so
	// the count is polled; a count that should stay is checked again after
	// a later change has gone through the room.
	warms := func(want int64, after string) {
		t.Helper()
		eventually(t, fmt.Sprintf("%d text warms after %s", want, after), func() bool { return m.TextWarms.Load() == want })
	}
	for i := 0; i < 20; i++ {
		splice(i, "k")
	}
	warms(0, "keystrokes")
	splice(10, strings.Repeat("func f() { return }\n", 4000)) // 80,000 bytes
	warms(1, "the paste")
	splice(0, "x")
	warms(2, "the first keystroke after the paste")
	splice(1, "y")
	warms(2, "another keystroke")
	splice(2, "z")
	if n := m.TextWarms.Load(); n != 2 {
		t.Fatalf("%d text warms after more keystrokes, want 2", n)
	}
}
