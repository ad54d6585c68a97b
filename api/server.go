// Package api is Pairpad's HTTP surface: Gin routes for rooms, health,
// metrics and autocomplete, the WebSocket upgrade onto the sync hub, and the
// built browser client. It maps errors from the layers below to HTTP in one
// place (errors.go). A Server is safe for concurrent use.
package api

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/websocket"
	"go.uber.org/zap"

	"github.com/pairpad/pairpad/auth"
	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/internal/lang"
	"github.com/pairpad/pairpad/internal/ratelimit"
	pairsync "github.com/pairpad/pairpad/sync"
)

// Languages a room may be created with; the first is the default.
var Languages = lang.Known

// Options wires a Server.
type Options struct {
	Hub   *pairsync.Hub
	Store pairsync.Store
	Log   *zap.Logger
	// Autocomplete handles POST /autocomplete; nil answers 503.
	Autocomplete gin.HandlerFunc
	// ClientDir holds the built browser client; empty or missing serves a
	// hint page instead.
	ClientDir string
	// AllowedOrigins for WebSocket upgrades besides the server's own
	// origin; "*" allows any (see checkWSOrigin).
	AllowedOrigins []string
	// LoopbackOrigins also allows localhost origins (ADDR is loopback).
	LoopbackOrigins bool
	// Auth checks tokens and manages links; nil means open access without
	// links (tests of other layers).
	Auth *auth.Service
	// Access is AccessLinks (default) or AccessOpen.
	Access string
	// SyncEndpoint is the GET /sync policy (SyncOff, SyncOpen, SyncToken);
	// empty: SyncOpen when open access is on, else SyncToken.
	SyncEndpoint string
	// Live applies link role changes and revocations to open connections;
	// nil: the Hub does.
	Live LiveLinks
	// Redis, when the instance scales out, is pinged by /readyz and
	// reports its metrics on /metrics.
	Redis RedisStatus
	// Version is reported by /healthz.
	Version string
	// Limits are the timeouts, caps and rates of limits.go.
	Limits Limits
	// Expirer, with Limits.RoomTTL, lets rooms nobody opens expire; nil
	// keeps every room.
	Expirer RoomExpirer
}

// RedisStatus is the Redis broker as the HTTP layer sees it.
type RedisStatus interface {
	Ping(ctx context.Context) error
	Metrics() *pairsync.RedisMetrics
}

// Server serves Pairpad over HTTP.
type Server struct {
	opts     Options
	hub      *pairsync.Hub
	store    pairsync.Store
	auth     *auth.Service
	log      *zap.Logger
	upgrader websocket.Upgrader
	static   *staticFiles
	started  time.Time

	lm        *limitMetrics
	conns     *connTracker
	createLim *ratelimit.Limiter
}

// New builds a Server.
func New(opts Options) *Server {
	s := &Server{opts: opts, hub: opts.Hub, store: opts.Store, auth: opts.Auth, log: opts.Log, started: time.Now(), lm: &limitMetrics{}}
	trusted, err := parsePrefixes(opts.Limits.TrustedProxies)
	if err != nil {
		// cmd validates TRUSTED_PROXIES; a bad list here trusts nobody.
		s.log.Error("TRUSTED_PROXIES ignored", zap.Error(err))
		trusted, s.opts.Limits.TrustedProxies = nil, nil
	}
	s.conns = &connTracker{maxTotal: opts.Limits.MaxConns, maxPerIP: opts.Limits.MaxConnsPerIP,
		trusted: trusted, m: s.lm, perIP: map[netip.Addr]int{}}
	s.createLim = newCreateLimiter(opts.Limits)
	s.upgrader = websocket.Upgrader{
		// A 1 KiB read buffer rather than the HTTP server's 4 KiB one
		// (ReadBufferSize 0 would keep that): each open connection holds
		// it for life, and a keystroke frame fits (larger frames are read
		// straight into the message). Write buffers come from a pool, held
		// only while a frame is written, so an idle connection costs no
		// write buffer.
		ReadBufferSize:  1 << 10,
		WriteBufferSize: 8 << 10,
		WriteBufferPool: &sync.Pool{},
		// checkWSOrigin has judged the Origin before the token check.
		CheckOrigin: func(*http.Request) bool { return true },
	}
	s.static = newStaticFiles(opts.ClientDir)
	return s
}

// Handler returns the HTTP handler with every route.
func (s *Server) Handler() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	// Forwarding headers count only from TRUSTED_PROXIES (none by default):
	// rate limits and logs otherwise use the TCP peer address.
	if err := r.SetTrustedProxies(s.opts.Limits.TrustedProxies); err != nil {
		s.log.Error("TRUSTED_PROXIES ignored", zap.Error(err))
		_ = r.SetTrustedProxies(nil)
	}
	r.Use(securityHeaders, s.connLimit, s.forwardedCheck)
	r.Use(gin.CustomRecoveryWithWriter(nil, func(c *gin.Context, err any) {
		s.log.Error("panic in handler", zap.Any("panic", err), zap.String("path", c.Request.URL.Path))
		writeError(c, http.StatusInternalServerError, "internal", "internal server error")
	}))
	r.Use(s.accessLog)
	r.HandleMethodNotAllowed = true

	r.POST("/rooms", s.createRoom)
	anyRole, owner := s.require(auth.RoleViewer, false), s.require(auth.RoleOwner, false)
	r.GET("/rooms/:id", anyRole, s.getRoom)
	r.GET("/rooms/:id/snapshot", anyRole, s.getSnapshot)
	r.GET("/rooms/:id/text", anyRole, s.getText)
	s.historyRoutes(r, anyRole)
	s.notesRoutes(r)
	if s.auth != nil {
		r.GET("/rooms/:id/links", owner, s.listLinks)
		r.POST("/rooms/:id/links", owner, s.createLink)
		r.PATCH("/rooms/:id/links/:link_id", owner, s.patchLink)
		r.DELETE("/rooms/:id/links/:link_id", owner, s.deleteLink)
		r.GET("/rooms/:id/people", owner, s.listPeople)
	}
	r.GET("/ws/:id", s.checkWSOrigin, s.require(auth.RoleViewer, true), s.serveWS)
	r.GET("/sync", s.checkWSOrigin, s.serveSync)
	r.POST("/autocomplete", s.autocomplete)
	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)
	r.GET("/metrics", s.metrics)
	r.NoMethod(func(c *gin.Context) {
		writeError(c, http.StatusMethodNotAllowed, "method_not_allowed", c.Request.Method+" is not allowed on "+c.Request.URL.Path)
	})
	r.NoRoute(s.static.serve)
	return r
}

func (s *Server) accessLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	status := c.Writer.Status()
	fields := []zap.Field{zap.String("method", c.Request.Method), zap.String("path", c.Request.URL.Path), zap.String("client", c.ClientIP()),
		zap.Int("status", status), zap.Duration("took", time.Since(start))}
	switch {
	case status == StatusClientClosedRequest: // the client went away: not an error
		s.log.Debug("http", fields...)
	case status >= 500:
		s.log.Error("http", fields...)
	case status >= 400:
		s.log.Info("http", fields...)
	default:
		s.log.Debug("http", fields...)
	}
}

type createRoomRequest struct {
	Language string `json:"language"`
}

// CreateRoomResponse is the body of 201 from POST /rooms. With access
// control on, URL opens the room as its owner and Links holds its editor
// and viewer links.
type CreateRoomResponse struct {
	RoomID     string     `json:"room_id"`
	URL        string     `json:"url"`
	OwnerToken string     `json:"owner_token,omitempty"`
	Links      []LinkInfo `json:"links,omitempty"`
}

func (s *Server) createRoom(c *gin.Context) {
	if !s.roomCreateLimit(c) {
		return
	}
	if ct, _, _ := strings.Cut(c.ContentType(), ";"); strings.TrimSpace(ct) == "application/octet-stream" {
		s.importRoom(c) // history.go
		return
	}
	var req createRoomRequest
	if c.Request.ContentLength != 0 {
		if err := decodeStrict(c, 16<<10, &req); err != nil {
			return
		}
	}
	language := lang.Default
	if req.Language != "" {
		language = strings.ToLower(strings.TrimSpace(req.Language))
		if !lang.IsKnown(language) {
			writeError(c, http.StatusBadRequest, "invalid_field",
				fmt.Sprintf("language %q is not supported; use one of %s", req.Language, strings.Join(Languages, ", ")))
			return
		}
	}
	rec, err := s.hub.CreateRoom(c.Request.Context(), language)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.roomCreated(c, rec)
}

// roomCreated answers 201 for a new room, with its links.
func (s *Server) roomCreated(c *gin.Context, rec pairsync.RoomRecord) {
	ok := true
	out := CreateRoomResponse{RoomID: rec.ID, URL: roomURL(rec.ID, "")}
	if s.auth != nil {
		if out.OwnerToken, out.Links, ok = s.issueRoomLinks(c, rec.ID); !ok {
			return
		}
		out.URL = roomURL(rec.ID, out.OwnerToken)
	}
	c.Header("Location", "/rooms/"+rec.ID)
	c.JSON(http.StatusCreated, out)
}

// RoomInfo is the body of GET /rooms/{id}.
type RoomInfo struct {
	RoomID    string    `json:"room_id"`
	URL       string    `json:"url"`
	Language  string    `json:"language"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Peers     int       `json:"peers"`
	SizeBytes int       `json:"size_bytes"`
	Loaded    bool      `json:"loaded"`
	Unsaved   bool      `json:"unsaved_changes"`
	// The caller: its role, and its link (link tokens) or display name
	// (application tokens).
	Role   auth.Role `json:"role"`
	LinkID string    `json:"link_id,omitempty"`
	Name   string    `json:"name,omitempty"`
	// Notes: the caller may open the room's private notes (GET
	// /rooms/{id}/notes).
	Notes bool `json:"notes"`
	// Access is the server's ACCESS mode.
	Access string `json:"access"`
	// MaxDocBytes is the server's MAX_DOC_BYTES: the client refuses edits
	// that would take the document over it.
	MaxDocBytes int64 `json:"max_doc_bytes"`
}

// roomID validates the :id path parameter, answering 400 when invalid.
func (s *Server) roomID(c *gin.Context) (string, bool) {
	id := c.Param("id")
	if _, err := crdt.ParseDocumentID(id); err != nil {
		s.fail(c, err)
		return "", false
	}
	if crdt.IsNotesDocumentID(id) {
		// A room's private notes open only through its notes routes
		// (notes.go), which check the notes grant on the room.
		s.fail(c, pairsync.ErrNotFound)
		return "", false
	}
	return id, true
}

func (s *Server) getRoom(c *gin.Context) {
	id, ok := s.roomID(c)
	if !ok {
		return
	}
	// A loaded room answers from memory: nothing here waits on the
	// database, which may be down.
	meta, st, live := s.hub.LiveMeta(id)
	if !live {
		var err error
		if meta, err = s.store.Meta(c.Request.Context(), id); err != nil {
			s.fail(c, pairsync.Unavailable(err))
			return
		}
		st = s.hub.Status(id)
	}
	who := identity(c)
	access := AccessLinks
	if s.open() {
		access = AccessOpen
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, RoomInfo{RoomID: id, URL: "/room/" + id, Language: meta.Language, CreatedAt: meta.CreatedAt,
		UpdatedAt: meta.UpdatedAt, Peers: st.Peers, SizeBytes: meta.SizeBytes, Loaded: st.Loaded, Unsaved: st.Dirty,
		Role: who.Role, LinkID: who.LinkID, Name: who.Name, Notes: who.MayReadNotes(), Access: access,
		MaxDocBytes: s.hub.Config().MaxDocBytes})
}

// snapshot answers with 400/404/500 itself and returns false, or returns
// the room's current document.
func (s *Server) snapshot(c *gin.Context) (id string, data []byte, ok bool) {
	id, ok = s.roomID(c)
	if !ok {
		return "", nil, false
	}
	data, err := s.hub.Snapshot(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return "", nil, false
	}
	return id, data, true
}

func (s *Server) getSnapshot(c *gin.Context) {
	id, data, ok := s.snapshot(c)
	if !ok {
		return
	}
	c.Header("Content-Disposition", `attachment; filename="`+id+`.automerge"`)
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "application/octet-stream", data)
}

// HeadsHeader names the heads of the version GET /rooms/{id}/text answers:
// hex change hashes separated by commas.
const HeadsHeader = "X-Pairpad-Heads"

// DriveHeader ("on") tells a GET /rooms/{id}/text that driver mode is on in
// the room, and DriverHeader names the peer id that may type (absent while
// the keyboard is free): a browser shows the text read-only to everyone
// else before its document (and the server's notices) have loaded.
const (
	DriveHeader  = "X-Pairpad-Drive"
	DriverHeader = "X-Pairpad-Driver"
)

// getText never loads a document (Hub.Text): a loaded room answers from
// memory, any other from the text copy stored with its last save.
func (s *Server) getText(c *gin.Context) {
	if _, ok := c.GetQuery("heads"); ok {
		s.getTextAt(c) // history.go
		return
	}
	id, ok := s.roomID(c)
	if !ok {
		return
	}
	text, heads, err := s.hub.TextHeads(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	// The version the text is: a browser shows it before its own copy of
	// the document has loaded and makes the edits typed meanwhile at these
	// heads (client/src/editor/preview.ts).
	c.Header(HeadsHeader, strings.Join(heads, ","))
	if st := s.hub.Status(id); st.Driving {
		c.Header(DriveHeader, "on")
		if st.Driver != "" {
			c.Header(DriverHeader, st.Driver)
		}
	}
	c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte(text))
}

func (s *Server) serveWS(c *gin.Context) {
	id, ok := s.roomID(c)
	if !ok {
		return
	}
	who := identity(c) // checked by require: the token's role, link and expiry
	s.serveRoomWS(c, id, pairsync.Grant{Room: id, Role: pairsync.Role(who.Role), LinkID: who.LinkID, Name: who.Name, ExpiresAt: who.ExpiresAt})
}

// serveRoomWS upgrades the request and serves room id with grant g (the
// room's own /ws, or its notes).
func (s *Server) serveRoomWS(c *gin.Context, id string, g pairsync.Grant) {
	var textChars int
	loaded := s.hub.Status(id).Loaded
	if !loaded {
		meta, err := s.store.Meta(c.Request.Context(), id)
		if err != nil {
			s.fail(c, pairsync.Unavailable(err))
			return
		}
		textChars = meta.TextChars
	}
	if err := s.hub.CanOpen(id, textChars); err != nil {
		c.Header("Retry-After", "30")
		s.fail(c, err)
		return
	}
	if !websocket.IsWebSocketUpgrade(c.Request) {
		writeError(c, http.StatusBadRequest, "not_websocket", "this endpoint needs a WebSocket upgrade (automerge-repo protocol)")
		return
	}
	if loaded {
		// Joining a loaded room never waits on the database (it may be
		// down): record the opening in the background.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), 10*time.Second)
		go func() { defer cancel(); s.markOpened(ctx, id) }()
	} else {
		s.markOpened(c.Request.Context(), id)
	}
	conn, err := s.upgrader.Upgrade(c.Writer, c.Request, nil)
	if err != nil {
		// The upgrader has answered with an HTTP error already.
		s.log.Info("websocket upgrade failed", zap.Error(err))
		return
	}
	// The connection is hijacked: serve it on a fresh goroutine and let the
	// HTTP handler's goroutine (and its deep stack) end. StartConn runs the
	// handshake there and the reads on yet another goroutine, whose stack
	// holds only the read loop while the peer is idle. The request's
	// context is cancelled when this handler returns, so the connection
	// gets a context of its own with the grant; the hub's Shutdown ends it
	// with the server.
	//
	// Nothing of the request is kept for the connection's life: not its
	// context chain (the HTTP server's per-connection and per-request
	// contexts, ~0.7 KB), nor the request line and headers that the room id
	// and the address would otherwise be substrings of.
	room := strings.Clone(id)
	g.Room = room
	ctx := pairsync.WithGrant(context.Background(), g)
	go s.hub.StartConn(ctx, conn, room, s.log.WithLazy(zap.String("room", room), zap.String("remote", strings.Clone(c.ClientIP()))))
}

func (s *Server) autocomplete(c *gin.Context) {
	if s.opts.Autocomplete == nil {
		writeError(c, http.StatusServiceUnavailable, "autocomplete_disabled", "autocomplete is not configured on this server")
		return
	}
	s.opts.Autocomplete(c)
}

func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok", "version": s.opts.Version, "uptime_seconds": int(time.Since(s.started).Seconds())})
}

func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		// The details (user, host, port) go to the log only.
		s.log.Warn("readiness: database unreachable", zap.Error(err))
		writeError(c, http.StatusServiceUnavailable, "database_unreachable", "database unreachable")
		return
	}
	if s.opts.Redis != nil {
		if err := s.opts.Redis.Ping(ctx); err != nil {
			s.log.Warn("readiness: redis unreachable", zap.Error(err))
			writeError(c, http.StatusServiceUnavailable, "redis_unreachable", "redis unreachable")
			return
		}
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
}

func (s *Server) metrics(c *gin.Context) {
	c.Header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w := c.Writer
	s.hub.Metrics().WritePrometheus(w)
	s.lm.writePrometheus(w)
	if s.opts.Redis != nil {
		s.opts.Redis.Metrics().WritePrometheus(w)
	}
	if s.auth != nil {
		s.auth.Metrics().WritePrometheus(w)
	}
	if rss, ok := residentBytes(); ok {
		fmt.Fprintf(w, "# HELP process_resident_memory_bytes Resident memory size in bytes.\n# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes %d\n", rss)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintf(w, "# HELP go_memstats_heap_inuse_bytes Go heap in use (Automerge documents live outside it, in Rust).\n# TYPE go_memstats_heap_inuse_bytes gauge\ngo_memstats_heap_inuse_bytes %d\n", ms.HeapInuse)
	fmt.Fprintf(w, "# HELP go_memstats_stack_inuse_bytes Goroutine stacks in use.\n# TYPE go_memstats_stack_inuse_bytes gauge\ngo_memstats_stack_inuse_bytes %d\n", ms.StackInuse)
	fmt.Fprintf(w, "# HELP go_goroutines Goroutines.\n# TYPE go_goroutines gauge\ngo_goroutines %d\n", runtime.NumGoroutine())
	if cpu, ok := cpuSeconds(); ok {
		fmt.Fprintf(w, "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total %g\n", cpu)
	}
}

// residentBytes reads this process's RSS from /proc (Linux only).
func residentBytes() (int64, bool) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0, false
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return 0, false
	}
	return pages * int64(os.Getpagesize()), true
}

// cpuSeconds reads this process's user+system CPU time from /proc.
func cpuSeconds() (float64, bool) {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, false
	}
	s := string(b)
	// Fields after the command name, which is in parentheses.
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, false
	}
	ut, err1 := strconv.ParseFloat(f[11], 64)
	st, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return (ut + st) / 100, true // USER_HZ is 100 on Linux
}
