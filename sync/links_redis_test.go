package sync_test

import (
	"context"
	stdsync "sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/pairpad/pairpad/internal/testenv"
	"github.com/pairpad/pairpad/persistence"
	pairsync "github.com/pairpad/pairpad/sync"
	"github.com/pairpad/pairpad/sync/wire"
	"github.com/pairpad/pairpad/sync/wireclient"
)

// grantCluster is redisCluster with newGrantServer's /ws (grants from the
// query string, as api sets them after a token check).
func grantCluster(t *testing.T, n int) []*testServer {
	t.Helper()
	store, err := persistence.Open(context.Background(), testenv.PostgresURL(t), zap.NewNop())
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	t.Cleanup(func() { _ = store.Close() })
	prefix := testPrefix()
	var servers []*testServer
	for i := 0; i < n; i++ {
		b, err := pairsync.NewRedisBroker(context.Background(), pairsync.RedisOptions{URL: testenv.RedisURL(t), Prefix: prefix})
		if err != nil {
			t.Fatalf("TEST_REDIS_URL: %v", err)
		}
		t.Cleanup(func() { _ = b.Close() })
		servers = append(servers, newGrantServerWith(t, pairsync.Config{Broker: b, HeadsInterval: 200 * time.Millisecond}, store))
	}
	return servers
}

// A role change and a revocation made through one instance's api reach the
// peers that joined with that link on another instance (which never served
// the api call), and only those; a connection checked there before the
// revocation but joining after it is refused too.
func TestRedisLinkChangesReachEveryInstance(t *testing.T) {
	servers := grantCluster(t, 2)
	room := servers[0].createRoom("go")
	hereW, thereW, otherW := &roleWatch{}, &roleWatch{}, &roleWatch{}
	here := servers[0].dialAs(t, room, "editor", "L1", hereW)
	there := servers[1].dialAs(t, room, "editor", "L1", thereW)
	other := servers[1].dialAs(t, room, "editor", "L2", otherW)
	// Instance 2 holds the room but has no peer with the link yet.
	waitText(t, here, "")
	waitText(t, there, "")
	waitText(t, other, "")

	servers[0].hub.SetLinkRole("L1", pairsync.RoleViewer)
	eventually(t, "role notice on both instances", func() bool { return hereW.last() == "viewer" && thereW.last() == "viewer" })
	if otherW.last() != "" {
		t.Fatalf("a peer of another link got a role notice %q", otherW.last())
	}
	// The new role holds on instance 2: a write from the re-roled peer there is refused.
	if err := there.Splice(0, 0, "viewer writes"); err != nil {
		t.Fatal(err)
	}
	closedWith(t, there, int(pairsync.CloseForbidden), 5*time.Second)

	there2 := servers[1].dialAs(t, room, "viewer", "L1", nil)
	waitText(t, there2, "")
	servers[0].hub.RevokeLink("L1")
	closedWith(t, here, int(pairsync.CloseUnauthorized), 5*time.Second)
	closedWith(t, there2, int(pairsync.CloseUnauthorized), 5*time.Second)
	if err := other.Splice(0, 0, "still here"); err != nil {
		t.Fatal(err)
	}
	waitText(t, other, "still here")
	if n := servers[1].hub.Metrics().LinkChangesIn.Load(); n != 2 {
		t.Fatalf("instance 2 applied %d link changes from instance 1, want 2", n)
	}
	if n := servers[0].hub.Metrics().LinkChangesIn.Load(); n != 0 {
		t.Fatalf("instance 1 received its own link changes back (%d)", n)
	}

	// A connection whose token instance 2 checked before the revocation,
	// joining after it, is closed.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	late, err := wireclient.Dial(ctx, servers[1].wsURL(room)+"?role=editor&link=L1", room, wireclient.ClientOptions{})
	if err == nil {
		defer late.Close()
		closedWith(t, late, int(pairsync.CloseUnauthorized), 5*time.Second)
	}
}

// Ephemeral messages from another instance's peers are de-duplicated, and
// their entries are forgotten once those peers are silent (gone): an
// instance does not keep every remote sender it ever heard.
func TestRemoteEphemeralSendersForgotten(t *testing.T) {
	b := pairsync.NewMemoryBroker()
	cfg := pairsync.Config{Broker: b, HeadsInterval: 20 * time.Millisecond}
	s0 := newTestServer(t, cfg, nil)
	store := s0.store
	s1 := newTestServer(t, cfg, store)
	room := s0.createRoom("go")
	var got stdsync.Mutex
	received := 0
	listener := s1.dial(room, wireclient.ClientOptions{OnEphemeral: func(wire.Message) { got.Lock(); received++; got.Unlock() }})
	waitText(t, listener, "")
	const senders = 5
	for i := 0; i < senders; i++ {
		c := s0.dial(room, wireclient.ClientOptions{})
		waitText(t, c, "")
		if err := c.SendEphemeral([]byte{0xa1, 0x61, 0x78, 0x01}); err != nil {
			t.Fatal(err)
		}
		// Heard before the sender leaves: closing a socket with unread
		// data resets it, and the server may lose the frame with it.
		eventually(t, "the sender's message on the other instance", func() bool { got.Lock(); defer got.Unlock(); return received == i+1 })
		c.Close()
	}
	if n := s1.hub.Metrics().EphemeralSenders.Load(); n < 1 {
		t.Fatalf("instance 2 tracks %d senders after hearing %d", n, senders)
	}
	eventually(t, "the silent remote senders forgotten", func() bool { return s1.hub.Metrics().EphemeralSenders.Load() == 0 })
	if n := s1.hub.Metrics().EphemeralForgotten.Load(); n != senders {
		t.Fatalf("forgotten %d, want %d", n, senders)
	}
}
