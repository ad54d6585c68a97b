package sync_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/persistence"
	pairsync "github.com/pairpad/pairpad/sync"
	"github.com/pairpad/pairpad/sync/wire"
)

// pipeTransport is a Transport fed by a channel (frames from the peer) and
// draining what the server writes.
type pipeTransport struct {
	in     chan []byte
	out    chan []byte
	closed chan struct{}
}

func newPipe() *pipeTransport {
	return &pipeTransport{in: make(chan []byte, 16), out: make(chan []byte, 1024), closed: make(chan struct{})}
}

func (p *pipeTransport) ReadFrame(limit int64) ([]byte, error) {
	select {
	case f, ok := <-p.in:
		if !ok {
			return nil, pairsync.ErrPeerClosed
		}
		if int64(len(f)) > limit {
			return f[:limit+1], pairsync.ErrFrameTooLarge
		}
		return f, nil
	case <-p.closed:
		return nil, pairsync.ErrPeerClosed
	}
}
func (p *pipeTransport) SetReadDeadline(time.Time) error { return nil }
func (p *pipeTransport) SetPongHandler(func())           {}
func (p *pipeTransport) WriteFrame(f []byte, _ time.Time) error {
	select {
	case p.out <- f:
	default:
	}
	return nil
}
func (p *pipeTransport) WritePing(time.Time) error               { return nil }
func (p *pipeTransport) WriteClose(int, string, time.Time) error { return nil }
func (p *pipeTransport) Close() error {
	select {
	case <-p.closed:
	default:
		close(p.closed)
	}
	return nil
}

// FuzzSyncSocket sends arbitrary frames on a /sync socket after its join:
// the server never panics, and once the socket is gone no document stays
// open or loaded (nothing leaks per document).
func FuzzSyncSocket(f *testing.F) {
	one := uint64(1)
	id := crdt.NewDocumentID()
	req, _, _ := crdt.Empty().Generate(crdt.Empty().NewPeerState())
	doc, _ := crdt.New("go")
	_ = doc.Splice(0, 0, "x")
	create, _, _ := doc.Generate(doc.NewPeerState())
	for _, m := range []wire.Message{
		{Type: wire.TypeRequest, SenderID: "p1", DocumentID: id, Data: req},
		{Type: wire.TypeSync, SenderID: "p1", DocumentID: id, Data: create},
		{Type: wire.TypeSync, SenderID: "p1", DocumentID: id, Data: []byte{0x42, 0xff}},
		{Type: wire.TypeSync, SenderID: "p1", DocumentID: "automerge:" + id, Data: req},
		{Type: wire.TypeRequest, SenderID: "p1", DocumentID: "1111111111111111", Data: req},
		{Type: wire.TypeEphemeral, SenderID: "p1", DocumentID: id, SessionID: "s", Count: &one, Data: []byte{0xa0}},
		{Type: wire.TypeDocUnavailable, SenderID: "p1", DocumentID: id},
		{Type: wire.TypeRemoteSubscriptionChange, SenderID: "p1"},
		{Type: wire.TypeLeave, SenderID: "p1"},
	} {
		b, _ := wire.EncodeFrame(m)
		f.Add(b)
	}
	f.Add([]byte{0xff})
	f.Fuzz(func(t *testing.T, frame []byte) {
		hub := pairsync.NewHub(pairsync.Config{}, persistence.NewMemory(), zap.NewNop())
		defer func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = hub.Shutdown(ctx)
		}()
		p := newPipe()
		done := make(chan struct{})
		go func() {
			defer close(done)
			hub.ServeSync(context.Background(), p, pairsync.SyncAccess{Role: pairsync.RoleEditor, Docs: []string{pairsync.AnyDoc}}, zap.NewNop())
		}()
		join, _ := wire.EncodeFrame(wire.Message{Type: wire.TypeJoin, SenderID: "p1", SupportedProtocolVersions: []string{"1"}})
		p.in <- join
		p.in <- frame
		p.in <- frame
		close(p.in)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("ServeSync did not return after the peer closed")
		}
		m := hub.Metrics()
		deadline := time.Now().Add(5 * time.Second)
		for m.SyncDocsOpen.Load() != 0 || m.RoomsLoaded.Load() != 0 || m.SyncSockets.Load() != 0 {
			if time.Now().After(deadline) {
				t.Fatalf("after the socket closed: %d documents open, %d rooms loaded, %d sockets",
					m.SyncDocsOpen.Load(), m.RoomsLoaded.Load(), m.SyncSockets.Load())
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}
