package sync

import (
	"context"
	"errors"
	"io"
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

// StartConn is ServeConn that returns once the peer has joined (or the
// connection has closed during the handshake): the connection's reads go on
// in a goroutine of their own, which holds nothing but the read loop while
// the peer is idle (see readLoop). The API serves its WebSockets so.
func (h *Hub) StartConn(ctx context.Context, conn *websocket.Conn, roomID string, log *zap.Logger) {
	if p := h.openPeer(ctx, WebSocketTransport(conn), roomID, log); p != nil {
		go p.readLoop()
	}
}

// ServeTransport runs one connection for room roomID until it closes. The
// caller has checked that the room exists. ctx carries the connection's
// Grant (none: an editor of roomID) and bounds the connection: when it ends,
// the peer is closed with 1001. It returns when the connection is done; it
// never panics on input.
func (h *Hub) ServeTransport(ctx context.Context, conn Transport, roomID string, log *zap.Logger) {
	if p := h.openPeer(ctx, conn, roomID, log); p != nil {
		p.readLoop()
	}
}

// openPeer does what comes before the read loop: the handshake and the
// join. It returns the peer ready for readLoop, or nil when the connection
// is done already (its close code set, everything undone).
func (h *Hub) openPeer(ctx context.Context, conn Transport, roomID string, log *zap.Logger) *peer {
	p := newPeer(h, conn, grantFor(ctx, roomID), log)
	p.startPings()
	p.watch(ctx)
	r := p.join(roomID)
	if r == nil {
		p.end()
		return nil
	}
	p.startReading(func(msg wire.Message) bool { return p.dispatch(r, msg) }, func() { p.leave(r) })
	return p
}

// join runs the handshake and joins the room; nil when the connection
// must close (the close code is set).
func (p *peer) join(roomID string) *room {
	h := p.hub
	if !p.handshake("") {
		return nil
	}
	r, err := h.attach(roomID)
	if errors.Is(err, ErrOverloaded) {
		p.log.Warn("room not opened: memory budget full", zap.Int64("max_memory", h.cfg.MaxMemory))
		p.kick(CloseOverloaded)
		return nil
	}
	if err != nil {
		p.kick(CloseGoingAway)
		return nil
	}
	if !r.post(event{kind: evJoin, peer: p}) {
		h.detach(r)
		p.kick(CloseRoomNotFound)
		return nil
	}
	return r
}

// leave undoes openPeer once the read loop has ended (its onEnd).
func (p *peer) leave(r *room) {
	r.post(event{kind: evLeave, peer: p})
	p.hub.detach(r)
	p.end()
}

// watch closes the peer when ctx ends (with 1001) or its grant expires
// (4401); end stops that.
func (p *peer) watch(ctx context.Context) {
	if ctx.Done() != nil { // (a connection the API serves is ended by Shutdown instead)
		p.stopWatch = context.AfterFunc(ctx, func() { p.kick(CloseGoingAway) })
	}
	if exp := p.grant.ExpiresAt; !exp.IsZero() {
		p.expire = time.AfterFunc(time.Until(exp), func() { p.kick(CloseUnauthorized) })
	}
}

// end stops watching and closes the connection (finish): the last step of
// every connection, whether it joined or not.
func (p *peer) end() {
	if p.stopWatch != nil {
		p.stopWatch()
	}
	if p.expire != nil {
		p.expire.Stop()
	}
	p.finish()
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

// startReading readies readLoop: onMsg gets each frame read (false ends
// the connection; the close code is set), onEnd runs when the loop ends.
func (p *peer) startReading(onMsg func(wire.Message) bool, onEnd func()) {
	cfg := &p.hub.cfg
	p.onMsg, p.onEnd = onMsg, onEnd
	p.bucket = newTokenBucket(cfg.FramesPerSecond, cfg.FrameBurst)
	_ = p.conn.SetReadDeadline(time.Now().Add(cfg.PongWait))
}

// readLoop reads frames after the handshake and hands them to onMsg until
// the connection closes or onMsg returns false, then runs onEnd.
//
// An idle connection's reader waits here for its life, and whatever is on
// its stack then is kept per connection: the runtime halves a goroutine's
// 8 KiB stack at a collection only when under ~1.2 KiB of it is in use,
// and gorilla's and the network poller's frames below NextReader take
// ~1 KiB. So the loop waits in NextReader itself, started as its
// goroutine's first function (StartConn), and all the work on a frame
// happens in onFrame, whose frames (decoding, logging) are gone again while
// the reader waits.
func (p *peer) readLoop() {
	defer p.onEnd()
	ws, _ := p.conn.(wsTransport)
	for {
		if ws.c != nil {
			typ, rd, err := ws.c.NextReader()
			if !p.onFrame(typ, rd, err) {
				return
			}
		} else if !p.onData(p.conn.ReadFrame(p.hub.cfg.MaxFrameBytes)) {
			return
		}
	}
}

// onFrame reads the rest of a frame whose header gorilla's NextReader has
// read, and handles it (onData).
func (p *peer) onFrame(typ int, rd io.Reader, err error) bool {
	return p.onData(readBody(typ, rd, err, p.hub.cfg.MaxFrameBytes))
}

// onData handles what one read returned; false when the connection must
// end (the close code is set).
func (p *peer) onData(data []byte, err error) bool {
	cfg := &p.hub.cfg
	msg, code := p.decodeFrame(data, err)
	if code != 0 {
		p.kick(code)
		return false
	}
	if !p.bucket.take(time.Now()) {
		p.log.Warn("frame rate over limit", zap.Float64("per_second", cfg.FramesPerSecond))
		p.kick(CloseTooFast)
		return false
	}
	_ = p.conn.SetReadDeadline(time.Now().Add(cfg.PongWait))
	if !p.onMsg(msg) {
		return false
	}
	select {
	case <-p.kicked:
		return false // the room closed us (slow consumer, rejected sync, replaced)
	default:
		return true
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
