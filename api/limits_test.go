package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/zap"

	"github.com/pairpad/pairpad/api"
	"github.com/pairpad/pairpad/autocomplete"
	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/persistence"
	pairsync "github.com/pairpad/pairpad/sync"
)

type limitFixture struct {
	*fixture
	api *api.Server
}

// newLimitFixture serves like cmd/pairpad does: the API's http.Server
// (timeouts) on its counting listener (connection caps).
func newLimitFixture(t *testing.T, lim api.Limits, opts ...func(*api.Options)) *limitFixture {
	t.Helper()
	store := &pingStore{Memory: persistence.NewMemory()}
	hub := pairsync.NewHub(pairsync.Config{}, store, zap.NewNop())
	o := api.Options{Hub: hub, Store: store, Log: zap.NewNop(), Version: "test", Limits: lim, Expirer: store.Memory}
	for _, f := range opts {
		f(&o)
	}
	s := api.New(o)
	srv := httptest.NewUnstartedServer(nil)
	srv.Config = s.HTTPServer()
	srv.Listener = s.WrapListener(srv.Listener)
	srv.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hub.Shutdown(ctx)
		srv.CloseClientConnections()
		srv.Close()
	})
	return &limitFixture{fixture: &fixture{srv: srv, hub: hub, store: store}, api: s}
}

// closedByServer reads from c until the server closes it, failing if that
// takes longer than within.
func closedByServer(t *testing.T, c net.Conn, within time.Duration) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(within))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("connection still open after %v", within)
	}
}

func TestHTTPTimeoutsCloseIdleAndSlowConnections(t *testing.T) {
	t.Parallel()
	f := newLimitFixture(t, api.Limits{ReadTimeout: 300 * time.Millisecond, WriteTimeout: time.Second, IdleTimeout: 300 * time.Millisecond})
	addr := f.srv.Listener.Addr().String()
	dial := func(t *testing.T) net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	t.Run("idle keep-alive", func(t *testing.T) {
		c := dial(t)
		fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Close {
			t.Fatalf("healthz: %d close=%v", resp.StatusCode, resp.Close)
		}
		closedByServer(t, c, 5*time.Second)
	})
	t.Run("silent", func(t *testing.T) {
		closedByServer(t, dial(t), 5*time.Second)
	})
	t.Run("slow body", func(t *testing.T) {
		c := dial(t)
		fmt.Fprintf(c, "POST /rooms HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
		closedByServer(t, c, 5*time.Second)
	})
}

// TestWebSocketOutlivesHTTPTimeouts: the HTTP timeouts are for HTTP; a
// WebSocket keeps working after them (the upgrader clears the deadlines).
func TestWebSocketOutlivesHTTPTimeouts(t *testing.T) {
	t.Parallel()
	const timeout = 200 * time.Millisecond
	f := newLimitFixture(t, api.Limits{ReadTimeout: timeout, WriteTimeout: timeout, IdleTimeout: timeout})
	room := f.createRoom(t, "")
	c := f.dial(t, context.Background(), room.RoomID)
	defer c.Close()
	// Let every HTTP deadline pass (this is the behaviour under test, not
	// synchronisation).
	time.Sleep(4 * timeout)
	if err := c.Splice(0, 0, "still here"); err != nil {
		t.Fatal(err)
	}
	f.waitText(t, room.RoomID, "still here") // the edit made after the HTTP timeouts arrives
}

func metricValue(t *testing.T, f *limitFixture, name string) int {
	t.Helper()
	_, b := f.do(t, "GET", "/metrics", "")
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("metric %s: %q", name, line)
			}
			return n
		}
	}
	t.Fatalf("metric %s missing", name)
	return 0
}

func TestConnectionCapsRefuseUpgradeWith503(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, limit string
		lim         api.Limits
	}{
		{"per IP", "MAX_CONNS_PER_IP", api.Limits{MaxConnsPerIP: 2}},
		{"total", "MAX_CONNS", api.Limits{MaxConns: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newLimitFixture(t, tc.lim)
			// Not through POST /rooms: its keep-alive connection would count.
			room, err := f.hub.CreateRoom(context.Background(), "go")
			if err != nil {
				t.Fatal(err)
			}
			wsURL := "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/ws/" + room.ID
			// Two held connections: one WebSocket, one keep-alive HTTP.
			ws, _, err := websocket.DefaultDialer.Dial(wsURL, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer ws.Close()
			held, err := net.Dial("tcp", f.srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer held.Close()
			br := bufio.NewReader(held)
			fmt.Fprintf(held, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
			resp, err := http.ReadResponse(br, nil)
			if err != nil || resp.StatusCode != 200 || resp.Close {
				t.Fatalf("held connection: %v %v", resp, err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)

			// The third is refused before the upgrade.
			_, resp, err = websocket.DefaultDialer.Dial(wsURL, nil)
			if err == nil || resp == nil {
				t.Fatalf("third connection upgraded: %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || errorCode(t, body) != "too_many_connections" ||
				!strings.Contains(string(body), tc.limit) {
				t.Fatalf("over the cap: %d Retry-After=%q %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
			}
			// An over-cap request with a body that never comes is answered
			// and closed at once, not when the body would have arrived.
			slow, err := net.Dial("tcp", f.srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer slow.Close()
			fmt.Fprintf(slow, "POST /autocomplete HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
			if resp, err := http.ReadResponse(bufio.NewReader(slow), nil); err != nil || resp.StatusCode != 503 {
				t.Fatalf("over-cap slow body: %v %v", resp, err)
			}
			closedByServer(t, slow, 3*time.Second)
			// Health checks still answer on such a connection (and close it);
			// the metric counts the refusal.
			fmt.Fprintf(held, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
			if resp, err = http.ReadResponse(br, nil); err != nil || resp.StatusCode != 200 {
				t.Fatalf("metrics on a held connection: %v %v", resp, err)
			}
			b, _ := io.ReadAll(resp.Body)
			if want := fmt.Sprintf("pairpad_http_connections_refused_total{limit=%q} 2", tc.limit); !strings.Contains(string(b), want) {
				t.Fatalf("metrics lack %s", want)
			}

			// Once one closes, a new upgrade gets in.
			ws.Close()
			deadline := time.Now().Add(5 * time.Second)
			for {
				ws2, resp, err := websocket.DefaultDialer.Dial(wsURL, nil)
				if err == nil {
					ws2.Close()
					break
				}
				if resp == nil || resp.StatusCode != 503 || time.Now().After(deadline) {
					t.Fatalf("after a close: %v %v", resp, err)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

func TestForwardedForTrustedOnlyFromProxies(t *testing.T) {
	t.Parallel()
	withAutocomplete := func(o *api.Options) {
		svc, err := autocomplete.NewService(autocomplete.Config{RatePerSecond: 0.001, Burst: 2}, nil)
		if err != nil {
			t.Fatal(err)
		}
		o.Autocomplete = api.AutocompleteHandler(svc, 0)
	}
	allowed := func(f *limitFixture) int {
		n := 0
		for i := range 40 {
			resp, _ := f.do(t, "POST", "/autocomplete", `{"code":"x","cursor":1,"language":"go"}`,
				"Content-Type", "application/json",
				"X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i), "X-Real-IP", fmt.Sprintf("203.0.113.%d", i))
			if resp.StatusCode == 200 {
				n++
			} else if resp.StatusCode != 429 {
				t.Fatalf("autocomplete: %d", resp.StatusCode)
			}
		}
		return n
	}
	t.Run("untrusted", func(t *testing.T) {
		f := newLimitFixture(t, api.Limits{}, withAutocomplete)
		if n := allowed(f); n != 2 {
			t.Fatalf("rotating X-Forwarded-For: %d of 40 allowed, want the burst of 2", n)
		}
		if n := metricValue(t, f, "pairpad_forwarded_headers_ignored_total"); n != 40 {
			t.Fatalf("ignored forwarding headers counted %d, want 40", n)
		}
	})
	t.Run("trusted proxy", func(t *testing.T) {
		f := newLimitFixture(t, api.Limits{TrustedProxies: []string{"127.0.0.0/8", "::1"}}, withAutocomplete)
		if n := allowed(f); n != 40 {
			t.Fatalf("through a trusted proxy: %d of 40 allowed, want 40 (one address each)", n)
		}
	})
}

func TestRoomCreateRateLimit(t *testing.T) {
	t.Parallel()
	f := newLimitFixture(t, api.Limits{RoomCreateRate: 0.01, RoomCreateBurst: 3})
	for range 3 {
		f.createRoom(t, "")
	}
	resp, b := f.do(t, "POST", "/rooms", "")
	if resp.StatusCode != 429 || errorCode(t, b) != "rate_limited" {
		t.Fatalf("fourth room: %d %s", resp.StatusCode, b)
	}
	if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 100 {
		t.Fatalf("Retry-After %q", resp.Header.Get("Retry-After"))
	}
	if n := metricValue(t, f, "pairpad_room_create_limited_total"); n != 1 {
		t.Fatalf("pairpad_room_create_limited_total %d", n)
	}
}

func TestRoomTTLSweep(t *testing.T) {
	t.Parallel()
	const ttl = 90 * 24 * time.Hour
	f := newLimitFixture(t, api.Limits{RoomTTL: ttl})
	ctx := context.Background()
	now := time.Now()
	mk := func(age time.Duration) string {
		id := crdt.NewDocumentID()
		doc, err := crdt.New("go")
		if err != nil {
			t.Fatal(err)
		}
		data, err := doc.Save()
		if err != nil {
			t.Fatal(err)
		}
		at := now.Add(-age)
		if err := f.store.Create(ctx, pairsync.RoomRecord{ID: id, Language: "go", Data: data, Version: 1, CreatedAt: at, UpdatedAt: at}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	old, recent, loaded := mk(100*24*time.Hour), mk(10*24*time.Hour), mk(10*24*time.Hour)
	// Opening a room through the API records it.
	c := f.dial(t, ctx, loaded)
	defer c.Close()
	if !f.hub.Status(loaded).Loaded {
		t.Fatal("room not loaded while a peer is in it")
	}

	n, err := f.api.SweepExpiredRooms(ctx, now)
	if err != nil || n != 1 {
		t.Fatalf("sweep: %d %v, want 1", n, err)
	}
	if _, err := f.store.Meta(ctx, old); !errors.Is(err, pairsync.ErrNotFound) {
		t.Fatalf("old room: %v, want deleted", err)
	}
	for _, id := range []string{recent, loaded} {
		if _, err := f.store.Meta(ctx, id); err != nil {
			t.Fatalf("room %s: %v, want kept", id, err)
		}
	}
	// A year later, only the loaded room survives: it is open right now.
	n, err = f.api.SweepExpiredRooms(ctx, now.Add(365*24*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("second sweep: %d %v, want 1", n, err)
	}
	if _, err := f.store.Meta(ctx, loaded); err != nil {
		t.Fatalf("loaded room deleted: %v", err)
	}
	if m := metricValue(t, f, "pairpad_rooms_expired_total"); m != 2 {
		t.Fatalf("pairpad_rooms_expired_total %d, want 2", m)
	}
}

func TestRoomTTLZeroKeepsEverything(t *testing.T) {
	t.Parallel()
	f := newLimitFixture(t, api.Limits{})
	now := time.Now()
	id := crdt.NewDocumentID()
	if err := f.store.Create(context.Background(), pairsync.RoomRecord{ID: id, Language: "go", Data: []byte("x"), Version: 1,
		CreatedAt: now.Add(-1000 * 24 * time.Hour), UpdatedAt: now.Add(-1000 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if n, err := f.api.SweepExpiredRooms(context.Background(), now); err != nil || n != 0 {
		t.Fatalf("sweep with ROOM_TTL=0: %d %v", n, err)
	}
}

func TestReadyzHidesDatabaseDetails(t *testing.T) {
	t.Parallel()
	f := newLimitFixture(t, api.Limits{})
	f.store.err = errors.New(`failed to connect to host=10.1.2.3 user=pairpad_admin database=prod: dial tcp 10.1.2.3:5432: connection refused`)
	resp, b := f.do(t, "GET", "/readyz", "")
	var body api.ErrorBody
	if err := json.Unmarshal(b, &body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 503 || body.Error.Code != "database_unreachable" || body.Error.Message != "database unreachable" {
		t.Fatalf("readyz: %d %s", resp.StatusCode, b)
	}
	for _, secret := range []string{"10.1.2.3", "pairpad_admin", "prod", "5432"} {
		if strings.Contains(string(b), secret) {
			t.Fatalf("readyz tells %q: %s", secret, b)
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte("<!doctype html><title>Pairpad</title>"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := newLimitFixture(t, api.Limits{}, func(o *api.Options) { o.ClientDir = dir })
	room := f.createRoom(t, "")
	for _, path := range []string{"/", "/room/" + room.RoomID, "/rooms/" + room.RoomID + "/text", "/rooms/" + room.RoomID, "/rooms/nope", "/healthz"} {
		resp, _ := f.do(t, "GET", path, "")
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "'wasm-unsafe-eval'", "frame-ancestors 'none'", "object-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %s", path, csp, want)
			}
		}
		if strings.Contains(csp, "'unsafe-eval'") {
			t.Errorf("%s: CSP allows JavaScript eval: %q", path, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" || h.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: headers %v", path, h)
		}
	}
}
