package sync

import (
	"testing"
	"time"

	"github.com/pairpad/pairpad/crdt"
)

// firstMessage is a fresh client's first sync message (v2 capability on or off).
func firstMessage(t *testing.T, v2 bool) ([]byte, crdt.SyncInfo) {
	t.Helper()
	c := crdt.Empty()
	gen := c.Generate
	if v2 {
		gen = c.GenerateAdvertisingV2
	}
	m, ok, err := gen(c.NewPeerState())
	if err != nil || !ok {
		t.Fatalf("client message: %v %v", ok, err)
	}
	info, err := crdt.InspectSync(m)
	if err != nil {
		t.Fatal(err)
	}
	return m, info
}

func TestFastJoinPolicy(t *testing.T) {
	t.Parallel()
	doc, err := crdt.New("go")
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Splice(0, 0, "hello"); err != nil {
		t.Fatal(err)
	}
	msgV2, infoV2 := firstMessage(t, true)
	_, infoV1 := firstMessage(t, false)

	ps := newPeerSync(doc)
	if ps.wantsFastJoin(doc, infoV1) {
		t.Error("a peer without the v2 capability got a fast join")
	}
	if !ps.wantsFastJoin(doc, infoV2) {
		t.Fatal("a fresh v2 peer did not get a fast join")
	}
	if _, _, err := ps.receive(doc, msgV2, infoV2); err != nil {
		t.Fatal(err)
	}
	if ps.wantsFastJoin(doc, infoV2) {
		t.Error("a peer that already sent a message got a second fast join")
	}
	snap, err := ps.fastJoin(doc)
	if err != nil {
		t.Fatal(err)
	}
	if ps.sentHeads != doc.HeadsKey() {
		t.Error("fast join did not record the heads it announced")
	}
	// Nothing is generated while the peer may still answer the snapshot...
	if _, ok, _ := ps.generate(doc); ok {
		t.Error("generated a v1 message during the fast join's patience")
	}
	// ...and ordinary v1 resumes once the patience is over.
	ps.fastJoinAt = time.Now().Add(-FastJoinPatience)
	if _, ok, err := ps.generate(doc); err != nil || !ok {
		t.Errorf("no v1 message after the patience: %v %v", ok, err)
	}

	// A client that loads the snapshot and answers ends the wait at once,
	// and its answer is a pure acknowledgement.
	ps2 := newPeerSync(doc)
	if _, _, err := ps2.receive(doc, msgV2, infoV2); err != nil {
		t.Fatal(err)
	}
	snap, err = ps2.fastJoin(doc)
	if err != nil {
		t.Fatal(err)
	}
	client := crdt.Empty()
	cs := client.NewPeerState()
	if _, _, err := client.ReceiveFromServer(cs, snap); err != nil {
		t.Fatal(err)
	}
	ack, ok, err := client.Generate(cs)
	if err != nil || !ok {
		t.Fatalf("client answer: %v %v", ok, err)
	}
	info, _ := crdt.InspectSync(ack)
	changed, heads, err := ps2.receive(doc, ack, info)
	if err != nil {
		t.Fatal(err)
	}
	if !ps2.fastJoinAt.IsZero() {
		t.Error("the peer's answer did not end the fast join's wait")
	}
	if !ps2.isPureAck(info, changed, heads) {
		t.Errorf("the answer to a snapshot is not a pure ack (changed %v, changes %d, need %d)", changed, info.Changes, info.Need)
	}
	if got, _ := client.Text(); got != "hello" {
		t.Errorf("client has %q after the snapshot", got)
	}
}

func TestIsPureAck(t *testing.T) {
	t.Parallel()
	doc, _ := crdt.New("go")
	heads := doc.HeadsKey()
	hs := doc.Heads()
	raw := make([][]byte, len(hs))
	for i := range hs {
		raw[i] = hs[i][:]
	}
	for _, tc := range []struct {
		name      string
		info      crdt.SyncInfo
		changed   bool
		sentHeads string
		want      bool
	}{
		{"acknowledges what we sent", crdt.SyncInfo{Version: 1, Heads: raw}, false, heads, true},
		{"changed the document", crdt.SyncInfo{Version: 1, Heads: raw}, true, heads, false},
		{"carries changes", crdt.SyncInfo{Version: 1, Heads: raw, Changes: 1}, false, heads, false},
		{"asks for changes", crdt.SyncInfo{Version: 1, Heads: raw, Need: 1}, false, heads, false},
		{"we never announced these heads", crdt.SyncInfo{Version: 1, Heads: raw}, false, "", false},
		{"other heads", crdt.SyncInfo{Version: 1}, false, heads, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := &peerSync{sentHeads: tc.sentHeads}
			if got := ps.isPureAck(tc.info, tc.changed, heads); got != tc.want {
				t.Fatalf("isPureAck = %v, want %v", got, tc.want)
			}
		})
	}
}

// ackOf is a pure acknowledgement of heads (HeadsKey form).
func ackOf(t *testing.T, heads string) ([]byte, crdt.SyncInfo) {
	t.Helper()
	m := append([]byte{0x42, byte(len(heads) / 32)}, heads...)
	m = append(m, 0, 0, 0) // no need, no have, no changes
	info, err := crdt.InspectSync(m)
	if err != nil {
		t.Fatal(err)
	}
	return m, info
}

// The room's record of what a peer holds (settled, in flight), from which
// it sends catch-up messages instead of generating (room.answer).
func TestCatchUpBookkeeping(t *testing.T) {
	t.Parallel()
	doc, err := crdt.New("go")
	if err != nil {
		t.Fatal(err)
	}
	heads := []string{doc.HeadsKey()}
	for i := 0; i < 3; i++ {
		if err := doc.Splice(i, 0, "x"); err != nil {
			t.Fatal(err)
		}
		heads = append(heads, doc.HeadsKey())
	}
	ps := newPeerSync(doc)
	defer_ := func(h string) bool {
		t.Helper()
		m, info := ackOf(t, h)
		return ps.deferAck(doc, m, info)
	}
	if defer_(heads[0]) {
		t.Fatal("a fresh peer's acknowledgement was deferred")
	}
	ps.fresh = false
	ps.sent(heads[0]) // automerge generated for it
	if ps.catchUpBase() != "" {
		t.Fatal("a base known before any acknowledgement")
	}
	if defer_(heads[1]) {
		t.Fatal("an acknowledgement of heads never sent was deferred")
	}
	if !defer_(heads[0]) || ps.catchUpBase() != heads[0] {
		t.Fatal("the acknowledgement of what automerge sent did not settle the peer")
	}
	ps.sentCatchUp(heads[1])
	ps.sentCatchUp(heads[2])
	if ps.catchUpBase() != heads[2] {
		t.Fatal("the base is not the last catch-up in flight")
	}
	if !defer_(heads[1]) || ps.settled != heads[1] || len(ps.inFlight) != 1 || ps.catchUpBase() != heads[2] {
		t.Fatalf("acknowledging the first catch-up: settled %x, in flight %d", ps.settled, len(ps.inFlight))
	}
	if defer_(heads[0]) {
		t.Fatal("an acknowledgement of heads older than the last one was deferred")
	}
	if !defer_(heads[2]) || len(ps.inFlight) != 0 || ps.catchUpBase() != heads[2] {
		t.Fatal("acknowledging the last catch-up did not settle the peer there")
	}
	for i := 0; i < maxInFlight; i++ {
		ps.sentCatchUp(heads[3])
	}
	if ps.catchUpBase() != "" {
		t.Fatal("catch-ups kept coming to a peer that acknowledges none")
	}
	ps.sent(heads[3])
	if ps.catchUpBase() != "" || ps.settled != "" {
		t.Fatal("after automerge generated, the base is still taken as known")
	}
	if !defer_(heads[3]) || ps.catchUpBase() != heads[3] {
		t.Fatal("not settled again by its acknowledgement")
	}
	// Any other message: applied, and the base is unknown again.
	c := crdt.Empty()
	cs := c.NewPeerState()
	if err := c.Splice(0, 0, "z"); err != nil {
		t.Fatal(err)
	}
	m, _, err := c.Generate(cs)
	if err != nil {
		t.Fatal(err)
	}
	info, _ := crdt.InspectSync(m)
	if ps.deferAck(doc, m, info) {
		t.Fatal("a message with changes was deferred")
	}
	if _, _, err := ps.receive(doc, m, info); err != nil {
		t.Fatal(err)
	}
	if ps.catchUpBase() != "" {
		t.Fatal("the base survived a message that was not an acknowledgement")
	}
}
