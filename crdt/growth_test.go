package crdt

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"strings"
	"testing"
)

func TestGrowthBoundCoversInsertedText(t *testing.T) {
	for _, n := range []int{1, 100, 5000} {
		a, _ := New("go")
		b := Empty() // receives the room over sync, as a client does
		sa, sb := a.NewPeerState(), b.NewPeerState()
		sync := func() {
			for i := 0; i < 10; i++ {
				m, ok, _ := a.Generate(sa)
				if ok {
					if _, err := b.Receive(sb, m); err != nil {
						t.Fatal(err)
					}
				}
				m2, ok2, _ := b.Generate(sb)
				if ok2 {
					if _, err := a.Receive(sa, m2); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		sync()
		if err := a.Splice(0, 0, strings.Repeat("é", n)); err != nil {
			t.Fatal(err)
		}
		m, ok, _ := a.Generate(sa)
		if !ok {
			t.Fatal("no message")
		}
		info, err := InspectSync(m)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.GrowthBound(1 << 20); got < int64(2*n) {
			t.Fatalf("%d chars: bound %d below the %d bytes inserted", n, got, 2*n)
		}
		if got := info.GrowthBound(10); got != 11 && 2*n > 10 {
			t.Fatalf("capped bound: got %d, want 11", got)
		}
	}
}

// A compressed change chunk counts its inflated content, whatever its
// compressed size; a deflate bomb is inflated only up to the limit.
func TestGrowthBoundInflatesCompressedChunks(t *testing.T) {
	d, _ := New("go")
	if err := d.Splice(0, 0, strings.Repeat("a", 1<<20)); err != nil {
		t.Fatal(err)
	}
	raw, err := d.ChangesSince(d.Heads()[:0])
	if err != nil {
		t.Fatal(err)
	}
	info, err := InspectSync(changesMessage(t, raw))
	if err != nil {
		t.Fatal(err)
	}
	last := info.chunks[len(info.chunks)-1]
	if last[8] == chunkTypeChange { // compress it ourselves
		n, k := binary.Uvarint(last[9:])
		var body bytes.Buffer
		zw, _ := flate.NewWriter(&body, flate.BestCompression)
		_, _ = zw.Write(last[9+k : 9+k+int(n)])
		_ = zw.Close()
		c := append([]byte{0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, chunkTypeCompressed}, binary.AppendUvarint(nil, uint64(body.Len()))...)
		last = append(c, body.Bytes()...)
	}
	one := SyncInfo{chunks: [][]byte{last}}
	if got := one.GrowthBound(4 << 20); got < 1<<20 || got > 1<<20+1024 {
		t.Fatalf("bound %d for 1 MiB of text in a %d-byte compressed chunk", got, len(last))
	}
	if got := one.GrowthBound(1000); got != 1001 {
		t.Fatalf("capped bound: got %d, want 1001", got)
	}
}

// Many one-character changes count about a byte each, not their ~100 bytes
// of hashes and metadata: a long offline session syncs under the limit.
func TestGrowthBoundIsTightForManyChanges(t *testing.T) {
	d, _ := New("go")
	base := d.Heads()
	for i := 0; i < 2000; i++ {
		if err := d.Splice(i, 0, "x"); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := d.ChangesSince(base)
	if err != nil {
		t.Fatal(err)
	}
	info, err := InspectSync(changesMessage(t, raw))
	if err != nil {
		t.Fatal(err)
	}
	if got := info.GrowthBound(1 << 20); got < 2000 || got > 3*2000 {
		t.Fatalf("2,000 one-character changes (%d bytes): bound %d", len(raw), got)
	}
}

// changesMessage wraps concatenated change chunks into a v1 sync message.
func changesMessage(t *testing.T, raw []byte) []byte {
	t.Helper()
	var chunks [][]byte
	for len(raw) > 0 {
		n, k := binary.Uvarint(raw[9:])
		l := 9 + k + int(n)
		chunks = append(chunks, raw[:l])
		raw = raw[l:]
	}
	msg := []byte{0x42, 0, 0, 0}
	msg = binary.AppendUvarint(msg, uint64(len(chunks)))
	for _, c := range chunks {
		msg = binary.AppendUvarint(msg, uint64(len(c)))
		msg = append(msg, c...)
	}
	return msg
}
