package sync

import (
	"bytes"
	"testing"
	"time"
)

// decodeRedis reads what arrives from Redis: anything must either decode or
// be refused, never panic; encode/decode round-trips.
func FuzzDecodeRedis(f *testing.F) {
	f.Add(encodeRedis(BrokerMessage{Origin: "a", To: "b", Kind: BrokerChanges, Data: []byte{1, 2}}, time.Unix(1, 0)))
	f.Add([]byte{1, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0xff})
	f.Fuzz(func(t *testing.T, p []byte) {
		m, sent, err := decodeRedis(p)
		if err != nil {
			return
		}
		again, sent2, err := decodeRedis(encodeRedis(m, sent))
		if err != nil || !sent2.Equal(sent) || again.Origin != m.Origin || again.To != m.To || again.Kind != m.Kind || !bytes.Equal(again.Data, m.Data) {
			t.Fatalf("round trip of %x changed %+v into %+v (%v)", p, m, again, err)
		}
	})
}

func FuzzDecodeHeads(f *testing.F) {
	f.Add(make([]byte, 64))
	f.Fuzz(func(t *testing.T, p []byte) {
		hs, ok := decodeHeads(p)
		if ok && !bytes.Equal(encodeHeads(hs), p) {
			t.Fatal("heads round trip changed the bytes")
		}
	})
}

// Link changes from other instances: decode or refuse, never panic;
// what decodes round-trips.
func FuzzDecodeLinkChange(f *testing.F) {
	f.Add(encodeLinkChange(linkChange{linkID: "L1", role: RoleViewer}))
	f.Add(encodeLinkChange(linkChange{linkID: "L2", revoked: true}))
	f.Add(encodeLinkChange(linkChange{linkID: "L3", revoked: true, room: "notes"}))
	f.Add(encodeLinkChange(linkChange{linkID: "L4", room: "notes"}))
	f.Add([]byte{0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Add([]byte{2, 0, 'x'})
	f.Fuzz(func(t *testing.T, p []byte) {
		ch, err := decodeLinkChange(p)
		if err != nil {
			return
		}
		if ch.linkID == "" || (!ch.revoked && ch.room == "" && !ch.role.Valid()) {
			t.Fatalf("accepted %x as %+v", p, ch)
		}
		again, err := decodeLinkChange(encodeLinkChange(ch))
		if err != nil || again != ch {
			t.Fatalf("round trip of %+v gave %+v (%v)", ch, again, err)
		}
	})
}
