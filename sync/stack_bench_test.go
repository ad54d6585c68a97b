package sync_test

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/zap"

	"github.com/pairpad/pairpad/crdt"
	pairsync "github.com/pairpad/pairpad/sync"
	"github.com/pairpad/pairpad/sync/wire"
)

// BenchmarkIdleStacks: the goroutine stack memory an idle room with one
// idle peer holds (the peer's reader and the room's loop), served as the API
// serves WebSockets (StartConn). Each peer joins and syncs one change, then
// everything idles; stacks are read after two collections, which is when
// the runtime shrinks them. Run with -benchtime=1x; the figure is
// stack-B/room.
func BenchmarkIdleStacks(b *testing.B) {
	const rooms = 200
	hub := newTestHub(b, pairsync.Config{})
	ts := serveWS(b, hub, func(conn *websocket.Conn, r *http.Request) {
		go hub.StartConn(context.Background(), conn, r.PathValue("id"), zap.NewNop())
	})
	for i := 0; i < b.N; i++ {
		before, g0 := stackInuse(), runtime.NumGoroutine()
		var conns []*websocket.Conn
		var ids []string
		for j := 0; j < rooms; j++ {
			id := ts.createRoom("go")
			peer := fmt.Sprintf("peer-%d-%d", i, j)
			conn := ts.rawJoin(id, peer)
			doc, err := crdt.New("go")
			if err != nil {
				b.Fatal(err)
			}
			if err := doc.Splice(0, 0, "x"); err != nil {
				b.Fatal(err)
			}
			msg, _, err := doc.Generate(doc.NewPeerState())
			if err != nil {
				b.Fatal(err)
			}
			frame, _ := wire.EncodeFrame(wire.Message{Type: wire.TypeSync, SenderID: peer, DocumentID: id, Data: msg})
			if err := conn.WriteMessage(websocket.BinaryMessage, frame); err != nil {
				b.Fatal(err)
			}
			_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, _, err := conn.ReadMessage(); err != nil {
				b.Fatalf("no answer to the sync message: %v", err)
			}
			conns = append(conns, conn)
			ids = append(ids, id)
		}
		for _, id := range ids {
			deadline := time.Now().Add(5 * time.Second)
			for hub.Status(id).Peers != 1 {
				if time.Now().After(deadline) {
					b.Fatalf("room %s: peer did not join", id)
				}
				time.Sleep(time.Millisecond)
			}
		}
		after, g1 := stackInuse(), runtime.NumGoroutine()
		b.ReportMetric(float64(after-before)/rooms, "stack-B/room")
		b.ReportMetric(float64(g1-g0)/rooms, "goroutines/room")
		for _, c := range conns {
			_ = c.Close()
		}
	}
}

func stackInuse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.StackInuse
}
