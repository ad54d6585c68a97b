package sync_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/pairpad/pairpad/persistence"
	pairsync "github.com/pairpad/pairpad/sync"

	"github.com/pairpad/pairpad/sync/wire"
	"github.com/pairpad/pairpad/sync/wireclient"
)

// testServer is a hub behind a real HTTP server with /ws/{id}.
type testServer struct {
	hub   *pairsync.Hub
	store pairsync.Store
	http  *httptest.Server
	t     testing.TB
}

func newTestServer(t *testing.T, cfg pairsync.Config, store pairsync.Store) *testServer {
	t.Helper()
	if store == nil {
		store = persistence.NewMemory()
	}
	hub := pairsync.NewHub(cfg, store, zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)))
	ts := serveHub(t, hub)
	ts.store = store
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hub.Shutdown(ctx)
	})
	return ts
}

// serveHub puts hub behind a real HTTP server with /ws/{id}.
func serveHub(t testing.TB, hub *pairsync.Hub) *testServer {
	return serveWS(t, hub, func(conn *websocket.Conn, r *http.Request) {
		hub.ServeConn(r.Context(), conn, r.PathValue("id"), zap.NewNop())
	})
}

// serveWS puts hub behind a real HTTP server whose /ws/{id} upgrades each
// request and hands the socket to serve.
func serveWS(t testing.TB, hub *pairsync.Hub, serve func(conn *websocket.Conn, r *http.Request)) *testServer {
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	mux := http.NewServeMux()
	mux.HandleFunc("/ws/{id}", func(w http.ResponseWriter, r *http.Request) {
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		serve(conn, r)
	})
	return serveMux(t, hub, mux)
}

// newTestHub is a hub on a memory store, shut down when the test ends.
func newTestHub(t testing.TB, cfg pairsync.Config) *pairsync.Hub {
	hub := pairsync.NewHub(cfg, persistence.NewMemory(), zap.NewNop())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hub.Shutdown(ctx)
	})
	return hub
}

// serveMux serves hub's rooms through mux.
func serveMux(t testing.TB, hub *pairsync.Hub, mux *http.ServeMux) *testServer {
	ts := &testServer{hub: hub, store: nil, http: httptest.NewServer(mux), t: t}
	t.Cleanup(ts.http.Close)
	return ts
}

func (ts *testServer) wsURL(room string) string {
	return "ws" + strings.TrimPrefix(ts.http.URL, "http") + "/ws/" + room
}

func (ts *testServer) createRoom(lang string) string {
	ts.t.Helper()
	rec, err := ts.hub.CreateRoom(context.Background(), lang)
	if err != nil {
		ts.t.Fatalf("create room: %v", err)
	}
	return rec.ID
}

func (ts *testServer) dial(room string, opts wireclient.ClientOptions) *wireclient.Client {
	ts.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := wireclient.Dial(ctx, ts.wsURL(room), room, opts)
	if err != nil {
		ts.t.Fatalf("dial: %v", err)
	}
	ts.t.Cleanup(func() { c.Close() })
	return c
}

// rawConn is a WebSocket that has joined but speaks frames by hand.
func (ts *testServer) rawJoin(room, peerID string) *websocket.Conn {
	ts.t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial(ts.wsURL(room), nil)
	if err != nil {
		ts.t.Fatalf("dial: %v", err)
	}
	ts.t.Cleanup(func() { conn.Close() })
	frame, _ := wire.EncodeFrame(wire.Message{Type: wire.TypeJoin, SenderID: peerID, SupportedProtocolVersions: []string{"1"}})
	if err := conn.WriteMessage(websocket.BinaryMessage, frame); err != nil {
		ts.t.Fatalf("join: %v", err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, data, err := conn.ReadMessage()
	if err != nil {
		ts.t.Fatalf("read peer: %v", err)
	}
	m, err := wire.DecodeFrame(data)
	if err != nil || m.Type != wire.TypePeer {
		ts.t.Fatalf("handshake: %+v %v", m, err)
	}
	return conn
}

// closeCodeOf reads until the server closes conn and returns the code.
func closeCodeOf(t *testing.T, conn *websocket.Conn) int {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err := conn.ReadMessage()
		if err == nil {
			continue
		}
		if ce, ok := err.(*websocket.CloseError); ok {
			return ce.Code
		}
		t.Fatalf("connection ended without a close frame: %v", err)
	}
}

func waitText(t *testing.T, c *wireclient.Client, want string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.WaitFor(ctx, func(s string) bool { return s == want }); err != nil {
		t.Fatalf("waiting for text %q: %v (have %q)", trunc(want), err, trunc(c.Text()))
	}
}

func trunc(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
