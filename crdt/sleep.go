package crdt

import (
	"fmt"
	"time"
	"weak"

	"github.com/automerge/automerge-go"
)

// Sleeping documents. An idle room's automerge document costs ~40 KiB of
// C memory even when its saved form is a few hundred bytes; Sleep drops it
// and keeps the saved form, and the first call that needs the document
// loads it again (live). Heads, HeadsKey, Save, QuickSave, Text (as cached
// at Sleep), Language and SaveIncremental answer a sleeping document without
// waking it, so a periodic save does not.

// Sleep drops the automerge document, keeping its saved form, heads, text
// and language; the peer states made for it are saved too and reloaded with
// it. It does nothing to a document with a quick save tail (QuickSaved: it
// would need a full Save first) and reports whether the document sleeps.
func (d *Doc) Sleep() bool {
	if d.am == nil {
		return true
	}
	if d.QuickSaved() {
		return false
	}
	if _, err := d.Save(); err != nil {
		return false
	}
	if _, err := d.Text(); err != nil {
		d.text, d.textOK = "", false // a document without text: woken on Text
	}
	lang := d.Language()
	d.HeadsKey() // (Save left savedHeads at the current heads)
	live := d.states[:0]
	for _, w := range d.states {
		ps := w.Value()
		if ps == nil {
			continue
		}
		if ps.ss != nil {
			ps.saved, ps.ss = ps.ss.Save(), nil
		}
		live = append(live, w)
	}
	d.states = live
	d.sleepLang = lang
	d.am = nil
	d.tail, d.tailHeads = nil, nil
	return true
}

// Sleeping reports whether the document sleeps.
func (d *Doc) Sleeping() bool { return d.am == nil }

// live returns the automerge document, loading a sleeping one from its
// saved form (which Save produced, so it loads).
func (d *Doc) live() *automerge.Doc {
	if d.am != nil {
		return d.am
	}
	start := time.Now()
	am, err := automerge.Load(d.saved)
	if err != nil {
		panic(fmt.Errorf("%w: reload a sleeping document: %v", ErrAutomerge, err))
	}
	d.am, d.loadCost = am, max(time.Since(start), time.Nanosecond)
	d.wakes++
	return am
}

// WakeCost estimates what waking the document would take: its last load
// when it was loaded since its last full save, else seven times its last
// full save (as measured on typed histories); 0 when neither is known.
func (d *Doc) WakeCost() time.Duration {
	switch {
	case d.loadCost > 0:
		return d.loadCost
	case d.saveCost > 0:
		return 7 * d.saveCost
	}
	return 0
}

// Wakes counts the times the document was loaded again after Sleep.
func (d *Doc) Wakes() int { return d.wakes }

// heads returns the current heads without waking the document.
func (d *Doc) heads() []automerge.ChangeHash {
	if d.am == nil {
		return append([]automerge.ChangeHash(nil), d.savedHeads...)
	}
	return d.am.Heads()
}

// syncState returns ps's automerge sync state for this document, waking
// both.
func (d *Doc) syncState(ps *PeerState) *automerge.SyncState {
	am := d.live()
	if ps.ss == nil {
		ss, err := automerge.LoadSyncState(am, ps.saved)
		if err != nil {
			panic(fmt.Errorf("%w: reload a sleeping sync state: %v", ErrAutomerge, err))
		}
		ps.ss, ps.saved = ss, nil
	}
	if ps.ack != nil {
		// A deferred acknowledgement (DeferAck) first. It was inspected
		// when it came; should automerge refuse it anyway, the state only
		// knows less of the peer, and the next message resends more.
		ack := ps.ack
		ps.ack = nil
		_, _ = ps.ss.ReceiveMessage(ack)
	}
	return ps.ss
}

// register remembers ps, to put it to sleep with the document.
func (d *Doc) register(ps *PeerState) *PeerState {
	if len(d.states) >= 16 && len(d.states)%16 == 0 {
		live := d.states[:0]
		for _, w := range d.states {
			if w.Value() != nil {
				live = append(live, w)
			}
		}
		d.states = live
	}
	d.states = append(d.states, weak.Make(ps))
	return ps
}
