package api

import (
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/pairpad/pairpad/internal/ratelimit"
)

// Limits are the API's protections against one client taking the server
// down (issue 9). Zero values mean: no HTTP timeouts, no connection caps,
// no trusted proxies, no room-creation limit, rooms kept forever; cmd
// fills in the documented defaults.
type Limits struct {
	ReadTimeout  time.Duration // HTTP_READ_TIMEOUT: whole request, headers and body
	WriteTimeout time.Duration // HTTP_WRITE_TIMEOUT: non-WebSocket responses
	IdleTimeout  time.Duration // HTTP_IDLE_TIMEOUT: keep-alive between requests

	MaxConns      int // MAX_CONNS: open TCP connections (WebSockets included)
	MaxConnsPerIP int // MAX_CONNS_PER_IP: per peer address; trusted proxies are exempt

	// TrustedProxies are IPs or CIDRs whose X-Forwarded-For/X-Real-IP are
	// believed; empty believes nobody.
	TrustedProxies []string

	RoomCreateRate  float64 // ROOM_CREATE_RATE per second per client; 0 = unlimited
	RoomCreateBurst int     // ROOM_CREATE_BURST

	RoomTTL              time.Duration // ROOM_TTL: 0 keeps rooms forever
	RoomTTLSweepInterval time.Duration // ROOM_TTL_SWEEP_INTERVAL, default 1h
}

// RoomExpirer is what ROOM_TTL needs from the store (persistence
// implements it): when a room was last opened, and a delete conditional
// on it still being unopened.
type RoomExpirer interface {
	MarkOpened(ctx context.Context, id string, at time.Time) error
	ExpiredRooms(ctx context.Context, before time.Time, limit int) ([]string, error)
	DeleteUnopenedSince(ctx context.Context, id string, before time.Time) (bool, error)
}

// readHeaderTimeoutMax bounds how long a connection may take to send its
// request headers (and how long a silent new connection is held).
const readHeaderTimeoutMax = 10 * time.Second

// connRetryAfter is the Retry-After, in seconds, of a 503 for too many
// connections.
const connRetryAfter = 5

// limitMetrics are the API's counters; safe for concurrent use.
type limitMetrics struct {
	connsOpen          atomic.Int64
	connsAccepted      atomic.Int64
	connsRefusedTotal  atomic.Int64
	connsRefusedPerIP  atomic.Int64
	roomCreateLimited  atomic.Int64
	roomsExpired       atomic.Int64
	roomExpiryErrors   atomic.Int64
	forwardedUntrusted atomic.Int64
}

func (m *limitMetrics) writePrometheus(w io.Writer) {
	g := func(name, help, typ string, v int64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %d\n", name, help, name, typ, name, v)
	}
	g("pairpad_http_connections_open", "Open TCP connections to the HTTP listener (WebSockets included); bounded by MAX_CONNS and the HTTP_*_TIMEOUT settings.", "gauge", m.connsOpen.Load())
	g("pairpad_http_connections_total", "TCP connections accepted.", "counter", m.connsAccepted.Load())
	fmt.Fprintf(w, "# HELP pairpad_http_connections_refused_total Requests answered 503 because their connection was over a cap.\n# TYPE pairpad_http_connections_refused_total counter\n")
	fmt.Fprintf(w, "pairpad_http_connections_refused_total{limit=\"MAX_CONNS\"} %d\n", m.connsRefusedTotal.Load())
	fmt.Fprintf(w, "pairpad_http_connections_refused_total{limit=\"MAX_CONNS_PER_IP\"} %d\n", m.connsRefusedPerIP.Load())
	g("pairpad_forwarded_headers_ignored_total", "Requests whose X-Forwarded-For/X-Real-IP was ignored because the peer is not in TRUSTED_PROXIES.", "counter", m.forwardedUntrusted.Load())
	g("pairpad_room_create_limited_total", "POST /rooms answered 429 (ROOM_CREATE_RATE/ROOM_CREATE_BURST).", "counter", m.roomCreateLimited.Load())
	g("pairpad_rooms_expired_total", "Rooms deleted because nobody opened them for ROOM_TTL.", "counter", m.roomsExpired.Load())
	g("pairpad_room_expiry_errors_total", "ROOM_TTL sweeps that failed (retried at the next sweep).", "counter", m.roomExpiryErrors.Load())
}

// parsePrefixes reads IPs and CIDRs; a bare IP is a /32 or /128.
func parsePrefixes(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an IP address nor a CIDR", s)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// ParseTrustedProxies validates a TRUSTED_PROXIES list.
func ParseTrustedProxies(list []string) error {
	_, err := parsePrefixes(list)
	return err
}

func containsAddr(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// connTracker counts open connections, in total and per peer address, and
// marks each new one that is over a cap. Over-cap connections are not
// dropped at accept: their requests get a 503 with Retry-After (so a
// WebSocket client sees why before any upgrade) and the connection closes
// after it.
type connTracker struct {
	maxTotal, maxPerIP int
	trusted            []netip.Prefix
	m                  *limitMetrics

	mu    sync.Mutex
	total int
	perIP map[netip.Addr]int
}

type trackedConn struct {
	net.Conn
	t    *connTracker
	ip   netip.Addr
	over string // "", "MAX_CONNS" or "MAX_CONNS_PER_IP"
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(c.t.release(c.ip))
	return c.Conn.Close()
}

type trackingListener struct {
	net.Listener
	t *connTracker
}

func (l trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return l.t.track(c), nil
}

func peerAddr(a net.Addr) netip.Addr {
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

func (t *connTracker) track(c net.Conn) *trackedConn {
	ip := peerAddr(c.RemoteAddr())
	tc := &trackedConn{Conn: c, t: t, ip: ip}
	t.mu.Lock()
	t.total++
	t.perIP[ip]++
	switch {
	case t.maxTotal > 0 && t.total > t.maxTotal:
		tc.over = "MAX_CONNS"
	case t.maxPerIP > 0 && t.perIP[ip] > t.maxPerIP && !containsAddr(t.trusted, ip):
		tc.over = "MAX_CONNS_PER_IP"
	}
	t.mu.Unlock()
	t.m.connsOpen.Add(1)
	t.m.connsAccepted.Add(1)
	return tc
}

func (t *connTracker) release(ip netip.Addr) func() {
	return func() {
		t.mu.Lock()
		t.total--
		if t.perIP[ip]--; t.perIP[ip] <= 0 {
			delete(t.perIP, ip)
		}
		t.mu.Unlock()
		t.m.connsOpen.Add(-1)
	}
}

type connKey struct{}

// WrapListener counts and caps the connections ln accepts (MAX_CONNS,
// MAX_CONNS_PER_IP). Serve the result with HTTPServer's http.Server.
func (s *Server) WrapListener(ln net.Listener) net.Listener {
	return trackingListener{Listener: ln, t: s.conns}
}

// HTTPServer returns an http.Server for Handler with the HTTP timeouts.
// WriteTimeout does not reach WebSockets: the upgrader clears the
// connection's deadlines after hijacking it, and the sync core sets its own.
func (s *Server) HTTPServer() *http.Server {
	l := s.opts.Limits
	rht := readHeaderTimeoutMax
	if l.ReadTimeout > 0 && l.ReadTimeout < rht {
		rht = l.ReadTimeout
	}
	return &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: rht,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, connKey{}, c)
		},
	}
}

// connLimit answers 503 on a connection accepted over a cap, then closes
// it. Health checks are still answered (on a closing connection), so an
// orchestrator does not restart a server that is merely busy.
func (s *Server) connLimit(c *gin.Context) {
	tc, ok := c.Request.Context().Value(connKey{}).(*trackedConn)
	if !ok || tc.over == "" {
		return
	}
	c.Header("Connection", "close")
	switch c.Request.URL.Path {
	case "/healthz", "/readyz", "/metrics":
		return
	}
	if tc.over == "MAX_CONNS" {
		s.lm.connsRefusedTotal.Add(1)
	} else {
		s.lm.connsRefusedPerIP.Add(1)
	}
	s.log.Info("connection over a cap refused", zap.String("limit", tc.over), zap.String("remote", tc.ip.String()))
	c.Header("Retry-After", strconv.Itoa(connRetryAfter))
	writeError(c, http.StatusServiceUnavailable, "too_many_connections",
		fmt.Sprintf("the server has too many open connections (%s); retry in %d s", tc.over, connRetryAfter))
	// Do not wait for a request body nobody will read: net/http would
	// otherwise drain up to 256 KiB of it, at the client's pace, before
	// closing.
	_ = http.NewResponseController(c.Writer).SetReadDeadline(time.Now())
}

// forwardedCheck counts forwarding headers sent by peers that are not
// trusted proxies (gin ignores them; the count shows spoofing attempts or
// a proxy missing from TRUSTED_PROXIES).
func (s *Server) forwardedCheck(c *gin.Context) {
	h := c.Request.Header
	if h.Get("X-Forwarded-For") == "" && h.Get("X-Real-IP") == "" {
		return
	}
	if a, err := netip.ParseAddrPort(c.Request.RemoteAddr); err == nil && containsAddr(s.conns.trusted, a.Addr().Unmap()) {
		return
	}
	s.lm.forwardedUntrusted.Add(1)
}

// contentSecurityPolicy suits the built client: scripts and the
// automerge WebAssembly module from this origin only ('wasm-unsafe-eval'
// allows compiling WASM, not JavaScript eval); CodeMirror injects <style>
// elements, hence 'unsafe-inline' for styles; the favicon is a data: URL;
// the WebSocket is same-origin.
const contentSecurityPolicy = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; " +
	"style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; worker-src 'self'; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders go on every response (pages, text, JSON, errors).
func securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
}

// roomCreateLimit applies ROOM_CREATE_RATE/ROOM_CREATE_BURST per client
// address.
func (s *Server) roomCreateLimit(c *gin.Context) bool {
	if s.createLim == nil {
		return true
	}
	ok, wait := s.createLim.Allow(c.ClientIP())
	if ok {
		return true
	}
	s.lm.roomCreateLimited.Add(1)
	secs := int(math.Ceil(wait.Seconds()))
	if secs < 1 {
		secs = 1
	}
	c.Header("Retry-After", strconv.Itoa(secs))
	writeError(c, http.StatusTooManyRequests, "rate_limited",
		fmt.Sprintf("too many rooms created from this address; retry after %d s", secs))
	return false
}

func newCreateLimiter(l Limits) *ratelimit.Limiter {
	if l.RoomCreateRate <= 0 {
		return nil
	}
	burst := l.RoomCreateBurst
	if burst < 1 {
		burst = 1
	}
	return ratelimit.New(l.RoomCreateRate, burst, time.Now)
}

// markOpened records that room id is being opened, for ROOM_TTL. A failure
// is logged and does not stop the join.
func (s *Server) markOpened(ctx context.Context, id string) {
	if s.opts.Expirer == nil || s.opts.Limits.RoomTTL <= 0 {
		return
	}
	if err := s.opts.Expirer.MarkOpened(ctx, id, time.Now()); err != nil {
		s.log.Warn("could not record that a room was opened", zap.String("room", id), zap.Error(err))
	}
}

// expiryBatch bounds one sweep's query; the next sweep takes the rest.
const expiryBatch = 500

// SweepExpiredRooms deletes rooms nobody has opened for ROOM_TTL, except
// loaded ones, and returns how many it deleted.
func (s *Server) SweepExpiredRooms(ctx context.Context, now time.Time) (int, error) {
	ttl := s.opts.Limits.RoomTTL
	if s.opts.Expirer == nil || ttl <= 0 {
		return 0, nil
	}
	before := now.Add(-ttl)
	ids, err := s.opts.Expirer.ExpiredRooms(ctx, before, expiryBatch)
	if err != nil {
		s.lm.roomExpiryErrors.Add(1)
		return 0, fmt.Errorf("list expired rooms: %w", err)
	}
	n := 0
	for _, id := range ids {
		if s.hub.Status(id).Loaded {
			continue // someone has it open right now
		}
		deleted, err := s.opts.Expirer.DeleteUnopenedSince(ctx, id, before)
		if err != nil {
			s.lm.roomExpiryErrors.Add(1)
			return n, fmt.Errorf("delete expired room %s: %w", id, err)
		}
		if deleted {
			n++
			s.lm.roomsExpired.Add(1)
			s.log.Info("room expired: nobody opened it within ROOM_TTL", zap.String("room", id), zap.Duration("room_ttl", ttl))
		}
	}
	return n, nil
}

// RunRoomExpiry sweeps at ROOM_TTL_SWEEP_INTERVAL (default hourly) until
// ctx ends. It returns at once when ROOM_TTL is 0.
func (s *Server) RunRoomExpiry(ctx context.Context) {
	l := s.opts.Limits
	if s.opts.Expirer == nil || l.RoomTTL <= 0 {
		return
	}
	every := l.RoomTTLSweepInterval
	if every <= 0 {
		every = time.Hour
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := s.SweepExpiredRooms(ctx, time.Now()); err != nil && ctx.Err() == nil {
			s.log.Warn("room expiry sweep failed; retrying at the next sweep", zap.Error(err))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
