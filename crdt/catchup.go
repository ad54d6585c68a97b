package crdt

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/automerge/automerge-go"
)

// Catch-up messages. A room's viewers acknowledge every keystroke, and
// each is then due the same message: the changes since the heads it
// acknowledged. automerge-go can only generate it per peer, from that
// peer's sync state (~20 µs each, and the state cannot be copied); a
// lecture room of 1,000 viewers would pay that 1,000 times per keystroke.
// CatchUpMessage builds the message once, as automerge would generate it
// for a peer whose sync state has just taken its acknowledgement of base
// (tests compare the bytes with automerge's own).

// Bloom filter parameters of automerge's sync protocol (rust/automerge
// src/sync/bloom.rs): 10 bits per entry, 7 probes, ~1 % false positives.
// The receiver reads them from the message, so they are ours to choose;
// these are automerge's, so that the message matches its own.
const (
	bloomBitsPerEntry = 10
	bloomProbes       = 7
)

// bloomBytes encodes the filter over hashes as a sync message's have
// carries it: entries, bits per entry and probes (LEB128), then the bits;
// nothing for no hashes.
func bloomBytes(hashes []automerge.ChangeHash) []byte {
	if len(hashes) == 0 {
		return nil
	}
	nbits := int(math.Ceil(float64(len(hashes)) * bloomBitsPerEntry / 8))
	out := binary.AppendUvarint(nil, uint64(len(hashes)))
	out = binary.AppendUvarint(out, bloomBitsPerEntry)
	out = binary.AppendUvarint(out, bloomProbes)
	hdr := len(out)
	out = append(out, make([]byte, nbits)...)
	bits := out[hdr:]
	modulo := uint32(8 * len(bits))
	for _, h := range hashes {
		x := binary.LittleEndian.Uint32(h[0:4]) % modulo
		y := binary.LittleEndian.Uint32(h[4:8]) % modulo
		z := binary.LittleEndian.Uint32(h[8:12]) % modulo
		for p := 0; p < bloomProbes; p++ {
			if p > 0 {
				x = (x + y) % modulo
				y = (y + z) % modulo
			}
			bits[x>>3] |= 1 << (x & 7)
		}
	}
	return out
}

// CatchUpMessage returns the v1 sync message for a peer known to hold
// exactly base (heads in HeadsKey form: the heads of a pure acknowledgement
// from it, or of catch-up messages sent to it since): our heads, no need,
// a have of base with a bloom filter of the changes since, and those
// changes. A peer sent it holds our heads once it arrives, and finds all
// of its own changes since base in the filter (so it sends nothing back).
func (d *Doc) CatchUpMessage(base string) ([]byte, error) {
	if len(base)%hashLen != 0 {
		return nil, fmt.Errorf("%w: base heads of %d bytes", ErrMalformedSync, len(base))
	}
	since := make([]automerge.ChangeHash, len(base)/hashLen)
	for i := range since {
		copy(since[i][:], base[i*hashLen:])
	}
	var out []byte
	err := guard(func() error {
		am := d.live()
		for _, h := range since {
			// (automerge would answer an unknown base with every change)
			if _, err := am.Change(h); err != nil {
				return fmt.Errorf("%w: base %s: %v", ErrMalformedSync, h, err)
			}
		}
		chs, err := am.Changes(since...)
		if err != nil {
			return err
		}
		raw := make([][]byte, len(chs))
		hashes := make([]automerge.ChangeHash, len(chs))
		size := 0
		for i, c := range chs {
			raw[i], hashes[i] = c.Save(), c.Hash()
			size += len(raw[i]) + binary.MaxVarintLen32
		}
		heads := d.heads()
		bloom := bloomBytes(hashes)
		out = make([]byte, 0, 16+(len(heads)+len(since))*hashLen+len(bloom)+size)
		out = append(out, syncTypeV1)
		out = binary.AppendUvarint(out, uint64(len(heads)))
		for _, h := range heads {
			out = append(out, h[:]...)
		}
		out = binary.AppendUvarint(out, 0) // need
		out = binary.AppendUvarint(out, 1) // one have: base and the filter
		out = binary.AppendUvarint(out, uint64(len(since)))
		out = append(out, base...)
		out = binary.AppendUvarint(out, uint64(len(bloom)))
		out = append(out, bloom...)
		out = binary.AppendUvarint(out, uint64(len(raw)))
		for _, c := range raw {
			out = binary.AppendUvarint(out, uint64(len(c)))
			out = append(out, c...)
		}
		return nil
	})
	return out, err
}

// AckMessage is the v1 sync message of a peer that holds exactly heads
// and wants nothing: those heads, no need, a have of them with an empty
// filter, no changes; what an automerge peer answers once it has applied
// a message announcing heads. (Load tests' thin viewers send it without
// keeping a document; tests use it as a pure acknowledgement.)
func AckMessage(heads [][]byte) []byte {
	out := make([]byte, 0, 8+2*len(heads)*hashLen)
	out = append(out, syncTypeV1)
	out = appendHashes(out, heads)
	out = binary.AppendUvarint(out, 0) // need
	out = binary.AppendUvarint(out, 1) // have: the heads, empty filter
	out = appendHashes(out, heads)
	out = binary.AppendUvarint(out, 0)  // filter bytes
	return binary.AppendUvarint(out, 0) // changes
}
