package sync

import (
	"time"

	"github.com/pairpad/pairpad/sync/wire"
)

// UnavailableGrace is how long a request for a document that is stored
// nowhere waits before doc-unavailable, so that a peer that has just
// created it (whose first sync message announces its heads, its changes
// following one round trip later) is heard first. While a connected peer
// has announced the document, requests wait for its changes instead.
const UnavailableGrace = 300 * time.Millisecond

// absentDoc is a room's bookkeeping while its document is not stored
// (room.absent, /sync only); owned by the room's goroutine.
type absentDoc struct {
	waiting    map[*peer]bool // asked, have nothing: answered when it is created, or doc-unavailable
	announcers map[*peer]bool // announced heads: they have the document
	timer      *time.Timer
	c          <-chan time.Time // nil when no timer runs
}

func (a *absentDoc) reset() {
	if a.timer != nil {
		a.timer.Stop()
	}
	*a = absentDoc{}
}

func (a *absentDoc) forget(p *peer) {
	delete(a.waiting, p)
	delete(a.announcers, p)
}

func (a *absentDoc) arm() {
	if a.c != nil {
		return
	}
	if a.timer == nil {
		a.timer = time.NewTimer(UnavailableGrace)
	} else {
		a.timer.Reset(UnavailableGrace)
	}
	a.c = a.timer.C
}

// awaitDoc: p asked for the absent document and has nothing.
func (r *room) awaitDoc(p *peer) {
	if r.unavail.waiting == nil {
		r.unavail.waiting = map[*peer]bool{}
	}
	r.unavail.waiting[p] = true
	r.unavail.arm()
}

// announced: p has the absent document (it announced heads).
func (r *room) announced(p *peer) {
	if r.unavail.announcers == nil {
		r.unavail.announcers = map[*peer]bool{}
	}
	r.unavail.announcers[p] = true
}

// unavailableTick answers the waiting peers with doc-unavailable unless a
// connected peer has announced the document (then it looks again later).
func (r *room) unavailableTick() {
	a := &r.unavail
	a.c = nil
	if !r.absent || len(a.waiting) == 0 {
		return
	}
	if len(a.announcers) > 0 {
		a.arm()
		return
	}
	for p := range a.waiting {
		if r.peers[p] != nil {
			r.send(p, wire.Message{Type: wire.TypeDocUnavailable, SenderID: r.hub.peerID, TargetID: p.id, DocumentID: r.id})
		}
	}
	clear(a.waiting)
}
