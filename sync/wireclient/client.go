// Package wireclient is a Go peer speaking automerge-repo's protocol to a
// Pairpad server, with the same frame codec (wire) and document wrapper
// (crdt) as the server. Tests and the load tool (cmd/pairload) use it; it
// does not import the server.
package wireclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	stdsync "sync"
	"sync/atomic"
	"time"

	"github.com/automerge/automerge-go"
	"github.com/gorilla/websocket"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/sync/wire"
)

// Client is a Go peer speaking automerge-repo's protocol to a server, using
// the same frame codec and crdt wrapper as the server. Tests and the load
// tool use it. Methods are safe for concurrent use.
type Client struct {
	conn   *websocket.Conn
	peerID string
	docID  string
	opts   ClientOptions

	mu       stdsync.Mutex // guards doc and state
	doc      *crdt.Doc
	state    *crdt.PeerState
	serverID string

	writeMu   stdsync.Mutex
	changed   chan struct{} // closed and replaced on every received frame
	done      chan struct{}
	err       atomic.Pointer[error]
	closeCode atomic.Int32

	ephemeralCount atomic.Uint64
	sessionID      string
	unavailable    atomic.Bool
	serverHeads    string                 // HeadsKey form of the heads in the server's last sync message; guarded by mu
	thinHeads      []automerge.ChangeHash // Thin: the heads of the last sync message; guarded by mu
	thinAcked      string                 // Thin: the heads last acknowledged (reader only)

	BytesIn   atomic.Int64
	FramesIn  atomic.Int64
	BytesOut  atomic.Int64
	FramesOut atomic.Int64
}

// ClientOptions tunes a Client.
type ClientOptions struct {
	// PeerID defaults to a random one.
	PeerID string
	// AdvertiseV2 appends the v2 capability to sync messages, so the server
	// may answer the first with a fast-join snapshot.
	AdvertiseV2 bool
	// OnSync runs (on the reader goroutine, without locks) after a sync
	// message was applied.
	OnSync func(c *Client)
	// OnFrame runs (on the reader goroutine) for every frame read after the
	// handshake, before it is decoded and applied: size in bytes and arrival
	// time, so a caller can tell transfer time from apply time.
	OnFrame func(bytes int, at time.Time)
	// OnRaw runs (on the reader goroutine) with every frame's bytes as
	// read, handshake included (tests of what a peer receives; do not keep
	// the slice).
	OnRaw func(frame []byte)
	// OnEphemeral runs for every ephemeral message received.
	OnEphemeral func(m wire.Message)
	// Header is sent with the upgrade request.
	Header http.Header
	// Thin: keep no document. Each sync message is only inspected: its
	// heads become the client's (Heads), OnSync runs when it carries
	// changes, and it is acknowledged with crdt.AckMessage, as a peer that
	// applied it would. For load tests of many viewers, where applying every
	// keystroke in the tool would cost more than the server's work; Text
	// and editing are not available.
	Thin bool
	// Doc, when set, is the document this peer already has: Dial announces
	// it with a sync message (not a request), as an automerge-repo peer that
	// created a document does, and returns once the server has all of it
	// (see WaitSynced). The client takes ownership of Doc.
	Doc *crdt.Doc
}

// Dial connects to wsURL (ws://host/ws/{room}), joins, and asks for docID.
func Dial(ctx context.Context, wsURL, docID string, opts ClientOptions) (*Client, error) {
	if opts.PeerID == "" {
		opts.PeerID = "go-" + crdt.NewDocumentID()[:10]
	}
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 8 << 10, WriteBufferSize: 8 << 10}
	conn, resp, err := d.DialContext(ctx, wsURL, opts.Header)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial %s: %w (HTTP %d)", wsURL, err, resp.StatusCode)
		}
		return nil, fmt.Errorf("dial %s: %w", wsURL, err)
	}
	doc := opts.Doc
	if doc == nil {
		doc = crdt.Empty()
	}
	c := &Client{
		conn: conn, peerID: opts.PeerID, docID: docID, opts: opts,
		doc: doc, state: doc.NewPeerState(),
		changed: make(chan struct{}), done: make(chan struct{}),
		sessionID: crdt.NewDocumentID()[:12],
	}
	conn.SetReadLimit(256 << 20)
	if err := c.write(wire.Message{Type: wire.TypeJoin, SenderID: c.peerID, SupportedProtocolVersions: []string{wire.ProtocolV1},
		PeerMetadata: &wire.PeerMetadata{}}); err != nil {
		conn.Close()
		return nil, err
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	m, err := c.read()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("handshake: %w", err)
	}
	if m.Type != wire.TypePeer {
		conn.Close()
		return nil, fmt.Errorf("handshake: got %q (%s), want peer", m.Type, m.ErrorMessage)
	}
	_ = conn.SetReadDeadline(time.Time{})
	c.serverID = m.SenderID
	go c.reader()
	if opts.Doc != nil {
		if err := c.sendSync(wire.TypeSync); err != nil {
			c.Close()
			return nil, err
		}
		if err := c.WaitSynced(ctx); err != nil {
			c.Close()
			return nil, err
		}
		return c, nil
	}
	if err := c.sendSync(wire.TypeRequest); err != nil {
		c.Close()
		return nil, err
	}
	// Wait for the document (or doc-unavailable): editing before it arrives
	// would create a second, conflicting content object.
	if err := c.waitLoaded(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (c *Client) waitLoaded(ctx context.Context) error {
	for {
		c.mu.Lock()
		ch := c.changed
		loaded := len(c.doc.Heads()) > 0 || len(c.thinHeads) > 0
		c.mu.Unlock()
		if loaded || c.unavailable.Load() {
			return nil
		}
		select {
		case <-ch:
		case <-c.done:
			return fmt.Errorf("connection closed before the document arrived (code %d): %v", c.CloseCode(), c.Err())
		case <-ctx.Done():
			return fmt.Errorf("waiting for the document: %w", ctx.Err())
		}
	}
}

// WaitSynced waits until the heads the server reported in its latest sync
// message equal this client's heads: the server has everything we have.
func (c *Client) WaitSynced(ctx context.Context) error {
	for {
		c.mu.Lock()
		ch := c.changed
		synced := c.serverHeads == c.doc.HeadsKey()
		c.mu.Unlock()
		if synced {
			return nil
		}
		select {
		case <-ch:
		case <-c.done:
			return fmt.Errorf("connection closed before the server had the document (code %d): %v", c.CloseCode(), c.Err())
		case <-ctx.Done():
			return fmt.Errorf("waiting for the server to have the document: %w", ctx.Err())
		}
	}
}

// WaitHas waits until the client's document holds every change in hashes
// (they arrived through the server, or were made here), or ctx ends.
func (c *Client) WaitHas(ctx context.Context, hashes []automerge.ChangeHash) error {
	for {
		c.mu.Lock()
		ch := c.changed
		missing := c.doc.Missing(hashes)
		c.mu.Unlock()
		if len(missing) == 0 {
			return nil
		}
		select {
		case <-ch:
		case <-c.done:
			if len(c.missing(hashes)) == 0 {
				return nil
			}
			return fmt.Errorf("connection closed (code %d) while %d changes were missing: %v", c.CloseCode(), len(missing), c.Err())
		case <-ctx.Done():
			return fmt.Errorf("waiting for %d changes (first %s): %w", len(missing), missing[0], ctx.Err())
		}
	}
}

func (c *Client) missing(hashes []automerge.ChangeHash) []automerge.ChangeHash {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.doc.Missing(hashes)
}

// ChangesSince returns the changes of the client's document made since heads
// (concatenated change chunks, as crdt.Doc.ChangesSince).
func (c *Client) ChangesSince(heads []automerge.ChangeHash) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.doc.ChangesSince(heads)
}

// Heads returns the client's document heads (cheap; for change detection
// such as the load tool's keystroke tracking).
func (c *Client) Heads() []automerge.ChangeHash {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.opts.Thin {
		return c.thinHeads
	}
	return c.doc.Heads()
}

// PeerID is this client's peer id.
func (c *Client) PeerID() string { return c.peerID }

// Done is closed when the connection ends.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err is why the connection ended (nil while it runs).
func (c *Client) Err() error {
	if p := c.err.Load(); p != nil {
		return *p
	}
	return nil
}

// CloseCode is the close code the server sent, or 0.
func (c *Client) CloseCode() int { return int(c.closeCode.Load()) }

// Unavailable reports whether the server said doc-unavailable.
func (c *Client) Unavailable() bool { return c.unavailable.Load() }

// Text returns the document's content.
func (c *Client) Text() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, _ := c.doc.Text()
	return s
}

// Language returns the document's language field.
func (c *Client) Language() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.doc.Language()
}

// Save returns the client's copy of the document.
func (c *Client) Save() ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.doc.Save()
}

// Splice edits the content (positions in code points) and syncs.
func (c *Client) Splice(pos, del int, text string) error {
	c.mu.Lock()
	err := c.doc.Splice(pos, del, text)
	c.mu.Unlock()
	if err != nil {
		return err
	}
	return c.sendSync(wire.TypeSync)
}

// Edit runs f on the document under the client's lock, then syncs.
func (c *Client) Edit(f func(d *crdt.Doc) error) error {
	c.mu.Lock()
	err := f(c.doc)
	c.mu.Unlock()
	if err != nil {
		return err
	}
	return c.sendSync(wire.TypeSync)
}

// SendEphemeral broadcasts data (opaque CBOR) to the room's other peers.
func (c *Client) SendEphemeral(data []byte) error {
	return c.write(wire.Message{Type: wire.TypeEphemeral, SenderID: c.peerID, TargetID: c.serverID, DocumentID: c.docID,
		SessionID: c.sessionID, Count: ptr(c.ephemeralCount.Add(1)), Data: data})
}

// SendRaw writes a raw frame (tests of bad input).
func (c *Client) SendRaw(msgType int, data []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	return c.conn.WriteMessage(msgType, data)
}

// Send writes a protocol message as it is.
func (c *Client) Send(m wire.Message) error { return c.write(m) }

// WaitFor waits until pred holds for the text, or ctx ends.
func (c *Client) WaitFor(ctx context.Context, pred func(text string) bool) error {
	for {
		c.mu.Lock()
		ch := c.changed
		text, _ := c.doc.Text()
		c.mu.Unlock()
		if pred(text) {
			return nil
		}
		select {
		case <-ch:
		case <-c.done:
			if pred(c.Text()) {
				return nil
			}
			return fmt.Errorf("connection closed (code %d): %v", c.CloseCode(), c.Err())
		case <-ctx.Done():
			return fmt.Errorf("%w; text is %d chars", ctx.Err(), len(c.Text()))
		}
	}
}

// Close leaves the room.
func (c *Client) Close() error {
	c.writeMu.Lock()
	_ = c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	c.writeMu.Unlock()
	select {
	case <-c.done:
	case <-time.After(2 * time.Second):
	}
	return c.conn.Close()
}

func (c *Client) sendSync(typ string) error {
	c.mu.Lock()
	var (
		data []byte
		ok   bool
		err  error
	)
	if c.opts.AdvertiseV2 {
		data, ok, err = c.doc.GenerateAdvertisingV2(c.state)
	} else {
		data, ok, err = c.doc.Generate(c.state)
	}
	c.mu.Unlock()
	if err != nil || !ok {
		return err
	}
	return c.write(wire.Message{Type: typ, SenderID: c.peerID, TargetID: c.serverID, DocumentID: c.docID, Data: data})
}

func (c *Client) write(m wire.Message) error {
	frame, err := wire.EncodeFrame(m)
	if err != nil {
		return err
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	_ = c.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if err := c.conn.WriteMessage(websocket.BinaryMessage, frame); err != nil {
		return err
	}
	c.BytesOut.Add(int64(len(frame)))
	c.FramesOut.Add(1)
	return nil
}

func (c *Client) read() (wire.Message, error) {
	_, data, err := c.conn.ReadMessage()
	if err != nil {
		return wire.Message{}, err
	}
	if c.opts.OnRaw != nil {
		c.opts.OnRaw(data)
	}
	if c.opts.OnFrame != nil && c.serverID != "" { // after the handshake
		c.opts.OnFrame(len(data), time.Now())
	}
	c.BytesIn.Add(int64(len(data)))
	c.FramesIn.Add(1)
	return wire.DecodeFrame(data)
}

func (c *Client) reader() {
	defer close(c.done)
	for {
		m, err := c.read()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				c.closeCode.Store(int32(ce.Code))
			}
			c.err.Store(&err)
			c.notify()
			return
		}
		switch m.Type {
		case wire.TypeSync, wire.TypeRequest:
			if c.opts.Thin {
				if err := c.receiveThin(m.Data); err != nil {
					c.err.Store(&err)
					c.conn.Close()
				}
				continue
			}
			c.mu.Lock()
			_, heads, err := c.doc.ReceiveFromServer(c.state, m.Data)
			if err == nil {
				c.serverHeads = heads
			}
			c.mu.Unlock()
			if err != nil {
				c.err.Store(&err)
				c.conn.Close()
				continue
			}
			c.notify()
			if c.opts.OnSync != nil {
				c.opts.OnSync(c)
			}
			_ = c.sendSync(wire.TypeSync)
		case wire.TypeDocUnavailable:
			c.unavailable.Store(true)
			c.notify()
		case wire.TypeEphemeral:
			if c.opts.OnEphemeral != nil {
				c.opts.OnEphemeral(m)
			}
		}
	}
}

// receiveThin takes a sync message without a document (ClientOptions.Thin).
func (c *Client) receiveThin(data []byte) error {
	info, err := crdt.InspectSync(data)
	if err != nil {
		return err
	}
	key := crdt.HeadsKeyOf(info.Heads)
	heads := make([]automerge.ChangeHash, len(info.Heads))
	for i, h := range info.Heads {
		copy(heads[i][:], h)
	}
	c.mu.Lock()
	if info.Changes > 0 { // a heads-only message names heads it did not bring
		c.thinHeads = heads
	}
	c.serverHeads = key
	c.mu.Unlock()
	c.notify()
	if info.Changes == 0 || key == c.thinAcked {
		return nil // heads only: nothing new to hold or to acknowledge
	}
	if c.opts.OnSync != nil {
		c.opts.OnSync(c)
	}
	c.thinAcked = key
	return c.write(wire.Message{Type: wire.TypeSync, SenderID: c.peerID, TargetID: c.serverID, DocumentID: c.docID, Data: crdt.AckMessage(info.Heads)})
}

func (c *Client) notify() {
	c.mu.Lock()
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
}

func ptr[T any](v T) *T { return &v }
