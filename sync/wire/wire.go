// Package wire is automerge-repo's network protocol as Pairpad speaks it:
// the Message shape, its CBOR frame codec and the message type constants.
// It is shared by the server (package sync) and the Go client (wireclient);
// everything here is safe for concurrent use.
package wire

import (
	"errors"
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// ProtocolV1 is the automerge-repo network protocol version spoken here.
const ProtocolV1 = "1"

// Message types of the automerge-repo network protocol.
const (
	TypeJoin                     = "join"
	TypePeer                     = "peer"
	TypeLeave                    = "leave"
	TypeError                    = "error"
	TypeRequest                  = "request"
	TypeSync                     = "sync"
	TypeDocUnavailable           = "doc-unavailable"
	TypeEphemeral                = "ephemeral"
	TypeRemoteSubscriptionChange = "remote-subscription-change"
	TypeRemoteHeadsChanged       = "remote-heads-changed"
)

// PeerMetadata is what peers tell each other about themselves on join.
type PeerMetadata struct {
	StorageID   string `cbor:"storageId,omitempty"`
	IsEphemeral *bool  `cbor:"isEphemeral,omitempty"`
}

// Message is one frame of the protocol: a CBOR map whose keys are the JSON
// names of automerge-repo's message types. Absent fields stay absent.
type Message struct {
	Type       string `cbor:"type"`
	SenderID   string `cbor:"senderId,omitempty"`
	TargetID   string `cbor:"targetId,omitempty"`
	DocumentID string `cbor:"documentId,omitempty"`
	// Data is a sync message (request, sync) or opaque CBOR (ephemeral).
	Data []byte `cbor:"data,omitempty"`
	// Ephemeral messages.
	SessionID string  `cbor:"sessionId,omitempty"`
	Count     *uint64 `cbor:"count,omitempty"`
	// Handshake.
	PeerMetadata              *PeerMetadata `cbor:"peerMetadata,omitempty"`
	SupportedProtocolVersions []string      `cbor:"supportedProtocolVersions,omitempty"`
	SelectedProtocolVersion   string        `cbor:"selectedProtocolVersion,omitempty"`
	// Error messages.
	ErrorMessage string `cbor:"message,omitempty"`
	// Remote-heads gossip: the storage ids a remote-subscription-change
	// adds and removes, and the heads a remote-heads-changed reports per
	// storage id.
	Add      []string       `cbor:"add,omitempty"`
	Remove   []string       `cbor:"remove,omitempty"`
	NewHeads HeadsByStorage `cbor:"newHeads,omitempty"`
}

// HeadsByStorage is the newHeads of a remote-heads-changed message. The
// server only sends it (clients report nothing the hub needs), so decoding
// skips it.
type HeadsByStorage map[string]RemoteHeads

// UnmarshalCBOR ignores the field (the frame was checked well-formed).
func (*HeadsByStorage) UnmarshalCBOR([]byte) error { return nil }

// RemoteHeads is what a remote-heads-changed message says of one storage
// id: its heads (bs58check-encoded hashes, automerge-repo's UrlHeads) and
// when the reporting peer learnt them (milliseconds since the epoch, sent
// as a float as JavaScript's Date.now() is).
type RemoteHeads struct {
	Heads     []string `cbor:"heads"`
	Timestamp float64  `cbor:"timestamp"`
}

// Frame decoding errors. Both close the socket with CloseMalformed.
var (
	ErrNotCBOR    = errors.New("frame is not valid CBOR")
	ErrWrongShape = errors.New("frame is not a protocol message")
)

var (
	decMode cbor.DecMode
	encMode cbor.EncMode
)

func init() {
	var err error
	decMode, err = cbor.DecOptions{
		MaxNestedLevels:  16,
		MaxArrayElements: 1024,
		MaxMapPairs:      64,
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		IndefLength:      cbor.IndefLengthAllowed,
		TagsMd:           cbor.TagsAllowed,
		// cbor-x may send a byte string for data, or (tagUint8Array) a
		// tagged one; both decode into []byte.
		DefaultByteStringType: nil,
	}.DecMode()
	if err != nil {
		panic(err)
	}
	encMode, err = cbor.EncOptions{Sort: cbor.SortNone}.EncMode()
	if err != nil {
		panic(err)
	}
}

// DecodeFrame parses one binary WebSocket frame into a Message and checks the
// fields its type requires. Unknown message types decode without error (the
// caller decides to drop them); unknown fields are ignored.
func DecodeFrame(frame []byte) (Message, error) {
	var m Message
	if err := cbor.Wellformed(frame); err != nil {
		return m, fmt.Errorf("%w: %v", ErrNotCBOR, err)
	}
	if err := decMode.Unmarshal(frame, &m); err != nil {
		return m, fmt.Errorf("%w: %v", ErrWrongShape, err)
	}
	if err := m.validate(); err != nil {
		return m, fmt.Errorf("%w: %v", ErrWrongShape, err)
	}
	// An empty list means what an absent one does (and re-encodes so).
	if len(m.Add) == 0 {
		m.Add = nil
	}
	if len(m.Remove) == 0 {
		m.Remove = nil
	}
	return m, nil
}

// EncodeFrame serialises a Message.
func EncodeFrame(m Message) ([]byte, error) {
	return encMode.Marshal(m)
}

func (m *Message) validate() error {
	if m.Type == "" {
		return errors.New("missing type")
	}
	switch m.Type {
	case TypeJoin:
		if m.SenderID == "" {
			return errors.New("join without senderId")
		}
	case TypeRequest, TypeSync:
		if m.SenderID == "" || m.DocumentID == "" {
			return fmt.Errorf("%s without senderId or documentId", m.Type)
		}
		if len(m.Data) == 0 {
			return fmt.Errorf("%s without data", m.Type)
		}
	case TypeEphemeral:
		if m.SenderID == "" || m.DocumentID == "" || m.SessionID == "" || m.Count == nil {
			return errors.New("ephemeral without senderId, documentId, sessionId or count")
		}
	case TypeDocUnavailable:
		if m.SenderID == "" || m.DocumentID == "" {
			return errors.New("doc-unavailable without senderId or documentId")
		}
	case TypeLeave:
		if m.SenderID == "" {
			return errors.New("leave without senderId")
		}
	}
	return nil
}
