package sync_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/internal/spill"
	"github.com/pairpad/pairpad/persistence"
	pairsync "github.com/pairpad/pairpad/sync"
)

// TestRecoverSpills: spilled documents are merged into what the database
// holds (edits made on both sides survive), rooms gone from the database
// are re-created, files are removed only when merged, and a file that is
// not a document stays.
func TestRecoverSpills(t *testing.T) {
	ctx := context.Background()
	store := persistence.NewMemory()
	dir := filepath.Join(t.TempDir(), "spill")
	d, err := spill.Open(dir)
	if err != nil {
		t.Fatal(err)
	}

	// Room 1: stored "base", then the database got " db" from another
	// writer while this server spilled " spilled".
	doc, _ := crdt.New("go")
	_ = doc.Splice(0, 0, "base")
	base, _ := doc.Save()
	id1 := crdt.NewDocumentID()
	now := time.Now().UTC()
	if err := store.Create(ctx, pairsync.RoomRecord{ID: id1, Language: "go", Data: base, Version: 1, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	other, _ := crdt.Load(base)
	_ = other.Splice(4, 0, " db")
	otherData, _ := other.Save()
	if _, err := store.Save(ctx, id1, otherData, "go", "", 1); err != nil {
		t.Fatal(err)
	}
	_ = doc.Splice(4, 0, " spilled")
	spilled, _ := doc.Save()
	if err := d.Write(id1, spilled); err != nil {
		t.Fatal(err)
	}

	// Room 2: not in the database at all.
	doc2, _ := crdt.New("python")
	_ = doc2.Splice(0, 0, "only in the spill")
	data2, _ := doc2.Save()
	id2 := crdt.NewDocumentID()
	if err := d.Write(id2, data2); err != nil {
		t.Fatal(err)
	}

	// Room 3: garbage.
	id3 := crdt.NewDocumentID()
	if err := d.Write(id3, []byte("not automerge")); err != nil {
		t.Fatal(err)
	}

	m := &pairsync.Metrics{}
	got, err := pairsync.RecoverSpills(ctx, store, dir, m, zaptest.NewLogger(t))
	if err == nil {
		t.Fatal("a corrupt spill file was reported as recovered")
	}
	if len(got) != 2 || m.SpillsRecovered.Load() != 2 {
		t.Fatalf("recovered %v (metric %d), want rooms 1 and 2", got, m.SpillsRecovered.Load())
	}
	rec, _ := store.Load(ctx, id1)
	merged, _ := crdt.Load(rec.Data)
	text, _ := merged.Text()
	if len(text) != len("base db spilled") || !contains(text, " db") || !contains(text, " spilled") || rec.Version != 3 {
		t.Fatalf("room 1 after recovery: %q version %d; want both edits", text, rec.Version)
	}
	rec2, err := store.Load(ctx, id2)
	if err != nil {
		t.Fatalf("room 2 not re-created: %v", err)
	}
	d2, _ := crdt.Load(rec2.Data)
	if text, _ := d2.Text(); text != "only in the spill" || rec2.Language != "python" {
		t.Fatalf("room 2: %q %q", text, rec2.Language)
	}
	left, _ := d.List()
	if len(left) != 1 || left[0].ID != id3 {
		t.Fatalf("spill files left: %+v, want only the corrupt one", left)
	}
	if _, err := os.Stat(d.File(id1)); !os.IsNotExist(err) {
		t.Fatalf("room 1's spill file still there: %v", err)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
