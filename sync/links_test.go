package sync_test

import (
	"context"
	"net/http"
	"strconv"
	stdsync "sync"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/gorilla/websocket"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/persistence"
	pairsync "github.com/pairpad/pairpad/sync"
	"github.com/pairpad/pairpad/sync/wire"
	"github.com/pairpad/pairpad/sync/wireclient"
)

// newGrantServer serves /ws/{id}?role=…&link=…&expire_ms=… with that grant
// in ServeConn's ctx, as api does after checking a token.
func newGrantServer(t *testing.T) *testServer {
	t.Helper()
	return newGrantServerWith(t, pairsync.Config{}, persistence.NewMemory())
}

// newGrantServerWith is newGrantServer with a configuration and a store (to
// make several instances).
func newGrantServerWith(t *testing.T, cfg pairsync.Config, store pairsync.Store) *testServer {
	t.Helper()
	hub := pairsync.NewHub(cfg, store, zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)))
	ts := serveWS(t, hub, func(conn *websocket.Conn, r *http.Request) {
		q := r.URL.Query()
		g := pairsync.Grant{Room: r.PathValue("id"), Role: pairsync.Role(q.Get("role")), LinkID: q.Get("link")}
		if ms, err := strconv.Atoi(q.Get("expire_ms")); err == nil {
			g.ExpiresAt = time.Now().Add(time.Duration(ms) * time.Millisecond)
		}
		hub.ServeConn(pairsync.WithGrant(context.WithoutCancel(r.Context()), g), conn, r.PathValue("id"), zap.NewNop())
	})
	ts.store = store
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hub.Shutdown(ctx)
	})
	return ts
}

// roleWatch records the role notices a client receives.
type roleWatch struct {
	mu    stdsync.Mutex
	roles []string
	other [][]byte // other ephemeral payloads
}

func (w *roleWatch) on(m wire.Message) {
	var v map[string]string
	w.mu.Lock()
	defer w.mu.Unlock()
	if cbor.Unmarshal(m.Data, &v) == nil && v["t"] == pairsync.RoleNoticeTag {
		w.roles = append(w.roles, v["role"])
		return
	}
	w.other = append(w.other, m.Data)
}

func (w *roleWatch) last() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.roles) == 0 {
		return ""
	}
	return w.roles[len(w.roles)-1]
}

func (w *roleWatch) others() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.other)
}

func (ts *testServer) dialAs(t *testing.T, room, role, link string, w *roleWatch) *wireclient.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	opts := wireclient.ClientOptions{}
	if w != nil {
		opts.OnEphemeral = w.on
	}
	c, err := wireclient.Dial(ctx, ts.wsURL(room)+"?role="+role+"&link="+link, room, opts)
	if err != nil {
		t.Fatalf("dial as %s: %v", role, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func serverText(t *testing.T, ts *testServer, room string) string {
	t.Helper()
	data, err := ts.hub.Snapshot(context.Background(), room)
	if err != nil {
		t.Fatal(err)
	}
	d, err := crdt.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := d.Text()
	return s
}

func closedWith(t *testing.T, c *wireclient.Client, code int, within time.Duration) {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(within):
		t.Fatalf("not closed within %v (want %d)", within, code)
	}
	if got := c.CloseCode(); got != code {
		t.Fatalf("closed with %d, want %d (err %v)", got, code, c.Err())
	}
}

func TestViewerReadsLiveButCannotWrite(t *testing.T) {
	t.Parallel()
	ts := newGrantServer(t)
	room := ts.createRoom("go")
	ed := ts.dialAs(t, room, "editor", "E", nil)
	seen := &roleWatch{}
	vw := ts.dialAs(t, room, "viewer", "V", seen)
	edSeen := &roleWatch{}
	ed2 := ts.dialAs(t, room, "editor", "E", edSeen)

	if err := ed.Splice(0, 0, "hello"); err != nil {
		t.Fatal(err)
	}
	waitText(t, vw, "hello") // live edits reach the viewer
	// Ephemeral messages from a viewer are forwarded.
	if err := vw.SendEphemeral([]byte{0xa1, 0x61, 0x78, 0x01}); err != nil { // {"x": 1}
		t.Fatal(err)
	}
	eventually(t, "the viewer's ephemeral message at an editor", func() bool { return edSeen.others() > 0 })

	if err := vw.Splice(0, 0, "VIEWER "); err != nil {
		t.Fatal(err)
	}
	closedWith(t, vw, int(pairsync.CloseForbidden), 5*time.Second)
	if err := ed.Splice(5, 0, " world"); err != nil {
		t.Fatal(err)
	}
	waitText(t, ed2, "hello world")
	if got := serverText(t, ts, room); got != "hello world" {
		t.Fatalf("server text %q: the viewer's change got in", got)
	}
	if got := ed.Text(); got != "hello world" {
		t.Fatalf("editor text %q", got)
	}
	if n := ts.hub.Metrics().WritesRefused.Load(); n != 1 {
		t.Fatalf("writes refused = %d, want 1", n)
	}
}

func TestRevokeLinkClosesItsPeersOnly(t *testing.T) {
	t.Parallel()
	ts := newGrantServer(t)
	room := ts.createRoom("go")
	a := ts.dialAs(t, room, "viewer", "L1", nil)
	b := ts.dialAs(t, room, "editor", "L1", nil)
	other := ts.dialAs(t, room, "editor", "L2", nil)
	start := time.Now()
	ts.hub.RevokeLink("L1")
	closedWith(t, a, int(pairsync.CloseUnauthorized), time.Second)
	closedWith(t, b, int(pairsync.CloseUnauthorized), time.Second)
	t.Logf("both closed %v after RevokeLink", time.Since(start))
	if err := other.Splice(0, 0, "still here"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the other link's edit", func() bool { return serverText(t, ts, room) == "still here" })
	// A connection checked before the revocation but joining after it is closed too.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	late, err := wireclient.Dial(ctx, ts.wsURL(room)+"?role=editor&link=L1", room, wireclient.ClientOptions{})
	if err == nil {
		defer late.Close()
		closedWith(t, late, int(pairsync.CloseUnauthorized), 5*time.Second)
	}
}

func TestRoleChangesApplyLive(t *testing.T) {
	t.Parallel()
	ts := newGrantServer(t)
	room := ts.createRoom("go")
	edW, vwW := &roleWatch{}, &roleWatch{}
	ed := ts.dialAs(t, room, "editor", "E", edW)
	vw := ts.dialAs(t, room, "viewer", "V", vwW)
	watcher := ts.dialAs(t, room, "owner", "O", nil)
	if err := ed.Splice(0, 0, "one\n"); err != nil {
		t.Fatal(err)
	}
	waitText(t, vw, "one\n")

	ts.hub.SetLinkRole("V", pairsync.RoleEditor)
	ts.hub.SetLinkRole("E", pairsync.RoleViewer)
	eventually(t, "role notices", func() bool { return vwW.last() == "editor" && edW.last() == "viewer" })

	// The promoted viewer writes, on the same connection.
	if err := vw.Splice(4, 0, "two\n"); err != nil {
		t.Fatal(err)
	}
	waitText(t, watcher, "one\ntwo\n")
	// The demoted editor's next change is refused.
	if err := ed.Splice(0, 0, "DEMOTED "); err != nil {
		t.Fatal(err)
	}
	closedWith(t, ed, int(pairsync.CloseForbidden), 5*time.Second)
	if err := vw.Splice(8, 0, "three"); err != nil {
		t.Fatal(err)
	}
	waitText(t, watcher, "one\ntwo\nthree")
	if got := serverText(t, ts, room); got != "one\ntwo\nthree" {
		t.Fatalf("server text %q", got)
	}
	select {
	case <-vw.Done():
		t.Fatalf("the promoted viewer was disconnected: %v", vw.Err())
	default:
	}
	// A role set again to the same value sends nothing more.
	n := ts.hub.Metrics().RoleNotices.Load()
	ts.hub.SetLinkRole("V", pairsync.RoleEditor)
	if err := vw.Splice(0, 0, "#"); err != nil { // a round trip after the change
		t.Fatal(err)
	}
	waitText(t, watcher, "#one\ntwo\nthree")
	if got := ts.hub.Metrics().RoleNotices.Load(); got != n {
		t.Fatalf("role notices %d -> %d for an unchanged role", n, got)
	}
}

func TestRoleChangeJustBeforeJoinApplies(t *testing.T) {
	t.Parallel()
	ts := newGrantServer(t)
	room := ts.createRoom("go")
	keep := ts.dialAs(t, room, "editor", "K", nil) // keeps the room loaded
	ts.hub.SetLinkRole("V", pairsync.RoleEditor)   // the token said viewer when it was checked
	w := &roleWatch{}
	vw := ts.dialAs(t, room, "viewer", "V", w)
	eventually(t, "the role notice at join", func() bool { return w.last() == "editor" })
	if err := vw.Splice(0, 0, "ok"); err != nil {
		t.Fatal(err)
	}
	waitText(t, keep, "ok")
}

func TestGrantExpiryCloses4401(t *testing.T) {
	t.Parallel()
	ts := newGrantServer(t)
	room := ts.createRoom("go")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := wireclient.Dial(ctx, ts.wsURL(room)+"?role=editor&expire_ms=300", room, wireclient.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	closedWith(t, c, int(pairsync.CloseUnauthorized), 5*time.Second)
}

// Role notices come from the server's peer id; a peer may not take it.
func TestJoinWithServersPeerIDRefused(t *testing.T) {
	t.Parallel()
	ts := newGrantServer(t)
	room := ts.createRoom("go")
	conn, _, err := websocket.DefaultDialer.Dial(ts.wsURL(room)+"?role=editor", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	frame, _ := wire.EncodeFrame(wire.Message{Type: wire.TypeJoin, SenderID: ts.hub.PeerID(), SupportedProtocolVersions: []string{"1"}})
	if err := conn.WriteMessage(websocket.BinaryMessage, frame); err != nil {
		t.Fatal(err)
	}
	if code := closeCodeOf(t, conn); code != int(pairsync.CloseMalformed) {
		t.Fatalf("close %d, want %d", code, pairsync.CloseMalformed)
	}
}
