package sync_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/internal/testenv"
	"github.com/pairpad/pairpad/persistence"
	pairsync "github.com/pairpad/pairpad/sync"
)

// /sync documents scale out as rooms do: a document a client creates on one
// instance is found and edited through another instance, and both clients
// converge (issue 12: Redis scale-out applies to /sync documents too).
func TestSyncDocumentsAcrossInstances(t *testing.T) {
	url := testenv.RedisURL(t)
	store, err := persistence.Open(context.Background(), testenv.PostgresURL(t), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	prefix := testPrefix()
	var servers []*testServer
	for i := 0; i < 2; i++ {
		b, err := pairsync.NewRedisBroker(context.Background(), pairsync.RedisOptions{URL: url, Prefix: prefix})
		if err != nil {
			t.Fatalf("TEST_REDIS_URL=%s: %v", url, err)
		}
		t.Cleanup(func() { _ = b.Close() })
		servers = append(servers, newSyncServer(t, pairsync.Config{Broker: b, HeadsInterval: 200 * time.Millisecond}, store, editorOfAll()))
	}
	a, b := dialSync(t, servers[0], "a"), dialSync(t, servers[1], "b")
	id := crdt.NewDocumentID()
	a.create(id, newTextDoc(t, "shared"))
	eventually(t, "the created document stored", func() bool {
		_, err := store.Load(context.Background(), id)
		return err == nil
	})
	b.request(id)
	b.wait("the document through the other instance", func() bool { return b.text(id) == "shared" })

	a.edit(id, func(d *crdt.Doc) error { return d.Splice(6, 0, " by a") }, false)
	b.edit(id, func(d *crdt.Doc) error { return d.Splice(0, 0, "b: ") }, false)
	converged := func(c *muxClient) func() bool {
		return func() bool { t := c.text(id); return strings.HasPrefix(t, "b: ") && strings.HasSuffix(t, " by a") }
	}
	a.wait("b's edit across instances", converged(a))
	b.wait("a's edit across instances", converged(b))
	a.mu.Lock()
	ta := a.text(id)
	a.mu.Unlock()
	b.mu.Lock()
	tb := b.text(id)
	b.mu.Unlock()
	if ta != tb || ta != "b: shared by a" {
		t.Fatalf("a has %q, b has %q", ta, tb)
	}
}
