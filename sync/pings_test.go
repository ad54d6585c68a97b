package sync_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	pairsync "github.com/pairpad/pairpad/sync"
	"github.com/pairpad/pairpad/sync/wireclient"
)

// Idle connections are kept alive by the hub's pinger: a peer that answers
// pings stays connected through many PongWaits without sending a frame and
// is pinged about every PingPeriod; one that never reads (so never answers)
// is dropped once PongWait passes.
func TestPingsKeepIdleConnectionsAlive(t *testing.T) {
	t.Parallel()
	const period, wait = 40 * time.Millisecond, 150 * time.Millisecond
	ts := newTestServer(t, pairsync.Config{PingPeriod: period, PongWait: wait}, nil)
	room := ts.createRoom("go")

	// A raw peer that reads (gorilla answers each ping) and counts pings.
	var pings atomic.Int64
	alive := ts.rawJoin(room, "counting-peer")
	alive.SetPingHandler(func(data string) error {
		pings.Add(1)
		return alive.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	readErr := make(chan error, 1)
	go func() {
		_ = alive.SetReadDeadline(time.Time{})
		for {
			if _, _, err := alive.ReadMessage(); err != nil {
				readErr <- err
				return
			}
		}
	}()
	c := ts.dial(room, wireclient.ClientOptions{})

	// A peer that joined and then never reads again.
	deaf := ts.rawJoin(room, "deaf-peer")
	_ = deaf

	// Observe 20 PongWaits (3 s) of silence from the readers.
	deadline := time.Now().Add(20 * wait)
	for time.Now().Before(deadline) {
		select {
		case err := <-readErr:
			t.Fatalf("an idle peer that answers pings was dropped: %v", err)
		case <-c.Done():
			t.Fatalf("an idle wireclient was dropped: %v", c.Err())
		case <-time.After(wait):
		}
	}
	// ~75 pings in 3 s; at least one per two periods.
	if n := pings.Load(); n < int64(20*wait/(2*period)) {
		t.Fatalf("%d pings in %v with PingPeriod %v", n, 20*wait, period)
	}
	if err := c.Splice(0, 0, "still here"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the deaf peer dropped, the others kept", func() bool { return ts.hub.Status(room).Peers == 2 })
}
