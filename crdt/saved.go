package crdt

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
)

// The storage format's chunk header (automerge binary format): magic bytes,
// a 4-byte checksum, the chunk type, and the LEB128 length of the contents.
var chunkMagic = []byte{0x85, 0x6f, 0x4a, 0x83}

const chunkTypeDocument = 0x00

// SavedHeads reads the heads of a saved document without loading it: they
// sit near the start of the document chunk, after the actor table. It
// accepts only a file that is exactly one document chunk (what Save
// produces); anything else is an error and the caller loads the document.
func SavedHeads(saved []byte) ([][]byte, error) {
	if !bytes.HasPrefix(saved, chunkMagic) || len(saved) < 10 {
		return nil, fmt.Errorf("%w: not an automerge document chunk", ErrMalformedSync)
	}
	r := reader{buf: saved, off: 8}
	typ, err := r.byte()
	if err != nil || typ != chunkTypeDocument {
		return nil, fmt.Errorf("%w: chunk type %d is not a document", ErrMalformedSync, typ)
	}
	n, k := binary.Uvarint(saved[r.off:])
	if k <= 0 || n != uint64(len(saved)-r.off-k) {
		return nil, fmt.Errorf("%w: not exactly one document chunk", ErrMalformedSync)
	}
	r.off += k
	actors, err := r.count()
	if err != nil {
		return nil, err
	}
	for i := 0; i < actors; i++ {
		if _, err := r.bytes(); err != nil {
			return nil, err
		}
	}
	return r.hashes()
}

// SnapshotMessage is the fast-join v2 sync message for a saved document
// whose heads are known (from SavedHeads): a room that is still loading can
// serve a fresh peer from the stored bytes.
func SnapshotMessage(heads [][]byte, saved []byte) []byte { return encodeV2Snapshot(heads, saved) }

// SavedHeadsHex is SavedHeads spelled as hex change hashes.
func SavedHeadsHex(saved []byte) ([]string, error) {
	raw, err := SavedHeads(saved)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(raw))
	for i, h := range raw {
		out[i] = hex.EncodeToString(h)
	}
	return out, nil
}
