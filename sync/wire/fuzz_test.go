package wire

import (
	"reflect"
	"testing"
)

func seedFrames(f *testing.F) {
	one := uint64(1)
	// A v1 sync message with the v2 capability, as a fresh client sends.
	first := []byte{0x42, 0, 0, 0, 0, 2, 0x01, 0x02}
	for _, m := range []Message{
		{Type: TypeJoin, SenderID: "p1", SupportedProtocolVersions: []string{"1"}, PeerMetadata: &PeerMetadata{StorageID: "s"}},
		{Type: TypeRequest, SenderID: "p1", TargetID: "srv", DocumentID: "d", Data: first},
		{Type: TypeSync, SenderID: "p1", TargetID: "srv", DocumentID: "d", Data: []byte{0x42, 0, 0, 0, 0}},
		{Type: TypeEphemeral, SenderID: "p1", DocumentID: "d", SessionID: "x", Count: &one, Data: []byte{0xa0}},
		{Type: TypeDocUnavailable, SenderID: "p1", DocumentID: "d"},
		{Type: TypeRemoteHeadsChanged, SenderID: "p1", DocumentID: "d", NewHeads: HeadsByStorage{"s": {Heads: []string{"h"}, Timestamp: 1.7e12}}},
		{Type: TypeRemoteSubscriptionChange, SenderID: "p1", Add: []string{"s1", "s2"}, Remove: []string{"s3"}},
	} {
		b, _ := EncodeFrame(m)
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{0xff})
	f.Add([]byte{0xa1, 0x64, 't', 'y', 'p', 'e', 0x01})
}

// FuzzDecodeFrame: the frame decoder never panics, and what it accepts
// re-encodes to a frame that decodes to the same message.
func FuzzDecodeFrame(f *testing.F) {
	seedFrames(f)
	f.Fuzz(func(t *testing.T, frame []byte) {
		m, err := DecodeFrame(frame)
		if err != nil {
			return
		}
		again, err := EncodeFrame(m)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		m2, err := DecodeFrame(again)
		if err != nil {
			t.Fatalf("decode of re-encoded frame: %v", err)
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("round trip changed the message:\n%+v\n%+v", m, m2)
		}
	})
}
