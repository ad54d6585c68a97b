package crdt

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"io"

	"github.com/automerge/automerge-go"
)

// Change chunk types (see chunkMagic); a compressed change's body is raw
// DEFLATE of a change's body.
const (
	chunkTypeChange     byte = 1
	chunkTypeCompressed byte = 2
)

// GrowthBound bounds how many bytes of text (or any other value) applying
// the message's changes can add to a document. Each change is parsed down to
// its columns (automerge's binary format: the chunk header, then the change
// header — deps, actor, seq, start op, time, message, other actors — then
// column specs and data) and counts what can carry content: the message, the
// string columns (map keys, mark names) and the raw value columns (every
// inserted character's UTF-8 bytes), inflated when compressed, plus any
// trailing bytes. Actors, hashes, counters and op metadata are not counted,
// so 10,000 one-character changes count ~10 KB, not their ~1 MB. A chunk that
// does not parse counts its whole (inflated) size: automerge rejects it
// anyway. The result is capped at limit+1 ("over the limit").
func (info SyncInfo) GrowthBound(limit int64) int64 {
	var total int64
	for _, c := range info.chunks {
		total += chunkBound(c, limit-total+1)
		if total > limit {
			return limit + 1
		}
	}
	return total
}

// Column types (the low 3 bits of a column spec; bit 3 says deflated).
const (
	colStringRLE = 5
	colValueRaw  = 7
	colDeflate   = 8
)

func chunkBound(c []byte, limit int64) int64 {
	const header = 4 + 4 + 1
	if len(c) < header || !bytes.Equal(c[:4], chunkMagic) {
		return int64(len(c))
	}
	n, k := binary.Uvarint(c[header:])
	if k <= 0 || n > uint64(len(c)-header-k) {
		return int64(len(c))
	}
	body := c[header+k : header+k+int(n)]
	switch c[8] {
	case chunkTypeChange:
	case chunkTypeCompressed:
		inflated, err := inflate(body, limit)
		if err != nil || int64(len(inflated)) > limit {
			return int64(len(c)) + int64(len(inflated))
		}
		body = inflated
	default:
		return int64(len(c))
	}
	if b, ok := changeContentBytes(body, limit); ok {
		return b
	}
	return int64(len(body))
}

func inflate(b []byte, limit int64) ([]byte, error) {
	zr := flate.NewReader(bytes.NewReader(b))
	defer zr.Close()
	return io.ReadAll(io.LimitReader(zr, limit+1))
}

// changeContentBytes parses a change chunk's body and counts its content
// bytes (see GrowthBound); false when it does not parse.
func changeContentBytes(body []byte, limit int64) (int64, bool) {
	r := reader{buf: body}
	skip := func(n int) bool {
		if n < 0 || n > r.len() {
			return false
		}
		r.off += n
		return true
	}
	uvarint := func() (uint64, bool) {
		v, k := binary.Uvarint(r.buf[r.off:])
		if k <= 0 {
			return 0, false
		}
		r.off += k
		return v, true
	}
	deps, ok := uvarint()
	if !ok || deps > uint64(r.len()) || !skip(int(deps)*hashLen) {
		return 0, false
	}
	actor, ok := uvarint()
	if !ok || actor > uint64(r.len()) || !skip(int(actor)) {
		return 0, false
	}
	for i := 0; i < 3; i++ { // seq, start op, time (signed LEB128: same length rules)
		if _, ok := uvarint(); !ok {
			return 0, false
		}
	}
	msg, ok := uvarint()
	if !ok || msg > uint64(r.len()) || !skip(int(msg)) {
		return 0, false
	}
	content := int64(msg)
	others, ok := uvarint()
	if !ok || others > uint64(r.len()) {
		return 0, false
	}
	for i := uint64(0); i < others; i++ {
		l, ok := uvarint()
		if !ok || l > uint64(r.len()) || !skip(int(l)) {
			return 0, false
		}
	}
	ncols, ok := uvarint()
	if !ok || ncols > uint64(r.len()) {
		return 0, false
	}
	type col struct{ spec, length uint64 }
	cols := make([]col, 0, ncols)
	var dataLen uint64
	for i := uint64(0); i < ncols; i++ {
		spec, ok1 := uvarint()
		l, ok2 := uvarint()
		if !ok1 || !ok2 || l > uint64(r.len()) {
			return 0, false
		}
		cols = append(cols, col{spec, l})
		dataLen += l
	}
	if dataLen > uint64(r.len()) {
		return 0, false
	}
	for _, cl := range cols {
		data := r.buf[r.off : r.off+int(cl.length)]
		r.off += int(cl.length)
		if typ := cl.spec & 7; typ != colStringRLE && typ != colValueRaw {
			continue
		}
		if cl.spec&colDeflate != 0 {
			inflated, err := inflate(data, limit)
			if err != nil {
				return 0, false
			}
			content += int64(len(inflated))
		} else {
			content += int64(len(data))
		}
		if content > limit {
			return content, true
		}
	}
	return content + int64(r.len()), true // trailing bytes count too
}

// SizeBytes is what MAX_DOC_BYTES limits. For a document without a text
// (or string) content field, the bytes of its saved form. Otherwise the
// content's length in
// characters (Unicode code points, one byte each for ASCII; a scalar string
// content counts its bytes) plus the language's bytes. automerge keeps about
// the same memory per character whatever its UTF-8 length, so characters
// are the measure that matters. It asks automerge for the length (about
// 0.1 ms for 512 KiB of text) instead of walking the text (Text: 28 ms).
func (d *Doc) SizeBytes() (int, error) {
	var n int
	err := guard(func() error {
		v, err := d.live().Path(FieldContent).Get()
		if err != nil {
			return err
		}
		switch v.Kind() {
		case automerge.KindText:
			n = v.Text().Len()
		case automerge.KindStr:
			n = len(v.Str())
		default:
			n = -1
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if n < 0 {
		// No text content (a document an automerge-repo application
		// created through /sync): its saved size is the measure.
		data, err := d.Save()
		if err != nil {
			return 0, err
		}
		return len(data), nil
	}
	return n + len(d.Language()), nil
}
