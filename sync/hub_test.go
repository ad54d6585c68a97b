package sync_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/persistence"
	pairsync "github.com/pairpad/pairpad/sync"

	"github.com/pairpad/pairpad/sync/wire"
	"github.com/pairpad/pairpad/sync/wireclient"
)

func TestTwoPeersConverge(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, pairsync.Config{}, nil)
	room := ts.createRoom("go")
	a := ts.dial(room, wireclient.ClientOptions{})
	b := ts.dial(room, wireclient.ClientOptions{AdvertiseV2: true})
	if err := a.Splice(0, 0, "package main\n"); err != nil {
		t.Fatal(err)
	}
	waitText(t, b, "package main\n")
	if b.Language() != "go" {
		t.Fatalf("language: got %q", b.Language())
	}
	// Concurrent edits at both ends.
	var wg stdsync.WaitGroup
	for _, c := range []struct {
		cl  *wireclient.Client
		pos int
		s   string
	}{{a, 0, "// a\n"}, {b, 13, "func main() {}\n"}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, r := range c.s {
				if err := c.cl.Edit(func(d *crdt.Doc) error {
					text, _ := d.Text()
					pos := len([]rune(text))
					if c.pos == 0 {
						pos = strings.Index(text, "package")
						if pos < 0 {
							pos = 0
						}
						pos = len([]rune(text[:pos]))
					}
					return d.Splice(pos, 0, string(r))
				}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	eventually(t, "convergence", func() bool {
		return a.Text() == b.Text() && strings.Contains(a.Text(), "func main() {}") && strings.Contains(a.Text(), "// a")
	})
}

func TestForeignDocumentIsUnavailable(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, pairsync.Config{}, nil)
	room := ts.createRoom("python")
	other := crdt.NewDocumentID()
	c, err := wireclient.Dial(context.Background(), ts.wsURL(room), other, wireclient.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	eventually(t, "doc-unavailable", c.Unavailable)
	if c.Text() != "" {
		t.Fatalf("foreign doc got content %q", c.Text())
	}
}

func TestEphemeralForwardedOnceToOthers(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, pairsync.Config{}, nil)
	room := ts.createRoom("go")
	got := make(chan wire.Message, 10)
	a := ts.dial(room, wireclient.ClientOptions{OnEphemeral: func(m wire.Message) { got <- m }})
	b := ts.dial(room, wireclient.ClientOptions{OnEphemeral: func(m wire.Message) { got <- m }})
	c := ts.dial(room, wireclient.ClientOptions{})
	waitText(t, c, "")
	time.Sleep(50 * time.Millisecond) // all joined
	one := uint64(1)
	msg := wire.Message{Type: wire.TypeEphemeral, SenderID: c.PeerID(), DocumentID: room, SessionID: "s1", Count: &one, Data: []byte{0xa1, 0x61, 0x78, 0x01}}
	for i := 0; i < 3; i++ { // duplicates are dropped
		if err := c.Send(msg); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]int{}
	timeout := time.After(2 * time.Second)
	for len(seen) < 2 {
		select {
		case m := <-got:
			if m.SenderID != c.PeerID() || string(m.Data) != string(msg.Data) || m.SessionID != "s1" {
				t.Fatalf("forwarded message changed: %+v", m)
			}
			seen[m.TargetID]++
		case <-timeout:
			t.Fatalf("ephemeral reached %d of 2 peers", len(seen))
		}
	}
	if seen[a.PeerID()] != 1 || seen[b.PeerID()] != 1 {
		t.Fatalf("targets: %v", seen)
	}
	select {
	case m := <-got:
		t.Fatalf("duplicate delivered: %+v", m)
	case <-time.After(200 * time.Millisecond):
	}
}

func TestFastJoinSendsSnapshot(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, pairsync.Config{}, nil)
	room := ts.createRoom("python")
	typist := ts.dial(room, wireclient.ClientOptions{})
	// 10,000 single-character changes, applied locally then synced at once.
	if err := typist.Edit(func(d *crdt.Doc) error {
		for i := 0; i < 10000; i++ {
			if err := d.Splice(i, 0, string(rune('a'+i%26))); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := typist.Text()
	observer := ts.dial(room, wireclient.ClientOptions{})
	waitText(t, observer, want)
	saved, err := ts.hub.Snapshot(context.Background(), room)
	if err != nil {
		t.Fatal(err)
	}

	fresh := ts.dial(room, wireclient.ClientOptions{AdvertiseV2: true})
	waitText(t, fresh, want)
	if got, limit := fresh.BytesIn.Load(), int64(3*len(saved)); got > limit {
		t.Fatalf("fast join received %d bytes, limit 3x saved size = %d", got, limit)
	}
	if ts.hub.Metrics().FastJoins.Load() != 1 {
		t.Fatalf("fast joins: %d, want 1", ts.hub.Metrics().FastJoins.Load())
	}
	// The fast-joined peer keeps syncing normally afterwards.
	if err := fresh.Splice(0, 0, ">"); err != nil {
		t.Fatal(err)
	}
	waitText(t, typist, ">"+want)

	// A v1-only peer converges too, just with more bytes.
	v1 := ts.dial(room, wireclient.ClientOptions{})
	waitText(t, v1, ">"+want)
	if v1.BytesIn.Load() <= fresh.BytesIn.Load() {
		t.Logf("v1 peer received %d bytes, fast-join peer %d", v1.BytesIn.Load(), fresh.BytesIn.Load())
	}
	t.Logf("saved %d B; fast join received %d B; v1 join received %d B", len(saved), fresh.BytesIn.Load(), v1.BytesIn.Load())
}

func TestSamePeerIDReplacesOldSocket(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, pairsync.Config{}, nil)
	room := ts.createRoom("go")
	old := ts.rawJoin(room, "peer-x")
	other := ts.dial(room, wireclient.ClientOptions{})
	waitText(t, other, "")
	time.Sleep(50 * time.Millisecond)
	_ = ts.rawJoin(room, "peer-x")
	if code := closeCodeOf(t, old); code != int(pairsync.CloseReplaced) {
		t.Fatalf("old socket closed with %d, want %d", code, pairsync.CloseReplaced)
	}
}

func TestFlushSavesDirtyRooms(t *testing.T) {
	t.Parallel()
	store := persistence.NewMemory()
	ts := newTestServer(t, pairsync.Config{FlushInterval: 50 * time.Millisecond}, store)
	room := ts.createRoom("go")
	c := ts.dial(room, wireclient.ClientOptions{})
	waitText(t, c, "")
	if err := c.Splice(0, 0, "saved by the flusher"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "flushed content in the store", func() bool { return storedText(t, store, room) == "saved by the flusher" })
	if !ts.hub.Status(room).Loaded {
		t.Fatal("room unloaded while a peer is connected")
	}
}

func TestLastLeaveSavesAndUnloads(t *testing.T) {
	t.Parallel()
	store := persistence.NewMemory()
	ts := newTestServer(t, pairsync.Config{FlushInterval: time.Hour}, store)
	room := ts.createRoom("go")
	c := ts.dial(room, wireclient.ClientOptions{})
	waitText(t, c, "")
	if err := c.Splice(0, 0, "kept"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "server has the edit", func() bool {
		data, err := ts.hub.Snapshot(context.Background(), room)
		return err == nil && docText(t, data) == "kept"
	})
	c.Close()
	eventually(t, "room unloaded", func() bool { return !ts.hub.Status(room).Loaded })
	if got := storedText(t, store, room); got != "kept" {
		t.Fatalf("stored text %q after last leave", got)
	}
	if n := ts.hub.Metrics().RoomsLoaded.Load(); n != 0 {
		t.Fatalf("rooms loaded gauge: %d", n)
	}
	// Rejoining loads it again with the content.
	c2 := ts.dial(room, wireclient.ClientOptions{AdvertiseV2: true})
	waitText(t, c2, "kept")
}

func TestShutdownSavesDirtyRoomsAndClosesPeers(t *testing.T) {
	t.Parallel()
	store := persistence.NewMemory()
	ts := newTestServer(t, pairsync.Config{FlushInterval: time.Hour}, store)
	rooms := []string{ts.createRoom("go"), ts.createRoom("rust")}
	var conns []*wireclient.Client
	for i, room := range rooms {
		c := ts.dial(room, wireclient.ClientOptions{})
		waitText(t, c, "")
		if err := c.Splice(0, 0, fmt.Sprintf("room %d", i)); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	eventually(t, "both rooms dirty", func() bool { return ts.hub.Metrics().DirtyRooms.Load() == 2 })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ts.hub.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	for i, room := range rooms {
		if got := storedText(t, store, room); got != fmt.Sprintf("room %d", i) {
			t.Fatalf("room %d stored %q", i, got)
		}
		<-conns[i].Done()
		if code := conns[i].CloseCode(); code != int(pairsync.CloseGoingAway) {
			t.Fatalf("peer closed with %d, want 1001", code)
		}
	}
}

func TestFailedSaveIsRetriedAndLosesNothing(t *testing.T) {
	t.Parallel()
	store := persistence.NewMemory()
	ts := newTestServer(t, pairsync.Config{FlushInterval: 30 * time.Millisecond}, store)
	room := ts.createRoom("go")
	store.FailSaves(errors.New("disk on fire"))
	c := ts.dial(room, wireclient.ClientOptions{})
	waitText(t, c, "")
	if err := c.Splice(0, 0, "precious"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "save errors counted", func() bool { return ts.hub.Metrics().SaveErrors.Load() >= 2 })
	if got := storedText(t, store, room); got != "" {
		t.Fatalf("store changed while failing: %q", got)
	}
	if !ts.hub.Status(room).Dirty {
		t.Fatal("room not dirty after failed saves")
	}
	store.FailSaves(nil)
	eventually(t, "saved after recovery", func() bool { return storedText(t, store, room) == "precious" })
}

func TestTwoInstancesMergeOnSave(t *testing.T) {
	t.Parallel()
	store := persistence.NewMemory()
	a := newTestServer(t, pairsync.Config{FlushInterval: time.Hour}, store)
	b := newTestServer(t, pairsync.Config{FlushInterval: time.Hour}, store)
	room := a.createRoom("go")
	ca := a.dial(room, wireclient.ClientOptions{})
	cb := b.dial(room, wireclient.ClientOptions{})
	waitText(t, ca, "")
	waitText(t, cb, "")
	if err := ca.Splice(0, 0, "from A;"); err != nil {
		t.Fatal(err)
	}
	if err := cb.Splice(0, 0, "from B;"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "edits reached both servers", func() bool {
		da, _ := a.hub.Snapshot(context.Background(), room)
		db, _ := b.hub.Snapshot(context.Background(), room)
		return docText(t, da) == "from A;" && docText(t, db) == "from B;"
	})
	ca.Close()
	eventually(t, "A saved", func() bool { return strings.Contains(storedText(t, store, room), "from A;") })
	cb.Close() // B's save conflicts, merges A's document and retries
	eventually(t, "both edits stored", func() bool {
		s := storedText(t, store, room)
		return strings.Contains(s, "from A;") && strings.Contains(s, "from B;")
	})
	if b.hub.Metrics().SaveConflicts.Load() == 0 {
		t.Fatal("expected a save conflict on instance B")
	}
}

func TestSlowConsumerIsClosedOthersCarryOn(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, pairsync.Config{SendQueue: 4, FramesPerSecond: 1e6, FrameBurst: 1e6}, nil)
	room := ts.createRoom("go")
	slow := ts.rawJoin(room, "slow-peer") // joins, then never reads
	talker := ts.dial(room, wireclient.ClientOptions{})
	big := make([]byte, 256<<10)
	big[0] = 0x40 // CBOR empty byte string prefix is irrelevant: data is opaque
	for i := 0; i < 200 && ts.hub.Metrics().SlowConsumers.Load() == 0; i++ {
		if err := talker.SendEphemeral(big); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "slow consumer closed", func() bool { return ts.hub.Metrics().SlowConsumers.Load() >= 1 })
	if code := closeCodeOf(t, slow); code != int(pairsync.CloseSlowConsumer) {
		t.Fatalf("slow peer closed with %d, want %d", code, pairsync.CloseSlowConsumer)
	}
	// The room keeps serving the others, old and new.
	listener := ts.dial(room, wireclient.ClientOptions{})
	if err := talker.Splice(0, 0, "still here"); err != nil {
		t.Fatal(err)
	}
	waitText(t, listener, "still here")
}

func storedText(t *testing.T, s pairsync.Store, room string) string {
	t.Helper()
	rec, err := s.Load(context.Background(), room)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return docText(t, rec.Data)
}

func docText(t *testing.T, data []byte) string {
	t.Helper()
	if data == nil {
		return ""
	}
	d, err := crdt.Load(data)
	if err != nil {
		t.Fatalf("load doc: %v", err)
	}
	s, _ := d.Text()
	return s
}

// A room with a long history takes automerge-go a while to load; meanwhile a
// fresh peer gets the stored document at once, and a peer with its own copy
// waits for the load. Both end up in sync and keep editing.
func TestFastJoinWhileRoomLoads(t *testing.T) {
	t.Parallel()
	store := persistence.NewMemory()
	ts := newTestServer(t, pairsync.Config{FlushInterval: time.Hour}, store)
	room := ts.createRoom("go")
	rec, err := store.Load(context.Background(), room)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := crdt.Load(rec.Data)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 6000; i++ {
		if err := doc.Splice(i, 0, string(rune('a'+i%26))); err != nil {
			t.Fatal(err)
		}
	}
	data, _ := doc.Save()
	if _, err := store.Save(context.Background(), room, data, "go", "", rec.Version); err != nil {
		t.Fatal(err)
	}
	want, _ := doc.Text()

	fresh := ts.dial(room, wireclient.ClientOptions{AdvertiseV2: true})
	if fresh.Text() != want {
		t.Fatalf("fresh peer has %d chars, want %d", len(fresh.Text()), len(want))
	}
	if n := ts.hub.Metrics().EarlyFastJoins.Load(); n != 1 {
		t.Fatalf("fast joins while loading: %d, want 1", n)
	}
	if fresh.BytesIn.Load() > int64(3*len(data)) {
		t.Fatalf("fresh peer received %d bytes for a %d-byte document", fresh.BytesIn.Load(), len(data))
	}
	v1 := ts.dial(room, wireclient.ClientOptions{})
	waitText(t, v1, want)
	if err := fresh.Splice(0, 0, "fresh:"); err != nil {
		t.Fatal(err)
	}
	waitText(t, v1, "fresh:"+want)
	if err := v1.Splice(0, 0, "v1:"); err != nil {
		t.Fatal(err)
	}
	waitText(t, fresh, "v1:fresh:"+want)
}

// An idle room swaps in a compacted copy of its document; its peers keep
// syncing across the swap in both directions.
func TestIdleRoomCompactsAndKeepsSyncing(t *testing.T) {
	t.Parallel()
	// SleepMaxWake -1: a room this short would sleep instead (sleep_test.go).
	ts := newTestServer(t, pairsync.Config{CompactAfter: 50 * time.Millisecond, SleepMaxWake: -1}, nil)
	room := ts.createRoom("go")
	a := ts.dial(room, wireclient.ClientOptions{})
	b := ts.dial(room, wireclient.ClientOptions{AdvertiseV2: true})
	for i := 0; i < 20; i++ {
		if err := a.Splice(i, 0, "a"); err != nil {
			t.Fatal(err)
		}
	}
	waitText(t, b, strings.Repeat("a", 20))
	eventually(t, "a compaction", func() bool { return ts.hub.Metrics().Compactions.Load() >= 1 })
	if err := b.Splice(0, 0, "b"); err != nil {
		t.Fatal(err)
	}
	waitText(t, a, "b"+strings.Repeat("a", 20))
	if err := a.Splice(21, 0, "!"); err != nil {
		t.Fatal(err)
	}
	waitText(t, b, "b"+strings.Repeat("a", 20)+"!")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.WaitSynced(ctx); err != nil {
		t.Fatal(err)
	}
	c := ts.dial(room, wireclient.ClientOptions{AdvertiseV2: true})
	if c.Text() != "b"+strings.Repeat("a", 20)+"!" {
		t.Fatalf("new peer after compaction has %q", c.Text())
	}
}
