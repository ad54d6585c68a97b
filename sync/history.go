package sync

import (
	"bytes"
	"context"
	"errors"
	"sort"
	stdsync "sync"
	"sync/atomic"

	"github.com/pairpad/pairpad/crdt"
)

// History (README "History"): the history endpoints read a crdt.History,
// built from the room's saved document and its change hashes.
//
//   - A loaded room answers in its own goroutine (evHistory): its cached
//     saved form and its changes' hashes; the decoding runs outside it.
//   - A room that is not loaded is read from the store into a temporary
//     document. At most Config.HistoryLoads such loads run at once (others
//     wait for a slot, or give up with their request), and each counts in
//     the memory budget (MaxMemory) like a loaded room while it exists: over
//     the budget the request gets ErrOverloaded (503).
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
	CacheHits   atomic.Int64
	Loads       atomic.Int64 // temporary documents loaded for rooms not in memory
	LoadsActive atomic.Int64
	Refused     atomic.Int64 // refused for the memory budget
}

func (m *HistoryMetrics) writePrometheus(g func(name, help, typ string, v int64)) {
	g("pairpad_history_builds_total", "Room histories decoded for the history endpoints.", "counter", m.Builds.Load())
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
	var rep historyReply
	_, live, err := h.askLive(ctx, id, func(r *room) ([]byte, error) {
		var err error
		rep, err = r.askHistory(ctx, cachedKey)
		return nil, err
	})
	if err != nil {
		return nil, err
	}
	if live {
		if rep.src == nil {
			h.metrics.History.CacheHits.Add(1)
			return cached, nil
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
func (r *room) askHistory(ctx context.Context, have string) (historyReply, error) {
	reply := make(chan snapshotReply, 1)
	select {
	case r.inbox <- event{kind: evHistory, reply: reply, have: have}:
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
	src, err := r.doc.HistorySource()
	if err != nil {
		ev.reply <- snapshotReply{err: err}
		return
	}
	ev.reply <- snapshotReply{hist: historyReply{key: key, src: &src}}
}
