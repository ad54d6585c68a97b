package sync_test

import (
	"context"
	"slices"
	stdsync "sync"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/pairpad/pairpad/persistence"
	pairsync "github.com/pairpad/pairpad/sync"
	"github.com/pairpad/pairpad/sync/wire"
	"github.com/pairpad/pairpad/sync/wireclient"
)

// pairingState is the server's driver-mode notice as a client decodes it.
type pairingState struct {
	T        string            `cbor:"t"`
	On       bool              `cbor:"on"`
	Driver   string            `cbor:"driver"`
	Since    int64             `cbor:"since"`
	Rotate   int               `cbor:"rotate"`
	Requests []string          `cbor:"requests"`
	Names    map[string]string `cbor:"names"`
	Version  uint64            `cbor:"version"`
	Error    string            `cbor:"error"`
}

// pairingWatch records the driver-mode notices a client receives, and the
// other ephemeral payloads.
type pairingWatch struct {
	mu     stdsync.Mutex
	states []pairingState
	other  [][]byte
}

func (w *pairingWatch) on(m wire.Message) {
	var st pairingState
	w.mu.Lock()
	defer w.mu.Unlock()
	if cbor.Unmarshal(m.Data, &st) == nil && st.T == pairsync.PairingTag {
		w.states = append(w.states, st)
		return
	}
	w.other = append(w.other, m.Data)
}

func (w *pairingWatch) last() pairingState {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.states) == 0 {
		return pairingState{}
	}
	return w.states[len(w.states)-1]
}

func (w *pairingWatch) errors() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, s := range w.states {
		if s.Error != "" {
			out = append(out, s.Error)
		}
	}
	return out
}

func (w *pairingWatch) otherCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.other)
}

func drive(t *testing.T, c *wireclient.Client, op string, extra map[string]any) {
	t.Helper()
	m := map[string]any{"t": pairsync.DriveTag, "op": op, "name": "person " + c.PeerID()}
	for k, v := range extra {
		m[k] = v
	}
	data, err := cbor.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SendEphemeral(data); err != nil {
		t.Fatalf("send %s: %v", op, err)
	}
}

func dialWatched(t *testing.T, ts *testServer, room, role, link string) (*wireclient.Client, *pairingWatch) {
	t.Helper()
	w := &pairingWatch{}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := wireclient.Dial(ctx, ts.wsURL(room)+"?role="+role+"&link="+link, room, wireclient.ClientOptions{OnEphemeral: w.on})
	if err != nil {
		t.Fatalf("dial as %s: %v", role, err)
	}
	t.Cleanup(func() { c.Close() })
	return c, w
}

func TestDriverModeOnlyTheDriverWrites(t *testing.T) {
	t.Parallel()
	ts := newGrantServerWith(t, pairsync.Config{DriveGrace: time.Millisecond}, persistence.NewMemory())
	room := ts.createRoom("go")
	owner, ow := dialWatched(t, ts, room, "owner", "O")
	alice, aw := dialWatched(t, ts, room, "editor", "E")
	bob, bw := dialWatched(t, ts, room, "editor", "E")
	viewer, vw := dialWatched(t, ts, room, "viewer", "V")
	waitText(t, viewer, "")

	// Alice starts the mode and drives; everyone is told.
	drive(t, alice, "on", map[string]any{"rotate": 300})
	for _, w := range []*pairingWatch{ow, aw, bw, vw} {
		eventually(t, "driver mode on at every peer", func() bool { st := w.last(); return st.On && st.Driver == alice.PeerID() })
	}
	if st := bw.last(); st.Rotate != 300 || st.Since == 0 || st.Names[alice.PeerID()] != "person "+alice.PeerID() {
		t.Fatalf("state at bob: %+v", st)
	}
	if err := alice.Splice(0, 0, "a"); err != nil {
		t.Fatal(err)
	}
	waitText(t, bob, "a")

	// A viewer cannot drive; the driver cannot ask; Bob cannot hand over.
	drive(t, viewer, "request", nil)
	eventually(t, "the viewer's refusal", func() bool { return slices.Contains(vw.errors(), "viewers cannot drive") })
	drive(t, bob, "give", map[string]any{"to": bob.PeerID()})
	eventually(t, "bob's refusal", func() bool {
		return slices.Contains(bw.errors(), "only the driver or the owner can hand over the keyboard")
	})
	if st := aw.last(); st.Driver != alice.PeerID() || st.Error != "" {
		t.Fatalf("a refused request changed the state or reached others: %+v", st)
	}

	// Bob asks, Alice hands over.
	drive(t, bob, "request", nil)
	eventually(t, "bob's request at alice", func() bool { return slices.Contains(aw.last().Requests, bob.PeerID()) })
	drive(t, alice, "give", map[string]any{"to": bob.PeerID()})
	eventually(t, "bob drives", func() bool { st := ow.last(); return st.Driver == bob.PeerID() && len(st.Requests) == 0 })
	if err := bob.Splice(1, 0, "b"); err != nil {
		t.Fatal(err)
	}
	waitText(t, owner, "ab")

	// Alice, now a navigator, is refused like a viewer; nothing of hers gets in.
	refused := ts.hub.Metrics().WritesRefused.Load()
	time.Sleep(5 * time.Millisecond) // past DriveGrace (1 ms): not synchronisation, the grace is time itself
	if err := alice.Splice(0, 0, "NAVIGATOR "); err != nil {
		t.Fatal(err)
	}
	closedWith(t, alice, int(pairsync.CloseForbidden), 5*time.Second)
	if got := ts.hub.Metrics().WritesRefused.Load(); got != refused+1 {
		t.Fatalf("writes refused %d, want %d", got, refused+1)
	}
	if got := serverText(t, ts, room); got != "ab" {
		t.Fatalf("server text %q: the navigator's change got in", got)
	}

	// The owner takes the keyboard, then ends the mode; Bob writes again.
	drive(t, owner, "give", map[string]any{"to": owner.PeerID()})
	eventually(t, "the owner drives", func() bool { return bw.last().Driver == owner.PeerID() })
	drive(t, bob, "off", nil)
	eventually(t, "bob may not end the mode", func() bool {
		return slices.Contains(bw.errors(), "only the owner or the driver can end driver mode")
	})
	drive(t, owner, "off", nil)
	eventually(t, "mode off", func() bool { return !bw.last().On })
	if err := bob.Splice(2, 0, "c"); err != nil {
		t.Fatal(err)
	}
	waitText(t, owner, "abc")
	// Driver-mode messages are for the server: no peer saw one forwarded.
	for name, w := range map[string]*pairingWatch{"owner": ow, "bob": bw, "viewer": vw} {
		if n := w.otherCount(); n != 0 {
			t.Fatalf("%s received %d forwarded ephemeral messages", name, n)
		}
	}
	if ts.hub.Metrics().DriveRefused.Load() < 3 || ts.hub.Metrics().DriveRequests.Load() < 8 {
		t.Fatalf("metrics: refused %d, requests %d", ts.hub.Metrics().DriveRefused.Load(), ts.hub.Metrics().DriveRequests.Load())
	}
}

func TestDriverLeavingFreesTheKeyboardAndReclaims(t *testing.T) {
	t.Parallel()
	ts := newGrantServerWith(t, pairsync.Config{DriveGrace: time.Millisecond}, persistence.NewMemory())
	room := ts.createRoom("go")
	alice, _ := dialWatched(t, ts, room, "editor", "E")
	bob, bw := dialWatched(t, ts, room, "editor", "E")
	drive(t, alice, "on", nil)
	eventually(t, "alice drives", func() bool { return bw.last().Driver == alice.PeerID() })
	drive(t, bob, "request", nil)
	eventually(t, "bob waits", func() bool { return slices.Contains(bw.last().Requests, bob.PeerID()) })
	bob.Close()
	// Alice leaves: nobody drives; the mode stays on.
	carol, cw := dialWatched(t, ts, room, "editor", "E")
	waitText(t, carol, "")
	drive(t, carol, "hello", nil)
	eventually(t, "carol told the state, bob's request gone", func() bool {
		st := cw.last()
		return st.On && st.Driver == alice.PeerID() && len(st.Requests) == 0
	})
	alice.Close()
	eventually(t, "the keyboard free", func() bool { st := cw.last(); return st.On && st.Driver == "" })

	// Alice comes back (same peer id) and gets it back.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	again, err := wireclient.Dial(ctx, ts.wsURL(room)+"?role=editor&link=E", room, wireclient.ClientOptions{PeerID: alice.PeerID()})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	eventually(t, "alice reclaims", func() bool { return cw.last().Driver == alice.PeerID() })
	// With the keyboard free, a request takes it at once.
	again.Close()
	eventually(t, "free again", func() bool { return cw.last().Driver == "" })
	drive(t, carol, "request", nil)
	eventually(t, "carol drives", func() bool { return cw.last().Driver == carol.PeerID() })
	if err := carol.Splice(0, 0, "carol"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "carol's text stored", func() bool { return serverText(t, ts, room) == "carol" })
}

func TestDriverModeBadRequests(t *testing.T) {
	t.Parallel()
	ts := newGrantServerWith(t, pairsync.Config{}, persistence.NewMemory())
	room := ts.createRoom("go")
	a, aw := dialWatched(t, ts, room, "editor", "E")
	waitText(t, a, "")
	drive(t, a, "explode", nil)
	drive(t, a, "on", map[string]any{"rotate": -5})
	drive(t, a, "request", nil)
	drive(t, a, "give", map[string]any{"to": "nobody"})
	eventually(t, "four refusals", func() bool { return len(aw.errors()) == 4 })
	want := []string{`unknown driver-mode operation "explode"`, "rotate must be 0 to 86400 seconds", "driver mode is off", "driver mode is off"}
	if got := aw.errors(); !slices.Equal(got, want) {
		t.Fatalf("errors %q, want %q", got, want)
	}
	drive(t, a, "on", map[string]any{"name": string(make([]rune, 500))})
	eventually(t, "on", func() bool { return aw.last().On })
	drive(t, a, "give", map[string]any{"to": "nobody"})
	eventually(t, "give to a stranger refused", func() bool {
		return slices.Contains(aw.errors(), "the keyboard can go only to someone in the room who may edit")
	})
	// Garbage that mentions the tag is an ordinary ephemeral message.
	if err := a.SendEphemeral([]byte("not cbor " + pairsync.DriveTag)); err != nil {
		t.Fatal(err)
	}
	if err := a.Splice(0, 0, "still fine"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the driver's edit", func() bool { return serverText(t, ts, room) == "still fine" })
}

func TestDriverModeAcrossInstances(t *testing.T) {
	t.Parallel()
	b := pairsync.NewMemoryBroker()
	cfg := pairsync.Config{Broker: b, HeadsInterval: 20 * time.Millisecond, DriveGrace: time.Millisecond}
	store := persistence.NewMemory()
	s0 := newGrantServerWith(t, cfg, store)
	s1 := newGrantServerWith(t, cfg, store)
	room := s0.createRoom("go")
	alice, _ := dialWatched(t, s0, room, "editor", "E")
	bob, bw := dialWatched(t, s1, room, "editor", "E")
	waitText(t, bob, "")
	drive(t, alice, "on", nil)
	eventually(t, "the state on the other instance", func() bool { return bw.last().On && bw.last().Driver == alice.PeerID() })
	if err := alice.Splice(0, 0, "x"); err != nil {
		t.Fatal(err)
	}
	waitText(t, bob, "x")
	// A navigator on the other instance is refused there.
	if err := bob.Splice(0, 0, "B"); err != nil {
		t.Fatal(err)
	}
	closedWith(t, bob, int(pairsync.CloseForbidden), 5*time.Second)
	// A peer joining an instance that loads the room later learns the state.
	s2 := newGrantServerWith(t, cfg, store)
	carol, cw := dialWatched(t, s2, room, "editor", "E")
	waitText(t, carol, "x")
	eventually(t, "a third instance learns the mode", func() bool { return cw.last().On && cw.last().Driver == alice.PeerID() })
	// Carol asks across instances; Alice hands over; Carol writes.
	drive(t, carol, "request", nil)
	eventually(t, "carol's request", func() bool { return slices.Contains(cw.last().Requests, carol.PeerID()) })
	drive(t, alice, "give", map[string]any{"to": carol.PeerID()})
	eventually(t, "carol drives", func() bool { return cw.last().Driver == carol.PeerID() })
	if err := carol.Splice(1, 0, "c"); err != nil {
		t.Fatal(err)
	}
	waitText(t, alice, "xc")
}

// Only a new driver opens the grace window: a rotation change (or a request)
// does not let a navigator's edit in.
func TestDriveGraceOnlyWhenTheKeyboardMoves(t *testing.T) {
	t.Parallel()
	const grace = 300 * time.Millisecond
	ts := newGrantServerWith(t, pairsync.Config{DriveGrace: grace}, persistence.NewMemory())
	room := ts.createRoom("go")
	alice, aw := dialWatched(t, ts, room, "editor", "E")
	bob, bw := dialWatched(t, ts, room, "editor", "E")
	waitText(t, bob, "")
	drive(t, alice, "on", nil)
	eventually(t, "on", func() bool { return bw.last().On })
	time.Sleep(grace + 50*time.Millisecond) // the grace is time itself
	drive(t, alice, "rotate", map[string]any{"rotate": 600})
	eventually(t, "rotation set", func() bool { return aw.last().Rotate == 600 && bw.last().Rotate == 600 })
	if err := bob.Splice(0, 0, "nav"); err != nil {
		t.Fatal(err)
	}
	closedWith(t, bob, int(pairsync.CloseForbidden), 5*time.Second)
	if got := serverText(t, ts, room); got != "" {
		t.Fatalf("server text %q", got)
	}
}

// Hub.Status says whether driver mode is on and who drives (GET
// /rooms/{id}/text passes it on to a browser whose document has not loaded).
func TestStatusSaysWhoDrives(t *testing.T) {
	t.Parallel()
	ts := newGrantServerWith(t, pairsync.Config{DriveGrace: time.Millisecond}, persistence.NewMemory())
	room := ts.createRoom("go")
	alice, aw := dialWatched(t, ts, room, "editor", "E")
	bob, _ := dialWatched(t, ts, room, "editor", "E")
	waitText(t, bob, "")
	if st := ts.hub.Status(room); st.Driving || st.Driver != "" {
		t.Fatalf("before driver mode: %+v", st)
	}
	drive(t, alice, "on", nil)
	eventually(t, "alice drives", func() bool { return aw.last().Driver == alice.PeerID() })
	if st := ts.hub.Status(room); !st.Driving || st.Driver != alice.PeerID() {
		t.Fatalf("alice drives: status %+v", st)
	}
	alice.Close()
	eventually(t, "the keyboard free", func() bool { st := ts.hub.Status(room); return st.Driving && st.Driver == "" })
	drive(t, bob, "request", nil)
	eventually(t, "bob drives", func() bool { return ts.hub.Status(room).Driver == bob.PeerID() })
	drive(t, bob, "off", nil)
	eventually(t, "driver mode off", func() bool { st := ts.hub.Status(room); return !st.Driving && st.Driver == "" })
}
