package sync

import (
	"go.uber.org/zap"

	"github.com/pairpad/pairpad/crdt"
)

// Document size cap (Config.MaxDocBytes). automerge applies a sync message
// as a whole and cannot take it back, so a message is judged before it
// reaches the document, from what it could add at most: the content bytes
// its changes carry (crdt.SyncInfo.GrowthBound: commit messages, string
// and raw value columns, inflated; a change stores every character it
// inserts there).
//
//   - The keystroke path: the room keeps an upper bound of its document's
//     size (sizeUpper); when the bound plus the message's growth stays under
//     the cap, the message is applied as is. Cost: parsing the change
//     chunks' headers and column lists (inflating compressed ones).
//   - Otherwise the exact size is asked of automerge (crdt.Doc.SizeBytes,
//     ~0.1 ms) and the bound reset to it; if the growth still fits, the
//     message is applied.
//   - Otherwise the message could cross the cap. A small one (growth up to
//     keystrokeSlack) is applied: typing may take the document over the cap
//     by at most twice keystrokeSlack. A larger one is refused: the peer is
//     closed with CloseDocTooLarge, the room keeps everything else and the
//     other peers carry on.
//
// Applying a message to a fork first, to refuse exactly, was measured and
// rejected: forking a 512 KiB document takes 1.7 s (and doubles its
// memory), so any peer near the cap could stall its room at will. The price
// is that a paste replacing most of a document near the cap is refused even
// when the result would fit (delete first, then paste).
const keystrokeSlack = 4 << 10

// admitSize reports whether the peer's message may be applied, and by how
// many bytes at most it may grow the document; when not, the peer has been
// closed.
func (r *room) admitSize(p *peer, info crdt.SyncInfo) (grow int64, ok bool) {
	limit := r.hub.cfg.MaxDocBytes
	if info.Changes == 0 {
		return 0, true
	}
	grow = info.GrowthBound(2 * limit)
	defer func() { r.noteSize(r.sizeUpper) }()
	if grow > keystrokeSlack && r.hub.overBudget(grow*MemoryPerDocByte) {
		r.hub.metrics.LoadsRefused.Add(1)
		p.log.Warn("paste refused: the server's memory budget (MAX_MEMORY) is full",
			zap.Int64("change_bytes_max", grow), zap.Int64("max_memory", r.hub.cfg.MaxMemory))
		p.kick(CloseOverloaded)
		r.removePeer(p)
		return grow, false
	}
	if r.sizeKnown && r.sizeUpper+grow <= limit {
		r.sizeUpper += grow
		return grow, true
	}
	size, err := r.doc.SizeBytes()
	if err != nil {
		return grow, true // automerge will judge the message
	}
	r.sizeUpper, r.sizeKnown = int64(size), true
	if r.sizeUpper+grow <= limit || (grow <= keystrokeSlack && r.sizeUpper <= limit+keystrokeSlack) {
		r.sizeUpper += grow
		return grow, true
	}
	r.hub.metrics.DocTooLarge.Add(1)
	p.log.Warn("change refused: it could take the document over MAX_DOC_BYTES",
		zap.Int("size", size), zap.Int64("change_bytes_max", grow), zap.Int64("limit", limit))
	p.kick(CloseDocTooLarge)
	r.removePeer(p)
	return grow, false
}

// warmTextAfter: a change that may add this many bytes or more is a paste
// large enough that the room walks its text right after applying it (see
// warmTextAfterPaste).
const warmTextAfter = 32 << 10

// warmTextAfterPaste walks the text after a batch that applied a large
// paste, and after the batch with the next change, before the batch's
// answers go out. automerge's first walk of a text after a large change,
// and again after the first change that follows it, costs several times the
// next ones (1 MiB: ~160 ms and ~270 ms instead of ~40 ms, measured with
// automerge-go alone); applying the paste already took seconds, so those
// two changes reach the others a little later, and GET /text, which would
// otherwise pay for the walks, answers from the cache as soon as the sender
// knows the server has its change.
// noteApplied records that a peer's change of at most grow bytes was
// applied: a large paste, or the first change after one, asks for a walk.
func (r *room) noteApplied(grow int64) {
	switch {
	case grow >= warmTextAfter:
		r.warmText, r.warmNext = true, true
	case r.warmNext:
		r.warmText, r.warmNext = true, false
	}
}

func (r *room) warmTextAfterPaste() {
	if !r.warmText {
		return
	}
	r.warmText = false
	if _, err := r.doc.Text(); err == nil {
		r.hub.metrics.TextWarms.Add(1)
	}
}

// sizeChanged forgets the size bound after changes that did not go through
// admitSize (other instances' changes, a merged save).
func (r *room) sizeChanged() { r.sizeKnown = false }

// sizeHint is the document's size in bytes of content, for deciding how to
// save it (crdt.Doc.QuickSave): the bound when known, else asked (~0.1 ms).
func (r *room) sizeHint() int {
	if r.sizeKnown {
		return int(r.sizeUpper)
	}
	size, err := r.doc.SizeBytes()
	if err != nil {
		return 0
	}
	r.sizeUpper, r.sizeKnown = int64(size), true
	return size
}
