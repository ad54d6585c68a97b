package persistence_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/persistence"
	pairsync "github.com/pairpad/pairpad/sync"
)

// newRoomDoc creates a stored room and returns its live document.
func newRoomDoc(t *testing.T, s pairsync.Store) (string, *crdt.Doc) {
	t.Helper()
	doc, err := crdt.New("go")
	if err != nil {
		t.Fatal(err)
	}
	data, err := doc.Save()
	if err != nil {
		t.Fatal(err)
	}
	id := crdt.NewDocumentID()
	now := time.Now().UTC()
	if err := s.Create(context.Background(), pairsync.RoomRecord{ID: id, Language: "go", Data: data, Version: 1, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	return id, doc
}

// edit appends text to doc and returns the increment.
func edit(t *testing.T, doc *crdt.Doc, text string) []byte {
	t.Helper()
	cur, _ := doc.Text()
	if err := doc.Splice(len([]rune(cur)), 0, text); err != nil {
		t.Fatal(err)
	}
	inc, err := doc.SaveIncremental()
	if err != nil || len(inc) == 0 {
		t.Fatalf("increment: %d bytes, %v", len(inc), err)
	}
	return inc
}

func loadText(t *testing.T, s pairsync.Store, id string) (string, pairsync.RoomRecord) {
	t.Helper()
	rec, err := s.Load(context.Background(), id)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	doc, err := crdt.Load(rec.Data)
	if err != nil {
		t.Fatalf("load document (%d bytes): %v", len(rec.Data), err)
	}
	text, _ := doc.Text()
	return text, rec
}

func TestChangeLog(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			cl := s.(pairsync.ChangeLog)
			idA, docA := newRoomDoc(t, s)
			idB, docB := newRoomDoc(t, s)

			// One batch across two rooms and two writers.
			batch := []pairsync.LogEntry{
				{RoomID: idA, Writer: "w1", Seq: 1, Data: edit(t, docA, "hello")},
				{RoomID: idB, Writer: "w1", Seq: 1, Data: edit(t, docB, "other room")},
				{RoomID: idA, Writer: "w1", Seq: 2, Data: edit(t, docA, " world")},
			}
			if err := cl.AppendChanges(ctx, batch); err != nil {
				t.Fatalf("append: %v", err)
			}
			text, rec := loadText(t, s, idA)
			if text != "hello world" {
				t.Fatalf("room A loaded %q, want snapshot + log = %q", text, "hello world")
			}
			if rec.Log["w1"] != 2 || len(rec.Log) != 1 {
				t.Fatalf("room A log marks %v, want w1:2", rec.Log)
			}
			if text, _ := loadText(t, s, idB); text != "other room" {
				t.Fatalf("room B loaded %q", text)
			}

			// A second writer (another incarnation) continues the log.
			if err := cl.AppendChanges(ctx, []pairsync.LogEntry{{RoomID: idA, Writer: "w2", Seq: 1, Data: edit(t, docA, "!")}}); err != nil {
				t.Fatalf("append w2: %v", err)
			}

			// A stale compaction changes nothing, log included.
			snap, _ := docA.Save()
			if _, err := cl.Compact(ctx, idA, snap, "go", "", 7, pairsync.LogMarks{"w1": 2, "w2": 1}); !errors.Is(err, pairsync.ErrConflict) {
				t.Fatalf("stale compact: %v, want ErrConflict", err)
			}
			if _, rec := loadText(t, s, idA); rec.Log["w1"] != 2 || rec.Log["w2"] != 1 || rec.Version != 1 {
				t.Fatalf("after stale compact: marks %v version %d", rec.Log, rec.Version)
			}
			if _, err := cl.Compact(ctx, crdt.NewDocumentID(), snap, "go", "", 1, nil); !errors.Is(err, pairsync.ErrNotFound) {
				t.Fatalf("compact unknown room: %v, want ErrNotFound", err)
			}

			// Compaction covering w1 only: w2's entry stays in the log.
			after := edit(t, docA, "?") // taken after the snapshot: not covered
			v, err := cl.Compact(ctx, idA, snap, "go", "", 1, pairsync.LogMarks{"w1": 2})
			if err != nil || v != 2 {
				t.Fatalf("compact: v=%d err=%v", v, err)
			}
			if err := cl.AppendChanges(ctx, []pairsync.LogEntry{{RoomID: idA, Writer: "w2", Seq: 2, Data: after}}); err != nil {
				t.Fatalf("append after compact: %v", err)
			}
			text, rec = loadText(t, s, idA)
			if text != "hello world!?" || rec.Version != 2 {
				t.Fatalf("after compact: %q version %d", text, rec.Version)
			}
			if len(rec.Log) != 1 || rec.Log["w2"] != 2 {
				t.Fatalf("after compact: marks %v, want only w2:2", rec.Log)
			}
			if _, err := cl.Compact(ctx, idA, snap, "go", "", 2, rec.Log); err != nil {
				t.Fatalf("second compact: %v", err)
			}
			if _, rec := loadText(t, s, idA); rec.Log != nil {
				t.Fatalf("fully compacted log still has %v", rec.Log)
			}
			// Room B's log is untouched by room A's compactions.
			if _, rec := loadText(t, s, idB); rec.Log["w1"] != 1 {
				t.Fatalf("room B marks %v", rec.Log)
			}
		})
	}
}

// TestAppendChangesAllOrNothing: one bad entry fails the whole batch.
func TestAppendChangesAllOrNothing(t *testing.T) {
	for name, s := range stores(t) {
		if name == "memory" {
			continue // keys are not unique in the in-memory log
		}
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			cl := s.(pairsync.ChangeLog)
			id, doc := newRoomDoc(t, s)
			first := pairsync.LogEntry{RoomID: id, Writer: "w", Seq: 1, Data: edit(t, doc, "a")}
			if err := cl.AppendChanges(ctx, []pairsync.LogEntry{first}); err != nil {
				t.Fatal(err)
			}
			second := pairsync.LogEntry{RoomID: id, Writer: "w", Seq: 2, Data: edit(t, doc, "b")}
			if err := cl.AppendChanges(ctx, []pairsync.LogEntry{second, first}); err == nil {
				t.Fatal("a batch repeating a stored key was accepted")
			}
			if _, rec := loadText(t, s, id); rec.Log["w"] != 1 {
				t.Fatalf("failed batch left entries behind: marks %v", rec.Log)
			}
			if n, _, err := s.(*persistence.GormStore).LogStats(ctx, id); err != nil || n != 1 {
				t.Fatalf("log stats: %d entries, %v", n, err)
			}
		})
	}
}

// Expiring a room (ROOM_TTL) removes its change log with it.
func TestExpiredRoomTakesItsLog(t *testing.T) {
	for name, s := range stores(t) {
		if name == "memory" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			g := s.(*persistence.GormStore)
			id, doc := newRoomDoc(t, s)
			if err := g.AppendChanges(ctx, []pairsync.LogEntry{{RoomID: id, Writer: "w", Seq: 1, Data: edit(t, doc, "x")}}); err != nil {
				t.Fatal(err)
			}
			deleted, err := g.DeleteUnopenedSince(ctx, id, time.Now().Add(time.Hour))
			if err != nil || !deleted {
				t.Fatalf("delete: %v %v", deleted, err)
			}
			if n, _, err := g.LogStats(ctx, id); err != nil || n != 0 {
				t.Fatalf("log of the deleted room: %d entries, %v", n, err)
			}
		})
	}
}
