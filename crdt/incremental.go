package crdt

import (
	"time"

	"github.com/automerge/automerge-go"
)

// SaveIncremental returns the changes made since the previous
// SaveIncremental, or since the document was loaded (nil when there are
// none), as automerge change chunks for the change log. A saved document
// followed by its increments, concatenated, loads as one document.
//
// It tracks the heads it last exported rather than using automerge's own
// SaveIncremental, whose mark Save also moves (a reader's snapshot would
// hide changes from the log) and which a freshly loaded document does not
// have (its first increment would be the whole history).
func (d *Doc) SaveIncremental() ([]byte, error) {
	heads := d.heads()
	if sameHeads(heads, d.logHeads) {
		return nil, nil
	}
	out, err := d.ChangesSince(d.logHeads)
	if err != nil {
		return nil, err
	}
	d.logHeads = heads
	if len(out) == 0 {
		out = nil
	}
	return out, nil
}

// MarkLogged makes the next SaveIncremental start from the document as it
// is now: a snapshot that stores it whole (a room's first save) covers
// what came before.
func (d *Doc) MarkLogged() { d.logHeads = d.heads() }

// loadFresh loads data; its changes count as already logged. The saved form
// is cached only when data is exactly one document chunk: a snapshot
// followed by log entries loads fine but is not what Save should return.
func loadFresh(data []byte) (*Doc, error) {
	var am *automerge.Doc
	start := time.Now()
	err := guard(func() error {
		var err error
		am, err = automerge.Load(data)
		return err
	})
	if err != nil {
		return nil, err
	}
	d := &Doc{am: am, logHeads: am.Heads(), loadCost: max(time.Since(start), time.Nanosecond)}
	if _, err := SavedHeads(data); err == nil {
		d.saved, d.savedHeads = data, d.logHeads
	}
	return d, nil
}
