package sync_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	pairsync "github.com/pairpad/pairpad/sync"

	"github.com/pairpad/pairpad/sync/wire"
	"github.com/pairpad/pairpad/sync/wireclient"
)

// Every bad frame has a defined outcome and leaves the room and the other
// peers working.
func TestBadInput(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, pairsync.Config{MaxFrameBytes: 64 << 10, FramesPerSecond: 50, FrameBurst: 100}, nil)
	room := ts.createRoom("go")
	a := ts.dial(room, wireclient.ClientOptions{})
	b := ts.dial(room, wireclient.ClientOptions{})
	enc := func(m wire.Message) []byte {
		f, err := wire.EncodeFrame(m)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	one := uint64(1)
	cases := []struct {
		name  string
		join  bool // join first
		typ   int
		frame func(peer string) []byte
		code  int // expected close code; 0 = frame dropped, socket stays open
	}{
		{"not CBOR", true, websocket.BinaryMessage, func(string) []byte { return []byte{0xff, 0x00, 0x13} }, 4400},
		{"CBOR but not a map", true, websocket.BinaryMessage, func(string) []byte { return []byte{0x83, 1, 2, 3} }, 4400},
		{"type of wrong kind", true, websocket.BinaryMessage, func(string) []byte { return []byte{0xa1, 0x64, 't', 'y', 'p', 'e', 0x01} }, 4400},
		{"sync without data", true, websocket.BinaryMessage, func(p string) []byte {
			return enc(wire.Message{Type: "sync", SenderID: p, DocumentID: room})
		}, 4400},
		{"ephemeral without count", true, websocket.BinaryMessage, func(p string) []byte {
			return enc(wire.Message{Type: "ephemeral", SenderID: p, DocumentID: room, SessionID: "s", Data: []byte{1}})
		}, 4400},
		{"text frame", true, websocket.TextMessage, func(string) []byte { return []byte(`{"type":"sync"}`) }, 4400},
		{"first frame not join", false, websocket.BinaryMessage, func(p string) []byte {
			return enc(wire.Message{Type: "sync", SenderID: p, DocumentID: room, Data: []byte{0x42, 0, 0, 0, 0}})
		}, 4400},
		{"sync automerge rejects", true, websocket.BinaryMessage, func(p string) []byte {
			return enc(wire.Message{Type: "sync", SenderID: p, DocumentID: room, Data: []byte{0x42, 0, 0, 0, 1, 4, 9, 9, 9, 9}})
		}, 4422},
		{"v2 from a client", true, websocket.BinaryMessage, func(p string) []byte {
			return enc(wire.Message{Type: "sync", SenderID: p, DocumentID: room, Data: []byte{0x43, 0, 0, 0, 1, 3, 1, 2, 3}})
		}, 4422},
		{"frame over the limit", true, websocket.BinaryMessage, func(p string) []byte {
			return enc(wire.Message{Type: "ephemeral", SenderID: p, DocumentID: room, SessionID: "s", Count: &one, Data: bytes.Repeat([]byte{1}, 70<<10)})
		}, 4413},
		{"unknown message type", true, websocket.BinaryMessage, func(p string) []byte {
			return enc(wire.Message{Type: "teleport", SenderID: p})
		}, 0},
		{"foreign senderId", true, websocket.BinaryMessage, func(string) []byte {
			return enc(wire.Message{Type: "ephemeral", SenderID: a.PeerID(), DocumentID: room, SessionID: "forged", Count: &one, Data: []byte{1}})
		}, 0},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			peer := "bad-" + string(rune('a'+i))
			var conn *websocket.Conn
			if c.join {
				conn = ts.rawJoin(room, peer)
			} else {
				var err error
				conn, _, err = websocket.DefaultDialer.Dial(ts.wsURL(room), nil)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
			}
			if err := conn.WriteMessage(c.typ, c.frame(peer)); err != nil {
				t.Fatal(err)
			}
			if c.code != 0 {
				if got := closeCodeOf(t, conn); got != c.code {
					t.Fatalf("closed with %d, want %d", got, c.code)
				}
			} else {
				// Still open: a valid request is answered.
				first := wire.Message{Type: "doc-unavailable", SenderID: peer, DocumentID: "x"}
				if err := conn.WriteMessage(websocket.BinaryMessage, enc(first)); err != nil {
					t.Fatal(err)
				}
				if err := conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(time.Second)); err != nil {
					t.Fatalf("socket closed after a dropped frame: %v", err)
				}
				_ = conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
				if _, _, err := conn.ReadMessage(); err != nil {
					if ce, ok := err.(*websocket.CloseError); ok {
						t.Fatalf("socket closed with %d after a dropped frame", ce.Code)
					}
				}
			}
			// The room and the other peers carry on.
			text := "after " + c.name
			if err := a.Splice(0, len([]rune(a.Text())), text); err != nil {
				t.Fatal(err)
			}
			waitText(t, b, text)
		})
	}
	if ts.hub.Metrics().FramesDropped.Load() < 2 {
		t.Fatalf("dropped frames counted: %d", ts.hub.Metrics().FramesDropped.Load())
	}
}

func TestUnsupportedProtocolVersion(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, pairsync.Config{}, nil)
	room := ts.createRoom("go")
	conn, _, err := websocket.DefaultDialer.Dial(ts.wsURL(room), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	f, _ := wire.EncodeFrame(wire.Message{Type: "join", SenderID: "future", SupportedProtocolVersions: []string{"2"}})
	if err := conn.WriteMessage(websocket.BinaryMessage, f); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, data, err := conn.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	m, err := wire.DecodeFrame(data)
	if err != nil || m.Type != "error" || m.ErrorMessage == "" {
		t.Fatalf("want an error message, got %+v %v", m, err)
	}
	if code := closeCodeOf(t, conn); code != int(pairsync.CloseProtocolVersion) {
		t.Fatalf("closed with %d, want %d", code, pairsync.CloseProtocolVersion)
	}
}

func TestFrameRateLimit(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, pairsync.Config{FramesPerSecond: 10, FrameBurst: 20}, nil)
	room := ts.createRoom("go")
	conn := ts.rawJoin(room, "flooder")
	one := uint64(0)
	for i := 0; i < 100; i++ {
		one++
		c := one
		f, _ := wire.EncodeFrame(wire.Message{Type: "ephemeral", SenderID: "flooder", DocumentID: room, SessionID: "s", Count: &c, Data: []byte{1}})
		if conn.WriteMessage(websocket.BinaryMessage, f) != nil {
			break
		}
	}
	if code := closeCodeOf(t, conn); code != int(pairsync.CloseTooFast) {
		t.Fatalf("closed with %d, want %d", code, pairsync.CloseTooFast)
	}
}

func TestCloseTableIsConsistent(t *testing.T) {
	seen := map[pairsync.CloseCode]bool{}
	for _, ci := range pairsync.CloseTable {
		if seen[ci.Code] || ci.Reason == "" {
			t.Fatalf("duplicate or unnamed code %d", ci.Code)
		}
		seen[ci.Code] = true
		if ci.Code.Info() != ci {
			t.Fatalf("Info(%d) disagrees with the table", ci.Code)
		}
	}
	if !pairsync.CloseSlowConsumer.Retryable() || pairsync.CloseMalformed.Retryable() || !pairsync.CloseGoingAway.Retryable() {
		t.Fatal("retry flags wrong")
	}
}
