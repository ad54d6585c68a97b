package sync_test

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"github.com/automerge/automerge-go"
	"github.com/gorilla/websocket"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/persistence"
	pairsync "github.com/pairpad/pairpad/sync"
	"github.com/pairpad/pairpad/sync/wire"
	"github.com/pairpad/pairpad/sync/wireclient"
)

// syncServer is a hub behind /sync (with access) and /ws/{id}.
func newSyncServer(t *testing.T, cfg pairsync.Config, store pairsync.Store, access pairsync.SyncAccess) *testServer {
	t.Helper()
	if store == nil {
		store = persistence.NewMemory()
	}
	hub := pairsync.NewHub(cfg, store, zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel)))
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	mux := http.NewServeMux()
	mux.HandleFunc("/sync", func(w http.ResponseWriter, r *http.Request) {
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		hub.ServeSyncConn(r.Context(), conn, access, zap.NewNop())
	})
	mux.HandleFunc("/ws/{id}", func(w http.ResponseWriter, r *http.Request) {
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		hub.ServeConn(r.Context(), conn, r.PathValue("id"), zap.NewNop())
	})
	ts := serveMux(t, hub, mux)
	ts.store = store
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hub.Shutdown(ctx)
	})
	return ts
}

func editorOfAll() pairsync.SyncAccess {
	return pairsync.SyncAccess{Role: pairsync.RoleEditor, Docs: []string{pairsync.AnyDoc}}
}

// muxClient is a test peer with many documents on one /sync socket; it
// answers every sync message as automerge-repo does.
type muxClient struct {
	t      *testing.T
	conn   *websocket.Conn
	id     string
	server string
	meta   *wire.PeerMetadata

	writeMu stdsync.Mutex
	mu      stdsync.Mutex
	docs    map[string]*muxDoc
	unavail map[string]bool
	errors  []string
	ephem   []wire.Message
	gossip  []remoteHeadsMsg // remote-heads-changed received (gossip_test.go)
	held    map[string]bool  // documents with local changes held back (edit with hold)
	code    int
	changed chan struct{}
}

type muxDoc struct {
	doc *crdt.Doc
	st  *crdt.PeerState
}

func (ts *testServer) syncURL() string {
	return "ws" + strings.TrimPrefix(ts.http.URL, "http") + "/sync"
}

func dialSync(t *testing.T, ts *testServer, peerID string) *muxClient {
	t.Helper()
	return dialSyncWith(t, ts, peerID, nil)
}

// dialSyncWith joins announcing meta (a storage id, ephemeral or not).
func dialSyncWith(t *testing.T, ts *testServer, peerID string, meta *wire.PeerMetadata) *muxClient {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial(ts.syncURL(), nil)
	if err != nil {
		t.Fatalf("dial /sync: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &muxClient{t: t, conn: conn, id: peerID, docs: map[string]*muxDoc{}, unavail: map[string]bool{}, changed: make(chan struct{})}
	c.send(wire.Message{Type: wire.TypeJoin, SenderID: peerID, SupportedProtocolVersions: []string{wire.ProtocolV1}, PeerMetadata: meta})
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, data, err := conn.ReadMessage()
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	m, err := wire.DecodeFrame(data)
	if err != nil || m.Type != wire.TypePeer {
		t.Fatalf("handshake: %+v %v", m, err)
	}
	_ = conn.SetReadDeadline(time.Time{})
	c.server, c.meta = m.SenderID, m.PeerMetadata
	go c.reader()
	return c
}

func (c *muxClient) send(m wire.Message) {
	frame, err := wire.EncodeFrame(m)
	if err != nil {
		c.t.Errorf("encode: %v", err)
		return
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	_ = c.conn.WriteMessage(websocket.BinaryMessage, frame)
}

func (c *muxClient) reader() {
	for {
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			c.mu.Lock()
			if ce, ok := err.(*websocket.CloseError); ok {
				c.code = ce.Code
			} else {
				c.code = -1
			}
			c.notifyLocked()
			c.mu.Unlock()
			return
		}
		m, err := wire.DecodeFrame(data)
		if err != nil {
			continue
		}
		c.mu.Lock()
		switch m.Type {
		case wire.TypeSync, wire.TypeRequest:
			d := c.docs[m.DocumentID]
			if d == nil {
				doc := crdt.Empty()
				d = &muxDoc{doc: doc, st: doc.NewPeerState()}
				c.docs[m.DocumentID] = d
			}
			if _, err := d.doc.Receive(d.st, m.Data); err == nil && !c.held[m.DocumentID] {
				c.syncLocked(m.DocumentID, wire.TypeSync)
			}
		case wire.TypeDocUnavailable:
			c.unavail[m.DocumentID] = true
		case wire.TypeError:
			c.errors = append(c.errors, m.ErrorMessage)
		case wire.TypeEphemeral:
			c.ephem = append(c.ephem, m)
		case wire.TypeRemoteHeadsChanged:
			c.gossip = append(c.gossip, decodeRemoteHeads(c.t, data))
		}
		c.notifyLocked()
		c.mu.Unlock()
	}
}

func (c *muxClient) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// syncLocked sends the sync message due for docID, if any.
func (c *muxClient) syncLocked(docID, typ string) {
	d := c.docs[docID]
	data, ok, err := d.doc.Generate(d.st)
	if err != nil || !ok {
		return
	}
	go c.send(wire.Message{Type: typ, SenderID: c.id, TargetID: c.server, DocumentID: docID, Data: data})
}

// request asks for a document it does not have.
func (c *muxClient) request(docID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	doc := crdt.Empty()
	c.docs[docID] = &muxDoc{doc: doc, st: doc.NewPeerState()}
	c.syncLocked(docID, wire.TypeRequest)
}

// create announces a document it made.
func (c *muxClient) create(docID string, doc *crdt.Doc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.docs[docID] = &muxDoc{doc: doc, st: doc.NewPeerState()}
	c.syncLocked(docID, wire.TypeSync)
}

// edit changes a document; with hold the change stays local (the client
// does not even answer the server for that document) until flush.
func (c *muxClient) edit(docID string, f func(*crdt.Doc) error, hold bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := f(c.docs[docID].doc); err != nil {
		c.t.Fatalf("edit: %v", err)
	}
	if hold {
		if c.held == nil {
			c.held = map[string]bool{}
		}
		c.held[docID] = true
		return
	}
	c.syncLocked(docID, wire.TypeSync)
}

func (c *muxClient) flush(docID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.held, docID)
	c.syncLocked(docID, wire.TypeSync)
}

// wait polls cond (under the client's lock) until it holds or 10 s pass.
func (c *muxClient) wait(what string, cond func() bool) {
	c.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		c.mu.Lock()
		ok, ch := cond(), c.changed
		c.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			c.t.Fatalf("%s: timed out waiting for %s (errors %q, close %d)", c.id, what, c.errs(), c.closeCode())
		}
	}
}

func (c *muxClient) text(docID string) string {
	d := c.docs[docID]
	if d == nil {
		return ""
	}
	s, _ := d.doc.Text()
	return s
}

func (c *muxClient) errs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.errors...)
}

func (c *muxClient) closeCode() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.code
}

func (c *muxClient) hasError(sub string) bool {
	for _, e := range c.errors {
		if strings.Contains(e, sub) {
			return true
		}
	}
	return false
}

func newTextDoc(t *testing.T, text string) *crdt.Doc {
	t.Helper()
	d, err := crdt.New("go")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Splice(0, 0, text); err != nil {
		t.Fatal(err)
	}
	return d
}

// genericDoc is a document as an automerge-repo application makes it: no
// content text, just its own fields.
func genericDoc(t *testing.T, fields map[string]any) *crdt.Doc {
	t.Helper()
	am := automerge.New()
	for k, v := range fields {
		if err := am.RootMap().Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := am.Commit("app"); err != nil {
		t.Fatal(err)
	}
	d, err := crdt.Load(am.Save())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestSyncManyDocumentsPerSocket(t *testing.T) {
	ts := newSyncServer(t, pairsync.Config{}, nil, editorOfAll())
	a := dialSync(t, ts, "alice")
	b := dialSync(t, ts, "bob")
	ids := []string{crdt.NewDocumentID(), crdt.NewDocumentID(), crdt.NewDocumentID()}
	for i, id := range ids {
		a.create(id, newTextDoc(t, "doc"+string(rune('0'+i))))
	}
	for _, id := range ids {
		b.request(id)
	}
	for i, id := range ids {
		want := "doc" + string(rune('0'+i))
		b.wait("document "+want, func() bool { return b.text(id) == want })
	}
	b.edit(ids[1], func(d *crdt.Doc) error { return d.Splice(0, 0, "bob:") }, false)
	a.wait("bob's edit", func() bool { return a.text(ids[1]) == "bob:doc1" })
	m := ts.hub.Metrics()
	if got := m.SyncDocsCreated.Load(); got != 3 {
		t.Fatalf("created = %d, want 3", got)
	}
	if got := m.SyncDocsOpen.Load(); got != 6 {
		t.Fatalf("documents open = %d, want 6 (3 per socket)", got)
	}
	if got := m.SyncSockets.Load(); got != 2 {
		t.Fatalf("sockets = %d, want 2", got)
	}
	// Stored once everyone leaves.
	a.conn.Close()
	b.conn.Close()
	eventually(t, "documents saved and unloaded", func() bool { return m.RoomsLoaded.Load() == 0 })
	for i, id := range ids {
		rec, err := ts.store.Load(context.Background(), id)
		if err != nil {
			t.Fatalf("load %s: %v", id, err)
		}
		doc, err := crdt.Load(rec.Data)
		if err != nil {
			t.Fatal(err)
		}
		text, _ := doc.Text()
		want := "doc" + string(rune('0'+i))
		if i == 1 {
			want = "bob:" + want
		}
		if text != want {
			t.Fatalf("stored %s = %q, want %q", id, text, want)
		}
	}
	if got := m.SyncDocsOpen.Load(); got != 0 {
		t.Fatalf("documents open after close = %d", got)
	}
}

func TestSyncDocUnavailableOnlyWhenNowhere(t *testing.T) {
	ts := newSyncServer(t, pairsync.Config{}, nil, editorOfAll())
	a := dialSync(t, ts, "asker")
	ghost := crdt.NewDocumentID()
	a.request(ghost)
	a.wait("doc-unavailable", func() bool { return a.unavail[ghost] })
	if ts.hub.Metrics().SyncDocsCreated.Load() != 0 {
		t.Fatal("a request created a document")
	}
	if _, err := ts.store.Load(context.Background(), ghost); err == nil {
		t.Fatal("a request stored a document")
	}
	// The asker stays a peer: when someone creates it, it arrives.
	c := dialSync(t, ts, "creator")
	c.create(ghost, newTextDoc(t, "here now"))
	a.wait("the created document", func() bool { return a.text(ghost) == "here now" })

	// A document someone announced is not unavailable: the request waits
	// for its changes.
	x := crdt.NewDocumentID()
	c.create(x, newTextDoc(t, "fresh"))
	a.request(x)
	a.wait("the announced document", func() bool { return a.text(x) == "fresh" })
	if a.unavail[x] {
		t.Fatal("doc-unavailable for a document a peer had")
	}
}

func TestSyncPerDocumentErrorsKeepTheSocket(t *testing.T) {
	ts := newSyncServer(t, pairsync.Config{MaxDocBytes: 4096}, nil, editorOfAll())
	a := dialSync(t, ts, "a")
	b := dialSync(t, ts, "b")
	good := crdt.NewDocumentID()
	a.create(good, newTextDoc(t, "ok"))
	b.request(good)
	b.wait("good document", func() bool { return b.text(good) == "ok" })

	// An invalid document id.
	b.send(wire.Message{Type: wire.TypeRequest, SenderID: "b", DocumentID: "not-a-document-id", Data: []byte{0x42, 0, 0, 0, 0, 0}})
	b.wait("invalid id error", func() bool { return b.hasError("invalid document id") })

	// A sync message automerge rejects, for a second document.
	bad := crdt.NewDocumentID()
	b.send(wire.Message{Type: wire.TypeSync, SenderID: "b", DocumentID: bad, Data: []byte{0x42, 0xff, 0xff, 0xff}})
	b.wait("rejected sync error", func() bool { return b.hasError("sync message rejected") })

	// A generic document over MAX_DOC_BYTES (its saved bytes count).
	big := crdt.NewDocumentID()
	b.create(big, genericDoc(t, map[string]any{"blob": []byte(strings.Repeat("x", 64<<10))}))
	b.wait("too large error", func() bool { return b.hasError("document too large") })

	// The socket and its other document are fine.
	a.edit(good, func(d *crdt.Doc) error { return d.Splice(2, 0, "!") }, false)
	b.wait("edit on the good document", func() bool { return b.text(good) == "ok!" })
	if code := b.closeCode(); code != 0 {
		t.Fatalf("socket closed with %d", code)
	}
	if _, err := ts.store.Load(context.Background(), big); err == nil {
		t.Fatal("the oversized document was stored")
	}
	if got := ts.hub.Metrics().SyncDocErrors.Load(); got < 3 {
		t.Fatalf("document errors = %d, want >= 3", got)
	}

	// Protocol-level garbage closes the socket with 4400.
	b.writeMu.Lock()
	_ = b.conn.WriteMessage(websocket.BinaryMessage, []byte{0xff, 0x00, 0x13})
	b.writeMu.Unlock()
	b.wait("close", func() bool { return b.code != 0 })
	if code := b.closeCode(); code != int(pairsync.CloseMalformed) {
		t.Fatalf("close code %d, want %d", code, pairsync.CloseMalformed)
	}
}

func TestSyncPolicyViewerAndDocs(t *testing.T) {
	store := persistence.NewMemory()
	allowed := crdt.NewDocumentID()
	ts := newSyncServer(t, pairsync.Config{}, store, pairsync.SyncAccess{Role: pairsync.RoleViewer, Docs: []string{allowed}})
	// Create the allowed document through a room so it exists.
	doc := newTextDoc(t, "read me")
	data, _ := doc.Save()
	if err := store.Create(context.Background(), pairsync.RoomRecord{ID: allowed, Language: "go", Data: data, Version: 1}); err != nil {
		t.Fatal(err)
	}
	v := dialSync(t, ts, "viewer")
	v.request(allowed)
	v.wait("allowed document", func() bool { return v.text(allowed) == "read me" })

	other := crdt.NewDocumentID()
	v.request(other)
	v.wait("refusal", func() bool { return v.unavail[other] && v.hasError("docs claim") })

	// A viewer may not change it, nor create one.
	v.edit(allowed, func(d *crdt.Doc) error { return d.Splice(0, 0, "x") }, false)
	v.wait("forbidden", func() bool { return v.hasError("forbidden") })
	created := crdt.NewDocumentID()
	v.create(created, newTextDoc(t, "mine"))
	v.wait("refusal of a new document", func() bool { return v.hasError(created) })
	if _, err := store.Load(context.Background(), created); err == nil {
		t.Fatal("a viewer created a document")
	}
	if code := v.closeCode(); code != 0 {
		t.Fatalf("socket closed with %d", code)
	}
	rec, err := store.Load(context.Background(), allowed)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := crdt.Load(rec.Data)
	if text, _ := got.Text(); text != "read me" {
		t.Fatalf("stored %q after a viewer's change", text)
	}
}

func TestSyncRelaysChangesWithoutVisibleEffect(t *testing.T) {
	// Two peers delete the same character concurrently: the second delete
	// changes nothing visible on the server's copy, but is a new change that
	// every other peer must get at once (a replay of concurrent editing
	// traces deadlocks on a server that holds such changes back).
	ts := newSyncServer(t, pairsync.Config{}, nil, editorOfAll())
	a, b, c := dialSync(t, ts, "a"), dialSync(t, ts, "b"), dialSync(t, ts, "c")
	id := crdt.NewDocumentID()
	a.create(id, newTextDoc(t, "abc"))
	b.request(id)
	c.request(id)
	b.wait("doc", func() bool { return b.text(id) == "abc" })
	c.wait("doc", func() bool { return c.text(id) == "abc" })
	a.edit(id, func(d *crdt.Doc) error { return d.Splice(1, 1, "") }, true)
	b.edit(id, func(d *crdt.Doc) error { return d.Splice(1, 1, "") }, true)
	a.mu.Lock()
	ha := a.docs[id].doc.Heads()
	a.mu.Unlock()
	b.mu.Lock()
	hb := b.docs[id].doc.Heads()
	b.mu.Unlock()
	a.flush(id)
	c.wait("a's delete", func() bool { return c.text(id) == "ac" })
	// Both deletes are concurrent: a peer with both has both as heads.
	has := func(cl *muxClient, h automerge.ChangeHash) bool {
		for _, x := range cl.docs[id].doc.Heads() {
			if x == h {
				return true
			}
		}
		return false
	}
	c.mu.Lock()
	early := has(c, hb[0])
	c.mu.Unlock()
	if early {
		t.Fatal("c has b's change before b sent it: the check below proves nothing")
	}
	b.flush(id)
	c.wait("b's invisible delete", func() bool { return has(c, ha[0]) && has(c, hb[0]) })
	a.wait("b's invisible delete at a", func() bool { return has(a, hb[0]) })
	if c.text(id) != "ac" {
		t.Fatalf("text %q", c.text(id))
	}
}

func TestSyncEphemeralPerDocument(t *testing.T) {
	ts := newSyncServer(t, pairsync.Config{}, nil, editorOfAll())
	a, b := dialSync(t, ts, "a"), dialSync(t, ts, "b")
	x, y := crdt.NewDocumentID(), crdt.NewDocumentID()
	a.create(x, newTextDoc(t, "x"))
	a.create(y, newTextDoc(t, "y"))
	b.request(x)
	b.wait("x", func() bool { return b.text(x) == "x" })
	n1, n2 := uint64(1), uint64(2)
	a.send(wire.Message{Type: wire.TypeEphemeral, SenderID: "a", DocumentID: y, SessionID: "s", Count: &n1, Data: []byte{0xa0}})
	a.send(wire.Message{Type: wire.TypeEphemeral, SenderID: "a", DocumentID: x, SessionID: "s", Count: &n2, Data: []byte{0xa0}})
	b.wait("ephemeral for x", func() bool { return len(b.ephem) > 0 })
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.ephem {
		if m.DocumentID != x {
			t.Fatalf("got an ephemeral message for %s, a document b never opened", m.DocumentID)
		}
	}
}

func TestSyncGenericDocumentSaves(t *testing.T) {
	dir := t.TempDir()
	store, err := persistence.Open(context.Background(), "sqlite:"+filepath.Join(dir, "g.db"), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ts := newSyncServer(t, pairsync.Config{}, store, editorOfAll())
	a := dialSync(t, ts, "app")
	id := crdt.NewDocumentID()
	// content of the wrong kind, language of the wrong kind: saves anyway.
	a.create(id, genericDoc(t, map[string]any{"content": int64(7), "language": []byte{1, 2}, "title": "hello"}))
	eventually(t, "document stored", func() bool {
		_, err := store.Load(context.Background(), id)
		return err == nil
	})
	a.conn.Close()
	eventually(t, "unloaded", func() bool { return ts.hub.Metrics().RoomsLoaded.Load() == 0 })
	text, err := store.LoadText(context.Background(), id)
	if err != nil || text != "" {
		t.Fatalf("text copy %q, %v; want empty", text, err)
	}
	b := dialSync(t, ts, "reader")
	b.request(id)
	b.wait("generic document", func() bool {
		d := b.docs[id]
		if d == nil {
			return false
		}
		data, err := d.doc.Save()
		if err != nil {
			return false
		}
		am, err := automerge.Load(data)
		if err != nil {
			return false
		}
		v, err := am.RootMap().Get("title")
		return err == nil && v.Kind() == automerge.KindStr && v.Str() == "hello"
	})
}

func TestSyncStorageIDStable(t *testing.T) {
	path := "sqlite:" + filepath.Join(t.TempDir(), "s.db")
	ids := make([]string, 2)
	for i := range ids {
		store, err := persistence.Open(context.Background(), path, zap.NewNop())
		if err != nil {
			t.Fatal(err)
		}
		ts := newSyncServer(t, pairsync.Config{}, store, editorOfAll())
		c := dialSync(t, ts, "p")
		if c.meta == nil || c.meta.StorageID == "" || c.meta.IsEphemeral == nil || *c.meta.IsEphemeral {
			t.Fatalf("peer metadata %+v: want a storageId and isEphemeral false", c.meta)
		}
		ids[i] = c.meta.StorageID
		c.conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = ts.hub.Shutdown(ctx)
		cancel()
		store.Close()
	}
	if ids[0] != ids[1] {
		t.Fatalf("storage id changed across restarts: %q then %q", ids[0], ids[1])
	}
}

func TestSyncAndRoomSocketShareADocument(t *testing.T) {
	ts := newSyncServer(t, pairsync.Config{}, nil, editorOfAll())
	room := ts.createRoom("go")
	ws := ts.dial(room, wireclient.ClientOptions{})
	s := dialSync(t, ts, "syncpeer")
	s.request(room)
	s.wait("room document", func() bool { _, ok := s.docs[room]; return ok && s.docs[room].doc.Language() == "go" })
	s.edit(room, func(d *crdt.Doc) error { return d.Splice(0, 0, "via sync") }, false)
	waitText(t, ws, "via sync")
	if err := ws.Splice(0, 0, "ws+"); err != nil {
		t.Fatal(err)
	}
	s.wait("the /ws edit", func() bool { return s.text(room) == "ws+via sync" })
}

// A room's private notes never open through /sync: not to read an existing
// one, not to create one under a room's notes id.
func TestSyncRefusesNotesDocuments(t *testing.T) {
	ts := newSyncServer(t, pairsync.Config{}, nil, editorOfAll())
	room := ts.createRoom("go")
	notes, err := crdt.NotesDocumentID(room)
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.hub.CreateRoomWithID(context.Background(), notes, "plaintext"); err != nil {
		t.Fatal(err)
	}
	a := dialSync(t, ts, "a")
	a.request(notes)
	a.wait("notes refused", func() bool { return a.hasError("private notes open only through /ws/{room}/notes") })
	other, _ := crdt.NotesDocumentID(crdt.NewDocumentID())
	a.create(other, newTextDoc(t, "planted"))
	a.wait("creating notes refused", func() bool {
		n := 0
		for _, e := range a.errors {
			if strings.Contains(e, "private notes") {
				n++
			}
		}
		return n >= 2
	})
	if _, err := ts.store.Load(context.Background(), other); err == nil {
		t.Fatal("a notes document was created through /sync")
	}
	if code := a.closeCode(); code != 0 {
		t.Fatalf("socket closed with %d", code)
	}
}
