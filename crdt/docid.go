package crdt

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/mr-tron/base58"
)

// DocumentIDBytes is the length of the random payload behind a document id
// (a UUID v4 in automerge-repo).
const DocumentIDBytes = 16

// ErrInvalidDocumentID is returned for strings that are not automerge-repo
// document ids.
var ErrInvalidDocumentID = errors.New("invalid document id")

// NewDocumentID returns a fresh automerge-repo document id: bs58check of a
// random UUID v4. It is unguessable (122 random bits).
func NewDocumentID() string {
	var b [DocumentIDBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err)) // never happens on Linux
	}
	b[6] = (b[6] & 0x0f) | 0x40 // version 4
	b[8] = (b[8] & 0x3f) | 0x80 // RFC 4122 variant
	return encodeCheck(b[:])
}

// Private notes (issue 14): a room's notes are a second document whose id
// is derived from the room's (so every instance finds it without a lookup)
// and marked as notes by its UUID version nibble, 8 ("custom") where rooms
// and automerge-repo documents are version 4. The server refuses such ids
// on every route but the notes routes, which check the notes grant on the
// room; nobody can open or create one any other way.

// NotesDocumentID returns the id of room's private notes document.
func NotesDocumentID(room string) (string, error) {
	payload, err := ParseDocumentID(room)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(append([]byte("pairpad/notes/v1\x00"), payload...))
	b := sum[:DocumentIDBytes]
	b[6] = (b[6] & 0x0f) | 0x80 // version 8: notes
	b[8] = (b[8] & 0x3f) | 0x80 // RFC 4122 variant
	return encodeCheck(b), nil
}

// IsNotesDocumentID reports whether id is a well-formed id of the notes
// kind (UUID version 8).
func IsNotesDocumentID(id string) bool {
	payload, err := ParseDocumentID(id)
	return err == nil && payload[6]>>4 == 8
}

// ParseDocumentID validates an automerge-repo document id (the part after
// "automerge:" in a URL) and returns its 16 raw bytes.
func ParseDocumentID(id string) ([]byte, error) {
	if id == "" || len(id) > 64 {
		return nil, fmt.Errorf("%w: length %d", ErrInvalidDocumentID, len(id))
	}
	raw, err := base58.Decode(id)
	if err != nil {
		return nil, fmt.Errorf("%w: not base58", ErrInvalidDocumentID)
	}
	if len(raw) != DocumentIDBytes+4 {
		return nil, fmt.Errorf("%w: decodes to %d bytes, want %d", ErrInvalidDocumentID, len(raw), DocumentIDBytes+4)
	}
	payload, sum := raw[:DocumentIDBytes], raw[DocumentIDBytes:]
	if !bytes.Equal(checksum(payload), sum) {
		return nil, fmt.Errorf("%w: bad checksum", ErrInvalidDocumentID)
	}
	return payload, nil
}

// ValidDocumentID reports whether id is a well-formed document id.
func ValidDocumentID(id string) bool {
	_, err := ParseDocumentID(id)
	return err == nil
}

// EncodeURLHeads encodes change hashes as automerge-repo 2's UrlHeads do
// (bs58check of each 32-byte hash), the form remote-heads gossip carries.
func EncodeURLHeads(heads [][]byte) []string {
	out := make([]string, len(heads))
	for i, h := range heads {
		out[i] = encodeCheck(h)
	}
	return out
}

func encodeCheck(payload []byte) string {
	buf := make([]byte, 0, len(payload)+4)
	buf = append(buf, payload...)
	buf = append(buf, checksum(payload)...)
	return base58.Encode(buf)
}

// checksum is bs58check's: the first four bytes of sha256(sha256(payload)).
func checksum(payload []byte) []byte {
	a := sha256.Sum256(payload)
	b := sha256.Sum256(a[:])
	return b[:4]
}
