package sync

import (
	"fmt"
	"testing"
	"time"

	"github.com/pairpad/pairpad/sync/wire"
)

func ephMsg(sender, session string, n uint64) wire.Message {
	return wire.Message{Type: wire.TypeEphemeral, SenderID: sender, SessionID: session, Count: &n}
}

// The de-duplication entries of senders on other instances are bounded:
// forgotten when silent, and the room never tracks more than
// maxEphemeralSenders; a local peer's entry stays until it leaves.
func TestRemoteEphemeralEntriesBounded(t *testing.T) {
	h := &Hub{metrics: &Metrics{}, cfg: Config{HeadsInterval: time.Second}}
	r := &room{hub: h, ephemeral: map[string]*ephemeralSeen{}, byID: map[string]*peer{"local": {}}}
	now := time.Now()
	if !r.ephemeralNew(ephMsg("local", "s", 1), now) || !r.ephemeralNew(ephMsg("remote", "s", 1), now) {
		t.Fatal("first messages refused")
	}
	if r.ephemeralNew(ephMsg("remote", "s", 1), now) {
		t.Fatal("duplicate from a remote sender forwarded")
	}
	r.forgetEphemeral(now.Add(remoteEphemeralIdle*time.Second-time.Millisecond), false)
	if len(r.ephemeral) != 2 {
		t.Fatalf("entries forgotten before the idle time: %d left", len(r.ephemeral))
	}
	r.forgetEphemeral(now.Add(remoteEphemeralIdle*time.Second+time.Millisecond), false)
	if r.ephemeral["remote"] != nil || r.ephemeral["local"] == nil {
		t.Fatalf("after the idle time: remote kept %v, local kept %v", r.ephemeral["remote"] != nil, r.ephemeral["local"] != nil)
	}

	// Many remote senders, never silent long enough: the bound holds.
	for i := 0; i < 3*maxEphemeralSenders; i++ {
		if !r.ephemeralNew(ephMsg(fmt.Sprintf("r%d", i), "s", 1), now.Add(time.Duration(i)*time.Microsecond)) {
			t.Fatalf("new sender %d refused", i)
		}
		if len(r.ephemeral) > maxEphemeralSenders {
			t.Fatalf("%d senders tracked, bound %d", len(r.ephemeral), maxEphemeralSenders)
		}
	}
	if r.ephemeral["local"] == nil {
		t.Fatal("the local peer's entry was dropped to make room")
	}
	if r.ephemeral[fmt.Sprintf("r%d", 3*maxEphemeralSenders-1)] == nil {
		t.Fatal("the newest sender is not tracked")
	}
	if got := h.metrics.EphemeralSenders.Load(); got != int64(len(r.ephemeral)) {
		t.Fatalf("gauge %d, entries %d", got, len(r.ephemeral))
	}
	if h.metrics.EphemeralForgotten.Load() < 2*maxEphemeralSenders {
		t.Fatalf("forgotten %d", h.metrics.EphemeralForgotten.Load())
	}
	r.dropEphemeral()
	if h.metrics.EphemeralSenders.Load() != 0 {
		t.Fatalf("gauge %d after the room ended", h.metrics.EphemeralSenders.Load())
	}
}
