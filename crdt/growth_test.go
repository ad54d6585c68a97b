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
		b, _ := New("go")
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

// A compressed change chunk counts its inflated size, whatever its
// compressed size (a deflate bomb is inflated only up to the limit).
func TestGrowthBoundInflatesCompressedChunks(t *testing.T) {
	var body bytes.Buffer
	zw, _ := flate.NewWriter(&body, flate.BestCompression)
	_, _ = zw.Write(bytes.Repeat([]byte{'a'}, 1<<20))
	_ = zw.Close()
	chunk := append([]byte{0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, chunkTypeCompressed}, binary.AppendUvarint(nil, uint64(body.Len()))...)
	chunk = append(chunk, body.Bytes()...)
	info := SyncInfo{chunks: [][]byte{chunk}}
	if got := info.GrowthBound(4 << 20); got < 1<<20 {
		t.Fatalf("bound %d for a chunk inflating to 1 MiB (%d bytes compressed)", got, len(chunk))
	}
	if got := info.GrowthBound(1000); got != 1001 {
		t.Fatalf("capped bound: got %d, want 1001", got)
	}
}
