package sync

import (
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/sync/wire"
)

// Remote-heads gossip, as automerge-repo's RemoteHeadsSubscriptions speaks
// it (clients opt in with `enableRemoteHeadsGossiping`). The server is the
// hub of a star: a client that subscribes to another peer's storage id
// (remote-subscription-change) learns that peer's heads of every document
// both have open (remote-heads-changed), e.g. "my partner has my last
// change". The server learns a peer's heads from the heads field of the
// sync messages the peer sends, and only for peers that announced a
// storage id and are not ephemeral, as automerge-repo does. Heads known in
// a room are those of peers on this instance; with REDIS_URL, gossip does
// not cross instances (README).

// maxStorageIDBytes bounds a storage id a peer announces or subscribes to
// (automerge-repo's are UUIDs, 36 characters).
const maxStorageIDBytes = 128

// maxRoomRemoteHeads bounds the storage ids a loaded room remembers heads
// for (one per distinct peer with storage that synced it).
const maxRoomRemoteHeads = 1024

// remoteHeads is the last heads a room saw from one storage id.
type remoteHeads struct {
	heads []string // UrlHeads
	at    float64  // Unix milliseconds
}

// setStorageID records the storage id a peer announced on join, if it may
// be gossiped about.
func (p *peer) setStorageID(meta *wire.PeerMetadata) {
	if meta == nil || meta.StorageID == "" || len(meta.StorageID) > maxStorageIDBytes {
		return
	}
	if meta.IsEphemeral != nil && *meta.IsEphemeral {
		return
	}
	p.storageID = meta.StorageID
}

// socket is the connection a peer's frames travel on: itself, or for a
// document view of /sync its socket.
func (p *peer) socket() *peer {
	if p.sock != nil {
		return p.sock.p
	}
	return p
}

// subscribedTo reports whether the connection subscribed to storage id.
func (p *peer) subscribedTo(id string) bool {
	subs := p.socket().subs.Load()
	if subs == nil {
		return false
	}
	_, ok := (*subs)[id]
	return ok
}

// changeSubscriptions applies a remote-subscription-change from the peer
// (a connection, not a document view) and returns the storage ids it newly
// added. At most Config.MaxRemoteSubscriptions are kept; the rest are
// ignored and counted. Only the connection's reader calls it.
func (p *peer) changeSubscriptions(msg wire.Message) (added []string) {
	m := p.hub.metrics
	next := map[string]struct{}{}
	if cur := p.subs.Load(); cur != nil {
		for id := range *cur {
			next[id] = struct{}{}
		}
	}
	for _, id := range msg.Remove {
		delete(next, id)
	}
	for _, id := range msg.Add {
		if _, ok := next[id]; ok || id == "" {
			continue
		}
		if len(id) > maxStorageIDBytes || len(next) >= p.hub.cfg.MaxRemoteSubscriptions {
			m.RemoteSubsRefused.Add(1)
			p.log.Info("remote-heads subscription ignored", zap.Int("bytes", len(id)), zap.Int("subscriptions", len(next)),
				zap.Int("max", p.hub.cfg.MaxRemoteSubscriptions))
			continue
		}
		next[id] = struct{}{}
		added = append(added, id)
	}
	p.subs.Store(&next)
	p.countSubscriber(len(next) > 0)
	return added
}

// countSubscriber keeps Hub.subscribers: whether the connection now has a
// subscription. Only the connection's reader (and its finish) calls it.
func (p *peer) countSubscriber(now bool) {
	if now != p.subscriber {
		p.subscriber = now
		if now {
			p.hub.subscribers.Add(1)
		} else {
			p.hub.subscribers.Add(-1)
		}
	}
}

// gossipHeads runs in the room goroutine after a sync message from p was
// applied: heads are the sender's heads from that message. When they are
// new, every other peer subscribed to p's storage id hears of them.
func (r *room) gossipHeads(p *peer, heads [][]byte) {
	id := p.socket().storageID
	if id == "" {
		return
	}
	enc := crdt.EncodeURLHeads(heads)
	if old, ok := r.remoteHeads[id]; ok && slices.Equal(old.heads, enc) {
		return
	}
	if r.remoteHeads == nil {
		r.remoteHeads = map[string]remoteHeads{}
	}
	if _, ok := r.remoteHeads[id]; !ok && len(r.remoteHeads) >= maxRoomRemoteHeads {
		r.forgetOldestHeads()
	}
	rh := remoteHeads{heads: enc, at: float64(time.Now().UnixMilli())}
	r.remoteHeads[id] = rh
	if r.hub.subscribers.Load() == 0 {
		return // (a lecture room's viewers announce new heads with every acknowledgement)
	}
	for q := range r.peers {
		if q != p && q.subscribedTo(id) {
			// After the batch's sync messages (generate): a peer that
			// hears of new heads has the changes they name by then.
			r.gossipOut = append(r.gossipOut, heldHeads{q, id, rh})
		}
	}
}

// heldHeads is a remote-heads message waiting for the batch's sync
// messages.
type heldHeads struct {
	to *peer
	id string
	rh remoteHeads
}

// flushGossip sends the remote-heads messages held during a batch.
func (r *room) flushGossip() {
	for i, g := range r.gossipOut {
		if r.peers[g.to] != nil {
			r.sendRemoteHeads(g.to, g.id, g.rh)
		}
		r.gossipOut[i] = heldHeads{}
	}
	r.gossipOut = r.gossipOut[:0]
	if cap(r.gossipOut) > 64 {
		r.gossipOut = nil
	}
}

// sendKnownHeads answers a new subscription: the heads this room knows for
// the storage ids q just subscribed to.
func (r *room) sendKnownHeads(q *peer, ids []string) {
	if r.peers[q] == nil {
		return // left meanwhile
	}
	for _, id := range ids {
		if rh, ok := r.remoteHeads[id]; ok {
			r.sendRemoteHeads(q, id, rh)
		}
	}
}

func (r *room) sendRemoteHeads(q *peer, id string, rh remoteHeads) {
	r.hub.metrics.RemoteHeadsSent.Add(1)
	r.send(q, wire.Message{
		Type: wire.TypeRemoteHeadsChanged, SenderID: r.hub.peerID, TargetID: q.id, DocumentID: r.id,
		NewHeads: wire.HeadsByStorage{id: {Heads: rh.heads, Timestamp: rh.at}},
	})
}

func (r *room) forgetOldestHeads() {
	oldest, at := "", 0.0
	for id, rh := range r.remoteHeads {
		if oldest == "" || rh.at < at {
			oldest, at = id, rh.at
		}
	}
	delete(r.remoteHeads, oldest)
}
