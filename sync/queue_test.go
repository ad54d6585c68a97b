package sync_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/zap"

	pairsync "github.com/pairpad/pairpad/sync"
	"github.com/pairpad/pairpad/sync/wire"
	"github.com/pairpad/pairpad/sync/wireclient"
)

// A peer that does not read is closed with 4408 once its queue holds
// MaxPeerQueueBytes, long before the frame count (SendQueue) would, and the
// close is counted in pairpad_closes_total.
func TestSendQueueIsBoundedInBytes(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, pairsync.Config{SendQueue: 1 << 20, MaxPeerQueueBytes: 1 << 20, FramesPerSecond: 1e6, FrameBurst: 1e6}, nil)
	room := ts.createRoom("go")
	slow := ts.rawJoin(room, "slow-peer") // joins, then never reads
	talker := ts.dial(room, wireclient.ClientOptions{})
	big := make([]byte, 64<<10)
	sent := 0
	// Socket buffers on both sides absorb a few MiB first; 1,000 frames
	// (64 MiB) are far below SendQueue.
	for ; sent < 1000 && ts.hub.Metrics().SlowConsumers.Load() == 0; sent++ {
		if err := talker.SendEphemeral(big); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "slow consumer closed", func() bool { return ts.hub.Metrics().SlowConsumers.Load() >= 1 })
	if code := closeCodeOf(t, slow); code != int(pairsync.CloseSlowConsumer) {
		t.Fatalf("slow peer closed with %d, want %d", code, pairsync.CloseSlowConsumer)
	}
	eventually(t, "4408 counted", func() bool {
		var b bytes.Buffer
		ts.hub.Metrics().WritePrometheus(&b)
		return strings.Contains(b.String(), fmt.Sprintf("pairpad_closes_total{code=\"%d\"} 1\n", pairsync.CloseSlowConsumer))
	})
	t.Logf("closed after %d frames of 64 KiB", sent)
}

// A peer id over MaxPeerIDBytes is refused with 4400 at the join; 256 bytes
// are fine.
func TestLongPeerIDIsRefused(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, pairsync.Config{}, nil)
	room := ts.createRoom("go")
	ok := ts.rawJoin(room, strings.Repeat("p", pairsync.MaxPeerIDBytes))
	_ = ok
	conn := dialJoin(t, ts, room, strings.Repeat("p", pairsync.MaxPeerIDBytes+1))
	if code := closeCodeOf(t, conn); code != int(pairsync.CloseMalformed) {
		t.Fatalf("closed with %d, want %d", code, pairsync.CloseMalformed)
	}
	eventually(t, "4400 counted", func() bool { return ts.hub.Metrics().ClosedByCode[pairsync.CloseMalformed].Load() == 1 })
}

// dialJoin dials and sends a join without waiting for an answer.
func dialJoin(t *testing.T, ts *testServer, room, peerID string) *websocket.Conn {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial(ts.wsURL(room), nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	frame, _ := wire.EncodeFrame(wire.Message{Type: wire.TypeJoin, SenderID: peerID, SupportedProtocolVersions: []string{"1"}})
	if err := conn.WriteMessage(websocket.BinaryMessage, frame); err != nil {
		t.Fatalf("join: %v", err)
	}
	return conn
}

// stuckTransport joins, then never reads: after the handshake every write
// blocks until its deadline and fails, as on a socket whose peer stopped
// reading.
type stuckTransport struct {
	join    []byte
	joined  bool
	writes  int
	closed  chan struct{}
	closeMu stdsync.Once
}

func (s *stuckTransport) ReadFrame(int64) ([]byte, error) {
	if !s.joined {
		s.joined = true
		return s.join, nil
	}
	<-s.closed
	return nil, pairsync.ErrPeerClosed
}
func (s *stuckTransport) SetReadDeadline(time.Time) error { return nil }
func (s *stuckTransport) SetPongHandler(func())           {}
func (s *stuckTransport) WriteFrame(_ []byte, deadline time.Time) error {
	s.writes++
	if s.writes == 1 {
		return nil // the peer message
	}
	time.Sleep(time.Until(deadline))
	return errors.New("write timed out")
}
func (s *stuckTransport) WritePing(time.Time) error               { return nil }
func (s *stuckTransport) WriteClose(int, string, time.Time) error { return nil }
func (s *stuckTransport) Close() error {
	s.closeMu.Do(func() { close(s.closed) })
	return nil
}

// A slow consumer kicked while its writer is blocked in a write ends
// through the write error; its 4408 is counted all the same.
func TestSlowConsumerCountedWhenWriteBlocks(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, pairsync.Config{SendQueue: 2, WriteWait: 300 * time.Millisecond, FramesPerSecond: 1e6, FrameBurst: 1e6}, nil)
	room := ts.createRoom("go")
	join, _ := wire.EncodeFrame(wire.Message{Type: wire.TypeJoin, SenderID: "stuck", SupportedProtocolVersions: []string{"1"}})
	st := &stuckTransport{join: join, closed: make(chan struct{})}
	done := make(chan struct{})
	go func() {
		defer close(done)
		ts.hub.ServeTransport(context.Background(), st, room, zap.NewNop())
	}()
	talker := ts.dial(room, wireclient.ClientOptions{})
	eventually(t, "stuck peer joined", func() bool { return ts.hub.Status(room).Peers == 2 })
	for i := 0; i < 50 && ts.hub.Metrics().SlowConsumers.Load() == 0; i++ {
		if err := talker.SendEphemeral([]byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	eventually(t, "slow consumer kicked", func() bool { return ts.hub.Metrics().SlowConsumers.Load() == 1 })
	<-done
	if n := ts.hub.Metrics().ClosedByCode[pairsync.CloseSlowConsumer].Load(); n != 1 {
		t.Fatalf("pairpad_closes_total{code=\"4408\"} = %d, want 1", n)
	}
}
