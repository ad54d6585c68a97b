package sync

import (
	"context"
	"errors"
	"io"
	stdsync "sync"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/zap"
)

// peer is one WebSocket connection that joined a room. Its reader goroutine
// (ServeConn) decodes frames and posts them to the room; its writer goroutine
// is the only one that writes to the socket.
type peer struct {
	id    string
	conn  *websocket.Conn
	log   *zap.Logger
	hub   *Hub
	sendq chan []byte

	kickOnce stdsync.Once
	kickCode CloseCode
	kicked   chan struct{}
	written  chan struct{} // writer exited
}

// enqueue queues a frame without blocking; false when the queue is full.
func (p *peer) enqueue(frame []byte) bool {
	select {
	case <-p.kicked:
		return true // closing anyway; drop silently
	default:
	}
	select {
	case p.sendq <- frame:
		return true
	default:
		return false
	}
}

// kick asks the writer to close the socket with code. Safe from any goroutine,
// any number of times; the first code wins. It never blocks.
func (p *peer) kick(code CloseCode) {
	p.kickOnce.Do(func() {
		p.kickCode = code
		close(p.kicked)
	})
}

func (p *peer) writer() {
	defer close(p.written)
	cfg := p.hub.cfg
	ping := time.NewTicker(cfg.PingPeriod)
	defer ping.Stop()
	m := p.hub.metrics
	for {
		select {
		case frame := <-p.sendq:
			_ = p.conn.SetWriteDeadline(time.Now().Add(cfg.WriteWait))
			if err := p.conn.WriteMessage(websocket.BinaryMessage, frame); err != nil {
				p.log.Debug("write failed", zap.Error(err))
				p.kick(CloseGoingAway)
				_ = p.conn.Close() // unblock the reader
				return
			}
			m.FramesOut.Add(1)
			m.BytesOut.Add(int64(len(frame)))
		case <-ping.C:
			if err := p.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(cfg.WriteWait)); err != nil {
				p.kick(CloseGoingAway)
				_ = p.conn.Close()
				return
			}
		case <-p.kicked:
			// Flush what the room queued before the close (e.g. an error message).
			for drained := false; !drained; {
				select {
				case frame := <-p.sendq:
					_ = p.conn.SetWriteDeadline(time.Now().Add(cfg.WriteWait))
					if p.conn.WriteMessage(websocket.BinaryMessage, frame) != nil {
						drained = true
					}
				default:
					drained = true
				}
			}
			info := p.kickCode.Info()
			m.closed(p.kickCode)
			msg := websocket.FormatCloseMessage(int(info.Code), info.Reason)
			_ = p.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(cfg.WriteWait))
			// Give the peer a moment to answer the close; the reader
			// drains until then and closes the socket.
			_ = p.conn.SetReadDeadline(time.Now().Add(closeGrace))
			return
		}
	}
}

// ServeConn runs one upgraded WebSocket for room roomID until it closes. The
// caller has checked that the room exists. It returns when the connection is
// done; it never panics on input.
func (h *Hub) ServeConn(ctx context.Context, conn *websocket.Conn, roomID string, log *zap.Logger) {
	cfg := h.cfg
	p := &peer{
		conn:    conn,
		hub:     h,
		log:     log,
		sendq:   make(chan []byte, cfg.SendQueue),
		kicked:  make(chan struct{}),
		written: make(chan struct{}),
	}
	go p.writer()
	defer p.finish()

	_ = conn.SetReadDeadline(time.Now().Add(cfg.JoinTimeout))
	conn.SetPongHandler(func(string) error {
		return conn.SetReadDeadline(time.Now().Add(cfg.PongWait))
	})

	// Handshake: the first frame must be a join.
	join, code := p.readMessage()
	if code != 0 {
		p.kick(code)
		return
	}
	if join.Type != TypeJoin {
		log.Info("first frame is not join", zap.String("type", join.Type))
		p.kick(CloseMalformed)
		return
	}
	p.id = join.SenderID
	p.log = log.With(zap.String("peer", p.id))
	if !supportsV1(join.SupportedProtocolVersions) {
		p.log.Info("unsupported protocol versions", zap.Strings("versions", join.SupportedProtocolVersions))
		p.sendNow(Message{Type: TypeError, SenderID: h.peerID, TargetID: p.id, ErrorMessage: "unsupported protocol version"})
		p.kick(CloseProtocolVersion)
		return
	}
	notEphemeral := false
	p.sendNow(Message{
		Type: TypePeer, SenderID: h.peerID, TargetID: p.id,
		PeerMetadata:            &PeerMetadata{IsEphemeral: &notEphemeral},
		SelectedProtocolVersion: ProtocolV1,
	})

	r, err := h.attach(roomID)
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
	_ = conn.SetReadDeadline(time.Now().Add(cfg.PongWait))

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
		_ = conn.SetReadDeadline(time.Now().Add(cfg.PongWait))
		if msg.SenderID != p.id {
			h.metrics.FramesDropped.Add(1)
			p.log.Info("dropped frame with foreign senderId", zap.String("sender", msg.SenderID), zap.String("type", msg.Type))
			continue
		}
		switch msg.Type {
		case TypeRequest, TypeSync, TypeEphemeral, TypeDocUnavailable:
			if !r.post(event{kind: evFrame, peer: p, msg: &msg}) {
				p.kick(CloseGoingAway)
				return
			}
		case TypeLeave:
			p.kick(CloseNormal)
			return
		case TypeRemoteSubscriptionChange, TypeRemoteHeadsChanged:
			// Remote-heads gossip is off: ignore.
		case TypeJoin:
			h.metrics.FramesDropped.Add(1)
			p.log.Debug("dropped second join on one socket")
		default:
			h.metrics.FramesDropped.Add(1)
			p.log.Info("dropped frame of unknown type", zap.String("type", msg.Type))
		}
		select {
		case <-p.kicked:
			return // the room closed us (slow consumer, rejected sync, replaced)
		default:
		}
	}
}

// closeGrace is how long a closing socket waits for the peer's close frame
// (reading and discarding what it still sends) before it is dropped. Closing
// with unread data would reset the connection and lose the close code.
const closeGrace = time.Second

// finish runs when the reader is done: the writer sends the close frame, the
// reader drains until the peer answers or closeGrace passes, then the socket
// is closed.
func (p *peer) finish() {
	p.kick(CloseNormal) // no-op when a code was set already
	<-p.written
	_ = p.conn.SetReadDeadline(time.Now().Add(closeGrace))
	for {
		if _, _, err := p.conn.NextReader(); err != nil {
			break
		}
	}
	_ = p.conn.Close()
}

// readMessage reads and decodes one frame. A non-zero code means the
// connection must close with it.
func (p *peer) readMessage() (Message, CloseCode) {
	typ, rd, err := p.conn.NextReader()
	if err != nil {
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return Message{}, CloseNormal
		}
		select {
		case <-p.kicked:
			return Message{}, p.kickCode
		default:
		}
		p.log.Debug("read failed", zap.Error(err))
		return Message{}, CloseGoingAway
	}
	max := p.hub.cfg.MaxFrameBytes
	data, err := io.ReadAll(io.LimitReader(rd, max+1))
	if err != nil {
		return Message{}, CloseGoingAway
	}
	m := p.hub.metrics
	m.FramesIn.Add(1)
	m.BytesIn.Add(int64(len(data)))
	if int64(len(data)) > max {
		p.log.Warn("frame too large", zap.Int64("limit", max))
		return Message{}, CloseTooLarge
	}
	if typ != websocket.BinaryMessage {
		p.log.Info("text frame; the protocol is binary CBOR")
		return Message{}, CloseMalformed
	}
	msg, err := DecodeFrame(data)
	if err != nil {
		p.log.Info("malformed frame", zap.Error(err), zap.Int("bytes", len(data)))
		return Message{}, CloseMalformed
	}
	return msg, 0
}

// sendNow queues a handshake frame (the queue is empty at that point).
func (p *peer) sendNow(m Message) {
	frame, err := EncodeFrame(m)
	if err == nil {
		p.enqueue(frame)
	}
}

func supportsV1(versions []string) bool {
	if versions == nil {
		return true // automerge-repo treats an absent list as v1
	}
	for _, v := range versions {
		if v == ProtocolV1 {
			return true
		}
	}
	return false
}

// tokenBucket is a per-connection frame rate limit (one goroutine only).
type tokenBucket struct {
	rate, burst, tokens float64
	last                time.Time
}

func newTokenBucket(rate, burst float64) *tokenBucket {
	return &tokenBucket{rate: rate, burst: burst, tokens: burst}
}

func (b *tokenBucket) take(now time.Time) bool {
	if !b.last.IsZero() {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
