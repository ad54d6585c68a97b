package sync

import (
	"context"
	"errors"
	stdsync "sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/pairpad/pairpad/crdt"

	"github.com/pairpad/pairpad/sync/wire"
)

var errRoomGone = errors.New("room unloaded")

// inboxSize is each room's event queue; readers block (backpressure on
// their own socket) when it is full. Every loaded room holds it whole
// (56 bytes an event): 32 rather than 128 saves 5 KiB per idle room, and
// the room drains it in one batch (maxBatch) anyway.
const inboxSize = 32

// maxBatch bounds how many inbox events a room handles before it generates
// sync messages: under load, one generation covers many keystrokes.
const maxBatch = 64

// event is something a room's goroutine is asked to do.
type event struct {
	kind  eventKind
	peer  *peer
	msg   *wire.Message // a pointer keeps queued events (and idle rooms) small
	reply chan snapshotReply
	link  *linkChange // evLink
	have  string      // evHistory: the heads key the asker has a history for
}

type eventKind int

const (
	evJoin eventKind = iota
	evLeave
	evFrame
	evSnapshot
	evText
	evLink          // a link's role changed or it was revoked (links.go)
	evHistory       // history source for the history endpoints (history.go): the saved form
	evHistoryHashes // the same with automerge's change hashes (when Go could not rebuild them)
	evPeople        // the room's connections, for owners (people.go)
	evGossipSub     // a peer subscribed to storage ids (msg.Add): send the heads known (gossip.go)
)

type snapshotReply struct {
	data  []byte
	hist  historyReply
	heads []string // evText: the heads of the text in data (hex)
	err   error
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
	// remoteCh: other instances' messages (nil without a broker)
	remoteCh    chan BrokerMessage
	unsubscribe func()
	bx          brokerState // heads exchange (roombroker.go)

	stopOnce  stdsync.Once
	stopCode  CloseCode
	deadline  atomic.Pointer[time.Time] // shutdown deadline for the final save
	refs      int                       // guarded by hub.mu
	peerCount atomic.Int64
	mem       atomic.Int64 // estimated memory (memory.go)
	dirtyFlag atomic.Bool  // unsaved changes: dirty or a save in flight
	// driverNow: while driver mode is on, the driver's peer id ("" while
	// the keyboard is free); nil while it is off (drive.go, Hub.Status).
	driverNow atomic.Pointer[string]

	// owned by run
	doc     *crdt.Doc
	version int64
	peers   map[*peer]*peerSync
	// due: the peers whose gen was set since the last generate (in a
	// lecture room one acknowledgement must not cost a walk over 1,000)
	due []*peer
	// catchUps: catch-up messages built in this batch, by base (answer)
	catchUps    map[string]catchUp
	byID        map[string]*peer
	ephemeral   map[string]*ephemeralSeen // de-duplication by sender (ephemeral.go)
	remoteHeads map[string]remoteHeads    // last heads per storage id, for gossip (gossip.go)
	gossipOut   []heldHeads               // remote-heads messages held until the batch's sync messages
	dirty       bool
	saving      bool
	// compaction (see Config.CompactAfter); idle fires when nothing
	// touched the document for that long
	idle           *time.Timer
	compacting     bool
	compactedHeads string
	asleep         bool // the document sleeps (compact.go, trySleep)
	// document size cap (docsize.go): an upper bound of the size, if known
	sizeUpper int64
	sizeKnown bool
	// warmText: walk the text after this batch; warmNext: walk it after
	// the next change too (docsize.go, noteApplied).
	warmText, warmNext bool
	// creatable: opened through /sync, where a client may create the
	// document (set before run starts); absent: it is not stored yet (the
	// room holds an empty document until a peer's first changes create it).
	creatable bool
	absent    bool
	unavail   absentDoc // peers waiting for an absent document (syncdoc.go)
	drive     roomDrive // driver and navigator mode (drive.go)

	roomDurable // change log, save retries, spill (durable.go)
}

func newRoom(h *Hub, id string, prev chan struct{}) *room {
	r := &room{
		hub:         h,
		id:          id,
		log:         h.log.WithLazy(zap.String("room", id)),
		prev:        prev,
		inbox:       make(chan event, inboxSize),
		flushCh:     make(chan struct{}, 1),
		saveCh:      make(chan saveResult, 1),
		compactCh:   make(chan compactResult, 1),
		stopCh:      make(chan struct{}),
		done:        make(chan struct{}),
		peers:       map[*peer]*peerSync{},
		byID:        map[string]*peer{},
		ephemeral:   map[string]*ephemeralSeen{},
		roomDurable: roomDurable{unloadCh: make(chan struct{}, 1)},
	}
	r.noteSize(0)
	return r
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
	return r.ask(ctx, evSnapshot)
}

// ask has the room's goroutine answer a snapshot or text request.
func (r *room) ask(ctx context.Context, kind eventKind) ([]byte, error) {
	rep, err := r.askReply(ctx, kind)
	return rep.data, err
}

// askReply is ask, answering the room's whole reply.
func (r *room) askReply(ctx context.Context, kind eventKind) (snapshotReply, error) {
	reply := make(chan snapshotReply, 1)
	select {
	case r.inbox <- event{kind: kind, reply: reply}:
	case <-r.done:
		return snapshotReply{}, errRoomGone
	case <-ctx.Done():
		return snapshotReply{}, ctx.Err()
	}
	select {
	case rep := <-reply:
		return rep, rep.err
	case <-r.done:
		return snapshotReply{}, errRoomGone
	case <-ctx.Done():
		return snapshotReply{}, ctx.Err()
	}
}

func (r *room) run() {
	defer r.exit()
	if !r.open() {
		return
	}
	// An idle room's goroutine waits in this select for as long as the room
	// is loaded, and whatever is on its stack then is kept per room: the
	// runtime halves an 8 KiB stack at a collection only when under ~1.2 KiB
	// of it is in use. So each case's work is a method of its own, whose
	// frames are gone again while the room waits.
	for {
		select {
		case <-r.idle.C:
			r.onIdle()
		case res := <-r.compactCh:
			r.compactDone(res)
		case ev := <-r.inbox:
			r.onEvents(ev)
		case <-r.logC:
			r.logTick()
		case <-r.retryC:
			r.retryTick()
		case <-r.unloadCh:
			r.onUnload()
		case m := <-r.remoteCh:
			r.onRemote(m)
		case <-r.unavail.c:
			r.unavailableTick()
		case <-r.flushCh:
			r.startSave()
		case res := <-r.saveCh:
			r.saveDone(res)
		case <-r.stopCh:
			r.onStop()
			return
		}
		r.noteWake()
	}
}

// open waits for the previous incarnation's final save, subscribes and
// loads the room; false when the room could not load (its peers are closed).
func (r *room) open() bool {
	if r.prev != nil {
		<-r.prev // the previous incarnation's final save
	}
	r.subscribe()
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
		return false
	}
	r.hub.metrics.RoomsLoaded.Add(1)
	r.log.Debug("room loaded", zap.Int64("version", r.version))
	r.compactedHeads = r.doc.HeadsKey() // just loaded: compact already
	r.idle = time.NewTimer(r.hub.cfg.CompactAfter)
	return true
}

// exit undoes open, whether the room loaded (it has its idle timer) or not.
func (r *room) exit() {
	if r.idle != nil {
		r.idle.Stop()
		r.hub.metrics.RoomsLoaded.Add(-1)
	}
	if r.unsubscribe != nil {
		r.unsubscribe()
	}
	r.dropEphemeral()
	r.hub.forget(r)
	close(r.done)
	r.hub.wg.Done()
}

// onIdle: nothing touched the document for CompactAfter.
func (r *room) onIdle() {
	if r.doc.QuickSaved() {
		// Quiet now: take the full save that quick snapshots append to, so
		// that they stay small.
		_, _ = r.doc.Save()
	}
	if !r.trySleep() {
		r.startCompact()
		// Walk the text now, while idle, so GET /text finds it cached
		// (automerge-go needs ~450 ms per MiB).
		_, _ = r.doc.Text()
	}
}

// onEvents handles ev and whatever else the inbox holds (up to maxBatch),
// then generates for the peers once.
func (r *room) onEvents(ev event) {
	busy := touchesDoc(ev)
	r.handle(ev)
	for i := 1; i < maxBatch; i++ {
		select {
		case ev := <-r.inbox:
			busy = busy || touchesDoc(ev)
			r.handle(ev)
			continue
		default:
		}
		break
	}
	if busy {
		r.idle.Reset(r.hub.cfg.CompactAfter)
	}
	r.warmTextAfterPaste()
	r.generate()
}

// onRemote applies a change another instance published.
func (r *room) onRemote(m BrokerMessage) {
	r.applyRemote(m)
	r.generate()
}

// onStop: the hub stops the room.
func (r *room) onStop() {
	if r.asleep {
		r.hub.metrics.RoomsAsleep.Add(-1)
	}
	r.finish()
}

// touchesDoc reports whether an event counts as activity for idleness
// (CompactAfter): joins and document messages do; ephemeral messages
// (presence heartbeats every few seconds from every browser) and reads do
// not, or no room with a browser in it would ever compact or sleep.
func touchesDoc(ev event) bool {
	switch ev.kind {
	case evJoin:
		return true
	case evFrame:
		return ev.msg == nil || ev.msg.Type != wire.TypeEphemeral
	}
	return false
}

var errStopped = errors.New("room stopped while loading")

// errRoomLoading answers a text request while the document loads: the
// stored version is current, read it from the store (Hub.Text).
var errRoomLoading = errors.New("room is loading its document")

// load reads the room from the store, then loads the document in the
// background: automerge-go needs seconds for a long history (1.5 s for the
// 40,000-change rustcode trace). Meanwhile peers can join, ephemeral
// messages flow, and a fresh peer is served the stored bytes as its fast-join
// snapshot at once (earlyJoins); other frames wait until the document is
// there.
func (r *room) load() error {
	ctx, cancel := context.WithTimeout(context.Background(), r.hub.cfg.SaveTimeout)
	rec, err := r.hub.store.Load(ctx, r.id)
	cancel()
	if errors.Is(err, ErrNotFound) && r.creatable {
		// Nobody has this document yet: hold an empty one; a peer's first
		// changes create it (handleSync), a request gets doc-unavailable.
		r.absent = true
		r.initDurable(RoomRecord{ID: r.id}, 0)
		r.loaded(crdt.Empty(), newEarlyJoins(nil), nil)
		return nil
	}
	if err != nil {
		return err
	}
	r.version = rec.Version
	type loadResult struct {
		doc *crdt.Doc
		err error
	}
	loaded := make(chan loadResult, 1)
	go func() {
		if g := r.hub.loadGate; g != nil {
			<-g
		}
		doc, err := crdt.Load(rec.Data)
		loaded <- loadResult{doc, err}
	}()

	early := newEarlyJoins(rec.Data)
	var pending []event
	for {
		select {
		case res := <-loaded:
			if res.err != nil {
				return res.err
			}
			r.initDurable(rec, len(rec.Data))
			r.loaded(res.doc, early, pending)
			return nil
		case ev := <-r.inbox:
			if !r.handleWhileLoading(ev, rec.Data, early) {
				pending = append(pending, ev)
			}
		case <-r.stopCh:
			return errStopped
		}
	}
}

// handleWhileLoading handles what can be handled before the document is
// there; false means ev waits for it.
func (r *room) handleWhileLoading(ev event, saved []byte, early *earlyJoins) bool {
	switch {
	case ev.kind == evJoin:
		r.addPeer(ev.peer)
	case ev.kind == evSnapshot:
		ev.reply <- snapshotReply{data: saved}
	case ev.kind == evText:
		// Nothing has changed since the stored version: its text copy is
		// the answer, without waiting seconds for the load and a text walk.
		ev.reply <- snapshotReply{err: errRoomLoading}
	case ev.kind == evLink:
		r.applyLink(*ev.link)
	case ev.kind == evFrame && ev.msg.Type == wire.TypeEphemeral:
		r.handleFrame(ev.peer, *ev.msg)
	case ev.kind == evLeave:
		early.leave(ev.peer)
		return false
	default:
		return early.serve(r, ev)
	}
	return true
}

// loaded installs the document: peers that joined meanwhile get their sync
// state (those served early have their first frame applied), then the
// frames that waited are handled.
func (r *room) loaded(doc *crdt.Doc, early *earlyJoins, pending []event) {
	r.doc = doc
	if size, err := doc.SizeBytes(); err == nil {
		r.sizeUpper, r.sizeKnown = int64(size), true
		r.noteSize(r.sizeUpper)
	}
	for p, ps := range r.peers {
		ps.state = doc.NewPeerState()
		if !early.adopt(doc, p, ps) {
			p.kick(CloseSyncRejected)
			r.removePeer(p)
		}
	}
	for _, ev := range pending {
		r.handle(ev)
	}
	r.generate()
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
	case evText:
		text, err := r.doc.Text()
		ev.reply <- snapshotReply{data: []byte(text), heads: crdt.HashStrings(r.doc.Heads()), err: err}
	case evLink:
		r.applyLink(*ev.link)
	case evHistory, evHistoryHashes:
		r.handleHistory(ev)
	case evGossipSub:
		r.sendKnownHeads(ev.peer, ev.msg.Add)
	case evPeople:
		data, err := r.people()
		ev.reply <- snapshotReply{data: data, err: err}
	}
}

// addPeer registers a joined peer; its sync state waits for the document.
func (r *room) addPeer(p *peer) {
	if old := r.byID[p.id]; old != nil && old != p {
		old.kick(CloseReplaced)
		r.removePeer(old)
	}
	ps := newPeerSync(r.doc)
	if !r.joinGrant(p, ps) {
		return // its link was revoked since its token was checked
	}
	r.peers[p] = ps
	r.byID[p.id] = p
	r.wantUnload = false
	r.peerCount.Store(int64(len(r.peers)))
	r.hub.metrics.PeersConnected.Add(1)
	p.log.Debug("peer joined room", zap.Int("peers", len(r.peers)))
	r.driveJoined(p)
}

func (r *room) removePeer(p *peer) {
	if _, ok := r.peers[p]; !ok {
		return
	}
	delete(r.peers, p)
	r.unavail.forget(p)
	if r.byID[p.id] == p {
		delete(r.byID, p.id)
		r.dropEphemeralSender(p.id)
	}
	r.peerCount.Store(int64(len(r.peers)))
	r.hub.metrics.PeersConnected.Add(-1)
	r.driveLeft(p)
}

func (r *room) handleFrame(p *peer, msg wire.Message) {
	ps := r.peers[p]
	if ps == nil {
		return // left or replaced meanwhile
	}
	switch msg.Type {
	case wire.TypeRequest, wire.TypeSync:
		r.handleSync(p, ps, msg)
	case wire.TypeEphemeral:
		if msg.DocumentID != r.id {
			r.hub.metrics.FramesDropped.Add(1)
			return
		}
		if isDriveMessage(msg) && r.handleDrive(p, ps, msg) {
			return
		}
		if r.forwardEphemeral(p, msg) {
			r.publishEphemeral(msg)
		}
	case wire.TypeDocUnavailable:
		// The client does not have the document either: nothing to do.
	}
}

// handleSync applies a peer's sync message and decides its answer: a fast
// join, nothing (a pure acknowledgement), or a sync message at the end of
// the batch.
func (r *room) handleSync(p *peer, ps *peerSync, msg wire.Message) {
	if msg.DocumentID != r.id {
		r.send(p, wire.Message{Type: wire.TypeDocUnavailable, SenderID: r.hub.peerID, TargetID: p.id, DocumentID: msg.DocumentID})
		return
	}
	// Answer the peer's previous message before taking its next one:
	// automerge treats a heads-only message equal to our heads as proof
	// that the peer knows them, so batching two messages of one peer
	// could leave its last changes unacknowledged.
	if ps.gen {
		r.answer(p, ps)
		if r.peers[p] == nil {
			return
		}
	}
	info, err := crdt.InspectSync(msg.Data)
	if err != nil {
		r.rejectSync(p, err, len(msg.Data))
		return
	}
	if r.absent && info.Changes == 0 {
		if len(info.Heads) == 0 {
			// Neither we nor the peer have the document: it waits for
			// another peer's (awaitDoc). It stays a peer of the room:
			// should another peer create it later, it gets it.
			ps.fresh = false
			r.awaitDoc(p)
			return
		}
		r.announced(p) // it has the document: its changes follow our answer
	}
	if info.Changes > 0 && !r.mayChange(p, ps, time.Now()) {
		r.refuseWrite(p, ps, info.Changes) // a viewer or navigator: nothing applied, nothing forwarded
		return
	}
	r.pairingOnFirstSync(p, ps)
	grow, ok := r.admitSize(p, info)
	if !ok {
		return
	}
	if !r.absent && ps.deferAck(r.doc, msg.Data, info) {
		r.hub.metrics.AcksDeferred.Add(1)
		r.gossipHeads(p, info.Heads)
		return // nothing changed, nothing due
	}
	fast := ps.wantsFastJoin(r.doc, info)
	before := r.headsBeforeReceive(info)
	changed, heads, err := ps.receive(r.doc, msg.Data, info)
	if err != nil {
		r.rejectSync(p, err, len(msg.Data))
		return
	}
	r.gossipHeads(p, info.Heads)
	if changed {
		r.noteApplied(grow)
		r.markDirty()
		r.publishChanges(before)
		if r.absent {
			r.created()
		}
	}
	if fast {
		data, err := ps.fastJoin(r.doc)
		if err == nil {
			r.hub.metrics.FastJoins.Add(1)
			r.sendSync(p, data)
			return
		}
		p.log.Error("fast join failed; falling back to v1", zap.Error(err))
	}
	if ps.isPureAck(info, changed, heads) {
		ps.settled = heads
		return
	}
	r.setDue(p, ps)
}

// setDue marks a sync message as maybe due for p (generate decides).
func (r *room) setDue(p *peer, ps *peerSync) {
	if !ps.gen {
		ps.gen = true
		r.due = append(r.due, p)
	}
}

// created: a peer's first changes made an absent document; it is stored
// now (a Create, see Hub.save), not at the next flush.
func (r *room) created() {
	r.absent = false
	r.unavail.reset()
	r.hub.metrics.SyncDocsCreated.Add(1)
	r.log.Debug("document created by a peer")
	r.startSave()
}

func (r *room) rejectSync(p *peer, err error, size int) {
	p.log.Warn("sync message rejected", zap.Error(err), zap.Int("bytes", size))
	p.kick(CloseSyncRejected)
	r.removePeer(p)
}

// forwardEphemeral sends an ephemeral message to every peer but from (nil:
// the message came from another instance), unless it is a duplicate by
// (sender, session, count). It reports whether the message was new.
func (r *room) forwardEphemeral(from *peer, msg wire.Message) bool {
	if !r.ephemeralNew(msg, time.Now()) {
		r.hub.metrics.FramesDropped.Add(1)
		return false
	}
	for other := range r.peers {
		if other == from {
			continue
		}
		fwd := msg
		fwd.TargetID = other.id
		r.send(other, fwd)
	}
	return true
}

func (r *room) markDirty() {
	r.markDirtyOnly()
	for p, ps := range r.peers {
		r.setDue(p, ps)
	}
}

func (r *room) clearDirty() {
	if r.dirty {
		r.dirty = false
		r.hub.metrics.DirtyRooms.Add(-1)
	}
	r.dirtyFlag.Store(r.dirty || r.saving)
}

// generate sends every peer the sync message that is due, if any. A peer
// whose holdings we know (it acknowledged heads, plus catch-up messages sent
// since: peerSync.catchUpBase) is due the changes since those: one
// catch-up message (crdt.Doc.CatchUpMessage), built once for all peers at
// the same base and sent to each, so that a lecture room's 1,000 viewers do
// not cost a Generate each per keystroke. Their automerge states are not
// told: their acknowledgements are deferred (peerSync.deferAck) and the
// latest brings a state up to date when automerge next generates for it.
// Other peers get what automerge generates for them.
func (r *room) generate() {
	due := r.due
	r.due = nil
	for i, p := range due {
		due[i] = nil
		if ps := r.peers[p]; ps != nil && ps.gen {
			r.answer(p, ps)
		} // else left, or answered meanwhile (handleSync)
	}
	if r.due == nil {
		r.due = due[:0] // reuse the array (nothing was marked due meanwhile)
	}
	clear(r.catchUps)
	if len(r.gossipOut) > 0 {
		r.flushGossip()
	}
}

// catchUp is a catch-up message from some base to heads.
type catchUp struct {
	heads string
	data  []byte // nil: it could not be built
}

// answer sends p the sync message due for it, if any: a catch-up message
// when its base is known, else what automerge generates.
func (r *room) answer(p *peer, ps *peerSync) {
	base := ps.catchUpBase()
	if base == "" {
		r.generateFor(p, ps)
		return
	}
	heads := r.doc.HeadsKey()
	if base == heads {
		ps.gen = false // it holds them, or will once what is in flight arrives
		return
	}
	cu, ok := r.catchUps[base]
	if !ok || cu.heads != heads {
		r.hub.metrics.CatchUpsBuilt.Add(1)
		data, err := r.doc.CatchUpMessage(base)
		if err != nil {
			r.log.Error("catch-up message", zap.Error(err))
			data = nil
		}
		cu = catchUp{heads: heads, data: data}
		if r.catchUps == nil {
			r.catchUps = map[string]catchUp{}
		}
		r.catchUps[base] = cu
	}
	if cu.data == nil {
		r.generateFor(p, ps)
		return
	}
	ps.sentCatchUp(heads)
	r.hub.metrics.CatchUps.Add(1)
	r.sendSync(p, cu.data)
}

// generateFor sends p the sync message automerge generates for it, if any.
func (r *room) generateFor(p *peer, ps *peerSync) {
	data, ok, err := ps.generate(r.doc)
	if err != nil {
		p.log.Error("generate sync message", zap.Error(err))
		p.kick(CloseInternal)
		r.removePeer(p)
		return
	}
	if !ok {
		return
	}
	r.sendSync(p, data)
}

// sendSync queues the sync message data for p.
func (r *room) sendSync(p *peer, data []byte) {
	r.send(p, wire.Message{Type: wire.TypeSync, SenderID: r.hub.peerID, TargetID: p.id, DocumentID: r.id, Data: data})
}

// send queues a frame for p; a peer whose queue is full is closed.
func (r *room) send(p *peer, msg wire.Message) {
	frame, err := wire.EncodeFrame(msg)
	if err != nil {
		r.log.Error("encode frame", zap.Error(err))
		return
	}
	if !p.enqueue(frame) {
		r.hub.metrics.SlowConsumers.Add(1)
		p.log.Info("closing slow consumer", zap.Int("queue_frames", r.hub.cfg.SendQueue), zap.Int64("queue_bytes", p.queued.Load()))
		p.kick(CloseSlowConsumer)
		r.removePeer(p)
	}
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
