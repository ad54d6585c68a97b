package sync

import (
	"fmt"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/pairpad/pairpad/crdt"

	"github.com/pairpad/pairpad/sync/wire"
)

// benchRoom is a room driven directly (no sockets): the costs measured are
// the room goroutine's own, per keystroke.
type benchRoom struct {
	r       *room
	peers   []*peer
	clients []*crdt.Doc
	states  []*crdt.PeerState
}

func newBenchRoom(b *testing.B, nPeers, textLen int) *benchRoom {
	b.Helper()
	h := &Hub{cfg: Config{SendQueue: 1 << 16}.withDefaults(), log: zap.NewNop(), metrics: &Metrics{}, peerID: "srv"}
	r := newRoom(h, "room", nil)
	doc, err := crdt.New("go")
	if err != nil {
		b.Fatal(err)
	}
	// A document typed one change per character, like a live session.
	line := "fn main() { println!(\"hello\"); }\n"
	text := strings.Repeat(line, textLen/len(line)+1)[:textLen]
	for i, ch := range text {
		if err := doc.Splice(i, 0, string(ch)); err != nil {
			b.Fatal(err)
		}
	}
	r.doc = doc
	br := &benchRoom{r: r}
	saved, _ := doc.Save()
	for i := 0; i < nPeers; i++ {
		p := newPeer(h, nil, Grant{Role: RoleEditor}, zap.NewNop())
		p.id = fmt.Sprintf("p%d", i)
		r.handle(event{kind: evJoin, peer: p})
		c, err := crdt.Load(saved)
		if err != nil {
			b.Fatal(err)
		}
		br.peers = append(br.peers, p)
		br.clients = append(br.clients, c)
		br.states = append(br.states, c.NewPeerState())
	}
	br.settle(b)
	return br
}

// deliver hands every queued frame to its client; it returns the clients'
// replies as frames for the room (not counted by the caller's timer).
func (br *benchRoom) deliver(b *testing.B) []event {
	var evs []event
	for i, p := range br.peers {
		got := false
		for _, f := range p.takeQueued() {
			p.dequeued(f)
			m, err := wire.DecodeFrame(f)
			if err != nil {
				b.Fatal(err)
			}
			if m.Type != wire.TypeSync {
				continue
			}
			if _, err := br.clients[i].Receive(br.states[i], m.Data); err != nil {
				b.Fatal(err)
			}
			got = true
		}
		if got {
			if out, ok, err := br.clients[i].Generate(br.states[i]); err != nil {
				b.Fatal(err)
			} else if ok {
				evs = append(evs, event{kind: evFrame, peer: p, msg: &wire.Message{Type: wire.TypeSync, SenderID: p.id, DocumentID: "room", Data: out}})
			}
		}
	}
	return evs
}

// settle runs the protocol until nobody has anything to say.
func (br *benchRoom) settle(b *testing.B) {
	for i := 0; i < 20; i++ {
		for j := range br.peers {
			if out, ok, err := br.clients[j].Generate(br.states[j]); err != nil {
				b.Fatal(err)
			} else if ok {
				br.r.handle(event{kind: evFrame, peer: br.peers[j], msg: &wire.Message{Type: wire.TypeSync, SenderID: br.peers[j].id, DocumentID: "room", Data: out}})
			}
		}
		br.r.generate()
		if len(br.deliver(b)) == 0 {
			quiet := true
			for _, p := range br.peers {
				if p.pending() > 0 {
					quiet = false
				}
			}
			if quiet {
				return
			}
		}
	}
}

// BenchmarkRoomKeystroke: the room receives one keystroke's sync message
// from a typist, generates for every peer, then handles the peers' acks —
// the room goroutine's whole work per keystroke.
func BenchmarkRoomKeystroke(b *testing.B) {
	for _, n := range []int{2, 10, 50} {
		b.Run(fmt.Sprintf("peers=%d", n), func(b *testing.B) {
			br := newBenchRoom(b, n, 2000)
			typist := br.clients[0]
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				if err := typist.Splice(i%1000, 0, "x"); err != nil {
					b.Fatal(err)
				}
				out, ok, err := typist.Generate(br.states[0])
				if err != nil || !ok {
					b.Fatalf("typist generate: %v %v", ok, err)
				}
				ev := event{kind: evFrame, peer: br.peers[0], msg: &wire.Message{Type: wire.TypeSync, SenderID: "p0", DocumentID: "room", Data: out}}
				b.StartTimer()
				br.r.handle(ev)
				br.r.generate()
				for round := 0; round < 4; round++ {
					b.StopTimer()
					acks := br.deliver(b)
					b.StartTimer()
					if len(acks) == 0 {
						break
					}
					for _, a := range acks {
						br.r.handle(a)
					}
					br.r.generate()
				}
			}
		})
	}
}

// BenchmarkRoomGenerate: after one change, generate the sync message for
// each of N peers (the fan-out part of a keystroke).
func BenchmarkRoomGenerate(b *testing.B) {
	for _, n := range []int{2, 10, 50} {
		b.Run(fmt.Sprintf("peers=%d", n), func(b *testing.B) {
			br := newBenchRoom(b, n, 2000)
			typist := br.clients[0]
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				_ = typist.Splice(i%1000, 0, "x")
				out, _, _ := typist.Generate(br.states[0])
				br.r.handle(event{kind: evFrame, peer: br.peers[0], msg: &wire.Message{Type: wire.TypeSync, SenderID: "p0", DocumentID: "room", Data: out}})
				b.StartTimer()
				br.r.generate()
				b.StopTimer()
				for round := 0; round < 4; round++ {
					acks := br.deliver(b)
					if len(acks) == 0 {
						break
					}
					for _, a := range acks {
						br.r.handle(a)
					}
					br.r.generate()
				}
				b.StartTimer()
			}
		})
	}
}

func benchSyncMessage() wire.Message {
	doc, _ := crdt.New("go")
	_ = doc.Splice(0, 0, "hello")
	ps := doc.NewPeerState()
	data, _, _ := doc.Generate(ps)
	return wire.Message{Type: wire.TypeSync, SenderID: "peer-0123456789", TargetID: "pairpad-0123456789abcdef", DocumentID: crdt.NewDocumentID(), Data: data}
}

func BenchmarkEncodeFrame(b *testing.B) {
	m := benchSyncMessage()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := wire.EncodeFrame(m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeFrame(b *testing.B) {
	frame, _ := wire.EncodeFrame(benchSyncMessage())
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := wire.DecodeFrame(frame); err != nil {
			b.Fatal(err)
		}
	}
}
