package crdt

import "testing"

// FuzzInspectSync: the sync-message framing decoder never panics and never
// reports more items than the message could hold.
func FuzzInspectSync(f *testing.F) {
	m, _, _ := Empty().GenerateAdvertisingV2(Empty().NewPeerState())
	f.Add(m)
	f.Add([]byte{0x43, 0, 0, 0, 1, 3, 1, 2, 3})
	// a v1 message with one compressed change chunk (raw DEFLATE of "aaaa")
	deflated := []byte{0x4a, 0x4c, 0x4c, 0x4c, 0x04, 0x04, 0x00, 0x00}
	chunk := append([]byte{0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, chunkTypeCompressed, byte(len(deflated))}, deflated...)
	f.Add(append([]byte{0x42, 0, 0, 0, 1, byte(len(chunk))}, chunk...))
	// a message carrying real changes (the room's creation and a splice)
	if d, err := New("go"); err == nil && d.Splice(0, 0, "fuzz ü") == nil {
		ps := d.NewPeerState()
		if m, ok, _ := d.Generate(ps); ok {
			_, _ = d.Receive(ps, []byte{0x42, 0, 0, 0, 0}) // an empty peer: next message has the changes
			f.Add(m)
			if m2, ok, _ := d.Generate(ps); ok {
				f.Add(m2)
			}
		}
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		info, err := InspectSync(msg)
		if err != nil {
			return
		}
		if len(info.Heads)*hashLen > len(msg) || info.Changes > len(msg) || info.Have > len(msg) {
			t.Fatalf("impossible counts %+v for %d bytes", info, len(msg))
		}
		// The growth bound parses hostile chunks without panicking and
		// stays within [0, limit+1].
		const limit = 1 << 16
		if g := info.GrowthBound(limit); g < 0 || g > limit+1 {
			t.Fatalf("growth bound %d", g)
		}
	})
}

// FuzzReceive: automerge errors and panics on hostile sync messages become
// errors; the document stays usable.
func FuzzReceive(f *testing.F) {
	m, _, _ := Empty().GenerateAdvertisingV2(Empty().NewPeerState())
	f.Add(m)
	f.Add([]byte{0x42, 0, 0, 0, 1, 5, 1, 2, 3, 4, 5})
	f.Fuzz(func(t *testing.T, msg []byte) {
		d, err := New("go")
		if err != nil {
			t.Fatal(err)
		}
		ps := d.NewPeerState()
		_, _ = d.Receive(ps, msg)
		if err := d.Splice(0, 0, "ok"); err != nil {
			t.Fatalf("document unusable after hostile message: %v", err)
		}
		if s, _ := d.Text(); s != "ok" {
			t.Fatalf("text %q", s)
		}
	})
}
