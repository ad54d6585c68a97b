package sync

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	stdsync "sync"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/zap"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/sync/wire"
)

// GET /sync: one socket, many documents, as automerge-repo's sync server
// speaks it. The socket is a peer (handshake, reader, writer, queue and
// limits as on /ws); each document it opens gets a document view of it (a
// *peer with sock set) that joins that document's room, so every room
// mechanism (fast join, saves, change log, size and memory limits, broker)
// applies unchanged. The room sends through the view into the socket's one
// queue.
//
// Failures of one document (a rejected sync message, changes from a viewer,
// a document over MaxDocBytes) drop that document from the socket with an
// "error" message naming it; the other documents carry on. Failures of the
// connection (slow consumer, frame limits, garbage, shutdown, expiry) close
// the socket with the usual close codes.

// AnyDoc in SyncAccess.Docs allows every document.
const AnyDoc = "*"

// SyncAccess is what one /sync connection may do.
type SyncAccess struct {
	// Role applies to every document the connection opens: a viewer's
	// changes are refused (and may not create documents).
	Role Role
	// Docs lists the document ids the connection may open; AnyDoc allows
	// all. Empty allows none.
	Docs []string
	// LinkID, Name and ExpiresAt as in Grant.
	LinkID    string
	Name      string
	ExpiresAt time.Time
}

func (a SyncAccess) allows(id string) bool {
	for _, d := range a.Docs {
		if d == AnyDoc || d == id {
			return true
		}
	}
	return false
}

// syncSocket is one /sync connection.
type syncSocket struct {
	p      *peer // the socket itself
	access SyncAccess

	mu   stdsync.Mutex
	docs map[string]*peer // open documents' views; nil once the socket ended
}

// ServeSyncConn runs one upgraded WebSocket on /sync until it closes.
func (h *Hub) ServeSyncConn(ctx context.Context, conn *websocket.Conn, access SyncAccess, log *zap.Logger) {
	h.ServeSync(ctx, WebSocketTransport(conn), access, log)
}

// StartSyncConn is ServeSyncConn that returns after the handshake and
// reads on in a goroutine of its own (see StartConn).
func (h *Hub) StartSyncConn(ctx context.Context, conn *websocket.Conn, access SyncAccess, log *zap.Logger) {
	if p := h.openSync(ctx, WebSocketTransport(conn), access, log); p != nil {
		go p.readLoop()
	}
}

// ServeSync runs one /sync connection until it closes; ctx bounds it as in
// ServeTransport. It never panics on input.
func (h *Hub) ServeSync(ctx context.Context, conn Transport, access SyncAccess, log *zap.Logger) {
	if p := h.openSync(ctx, conn, access, log); p != nil {
		p.readLoop()
	}
}

// openSync runs a /sync connection's handshake; it returns the socket's
// peer ready for readLoop, or nil when the connection is done already.
func (h *Hub) openSync(ctx context.Context, conn Transport, access SyncAccess, log *zap.Logger) *peer {
	p := newPeer(h, conn, Grant{Role: access.Role, LinkID: access.LinkID, Name: access.Name, ExpiresAt: access.ExpiresAt}, log)
	s := &syncSocket{p: p, access: access, docs: map[string]*peer{}}
	p.startPings()
	p.watch(ctx)
	if !p.handshake(h.StorageID(ctx)) {
		p.end()
		return nil
	}
	h.metrics.SyncSockets.Add(1)
	p.startReading(s.dispatch, func() {
		s.closeAll()
		h.metrics.SyncSockets.Add(-1)
		p.end()
	})
	return p
}

// dispatch routes one frame; false when the socket must close.
func (s *syncSocket) dispatch(msg wire.Message) bool {
	p, m := s.p, s.p.hub.metrics
	if msg.SenderID != p.id {
		m.FramesDropped.Add(1)
		p.log.Debug("dropped frame with foreign senderId", zap.String("sender", msg.SenderID), zap.String("type", msg.Type))
		return true
	}
	switch msg.Type {
	case wire.TypeRequest, wire.TypeSync, wire.TypeEphemeral, wire.TypeDocUnavailable:
		var dp *peer
		if msg.Type == wire.TypeDocUnavailable {
			dp = s.doc(msg.DocumentID) // nothing to open for it
		} else {
			dp = s.open(msg.DocumentID)
		}
		if dp == nil {
			m.FramesDropped.Add(1)
			return !s.ended()
		}
		if !dp.room.post(event{kind: evFrame, peer: dp, msg: &msg}) {
			p.kick(CloseGoingAway) // the room ended under us: shutdown
			return false
		}
	case wire.TypeLeave:
		p.kick(CloseNormal)
		return false
	case wire.TypeRemoteSubscriptionChange:
		if added := p.changeSubscriptions(msg); len(added) > 0 {
			s.announceSubscriptions(added)
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

// announceSubscriptions asks every open document's room for the heads it
// knows of storage ids the socket just subscribed to.
func (s *syncSocket) announceSubscriptions(added []string) {
	s.mu.Lock()
	views := make([]*peer, 0, len(s.docs))
	for _, dp := range s.docs {
		views = append(views, dp)
	}
	s.mu.Unlock()
	for _, dp := range views {
		dp.room.post(event{kind: evGossipSub, peer: dp, msg: &wire.Message{Add: added}})
	}
}

func (s *syncSocket) ended() bool {
	select {
	case <-s.p.kicked:
		return true
	default:
		return false
	}
}

// doc returns the open view of document id, if any.
func (s *syncSocket) doc(id string) *peer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.docs[id]
}

// open returns the view of document id, opening it (attach and join) if
// needed; nil when it may not be opened (the peer was told why).
func (s *syncSocket) open(id string) *peer {
	if dp := s.doc(id); dp != nil {
		return dp
	}
	p, h := s.p, s.p.hub
	if !crdt.ValidDocumentID(id) {
		s.refuse(id, "invalid document id: want an automerge-repo document id (bs58check of 16 bytes, as in automerge:<id>)", false)
		return nil
	}
	if crdt.IsNotesDocumentID(id) {
		s.refuse(id, "not allowed: a room's private notes open only through /ws/{room}/notes", true)
		return nil
	}
	if !s.access.allows(id) {
		s.refuse(id, "not allowed: this connection's token does not list the document in its docs claim", true)
		return nil
	}
	s.mu.Lock()
	open := len(s.docs)
	s.mu.Unlock()
	if open >= h.cfg.SyncMaxDocs {
		s.refuse(id, fmt.Sprintf("too many documents open on one socket (SYNC_MAX_DOCS = %d)", h.cfg.SyncMaxDocs), false)
		return nil
	}
	r, err := h.attachDoc(id, true)
	if errors.Is(err, ErrOverloaded) {
		p.log.Warn("document not opened: memory budget full", zap.String("doc", id), zap.Int64("max_memory", h.cfg.MaxMemory))
		s.refuse(id, CloseOverloaded.Info().Reason, false)
		return nil
	}
	if err != nil {
		p.kick(CloseGoingAway)
		return nil
	}
	dp := &peer{
		id:     p.id,
		grant:  Grant{Room: id, Role: s.access.Role, LinkID: s.access.LinkID, Name: s.access.Name, ExpiresAt: s.access.ExpiresAt},
		log:    p.log.WithLazy(zap.String("doc", id)),
		hub:    h,
		kicked: make(chan struct{}),
		sock:   s,
		room:   r,
	}
	s.mu.Lock()
	if s.docs == nil { // the socket ended meanwhile
		s.mu.Unlock()
		h.detach(r)
		return nil
	}
	s.docs[id] = dp
	s.mu.Unlock()
	h.metrics.SyncDocsOpen.Add(1)
	h.metrics.SyncDocsOpened.Add(1)
	if !r.post(event{kind: evJoin, peer: dp}) {
		p.kick(CloseGoingAway)
		return nil // closeAll detaches it
	}
	return dp
}

// refuse answers a frame for document id that cannot be served with an
// error message (and doc-unavailable when unavailable: the peer's find
// fails instead of waiting).
func (s *syncSocket) refuse(id, why string, unavailable bool) {
	p, h := s.p, s.p.hub
	h.metrics.SyncDocErrors.Add(1)
	p.log.Info("document refused", zap.String("doc", id), zap.String("why", why))
	s.sendError(id, why)
	if unavailable {
		p.sendNow(wire.Message{Type: wire.TypeDocUnavailable, SenderID: h.peerID, TargetID: p.id, DocumentID: id})
	}
}

func (s *syncSocket) sendError(id, why string) {
	p := s.p
	if len(id) > 64 {
		id = id[:64] + "…" // never echo much of what a peer sent
	}
	p.sendNow(wire.Message{Type: wire.TypeError, SenderID: p.hub.peerID, TargetID: p.id, DocumentID: "",
		ErrorMessage: fmt.Sprintf("document %q: %s", id, why)})
}

// socketLevel: close codes that end the whole connection, not one document.
func socketLevel(code CloseCode) bool {
	switch code {
	case CloseSyncRejected, CloseForbidden, CloseDocTooLarge, CloseRoomNotFound, CloseOverloaded, CloseInternal:
		return false
	}
	return true
}

// docKicked runs (once, on the kicking goroutine, usually the room's) when
// a document view is closed: a connection-level code closes the socket; a
// document-level one drops the document from the socket and tells the peer.
func (s *syncSocket) docKicked(dp *peer, code CloseCode) {
	if socketLevel(code) {
		s.p.kick(code)
		return
	}
	id := dp.grant.Room
	s.mu.Lock()
	mine := s.docs != nil && s.docs[id] == dp
	if mine {
		delete(s.docs, id)
	}
	s.mu.Unlock()
	if !mine {
		return
	}
	h := s.p.hub
	h.metrics.SyncDocErrors.Add(1)
	h.metrics.SyncDocsOpen.Add(-1)
	h.detach(dp.room)
	dp.log.Info("document dropped from the socket", zap.Int("code", int(code)))
	s.sendError(id, fmt.Sprintf("%s (%d); the document was closed on this connection, the others stay open", code.Info().Reason, code))
}

// closeAll leaves every open document when the socket ends.
func (s *syncSocket) closeAll() {
	s.mu.Lock()
	docs := s.docs
	s.docs = nil
	s.mu.Unlock()
	h := s.p.hub
	for _, dp := range docs {
		dp.room.post(event{kind: evLeave, peer: dp})
		h.detach(dp.room)
		h.metrics.SyncDocsOpen.Add(-1)
	}
}

// SettingStore is implemented by stores that keep small named values
// created once (persistence.GormStore); the server's storage id is kept
// there.
type SettingStore interface {
	LoadOrCreateSecret(ctx context.Context, name string, fresh []byte) ([]byte, error)
}

// storageIDSetting names the storage id's row.
const storageIDSetting = "sync_storage_id"

type storageIDCache struct {
	mu stdsync.Mutex
	id string
}

// StorageID is the server's automerge-repo storage id, sent in the peer
// message on /sync: created once per database and kept there (the same
// across restarts and instances sharing the database). A store that cannot
// keep it gives one per process. Empty when the database does not answer
// (then the next connection asks again).
func (h *Hub) StorageID(ctx context.Context) string {
	c := &h.storage
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.id != "" {
		return c.id
	}
	fresh := newUUID()
	ss, ok := h.store.(SettingStore)
	if !ok {
		c.id = fresh
		return c.id
	}
	ctx, cancel := context.WithTimeout(ctx, h.cfg.SaveTimeout)
	defer cancel()
	got, err := ss.LoadOrCreateSecret(ctx, storageIDSetting, []byte(fresh))
	if err != nil {
		h.log.Warn("storage id not available: the peer message goes without it", zap.Error(err))
		return ""
	}
	c.id = string(got)
	return c.id
}

// newUUID returns a random (version 4) UUID, the form automerge-repo uses
// for storage ids.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
