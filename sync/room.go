package sync

import (
	"context"
	"errors"
	stdsync "sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/pairpad/pairpad/crdt"
)

var errRoomGone = errors.New("room unloaded")

// inboxSize is each room's event queue; readers block (backpressure on
// their own socket) when it is full.
const inboxSize = 128

// maxBatch bounds how many inbox events a room handles before it generates
// sync messages: under load, one generation covers many keystrokes.
const maxBatch = 64

// event is something a room's goroutine is asked to do.
type event struct {
	kind  eventKind
	peer  *peer
	msg   *Message // a pointer keeps queued events (and idle rooms) small
	reply chan snapshotReply
}

type eventKind int

const (
	evJoin eventKind = iota
	evLeave
	evFrame
	evSnapshot
)

type snapshotReply struct {
	data []byte
	err  error
}

// peerSync is the room's view of one peer.
type peerSync struct {
	state *crdt.PeerState
	gen   bool // a sync message may be due
	// sentHeads: the heads announced in the last sync message sent to this
	// peer (HeadsKey form).
	sentHeads string
}

// room is one loaded document. Everything below "owned by run" is touched
// only by the room's goroutine.
type room struct {
	hub  *Hub
	id   string
	log  *zap.Logger
	prev chan struct{} // previous incarnation's done, waited for before load

	inbox     chan event
	flushCh   chan struct{}
	saveCh    chan saveResult
	compactCh chan compactResult
	stopCh    chan struct{}
	done      chan struct{}

	stopOnce  stdsync.Once
	stopCode  CloseCode
	deadline  atomic.Pointer[time.Time] // shutdown deadline for the final save
	refs      int                       // guarded by hub.mu
	peerCount atomic.Int64
	dirtyFlag atomic.Bool // unsaved changes: dirty or a save in flight

	// owned by run
	doc       *crdt.Doc
	version   int64
	peers     map[*peer]*peerSync
	byID      map[string]*peer
	ephemeral map[string]map[string]uint64 // sender -> session -> last count
	dirty     bool
	saving    bool
	// compaction (see Config.CompactAfter)
	compacting     bool
	compactedHeads string

	roomDurable // change log, save retries, spill (durable.go)
}

type compactResult struct {
	doc   *crdt.Doc
	heads string // the heads the compacted copy was saved at
	err   error
}

func newRoom(h *Hub, id string, prev chan struct{}) *room {
	return &room{
		hub:         h,
		id:          id,
		log:         h.log.With(zap.String("room", id)),
		prev:        prev,
		inbox:       make(chan event, inboxSize),
		flushCh:     make(chan struct{}, 1),
		saveCh:      make(chan saveResult, 1),
		compactCh:   make(chan compactResult, 1),
		stopCh:      make(chan struct{}),
		done:        make(chan struct{}),
		peers:       map[*peer]*peerSync{},
		byID:        map[string]*peer{},
		ephemeral:   map[string]map[string]uint64{},
		roomDurable: roomDurable{unloadCh: make(chan struct{}, 1)},
	}
}

// post hands an event to the room; false if the room has ended.
func (r *room) post(ev event) bool {
	select {
	case r.inbox <- ev:
		return true
	case <-r.done:
		return false
	}
}

func (r *room) requestFlush() {
	select {
	case r.flushCh <- struct{}{}:
	default:
	}
}

func (r *room) stop(code CloseCode) {
	r.stopOnce.Do(func() {
		r.stopCode = code
		close(r.stopCh)
	})
}

func (r *room) shutdownDeadline(ctx context.Context) {
	if d, ok := ctx.Deadline(); ok {
		r.deadline.Store(&d)
	}
}

func (r *room) snapshot(ctx context.Context) ([]byte, error) {
	reply := make(chan snapshotReply, 1)
	select {
	case r.inbox <- event{kind: evSnapshot, reply: reply}:
	case <-r.done:
		return nil, errRoomGone
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case rep := <-reply:
		return rep.data, rep.err
	case <-r.done:
		return nil, errRoomGone
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (r *room) run() {
	defer r.hub.wg.Done()
	defer close(r.done)
	defer r.hub.forget(r)

	if r.prev != nil {
		<-r.prev // the previous incarnation's final save
	}
	if err := r.load(); err != nil {
		code := CloseInternal
		switch {
		case errors.Is(err, errStopped):
			code = r.stopCode
		case errors.Is(err, ErrNotFound):
			code = CloseRoomNotFound
			r.log.Info("room not found on load")
		default:
			r.log.Error("room load failed", zap.Error(err))
		}
		for p := range r.peers {
			p.kick(code)
			r.removePeer(p)
		}
		r.failPending(code)
		return
	}
	m := r.hub.metrics
	m.RoomsLoaded.Add(1)
	defer m.RoomsLoaded.Add(-1)
	r.log.Debug("room loaded", zap.Int64("version", r.version))
	r.compactedHeads = r.doc.HeadsKey() // just loaded: compact already
	idle := time.NewTimer(r.hub.cfg.CompactAfter)
	defer idle.Stop()

	for {
		select {
		case <-idle.C:
			r.startCompact()
		case res := <-r.compactCh:
			r.compactDone(res)
		case ev := <-r.inbox:
			idle.Reset(r.hub.cfg.CompactAfter)
			r.handle(ev)
			for i := 1; i < maxBatch; i++ {
				select {
				case ev := <-r.inbox:
					r.handle(ev)
					continue
				default:
				}
				break
			}
			r.generate()
		case <-r.logC:
			r.logTick()
		case <-r.retryC:
			r.retryTick()
		case <-r.unloadCh:
			r.onUnload()
		case <-r.flushCh:
			r.startSave()
		case res := <-r.saveCh:
			r.saveDone(res)
		case <-r.stopCh:
			r.finish()
			return
		}
	}
}

var errStopped = errors.New("room stopped while loading")

// wantsSnapshot: a fresh v2-capable peer's first sync message.
func wantsSnapshot(msg []byte) bool {
	info, err := crdt.InspectSync(msg)
	return err == nil && crdt.WantsSnapshot(info)
}

// load reads the room from the store, then loads the document in the
// background: automerge-go needs seconds for a long history (1.5 s for the
// 40,000-change rustcode trace). Meanwhile peers can join, ephemeral
// messages flow, and a fresh peer is served the stored bytes as its fast-join
// snapshot at once; other frames wait until the document is there.
func (r *room) load() error {
	ctx, cancel := context.WithTimeout(context.Background(), r.hub.cfg.SaveTimeout)
	rec, err := r.hub.store.Load(ctx, r.id)
	cancel()
	if err != nil {
		return err
	}
	r.version = rec.Version
	heads, headsErr := crdt.SavedHeads(rec.Data)
	loaded := make(chan error, 1)
	var doc *crdt.Doc
	go func() {
		var err error
		doc, err = crdt.Load(rec.Data)
		loaded <- err
	}()

	var pending []event
	early := map[*peer]event{} // peers served the stored snapshot: their first frame
	synced := map[*peer]bool{} // peers that sent a sync frame while loading
	for {
		select {
		case err := <-loaded:
			if err != nil {
				return err
			}
			r.doc = doc
			r.initDurable(rec, len(rec.Data))
			for p, ps := range r.peers {
				ps.state = doc.NewPeerState()
				if ev, ok := early[p]; ok {
					if _, err := doc.Receive(ps.state, ev.msg.Data); err != nil {
						p.kick(CloseSyncRejected)
						r.removePeer(p)
						continue
					}
					ps.state.MarkFastJoined(time.Now())
					ps.sentHeads = crdt.HeadsKeyOf(heads)
				}
			}
			for _, ev := range pending {
				r.handle(ev)
			}
			r.generate()
			return nil
		case ev := <-r.inbox:
			switch {
			case ev.kind == evJoin:
				r.addPeer(ev.peer)
			case ev.kind == evSnapshot:
				ev.reply <- snapshotReply{data: rec.Data}
			case ev.kind == evFrame && ev.msg.Type == TypeEphemeral:
				r.handleFrame(ev.peer, *ev.msg)
			case ev.kind == evFrame && (ev.msg.Type == TypeRequest || ev.msg.Type == TypeSync) &&
				ev.msg.DocumentID == r.id && headsErr == nil && len(heads) > 0 && !synced[ev.peer] &&
				r.peers[ev.peer] != nil && wantsSnapshot(ev.msg.Data):
				synced[ev.peer] = true
				early[ev.peer] = ev
				r.hub.metrics.FastJoins.Add(1)
				r.hub.metrics.EarlyFastJoins.Add(1)
				r.send(ev.peer, Message{Type: TypeSync, SenderID: r.hub.peerID, TargetID: ev.peer.id, DocumentID: r.id,
					Data: crdt.SnapshotMessage(heads, rec.Data)})
			default:
				if ev.kind == evFrame {
					synced[ev.peer] = true
				}
				if ev.kind == evLeave {
					delete(early, ev.peer)
				}
				pending = append(pending, ev)
			}
		case <-r.stopCh:
			return errStopped
		}
	}
}

// failPending closes every peer that joined while the room was loading.
func (r *room) failPending(code CloseCode) {
	for {
		select {
		case ev := <-r.inbox:
			if ev.kind == evJoin {
				ev.peer.kick(code)
			}
			if ev.reply != nil {
				ev.reply <- snapshotReply{err: errRoomGone}
			}
		default:
			return
		}
	}
}

func (r *room) handle(ev event) {
	switch ev.kind {
	case evJoin:
		r.addPeer(ev.peer)
	case evLeave:
		r.removePeer(ev.peer)
	case evFrame:
		r.handleFrame(ev.peer, *ev.msg)
	case evSnapshot:
		data, err := r.doc.Save()
		ev.reply <- snapshotReply{data: data, err: err}
	}
}

// addPeer registers a joined peer; its sync state waits for the document.
func (r *room) addPeer(p *peer) {
	if old := r.byID[p.id]; old != nil && old != p {
		old.kick(CloseReplaced)
		r.removePeer(old)
	}
	ps := &peerSync{}
	if r.doc != nil {
		ps.state = r.doc.NewPeerState()
	}
	r.peers[p] = ps
	r.byID[p.id] = p
	r.wantUnload = false
	r.peerCount.Store(int64(len(r.peers)))
	r.hub.metrics.PeersConnected.Add(1)
	p.log.Debug("peer joined room", zap.Int("peers", len(r.peers)))
}

func (r *room) removePeer(p *peer) {
	if _, ok := r.peers[p]; !ok {
		return
	}
	delete(r.peers, p)
	if r.byID[p.id] == p {
		delete(r.byID, p.id)
		delete(r.ephemeral, p.id)
	}
	r.peerCount.Store(int64(len(r.peers)))
	r.hub.metrics.PeersConnected.Add(-1)
}

func (r *room) handleFrame(p *peer, msg Message) {
	ps := r.peers[p]
	if ps == nil {
		return // left or replaced meanwhile
	}
	switch msg.Type {
	case TypeRequest, TypeSync:
		if msg.DocumentID != r.id {
			r.send(p, Message{Type: TypeDocUnavailable, SenderID: r.hub.peerID, TargetID: p.id, DocumentID: msg.DocumentID})
			return
		}
		// Answer the peer's previous message before taking its next one:
		// automerge treats a heads-only message equal to our heads as proof
		// that the peer knows them, so batching two messages of one peer
		// could leave its last changes unacknowledged.
		if ps.gen {
			r.generateFor(p, ps)
			if r.peers[p] == nil {
				return
			}
		}
		info, err := crdt.InspectSync(msg.Data)
		if err != nil {
			p.log.Warn("sync message rejected", zap.Error(err), zap.Int("bytes", len(msg.Data)))
			p.kick(CloseSyncRejected)
			r.removePeer(p)
			return
		}
		fast := r.doc.WantsFastJoin(ps.state, info)
		changed, heads, err := r.doc.ReceiveInspected(ps.state, msg.Data, info)
		if err != nil {
			p.log.Warn("sync message rejected", zap.Error(err), zap.Int("bytes", len(msg.Data)))
			p.kick(CloseSyncRejected)
			r.removePeer(p)
			return
		}
		if changed {
			r.markDirty()
		}
		if fast {
			data, err := r.doc.FastJoin(ps.state)
			if err == nil {
				r.hub.metrics.FastJoins.Add(1)
				ps.sentHeads = r.doc.HeadsKey()
				r.send(p, Message{Type: TypeSync, SenderID: r.hub.peerID, TargetID: p.id, DocumentID: r.id, Data: data})
				return
			}
			p.log.Error("fast join failed; falling back to v1", zap.Error(err))
		}
		// A pure acknowledgement (no changes, no requests, the heads we
		// have and last announced to it) needs no answer: automerge would
		// generate nothing, at the cost of a walk over the history.
		if !changed && info.Changes == 0 && info.Need == 0 {
			if theirs := crdt.HeadsKeyOf(info.Heads); theirs == ps.sentHeads && theirs == heads {
				return
			}
		}
		ps.gen = true
	case TypeEphemeral:
		if msg.DocumentID != r.id {
			r.hub.metrics.FramesDropped.Add(1)
			return
		}
		sessions := r.ephemeral[msg.SenderID]
		if sessions == nil {
			sessions = map[string]uint64{}
			r.ephemeral[msg.SenderID] = sessions
		}
		if last, seen := sessions[msg.SessionID]; seen && *msg.Count <= last {
			r.hub.metrics.FramesDropped.Add(1)
			return
		}
		if len(sessions) >= 64 { // bound memory per sender
			clear(sessions)
		}
		sessions[msg.SessionID] = *msg.Count
		for other := range r.peers {
			if other == p {
				continue
			}
			fwd := msg
			fwd.TargetID = other.id
			r.send(other, fwd)
		}
	case TypeDocUnavailable:
		// The client does not have the document either: nothing to do.
	}
}

func (r *room) markDirty() {
	r.markDirtyOnly()
	for _, ps := range r.peers {
		ps.gen = true
	}
}

func (r *room) clearDirty() {
	if r.dirty {
		r.dirty = false
		r.hub.metrics.DirtyRooms.Add(-1)
	}
	r.dirtyFlag.Store(r.dirty || r.saving)
}

// generate sends every peer the sync message that is due, if any.
func (r *room) generate() {
	for p, ps := range r.peers {
		if ps.gen {
			r.generateFor(p, ps)
		}
	}
}

func (r *room) generateFor(p *peer, ps *peerSync) {
	ps.gen = false
	data, ok, err := r.doc.Generate(ps.state)
	if err != nil {
		p.log.Error("generate sync message", zap.Error(err))
		p.kick(CloseInternal)
		r.removePeer(p)
		return
	}
	if !ok {
		return
	}
	if info, err := crdt.InspectSync(data); err == nil {
		ps.sentHeads = crdt.HeadsKeyOf(info.Heads)
	}
	r.send(p, Message{Type: TypeSync, SenderID: r.hub.peerID, TargetID: p.id, DocumentID: r.id, Data: data})
}

// send queues a frame for p; a peer whose queue is full is closed.
func (r *room) send(p *peer, msg Message) {
	frame, err := EncodeFrame(msg)
	if err != nil {
		r.log.Error("encode frame", zap.Error(err))
		return
	}
	if !p.enqueue(frame) {
		r.hub.metrics.SlowConsumers.Add(1)
		p.log.Info("closing slow consumer", zap.Int("queue", cap(p.sendq)))
		p.kick(CloseSlowConsumer)
		r.removePeer(p)
	}
}

// startCompact reloads the document from its saved form in the background.
func (r *room) startCompact() {
	heads := r.doc.HeadsKey()
	if r.compacting || heads == r.compactedHeads {
		return
	}
	data, err := r.doc.Save()
	if err != nil {
		r.log.Error("save for compaction", zap.Error(err))
		return
	}
	r.compacting = true
	go func() {
		doc, err := crdt.Load(data)
		r.compactCh <- compactResult{doc: doc, heads: heads, err: err}
	}()
}

// compactDone swaps in the compacted copy if nothing changed meanwhile.
func (r *room) compactDone(res compactResult) {
	r.compacting = false
	if res.err != nil {
		r.log.Error("compaction failed", zap.Error(res.err))
		return
	}
	if res.heads != r.doc.HeadsKey() {
		return // edited meanwhile; the next idle period tries again
	}
	moved := make(map[*peer]*crdt.PeerState, len(r.peers))
	for p, ps := range r.peers {
		st, err := ps.state.MoveTo(res.doc)
		if err != nil {
			r.log.Error("move sync state to the compacted document", zap.Error(err))
			return
		}
		moved[p] = st
	}
	for p, st := range moved {
		r.peers[p].state = st
	}
	r.takeIncrement() // from the old document, before it goes
	r.doc, r.compactedHeads = res.doc, res.heads
	r.hub.metrics.Compactions.Add(1)
	r.hub.noteGarbage()
}

func (r *room) startSave() { r.startSaveCtx(context.Background()) }

func (r *room) startSaveCtx(ctx context.Context) {
	if !r.dirty || r.saving {
		return
	}
	r.takeIncrement() // the snapshot covers it (saveMarks)
	data, err := r.doc.Save()
	if err != nil {
		r.log.Error("save document", zap.Error(err))
		return
	}
	r.saving = true
	r.clearDirty()
	lang, id, base, marks := r.doc.Language(), r.id, r.version, r.saveMarks()
	spilled, finishing := r.spilled, r.deadline.Load() != nil
	go func() {
		res := r.hub.save(ctx, id, data, lang, base, marks)
		res.size = len(data)
		r.hub.afterSave(id, data, spilled, finishing, &res)
		r.saveCh <- res
	}()
}

func (r *room) saveDone(res saveResult) {
	r.saving = false
	r.dirtyFlag.Store(r.dirty)
	if res.err != nil {
		r.log.Error("save failed; will retry", zap.Error(res.err), zap.Bool("spilled", res.spilled))
		r.markDirtyOnly()
		r.saveFailed(res)
		return
	}
	r.version = res.version
	defer r.savedDurable(res, res.size)
	if res.merged != nil {
		before := r.doc.HeadsKey()
		if err := r.doc.Merge(res.merged); err != nil {
			r.log.Error("merge another writer's document", zap.Error(err))
		} else if r.doc.HeadsKey() != before {
			r.markDirty()
			r.generate()
		}
	}
}

func (r *room) markDirtyOnly() {
	if !r.dirty {
		r.dirty = true
		r.hub.metrics.DirtyRooms.Add(1)
	}
	r.dirtyFlag.Store(true)
	r.noteChange()
}

// finish closes remaining peers and saves until the document is safe (or
// the shutdown deadline passes).
func (r *room) finish() {
	for p := range r.peers {
		p.kick(r.stopCode)
		r.removePeer(p)
	}
	// Answer anything still queued so no caller waits on a dead room.
	r.failPending(r.stopCode)
	r.finishDurably()
	switch finishOutcome(r.outcome.Load()) {
	case outcomeSaved:
		r.log.Debug("room saved and unloaded", zap.Int64("version", r.version))
	case outcomeClean:
		r.log.Debug("room unloaded")
	}
}
