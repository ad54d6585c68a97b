package crdt

import "github.com/automerge/automerge-go"

// SaveIncremental returns the changes made since the previous
// SaveIncremental (nil when there are none), for the change log. A saved
// document followed by its increments, concatenated, loads as one document.
//
// automerge counts from the last Save as well; once SaveIncremental has
// been called, Save first sets aside the changes not yet taken, so that a
// snapshot served to a reader never hides changes from the log.
func (d *Doc) SaveIncremental() ([]byte, error) {
	d.tracking = true
	var out []byte
	err := guard(func() error { out = d.am.SaveIncremental(); return nil })
	if err != nil {
		return nil, err
	}
	out = append(d.untaken, out...)
	d.untaken = nil
	if len(out) == 0 {
		out = nil
	}
	return out, nil
}

// setAside keeps the changes not yet taken by SaveIncremental before a Save
// resets automerge's mark; called inside guard.
func (d *Doc) setAside() {
	if d.tracking {
		d.untaken = append(d.untaken, d.am.SaveIncremental()...)
	}
}

// loadFresh loads data and marks everything in it as already saved, so that
// the next SaveIncremental returns only later changes (automerge-rs starts a
// loaded document with nothing marked saved). The saved form is cached only
// when data is exactly one document chunk: a snapshot followed by log
// entries is loaded fine but is not what Save should return.
func loadFresh(data []byte) (*Doc, error) {
	var am *automerge.Doc
	err := guard(func() error {
		var err error
		if am, err = automerge.Load(data); err != nil {
			return err
		}
		_ = am.SaveIncremental()
		return nil
	})
	if err != nil {
		return nil, err
	}
	d := &Doc{am: am}
	if _, err := SavedHeads(data); err == nil {
		d.saved, d.savedHeads = data, am.Heads()
	}
	return d, nil
}
