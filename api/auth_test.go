package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/gorilla/websocket"
	"go.uber.org/zap"

	"github.com/pairpad/pairpad/api"
	"github.com/pairpad/pairpad/auth"
	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/persistence"
	pairsync "github.com/pairpad/pairpad/sync"
)

var (
	testLinkSecret = []byte("api-test-link-secret-0123456789abcdef")
	testAppSecret  = []byte("api-test-app-secret-0123456789abcdefgh")
)

type authFixture struct {
	*fixture
	svc   *auth.Service
	links *auth.MemoryStore
}

func newAuthFixture(t *testing.T, access string, opts ...func(*api.Options)) *authFixture {
	t.Helper()
	store := &pingStore{Memory: persistence.NewMemory()}
	hub := pairsync.NewHub(pairsync.Config{}, store, zap.NewNop())
	links := auth.NewMemoryStore()
	svc, err := auth.NewService(auth.Config{LinkSecret: testLinkSecret, AppSecret: testAppSecret}, links)
	if err != nil {
		t.Fatal(err)
	}
	o := api.Options{Hub: hub, Store: store, Log: zap.NewNop(), Auth: svc, Access: access, Version: "test"}
	for _, f := range opts {
		f(&o)
	}
	srv := httptest.NewServer(api.New(o).Handler())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hub.Shutdown(ctx)
		srv.Close()
	})
	return &authFixture{fixture: &fixture{srv: srv, hub: hub, store: store}, svc: svc, links: links}
}

func bearer(tok string) []string { return []string{"Authorization", "Bearer " + tok} }

func (f *authFixture) newRoom(t *testing.T) api.CreateRoomResponse {
	t.Helper()
	resp, b := f.do(t, "POST", "/rooms", `{"language":"go"}`, "Content-Type", "application/json")
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /rooms: %d %s", resp.StatusCode, b)
	}
	var out api.CreateRoomResponse
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func linkOf(t *testing.T, r api.CreateRoomResponse, role auth.Role) api.LinkInfo {
	t.Helper()
	for _, l := range r.Links {
		if l.Role == role {
			return l
		}
	}
	t.Fatalf("no %s link in %+v", role, r.Links)
	return api.LinkInfo{}
}

func TestCreateRoomReturnsOwnerTokenAndLinks(t *testing.T) {
	t.Parallel()
	f := newAuthFixture(t, api.AccessLinks)
	r := f.newRoom(t)
	if !crdt.ValidDocumentID(r.RoomID) || r.OwnerToken == "" || r.URL != "/room/"+r.RoomID+"#token="+r.OwnerToken {
		t.Fatalf("create response %+v", r)
	}
	if len(r.Links) != 2 || r.Links[0].Role != auth.RoleEditor || r.Links[1].Role != auth.RoleViewer {
		t.Fatalf("links %+v", r.Links)
	}
	for _, l := range r.Links {
		if l.ID == "" || l.Token == "" || l.URL != "/room/"+r.RoomID+"#token="+l.Token {
			t.Fatalf("link %+v", l)
		}
		id, err := f.svc.Authenticate(context.Background(), l.Token)
		if err != nil || id.Role != l.Role || id.LinkID != l.ID || id.Room != r.RoomID {
			t.Fatalf("link token %+v %v", id, err)
		}
	}
	// The raw JSON has exactly the names the issue gives.
	_, b := f.do(t, "POST", "/rooms", "")
	var raw map[string]any
	_ = json.Unmarshal(b, &raw)
	for _, k := range []string{"room_id", "url", "owner_token", "links"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("POST /rooms lacks %q: %s", k, b)
		}
	}
	first := raw["links"].([]any)[0].(map[string]any)
	for _, k := range []string{"id", "role", "token", "url"} {
		if _, ok := first[k]; !ok {
			t.Errorf("link lacks %q: %v", k, first)
		}
	}
}

func TestRoomEndpointsNeedAToken(t *testing.T) {
	t.Parallel()
	f := newAuthFixture(t, api.AccessLinks)
	r := f.newRoom(t)
	other := f.newRoom(t)
	viewer := linkOf(t, r, auth.RoleViewer).Token
	editor := linkOf(t, r, auth.RoleEditor).Token
	ctx := context.Background()
	past := time.Now().Add(-time.Minute).Truncate(time.Second)
	expiredLink := auth.Link{ID: auth.NewLinkID(), RoomID: r.RoomID, Role: auth.RoleEditor, CreatedAt: past.Add(-time.Hour), ExpiresAt: &past}
	_ = f.links.CreateLink(ctx, expiredLink)
	expired, _ := f.svc.Token(expiredLink)
	forged, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, auth.Claims{Room: r.RoomID, Role: auth.RoleOwner,
		RegisteredClaims: jwt.RegisteredClaims{ID: linkOf(t, r, auth.RoleViewer).ID, Issuer: auth.Issuer}}).SignedString([]byte("guessed-secret-guessed-secret-00000"))
	base := "/rooms/" + r.RoomID
	cases := []struct {
		name, method, path, body, token string
		status                          int
		code                            string
	}{
		{"no token", "GET", base, "", "", 401, "token_required"},
		{"no token text", "GET", base + "/text", "", "", 401, "token_required"},
		{"no token snapshot", "GET", base + "/snapshot", "", "", 401, "token_required"},
		{"no token links", "GET", base + "/links", "", "", 401, "token_required"},
		{"garbage", "GET", base, "", "xyz", 401, "invalid_token"},
		{"forged", "GET", base, "", forged, 401, "invalid_token"},
		{"expired", "GET", base + "/text", "", expired, 401, "token_expired"},
		{"other room", "GET", "/rooms/" + other.RoomID + "/text", "", viewer, 403, "wrong_room"},
		{"other room owner", "GET", "/rooms/" + other.RoomID + "/links", "", r.OwnerToken, 403, "wrong_room"},
		{"viewer reads", "GET", base + "/text", "", viewer, 200, ""},
		{"viewer snapshot", "GET", base + "/snapshot", "", viewer, 200, ""},
		{"viewer lists links", "GET", base + "/links", "", viewer, 403, "forbidden"},
		{"editor lists links", "GET", base + "/links", "", editor, 403, "forbidden"},
		{"editor creates link", "POST", base + "/links", `{"role":"owner"}`, editor, 403, "forbidden"},
		{"owner lists links", "GET", base + "/links", "", r.OwnerToken, 200, ""},
		{"bad room id before token", "GET", "/rooms/nope", "", "", 400, "invalid_room_id"},
		{"unknown room, no token", "GET", "/rooms/" + crdt.NewDocumentID(), "", "", 401, "token_required"},
		{"app token", "GET", base, "", appTok(r.RoomID, auth.RoleViewer, testAppSecret), 200, ""},
		{"app token any room", "GET", base + "/text", "", appTok(auth.AnyRoom, auth.RoleViewer, testAppSecret), 200, ""},
		{"app token other room", "GET", base, "", appTok(other.RoomID, auth.RoleOwner, testAppSecret), 403, "wrong_room"},
		{"app token wrong secret", "GET", base, "", appTok(r.RoomID, auth.RoleOwner, []byte("wrong-app-secret-wrong-app-secret-00")), 401, "invalid_token"},
		{"app owner lists links", "GET", base + "/links", "", appTok(r.RoomID, auth.RoleOwner, testAppSecret), 200, ""},
		{"ws no token", "GET", "/ws/" + r.RoomID, "", "", 401, "token_required"},
		{"no token history", "GET", base + "/history", "", "", 401, "token_required"},
		{"no token trace", "GET", base + "/trace", "", "", 401, "token_required"},
		{"no token text at heads", "GET", base + "/text?heads=x", "", "", 401, "token_required"},
		{"other room blame", "GET", "/rooms/" + other.RoomID + "/blame", "", viewer, 403, "wrong_room"},
		{"other room graph", "GET", "/rooms/" + other.RoomID + "/graph", "", viewer, 403, "wrong_room"},
		{"viewer history", "GET", base + "/history", "", viewer, 200, ""},
		{"viewer blame", "GET", base + "/blame", "", viewer, 200, ""},
		{"viewer diff", "GET", base + "/diff?from=" + strings.Repeat("0", 64), "", viewer, 400, "unknown_change"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var hdr []string
			if c.token != "" {
				hdr = bearer(c.token)
			}
			resp, b := f.do(t, c.method, c.path, c.body, hdr...)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.status, b)
			}
			if c.code != "" && errorCode(t, b) != c.code {
				t.Fatalf("code %s, want %s", errorCode(t, b), c.code)
			}
			if c.status == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("401 without WWW-Authenticate: %v", resp.Header)
			}
		})
	}
	// The app token's name and role are what GET /rooms/{id} reports.
	_, b := f.do(t, "GET", base, "", bearer(appTok(r.RoomID, auth.RoleEditor, testAppSecret))...)
	var info api.RoomInfo
	if err := json.Unmarshal(b, &info); err != nil || info.Role != auth.RoleEditor || info.Name != "Grace" || info.Access != "links" {
		t.Fatalf("info for app token: %s", b)
	}
	_, b = f.do(t, "GET", "/metrics", "")
	if !strings.Contains(string(b), `pairpad_auth_failures_total{reason="no_token"}`) || strings.Contains(string(b), `pairpad_auth_failures_total{reason="no_token"} 0`) {
		t.Fatalf("auth failures not in metrics")
	}
}

func TestManageLinks(t *testing.T) {
	t.Parallel()
	f := newAuthFixture(t, api.AccessLinks)
	r := f.newRoom(t)
	other := f.newRoom(t)
	base := "/rooms/" + r.RoomID + "/links"
	owner := bearer(r.OwnerToken)

	// Create: validation, then a labelled link that expires.
	for body, code := range map[string]string{`{"role":"admin"}`: "invalid_field", `{}`: "invalid_field", `{"role":"viewer","expires_in":-1}`: "invalid_field",
		`{"role":"viewer","x":1}`: "unknown_field", `{"role":"viewer","label":"` + strings.Repeat("a", 101) + `"}`: "invalid_field"} {
		resp, b := f.do(t, "POST", base, body, owner...)
		if resp.StatusCode != 400 || errorCode(t, b) != code {
			t.Errorf("POST %s: %d %s", body, resp.StatusCode, b)
		}
	}
	resp, b := f.do(t, "POST", base, `{"role":"viewer","label":"class 3b","expires_in":3600}`, owner...)
	if resp.StatusCode != 201 {
		t.Fatalf("create link: %d %s", resp.StatusCode, b)
	}
	var made api.LinkInfo
	_ = json.Unmarshal(b, &made)
	if made.Role != auth.RoleViewer || made.Label != "class 3b" || made.Token == "" || made.ExpiresAt == nil ||
		made.ExpiresAt.Sub(time.Now()) < 59*time.Minute || made.ExpiresAt.Sub(time.Now()) > 61*time.Minute {
		t.Fatalf("made %+v", made)
	}
	resp, b = f.do(t, "GET", base, "", owner...)
	var list api.LinksResponse
	_ = json.Unmarshal(b, &list)
	if resp.StatusCode != 200 || len(list.Links) != 4 || list.Links[0].Role != auth.RoleOwner {
		t.Fatalf("list: %d %s", resp.StatusCode, b)
	}

	// Promote: the same token now has the new role.
	resp, b = f.do(t, "PATCH", base+"/"+made.ID, `{"role":"editor"}`, owner...)
	if resp.StatusCode != 200 {
		t.Fatalf("patch: %d %s", resp.StatusCode, b)
	}
	_, b = f.do(t, "GET", "/rooms/"+r.RoomID, "", bearer(made.Token)...)
	var info api.RoomInfo
	_ = json.Unmarshal(b, &info)
	if info.Role != auth.RoleEditor || info.LinkID != made.ID {
		t.Fatalf("after promotion: %s", b)
	}
	for path, status := range map[string]int{
		base + "/nope": 404,
		"/rooms/" + other.RoomID + "/links/" + made.ID: 403, // owner token of r is not owner of other
	} {
		resp, b := f.do(t, "PATCH", path, `{"role":"viewer"}`, owner...)
		if resp.StatusCode != status {
			t.Errorf("PATCH %s: %d %s", path, resp.StatusCode, b)
		}
	}
	// A link of another room cannot be changed through this room.
	resp, b = f.do(t, "PATCH", base+"/"+linkOf(t, other, auth.RoleViewer).ID, `{"role":"owner"}`, owner...)
	if resp.StatusCode != 404 || errorCode(t, b) != "link_not_found" {
		t.Fatalf("cross-room patch: %d %s", resp.StatusCode, b)
	}
	// The owner cannot lock themselves out through the link they are using.
	ownID := ""
	for _, l := range list.Links {
		if l.Role == auth.RoleOwner {
			ownID = l.ID
		}
	}
	for _, m := range []string{"PATCH", "DELETE"} {
		resp, b := f.do(t, m, base+"/"+ownID, `{"role":"viewer"}`, owner...)
		if resp.StatusCode != 409 || errorCode(t, b) != "own_link" {
			t.Fatalf("%s own link: %d %s", m, resp.StatusCode, b)
		}
	}
	resp, b = f.do(t, "PATCH", base+"/"+made.ID, `{"role":"boss"}`, owner...)
	if resp.StatusCode != 400 {
		t.Fatalf("bad role patch: %d %s", resp.StatusCode, b)
	}

	// Revoke: the token stops working; the link stays listed, without token.
	resp, b = f.do(t, "DELETE", base+"/"+made.ID, "", owner...)
	if resp.StatusCode != 200 {
		t.Fatalf("delete: %d %s", resp.StatusCode, b)
	}
	var gone api.LinkInfo
	_ = json.Unmarshal(b, &gone)
	if gone.RevokedAt == nil || gone.Token != "" {
		t.Fatalf("revoked link %s", b)
	}
	resp, b = f.do(t, "GET", "/rooms/"+r.RoomID+"/text", "", bearer(made.Token)...)
	if resp.StatusCode != 401 || errorCode(t, b) != "link_revoked" {
		t.Fatalf("revoked token: %d %s", resp.StatusCode, b)
	}
	resp, _ = f.do(t, "DELETE", base+"/"+made.ID, "", owner...)
	if resp.StatusCode != 200 {
		t.Fatalf("second delete: %d", resp.StatusCode)
	}
}

func TestOpenAccess(t *testing.T) {
	t.Parallel()
	f := newAuthFixture(t, api.AccessOpen)
	r := f.newRoom(t)
	resp, b := f.do(t, "GET", "/rooms/"+r.RoomID, "")
	var info api.RoomInfo
	_ = json.Unmarshal(b, &info)
	if resp.StatusCode != 200 || info.Role != auth.RoleEditor || info.Access != "open" {
		t.Fatalf("open GET: %d %s", resp.StatusCode, b)
	}
	// The room id alone does not make an owner.
	if resp, _ := f.do(t, "GET", "/rooms/"+r.RoomID+"/links", ""); resp.StatusCode != 403 {
		t.Fatalf("open links without token: %d", resp.StatusCode)
	}
	if resp, _ := f.do(t, "GET", "/rooms/"+r.RoomID+"/links", "", bearer(r.OwnerToken)...); resp.StatusCode != 200 {
		t.Fatalf("open links with owner token: %d", resp.StatusCode)
	}
	// A token given under open access is still checked.
	if resp, _ := f.do(t, "GET", "/rooms/"+r.RoomID, "", bearer("junk")...); resp.StatusCode != 401 {
		t.Fatalf("open with junk token: %d", resp.StatusCode)
	}
	// WebSocket without a token works as before.
	f.dial(t, context.Background(), r.RoomID).Close()
}

func TestWebSocketTokenAndOrigin(t *testing.T) {
	t.Parallel()
	f := newAuthFixture(t, api.AccessLinks, func(o *api.Options) { o.AllowedOrigins = []string{"https://embed.example"} })
	r := f.newRoom(t)
	other := f.newRoom(t)
	ws := "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/ws/"
	editor := linkOf(t, r, auth.RoleEditor).Token
	dialStatus := func(url string, origin string) int {
		t.Helper()
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		conn, resp, err := websocket.DefaultDialer.Dial(url, h)
		if err == nil {
			conn.Close()
			return 101
		}
		if resp == nil {
			t.Fatalf("dial %s: %v", url, err)
		}
		return resp.StatusCode
	}
	cases := []struct {
		name, url, origin string
		status            int
	}{
		{"no token", ws + r.RoomID, "", 401},
		{"bad token", ws + r.RoomID + "?token=abc", "", 401},
		{"other room", ws + other.RoomID + "?token=" + editor, "", 403},
		{"no origin", ws + r.RoomID + "?token=" + editor, "", 101},
		{"own origin", ws + r.RoomID + "?token=" + editor, f.srv.URL, 101},
		{"listed origin", ws + r.RoomID + "?token=" + editor, "https://embed.example", 101},
		{"foreign origin", ws + r.RoomID + "?token=" + editor, "https://evil.example", 403},
		{"localhost origin, not loopback mode", ws + r.RoomID + "?token=" + editor, "http://localhost:5173", 403},
		{"unknown room with its token", ws + crdt.NewDocumentID() + "?token=" + editor, "", 403},
	}
	for _, c := range cases {
		if got := dialStatus(c.url, c.origin); got != c.status {
			t.Errorf("%s: status %d, want %d", c.name, got, c.status)
		}
	}
	lf := newAuthFixture(t, api.AccessLinks, func(o *api.Options) { o.LoopbackOrigins = true })
	lr := lf.newRoom(t)
	lws := "ws" + strings.TrimPrefix(lf.srv.URL, "http") + "/ws/" + lr.RoomID + "?token=" + lr.OwnerToken
	if got := dialStatus(lws, "http://localhost:5173"); got != 101 {
		t.Errorf("localhost origin in loopback mode: %d", got)
	}
	if got := dialStatus(lws, "http://evil.example"); got != 403 {
		t.Errorf("foreign origin in loopback mode: %d", got)
	}
}

// downLinks is a link store whose every call fails after down is set, as
// during a database outage.
type downLinks struct {
	*auth.MemoryStore
	down atomic.Bool
}

func (d *downLinks) ListLinks(ctx context.Context, room string) ([]auth.Link, error) {
	if d.down.Load() {
		return nil, errors.New("connection refused")
	}
	return d.MemoryStore.ListLinks(ctx, room)
}

// A link store that does not answer is an outage (503), not a server bug.
func TestLinkStoreOutageIs503(t *testing.T) {
	t.Parallel()
	store := &pingStore{Memory: persistence.NewMemory()}
	hub := pairsync.NewHub(pairsync.Config{}, store, zap.NewNop())
	links := &downLinks{MemoryStore: auth.NewMemoryStore()}
	svc, err := auth.NewService(auth.Config{LinkSecret: testLinkSecret}, links)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(api.Options{Hub: hub, Store: store, Log: zap.NewNop(), Auth: svc, Version: "test"}).Handler())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hub.Shutdown(ctx)
		srv.Close()
	})
	f := &authFixture{fixture: &fixture{srv: srv, hub: hub, store: store}, svc: svc}
	r := f.newRoom(t)
	links.down.Store(true)
	resp, b := f.do(t, "GET", "/rooms/"+r.RoomID+"/links", "", bearer(r.OwnerToken)...)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(b), "database_unavailable") {
		t.Fatalf("GET links with the link store down: %d %s", resp.StatusCode, b)
	}
}
