package sync

import (
	"slices"
	"time"

	"github.com/pairpad/pairpad/crdt"

	"github.com/pairpad/pairpad/sync/wire"
)

// This file is the room's sync policy, in one place: when a peer gets the
// whole document as one v2 "fast join" message, when nothing is generated
// for a peer, and when a peer's message needs no answer. crdt only decodes,
// applies and generates.

// FastJoinPatience is how long the server waits for a peer's answer to a
// fast-join snapshot before it syncs that peer with ordinary v1 messages.
const FastJoinPatience = 3 * time.Second

// peerSync is the room's view of one peer.
type peerSync struct {
	state *crdt.PeerState
	// fresh: no sync message received from this peer yet.
	fresh bool
	// fastJoinAt: a fast-join snapshot was sent then; generate nothing
	// until the peer answers (it then reports our heads and nothing is
	// resent) or FastJoinPatience passes. Zero: none pending.
	fastJoinAt time.Time
	// gen: a sync message may be due.
	gen bool
	// sentHeads: the heads announced in the last sync message sent to this
	// peer (HeadsKey form).
	sentHeads string
	// role: what the peer may do now (its grant's role, then live link
	// changes); a peer that cannot write is closed when it sends changes.
	role Role
	// pairingSent: the peer has been told the driver-mode state (drive.go).
	pairingSent bool
	// settled: the heads (HeadsKey form) the peer last acknowledged it
	// holds, while we know what it holds: "" after automerge generated for
	// it or anything but an acknowledgement came from it. inFlight: the
	// heads of the catch-up messages sent to it since (room.generate),
	// oldest first; it holds the last of them once they arrive.
	settled  string
	inFlight []string
}

// newPeerSync starts the room's view of a peer; state is nil until the
// document is loaded.
func newPeerSync(doc *crdt.Doc) *peerSync {
	ps := &peerSync{fresh: true}
	if doc != nil {
		ps.state = doc.NewPeerState()
	}
	return ps
}

// wantsSnapshot: a peer's sync message shows that it has nothing (no heads,
// no changes) and can take a v2 snapshot.
func wantsSnapshot(info crdt.SyncInfo) bool {
	return info.Version == 1 && info.SupportsV2 && len(info.Heads) == 0 && info.Changes == 0
}

// wantsFastJoin: the peer's first message (decoded by InspectSync) shows a
// peer with nothing that can take a v2 message, while we have something.
func (ps *peerSync) wantsFastJoin(doc *crdt.Doc, info crdt.SyncInfo) bool {
	return ps.fresh && wantsSnapshot(info) && len(doc.Heads()) > 0
}

// receive applies the peer's message; any answer ends a fast join's wait.
func (ps *peerSync) receive(doc *crdt.Doc, msg []byte, info crdt.SyncInfo) (changed bool, heads string, err error) {
	ps.fresh = false
	ps.fastJoinAt = time.Time{}
	ps.settled, ps.inFlight = "", ps.inFlight[:0]
	return doc.ReceiveInspected(ps.state, msg, info)
}

// fastJoin returns the snapshot message for the peer and holds back v1
// messages until it answers.
func (ps *peerSync) fastJoin(doc *crdt.Doc) ([]byte, error) {
	msg, heads, err := doc.SnapshotMessage()
	if err != nil {
		return nil, err
	}
	ps.fastJoinAt, ps.sentHeads = time.Now(), heads
	return msg, nil
}

// fastJoinedEarly records that the peer was served the stored snapshot
// (announcing heads, HeadsKeyOf form) at `at`, before its state existed.
func (ps *peerSync) fastJoinedEarly(at time.Time, heads string) {
	ps.fastJoinAt, ps.sentHeads = at, heads
}

// isPureAck: the peer's message (already applied; changed and heads are
// what receive returned) changed nothing, asks for nothing and reports the
// heads we have and last announced to it. It needs no answer: automerge
// would generate nothing, at the cost of a walk over the history.
func (ps *peerSync) isPureAck(info crdt.SyncInfo, changed bool, heads string) bool {
	if changed || info.Changes != 0 || info.Need != 0 {
		return false
	}
	theirs := crdt.HeadsKeyOf(info.Heads)
	return theirs == ps.sentHeads && theirs == heads
}

// maxInFlight bounds the catch-up messages sent to a peer that has not
// acknowledged any of them; beyond it, automerge generates for the peer.
const maxInFlight = 32

// deferAck takes the peer's message without applying it (crdt.Doc.DeferAck)
// when it is a pure acknowledgement of heads we sent it: the last we
// announced, or those of a catch-up message still in flight. It needs no
// answer: whatever it lacks was sent already or is due (gen).
func (ps *peerSync) deferAck(doc *crdt.Doc, msg []byte, info crdt.SyncInfo) bool {
	if ps.fresh || !ps.fastJoinAt.IsZero() || ps.state == nil {
		return false
	}
	theirs := crdt.HeadsKeyOf(info.Heads)
	var rest []string // catch-ups still in flight after the acknowledged one
	if theirs != ps.sentHeads {
		i := slices.Index(ps.inFlight, theirs)
		if i < 0 {
			return false
		}
		rest = ps.inFlight[i+1:]
	}
	if !doc.DeferAck(ps.state, msg, info) { // (it checks the message is a pure acknowledgement)
		return false
	}
	ps.settled = theirs
	ps.inFlight = append(ps.inFlight[:0], rest...)
	return true
}

// catchUpBase is the heads the peer holds once what was sent to it
// arrives, when known (see room.generate); "" when not.
func (ps *peerSync) catchUpBase() string {
	if ps.settled == "" || !ps.fastJoinAt.IsZero() || ps.state == nil || len(ps.inFlight) >= maxInFlight {
		return ""
	}
	if n := len(ps.inFlight); n > 0 {
		return ps.inFlight[n-1]
	}
	return ps.settled
}

// sentCatchUp records a catch-up message announcing heads sent to the peer.
func (ps *peerSync) sentCatchUp(heads string) {
	ps.gen, ps.sentHeads = false, heads
	ps.inFlight = append(ps.inFlight, heads)
}

// sent records that automerge generated a message announcing heads for
// the peer: what it holds is automerge's business until it acknowledges.
func (ps *peerSync) sent(heads string) {
	ps.gen, ps.sentHeads, ps.settled, ps.inFlight = false, heads, "", ps.inFlight[:0]
}

// generate returns the sync message due for the peer, if any, and records
// the heads it announces (the document's, as automerge puts them in it).
func (ps *peerSync) generate(doc *crdt.Doc) ([]byte, bool, error) {
	ps.gen = false
	if !ps.fastJoinAt.IsZero() {
		if time.Since(ps.fastJoinAt) < FastJoinPatience {
			return nil, false, nil
		}
		ps.fastJoinAt = time.Time{} // no answer: fall back to ordinary v1
	}
	data, ok, err := doc.Generate(ps.state)
	if ok && err == nil {
		ps.sent(doc.HeadsKey())
	}
	return data, ok, err
}

// moveTo re-creates the peer's state on a compacted copy of the document.
func (ps *peerSync) moveTo(doc *crdt.Doc) (*crdt.PeerState, error) {
	return ps.state.MoveTo(doc)
}

// earlyJoins serves fresh peers while a room loads: a peer whose first sync
// message wants a snapshot gets the stored bytes at once (when their heads
// can be read without loading); its message is applied once the document
// is there. Other sync frames wait for the document.
type earlyJoins struct {
	heads  [][]byte // the stored document's heads; nil when unreadable
	saved  []byte
	served map[*peer]event // peers served the stored snapshot: their first frame
	synced map[*peer]bool  // peers that sent a sync frame while loading
}

func newEarlyJoins(saved []byte) *earlyJoins {
	heads, err := crdt.SavedHeads(saved)
	if err != nil {
		heads = nil
	}
	return &earlyJoins{heads: heads, saved: saved, served: map[*peer]event{}, synced: map[*peer]bool{}}
}

// serve answers ev with the stored snapshot if it is a joined peer's first
// frame (ephemeral ones aside) and a sync that wants one; it reports whether
// it did (then the frame is kept for adopt). Any other frame of a peer rules
// it out.
func (e *earlyJoins) serve(r *room, ev event) bool {
	if ev.kind != evFrame {
		return false
	}
	m := ev.msg
	first := !e.synced[ev.peer]
	e.synced[ev.peer] = true
	if !first || (m.Type != wire.TypeRequest && m.Type != wire.TypeSync) || m.DocumentID != r.id || len(e.heads) == 0 || r.peers[ev.peer] == nil {
		return false
	}
	info, err := crdt.InspectSync(m.Data)
	if err != nil || !wantsSnapshot(info) {
		return false
	}
	e.served[ev.peer] = ev
	r.hub.metrics.FastJoins.Add(1)
	r.hub.metrics.EarlyFastJoins.Add(1)
	r.sendSync(ev.peer, crdt.SnapshotMessage(e.heads, e.saved))
	return true
}

// leave forgets a peer that left while loading.
func (e *earlyJoins) leave(p *peer) { delete(e.served, p) }

// adopt, once the document is loaded, applies the first frame of a peer
// that was served early and marks it fast-joined; false if the peer's frame
// was rejected (the caller closes it).
func (e *earlyJoins) adopt(doc *crdt.Doc, p *peer, ps *peerSync) bool {
	ev, ok := e.served[p]
	if !ok {
		return true
	}
	info, err := crdt.InspectSync(ev.msg.Data)
	if err != nil {
		return false
	}
	if _, _, err := ps.receive(doc, ev.msg.Data, info); err != nil {
		return false
	}
	ps.fastJoinedEarly(time.Now(), crdt.HeadsKeyOf(e.heads))
	return true
}
