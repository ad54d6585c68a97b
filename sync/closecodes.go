package sync

// CloseCode is a WebSocket close code sent by Pairpad. The table below is
// the only place codes are defined; the README documents it.
type CloseCode int

// Close codes. 4xxx mirror HTTP statuses where one fits.
const (
	CloseNormal          CloseCode = 1000 // the peer left or asked to close
	CloseGoingAway       CloseCode = 1001 // server shutting down
	CloseInternal        CloseCode = 1011 // unexpected server error
	CloseMalformed       CloseCode = 4400 // frame is not CBOR, or not a protocol message of the right shape
	CloseUnauthorized    CloseCode = 4401 // the link was revoked or the token expired while connected
	CloseForbidden       CloseCode = 4403 // a viewer, or a navigator in driver mode, sent changes
	CloseRoomNotFound    CloseCode = 4404 // the room does not exist (any more)
	CloseSlowConsumer    CloseCode = 4408 // the peer did not read fast enough; it resyncs on reconnect
	CloseReplaced        CloseCode = 4409 // the same peer id joined again on another socket
	CloseTooLarge        CloseCode = 4413 // frame over MaxFrameBytes
	CloseSyncRejected    CloseCode = 4422 // automerge rejected a sync message
	CloseProtocolVersion CloseCode = 4426 // no supported protocol version in join
	CloseTooFast         CloseCode = 4429 // frame rate over the limit
	CloseOverloaded      CloseCode = 4503 // the server's memory budget (MaxMemory) cannot take another room now
	CloseDocTooLarge     CloseCode = 4507 // a change would take the document over MaxDocBytes
)

// CloseInfo describes a close code.
type CloseInfo struct {
	Code CloseCode
	// Reason is the close reason text sent to the client.
	Reason string
	// Retry says whether a client should reconnect (with backoff).
	Retry bool
}

// CloseTable lists every close code Pairpad sends, in order.
var CloseTable = []CloseInfo{
	{CloseNormal, "normal closure", false},
	{CloseGoingAway, "server going away", true},
	{CloseInternal, "internal error", true},
	{CloseMalformed, "malformed frame", false},
	{CloseUnauthorized, "unauthorized", false},
	{CloseForbidden, "forbidden", false},
	{CloseRoomNotFound, "room not found", false},
	{CloseSlowConsumer, "slow consumer", true},
	{CloseReplaced, "replaced by a newer connection of the same peer", false},
	{CloseTooLarge, "frame too large", false},
	{CloseSyncRejected, "sync message rejected", false},
	{CloseProtocolVersion, "unsupported protocol version", false},
	{CloseTooFast, "too many frames", true},
	{CloseOverloaded, "server busy: memory budget full, try again later", true},
	{CloseDocTooLarge, "document too large: the change would take it over the room size limit", false},
}

// Info returns the table row for c.
func (c CloseCode) Info() CloseInfo {
	for _, ci := range CloseTable {
		if ci.Code == c {
			return ci
		}
	}
	return CloseInfo{Code: c, Reason: "unknown", Retry: true}
}

// Retryable says whether a client should reconnect after this code.
func (c CloseCode) Retryable() bool { return c.Info().Retry }
