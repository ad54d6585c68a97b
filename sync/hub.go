// Package sync owns Pairpad's rooms: each room is one Automerge document in
// memory, served to its peers over automerge-repo's network protocol.
//
// Design (see README "Goroutines"): one goroutine per room owns its document,
// its peer set and every peer's sync state; each WebSocket has a reader and a
// writer goroutine; the Hub keeps the registry of loaded rooms and one
// flusher that asks dirty rooms to save every FlushInterval, and the memory
// reclaimer (reclaim.go). Saves (save.go) run on bytes already taken from the
// document, at most MaxConcurrentSaves at once, never inside a room's loop. A room is saved and unloaded when its last peer leaves, and on
// Shutdown.
//
// This package's name shadows the standard library's sync, which is imported
// here as stdsync. Hub methods are safe for concurrent use.
package sync

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	stdsync "sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/pairpad/pairpad/crdt"
)

// Config tunes the hub. The zero value of a field means its default.
type Config struct {
	// FlushInterval: how often dirty rooms are saved. Default 60s.
	FlushInterval time.Duration
	// MaxFrameBytes: largest frame accepted from a peer. Default 16 MiB.
	MaxFrameBytes int64
	// MaxDocBytes: largest document (text plus language, UTF-8 bytes) a
	// room accepts; a change that would take it over is refused and its
	// peer closed with CloseDocTooLarge (docsize.go). Default 1 MiB: a
	// room of 1 MiB takes ~600 MiB of memory (memory.go), so a 2 MiB one
	// would not fit the default MaxMemory of 1 GiB.
	MaxDocBytes int64
	// SendQueue: frames queued per peer before it is closed as a slow
	// consumer. Default 256.
	SendQueue int
	// MaxMemory: budget for the estimated memory of loaded rooms (see
	// memory.go); when full, opening another room is refused. Default 1 GiB;
	// negative: no budget.
	MaxMemory int64
	// MaxPeerQueueBytes: bytes queued per peer before it is closed as a
	// slow consumer (4408); one frame larger than this is still queued when
	// the queue is empty. Default 8 MiB.
	MaxPeerQueueBytes int64
	// WriteWait: deadline for one socket write. Default 10s.
	WriteWait time.Duration
	// PongWait: a peer that sends nothing (not even a pong) for this long is
	// dropped. Default 30s.
	PongWait time.Duration
	// PingPeriod: how often the server pings. Must be below PongWait.
	// Default 10s.
	PingPeriod time.Duration
	// JoinTimeout: time allowed between upgrade and the join message.
	// Default 10s.
	JoinTimeout time.Duration
	// SaveTimeout bounds one database save. Default 10s.
	SaveTimeout time.Duration
	// MaxConcurrentSaves bounds saves in flight. Default 8.
	MaxConcurrentSaves int
	// CompactAfter: a room idle this long with new history is reloaded from
	// its saved form in the background and swapped in. automerge-rs keeps
	// ~3.5 KB per change made or received live that a loaded document does
	// not (a 20-change room: 79 KB live, 8 KB reloaded). Default 30s.
	CompactAfter time.Duration
	// SleepMaxWake: an idle room (CompactAfter) whose document would
	// reload in at most this puts it to sleep instead of compacting it
	// (compact.go). Default 5ms; negative: rooms never sleep.
	SleepMaxWake time.Duration
	// FramesPerSecond and FrameBurst bound each connection's frame rate;
	// a peer over it is closed with 4429. Defaults 500 and 2000.
	FramesPerSecond float64
	FrameBurst      float64
	// LogInterval: while a room is dirty, its changes are appended to the
	// store's change log (if it has one, see ChangeLog) at most this often.
	// Default 1s.
	LogInterval time.Duration
	// SpillDir: where rooms that cannot be saved are written (see
	// RecoverSpills). Empty: no spill.
	SpillDir string
	// Broker connects this hub's rooms with other instances' (see Broker).
	// Nil: rooms are alone, as on a single instance.
	Broker Broker
	// BrokerQueue: messages from other instances queued per room; over it
	// they are dropped and counted. Default 1024.
	BrokerQueue int
	// DriveGrace: in driver mode, how long after the keyboard changes hands
	// changes from any peer that may write are still accepted (typed before
	// its client heard of the change); default 2 s (drive.go).
	DriveGrace time.Duration
	// HeadsInterval: how often a room held on several instances publishes
	// its heads so that lost broker messages are fetched again. Default 2s.
	HeadsInterval time.Duration
	// HistoryLoads: rooms not in memory loaded at once into temporary
	// documents for the history endpoints (history.go). Default 2.
	HistoryLoads int
	// SyncMaxDocs: documents one /sync socket may have open at once; a
	// request for one more is answered with an error for that document.
	// Default 1000.
	SyncMaxDocs int
	// MaxRemoteSubscriptions: storage ids one connection may subscribe to
	// for remote-heads gossip (gossip.go); more are ignored. Default 64.
	MaxRemoteSubscriptions int
}

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.FlushInterval, 60*time.Second)
	def(&c.WriteWait, 10*time.Second)
	def(&c.PongWait, 30*time.Second)
	def(&c.PingPeriod, 10*time.Second)
	def(&c.JoinTimeout, 10*time.Second)
	def(&c.SaveTimeout, 10*time.Second)
	def(&c.CompactAfter, 30*time.Second)
	if c.SleepMaxWake == 0 {
		c.SleepMaxWake = 5 * time.Millisecond // (negative: never)
	}
	def(&c.LogInterval, time.Second)
	if c.PingPeriod >= c.PongWait {
		c.PingPeriod = c.PongWait * 9 / 10
	}
	if c.MaxFrameBytes <= 0 {
		c.MaxFrameBytes = 16 << 20
	}
	if c.MaxDocBytes <= 0 {
		c.MaxDocBytes = 1 << 20
	}
	if c.MaxMemory == 0 {
		c.MaxMemory = 1 << 30
	}
	if c.MaxPeerQueueBytes <= 0 {
		c.MaxPeerQueueBytes = 8 << 20
	}
	if c.SendQueue <= 0 {
		c.SendQueue = 256
	}
	if c.MaxConcurrentSaves <= 0 {
		c.MaxConcurrentSaves = 8
	}
	if c.FramesPerSecond <= 0 {
		c.FramesPerSecond = 500
	}
	if c.FrameBurst <= 0 {
		c.FrameBurst = 2000
	}
	if c.BrokerQueue <= 0 {
		c.BrokerQueue = 1024
	}
	if c.SyncMaxDocs <= 0 {
		c.SyncMaxDocs = 1000
	}
	if c.MaxRemoteSubscriptions <= 0 {
		c.MaxRemoteSubscriptions = 64
	}
	if c.HeadsInterval <= 0 {
		c.HeadsInterval = 2 * time.Second
	}
	if c.DriveGrace <= 0 {
		c.DriveGrace = defaultDriveGrace
	}
	if c.HistoryLoads <= 0 {
		c.HistoryLoads = 2
	}
	return c
}

// Hub errors.
var (
	ErrShuttingDown = errors.New("server is shutting down")
)

// Hub is the registry of loaded rooms.
type Hub struct {
	cfg     Config
	store   Store
	log     *zap.Logger
	metrics *Metrics
	peerID  string

	pings pingSet // connections to keep alive (pings.go)
	// subscribers counts connections with a remote-heads subscription
	// (gossip.go): while there are none, rooms skip looking for them.
	subscribers atomic.Int64

	// loadGate, set by tests only (export_test.go), holds every document
	// load until it is closed.
	loadGate chan struct{}

	mu      stdsync.Mutex
	rooms   map[string]*room
	closing map[string]*room // rooms saving on their way out
	closed  bool
	// garbage: documents were dropped since the reclaimer last looked
	garbage bool
	// memTotal: the rooms' memory estimates summed (memory.go)
	memTotal atomic.Int64

	saveSem   chan struct{}
	stopFlush chan struct{}
	links     linkRegistry // recent link changes (links.go)
	// pairingNotices numbers driver-mode notices (drive.go)
	pairingNotices atomic.Uint64
	// link changes from other instances (links.go; nil without a broker)
	linkIn     chan linkChange
	linkStop   chan struct{}
	unsubLinks func()
	// clog appends rooms' increments (nil when the store has no ChangeLog)
	clog          *changeLogger
	shutdownTotal atomic.Int64   // the Shutdown budget, for spill margins
	storage       storageIDCache // the server's automerge-repo storage id (syncserve.go)
	report        ShutdownReport
	wg            stdsync.WaitGroup // room and flusher goroutines

	// history endpoints (history.go)
	histories  historyCache
	historySem chan struct{}
}

// NewHub starts a hub (and its flusher) over store.
func NewHub(cfg Config, store Store, log *zap.Logger) *Hub {
	cfg = cfg.withDefaults()
	var b [8]byte
	_, _ = rand.Read(b[:])
	h := &Hub{
		cfg:       cfg,
		store:     store,
		log:       log,
		metrics:   &Metrics{},
		peerID:    "pairpad-" + hex.EncodeToString(b[:]),
		rooms:     map[string]*room{},
		closing:   map[string]*room{},
		saveSem:   make(chan struct{}, cfg.MaxConcurrentSaves),
		stopFlush: make(chan struct{}),
	}
	h.historySem = make(chan struct{}, cfg.HistoryLoads)
	h.metrics.MemoryEstimate = h.MemoryEstimate
	if cl, ok := store.(ChangeLog); ok {
		h.clog = newChangeLogger(cl, cfg.LogInterval, cfg.SaveTimeout, h.metrics, log.Named("changelog"))
		go h.clog.run()
	}
	h.subscribeLinks()
	h.wg.Add(3)
	go h.flusher()
	go h.reclaimer()
	go h.pinger()
	return h
}

// Config returns the effective configuration (defaults filled in).
func (h *Hub) Config() Config { return h.cfg }

// Metrics returns the hub's counters.
func (h *Hub) Metrics() *Metrics { return h.metrics }

// PeerID is the server's automerge-repo peer id.
func (h *Hub) PeerID() string { return h.peerID }

// CreateRoom creates and stores a new room document in language; it returns
// the stored record (its ID is the room id). The room is not loaded.
func (h *Hub) CreateRoom(ctx context.Context, language string) (RoomRecord, error) {
	return h.createRoom(ctx, crdt.NewDocumentID(), language)
}

// CreateRoomWithID stores a new room under id (a room's private notes, whose
// id derives from the room's); ErrExists when it is there already.
func (h *Hub) CreateRoomWithID(ctx context.Context, id, language string) error {
	_, err := h.createRoom(ctx, id, language)
	return err
}

func (h *Hub) createRoom(ctx context.Context, id, language string) (RoomRecord, error) {
	doc, err := crdt.New(language)
	if err != nil {
		return RoomRecord{}, err
	}
	data, err := doc.Save()
	if err != nil {
		return RoomRecord{}, err
	}
	now := time.Now().UTC()
	rec := RoomRecord{ID: id, Language: language, Data: data, Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := h.store.Create(ctx, rec); err != nil {
		if errors.Is(err, ErrExists) {
			return RoomRecord{}, err
		}
		return RoomRecord{}, Unavailable(err)
	}
	return rec, nil
}

// RoomStatus is what the hub knows of a room right now.
type RoomStatus struct {
	Loaded bool
	Peers  int
	Dirty  bool
	// Driving: driver mode is on; Driver is the peer id that may type
	// ("" while the keyboard is free).
	Driving bool
	Driver  string
}

// Status reports whether a room is loaded, how many peers it has and who
// drives.
func (h *Hub) Status(id string) RoomStatus {
	h.mu.Lock()
	r := h.rooms[id]
	if r == nil {
		r = h.closing[id] // still in memory, saving on its way out
	}
	h.mu.Unlock()
	if r == nil {
		return RoomStatus{}
	}
	st := RoomStatus{Loaded: true, Peers: int(r.peerCount.Load()), Dirty: r.dirtyFlag.Load()}
	if d := r.driverNow.Load(); d != nil {
		st.Driving, st.Driver = true, *d
	}
	return st
}

// askLive asks the loaded room for id through ask. When the room is not
// loaded, or unloads meanwhile, it waits for a final save in flight and
// reports live false: the caller then reads the store, which has it; so
// does a room still loading its document that answers errRoomLoading.
func (h *Hub) askLive(ctx context.Context, id string, ask func(*room) ([]byte, error)) (data []byte, live bool, err error) {
	h.mu.Lock()
	r := h.rooms[id]
	var prev chan struct{}
	if c := h.closing[id]; c != nil {
		prev = c.done
	}
	h.mu.Unlock()
	if r != nil {
		data, err := ask(r)
		if err == nil {
			return data, true, nil
		}
		if errors.Is(err, errRoomLoading) {
			return nil, false, nil // the stored version is the room's
		}
		if !errors.Is(err, errRoomGone) {
			return nil, false, err
		}
		prev = r.done
	}
	if prev != nil { // let the final save land first
		select {
		case <-prev:
		case <-ctx.Done():
			return nil, false, ctx.Err()
		}
	}
	return nil, false, nil
}

// Snapshot returns the room's current document: from memory when it is
// loaded, else as stored.
func (h *Hub) Snapshot(ctx context.Context, id string) ([]byte, error) {
	data, live, err := h.askLive(ctx, id, func(r *room) ([]byte, error) { return r.snapshot(ctx) })
	if live || err != nil {
		return data, err
	}
	rec, err := h.store.Load(ctx, id)
	if err != nil {
		return nil, Unavailable(err)
	}
	return rec.Data, nil
}

// Text returns the room's content without ever loading its document: a
// loaded room answers from its live document in its own goroutine (once it
// has finished loading); otherwise the text copy stored with the last save
// answers. Rooms saved before text copies existed are read from their
// stored document (once: their next save stores the copy).
func (h *Hub) Text(ctx context.Context, id string) (string, error) {
	text, _, err := h.text(ctx, id, false)
	return text, err
}

// TextHeads is Text with the heads of the version it returns (hex change
// hashes, as automerge sorts them): a browser shows the text at once and
// makes the edits typed meanwhile at those heads (changeAt) once its own
// copy of the document has loaded. Like Text, it never loads a room.
func (h *Hub) TextHeads(ctx context.Context, id string) (string, []string, error) {
	return h.text(ctx, id, true)
}

// text answers Text and, with withHeads, TextHeads (a stored room's heads
// come from its stored document: one more column read).
func (h *Hub) text(ctx context.Context, id string, withHeads bool) (string, []string, error) {
	var heads []string
	data, live, err := h.askLive(ctx, id, func(r *room) ([]byte, error) {
		rep, err := r.askReply(ctx, evText)
		heads = rep.heads
		return rep.data, err
	})
	if live || err != nil {
		return string(data), heads, err
	}
	var text string
	if withHeads {
		text, heads, err = h.store.LoadTextHeads(ctx, id)
	} else {
		text, err = h.store.LoadText(ctx, id)
	}
	if !errors.Is(err, ErrNoText) {
		return text, heads, err
	}
	return h.loadStoredText(ctx, id)
}

// loadStoredText reads an unloaded room's text and heads from its stored
// document (a temporary load): when there is no current text copy.
func (h *Hub) loadStoredText(ctx context.Context, id string) (string, []string, error) {
	rec, err := h.store.Load(ctx, id)
	if err != nil {
		return "", nil, err
	}
	doc, err := crdt.Load(rec.Data)
	if err != nil {
		return "", nil, err
	}
	text, err := doc.Text()
	return text, crdt.HashStrings(doc.Heads()), err
}

// attach returns the loaded room for id, loading it if needed, and counts
// one more user of it. Each attach is paired with a detach.
func (h *Hub) attach(id string) (*room, error) { return h.attachDoc(id, false) }

// attachDoc is attach; create lets a room it loads start empty when the
// document is not stored (a /sync peer may create it).
func (h *Hub) attachDoc(id string, create bool) (*room, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrShuttingDown
	}
	r := h.rooms[id]
	if r == nil {
		if err := h.canOpenLocked(id, 0); err != nil {
			return nil, err
		}
		var prev chan struct{}
		if c := h.closing[id]; c != nil {
			prev = c.done
		}
		r = newRoom(h, id, prev)
		r.creatable = create
		h.rooms[id] = r
		h.wg.Add(1)
		go r.run()
	}
	r.refs++
	return r, nil
}

// detach drops one user of r; the last one stops it (save and unload).
func (h *Hub) detach(r *room) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r.refs--
	if r.refs > 0 || h.rooms[r.id] != r {
		return
	}
	// The room saves first and unloads only when saved (tryUnload): it
	// never leaves memory while its only copy is unsaved.
	r.requestUnload()
}

// forget removes r from the registry after its goroutine ended, and
// schedules the release of its document's memory.
func (h *Hub) forget(r *room) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.rooms[r.id] == r {
		delete(h.rooms, r.id)
	}
	if h.closing[r.id] == r {
		delete(h.closing, r.id)
	}
	h.memTotal.Add(-r.mem.Load())
	h.garbage = true
}

func (h *Hub) flusher() {
	defer h.wg.Done()
	t := time.NewTicker(h.cfg.FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-h.stopFlush:
			return
		case <-t.C:
			h.FlushAll()
		}
	}
}

// FlushAll asks every loaded room to save if it is dirty. It does not wait.
func (h *Hub) FlushAll() {
	h.mu.Lock()
	rooms := make([]*room, 0, len(h.rooms))
	for _, r := range h.rooms {
		rooms = append(rooms, r)
	}
	h.mu.Unlock()
	for _, r := range rooms {
		r.requestFlush()
	}
}

// Shutdown stops accepting peers, closes every room's peers with 1001 and
// saves every dirty room. It returns when all rooms are saved or ctx ends;
// then it reports the rooms whose state could not be saved.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	rooms := make([]*room, 0, len(h.rooms))
	for _, r := range h.rooms {
		rooms = append(rooms, r)
	}
	for _, r := range h.closing {
		rooms = append(rooms, r)
	}
	h.mu.Unlock()
	close(h.stopFlush)
	h.stopLinks()
	if dl, ok := ctx.Deadline(); ok {
		h.shutdownTotal.Store(int64(time.Until(dl)))
	}

	for _, r := range rooms {
		r.shutdownDeadline(ctx)
		r.stop(CloseGoingAway)
	}
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
	if h.clog != nil {
		// Rooms saved their snapshots; write what is left of the log (the
		// spilled rooms' entries, should the database be back), then stop.
		h.clog.close()
		if err := h.clog.write(ctx); err != nil {
			h.log.Warn("final change-log append failed", zap.Error(err))
		}
	}
	rep := report(rooms)
	h.mu.Lock()
	h.report = rep
	h.mu.Unlock()
	if len(rep.Spilled)+len(rep.Lost) > 0 {
		return &ShutdownError{Report: rep}
	}
	return nil
}

// ShutdownReport says where each room went during Shutdown.
func (h *Hub) ShutdownReport() ShutdownReport {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.report
}
