package sync

import (
	"bytes"
	"context"
	"errors"
	"sort"
	stdsync "sync"
	"sync/atomic"

	"github.com/pairpad/pairpad/crdt"
	"go.uber.org/zap"
)

// History (README "History"): the history endpoints read a crdt.History,
// built from the room's saved document and its change hashes.
//
//   - A loaded room answers in its own goroutine (evHistory) with its
//     cached saved form; the change hashes are rebuilt from it and the
//     history decoded outside that goroutine (crdt.SavedChangeHashes).
//   - A room that is not loaded is read from the store: its stored
//     document's hashes are rebuilt the same way, without automerge.
//   - Should Go not rebuild the hashes (a format feature it does not encode,
//     e.g. marks: crdt.ErrRehash), automerge lists them: the loaded room
//     walks its changes (evHistoryHashes), a stored one is loaded into a
//     temporary document.
//   - At most Config.HistoryLoads rebuilds or loads of stored rooms run at
//     once (others wait for a slot, or give up with their request), and each
//     counts in the memory budget (MaxMemory) like a loaded room while it
//     runs: over the budget the request gets ErrOverloaded (503).
//   - Built histories are cached by room and heads (historyCacheSize rooms):
//     asking again while nothing changed costs nothing, and a loaded room
//     that has not changed is not asked for its hashes again.

// historyCacheSize: rooms whose History is kept (rustcode's takes ~15 MB).
const historyCacheSize = 4

type historyEntry struct {
	id, key string
	h       *crdt.History
}

type historyCache struct {
	mu      stdsync.Mutex
	entries []historyEntry // most recent last
}

// ForgetHistories empties the history cache, so the next request builds
// again (tests compare a build from storage with one from the live room).
func (h *Hub) ForgetHistories() {
	h.histories.mu.Lock()
	h.histories.entries = nil
	h.histories.mu.Unlock()
}

func (c *historyCache) get(id string) (string, *crdt.History) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.entries {
		if e.id == id {
			return e.key, e.h
		}
	}
	return "", nil
}

func (c *historyCache) put(id, key string, h *crdt.History) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.entries[:0]
	for _, e := range c.entries {
		if e.id != id {
			out = append(out, e)
		}
	}
	out = append(out, historyEntry{id, key, h})
	if len(out) > historyCacheSize {
		out = out[len(out)-historyCacheSize:]
	}
	c.entries = out
}

// HistoryMetrics counts the history endpoints' work.
type HistoryMetrics struct {
	Builds      atomic.Int64 // histories decoded
	Rehashes    atomic.Int64 // change hashes rebuilt from a saved document in Go
	RehashFails atomic.Int64 // documents whose hashes Go could not rebuild (automerge asked instead)
	CacheHits   atomic.Int64
	Loads       atomic.Int64 // temporary documents loaded for rooms not in memory
	LoadsActive atomic.Int64
	Refused     atomic.Int64 // refused for the memory budget
}

func (m *HistoryMetrics) writePrometheus(g func(name, help, typ string, v int64)) {
	g("pairpad_history_builds_total", "Room histories decoded for the history endpoints.", "counter", m.Builds.Load())
	g("pairpad_history_rehashes_total", "Room histories whose change hashes were rebuilt from the saved document in Go, without automerge walking or loading it.", "counter", m.Rehashes.Load())
	g("pairpad_history_rehash_failures_total", "Room histories whose change hashes Go could not rebuild (automerge listed them instead).", "counter", m.RehashFails.Load())
	g("pairpad_history_cache_hits_total", "History requests answered from the cached history of unchanged heads.", "counter", m.CacheHits.Load())
	g("pairpad_history_loads_total", "Rooms not in memory loaded into a temporary document for the history endpoints.", "counter", m.Loads.Load())
	g("pairpad_history_loads_active", "Temporary documents loaded for the history endpoints now (at most HISTORY_LOADS).", "gauge", m.LoadsActive.Load())
	g("pairpad_history_loads_refused_total", "History requests for rooms not in memory refused (503) because the memory budget (MAX_MEMORY) was full.", "counter", m.Refused.Load())
}

// historyKey is a comparable form of heads, order-independent.
func historyKey(heads [][]byte) string {
	hs := append([][]byte(nil), heads...)
	sort.Slice(hs, func(i, j int) bool { return bytes.Compare(hs[i], hs[j]) < 0 })
	return crdt.HeadsKeyOf(hs)
}

func docHistoryKey(d *crdt.Doc) string {
	hs := d.Heads()
	raw := make([][]byte, len(hs))
	for i := range hs {
		raw[i] = hs[i][:]
	}
	return historyKey(raw)
}

// historyReply is a loaded room's answer to evHistory.
type historyReply struct {
	key string
	src *crdt.HistorySource // nil: the key is the one asked about
}

// History returns the room's history at its current heads.
func (h *Hub) History(ctx context.Context, id string) (*crdt.History, error) {
	cachedKey, cached := h.histories.get(id)
	kind := evHistory
	for {
		var rep historyReply
		_, live, err := h.askLive(ctx, id, func(r *room) ([]byte, error) {
			var err error
			rep, err = r.askHistory(ctx, cachedKey, kind)
			return nil, err
		})
		if err != nil {
			return nil, err
		}
		if !live {
			break
		}
		if rep.src == nil {
			h.metrics.History.CacheHits.Add(1)
			return cached, nil
		}
		if rep.src.Hashes == nil {
			if !h.rehash(id, rep.src) {
				kind = evHistoryHashes // automerge lists them
				continue
			}
		}
		return h.buildHistory(id, rep.key, *rep.src)
	}
	rec, err := h.store.Load(ctx, id)
	if err != nil {
		return nil, Unavailable(err)
	}
	key := ""
	if heads, err := crdt.SavedHeads(rec.Data); err == nil {
		key = historyKey(heads)
		if key == cachedKey && cached != nil {
			h.metrics.History.CacheHits.Add(1)
			return cached, nil
		}
	}
	return h.historyFromStore(ctx, id, key, rec)
}

// savedChangeHashes is crdt.SavedChangeHashes (tests make it fail).
var savedChangeHashes = crdt.SavedChangeHashes

// rehash fills src.Hashes from src.Saved in Go; false if it could not.
func (h *Hub) rehash(id string, src *crdt.HistorySource) bool {
	hashes, err := savedChangeHashes(src.Saved)
	if err != nil {
		h.metrics.History.RehashFails.Add(1)
		h.log.Info("change hashes not rebuilt in Go; asking automerge", zap.String("room", id), zap.Error(err))
		return false
	}
	h.metrics.History.Rehashes.Add(1)
	src.Hashes = hashes
	return true
}

func (h *Hub) buildHistory(id, key string, src crdt.HistorySource) (*crdt.History, error) {
	hist, err := crdt.BuildHistory(src)
	if err != nil {
		return nil, err
	}
	h.metrics.History.Builds.Add(1)
	h.histories.put(id, key, hist)
	return hist, nil
}

// historyFromStore loads a stored room into a temporary document (bounded:
// see the top of this file).
func (h *Hub) historyFromStore(ctx context.Context, id, key string, rec RoomRecord) (*crdt.History, error) {
	select {
	case h.historySem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-h.historySem }()
	mem := roomMemory(int64(len(rec.Text)))
	if len(rec.Text) == 0 {
		mem = roomMemory(int64(len(rec.Data))) // no text copy: the saved size bounds it
	}
	if h.overBudget(mem) {
		h.metrics.History.Refused.Add(1)
		return nil, ErrOverloaded
	}
	h.memTotal.Add(mem)
	defer h.memTotal.Add(-mem)
	if key != "" { // one document chunk: rebuild its hashes, no load
		src := crdt.HistorySource{Saved: rec.Data}
		if h.rehash(id, &src) {
			return h.buildHistory(id, key, src)
		}
	}
	h.metrics.History.Loads.Add(1)
	h.metrics.History.LoadsActive.Add(1)
	defer h.metrics.History.LoadsActive.Add(-1)
	doc, err := crdt.Load(rec.Data)
	if err != nil {
		return nil, err
	}
	src, err := doc.HistorySource()
	if err != nil {
		return nil, err
	}
	if key == "" {
		key = docHistoryKey(doc)
	}
	doc = nil
	h.noteGarbage()
	return h.buildHistory(id, key, src)
}

var errNotLoaded = errors.New("room document not loaded")

// askHistory asks the room for its history source unless its heads are
// still have (then the reply has no source).
func (r *room) askHistory(ctx context.Context, have string, kind eventKind) (historyReply, error) {
	reply := make(chan snapshotReply, 1)
	select {
	case r.inbox <- event{kind: kind, reply: reply, have: have}:
	case <-r.done:
		return historyReply{}, errRoomGone
	case <-ctx.Done():
		return historyReply{}, ctx.Err()
	}
	select {
	case rep := <-reply:
		if rep.err != nil {
			return historyReply{}, rep.err
		}
		return rep.hist, nil
	case <-r.done:
		return historyReply{}, errRoomGone
	case <-ctx.Done():
		return historyReply{}, ctx.Err()
	}
}

// handleHistory answers evHistory in the room goroutine.
func (r *room) handleHistory(ev event) {
	if r.doc == nil {
		ev.reply <- snapshotReply{err: errNotLoaded}
		return
	}
	key := docHistoryKey(r.doc)
	if key == ev.have {
		ev.reply <- snapshotReply{hist: historyReply{key: key}}
		return
	}
	var src crdt.HistorySource
	var err error
	if ev.kind == evHistoryHashes {
		src, err = r.doc.HistorySource()
	} else {
		src.Saved, err = r.doc.Save() // cached while nothing changes
	}
	if err != nil {
		ev.reply <- snapshotReply{err: err}
		return
	}
	ev.reply <- snapshotReply{hist: historyReply{key: key, src: &src}}
}
