package sync

import (
	"errors"
	stdsync "sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/pairpad/pairpad/sync/wire"
)

// peer is one connection that joined a room. Its reader goroutine
// (ServeConn, serve.go) decodes frames and posts them to the room; frames
// are written by a drain goroutine that runs only while there is something
// to write (see drain), keep-alive pings by a timer.
type peer struct {
	id    string
	conn  Transport
	grant Grant // who the peer is and what it was granted at connect (the room keeps its live role in peerSync.role)
	log   *zap.Logger
	hub   *Hub
	// The send queue: frames the room made for this peer, oldest first,
	// at most Config.SendQueue of them. A slice rather than a buffered
	// channel so that an idle peer holds no queue memory (a 256-frame
	// channel is 6 KiB per connection); writing: a drain runs (see drain).
	qmu     stdsync.Mutex
	q       [][]byte
	writing bool
	pingDue bool // a ping is to be written (pings.go)
	// pingIdx and lastPing belong to the hub's pingSet (under its lock).
	pingIdx  int
	lastPing int64
	// queued: bytes in the queue (Config.MaxPeerQueueBytes bounds it)
	queued atomic.Int64

	kickOnce stdsync.Once
	kickCode CloseCode
	kicked   chan struct{}
	written  chan struct{} // the close was written (or a write failed): no more writes

	// sock is set on a document view of a /sync socket (syncserve.go):
	// frames go through the socket's queue, and a document-level close
	// drops only this document (see syncSocket.dropDoc).
	sock *syncSocket
	room *room // sock only: the document's room

	// Remote-heads gossip (gossip.go), on connections only: the storage id
	// the peer announced on join (set before it joins a room), and the
	// storage ids it subscribed to (replaced whole by its reader).
	storageID string
	subs      atomic.Pointer[map[string]struct{}]
	// subscriber: subs is not empty, as counted in Hub.subscribers
	subscriber bool

	// Set by watch: what ends the connection with its context or grant.
	stopWatch func() bool
	expire    *time.Timer
	// The read loop's (startReading): what it hands frames to, what it
	// runs at its end, and the frame rate limit.
	onMsg  func(wire.Message) bool
	onEnd  func()
	bucket tokenBucket
}

// enqueue queues a frame without blocking; false when the queue is full:
// SendQueue frames, or MaxPeerQueueBytes bytes (a frame larger than that
// still goes into an empty queue, so any frame the room makes can be sent).
func (p *peer) enqueue(frame []byte) bool {
	if p.sock != nil {
		select {
		case <-p.kicked:
			return true // this document was dropped from the socket
		default:
		}
		return p.sock.p.enqueue(frame)
	}
	select {
	case <-p.kicked:
		return true // closing anyway; drop silently
	default:
	}
	n := int64(len(frame))
	if q := p.queued.Add(n); q > p.hub.cfg.MaxPeerQueueBytes && q != n {
		p.queued.Add(-n)
		return false
	}
	p.qmu.Lock()
	if len(p.q) >= p.hub.cfg.SendQueue {
		p.qmu.Unlock()
		p.queued.Add(-n)
		return false
	}
	p.q = append(p.q, frame)
	p.startWriterLocked()
	p.qmu.Unlock()
	return true
}

// takeQueued removes and returns every queued frame (nil when none); the
// queue's memory goes with them.
func (p *peer) takeQueued() [][]byte {
	p.qmu.Lock()
	frames := p.q
	p.q = nil
	p.qmu.Unlock()
	return frames
}

// pending is the number of frames queued.
func (p *peer) pending() int {
	p.qmu.Lock()
	defer p.qmu.Unlock()
	return len(p.q)
}

// dequeued accounts for a frame taken from the queue.
func (p *peer) dequeued(frame []byte) { p.queued.Add(-int64(len(frame))) }

// newPeer is a connection's peer before its handshake.
func newPeer(h *Hub, conn Transport, grant Grant, log *zap.Logger) *peer {
	return &peer{
		conn:    conn,
		grant:   grant,
		hub:     h,
		log:     log,
		kicked:  make(chan struct{}),
		written: make(chan struct{}),
		pingIdx: -1,
	}
}

// kick asks the writer to close the socket with code. Safe from any goroutine,
// any number of times; the first code wins. It never blocks.
func (p *peer) kick(code CloseCode) {
	first := false
	p.kickOnce.Do(func() {
		p.kickCode = code
		close(p.kicked)
		first = true
	})
	if first && p.sock == nil {
		p.qmu.Lock()
		p.startWriterLocked() // the close is written by the writer
		p.qmu.Unlock()
	}
	if first && p.sock != nil {
		p.sock.docKicked(p, code)
	}
}

// The writer. A connection has no goroutine of its own for writing while
// it has nothing to write: enqueue (or kick) starts one (drain) that writes
// until the queue is empty and ends, so an idle connection costs only its
// reader. Pings come from a timer (WriteControl may run beside a write).
// Exactly one drain runs at a time (p.writing, under qmu); the one that sees
// the peer kicked writes the close and never hands over again.

// startWriterLocked runs drain unless one is running; qmu is held. A peer
// without a connection (unit tests reading its queue) gets none.
func (p *peer) startWriterLocked() {
	if !p.writing && p.conn != nil {
		p.writing = true
		go p.drain()
	}
}

// drain writes queued frames until the queue is empty, then ends, or, if
// the peer was kicked, writes the close and ends for good (closeConn).
func (p *peer) drain() {
	cfg := p.hub.cfg
	m := p.hub.metrics
	for {
		p.qmu.Lock()
		frames := p.q
		p.q = nil
		ping := p.pingDue
		p.pingDue = false
		if ping {
			select {
			case <-p.kicked:
				ping = false // the close is next, and no frame after it
			default:
			}
		}
		if ping {
			p.qmu.Unlock()
			if err := p.conn.WritePing(time.Now().Add(cfg.WriteWait)); err != nil {
				p.log.Debug("ping failed", zap.Error(err))
				for _, f := range frames {
					p.dequeued(f)
				}
				p.kick(CloseGoingAway)
				_ = p.conn.Close() // unblock the reader
				p.writerDone()
				return
			}
			if len(frames) == 0 {
				continue // frames queued meanwhile, the close, or the end
			}
			p.qmu.Lock()
		}
		if len(frames) == 0 {
			select {
			case <-p.kicked:
				// Keep the writer role: nobody writes after the close.
				p.qmu.Unlock()
				p.closeConn()
				return
			default:
			}
			p.writing = false
			p.qmu.Unlock()
			return
		}
		p.qmu.Unlock()
		for i, frame := range frames {
			p.dequeued(frame)
			if err := p.conn.WriteFrame(frame, time.Now().Add(cfg.WriteWait)); err != nil {
				p.log.Debug("write failed", zap.Error(err))
				for _, f := range frames[i+1:] {
					p.dequeued(f)
				}
				p.kick(CloseGoingAway)
				_ = p.conn.Close() // unblock the reader
				p.writerDone()
				return
			}
			frames[i] = nil // written: let it go while the rest are
			m.FramesOut.Add(1)
			m.BytesOut.Add(int64(len(frame)))
		}
	}
}

// closeConn writes what the room queued before the close (e.g. an error
// message) and the close frame, and lets the reader wait for the peer's
// answer. It runs once, in the last drain.
func (p *peer) closeConn() {
	cfg := p.hub.cfg
	failed := false
	for _, frame := range p.takeQueued() {
		p.dequeued(frame)
		if !failed && p.conn.WriteFrame(frame, time.Now().Add(cfg.WriteWait)) != nil {
			failed = true // the rest are only accounted for
		}
	}
	info := p.kickCode.Info()
	_ = p.conn.WriteClose(int(info.Code), info.Reason, time.Now().Add(cfg.WriteWait))
	// Give the peer a moment to answer the close; the reader drains until
	// then and closes the socket.
	_ = p.conn.SetReadDeadline(time.Now().Add(closeGrace))
	p.writerDone()
}

// writerDone ends the connection's writing for good: no more pings, the
// close counted, finish released.
func (p *peer) writerDone() {
	p.stopPings()
	p.hub.metrics.closed(p.kickCode)
	close(p.written)
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
		// A zero limit discards each message after its first byte.
		if _, err := p.conn.ReadFrame(0); err != nil && !errors.Is(err, ErrFrameTooLarge) {
			break
		}
	}
	_ = p.conn.Close()
	p.countSubscriber(false)
}

// readMessage reads and decodes one frame. A non-zero code means the
// connection must close with it.
func (p *peer) readMessage() (wire.Message, CloseCode) {
	data, err := p.conn.ReadFrame(p.hub.cfg.MaxFrameBytes)
	return p.decodeFrame(data, err)
}

// decodeFrame decodes what one read returned.
func (p *peer) decodeFrame(data []byte, err error) (wire.Message, CloseCode) {
	if data != nil {
		m := p.hub.metrics
		m.FramesIn.Add(1)
		m.BytesIn.Add(int64(len(data)))
	}
	switch {
	case errors.Is(err, ErrPeerClosed):
		return wire.Message{}, CloseNormal
	case errors.Is(err, ErrFrameTooLarge):
		p.log.Warn("frame too large", zap.Int64("limit", p.hub.cfg.MaxFrameBytes))
		return wire.Message{}, CloseTooLarge
	case errors.Is(err, ErrTextFrame):
		p.log.Info("text frame; the protocol is binary CBOR")
		return wire.Message{}, CloseMalformed
	case err != nil:
		select {
		case <-p.kicked:
			return wire.Message{}, p.kickCode
		default:
		}
		p.log.Debug("read failed", zap.Error(err))
		return wire.Message{}, CloseGoingAway
	}
	msg, err := wire.DecodeFrame(data)
	if err != nil {
		p.log.Info("malformed frame", zap.Error(err), zap.Int("bytes", len(data)))
		return wire.Message{}, CloseMalformed
	}
	return msg, 0
}

// sendNow queues a handshake frame (the queue is empty at that point).
func (p *peer) sendNow(m wire.Message) {
	frame, err := wire.EncodeFrame(m)
	if err == nil {
		p.enqueue(frame)
	}
}

func supportsV1(versions []string) bool {
	if versions == nil {
		return true // automerge-repo treats an absent list as v1
	}
	for _, v := range versions {
		if v == wire.ProtocolV1 {
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

// newTokenBucket starts full: burst frames may come at once.
func newTokenBucket(rate, burst float64) tokenBucket {
	return tokenBucket{rate: rate, burst: burst, tokens: burst}
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
