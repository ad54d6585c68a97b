package sync_test

import (
	"slices"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/pairpad/pairpad/crdt"
	pairsync "github.com/pairpad/pairpad/sync"
	"github.com/pairpad/pairpad/sync/wire"
)

// remoteHeadsMsg is a remote-heads-changed as a client reads it (the
// server's decoder skips newHeads, which it only sends).
type remoteHeadsMsg struct {
	Type       string                      `cbor:"type"`
	SenderID   string                      `cbor:"senderId"`
	TargetID   string                      `cbor:"targetId"`
	DocumentID string                      `cbor:"documentId"`
	NewHeads   map[string]wire.RemoteHeads `cbor:"newHeads"`
}

func decodeRemoteHeads(t *testing.T, frame []byte) remoteHeadsMsg {
	var m remoteHeadsMsg
	if err := cbor.Unmarshal(frame, &m); err != nil {
		t.Errorf("remote-heads-changed: %v", err)
	}
	return m
}

func storage(id string, ephemeral bool) *wire.PeerMetadata {
	return &wire.PeerMetadata{StorageID: id, IsEphemeral: &ephemeral}
}

// heardHeads reports whether c was told heads as the heads of storage id
// for document doc.
func (c *muxClient) heardHeads(doc, id string, heads []string) bool {
	for _, g := range c.gossip {
		if rh, ok := g.NewHeads[id]; ok && g.DocumentID == doc && slices.Equal(rh.Heads, heads) && rh.Timestamp > 0 {
			return true
		}
	}
	return false
}

func urlHeads(c *muxClient, doc string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var raw [][]byte
	for _, h := range c.docs[doc].doc.Heads() {
		raw = append(raw, h[:])
	}
	return crdt.EncodeURLHeads(raw)
}

func TestRemoteHeadsGossip(t *testing.T) {
	ts := newSyncServer(t, pairsync.Config{}, nil, editorOfAll())
	alice := dialSyncWith(t, ts, "alice", storage("store-alice", false))
	bob := dialSyncWith(t, ts, "bob", storage("store-bob", false))
	carol := dialSyncWith(t, ts, "carol", nil) // subscribes to nothing
	eph := dialSyncWith(t, ts, "eph", storage("store-eph", true))

	doc := crdt.NewDocumentID()
	alice.create(doc, newTextDoc(t, "fn main() {}"))
	for _, c := range []*muxClient{bob, carol, eph} {
		c.request(doc)
		c.wait("the document", func() bool { return c.text(doc) == "fn main() {}" })
	}

	// A subscription is answered at once with the heads the room knows.
	first := urlHeads(alice, doc)
	bob.send(wire.Message{Type: wire.TypeRemoteSubscriptionChange, SenderID: "bob", TargetID: bob.server, Add: []string{"store-alice", "store-eph"}})
	bob.wait("alice's heads on subscribing", func() bool { return bob.heardHeads(doc, "store-alice", first) })

	// New heads reach the subscriber as alice syncs them.
	alice.edit(doc, func(d *crdt.Doc) error { return d.Splice(0, 0, "// hi\n") }, false)
	second := urlHeads(alice, doc)
	if slices.Equal(first, second) {
		t.Fatal("heads did not change with the edit")
	}
	bob.wait("alice's new heads", func() bool { return bob.heardHeads(doc, "store-alice", second) })

	// An ephemeral peer's heads are never gossiped (automerge-repo does not
	// either); a peer that did not subscribe hears nothing.
	eph.wait("alice's edit", func() bool { return eph.text(doc) == "// hi\nfn main() {}" })
	eph.edit(doc, func(d *crdt.Doc) error { return d.Splice(0, 0, "x") }, false)
	bob.wait("the ephemeral peer's edit", func() bool { return bob.text(doc) == "x// hi\nfn main() {}" })
	carol.wait("the ephemeral peer's edit", func() bool { return carol.text(doc) == "x// hi\nfn main() {}" })
	bob.mu.Lock()
	for _, g := range bob.gossip {
		if _, ok := g.NewHeads["store-eph"]; ok {
			t.Errorf("heads of an ephemeral peer were gossiped: %+v", g)
		}
	}
	bob.mu.Unlock()
	carol.mu.Lock()
	if len(carol.gossip) != 0 {
		t.Errorf("a peer without subscriptions got gossip: %+v", carol.gossip)
	}
	carol.mu.Unlock()
	if ts.hub.Metrics().RemoteHeadsSent.Load() < 2 {
		t.Errorf("pairpad_remote_heads_sent_total = %d, want at least 2", ts.hub.Metrics().RemoteHeadsSent.Load())
	}
}

func TestRemoteSubscriptionsAreBounded(t *testing.T) {
	ts := newSyncServer(t, pairsync.Config{MaxRemoteSubscriptions: 2}, nil, editorOfAll())
	alice := dialSyncWith(t, ts, "alice", storage("store-alice", false))
	bob := dialSyncWith(t, ts, "bob", storage("store-bob", false))
	doc := crdt.NewDocumentID()
	alice.create(doc, newTextDoc(t, "a"))
	bob.request(doc)
	bob.wait("the document", func() bool { return bob.text(doc) == "a" })

	// Two other ids fill bob's subscriptions; alice's, third, is ignored.
	long := string(make([]byte, 200))
	bob.send(wire.Message{Type: wire.TypeRemoteSubscriptionChange, SenderID: "bob", Add: []string{"s1", long, "s2", "store-alice"}})
	eventually(t, "refused subscriptions counted", func() bool { return ts.hub.Metrics().RemoteSubsRefused.Load() == 2 })
	alice.edit(doc, func(d *crdt.Doc) error { return d.Splice(1, 0, "b") }, false)
	bob.wait("alice's edit", func() bool { return bob.text(doc) == "ab" })

	// Removing one makes room for alice's.
	bob.send(wire.Message{Type: wire.TypeRemoteSubscriptionChange, SenderID: "bob", Remove: []string{"s1"}, Add: []string{"store-alice"}})
	want := urlHeads(alice, doc)
	bob.wait("alice's heads after the swap", func() bool { return bob.heardHeads(doc, "store-alice", want) })
	bob.mu.Lock()
	defer bob.mu.Unlock()
	if n := len(bob.gossip); n != 1 {
		t.Errorf("bob got %d gossip messages before subscribing to alice's storage id was allowed, want 1 in all: %+v", n, bob.gossip)
	}
}
