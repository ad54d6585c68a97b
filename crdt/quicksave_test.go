package crdt_test

import (
	"strings"
	"testing"

	"github.com/pairpad/pairpad/crdt"
)

func TestQuickSave(t *testing.T) {
	// A small document is always saved in full.
	small, err := crdt.New("go")
	if err != nil {
		t.Fatal(err)
	}
	if err := small.Splice(0, 0, "fn"); err != nil {
		t.Fatal(err)
	}
	if data, full, err := small.QuickSave(2); err != nil || !full {
		t.Fatalf("small document: full %v, %v", full, err)
	} else if _, err := crdt.SavedHeads(data); err != nil {
		t.Fatalf("small document's save is not one chunk: %v", err)
	}

	// A large one appends its new changes to its last full save.
	big := strings.Repeat("0123456789\n", crdt.QuickSaveChars/11+1)
	doc, err := crdt.New("go")
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Splice(0, 0, big); err != nil {
		t.Fatal(err)
	}
	base, full, err := doc.QuickSave(len(big))
	if err != nil || !full {
		t.Fatalf("first save of a large document (nothing to append to): full %v, %v", full, err)
	}
	for k := 0; k < 3; k++ {
		if err := doc.Splice(k, 0, "x"); err != nil {
			t.Fatal(err)
		}
		data, full, err := doc.QuickSave(len(big))
		if err != nil || full {
			t.Fatalf("keystroke %d: full %v, %v", k, full, err)
		}
		if !strings.HasPrefix(string(data), string(base)) || len(data) == len(base) {
			t.Fatalf("keystroke %d: not the full save plus a tail (%d bytes, base %d)", k, len(data), len(base))
		}
		back, err := crdt.Load(data)
		if err != nil {
			t.Fatalf("quick save does not load: %v", err)
		}
		got, _ := back.Text()
		want, _ := doc.Text()
		if got != want || back.HeadsKey() != doc.HeadsKey() {
			t.Fatalf("keystroke %d: quick save loads as another document", k)
		}
	}
	// Unchanged since the last full save: that save, whole.
	full1, err := doc.Save()
	if err != nil {
		t.Fatal(err)
	}
	if data, full, err := doc.QuickSave(len(big)); err != nil || !full || string(data) != string(full1) {
		t.Fatalf("unchanged document: full %v, same bytes %v, %v", full, string(data) == string(full1), err)
	}
}

func TestCachedText(t *testing.T) {
	doc, err := crdt.New("go")
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Splice(0, 0, "abc"); err != nil {
		t.Fatal(err)
	}
	if _, ok := doc.CachedText(); ok {
		t.Fatal("text cached before anyone read it")
	}
	if text, _ := doc.Text(); text != "abc" {
		t.Fatalf("text %q", text)
	}
	if text, ok := doc.CachedText(); !ok || text != "abc" {
		t.Fatalf("cached text %q %v", text, ok)
	}
	if err := doc.Splice(3, 0, "d"); err != nil {
		t.Fatal(err)
	}
	if _, ok := doc.CachedText(); ok {
		t.Fatal("text still cached after a change")
	}
}
