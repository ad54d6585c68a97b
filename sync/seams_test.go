package sync_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/zap"

	"github.com/pairpad/pairpad/persistence"
	pairsync "github.com/pairpad/pairpad/sync"

	"github.com/pairpad/pairpad/sync/wire"
	"github.com/pairpad/pairpad/sync/wireclient"
)

func TestRoles(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		role         pairsync.Role
		valid, write bool
	}{
		{pairsync.RoleViewer, true, false},
		{pairsync.RoleEditor, true, true},
		{pairsync.RoleOwner, true, true},
		{"", false, false},
		{"admin", false, false},
	} {
		t.Run(string(tc.role), func(t *testing.T) {
			if got := tc.role.Valid(); got != tc.valid {
				t.Errorf("Valid() = %v, want %v", got, tc.valid)
			}
			if got := tc.role.CanWrite(); got != tc.write {
				t.Errorf("CanWrite() = %v, want %v", got, tc.write)
			}
		})
	}
}

func TestGrantTravelsInContext(t *testing.T) {
	t.Parallel()
	if _, ok := pairsync.GrantFromContext(context.Background()); ok {
		t.Fatal("a bare context carries no grant")
	}
	g := pairsync.Grant{Room: "r1", Role: pairsync.RoleViewer, LinkID: "l1", Name: "Ada"}
	got, ok := pairsync.GrantFromContext(pairsync.WithGrant(context.Background(), g))
	if !ok || got != g {
		t.Fatalf("GrantFromContext = %+v, %v; want %+v", got, ok, g)
	}
}

// An ended ServeConn context closes the peer with 1001 (going away).
func TestEndedContextClosesPeerGoingAway(t *testing.T) {
	t.Parallel()
	hub := newTestHub(t, pairsync.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	ts := serveWS(t, hub, func(conn *websocket.Conn, r *http.Request) {
		hub.ServeConn(ctx, conn, r.PathValue("id"), zap.NewNop())
	})
	room := ts.createRoom("go")
	conn := ts.rawJoin(room, "peer-ctx")
	eventually(t, "peer joined", func() bool { return hub.Status(room).Peers == 1 })
	cancel()
	if code := closeCodeOf(t, conn); code != int(pairsync.CloseGoingAway) {
		t.Fatalf("close code %d, want %d", code, pairsync.CloseGoingAway)
	}
}

// Two hubs sharing a memory broker: an edit on one reaches the other's peers
// without any save, and ephemeral messages cross too.
func TestTwoHubsConvergeThroughMemoryBroker(t *testing.T) {
	t.Parallel()
	store := persistence.NewMemory()
	broker := pairsync.NewMemoryBroker()
	cfg := pairsync.Config{FlushInterval: time.Hour, Broker: broker}
	a := newTestServer(t, cfg, store)
	b := newTestServer(t, cfg, store)
	room := a.createRoom("go")
	got := make(chan wire.Message, 4)
	ca := a.dial(room, wireclient.ClientOptions{})
	cb := b.dial(room, wireclient.ClientOptions{OnEphemeral: func(m wire.Message) { got <- m }})
	waitText(t, ca, "")
	waitText(t, cb, "")
	if err := ca.Splice(0, 0, "from A;"); err != nil {
		t.Fatal(err)
	}
	waitText(t, cb, "from A;")
	if err := cb.Splice(7, 0, "from B;"); err != nil {
		t.Fatal(err)
	}
	waitText(t, ca, "from A;from B;")
	if a.hub.Metrics().BrokerOut.Load() == 0 || b.hub.Metrics().BrokerIn.Load() == 0 {
		t.Fatalf("broker counters: A out %d, B in %d", a.hub.Metrics().BrokerOut.Load(), b.hub.Metrics().BrokerIn.Load())
	}
	if s := storedText(t, store, room); strings.Contains(s, "from") {
		t.Fatalf("converged through the store, not the broker: stored %q", s)
	}

	one := uint64(1)
	msg := wire.Message{Type: wire.TypeEphemeral, SenderID: ca.PeerID(), DocumentID: room, SessionID: "s1", Count: &one, Data: []byte{0xa1, 0x61, 0x78, 0x01}}
	if err := ca.Send(msg); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if m.SenderID != ca.PeerID() || m.TargetID != cb.PeerID() || string(m.Data) != string(msg.Data) {
			t.Fatalf("forwarded ephemeral changed: %+v", m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ephemeral message did not cross the broker")
	}
}

func TestMemoryBrokerSkipsOwnOriginAndUnsubscribes(t *testing.T) {
	t.Parallel()
	b := pairsync.NewMemoryBroker()
	var gotA, gotB []pairsync.BrokerMessage
	unA, _ := b.Subscribe("r", "A", func(m pairsync.BrokerMessage) { gotA = append(gotA, m) })
	unB, _ := b.Subscribe("r", "B", func(m pairsync.BrokerMessage) { gotB = append(gotB, m) })
	_, _ = b.Subscribe("other", "C", func(m pairsync.BrokerMessage) { t.Errorf("other room got %+v", m) })
	_ = b.Publish(pairsync.BrokerMessage{Origin: "A", Room: "r", Kind: pairsync.BrokerChanges, Data: []byte{1}})
	if len(gotA) != 0 || len(gotB) != 1 || gotB[0].Data[0] != 1 {
		t.Fatalf("after A's publish: A got %d, B got %d", len(gotA), len(gotB))
	}
	unB()
	unB() // idempotent
	_ = b.Publish(pairsync.BrokerMessage{Origin: "C", Room: "r", Kind: pairsync.BrokerChanges, Data: []byte{2}})
	if len(gotA) != 1 || len(gotB) != 1 {
		t.Fatalf("after unsubscribe: A got %d, B got %d", len(gotA), len(gotB))
	}
	unA()
}

// StartConn (the API's way in) returns once the peer has joined, and the
// connection goes on being served: edits flow both ways, and a bad frame
// afterwards still closes only that socket with 4400. A connection whose
// first frame is not a join makes StartConn return at once.
func TestStartConnReturnsAfterJoinAndKeepsServing(t *testing.T) {
	t.Parallel()
	hub := newTestHub(t, pairsync.Config{})
	returned := make(chan string, 8)
	ts := serveWS(t, hub, func(conn *websocket.Conn, r *http.Request) {
		hub.StartConn(context.Background(), conn, r.PathValue("id"), zap.NewNop())
		returned <- r.PathValue("id")
	})
	room := ts.createRoom("go")
	waitReturned := func(what string) {
		t.Helper()
		select {
		case <-returned:
		case <-time.After(5 * time.Second):
			t.Fatalf("StartConn did not return: %s", what)
		}
	}

	a := ts.dial(room, wireclient.ClientOptions{})
	waitReturned("first peer joined")
	b := ts.dial(room, wireclient.ClientOptions{})
	waitReturned("second peer joined")
	if err := a.Splice(0, 0, "fn main() {}\n"); err != nil {
		t.Fatal(err)
	}
	waitText(t, b, "fn main() {}\n")
	if err := b.Splice(0, 0, "// b\n"); err != nil {
		t.Fatal(err)
	}
	waitText(t, a, "// b\nfn main() {}\n")

	bad := ts.rawJoin(room, "bad-peer")
	waitReturned("third peer joined")
	if err := bad.WriteMessage(websocket.BinaryMessage, []byte{0xff, 0x00}); err != nil {
		t.Fatal(err)
	}
	if code := closeCodeOf(t, bad); code != int(pairsync.CloseMalformed) {
		t.Fatalf("bad frame after StartConn: close code %d, want %d", code, pairsync.CloseMalformed)
	}
	if err := a.Splice(0, 0, "x"); err != nil {
		t.Fatal(err)
	}
	waitText(t, b, "x// b\nfn main() {}\n")

	// A first frame that is not a join: StartConn returns, the socket closes with 4400.
	conn, _, err := websocket.DefaultDialer.Dial(ts.wsURL(room), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	leave, _ := wire.EncodeFrame(wire.Message{Type: wire.TypeLeave, SenderID: "early"})
	if err := conn.WriteMessage(websocket.BinaryMessage, leave); err != nil {
		t.Fatal(err)
	}
	waitReturned("refused handshake")
	if code := closeCodeOf(t, conn); code != int(pairsync.CloseMalformed) {
		t.Fatalf("first frame not a join: close code %d, want %d", code, pairsync.CloseMalformed)
	}
}
