package crdt

import "testing"

// The change log must see every change once, whatever Save calls (readers'
// snapshots, fast joins) happen between two increments.
func TestSaveIncrementalSurvivesSave(t *testing.T) {
	d, err := New("go")
	if err != nil {
		t.Fatal(err)
	}
	base, _ := d.Save()
	d2, err := Load(base)
	if err != nil {
		t.Fatal(err)
	}
	if inc, err := d2.SaveIncremental(); err != nil || inc != nil {
		t.Fatalf("a freshly loaded document has an increment: %d bytes, %v", len(inc), err)
	}
	log := append([]byte{}, base...)
	_ = d2.Splice(0, 0, "one ")
	inc, _ := d2.SaveIncremental()
	log = append(log, inc...)
	_ = d2.Splice(4, 0, "two ")
	if _, err := d2.Save(); err != nil { // a reader's snapshot in between
		t.Fatal(err)
	}
	_ = d2.Splice(8, 0, "three")
	inc, _ = d2.SaveIncremental()
	if len(inc) == 0 {
		t.Fatal("no increment after edits")
	}
	log = append(log, inc...)
	if again, _ := d2.SaveIncremental(); again != nil {
		t.Fatalf("increment repeated: %d bytes", len(again))
	}
	got, err := Load(log)
	if err != nil {
		t.Fatal(err)
	}
	if text, _ := got.Text(); text != "one two three" {
		t.Fatalf("snapshot + increments = %q, want %q", text, "one two three")
	}
	// A concatenation is loaded but not cached as the document's save.
	if saved, _ := got.Save(); len(saved) >= len(log) {
		t.Fatalf("Save returned the concatenation (%d bytes) instead of one document", len(saved))
	}
}
