package sync

import (
	"encoding/binary"
	"errors"
	stdsync "sync"
	"sync/atomic"
	"time"

	"github.com/fxamacker/cbor/v2"
	"go.uber.org/zap"

	"github.com/pairpad/pairpad/sync/wire"
)

// Live link changes (issue 15). The api changes a link in the database and
// then calls SetLinkRole or RevokeLink; every room applies the change to
// the peers that joined with that link, in its own goroutine: a revoked
// link's peers are closed with 4401, a re-roled link's peers get the new
// role for their next frame and a role notice (an ephemeral message from
// the server's peer id, data = CBOR {"t": "pairpad/role", "role": ROLE}).
//
// A connection whose token was checked just before the change but which
// joins its room just after it would miss the change; the hub therefore
// remembers recent changes for linkChangeMemory and applies them at join.

// RoleNoticeTag marks the role notice's data.
const RoleNoticeTag = "pairpad/role"

// linkChangeMemory covers the time from a token check to the join (the
// handshake is bounded by JoinTimeout, 10 s by default).
const linkChangeMemory = time.Minute

type linkChange struct {
	linkID  string
	role    Role
	revoked bool
	// room: the change concerns only this room's connections (a link's
	// notes grant withdrawn: its peers in the notes are closed); empty:
	// every room.
	room string
	at   time.Time
}

// key is the registry key: the link, and the room of a scoped change.
func (ch linkChange) key() string {
	if ch.room == "" {
		return ch.linkID
	}
	return ch.linkID + "\x00" + ch.room
}

// linkRegistry remembers recent link changes. Safe for concurrent use.
type linkRegistry struct {
	mu      stdsync.Mutex
	changes map[string]linkChange
	// notices numbers role notices (the ephemeral count; one session per hub)
	notices atomic.Uint64
}

func (l *linkRegistry) record(ch linkChange) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.changes == nil {
		l.changes = map[string]linkChange{}
	}
	for id, old := range l.changes {
		if ch.at.Sub(old.at) > linkChangeMemory {
			delete(l.changes, id)
		}
	}
	if prev, ok := l.changes[ch.key()]; ok && prev.revoked && ch.room == "" {
		ch.revoked = true // a revocation is final
	}
	if ch.room != "" && !ch.revoked {
		delete(l.changes, ch.key()) // access to that room granted again
		return
	}
	l.changes[ch.key()] = ch
}

// recent returns a recent change of linkID that concerns room: a change
// for every room first, else one scoped to room.
func (l *linkRegistry) recent(linkID, room string, now time.Time) (linkChange, bool) {
	if linkID == "" {
		return linkChange{}, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, key := range []string{linkID, linkChange{linkID: linkID, room: room}.key()} {
		ch, ok := l.changes[key]
		if ok && now.Sub(ch.at) <= linkChangeMemory {
			return ch, true
		}
	}
	return linkChange{}, false
}

// SetLinkRole gives every connection that joined with linkID the role
// role, without reconnecting it. Call it after the database has the change.
func (h *Hub) SetLinkRole(linkID string, role Role) {
	if linkID == "" || !role.Valid() {
		return
	}
	h.changeLink(linkChange{linkID: linkID, role: role, at: time.Now()})
}

// RevokeLinkIn closes the connections that joined room with linkID, with
// 4401 (a link's notes grant withdrawn: room is the notes document). Call
// it after the database has the change.
func (h *Hub) RevokeLinkIn(room, linkID string) {
	if linkID == "" || room == "" {
		return
	}
	h.changeLink(linkChange{linkID: linkID, revoked: true, room: room, at: time.Now()})
}

// GrantLinkIn undoes RevokeLinkIn for connections that join room with
// linkID from now on (a link's notes grant given back).
func (h *Hub) GrantLinkIn(room, linkID string) {
	if linkID == "" || room == "" {
		return
	}
	h.changeLink(linkChange{linkID: linkID, room: room, at: time.Now()})
}

// RevokeLink closes every connection that joined with linkID with 4401.
// Call it after the database has the revocation.
func (h *Hub) RevokeLink(linkID string) {
	if linkID == "" {
		return
	}
	h.changeLink(linkChange{linkID: linkID, revoked: true, at: time.Now()})
}

// changeLink applies a link change made through this instance's api and
// tells the other instances (their peers that joined with the link are
// closed or re-roled the same way).
func (h *Hub) changeLink(ch linkChange) {
	h.applyLinkChange(ch)
	h.publishLink(ch)
}

func (h *Hub) applyLinkChange(ch linkChange) {
	h.links.record(ch)
	h.mu.Lock()
	rooms := make([]*room, 0, len(h.rooms))
	for _, r := range h.rooms {
		rooms = append(rooms, r)
	}
	h.mu.Unlock()
	for _, r := range rooms {
		r.post(event{kind: evLink, link: &ch})
	}
}

// Link changes across instances (with a broker): every hub subscribes to
// LinksTopic at start. A change is published once by the instance whose api
// made it; the others record it (so a connection whose token they checked
// just before it is refused at join) and apply it to their rooms, in order,
// from one goroutine (linkLoop), so the broker's reader never waits on a
// busy room.

// linkQueue bounds link changes from other instances waiting to be applied;
// over it the broker's reader waits (a revocation is never dropped).
const linkQueue = 256

func (h *Hub) subscribeLinks() {
	b := h.cfg.Broker
	if b == nil {
		return
	}
	h.linkIn = make(chan linkChange, linkQueue)
	h.linkStop = make(chan struct{})
	unsub, err := b.Subscribe(LinksTopic, h.peerID, func(m BrokerMessage) {
		if m.Kind != BrokerLink {
			return
		}
		ch, err := decodeLinkChange(m.Data)
		if err != nil {
			h.log.Warn("link change from another instance rejected", zap.Error(err))
			return
		}
		ch.at = time.Now()
		select {
		case h.linkIn <- ch:
		case <-h.linkStop:
		}
	})
	if err != nil {
		h.log.Error("subscribe to link changes of other instances; revocations and role changes made there reach this instance's peers only when they reconnect", zap.Error(err))
		return
	}
	h.unsubLinks = unsub
	h.wg.Add(1)
	go h.linkLoop()
}

func (h *Hub) linkLoop() {
	defer h.wg.Done()
	for {
		select {
		case ch := <-h.linkIn:
			h.metrics.LinkChangesIn.Add(1)
			h.applyLinkChange(ch)
		case <-h.linkStop:
			return
		}
	}
}

// stopLinks ends the link subscription (Shutdown).
func (h *Hub) stopLinks() {
	if h.linkStop == nil {
		return
	}
	if h.unsubLinks != nil {
		h.unsubLinks()
	}
	close(h.linkStop)
}

func (h *Hub) publishLink(ch linkChange) {
	b := h.cfg.Broker
	if b == nil {
		return
	}
	err := b.Publish(BrokerMessage{Origin: h.peerID, Room: LinksTopic, Kind: BrokerLink, Data: encodeLinkChange(ch)})
	if err != nil {
		h.log.Error("publish link change to other instances", zap.String("link", ch.linkID), zap.Error(err))
		return
	}
	h.metrics.LinkChangesOut.Add(1)
}

// Link change wire format: a flags byte (1: revoked, 2: scoped to a room),
// the role as a uvarint-length string, the room as one when scoped, then
// the link id.
func encodeLinkChange(ch linkChange) []byte {
	out := make([]byte, 0, 1+2*binary.MaxVarintLen64+len(ch.role)+len(ch.room)+len(ch.linkID))
	var flags byte
	if ch.revoked {
		flags |= 1
	}
	if ch.room != "" {
		flags |= 2
	}
	out = append(out, flags)
	out = binary.AppendUvarint(out, uint64(len(ch.role)))
	out = append(out, ch.role...)
	if ch.room != "" {
		out = binary.AppendUvarint(out, uint64(len(ch.room)))
		out = append(out, ch.room...)
	}
	return append(out, ch.linkID...)
}

var errLinkChange = errors.New("malformed link change")

// maxLinkIDBytes bounds a link id from another instance (ids are short).
const maxLinkIDBytes = 256

func decodeLinkChange(p []byte) (linkChange, error) {
	var ch linkChange
	if len(p) < 2 || p[0] > 3 {
		return ch, errLinkChange
	}
	flags := p[0]
	ch.revoked = flags&1 != 0
	p = p[1:]
	str := func() (string, bool) {
		n, k := binary.Uvarint(p)
		if k <= 0 || n > uint64(len(p)-k) {
			return "", false
		}
		v := string(p[k : k+int(n)])
		p = p[k+int(n):]
		return v, true
	}
	role, ok := str()
	if !ok {
		return ch, errLinkChange
	}
	ch.role = Role(role)
	if flags&2 != 0 {
		if ch.room, ok = str(); !ok || ch.room == "" || len(ch.room) > maxLinkIDBytes {
			return ch, errLinkChange
		}
	}
	ch.linkID = string(p)
	if ch.linkID == "" || len(ch.linkID) > maxLinkIDBytes {
		return ch, errLinkChange
	}
	if !ch.revoked && ch.room == "" && !ch.role.Valid() {
		return ch, errLinkChange
	}
	return ch, nil
}

// applyLink applies a link change to this room's peers (room goroutine).
func (r *room) applyLink(ch linkChange) {
	if ch.room != "" && (ch.room != r.id || !ch.revoked) {
		return // another room's, or a grant (nothing to do for connected peers)
	}
	for p, ps := range r.peers {
		if p.grant.LinkID != ch.linkID {
			continue
		}
		if ch.revoked {
			p.log.Info("link revoked: closing", zap.String("link", ch.linkID))
			p.kick(CloseUnauthorized)
			r.removePeer(p)
			continue
		}
		if ps.role == ch.role {
			continue
		}
		p.log.Info("link role changed", zap.String("link", ch.linkID), zap.String("role", string(ch.role)))
		ps.role = ch.role
		r.sendRoleNotice(p, ch.role)
	}
}

// joinGrant applies a recent change of p's link at join; false when the
// link was revoked (p is closed).
func (r *room) joinGrant(p *peer, ps *peerSync) bool {
	ps.role = p.grant.Role
	ch, ok := r.hub.links.recent(p.grant.LinkID, r.id, time.Now())
	if !ok {
		return true
	}
	if ch.revoked {
		p.kick(CloseUnauthorized)
		return false
	}
	if ps.role != ch.role {
		ps.role = ch.role
		r.sendRoleNotice(p, ch.role)
	}
	return true
}

// sendRoleNotice tells p its role changed.
func (r *room) sendRoleNotice(p *peer, role Role) {
	data, err := cbor.Marshal(map[string]string{"t": RoleNoticeTag, "role": string(role)})
	if err != nil {
		return
	}
	n := r.hub.links.notices.Add(1)
	r.hub.metrics.RoleNotices.Add(1)
	r.send(p, wire.Message{Type: wire.TypeEphemeral, SenderID: r.hub.peerID, TargetID: p.id, DocumentID: r.id,
		SessionID: r.hub.peerID + "-roles", Count: &n, Data: data})
}

// refuseWrite closes a peer that may not write but sent changes: nothing of
// its message is applied or forwarded.
func (r *room) refuseWrite(p *peer, ps *peerSync, changes int) {
	r.hub.metrics.WritesRefused.Add(1)
	p.log.Info("changes from a peer that may not write: closing", zap.String("role", string(ps.role)),
		zap.Bool("driver_mode", r.drive.state.On), zap.Int("changes", changes))
	p.kick(CloseForbidden)
	r.removePeer(p)
}
