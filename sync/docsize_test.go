package sync_test

import (
	"context"
	"strings"
	"testing"
	"time"

	pairsync "github.com/pairpad/pairpad/sync"
	"github.com/pairpad/pairpad/sync/wireclient"
)

// A single change of 1.5 MiB (over the old 1 MiB internal cap) syncs like
// any other when it fits under MaxFrameBytes and MaxDocBytes.
func TestLargeChangeSyncs(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, pairsync.Config{MaxDocBytes: 4 << 20}, nil)
	room := ts.createRoom("plaintext")
	a := ts.dial(room, wireclient.ClientOptions{})
	b := ts.dial(room, wireclient.ClientOptions{AdvertiseV2: true})
	big := strings.Repeat("0123456789abcdef", 3<<15) // 1.5 MiB in one change
	if err := a.Splice(0, 0, big); err != nil {
		t.Fatal(err)
	}
	// automerge-go needs seconds to apply a change this large (about 6 s
	// for 512 KiB, superlinear), twice on the way: give it a minute.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := b.WaitFor(ctx, func(s string) bool { return s == big }); err != nil {
		t.Fatalf("1.5 MiB change did not arrive: %v (have %d bytes)", err, len(b.Text()))
	}
	if code := a.CloseCode(); code != 0 {
		t.Fatalf("sender closed with %d", code)
	}
}

// A change that would take the document over MaxDocBytes is refused: its
// peer is closed with 4507, nothing of it reaches the room, and the other
// peers carry on (also right at the limit).
func TestChangeOverMaxDocBytesIsRefused(t *testing.T) {
	t.Parallel()
	const limit = 64 << 10
	ts := newTestServer(t, pairsync.Config{MaxDocBytes: limit}, nil)
	room := ts.createRoom("go") // "go": 2 bytes of the limit
	a := ts.dial(room, wireclient.ClientOptions{})
	b := ts.dial(room, wireclient.ClientOptions{})
	first := strings.Repeat("a", 40<<10)
	if err := a.Splice(0, 0, first); err != nil {
		t.Fatal(err)
	}
	waitText(t, b, first)

	// b pastes 30 KiB more: 70 KiB > 64 KiB.
	if err := b.Splice(0, 0, strings.Repeat("b", 30<<10)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-b.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("peer over the limit was not closed")
	}
	if code := b.CloseCode(); code != int(pairsync.CloseDocTooLarge) {
		t.Fatalf("closed with %d, want %d", code, pairsync.CloseDocTooLarge)
	}

	// a keeps typing up to 1 KiB under the limit (a paste must fit with its
	// change's bookkeeping); a fresh peer sees a's text and nothing of b's.
	fill := strings.Repeat("c", limit-2-len(first)-1024)
	if err := a.Splice(len(first), 0, fill); err != nil {
		t.Fatal(err)
	}
	c := ts.dial(room, wireclient.ClientOptions{AdvertiseV2: true})
	waitText(t, c, first+fill)
	if code := a.CloseCode(); code != 0 {
		t.Fatalf("a closed with %d", code)
	}
	// At the limit, typing still goes through (within keystrokeSlack), but
	// a paste that could cross the limit does not.
	if err := a.Splice(0, 0, "x"); err != nil {
		t.Fatal(err)
	}
	waitText(t, c, "x"+first+fill)
	if err := c.Splice(0, 0, strings.Repeat("d", 16<<10)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	select {
	case <-c.Done():
	case <-ctx.Done():
		t.Fatal("paste over the limit was not refused")
	}
	if code := c.CloseCode(); code != int(pairsync.CloseDocTooLarge) {
		t.Fatalf("closed with %d, want %d", code, pairsync.CloseDocTooLarge)
	}
	first = "x" + first
	if got := a.Text(); got != first+fill {
		t.Fatalf("a's text changed: %d bytes", len(got))
	}
	if n := ts.hub.Metrics().DocTooLarge.Load(); n != 2 {
		t.Fatalf("pairpad_doc_too_large_total = %d, want 2", n)
	}
}
