package sync

import (
	"time"

	"go.uber.org/zap"

	"github.com/automerge/automerge-go"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/sync/wire"
)

// subscribe connects the room to the other instances, when a broker is
// configured. Their messages queue in remoteCh until the room's loop reads
// them (after the load); deliver never blocks the broker.
func (r *room) subscribe() {
	b := r.hub.cfg.Broker
	if b == nil {
		return
	}
	r.remoteCh = make(chan BrokerMessage, r.hub.cfg.BrokerQueue)
	unsub, err := b.Subscribe(r.id, r.hub.peerID, func(m BrokerMessage) {
		select {
		case r.remoteCh <- m:
		default:
			r.hub.metrics.BrokerDropped.Add(1)
			r.log.Warn("message from another instance dropped: room queue full", zap.Int("queue", cap(r.remoteCh)))
		}
	})
	if err != nil {
		r.log.Error("subscribe to other instances", zap.Error(err))
		return
	}
	// The heads-exchange timer shares the queue with other instances'
	// messages, so the room's loop needs no case of its own for it.
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(r.hub.cfg.HeadsInterval)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				select {
				case r.remoteCh <- BrokerMessage{Kind: brokerTick}:
				default: // the queue is busy: the next tick will do
				}
			}
		}
	}()
	r.unsubscribe = func() { close(stop); unsub() }
}

// brokerState is a room's part of the heads exchange.
type brokerState struct {
	lastHeads string // heads published last
}

// headsTick publishes the room's heads when it has peers or changed since
// the last tick, so that other instances holding the room can tell what
// they lack, whatever pub/sub lost.
func (r *room) headsTick() {
	r.forgetEphemeral(time.Now(), false)
	r.driveTick()
	key := r.doc.HeadsKey()
	if len(r.peers) == 0 && key == r.bx.lastHeads {
		return
	}
	r.bx.lastHeads = key
	r.publish(BrokerMessage{Kind: BrokerHeads, Data: encodeHeads(r.doc.Heads())})
}

// onRemoteHeads compares another instance's heads with ours: if we lack some
// we ask that instance for the changes since our heads; if it lacks some of
// ours (all its heads are known to us and differ from ours) we send it ours.
func (r *room) onRemoteHeads(m BrokerMessage) {
	heads, ok := decodeHeads(m.Data)
	if !ok {
		r.log.Warn("heads from another instance rejected")
		return
	}
	if len(r.doc.Missing(heads)) > 0 {
		r.hub.metrics.BrokerWants.Add(1)
		r.publish(BrokerMessage{Kind: BrokerWant, To: m.Origin, Data: encodeHeads(r.doc.Heads())})
		return
	}
	if sameHeads(heads, r.doc.Heads()) {
		return
	}
	r.sendChangesSince(m.Origin, heads)
}

// sendChangesSince answers a want: the changes since heads, those of its
// heads we do not know left out (it has them; we lack them and will ask).
func (r *room) sendChangesSince(to string, heads []automerge.ChangeHash) {
	missing := r.doc.Missing(heads)
	known := heads[:0:0]
	for _, h := range heads {
		if !containsHash(missing, h) {
			known = append(known, h)
		}
	}
	if len(missing) > 0 && len(known) == 0 && len(heads) > 0 {
		// Nothing in common that we can name: send everything.
		known = nil
	}
	data, err := r.doc.ChangesSince(known)
	if err != nil || len(data) == 0 {
		if err != nil {
			r.log.Warn("collect changes for another instance", zap.Error(err))
		}
		return
	}
	r.hub.metrics.BrokerRepairs.Add(1)
	r.publish(BrokerMessage{Kind: BrokerChanges, To: to, Data: data})
}

func encodeHeads(hs []automerge.ChangeHash) []byte {
	out := make([]byte, 0, 32*len(hs))
	for _, h := range hs {
		out = append(out, h[:]...)
	}
	return out
}

func decodeHeads(p []byte) ([]automerge.ChangeHash, bool) {
	if len(p)%32 != 0 {
		return nil, false
	}
	out := make([]automerge.ChangeHash, len(p)/32)
	for i := range out {
		copy(out[i][:], p[32*i:])
	}
	return out, true
}

func sameHeads(a, b []automerge.ChangeHash) bool {
	if len(a) != len(b) {
		return false
	}
	for _, h := range a {
		if !containsHash(b, h) {
			return false
		}
	}
	return true
}

func containsHash(hs []automerge.ChangeHash, h automerge.ChangeHash) bool {
	for _, x := range hs {
		if x == h {
			return true
		}
	}
	return false
}

// headsBeforeReceive returns the heads to publish changes since: nil when
// there is no broker (nothing is published) or the message carries no
// changes (acknowledgements, most of the traffic, cost no call into Rust).
func (r *room) headsBeforeReceive(info crdt.SyncInfo) []automerge.ChangeHash {
	if r.hub.cfg.Broker == nil || info.Changes == 0 {
		return nil
	}
	return r.doc.Heads()
}

// publishChanges sends the changes a peer of ours just applied.
func (r *room) publishChanges(before []automerge.ChangeHash) {
	b := r.hub.cfg.Broker
	if b == nil {
		return
	}
	data, err := r.doc.ChangesSince(before)
	if err != nil || len(data) == 0 {
		if err != nil {
			r.log.Error("collect changes to publish", zap.Error(err))
		}
		return
	}
	r.publish(BrokerMessage{Kind: BrokerChanges, Data: data})
}

// publishEphemeral sends one of our peers' ephemeral messages.
func (r *room) publishEphemeral(msg wire.Message) {
	if r.hub.cfg.Broker == nil {
		return
	}
	msg.TargetID = ""
	frame, err := wire.EncodeFrame(msg)
	if err != nil {
		return
	}
	r.publish(BrokerMessage{Kind: BrokerEphemeral, Data: frame})
}

func (r *room) publish(m BrokerMessage) {
	m.Origin, m.Room = r.hub.peerID, r.id
	if err := r.hub.cfg.Broker.Publish(m); err != nil {
		r.log.Warn("publish to other instances", zap.Error(err))
		return
	}
	r.hub.metrics.BrokerOut.Add(1)
}

// applyRemote takes in another instance's message: its changes are merged
// and synced to our peers; its ephemeral messages are forwarded to them.
func (r *room) applyRemote(m BrokerMessage) {
	if m.Kind == brokerTick {
		r.headsTick()
		return
	}
	r.hub.metrics.BrokerIn.Add(1)
	switch m.Kind {
	case BrokerHeads:
		r.onRemoteHeads(m)
	case BrokerWant:
		heads, ok := decodeHeads(m.Data)
		if !ok {
			r.log.Warn("want from another instance rejected")
			return
		}
		r.sendChangesSince(m.Origin, heads)
	case BrokerChanges:
		before := r.doc.HeadsKey()
		if err := r.doc.Merge(m.Data); err != nil {
			r.log.Warn("changes from another instance rejected", zap.Error(err))
			return
		}
		if r.doc.HeadsKey() != before {
			r.sizeChanged()
			r.markDirty()
		}
	case BrokerEphemeral:
		msg, err := wire.DecodeFrame(m.Data)
		if err != nil || msg.Type != wire.TypeEphemeral {
			r.log.Warn("ephemeral message from another instance rejected", zap.Error(err))
			return
		}
		r.forwardEphemeral(nil, msg)
	case BrokerPairing:
		r.applyRemoteDrive(m)
	}
}
