package sync

import (
	"bytes"
	"testing"

	"go.uber.org/zap"

	"github.com/pairpad/pairpad/crdt"

	"github.com/pairpad/pairpad/sync/wire"
)

func seedFrames(f *testing.F) {
	one := uint64(1)
	doc, _ := crdt.New("go")
	ps := crdt.Empty().NewPeerState()
	first, _, _ := crdt.Empty().GenerateAdvertisingV2(ps)
	_ = doc
	for _, m := range []wire.Message{
		{Type: wire.TypeJoin, SenderID: "p1", SupportedProtocolVersions: []string{"1"}, PeerMetadata: &wire.PeerMetadata{StorageID: "s"}},
		{Type: wire.TypeRequest, SenderID: "p1", TargetID: "srv", DocumentID: "d", Data: first},
		{Type: wire.TypeSync, SenderID: "p1", TargetID: "srv", DocumentID: "d", Data: []byte{0x42, 0, 0, 0, 0}},
		{Type: wire.TypeEphemeral, SenderID: "p1", DocumentID: "d", SessionID: "x", Count: &one, Data: []byte{0xa0}},
		{Type: wire.TypeDocUnavailable, SenderID: "p1", DocumentID: "d"},
		{Type: "remote-heads-changed", SenderID: "p1"},
	} {
		b, _ := wire.EncodeFrame(m)
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{0xff})
	f.Add([]byte{0xa1, 0x64, 't', 'y', 'p', 'e', 0x01})
}

// FuzzRoomHandleFrame drives a room's message handling (the sync handler)
// with arbitrary frames from one peer while a second peer watches: it must
// never panic, and the room must keep serving the second peer.
func FuzzRoomHandleFrame(f *testing.F) {
	seedFrames(f)
	f.Fuzz(func(t *testing.T, frame []byte) {
		msg, err := wire.DecodeFrame(frame)
		if err != nil {
			return
		}
		checkRoomSurvives(t, msg)
	})
}

// FuzzRoomSyncData feeds arbitrary bytes as the data of a sync message: what
// automerge rejects closes only the sender.
func FuzzRoomSyncData(f *testing.F) {
	first, _, _ := crdt.Empty().GenerateAdvertisingV2(crdt.Empty().NewPeerState())
	f.Add(first)
	f.Add([]byte{0x42, 0, 0, 0, 0})
	f.Add([]byte{0x43, 0, 0, 0, 1, 3, 1, 2, 3})
	f.Add([]byte{0x42, 1})
	doc, _ := crdt.New("go")
	saved, _ := doc.Save()
	f.Add(append([]byte{0x42, 0, 0, 0, 1, byte(len(saved))}, saved...))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		checkRoomSurvives(t, wire.Message{Type: wire.TypeSync, DocumentID: "room", Data: data})
	})
}

func checkRoomSurvives(t *testing.T, msg wire.Message) {
	{
		h := &Hub{cfg: Config{}.withDefaults(), log: zap.NewNop(), metrics: &Metrics{}, peerID: "srv"}
		r := newRoom(h, "room", nil)
		doc, _ := crdt.New("go")
		_ = doc.Splice(0, 0, "hello")
		r.doc = doc
		bad := newPeer(h, nil, Grant{Role: RoleEditor}, zap.NewNop())
		good := newPeer(h, nil, Grant{Role: RoleEditor}, zap.NewNop())
		bad.id, good.id = "bad", "good"
		r.handle(event{kind: evJoin, peer: bad})
		r.handle(event{kind: evJoin, peer: good})
		msg.SenderID = "bad"
		if msg.Type == wire.TypeRequest || msg.Type == wire.TypeSync || msg.Type == wire.TypeEphemeral {
			msg.DocumentID = "room" // reach the interesting paths
		}
		r.handle(event{kind: evFrame, peer: bad, msg: &msg})
		r.generate()

		// The good peer can still sync the whole document.
		client := crdt.Empty()
		cs := client.NewPeerState()
		for i := 0; i < 10; i++ {
			out, ok, err := client.GenerateAdvertisingV2(cs)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				r.handle(event{kind: evFrame, peer: good, msg: &wire.Message{Type: wire.TypeSync, SenderID: "good", DocumentID: "room", Data: out}})
				r.generate()
			}
			for _, f := range good.takeQueued() {
				good.dequeued(f)
				reply, err := wire.DecodeFrame(f)
				if err != nil {
					t.Fatal(err)
				}
				if reply.Type == wire.TypeSync {
					if _, _, err := client.ReceiveFromServer(cs, reply.Data); err != nil {
						t.Fatalf("good peer could not apply the room's message: %v", err)
					}
				}
			}
		}
		want, _ := r.doc.Text()
		got, _ := client.Text()
		if got != want || !bytes.Contains([]byte(got), []byte("hello")) {
			t.Fatalf("good peer has %q, room has %q", got, want)
		}
		select {
		case <-good.kicked:
			t.Fatalf("good peer was closed with %d", good.kickCode)
		default:
		}
	}
}
