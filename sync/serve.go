package sync

import (
	"context"
	"errors"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/zap"

	"github.com/pairpad/pairpad/sync/wire"
)

// ServeConn runs one upgraded WebSocket for room roomID until it closes; see
// ServeTransport.
func (h *Hub) ServeConn(ctx context.Context, conn *websocket.Conn, roomID string, log *zap.Logger) {
	h.ServeTransport(ctx, WebSocketTransport(conn), roomID, log)
}

// ServeTransport runs one connection for room roomID until it closes. The
// caller has checked that the room exists. ctx carries the connection's
// Grant (none: an editor of roomID) and bounds the connection: when it ends,
// the peer is closed with 1001. It returns when the connection is done; it
// never panics on input.
func (h *Hub) ServeTransport(ctx context.Context, conn Transport, roomID string, log *zap.Logger) {
	p := newPeer(h, conn, grantFor(ctx, roomID), log)
	p.startPings()
	defer p.finish()
	if ctx.Done() != nil { // (a connection the API serves is ended by Shutdown instead)
		stop := context.AfterFunc(ctx, func() { p.kick(CloseGoingAway) })
		defer stop()
	}
	if exp := p.grant.ExpiresAt; !exp.IsZero() {
		expire := time.AfterFunc(time.Until(exp), func() { p.kick(CloseUnauthorized) })
		defer expire.Stop()
	}

	if !p.handshake("") {
		return
	}
	r, err := h.attach(roomID)
	if errors.Is(err, ErrOverloaded) {
		p.log.Warn("room not opened: memory budget full", zap.Int64("max_memory", h.cfg.MaxMemory))
		p.kick(CloseOverloaded)
		return
	}
	if err != nil {
		p.kick(CloseGoingAway)
		return
	}
	defer h.detach(r)
	if !r.post(event{kind: evJoin, peer: p}) {
		p.kick(CloseRoomNotFound)
		return
	}
	defer r.post(event{kind: evLeave, peer: p})
	p.readLoop(func(msg wire.Message) bool { return p.dispatch(r, msg) })
}

// MaxPeerIDBytes bounds a peer's senderId (automerge-repo's are ~20
// characters); a longer one is refused with 4400 and never echoed.
const MaxPeerIDBytes = 256

// handshake reads the join and answers with peer (announcing storageID
// when not empty); false when the connection must close (the close code is
// set).
func (p *peer) handshake(storageID string) bool {
	h, cfg := p.hub, p.hub.cfg
	_ = p.conn.SetReadDeadline(time.Now().Add(cfg.JoinTimeout))
	p.conn.SetPongHandler(func() { _ = p.conn.SetReadDeadline(time.Now().Add(cfg.PongWait)) })

	join, code := p.readMessage()
	if code != 0 {
		p.kick(code)
		return false
	}
	if join.Type != wire.TypeJoin {
		p.log.Info("first frame is not join", zap.String("type", join.Type))
		p.kick(CloseMalformed)
		return false
	}
	if len(join.SenderID) > MaxPeerIDBytes {
		p.log.Info("peer id too long", zap.Int("bytes", len(join.SenderID)))
		p.kick(CloseMalformed)
		return false
	}
	p.id = join.SenderID
	p.log = p.log.WithLazy(zap.String("peer", p.id))
	p.setStorageID(join.PeerMetadata)
	if p.id == h.peerID {
		// Peers trust ephemeral messages from the server's id (role
		// notices, links.go): nobody else may use it.
		p.log.Info("join with the server's own peer id")
		p.kick(CloseMalformed)
		return false
	}
	if !supportsV1(join.SupportedProtocolVersions) {
		p.log.Info("unsupported protocol versions", zap.Strings("versions", join.SupportedProtocolVersions))
		p.sendNow(wire.Message{Type: wire.TypeError, SenderID: h.peerID, TargetID: p.id, ErrorMessage: "unsupported protocol version"})
		p.kick(CloseProtocolVersion)
		return false
	}
	notEphemeral := false
	p.sendNow(wire.Message{
		Type: wire.TypePeer, SenderID: h.peerID, TargetID: p.id,
		PeerMetadata:            &wire.PeerMetadata{StorageID: storageID, IsEphemeral: &notEphemeral},
		SelectedProtocolVersion: wire.ProtocolV1,
	})
	return true
}

// readLoop reads frames after the handshake and hands them to dispatch
// until the connection closes or dispatch returns false.
func (p *peer) readLoop(dispatch func(wire.Message) bool) {
	cfg := p.hub.cfg
	_ = p.conn.SetReadDeadline(time.Now().Add(cfg.PongWait))
	bucket := newTokenBucket(cfg.FramesPerSecond, cfg.FrameBurst)
	for {
		msg, code := p.readMessage()
		if code != 0 {
			p.kick(code)
			return
		}
		if !bucket.take(time.Now()) {
			p.log.Warn("frame rate over limit", zap.Float64("per_second", cfg.FramesPerSecond))
			p.kick(CloseTooFast)
			return
		}
		_ = p.conn.SetReadDeadline(time.Now().Add(cfg.PongWait))
		if !dispatch(msg) {
			return
		}
		select {
		case <-p.kicked:
			return // the room closed us (slow consumer, rejected sync, replaced)
		default:
		}
	}
}

// dispatch routes one frame from the peer; false when the connection must
// end (the close code is set).
func (p *peer) dispatch(r *room, msg wire.Message) bool {
	m := p.hub.metrics
	if msg.SenderID != p.id {
		m.FramesDropped.Add(1)
		p.log.Debug("dropped frame with foreign senderId", zap.String("sender", msg.SenderID), zap.String("type", msg.Type))
		return true
	}
	switch msg.Type {
	case wire.TypeRequest, wire.TypeSync, wire.TypeEphemeral, wire.TypeDocUnavailable:
		if !r.post(event{kind: evFrame, peer: p, msg: &msg}) {
			p.kick(CloseGoingAway)
			return false
		}
	case wire.TypeLeave:
		p.kick(CloseNormal)
		return false
	case wire.TypeRemoteSubscriptionChange:
		if added := p.changeSubscriptions(msg); len(added) > 0 && !r.post(event{kind: evGossipSub, peer: p, msg: &wire.Message{Add: added}}) {
			p.kick(CloseGoingAway)
			return false
		}
	case wire.TypeRemoteHeadsChanged:
		// The server is the hub: a client reports only heads it learnt
		// from the server itself (gossip.go). Ignore.
	case wire.TypeJoin:
		m.FramesDropped.Add(1)
		p.log.Debug("dropped second join on one socket")
	default:
		m.FramesDropped.Add(1)
		p.log.Info("dropped frame of unknown type", zap.String("type", msg.Type))
	}
	return true
}
