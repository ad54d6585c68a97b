package sync

import (
	"go.uber.org/zap"

	"github.com/automerge/automerge-go"

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
	r.unsubscribe = unsub
}

// headsBeforeReceive returns the heads to publish changes since, or nil
// when there is no broker (nothing is published).
func (r *room) headsBeforeReceive() []automerge.ChangeHash {
	if r.hub.cfg.Broker == nil {
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
	r.hub.metrics.BrokerIn.Add(1)
	switch m.Kind {
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
	}
}
