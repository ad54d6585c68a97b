package crdt

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Sync message wire constants, as specified by automerge's sync protocol
// (rust/automerge/src/sync.rs): a type byte, then heads, need, have and
// changes, then (newer peers only) the list of capabilities they support.
const (
	syncTypeV1 byte = 0x42
	syncTypeV2 byte = 0x43

	capabilityV2 byte = 0x02

	hashLen = 32
)

// Every length or count read while inspecting a message is checked against
// the bytes that remain in it, so a hostile length prefix can neither make us
// allocate more than the message nor loop without end. There is no other
// cap: a message is as large as the frame that carried it (the server's
// MaxFrameBytes), so a single change up to that size is accepted.

// ErrMalformedSync is returned for bytes that are not an Automerge sync message.
var ErrMalformedSync = errors.New("malformed sync message")

// SyncInfo is what the server needs to know about a sync message before
// handing it to automerge: who is new, who can take a v2 message.
type SyncInfo struct {
	Version    int      // 1 or 2
	Heads      [][]byte // the sender's heads (32-byte hashes)
	Need       int      // number of hashes the sender asks for
	Have       int      // number of "have" summaries
	Changes    int      // number of change chunks
	SupportsV2 bool     // the sender advertised the v2 message capability
	chunks     [][]byte // change chunks (slices into the original message)
}

// InspectSync decodes the framing of a sync message without applying it.
// It never panics and never allocates more than the message's own size.
func InspectSync(msg []byte) (SyncInfo, error) {
	var info SyncInfo
	r := reader{buf: msg}
	t, err := r.byte()
	if err != nil {
		return info, err
	}
	switch t {
	case syncTypeV1:
		info.Version = 1
	case syncTypeV2:
		info.Version = 2
	default:
		return info, fmt.Errorf("%w: type byte 0x%02x", ErrMalformedSync, t)
	}
	if info.Heads, err = r.hashes(); err != nil {
		return info, err
	}
	need, err := r.hashes()
	if err != nil {
		return info, err
	}
	info.Need = len(need)
	nHave, err := r.count()
	if err != nil {
		return info, err
	}
	for i := 0; i < nHave; i++ {
		if _, err := r.hashes(); err != nil {
			return info, err
		}
		if _, err := r.bytes(); err != nil {
			return info, err
		}
	}
	info.Have = nHave
	nChanges, err := r.count()
	if err != nil {
		return info, err
	}
	for i := 0; i < nChanges; i++ {
		c, err := r.bytes()
		if err != nil {
			return info, err
		}
		info.chunks = append(info.chunks, c)
	}
	info.Changes = nChanges
	if r.len() > 0 {
		nCaps, err := r.count()
		if err != nil {
			return info, err
		}
		for i := 0; i < nCaps; i++ {
			c, err := r.byte()
			if err != nil {
				return info, err
			}
			if c == capabilityV2 {
				info.SupportsV2 = true
			}
		}
	}
	return info, nil
}

// encodeV2Snapshot builds a v2 sync message carrying a whole saved document
// as its single change chunk, announcing heads. A v2-capable peer that has
// nothing loads it as a document; this is "fast join".
func encodeV2Snapshot(heads [][]byte, saved []byte) []byte {
	out := make([]byte, 0, 1+binary.MaxVarintLen64*4+len(heads)*hashLen+len(saved))
	out = append(out, syncTypeV2)
	out = appendHashes(out, heads)
	out = binary.AppendUvarint(out, 0) // need
	out = binary.AppendUvarint(out, 0) // have
	out = binary.AppendUvarint(out, 1) // one chunk
	out = binary.AppendUvarint(out, uint64(len(saved)))
	out = append(out, saved...)
	return out
}

// appendHashes appends a list of hashes as sync messages carry heads,
// need and last-sync lists: a LEB128 count, then the 32-byte hashes.
func appendHashes(out []byte, hashes [][]byte) []byte {
	out = binary.AppendUvarint(out, uint64(len(hashes)))
	for _, h := range hashes {
		out = append(out, h...)
	}
	return out
}

// withCapabilities appends the capability list (v1 and v2) to a v1 message
// that has none, so that the other side may answer with a v2 message.
func withCapabilities(msg []byte) []byte {
	info, err := InspectSync(msg)
	if err != nil || info.Version != 1 || info.SupportsV2 {
		return msg
	}
	out := make([]byte, 0, len(msg)+3)
	out = append(out, msg...)
	return append(out, 2, 0x01, capabilityV2)
}

type reader struct {
	buf []byte
	off int
}

func (r *reader) len() int { return len(r.buf) - r.off }

func (r *reader) byte() (byte, error) {
	if r.off >= len(r.buf) {
		return 0, fmt.Errorf("%w: truncated", ErrMalformedSync)
	}
	b := r.buf[r.off]
	r.off++
	return b, nil
}

func (r *reader) count() (int, error) {
	v, n := binary.Uvarint(r.buf[r.off:])
	if n <= 0 {
		return 0, fmt.Errorf("%w: bad LEB128 length", ErrMalformedSync)
	}
	r.off += n
	if v > uint64(r.len()) {
		return 0, fmt.Errorf("%w: length %d exceeds message", ErrMalformedSync, v)
	}
	return int(v), nil
}

func (r *reader) hashes() ([][]byte, error) {
	n, err := r.count()
	if err != nil {
		return nil, err
	}
	if n*hashLen > r.len() {
		return nil, fmt.Errorf("%w: %d hashes exceed message", ErrMalformedSync, n)
	}
	out := make([][]byte, n)
	for i := range out {
		out[i] = r.buf[r.off : r.off+hashLen]
		r.off += hashLen
	}
	return out, nil
}

func (r *reader) bytes() ([]byte, error) {
	n, err := r.count()
	if err != nil {
		return nil, err
	}
	b := r.buf[r.off : r.off+n]
	r.off += n
	return b, nil
}
