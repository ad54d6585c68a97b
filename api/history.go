package api

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/automerge/automerge-go"
	"github.com/gin-gonic/gin"

	"github.com/pairpad/pairpad/crdt"
	pairsync "github.com/pairpad/pairpad/sync"
)

// The history endpoints (README "History"): GET /rooms/{id}/history,
// /text?heads=, /diff, /blame, /graph and /trace, and importing a document
// with POST /rooms. They read a crdt.History from the hub (sync/history.go:
// loaded rooms answer in their goroutine, others are loaded into a bounded
// temporary document; results are cached by heads).

// History page sizes.
const (
	historyDefaultLimit = 1000
	historyMaxLimit     = 10000
	// traceMaxWork bounds a trace export's work for concurrent changes
	// (element visits; ~1 s).
	traceMaxWork = 200_000_000
)

func (s *Server) historyRoutes(r gin.IRoutes, anyRole gin.HandlerFunc) {
	r.GET("/rooms/:id/history", anyRole, s.getHistory)
	r.GET("/rooms/:id/diff", anyRole, s.getDiff)
	r.GET("/rooms/:id/blame", anyRole, s.getBlame)
	r.GET("/rooms/:id/graph", anyRole, s.getGraph)
	r.GET("/rooms/:id/trace", anyRole, s.getTrace)
	r.GET("/rooms/:id/timeline", anyRole, s.getTimeline)
}

func badParam(c *gin.Context, msg string) {
	writeError(c, http.StatusBadRequest, "invalid_param", msg)
}

// roomHistory answers errors itself and returns false, or the history.
func (s *Server) roomHistory(c *gin.Context) (*crdt.History, bool) {
	id, ok := s.roomID(c)
	if !ok {
		return nil, false
	}
	h, err := s.hub.History(c.Request.Context(), id)
	if err != nil {
		if errors.Is(err, pairsync.ErrOverloaded) {
			c.Header("Retry-After", "30")
		}
		s.fail(c, err)
		return nil, false
	}
	c.Header("Cache-Control", "no-store")
	return h, true
}

// version parses a heads parameter (comma-separated change hashes) into a
// version of h; a missing or empty parameter is the current version when
// optional. It answers 400 itself.
func version(c *gin.Context, h *crdt.History, param string, optional bool) (crdt.Version, bool) {
	raw, present := c.GetQuery(param)
	if !present && optional {
		v, _ := h.VersionAt(nil)
		return v, true
	}
	heads, err := crdt.ParseHeads(raw)
	if err != nil {
		badParam(c, param+": "+err.Error())
		return nil, false
	}
	v, err := h.VersionAt(heads)
	if err != nil {
		writeError(c, http.StatusBadRequest, "unknown_change", param+": "+err.Error()+" (not a change of this room)")
		return nil, false
	}
	return v, true
}

// PersonJSON is an entry of the document's people map.
type PersonJSON = crdt.Person

// HistoryChange is one change in GET /history.
type HistoryChange struct {
	Hash     string      `json:"hash"`
	Actor    string      `json:"actor"`
	Person   *PersonJSON `json:"person"`
	Seq      uint64      `json:"seq"`
	Time     int64       `json:"time"`
	Deps     []string    `json:"deps"`
	Message  *string     `json:"message"`
	Inserted int         `json:"inserted"`
	Deleted  int         `json:"deleted"`
	AI       bool        `json:"ai"`
	Paste    bool        `json:"paste"`
}

// HistoryPage is the body of GET /history.
type HistoryPage struct {
	Changes []HistoryChange `json:"changes"`
	Next    *string         `json:"next"`
}

func person(h *crdt.History, actor string) *PersonJSON {
	if p, ok := h.PersonOf(actor); ok {
		return &p
	}
	return nil
}

func (s *Server) getHistory(c *gin.Context) {
	limit := historyDefaultLimit
	if v, ok := c.GetQuery("limit"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > historyMaxLimit {
			badParam(c, fmt.Sprintf("limit must be an integer from 1 to %d", historyMaxLimit))
			return
		}
		limit = n
	}
	var after *automerge.ChangeHash
	if v, ok := c.GetQuery("after"); ok {
		hash, err := crdt.ParseHash(v)
		if err != nil {
			badParam(c, "after: "+err.Error())
			return
		}
		after = &hash
	}
	h, ok := s.roomHistory(c)
	if !ok {
		return
	}
	start := 0
	if after != nil {
		i, ok := h.Index(*after)
		if !ok {
			writeError(c, http.StatusBadRequest, "unknown_change", "after: "+crdt.HashString(*after)+" is not a change of this room")
			return
		}
		start = i + 1
	}
	end := min(start+limit, len(h.Changes))
	page := HistoryPage{Changes: make([]HistoryChange, 0, end-start)}
	for i := start; i < end; i++ {
		ch := &h.Changes[i]
		actor := h.Actors[ch.Actor]
		hc := HistoryChange{Hash: crdt.HashString(ch.Hash), Actor: actor, Person: person(h, actor), Seq: ch.Seq, Time: ch.Time,
			Deps: make([]string, len(ch.Deps)), Inserted: ch.Inserted, Deleted: ch.Deleted,
			AI: ch.HasMessage && ch.Message == "ai", Paste: ch.HasMessage && ch.Message == "paste"}
		for k, d := range ch.Deps {
			hc.Deps[k] = crdt.HashString(h.Changes[d].Hash)
		}
		if ch.HasMessage {
			m := ch.Message
			hc.Message = &m
		}
		page.Changes = append(page.Changes, hc)
	}
	if end < len(h.Changes) && end > start {
		next := crdt.HashString(h.Changes[end-1].Hash)
		page.Next = &next
	}
	c.JSON(http.StatusOK, page)
}

// getTextAt answers GET /text?heads=….
func (s *Server) getTextAt(c *gin.Context) {
	raw := c.Query("heads")
	if _, err := crdt.ParseHeads(raw); err != nil {
		badParam(c, "heads: "+err.Error())
		return
	}
	h, ok := s.roomHistory(c)
	if !ok {
		return
	}
	v, ok := version(c, h, "heads", false)
	if !ok {
		return
	}
	c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte(h.TextAt(v)))
}

func (s *Server) getDiff(c *gin.Context) {
	if _, ok := c.GetQuery("from"); !ok {
		badParam(c, "from is required: the change hashes of the version to diff from")
		return
	}
	h, ok := s.roomHistory(c)
	if !ok {
		return
	}
	from, ok := version(c, h, "from", false)
	if !ok {
		return
	}
	to, ok := version(c, h, "to", true)
	if !ok {
		return
	}
	edits := h.Diff(from, to)
	if edits == nil {
		edits = []crdt.Edit{}
	}
	c.JSON(http.StatusOK, edits)
}

// BlameSpan is one span of GET /blame.
type BlameSpan struct {
	From   int         `json:"from"`
	To     int         `json:"to"`
	Actor  string      `json:"actor"`
	Person *PersonJSON `json:"person"`
	Time   int64       `json:"time"`
	// Kind: "typed", "paste" or "ai" (how the span's characters were inserted)
	Kind string `json:"kind"`
}

func (s *Server) getBlame(c *gin.Context) {
	h, ok := s.roomHistory(c)
	if !ok {
		return
	}
	spans := h.Blame()
	out := make([]BlameSpan, len(spans))
	for i, sp := range spans {
		out[i] = BlameSpan{From: sp.From, To: sp.To, Actor: sp.Actor, Person: person(h, sp.Actor), Time: sp.Time, Kind: sp.Kind}
	}
	c.JSON(http.StatusOK, out)
}

// GraphNode and GraphEdge make the body of GET /graph?format=json.
type GraphNode struct {
	Hash  string `json:"hash"`
	Actor string `json:"actor"`
	Seq   uint64 `json:"seq"`
	Time  int64  `json:"time"`
}

// GraphEdge goes from a change to one of its dependencies.
type GraphEdge struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Graph is the change DAG.
type Graph struct {
	Nodes []GraphNode `json:"nodes"`
	Edges []GraphEdge `json:"edges"`
}

func (s *Server) getGraph(c *gin.Context) {
	format := c.DefaultQuery("format", "json")
	if format != "json" && format != "dot" {
		badParam(c, "format must be json or dot")
		return
	}
	h, ok := s.roomHistory(c)
	if !ok {
		return
	}
	g := Graph{Nodes: make([]GraphNode, len(h.Changes)), Edges: []GraphEdge{}}
	for i, ch := range h.Changes {
		hash := crdt.HashString(ch.Hash)
		g.Nodes[i] = GraphNode{Hash: hash, Actor: h.Actors[ch.Actor], Seq: ch.Seq, Time: ch.Time}
		for _, d := range ch.Deps {
			g.Edges = append(g.Edges, GraphEdge{From: hash, To: crdt.HashString(h.Changes[d].Hash)})
		}
	}
	if format == "json" {
		c.JSON(http.StatusOK, g)
		return
	}
	var b strings.Builder
	b.WriteString("digraph history {\n  rankdir=BT;\n  node [shape=box, fontname=\"monospace\"];\n")
	for _, n := range g.Nodes {
		label := fmt.Sprintf("%s\\n%s #%d\\n%d", n.Hash[:8], n.Actor[:min(8, len(n.Actor))], n.Seq, n.Time)
		if p := person(h, n.Actor); p != nil && p.Name != "" {
			label += "\\n" + dotEscape(p.Name)
		}
		fmt.Fprintf(&b, "  \"%s\" [label=\"%s\"];\n", n.Hash, label)
	}
	for _, e := range g.Edges {
		fmt.Fprintf(&b, "  \"%s\" -> \"%s\";\n", e.From, e.To)
	}
	b.WriteString("}\n")
	c.Data(http.StatusOK, "text/vnd.graphviz; charset=utf-8", []byte(b.String()))
}

// dotEscape makes s safe inside a double-quoted Graphviz string.
func dotEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func (s *Server) getTrace(c *gin.Context) {
	h, ok := s.roomHistory(c)
	if !ok {
		return
	}
	tr, err := h.Trace(traceMaxWork)
	if errors.Is(err, crdt.ErrTraceTooCostly) {
		writeError(c, http.StatusUnprocessableEntity, "trace_too_costly", "this history has too many concurrent changes over too long a text to export as a trace")
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, tr)
}

// importRoom answers POST /rooms with an Automerge document body.
func (s *Server) importRoom(c *gin.Context) {
	limit := s.hub.Config().MaxFrameBytes
	data, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, limit))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		writeError(c, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the document is over MAX_FRAME_BYTES (%d bytes)", limit))
		return
	}
	if err != nil {
		writeError(c, http.StatusBadRequest, "invalid_body", "could not read the body: "+err.Error())
		return
	}
	if len(data) == 0 {
		writeError(c, http.StatusBadRequest, "invalid_document", "the body is empty: send an Automerge document (GET /rooms/{id}/snapshot exports one)")
		return
	}
	rec, err := s.hub.ImportRoom(c.Request.Context(), data)
	switch {
	case errors.Is(err, pairsync.ErrImportInvalid):
		writeError(c, http.StatusBadRequest, "invalid_document", err.Error())
		return
	case errors.Is(err, pairsync.ErrImportTooLarge):
		writeError(c, http.StatusRequestEntityTooLarge, "too_large", err.Error())
		return
	case errors.Is(err, pairsync.ErrOverloaded):
		c.Header("Retry-After", "30")
		s.fail(c, err)
		return
	case err != nil:
		s.fail(c, err)
		return
	}
	s.roomCreated(c, rec)
}

// TimelineJSON is the body of GET /rooms/{id}/timeline: the whole history
// in the compact form the browser's playback needs, in one answer. Arrays
// are little-endian binary, base64 in JSON; per-change arrays are in the
// causal order of GET /history.
type TimelineJSON struct {
	Changes int                    `json:"changes"`
	Actors  []string               `json:"actors"`
	People  map[string]crdt.Person `json:"people"`
	// Hashes: 32 bytes per change.
	Hashes []byte `json:"hashes"`
	// Times: uint32 seconds since the Unix epoch per change.
	Times []byte `json:"times"`
	// ActorOf: uint32 index into Actors per change.
	ActorOf []byte `json:"actor_of"`
	// Flags: one byte per change: 1 an accepted AI suggestion, 2 a paste.
	Flags []byte `json:"flags"`
	// Text: every character ever inserted into the content, in document
	// order; Ins and Del: int32 per UTF-16 code unit of Text, the first
	// change from which it is visible and the first from which it is gone
	// (-1 never). The text after change i is the code units with
	// Ins <= i and (Del < 0 or Del > i).
	Text string `json:"text"`
	Ins  []byte `json:"ins"`
	Del  []byte `json:"del"`
}

func (s *Server) getTimeline(c *gin.Context) {
	h, ok := s.roomHistory(c)
	if !ok {
		return
	}
	n := len(h.Changes)
	out := TimelineJSON{Changes: n, Actors: h.Actors, People: h.People(),
		Hashes: make([]byte, 0, 32*n), Times: make([]byte, 0, 4*n), ActorOf: make([]byte, 0, 4*n), Flags: make([]byte, 0, n)}
	for i := range h.Changes {
		ch := &h.Changes[i]
		out.Hashes = append(out.Hashes, ch.Hash[:]...)
		out.Times = binary.LittleEndian.AppendUint32(out.Times, uint32(max(0, min(ch.Time, math.MaxUint32))))
		out.ActorOf = binary.LittleEndian.AppendUint32(out.ActorOf, uint32(ch.Actor))
		var f byte
		if ch.HasMessage && ch.Message == "ai" {
			f |= 1
		}
		if ch.HasMessage && ch.Message == "paste" {
			f |= 2
		}
		out.Flags = append(out.Flags, f)
	}
	tl := h.Timeline()
	out.Text = tl.Text
	out.Ins = make([]byte, 0, 4*len(tl.Ins))
	out.Del = make([]byte, 0, 4*len(tl.Del))
	for k := range tl.Ins {
		out.Ins = binary.LittleEndian.AppendUint32(out.Ins, uint32(tl.Ins[k]))
		out.Del = binary.LittleEndian.AppendUint32(out.Del, uint32(tl.Del[k]))
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, out)
}
