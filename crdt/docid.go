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
