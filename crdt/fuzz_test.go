package crdt

import "testing"

// FuzzInspectSync: the sync-message framing decoder never panics and never
// reports more items than the message could hold.
func FuzzInspectSync(f *testing.F) {
	m, _, _ := Empty().GenerateAdvertisingV2(Empty().NewPeerState())
	f.Add(m)
	f.Add([]byte{0x43, 0, 0, 0, 1, 3, 1, 2, 3})
	f.Fuzz(func(t *testing.T, msg []byte) {
		info, err := InspectSync(msg)
		if err != nil {
			return
		}
		if len(info.Heads)*hashLen > len(msg) || info.Changes > len(msg) || info.Have > len(msg) {
			t.Fatalf("impossible counts %+v for %d bytes", info, len(msg))
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
