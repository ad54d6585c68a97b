package crdt

import (
	"bytes"
	"strings"
	"testing"
)

// syncPair runs the sync protocol between two docs until both are quiet.
func syncPair(t *testing.T, a, b *Doc, sa, sb *PeerState, v2 bool) (bytesAtoB int) {
	t.Helper()
	for i := 0; i < 20; i++ {
		quiet := true
		var m []byte
		var ok bool
		var err error
		if v2 {
			m, ok, err = b.GenerateAdvertisingV2(sb)
		} else {
			m, ok, err = b.Generate(sb)
		}
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			quiet = false
			// The server's fast-join policy (package sync): a first message
			// with nothing and the v2 capability gets the snapshot.
			if info, _ := InspectSync(m); v2 && info.SupportsV2 && len(info.Heads) == 0 && info.Changes == 0 && i == 0 {
				if _, err := a.Receive(sa, m); err != nil {
					t.Fatal(err)
				}
				fj, _, err := a.SnapshotMessage()
				if err != nil {
					t.Fatal(err)
				}
				bytesAtoB += len(fj)
				if _, _, err := b.ReceiveFromServer(sb, fj); err != nil {
					t.Fatal(err)
				}
				continue
			}
			if _, err := a.Receive(sa, m); err != nil {
				t.Fatal(err)
			}
		}
		m, ok, err = a.Generate(sa)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			quiet = false
			bytesAtoB += len(m)
			if _, _, err := b.ReceiveFromServer(sb, m); err != nil {
				t.Fatal(err)
			}
		}
		if quiet {
			return bytesAtoB
		}
	}
	t.Fatal("sync did not settle")
	return 0
}

func TestNewDocHasContentAndLanguage(t *testing.T) {
	d, err := New("python")
	if err != nil {
		t.Fatal(err)
	}
	if d.Language() != "python" {
		t.Fatalf("language %q", d.Language())
	}
	if err := d.Splice(0, 0, "héllo 😀"); err != nil {
		t.Fatal(err)
	}
	data, err := d.Save()
	if err != nil {
		t.Fatal(err)
	}
	e, err := Load(data)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := e.Text(); s != "héllo 😀" {
		t.Fatalf("round trip %q", s)
	}
}

func TestFastJoinVersusV1(t *testing.T) {
	server, _ := New("go")
	for i := 0; i < 2000; i++ {
		if err := server.Splice(i, 0, "x"); err != nil {
			t.Fatal(err)
		}
	}
	want, _ := server.Text()
	saved, _ := server.Save()

	c1 := Empty()
	n2 := syncPair(t, server, c1, server.NewPeerState(), c1.NewPeerState(), true)
	if got, _ := c1.Text(); got != want {
		t.Fatalf("fast join text %d chars, want %d", len(got), len(want))
	}
	c2 := Empty()
	n1 := syncPair(t, server, c2, server.NewPeerState(), c2.NewPeerState(), false)
	if got, _ := c2.Text(); got != want {
		t.Fatalf("v1 text %d chars, want %d", len(got), len(want))
	}
	if n2 > 3*len(saved) {
		t.Fatalf("fast join sent %d bytes; saved size %d", n2, len(saved))
	}
	if n1 <= n2 {
		t.Fatalf("v1 sent %d bytes, fast join %d: expected v1 to be larger", n1, n2)
	}
	t.Logf("saved %d, fast join %d, v1 %d bytes", len(saved), n2, n1)
}

func TestInspectSyncCapabilities(t *testing.T) {
	d := Empty()
	ps := d.NewPeerState()
	m, ok, err := d.GenerateAdvertisingV2(ps)
	if err != nil || !ok {
		t.Fatalf("generate: %v %v", ok, err)
	}
	info, err := InspectSync(m)
	if err != nil {
		t.Fatal(err)
	}
	if !info.SupportsV2 || info.Version != 1 || len(info.Heads) != 0 {
		t.Fatalf("info %+v", info)
	}
	plain := m[:len(m)-3]
	info, err = InspectSync(plain)
	if err != nil || info.SupportsV2 {
		t.Fatalf("plain: %+v %v", info, err)
	}
	for _, bad := range [][]byte{nil, {0x41}, {0x42}, {0x42, 0x05}, {0x42, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}} {
		if _, err := InspectSync(bad); err == nil {
			t.Errorf("InspectSync(%x) accepted", bad)
		}
	}
}

func TestReceiveRejectsGarbageWithoutPanic(t *testing.T) {
	d, _ := New("go")
	ps := d.NewPeerState()
	for _, bad := range [][]byte{{0x42, 0, 0, 0, 1, 5, 1, 2, 3, 4, 5}, bytes.Repeat([]byte{0x42}, 40), {0x43, 0, 0, 0, 1, 3, 1, 2, 3}} {
		if _, err := d.Receive(ps, bad); err == nil {
			t.Errorf("Receive(%x) accepted", bad)
		}
	}
}

func TestDocumentIDs(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		id := NewDocumentID()
		if !ValidDocumentID(id) || seen[id] {
			t.Fatalf("bad or repeated id %q", id)
		}
		seen[id] = true
	}
	// A known automerge-repo id (from its documentation's examples format).
	id := NewDocumentID()
	mangled := strings.Map(func(r rune) rune {
		if r == rune(id[3]) {
			if r == 'a' {
				return 'b'
			}
			return 'a'
		}
		return r
	}, id)
	for _, bad := range []string{"", "0OIl", mangled, id + "x", strings.Repeat("z", 80)} {
		if ValidDocumentID(bad) {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestUTF16Conversion(t *testing.T) {
	s := "a😀é𝄞b"
	cases := []struct{ u16, runes int }{{0, 0}, {1, 1}, {2, 1}, {3, 2}, {4, 3}, {6, 4}, {7, 5}, {99, 5}}
	for _, c := range cases {
		if got := UTF16ToRunes(s, c.u16); got != c.runes {
			t.Errorf("UTF16ToRunes(%d) = %d, want %d", c.u16, got, c.runes)
		}
	}
	for _, c := range []struct{ runes, u16 int }{{0, 0}, {1, 1}, {2, 3}, {3, 4}, {4, 6}, {5, 7}} {
		if got := RunesToUTF16(s, c.runes); got != c.u16 {
			t.Errorf("RunesToUTF16(%d) = %d, want %d", c.runes, got, c.u16)
		}
	}
}

func TestSavedHeadsMatchTheDocument(t *testing.T) {
	d, _ := New("go")
	for i := 0; i < 50; i++ {
		_ = d.Splice(i, 0, "é")
	}
	other := Empty()
	_ = other.Merge(mustSave(t, d))
	_ = other.Splice(0, 0, "concurrent")
	_ = d.Splice(0, 0, "branch")
	_ = d.Merge(mustSave(t, other)) // two heads
	data := mustSave(t, d)
	heads, err := SavedHeads(data)
	if err != nil {
		t.Fatal(err)
	}
	want := d.Heads()
	if len(heads) != len(want) || len(want) != 2 {
		t.Fatalf("heads %d, want %d (2)", len(heads), len(want))
	}
	for i := range want {
		if !bytes.Equal(heads[i], want[i][:]) {
			t.Fatalf("head %d differs", i)
		}
	}
	// A snapshot built from stored bytes loads in a client.
	c := Empty()
	if _, _, err := c.ReceiveFromServer(c.NewPeerState(), SnapshotMessage(heads, data)); err != nil {
		t.Fatal(err)
	}
	a, _ := c.Text()
	b, _ := d.Text()
	if a != b {
		t.Fatalf("client text %q, want %q", a, b)
	}
	for _, bad := range [][]byte{nil, data[:20], append(append([]byte{}, data...), 0), {0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 1, 0}} {
		if _, err := SavedHeads(bad); err == nil {
			t.Errorf("SavedHeads accepted %d bytes of junk", len(bad))
		}
	}
}

func mustSave(t *testing.T, d *Doc) []byte {
	t.Helper()
	b, err := d.Save()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// HeadsKey is cached; every change to the document must show in it.
func TestHeadsKeyFollowsChanges(t *testing.T) {
	a, err := New("go")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{a.HeadsKey(): true}
	fresh := func(what string) {
		t.Helper()
		k := a.HeadsKey()
		if seen[k] {
			t.Fatalf("%s: heads key did not change", what)
		}
		seen[k] = true
	}
	if err := a.Splice(0, 0, "x"); err != nil {
		t.Fatal(err)
	}
	fresh("Splice")
	if err := a.SetLanguage("rust"); err != nil {
		t.Fatal(err)
	}
	fresh("SetLanguage")
	b, _ := Load(mustSave(t, a))
	if err := b.Splice(0, 0, "y"); err != nil {
		t.Fatal(err)
	}
	if err := a.Merge(mustSave(t, b)); err != nil {
		t.Fatal(err)
	}
	fresh("Merge")
	if err := b.Splice(0, 0, "z"); err != nil {
		t.Fatal(err)
	}
	syncPair(t, a, b, a.NewPeerState(), b.NewPeerState(), false)
	fresh("Receive")
	if a.HeadsKey() != b.HeadsKey() {
		t.Fatal("synced documents have different heads keys")
	}
}
