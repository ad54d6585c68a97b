package sync

import (
	"errors"
	"io"
	"time"

	"github.com/gorilla/websocket"
)

// Transport is one peer's message-oriented connection, as the sync core sees
// it: a room and its peers never touch a *websocket.Conn. One goroutine reads
// (ReadFrame); one goroutine at a time writes frames and the close
// (WriteFrame, WriteClose); WritePing may run beside them (a timer sends the
// keep-alive pings; gorilla's WriteControl allows it); SetReadDeadline and
// Close may be called from any (the writer cuts a closing connection's reads
// short).
type Transport interface {
	// ReadFrame returns the next message. A message over limit bytes returns
	// its first limit+1 bytes and ErrFrameTooLarge; a text message returns
	// ErrTextFrame; a close from the other side returns ErrPeerClosed.
	ReadFrame(limit int64) ([]byte, error)
	// SetReadDeadline bounds the next reads; onPong (set once, before
	// reading) runs on the reading goroutine whenever a pong arrives.
	SetReadDeadline(t time.Time) error
	SetPongHandler(onPong func())
	// WriteFrame writes one binary message before deadline.
	WriteFrame(frame []byte, deadline time.Time) error
	// WritePing sends a keep-alive ping before deadline.
	WritePing(deadline time.Time) error
	// WriteClose sends a close message with code and reason before deadline.
	WriteClose(code int, reason string, deadline time.Time) error
	// Close drops the connection.
	Close() error
}

// Transport errors.
var (
	ErrFrameTooLarge = errors.New("frame too large")
	ErrTextFrame     = errors.New("text frame; the protocol is binary CBOR")
	ErrPeerClosed    = errors.New("connection closed by the peer")
)

// WebSocketTransport adapts a gorilla WebSocket to Transport.
func WebSocketTransport(conn *websocket.Conn) Transport { return wsTransport{conn} }

type wsTransport struct{ c *websocket.Conn }

func (t wsTransport) ReadFrame(limit int64) ([]byte, error) {
	typ, rd, err := t.c.NextReader()
	return readBody(typ, rd, err, limit)
}

// readBody is the rest of ReadFrame once gorilla's NextReader has returned
// (peer.readLoop waits in NextReader itself and calls this).
func readBody(typ int, rd io.Reader, err error, limit int64) ([]byte, error) {
	if err != nil {
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return nil, ErrPeerClosed
		}
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(rd, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return data, ErrFrameTooLarge
	}
	if typ != websocket.BinaryMessage {
		return data, ErrTextFrame
	}
	return data, nil
}

func (t wsTransport) SetReadDeadline(d time.Time) error { return t.c.SetReadDeadline(d) }

func (t wsTransport) SetPongHandler(onPong func()) {
	t.c.SetPongHandler(func(string) error { onPong(); return nil })
}

func (t wsTransport) WriteFrame(frame []byte, deadline time.Time) error {
	_ = t.c.SetWriteDeadline(deadline)
	return t.c.WriteMessage(websocket.BinaryMessage, frame)
}

func (t wsTransport) WritePing(deadline time.Time) error {
	return t.c.WriteControl(websocket.PingMessage, nil, deadline)
}

func (t wsTransport) WriteClose(code int, reason string, deadline time.Time) error {
	return t.c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), deadline)
}

func (t wsTransport) Close() error { return t.c.Close() }
