package sync_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/pairpad/pairpad/internal/testenv"
	"github.com/pairpad/pairpad/persistence"
	pairsync "github.com/pairpad/pairpad/sync"
	"github.com/pairpad/pairpad/sync/wire"
	"github.com/pairpad/pairpad/sync/wireclient"
)

// redisCluster starts n hubs ("instances"), each with its own Redis broker
// (a channel prefix unique to the test) and all sharing one PostgreSQL store.
func redisCluster(t *testing.T, n int, cfg pairsync.Config) ([]*testServer, []*pairsync.RedisBroker) {
	t.Helper()
	url := testenv.RedisURL(t)
	store, err := persistence.Open(context.Background(), testenv.PostgresURL(t), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	prefix := testPrefix()
	var servers []*testServer
	var brokers []*pairsync.RedisBroker
	for i := 0; i < n; i++ {
		b, err := pairsync.NewRedisBroker(context.Background(), pairsync.RedisOptions{URL: url, Prefix: prefix})
		if err != nil {
			t.Fatalf("TEST_REDIS_URL=%s: %v", url, err)
		}
		t.Cleanup(func() { _ = b.Close() })
		c := cfg
		c.Broker = b
		servers = append(servers, newTestServer(t, c, store))
		brokers = append(brokers, b)
	}
	return servers, brokers
}

// testPrefix is a Redis channel prefix unique to one test: pub/sub channels
// are shared by every database number of the machine's Redis.
func testPrefix() string {
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	return "pairpad-test-" + hex.EncodeToString(rnd[:]) + ":"
}

func clientText(c *wireclient.Client) string { return c.Text() }

// Three instances, a peer on each typing concurrently: all converge to the
// same text holding every keystroke; an ephemeral message reaches the other
// two instances' peers exactly once.
func TestRedisThreeInstancesConverge(t *testing.T) {
	servers, brokers := redisCluster(t, 3, pairsync.Config{FlushInterval: time.Hour, HeadsInterval: 200 * time.Millisecond})
	room := servers[0].createRoom("go")
	var mu stdsync.Mutex
	eph := map[int]int{}
	var clients []*wireclient.Client
	for i, s := range servers {
		i := i
		c := s.dial(room, wireclient.ClientOptions{OnEphemeral: func(m wire.Message) { mu.Lock(); eph[i]++; mu.Unlock() }})
		waitText(t, c, "")
		clients = append(clients, c)
	}
	typeConcurrently(t, clients, 30)
	eventually(t, "three instances' peers hold identical text", func() bool {
		a := clientText(clients[0])
		return len(a) > 0 && a == clientText(clients[1]) && a == clientText(clients[2])
	})
	final := clientText(clients[0])
	if tok := missingKeystroke(final, len(clients), 30); tok != "" {
		t.Fatalf("keystroke %s lost: %q", tok, trunc(final))
	}
	if brokers[0].Metrics().Published.Load() == 0 || brokers[1].Metrics().Received.Load() == 0 {
		t.Fatalf("redis counters: published %d, received %d", brokers[0].Metrics().Published.Load(), brokers[1].Metrics().Received.Load())
	}

	one := uint64(1)
	msg := wire.Message{Type: wire.TypeEphemeral, SenderID: clients[0].PeerID(), DocumentID: room, SessionID: "s-redis", Count: &one, Data: []byte{0xa1, 0x61, 0x78, 0x01}}
	if err := clients[0].Send(msg); err != nil {
		t.Fatal(err)
	}
	eventually(t, "ephemeral message on both other instances", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return eph[1] >= 1 && eph[2] >= 1
	})
	// A heads round (several intervals) must not deliver it again.
	hr := servers[1].hub.Metrics().BrokerIn.Load()
	eventually(t, "a few heads exchanges", func() bool { return servers[1].hub.Metrics().BrokerIn.Load() > hr+6 })
	mu.Lock()
	defer mu.Unlock()
	if eph[1] != 1 || eph[2] != 1 || eph[0] != 0 {
		t.Fatalf("ephemeral deliveries per instance: %v, want once on 1 and 2, none back on 0", eph)
	}
}

// With one instance's publishing dropped (lost pub/sub messages), the others
// miss its edits; once publishing works again the heads exchange fetches them
// although nothing new is typed there.
func TestRedisLostMessagesRepairedByHeadsExchange(t *testing.T) {
	servers, brokers := redisCluster(t, 2, pairsync.Config{FlushInterval: time.Hour, HeadsInterval: 200 * time.Millisecond})
	room := servers[0].createRoom("go")
	a := servers[0].dial(room, wireclient.ClientOptions{})
	b := servers[1].dial(room, wireclient.ClientOptions{})
	waitText(t, a, "")
	waitText(t, b, "")
	if err := a.Splice(0, 0, "seen;"); err != nil {
		t.Fatal(err)
	}
	waitText(t, b, "seen;")

	brokers[0].SetDropPublishes(true)
	if err := a.Splice(5, 0, "lost;"); err != nil {
		t.Fatal(err)
	}
	if err := b.Splice(0, 0, "B;"); err != nil {
		t.Fatal(err)
	}
	// B's edit reaches A (B still publishes); A's edit stays away from B
	// while A's publishing is dropped.
	waitText(t, a, "B;seen;lost;")
	dropped := brokers[0].Metrics().PublishDropped.Load()
	eventually(t, "several of A's publishes dropped", func() bool { return brokers[0].Metrics().PublishDropped.Load() > dropped+2 })
	if s := clientText(b); strings.Contains(s, "lost;") {
		t.Fatalf("B got A's edit while publishing was dropped: %q", s)
	}
	wants, repairs := servers[1].hub.Metrics().BrokerWants.Load(), servers[0].hub.Metrics().BrokerRepairs.Load()
	brokers[0].SetDropPublishes(false)
	waitText(t, b, "B;seen;lost;")
	if servers[1].hub.Metrics().BrokerWants.Load() == wants && servers[0].hub.Metrics().BrokerRepairs.Load() == repairs {
		t.Fatal("B converged without the heads exchange (no want from B, no repair from A)")
	}
}

// Killing an instance's subscription connection (as a Redis restart or a
// network cut would) is counted as a reconnect, and the instances converge
// again afterwards.
func TestRedisSubscriptionReconnects(t *testing.T) {
	servers, brokers := redisCluster(t, 2, pairsync.Config{FlushInterval: time.Hour, HeadsInterval: 200 * time.Millisecond})
	room := servers[0].createRoom("go")
	a := servers[0].dial(room, wireclient.ClientOptions{})
	b := servers[1].dial(room, wireclient.ClientOptions{})
	waitText(t, a, "")
	waitText(t, b, "")
	if err := a.Splice(0, 0, "before;"); err != nil {
		t.Fatal(err)
	}
	waitText(t, b, "before;")

	admin := redis.NewClient(mustParseRedis(t))
	defer admin.Close()
	// B's connections carry the test's prefix as their name; kill B's
	// subscriber only (sub=1), no other client of the shared Redis.
	list, err := admin.ClientList(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	name := brokers[1].ClientName()
	killed := 0
	for _, line := range strings.Split(list, "\n") {
		if strings.Contains(line, " name="+name+" ") && !strings.Contains(line, " sub=0 ") {
			for _, f := range strings.Fields(line) {
				if id, ok := strings.CutPrefix(f, "id="); ok {
					if err := admin.Do(context.Background(), "CLIENT", "KILL", "ID", id).Err(); err != nil {
						t.Fatal(err)
					}
					killed++
				}
			}
		}
	}
	if killed == 0 {
		t.Fatalf("no subscriber connection named %q in CLIENT LIST", name)
	}
	if err := a.Splice(7, 0, "after;"); err != nil {
		t.Fatal(err)
	}
	waitText(t, b, "before;after;")
	eventually(t, "reconnect counted", func() bool { return brokers[1].Metrics().Reconnects.Load() > 0 })
}

func mustParseRedis(t *testing.T) *redis.Options {
	o, err := redis.ParseURL(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// A room that loads on an instance while another holds unsaved changes
// catches up through the heads exchange, not the store.
func TestRedisLateInstanceCatchesUp(t *testing.T) {
	servers, _ := redisCluster(t, 2, pairsync.Config{FlushInterval: time.Hour, LogInterval: time.Minute, HeadsInterval: 200 * time.Millisecond})
	room := servers[0].createRoom("go")
	a := servers[0].dial(room, wireclient.ClientOptions{})
	waitText(t, a, "")
	if err := a.Splice(0, 0, "unsaved on A"); err != nil {
		t.Fatal(err)
	}
	b := servers[1].dial(room, wireclient.ClientOptions{})
	waitText(t, b, "unsaved on A")
}

// Two instances saving the same room at the same time lose nothing: the
// store's version compare-and-set merges them.
func TestRedisConcurrentSavesLoseNothing(t *testing.T) {
	servers, brokers := redisCluster(t, 2, pairsync.Config{FlushInterval: 20 * time.Millisecond, LogInterval: 10 * time.Millisecond, HeadsInterval: time.Minute})
	room := servers[0].createRoom("go")
	a := servers[0].dial(room, wireclient.ClientOptions{})
	b := servers[1].dial(room, wireclient.ClientOptions{})
	waitText(t, a, "")
	waitText(t, b, "")
	// Neither instance hears the other: each saves only its own edits.
	brokers[0].SetDropPublishes(true)
	brokers[1].SetDropPublishes(true)
	typeConcurrently(t, []*wireclient.Client{a, b}, 40)
	store := servers[0].store
	eventually(t, "both instances' edits stored", func() bool {
		return missingKeystroke(storedText(t, store, room), 2, 40) == ""
	})
}

// typeConcurrently has every client type n marked keystrokes ("<client.k>")
// at the start of the text, all clients at once.
func typeConcurrently(t *testing.T, clients []*wireclient.Client, n int) {
	t.Helper()
	var wg stdsync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func(i int, c *wireclient.Client) {
			defer wg.Done()
			for k := 0; k < n; k++ {
				if err := c.Splice(0, 0, fmt.Sprintf("<%d.%d>", i, k)); err != nil {
					t.Error(err)
					return
				}
			}
		}(i, c)
	}
	wg.Wait()
}

// missingKeystroke returns the first keystroke typeConcurrently made that
// text lacks, or "" when none is missing.
func missingKeystroke(text string, clients, n int) string {
	for i := 0; i < clients; i++ {
		for k := 0; k < n; k++ {
			if tok := fmt.Sprintf("<%d.%d>", i, k); !strings.Contains(text, tok) {
				return tok
			}
		}
	}
	return ""
}
