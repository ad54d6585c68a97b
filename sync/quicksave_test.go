package sync_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/automerge/automerge-go"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/persistence"
	pairsync "github.com/pairpad/pairpad/sync"
	"github.com/pairpad/pairpad/sync/wireclient"
)

// A large live room is snapshotted without walking its document (issue 16,
// goal 4): the stored form is its last full save followed by the changes
// since, holding every keystroke, with no text copy unless the room had its
// text cached (GET /text of the live room answers from memory); the last
// leave stores it compacted, with its text copy.
func TestLargeLiveRoomSavesQuickly(t *testing.T) {
	t.Parallel()
	ts, store, room, c := quickSavingRoom(t)
	ctx := context.Background()
	big := strings.Repeat("0123456789abcdef\n", crdt.QuickSaveChars/17+100)
	if err := c.Splice(0, 0, big); err != nil {
		t.Fatal(err)
	}
	for k := 0; k < 5; k++ {
		if err := c.Splice(k, 0, "x"); err != nil {
			t.Fatal(err)
		}
	}
	want := c.Text()
	heads := keyOf(c.Heads())

	stored := func() ([]byte, string) {
		rec, err := store.Load(ctx, room)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := crdt.Load(rec.Data)
		if err != nil {
			t.Fatalf("stored form does not load: %v", err)
		}
		return rec.Data, keyOf(doc.Heads())
	}
	eventually(t, "every keystroke in a quick snapshot", func() bool {
		data, h := stored()
		_, oneChunk := crdt.SavedHeads(data)
		return h == heads && oneChunk != nil && ts.hub.Metrics().QuickSaves.Load() > 0
	})
	data, _ := stored()
	doc, _ := crdt.Load(data)
	if got, _ := doc.Text(); got != want {
		t.Fatalf("quick snapshot's text differs: %d chars, want %d", len(got), len(want))
	}
	// The paste was walked (warmTextAfterPaste): a snapshot taken before
	// the last keystrokes arrived could store that cached text; the one
	// holding every keystroke stores none, or the text it holds.
	if text, err := store.LoadText(ctx, room); !errors.Is(err, pairsync.ErrNoText) && (err != nil || text != want) {
		t.Fatalf("text copy of a quick snapshot: %d chars (want %d), %v; want ErrNoText or its text", len(text), len(want), err)
	}
	if text, err := ts.hub.Text(ctx, room); err != nil || text != want {
		t.Fatalf("GET text of the live room: %d chars, %v", len(text), err)
	}

	c.Close()
	eventually(t, "room unloaded", func() bool { return !ts.hub.Status(room).Loaded })
	data, h := stored()
	if _, err := crdt.SavedHeads(data); err != nil || h != heads {
		t.Fatalf("final save: one document chunk %v, heads equal %v", err == nil, h == heads)
	}
	if text, err := store.LoadText(ctx, room); err != nil || text != want {
		t.Fatalf("final save's text copy: %d chars, %v", len(text), err)
	}
}

func keyOf(hs []automerge.ChangeHash) string {
	var b strings.Builder
	for _, h := range hs {
		b.WriteString(h.String())
	}
	return b.String()
}

// A shutdown stores a quickly snapshotted room compacted, with its text.
func TestQuickSnapshotCompactedOnShutdown(t *testing.T) {
	t.Parallel()
	ts, store, room, c := quickSavingRoom(t)
	ctx := context.Background()
	if err := c.Splice(0, 0, strings.Repeat("z", crdt.QuickSaveChars+10)); err != nil {
		t.Fatal(err)
	}
	if err := c.Splice(3, 0, "typed"); err != nil {
		t.Fatal(err)
	}
	want := c.Text()
	eventually(t, "a quick snapshot", func() bool { return ts.hub.Metrics().QuickSaves.Load() > 0 && !ts.hub.Status(room).Dirty })
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := ts.hub.Shutdown(sctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	rec, err := store.Load(ctx, room)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := crdt.SavedHeads(rec.Data); err != nil {
		t.Fatalf("stored after shutdown: not compacted: %v", err)
	}
	if text, err := store.LoadText(ctx, room); err != nil || text != want {
		t.Fatalf("text copy after shutdown: %d chars, %v", len(text), err)
	}
}

// quickSavingRoom is a room saved every 30 ms, in a memory store, with one
// client in it.
func quickSavingRoom(t *testing.T) (*testServer, *persistence.Memory, string, *wireclient.Client) {
	store := persistence.NewMemory()
	ts := newTestServer(t, pairsync.Config{FlushInterval: 30 * time.Millisecond}, store)
	room := ts.createRoom("go")
	return ts, store, room, ts.dial(room, wireclient.ClientOptions{})
}
