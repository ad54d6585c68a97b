package crdt

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
)

// A decoder of automerge's document chunk (the binary format Save writes):
// the actor table, the changes' metadata columns and the operation columns.
// History (history.go) reads attribution, versions and diffs from it in Go,
// without asking automerge to replay anything: the document chunk holds
// every operation ever made, in document order (a text's characters in text
// order, deleted ones included, each with the ids of the operations that
// deleted it).
//
// Format: https://automerge.org/automerge-binary-format-spec/ (columns are
// run-length, delta or boolean encoded, and deflated when large).

var errChunk = errors.New("malformed automerge document chunk")

// maxInflate bounds an inflated column (a document the server accepted never
// comes near it).
const maxInflate = 64 << 20

// Column specs (id << 4 | type; bit 3, deflate, masked out).
const (
	// change columns
	ccActor    = 0<<4 | 1
	ccSeq      = 0<<4 | 3
	ccMaxOp    = 1<<4 | 3
	ccTime     = 2<<4 | 3
	ccMessage  = 3<<4 | 5
	ccDeps     = 4<<4 | 0
	ccDepIndex = 4<<4 | 3
	// operation columns
	ocObjActor  = 0<<4 | 1
	ocObjCtr    = 0<<4 | 2
	ocKeyActor  = 1<<4 | 1
	ocKeyCtr    = 1<<4 | 3
	ocKeyStr    = 1<<4 | 5
	ocIDActor   = 2<<4 | 1
	ocIDCtr     = 2<<4 | 3
	ocInsert    = 3<<4 | 4
	ocAction    = 4<<4 | 2
	ocValMeta   = 5<<4 | 6
	ocValRaw    = 5<<4 | 7
	ocSucc      = 8<<4 | 0
	ocSuccActor = 8<<4 | 1
	ocSuccCtr   = 8<<4 | 3
)

// Operation actions.
const (
	actMakeMap  = 0
	actSet      = 1
	actMakeList = 2
	actDel      = 3
	actMakeText = 4
)

// value types (low 4 bits of value metadata)
const valString = 6

// opID is an operation id: counter and index into the actor table; actor -1
// with counter 0 is the root object (or, as a key, the head of a sequence).
type opID struct {
	ctr   uint64
	actor int32
}

func (a opID) isRoot() bool { return a.actor < 0 }

// rawChange is one change's metadata as the document chunk holds it.
type rawChange struct {
	actor      int32
	seq        uint64
	maxOp      uint64
	time       int64
	message    string
	hasMessage bool
	deps       []int32 // indexes into the chunk's changes
}

// rawOp is one operation (only what History needs).
type rawOp struct {
	obj    opID
	keyStr string
	keyID  opID // sequences: the element this one follows
	id     opID
	insert bool
	action uint64
	val    []byte // the value's bytes, when it is a string (valid during visit)
	isStr  bool
	succ   []opID
}

type docChunk struct {
	// maxRows bounds changes and operations: run-length encoding lets a few
	// bytes claim 2^60 rows, while a real document spends at least a value
	// byte or a changing delta on nearly every one
	maxRows    int
	actors     [][]byte
	heads      [][32]byte
	changes    []rawChange
	changeCols map[uint64][]byte
	opCols     map[uint64][]byte // decoded on demand by eachOp
}

func (c *docChunk) actorHex(i int32) string {
	if i < 0 || int(i) >= len(c.actors) {
		return ""
	}
	return hex.EncodeToString(c.actors[i])
}

// decodeDocChunk decodes data, which must be exactly one document chunk
// (what Doc.Save returns).
func decodeDocChunk(data []byte) (*docChunk, error) {
	if !bytes.HasPrefix(data, chunkMagic) || len(data) < 10 || data[8] != chunkTypeDocument {
		return nil, fmt.Errorf("%w: not a document chunk", errChunk)
	}
	n, k := binary.Uvarint(data[9:])
	if k <= 0 || n != uint64(len(data)-9-k) {
		return nil, fmt.Errorf("%w: not exactly one chunk", errChunk)
	}
	r := reader{buf: data, off: 9 + k}
	out := &docChunk{}
	na, err := r.count()
	if err != nil {
		return nil, err
	}
	for i := 0; i < na; i++ {
		a, err := r.bytes()
		if err != nil {
			return nil, err
		}
		out.actors = append(out.actors, a)
	}
	hs, err := r.hashes()
	if err != nil {
		return nil, err
	}
	for _, h := range hs {
		var x [32]byte
		copy(x[:], h)
		out.heads = append(out.heads, x)
	}
	changeSpecs, err := readColumnSpecs(&r)
	if err != nil {
		return nil, err
	}
	opSpecs, err := readColumnSpecs(&r)
	if err != nil {
		return nil, err
	}
	changeCols, err := readColumnData(&r, changeSpecs)
	if err != nil {
		return nil, err
	}
	opCols, err := readColumnData(&r, opSpecs)
	if err != nil {
		return nil, err
	}
	out.maxRows = 4096
	for _, cols := range []map[uint64][]byte{changeCols, opCols} {
		for _, b := range cols {
			out.maxRows += 4 * len(b)
		}
	}
	if out.changes, err = decodeChanges(changeCols, len(out.actors), out.maxRows); err != nil {
		return nil, err
	}
	out.changeCols, out.opCols = changeCols, opCols
	return out, nil
}

type columnSpec struct {
	spec uint64
	len  uint64
}

func readColumnSpecs(r *reader) ([]columnSpec, error) {
	n, err := r.count()
	if err != nil {
		return nil, err
	}
	out := make([]columnSpec, 0, n)
	for i := 0; i < n; i++ {
		s, err := r.uvarint()
		if err != nil {
			return nil, err
		}
		l, err := r.uvarint()
		if err != nil {
			return nil, err
		}
		out = append(out, columnSpec{s, l})
	}
	return out, nil
}

// readColumnData returns each column's (inflated) data by spec, deflate bit
// cleared.
func readColumnData(r *reader, specs []columnSpec) (map[uint64][]byte, error) {
	out := make(map[uint64][]byte, len(specs))
	for _, s := range specs {
		if s.len > uint64(len(r.buf)-r.off) {
			return nil, fmt.Errorf("%w: column past the end", errChunk)
		}
		b := r.buf[r.off : r.off+int(s.len)]
		r.off += int(s.len)
		if s.spec&colDeflate != 0 {
			zr := flate.NewReader(bytes.NewReader(b))
			inflated, err := io.ReadAll(io.LimitReader(zr, maxInflate+1))
			zr.Close()
			if err != nil || len(inflated) > maxInflate {
				return nil, fmt.Errorf("%w: bad deflated column", errChunk)
			}
			b = inflated
		}
		out[s.spec&^colDeflate] = b
	}
	return out, nil
}

func decodeChanges(cols map[uint64][]byte, actors, maxRows int) ([]rawChange, error) {
	actor := newUintRLE(cols[ccActor])
	seq := newDelta(cols[ccSeq])
	maxOp := newDelta(cols[ccMaxOp])
	tm := newDelta(cols[ccTime])
	msg := newStrRLE(cols[ccMessage])
	deps := newUintRLE(cols[ccDeps])
	depIdx := newDelta(cols[ccDepIndex])
	var out []rawChange
	for !actor.done() {
		if len(out) >= maxRows {
			return nil, fmt.Errorf("%w: more changes than its columns can hold", errChunk)
		}
		a, ok, err := actor.next()
		if err != nil {
			return nil, err
		}
		if !ok || a >= uint64(actors) {
			return nil, fmt.Errorf("%w: change without a valid actor", errChunk)
		}
		c := rawChange{actor: int32(a)}
		s, _, err1 := seq.next()
		m, _, err2 := maxOp.next()
		t, _, err3 := tm.next()
		ms, hasMsg, err4 := msg.next()
		nd, _, err5 := deps.next()
		if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
			return nil, err
		}
		c.seq, c.maxOp, c.time, c.message, c.hasMessage = uint64(s), uint64(m), t, ms, hasMsg
		if nd > 1<<20 {
			return nil, fmt.Errorf("%w: too many deps", errChunk)
		}
		for j := uint64(0); j < nd; j++ {
			d, ok, err := depIdx.next()
			if err != nil {
				return nil, err
			}
			if !ok || d < 0 {
				return nil, fmt.Errorf("%w: bad dep index", errChunk)
			}
			c.deps = append(c.deps, int32(d))
		}
		out = append(out, c)
	}
	for i, c := range out {
		for _, d := range c.deps {
			if int(d) >= len(out) || int(d) == i {
				return nil, fmt.Errorf("%w: dep index out of range", errChunk)
			}
		}
	}
	return out, nil
}

// eachOp decodes the operations in document order, calling visit with each
// (the op and its succ slice are reused: copy what you keep).
// opColumns are the decoders of the operation columns.
type opColumns struct {
	objA, objC, keyA, idA, action, valMeta, succ, succA *rle[uint64]
	keyS                                                *rle[string]
	keyC, idC, succC                                    *delta
	ins                                                 *boolCol
	valRaw                                              []byte
}

func (c *docChunk) opColumns() opColumns {
	cols := c.opCols
	return opColumns{
		objA: newUintRLE(cols[ocObjActor]), objC: newUintRLE(cols[ocObjCtr]),
		keyA: newUintRLE(cols[ocKeyActor]), keyC: newDelta(cols[ocKeyCtr]), keyS: newStrRLE(cols[ocKeyStr]),
		idA: newUintRLE(cols[ocIDActor]), idC: newDelta(cols[ocIDCtr]),
		ins:     newBoolCol(cols[ocInsert]),
		action:  newUintRLE(cols[ocAction]),
		valMeta: newUintRLE(cols[ocValMeta]), valRaw: cols[ocValRaw],
		succ: newUintRLE(cols[ocSucc]), succA: newUintRLE(cols[ocSuccActor]), succC: newDelta(cols[ocSuccCtr]),
	}
}

func (c *docChunk) eachOp(visit func(op *rawOp)) error {
	actors := len(c.actors)
	oc := c.opColumns()
	objA, objC, keyA, keyC, keyS := oc.objA, oc.objC, oc.keyA, oc.keyC, oc.keyS
	idA, idC, ins, action := oc.idA, oc.idC, oc.ins, oc.action
	valMeta, valRaw, succ, succA, succC := oc.valMeta, oc.valRaw, oc.succ, oc.succA, oc.succC
	actorOf := func(v uint64, ok bool) (int32, error) {
		if !ok {
			return -1, nil
		}
		if v >= uint64(actors) {
			return 0, fmt.Errorf("%w: actor index out of range", errChunk)
		}
		return int32(v), nil
	}
	rawOff := 0
	var op rawOp
	for rows := 0; !idA.done(); rows++ {
		if rows >= c.maxRows {
			return fmt.Errorf("%w: more operations than its columns can hold", errChunk)
		}
		op = rawOp{succ: op.succ[:0]}
		var errs [12]error
		var ok bool
		var v uint64
		var d int64

		v, ok, errs[0] = objA.next()
		op.obj.actor, errs[1] = actorOf(v, ok)
		op.obj.ctr, _, errs[2] = objC.next()
		v, ok, errs[3] = keyA.next()
		op.keyID.actor, errs[4] = actorOf(v, ok)
		d, _, errs[5] = keyC.next()
		op.keyID.ctr = uint64(d)
		op.keyStr, _, errs[6] = keyS.next()
		v, ok, errs[7] = idA.next()
		if !ok {
			return fmt.Errorf("%w: operation without an id", errChunk)
		}
		op.id.actor, errs[8] = actorOf(v, true)
		d, _, errs[9] = idC.next()
		op.id.ctr = uint64(d)
		op.insert = ins.next()
		op.action, _, errs[10] = action.next()
		meta, _, err := valMeta.next()
		errs[11] = err
		if err := errors.Join(errs[:]...); err != nil {
			return err
		}
		l := meta >> 4
		if l > uint64(len(valRaw)-rawOff) {
			return fmt.Errorf("%w: value past the end", errChunk)
		}
		if meta&0xf == valString {
			op.val, op.isStr = valRaw[rawOff:rawOff+int(l)], true
		}
		rawOff += int(l)
		ns, _, err := succ.next()
		if err != nil {
			return err
		}
		if ns > 1<<20 {
			return fmt.Errorf("%w: too many successors", errChunk)
		}
		for j := uint64(0); j < ns; j++ {
			v, ok, err1 := succA.next()
			c, _, err2 := succC.next()
			if err := errors.Join(err1, err2); err != nil {
				return err
			}
			a, err := actorOf(v, ok)
			if err != nil || a < 0 {
				return fmt.Errorf("%w: bad successor", errChunk)
			}
			op.succ = append(op.succ, opID{ctr: uint64(c), actor: a})
		}
		visit(&op)
	}
	return nil
}

// rle decodes automerge's run-length encoding: a signed LEB128 header n
// (n > 0: the next value repeated n times; n < 0: -n literal values; 0: an
// unsigned count of nulls), then the values.
type rle[T any] struct {
	buf   []byte
	off   int
	read  func(*rle[T]) (T, error)
	state byte // 1 repeat, 2 literal, 3 null
	left  uint64
	cur   T
}

func (r *rle[T]) done() bool { return r.left == 0 && r.off >= len(r.buf) }

// next returns the next value; ok false for a null (also past the end).
func (r *rle[T]) next() (v T, ok bool, err error) {
	for r.left == 0 {
		if r.off >= len(r.buf) {
			return v, false, nil
		}
		n, err := r.sleb()
		if err != nil {
			return v, false, err
		}
		switch {
		case n > 0:
			r.state, r.left = 1, uint64(n)
			if r.cur, err = r.read(r); err != nil {
				return v, false, err
			}
		case n < 0:
			r.state, r.left = 2, uint64(-n)
		default:
			c, err := r.uleb()
			if err != nil {
				return v, false, err
			}
			r.state, r.left = 3, c
		}
	}
	r.left--
	switch r.state {
	case 1:
		return r.cur, true, nil
	case 2:
		v, err = r.read(r)
		return v, err == nil, err
	}
	return v, false, nil
}

func (r *rle[T]) uleb() (uint64, error) {
	v, k := binary.Uvarint(r.buf[r.off:])
	if k <= 0 {
		return 0, fmt.Errorf("%w: bad LEB128", errChunk)
	}
	r.off += k
	return v, nil
}

func (r *rle[T]) sleb() (int64, error) {
	var v int64
	var shift uint
	for {
		if r.off >= len(r.buf) || shift > 63 {
			return 0, fmt.Errorf("%w: bad signed LEB128", errChunk)
		}
		b := r.buf[r.off]
		r.off++
		v |= int64(b&0x7f) << shift
		shift += 7
		if b&0x80 == 0 {
			if shift < 64 && b&0x40 != 0 {
				v |= -1 << shift
			}
			return v, nil
		}
	}
}

func newUintRLE(b []byte) *rle[uint64] {
	return &rle[uint64]{buf: b, read: func(r *rle[uint64]) (uint64, error) { return r.uleb() }}
}

func newStrRLE(b []byte) *rle[string] {
	return &rle[string]{buf: b, read: func(r *rle[string]) (string, error) {
		n, err := r.uleb()
		if err != nil {
			return "", err
		}
		if n > uint64(len(r.buf)-r.off) {
			return "", fmt.Errorf("%w: string past the end", errChunk)
		}
		s := string(r.buf[r.off : r.off+int(n)])
		r.off += int(n)
		return s, nil
	}}
}

// delta: run-length encoded signed differences; nulls leave the sum alone.
type delta struct {
	r   *rle[int64]
	sum int64
}

func newDelta(b []byte) *delta {
	return &delta{r: &rle[int64]{buf: b, read: func(r *rle[int64]) (int64, error) { return r.sleb() }}}
}

func (d *delta) done() bool { return d.r.done() }

func (d *delta) next() (int64, bool, error) {
	v, ok, err := d.r.next()
	if !ok || err != nil {
		return 0, false, err
	}
	d.sum += v
	return d.sum, true, nil
}

// boolCol: alternating run lengths, starting with false.
type boolCol struct {
	buf     []byte
	off     int
	cur     bool
	left    uint64
	started bool
}

func newBoolCol(b []byte) *boolCol { return &boolCol{buf: b} }

func (b *boolCol) next() bool {
	for b.left == 0 {
		if b.off >= len(b.buf) {
			return false
		}
		n, k := binary.Uvarint(b.buf[b.off:])
		if k <= 0 {
			b.off = len(b.buf)
			return false
		}
		b.off += k
		if b.started {
			b.cur = !b.cur
		}
		b.started = true
		b.left = n
	}
	b.left--
	return b.cur
}

func (r *reader) uvarint() (uint64, error) {
	v, n := binary.Uvarint(r.buf[r.off:])
	if n <= 0 {
		return 0, fmt.Errorf("%w: bad LEB128", errChunk)
	}
	r.off += n
	return v, nil
}
