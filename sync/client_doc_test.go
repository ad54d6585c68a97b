package sync_test

import (
	"context"
	"testing"
	"time"

	"github.com/pairpad/pairpad/crdt"
	pairsync "github.com/pairpad/pairpad/sync"
	"github.com/pairpad/pairpad/sync/wireclient"
)

// A client dialled with a document it already has announces it with sync
// (not request), returns once the server has all of it, and counts what it
// sent. The load tool creates rooms on the reference server this way.
func TestClientDialWithDocumentSyncsItToTheServer(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, pairsync.Config{}, nil)
	room := ts.createRoom("go")
	a := ts.dial(room, wireclient.ClientOptions{})
	saved, err := a.Save()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := crdt.Load(saved)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Splice(0, 0, "written offline"); err != nil {
		t.Fatal(err)
	}
	b := ts.dial(room, wireclient.ClientOptions{Doc: doc})
	if b.Text() != "written offline" {
		t.Fatalf("b has %q", b.Text())
	}
	if b.BytesOut.Load() == 0 || b.FramesOut.Load() < 2 {
		t.Fatalf("b sent %d bytes in %d frames", b.BytesOut.Load(), b.FramesOut.Load())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Dial returned after the server reported b's heads: a, connected
	// throughout, receives the edit.
	if err := a.WaitFor(ctx, func(s string) bool { return s == "written offline" }); err != nil {
		t.Fatal(err)
	}
	if err := a.WaitSynced(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := len(a.Heads()), 1; got != want {
		t.Fatalf("a has %d heads, want %d", got, want)
	}
}
