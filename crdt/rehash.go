package crdt

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/automerge/automerge-go"
)

// Change hashes from a saved document, without automerge.
//
// A change's hash is the SHA-256 of its change chunk, and a document chunk
// does not store the changes: it stores every operation once, in document
// order, with the metadata of each change. automerge rebuilds the change
// chunks when it loads a document (that is most of the ~2–4 s its load of
// the 40,000-change rustcode session takes); SavedChangeHashes does the same
// rebuilding in Go, for the history endpoints of a room that is not loaded:
//
//   - each change's operations are those of its actor with counters up to
//     its maxOp (after the actor's previous change's), in counter order;
//   - deletions are not stored as operations: a successor id that is no
//     operation of the document is a deletion of the operations naming it,
//     on their object and key (a sequence element by its id);
//   - an operation's predecessors are the operations naming it as successor,
//     in Lamport order;
//   - the change chunk is encoded as automerge encodes one (its actor first,
//     the other actors it references in byte order, dependencies sorted,
//     the operation columns run-length/delta/boolean encoded, empty columns
//     left out) and hashed with its dependencies' hashes.
//
// The result is checked against the heads the document chunk stores: any
// document this does not reproduce exactly (a format feature it does not
// encode, such as marks, or a bug) gives ErrRehash and the caller asks
// automerge instead.

// ErrRehash: the document's change hashes could not be rebuilt in Go.
var ErrRehash = errors.New("change hashes not rebuilt from the document chunk")

// Change operation columns (id << 4 | type): a change chunk gives the
// object, key, insert, action and value columns the ids the document's
// operation columns have (docchunk.go) and has predecessors where the
// document has successors.
const (
	chPred      = 7<<4 | 0
	chPredActor = 7<<4 | 1
	chPredCtr   = 7<<4 | 3
)

// docOpColumns: the document operation columns rebuilt changes can hold
// (anything else, e.g. marks, makes SavedChangeHashes give up).
var docOpColumns = map[uint64]bool{
	ocObjActor: true, ocObjCtr: true, ocKeyActor: true, ocKeyCtr: true, ocKeyStr: true,
	ocIDActor: true, ocIDCtr: true, ocInsert: true, ocAction: true, ocValMeta: true,
	ocValRaw: true, ocSucc: true, ocSuccActor: true, ocSuccCtr: true,
}

var docChangeColumns = map[uint64]bool{
	ccActor: true, ccSeq: true, ccMaxOp: true, ccTime: true, ccMessage: true, ccDeps: true, ccDepIndex: true,
	ccExtraMeta: true, ccExtraRaw: true,
}

// Extra bytes of each change (value metadata and raw columns).
const (
	ccExtraMeta = 5<<4 | 6
	ccExtraRaw  = 5<<4 | 7
)

// keyKind of an operation's key.
const (
	keyProp = iota // a map key (keyStr)
	keyHead        // the start of a sequence
	keyElem        // a sequence element (elem)
)

// fullOp is one operation with everything its change chunk encodes. It
// holds no pointers (a million of them are not for the GC to scan): its
// key string, value bytes and predecessors are ranges of opTable's slices.
type fullOp struct {
	id      cid
	obj     cid // actor -1: the root
	elem    cid
	meta    uint64 // value metadata: length << 4 | type
	action  uint32
	keyStr  int32 // into opTable.keys
	rawOff  uint32
	rawLen  uint32
	predOff uint32 // into opTable.preds
	predLen uint32
	kind    uint8
	insert  bool
}

// SavedChangeHashes returns the hash of every change of saved (one document
// chunk, as Doc.Save writes it), in the chunk's change order.
func SavedChangeHashes(saved []byte) ([]automerge.ChangeHash, error) {
	c, err := decodeDocChunk(saved)
	if err != nil {
		return nil, err
	}
	for spec, b := range c.changeCols {
		if len(b) > 0 && !docChangeColumns[spec] {
			return nil, fmt.Errorf("%w: change column %d", ErrRehash, spec)
		}
	}
	for spec, b := range c.opCols {
		if len(b) > 0 && !docOpColumns[spec] {
			return nil, fmt.Errorf("%w: operation column %d", ErrRehash, spec)
		}
	}
	ops, err := c.fullOps()
	if err != nil {
		return nil, err
	}
	return c.hashChanges(ops)
}

// extras returns each change's extra bytes (nil for none).
func (c *docChunk) extras() ([][]byte, error) {
	meta, raw := newUintRLE(c.changeCols[ccExtraMeta]), c.changeCols[ccExtraRaw]
	out := make([][]byte, len(c.changes))
	off := 0
	for i := range out {
		m, _, err := meta.next()
		if err != nil {
			return nil, err
		}
		l := m >> 4
		if l > uint64(len(raw)-off) {
			return nil, fmt.Errorf("%w: extra bytes past the end", errChunk)
		}
		if l > 0 {
			out[i] = raw[off : off+int(l)]
		}
		off += int(l)
	}
	return out, nil
}

// opTable is every operation of a document, deletions included, and each
// actor's operations in counter order (indexes into ops).
type opTable struct {
	ops     []fullOp
	byActor [][]int32
	keys    []string // map keys
	raw     []byte   // the value column
	preds   []cid
}

// cid is an operation id in 8 bytes (counters past 2^32 are left to
// automerge: ErrRehash).
type cid struct {
	ctr   uint32
	actor int32
}

// toCID converts an operation id; false when its counter does not fit.
func toCID(ctr uint64, actor int32) (cid, bool) {
	return cid{ctr: uint32(ctr), actor: actor}, ctr <= math.MaxUint32
}

func (t *opTable) pred(op *fullOp) []cid { return t.preds[op.predOff : op.predOff+op.predLen] }
func (t *opTable) value(op *fullOp) []byte {
	return t.raw[op.rawOff : op.rawOff+op.rawLen]
}

// fullOps decodes every operation and rebuilds deletions and predecessors.
func (c *docChunk) fullOps() (*opTable, error) {
	cols := c.opCols
	oc := c.opColumns()
	objA, objC, keyA, keyC, keyS := oc.objA, oc.objC, oc.keyA, oc.keyC, oc.keyS
	idA, idC, ins, action := oc.idA, oc.idC, oc.ins, oc.action
	valMeta, valRaw, succ, succA, succC := oc.valMeta, oc.valRaw, oc.succ, oc.succA, oc.succC
	nActors := uint64(len(c.actors))

	// Count the rows and successors first: the table is allocated once.
	rows, nSucc := 0, uint64(0)
	for r, g := newUintRLE(cols[ocIDActor]), newUintRLE(cols[ocSucc]); !r.done(); rows++ {
		if rows >= c.maxRows {
			return nil, fmt.Errorf("%w: more operations than its columns can hold", errChunk)
		}
		if _, _, err := r.next(); err != nil {
			return nil, err
		}
		n, _, err := g.next()
		if err != nil {
			return nil, err
		}
		if nSucc += n; nSucc > uint64(c.maxRows) {
			return nil, fmt.Errorf("%w: too many successors", errChunk)
		}
	}
	t := &opTable{byActor: make([][]int32, len(c.actors)), ops: make([]fullOp, 0, rows+int(nSucc)), raw: valRaw}
	keyIndex := map[string]int32{}
	// succOf: operation from names target as a successor.
	type succOf struct {
		target cid
		from   int32
	}
	succs := make([]succOf, 0, nSucc)
	rawOff := 0
	for rows := 0; !idA.done(); rows++ {
		if rows >= c.maxRows {
			return nil, fmt.Errorf("%w: more operations than its columns can hold", errChunk)
		}
		var op fullOp
		oa, oaOK, e0 := objA.next()
		oc, _, e1 := objC.next()
		ka, kaOK, e2 := keyA.next()
		kc, kcOK, e3 := keyC.next()
		ks, ksOK, e4 := keyS.next()
		ia, iaOK, e5 := idA.next()
		ic, _, e6 := idC.next()
		op.insert = ins.next()
		act, _, e7 := action.next()
		meta, _, e8 := valMeta.next()
		ns, _, e9 := succ.next()
		if err := errors.Join(e0, e1, e2, e3, e4, e5, e6, e7, e8, e9); err != nil {
			return nil, err
		}
		if !iaOK || ia >= nActors || ic <= 0 {
			return nil, fmt.Errorf("%w: operation without a valid id", errChunk)
		}
		var fits bool
		if op.id, fits = toCID(uint64(ic), int32(ia)); !fits {
			return nil, fmt.Errorf("%w: counter past 2^32", ErrRehash)
		}
		op.obj = cid{actor: -1}
		if oaOK {
			if oa >= nActors {
				return nil, fmt.Errorf("%w: actor index out of range", errChunk)
			}
			if op.obj, fits = toCID(oc, int32(oa)); !fits {
				return nil, fmt.Errorf("%w: counter past 2^32", ErrRehash)
			}
		}
		switch {
		case ksOK:
			k, ok := keyIndex[ks]
			if !ok {
				k = int32(len(t.keys))
				keyIndex[ks] = k
				t.keys = append(t.keys, ks)
			}
			op.kind, op.keyStr = keyProp, k
		case !kaOK && kcOK && kc == 0:
			op.kind = keyHead
		case kaOK && kcOK && ka < nActors && kc > 0 && kc <= math.MaxUint32:
			op.kind, op.elem = keyElem, cid{ctr: uint32(kc), actor: int32(ka)}
		default:
			return nil, fmt.Errorf("%w: operation without a valid key", errChunk)
		}
		if act > math.MaxUint32 {
			return nil, fmt.Errorf("%w: unknown action %d", ErrRehash, act)
		}
		op.action, op.meta = uint32(act), meta
		l := meta >> 4
		if l > uint64(len(valRaw)-rawOff) {
			return nil, fmt.Errorf("%w: value past the end", errChunk)
		}
		op.rawOff, op.rawLen = uint32(rawOff), uint32(l)
		rawOff += int(l)
		if ns > uint64(c.maxRows) {
			return nil, fmt.Errorf("%w: too many successors", errChunk)
		}
		from := int32(len(t.ops))
		for j := uint64(0); j < ns; j++ {
			sa, saOK, err1 := succA.next()
			sc, _, err2 := succC.next()
			if err := errors.Join(err1, err2); err != nil {
				return nil, err
			}
			if !saOK || sa >= nActors || sc <= 0 {
				return nil, fmt.Errorf("%w: bad successor", errChunk)
			}
			id, fits := toCID(uint64(sc), int32(sa))
			if !fits {
				return nil, fmt.Errorf("%w: counter past 2^32", ErrRehash)
			}
			succs = append(succs, succOf{id, from})
		}
		t.byActor[op.id.actor] = append(t.byActor[op.id.actor], from)
		t.ops = append(t.ops, op)
	}
	byCtr := func(a, b int32) int { return cmp.Compare(uint64(t.ops[a].id.ctr), uint64(t.ops[b].id.ctr)) }
	for _, g := range t.byActor {
		slices.SortFunc(g, byCtr)
		for k := 1; k < len(g); k++ {
			if t.ops[g[k]].id.ctr == t.ops[g[k-1]].id.ctr {
				return nil, fmt.Errorf("%w: operation id used twice", errChunk)
			}
		}
	}
	// A successor that is an operation: that operation's predecessor.
	// Any other is a deletion, which automerge stores only as successors.
	type predOf struct{ target, from int32 }
	var over []predOf
	dels := make([]succOf, 0, len(succs))
	for _, s := range succs {
		g := t.byActor[s.target.actor]
		k, found := slices.BinarySearchFunc(g, uint64(s.target.ctr), func(i int32, ctr uint64) int { return cmp.Compare(uint64(t.ops[i].id.ctr), ctr) })
		if found {
			over = append(over, predOf{g[k], s.from})
		} else {
			dels = append(dels, s)
		}
	}
	slices.SortStableFunc(dels, func(a, b succOf) int {
		if a.target.actor != b.target.actor {
			return int(a.target.actor - b.target.actor)
		}
		return cmp.Compare(uint64(a.target.ctr), uint64(b.target.ctr))
	})
	slices.SortStableFunc(over, func(a, b predOf) int { return int(a.target - b.target) })
	t.preds = make([]cid, 0, len(dels)+len(over))
	real := len(t.ops)
	for k := 0; k < len(dels); {
		first := t.ops[dels[k].from]
		d := fullOp{id: dels[k].target, obj: first.obj, action: uint32(actDel), predOff: uint32(len(t.preds))}
		if first.insert {
			d.kind, d.elem = keyElem, first.id
		} else {
			d.kind, d.keyStr, d.elem = first.kind, first.keyStr, first.elem
		}
		for ; k < len(dels) && dels[k].target == d.id; k++ {
			t.preds = append(t.preds, t.ops[dels[k].from].id)
		}
		d.predLen = uint32(len(t.preds)) - d.predOff
		t.ops = append(t.ops, d)
	}
	for k := 0; k < len(over); {
		op := &t.ops[over[k].target]
		op.predOff = uint32(len(t.preds))
		for target := over[k].target; k < len(over) && over[k].target == target; k++ {
			t.preds = append(t.preds, t.ops[over[k].from].id)
		}
		op.predLen = uint32(len(t.preds)) - op.predOff
	}
	// Each actor's deletions (appended by actor, then counter) merged into
	// its operations.
	for i := real; i < len(t.ops); {
		a, j := t.ops[i].id.actor, i
		var mine []int32
		for ; j < len(t.ops) && t.ops[j].id.actor == a; j++ {
			mine = append(mine, int32(j))
		}
		t.byActor[a] = mergeByCtr(t, t.byActor[a], mine)
		i = j
	}
	for i := range t.ops {
		if p := t.pred(&t.ops[i]); len(p) > 1 {
			slices.SortFunc(p, c.lamport)
		}
	}
	return t, nil
}

// mergeByCtr merges two lists of operation indexes sorted by counter.
func mergeByCtr(t *opTable, a, b []int32) []int32 {
	out := make([]int32, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if t.ops[a[0]].id.ctr < t.ops[b[0]].id.ctr {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return append(append(out, a...), b...)
}

// lamport orders operation ids as automerge does: counter, then actor id.
func (c *docChunk) lamport(a, b cid) int {
	if x := cmp.Compare(uint64(a.ctr), uint64(b.ctr)); x != 0 {
		return x
	}
	return bytes.Compare(c.actors[a.actor], c.actors[b.actor])
}

// hashChanges encodes each change and hashes it, in the chunk's order.
func (c *docChunk) hashChanges(t *opTable) ([]automerge.ChangeHash, error) {
	n := len(c.changes)
	// Each change's operations: its actor's, counters in (previous maxOp, maxOp].
	opsOf := make([][]int32, n)
	byActor := make([][]int, len(c.actors))
	for i, ch := range c.changes {
		byActor[ch.actor] = append(byActor[ch.actor], i)
	}
	for a, idx := range byActor {
		slices.SortFunc(idx, func(x, y int) int { return cmp.Compare(c.changes[x].seq, c.changes[y].seq) })
		g := t.byActor[a]
		for k, i := range idx {
			ch := c.changes[i]
			if ch.seq != uint64(k+1) {
				return nil, fmt.Errorf("%w: actor %d's changes are not numbered 1..n", ErrRehash, a)
			}
			end := 0
			for end < len(g) && uint64(t.ops[g[end]].id.ctr) <= ch.maxOp {
				end++
			}
			opsOf[i], g = g[:end], g[end:]
			for j, op := range opsOf[i] {
				if uint64(t.ops[op].id.ctr) != ch.maxOp-uint64(len(opsOf[i])-1-j) {
					return nil, fmt.Errorf("%w: change %d's operations are not consecutive", ErrRehash, i)
				}
			}
		}
		if len(g) > 0 {
			return nil, fmt.Errorf("%w: operations after actor %d's last change", ErrRehash, a)
		}
	}

	extra, err := c.extras()
	if err != nil {
		return nil, err
	}
	// automerge saves changes after their dependencies; a chunk that does
	// not is left to automerge.
	hashes := make([]automerge.ChangeHash, n)
	var enc changeEncoder
	for i, ch := range c.changes {
		for _, d := range ch.deps {
			if int(d) >= i {
				return nil, fmt.Errorf("%w: change %d saved before its dependency %d", ErrRehash, i, d)
			}
		}
		hashes[i] = enc.hash(c, i, t, opsOf[i], extra[i], hashes)
	}
	// The heads the chunk stores are the changes nothing depends on.
	dependedOn := make([]bool, n)
	for _, ch := range c.changes {
		for _, d := range ch.deps {
			dependedOn[d] = true
		}
	}
	var heads [][32]byte
	for i, h := range hashes {
		if !dependedOn[i] {
			heads = append(heads, h)
		}
	}
	if !sameHashSet(heads, c.heads) {
		return nil, fmt.Errorf("%w: the rebuilt changes do not hash to the document's heads", ErrRehash)
	}
	return hashes, nil
}

func sameHashSet(a, b [][32]byte) bool {
	if len(a) != len(b) {
		return false
	}
	cmp := func(x, y [32]byte) int { return bytes.Compare(x[:], y[:]) }
	a, b = slices.Clone(a), slices.Clone(b)
	slices.SortFunc(a, cmp)
	slices.SortFunc(b, cmp)
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// changeEncoder encodes change chunks, reusing its buffers.
type changeEncoder struct {
	body, cols                           bytes.Buffer
	objA, objC, keyA, keyS, action, meta rleEnc
	keyC, predC                          deltaEnc
	predN, predA                         rleEnc
	insert                               boolEnc
	raw                                  []byte
	local                                map[int32]uint64
	others                               []int32
}

func (e *changeEncoder) hash(c *docChunk, i int, t *opTable, ops []int32, extra []byte, hashes []automerge.ChangeHash) automerge.ChangeHash {
	all := t.ops
	ch := c.changes[i]
	// Actor indexes: the change's actor, then the others it names, by bytes.
	if e.local == nil {
		e.local = make(map[int32]uint64)
	}
	clear(e.local)
	e.others = e.others[:0]
	note := func(a int32) {
		if a < 0 || a == ch.actor {
			return
		}
		if _, ok := e.local[a]; !ok {
			e.local[a] = 0
			e.others = append(e.others, a)
		}
	}
	for _, oi := range ops {
		op := &all[oi]
		note(op.obj.actor)
		if op.kind == keyElem {
			note(op.elem.actor)
		}
		for _, p := range t.pred(op) {
			note(p.actor)
		}
	}
	slices.SortFunc(e.others, func(a, b int32) int { return bytes.Compare(c.actors[a], c.actors[b]) })
	e.local[ch.actor] = 0
	for k, a := range e.others {
		e.local[a] = uint64(k + 1)
	}

	for _, r := range []*rleEnc{&e.objA, &e.objC, &e.keyA, &e.keyS, &e.action, &e.meta, &e.predN, &e.predA} {
		r.reset()
	}
	e.keyC.reset()
	e.predC.reset()
	e.insert.reset()
	e.raw = e.raw[:0]
	for _, oi := range ops {
		op := &all[oi]
		if op.obj.actor < 0 {
			e.objA.null()
			e.objC.null()
		} else {
			e.objA.uint(e.local[op.obj.actor])
			e.objC.uint(uint64(op.obj.ctr))
		}
		switch op.kind {
		case keyProp:
			e.keyS.str(t.keys[op.keyStr])
			e.keyA.null()
			e.keyC.null()
		case keyHead:
			e.keyS.null()
			e.keyA.null()
			e.keyC.value(0)
		default:
			e.keyS.null()
			e.keyA.uint(e.local[op.elem.actor])
			e.keyC.value(int64(op.elem.ctr))
		}
		e.insert.add(op.insert)
		e.action.uint(uint64(op.action))
		e.meta.uint(op.meta)
		e.raw = append(e.raw, t.value(op)...)
		pred := t.pred(op)
		e.predN.uint(uint64(len(pred)))
		for _, p := range pred {
			e.predA.uint(e.local[p.actor])
			e.predC.value(int64(p.ctr))
		}
	}

	e.body.Reset()
	deps := make([][32]byte, len(ch.deps))
	for k, d := range ch.deps {
		deps[k] = hashes[d]
	}
	slices.SortFunc(deps, func(x, y [32]byte) int { return bytes.Compare(x[:], y[:]) })
	putUvarint(&e.body, uint64(len(deps)))
	for _, d := range deps {
		e.body.Write(d[:])
	}
	putBytes(&e.body, c.actors[ch.actor])
	putUvarint(&e.body, ch.seq)
	startOp := ch.maxOp + 1 - uint64(len(ops))
	putUvarint(&e.body, startOp)
	putVarint(&e.body, ch.time)
	putBytes(&e.body, []byte(ch.message))
	putUvarint(&e.body, uint64(len(e.others)))
	for _, a := range e.others {
		putBytes(&e.body, c.actors[a])
	}
	type col struct {
		spec uint64
		data []byte
	}
	cols := [...]col{
		{ocObjActor, e.objA.finish()}, {ocObjCtr, e.objC.finish()},
		{ocKeyActor, e.keyA.finish()}, {ocKeyCtr, e.keyC.finish()}, {ocKeyStr, e.keyS.finish()},
		{ocInsert, e.insert.finish()}, {ocAction, e.action.finish()},
		{ocValMeta, e.meta.finish()}, {ocValRaw, e.raw},
		{chPred, e.predN.finish()}, {chPredActor, e.predA.finish()}, {chPredCtr, e.predC.finish()},
	}
	nonEmpty := 0
	for _, cl := range cols {
		if len(cl.data) > 0 {
			nonEmpty++
		}
	}
	putUvarint(&e.body, uint64(nonEmpty))
	for _, cl := range cols {
		if len(cl.data) > 0 {
			putUvarint(&e.body, cl.spec)
			putUvarint(&e.body, uint64(len(cl.data)))
		}
	}
	for _, cl := range cols {
		e.body.Write(cl.data)
	}
	e.body.Write(extra)

	h := sha256.New()
	var hdr [1 + binary.MaxVarintLen64]byte
	hdr[0] = chunkTypeChange
	k := binary.PutUvarint(hdr[1:], uint64(e.body.Len()))
	h.Write(hdr[:1+k])
	h.Write(e.body.Bytes())
	var out automerge.ChangeHash
	h.Sum(out[:0])
	return out
}

func putUvarint(b *bytes.Buffer, v uint64) {
	var tmp [binary.MaxVarintLen64]byte
	b.Write(tmp[:binary.PutUvarint(tmp[:], v)])
}

// putVarint writes signed LEB128 (not Go's zig-zag varint).
func putVarint(b *bytes.Buffer, v int64) {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			b.WriteByte(c)
			return
		}
		b.WriteByte(c | 0x80)
	}
}

func putBytes(b *bytes.Buffer, p []byte) {
	putUvarint(b, uint64(len(p)))
	b.Write(p)
}

// rleEnc is automerge's run-length encoder: runs (n > 0, then the value),
// literal runs (-n, then n values), null runs (0, then the count); nulls
// before the first value and at the end of an all-null column are not
// written at all.
type rleEnc struct {
	signed  bool // values are signed LEB128 (deltas)
	out     bytes.Buffer
	state   uint8 // 0 empty, 1 initial nulls, 2 nulls, 3 lone value, 4 run, 5 literal run
	count   int   // nulls or run length
	cur     rleVal
	literal []rleVal
}

// rleVal is an unsigned integer or a string.
type rleVal struct {
	u     uint64
	s     string
	isStr bool
}

func (r *rleEnc) reset() {
	r.out.Reset()
	r.state, r.count, r.literal = 0, 0, r.literal[:0]
}

func (r *rleEnc) uint(v uint64) { r.value(rleVal{u: v}) }
func (r *rleEnc) str(s string)  { r.value(rleVal{s: s, isStr: true}) }

func (r *rleEnc) write(v rleVal) {
	switch {
	case v.isStr:
		putBytes(&r.out, []byte(v.s))
	case r.signed:
		putVarint(&r.out, int64(v.u))
	default:
		putUvarint(&r.out, v.u)
	}
}

func (r *rleEnc) flushRun(v rleVal, n int) {
	putVarint(&r.out, int64(n))
	r.write(v)
}

func (r *rleEnc) flushLiteral() {
	putVarint(&r.out, -int64(len(r.literal)))
	for _, v := range r.literal {
		r.write(v)
	}
	r.literal = r.literal[:0]
}

func (r *rleEnc) flushNulls() {
	putVarint(&r.out, 0)
	putUvarint(&r.out, uint64(r.count))
}

func (r *rleEnc) null() {
	switch r.state {
	case 0:
		r.state, r.count = 1, 1
		return
	case 1, 2:
		r.count++
		return
	}
	r.flushValues()
	r.state, r.count = 2, 1
}

// flushValues writes a pending lone value, run or literal run.
func (r *rleEnc) flushValues() {
	switch r.state {
	case 3, 5:
		r.literal = append(r.literal, r.cur)
		r.flushLiteral()
	case 4:
		r.flushRun(r.cur, r.count)
	}
}

func (r *rleEnc) value(v rleVal) {
	switch r.state {
	case 0:
		r.state, r.cur = 3, v
	case 1, 2:
		r.flushNulls()
		r.state, r.cur = 3, v
	case 3:
		if r.cur == v {
			r.state, r.count = 4, 2
		} else {
			r.literal = append(r.literal, r.cur)
			r.state, r.cur = 5, v
		}
	case 4:
		if r.cur == v {
			r.count++
		} else {
			r.flushRun(r.cur, r.count)
			r.state, r.cur = 3, v
		}
	case 5:
		if r.cur == v {
			r.flushLiteral()
			r.state, r.count = 4, 2
		} else {
			r.literal = append(r.literal, r.cur)
			r.cur = v
		}
	}
}

func (r *rleEnc) finish() []byte {
	if r.state == 2 {
		r.flushNulls()
	}
	r.flushValues()
	r.state = 0
	return r.out.Bytes()
}

// deltaEnc run-length encodes the differences between successive values
// (signed); nulls leave the running value alone.
type deltaEnc struct {
	r   rleEnc
	abs int64
}

func (d *deltaEnc) reset() { d.r.reset(); d.r.signed, d.abs = true, 0 }
func (d *deltaEnc) null()  { d.r.null() }
func (d *deltaEnc) value(v int64) {
	d.r.value(rleVal{u: uint64(v - d.abs)})
	d.abs = v
}
func (d *deltaEnc) finish() []byte { return d.r.finish() }

// boolEnc: alternating run lengths, starting with false.
type boolEnc struct {
	out   bytes.Buffer
	last  bool
	count uint64
}

func (b *boolEnc) reset() { b.out.Reset(); b.last, b.count = false, 0 }
func (b *boolEnc) add(v bool) {
	if v == b.last {
		b.count++
		return
	}
	putUvarint(&b.out, b.count)
	b.last, b.count = v, 1
}
func (b *boolEnc) finish() []byte {
	if b.count > 0 {
		putUvarint(&b.out, b.count)
	}
	return b.out.Bytes()
}
