package api_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/gorilla/websocket"
	"go.uber.org/zap"

	"github.com/pairpad/pairpad/api"
	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/persistence"
	pairsync "github.com/pairpad/pairpad/sync"
	"github.com/pairpad/pairpad/sync/wireclient"
)

type pingStore struct {
	*persistence.Memory
	err error
}

func (p *pingStore) Ping(context.Context) error { return p.err }

type fixture struct {
	srv   *httptest.Server
	hub   *pairsync.Hub
	store *pingStore
}

func newFixture(t *testing.T, clientDir string) *fixture {
	t.Helper()
	store := &pingStore{Memory: persistence.NewMemory()}
	hub := pairsync.NewHub(pairsync.Config{}, store, zap.NewNop())
	s := api.New(api.Options{Hub: hub, Store: store, Log: zap.NewNop(), ClientDir: clientDir, Version: "test"})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hub.Shutdown(ctx)
		srv.Close()
	})
	return &fixture{srv: srv, hub: hub, store: store}
}

func (f *fixture) do(t *testing.T, method, path, body string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, f.srv.URL+path, rd)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func errorCode(t *testing.T, body []byte) string {
	t.Helper()
	var e api.ErrorBody
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("not an error body: %s", body)
	}
	return e.Error.Code
}

// dial opens a WebSocket to room as a Go peer (no token: the fixtures run
// with open access); the test closes it.
func (f *fixture) dial(t *testing.T, ctx context.Context, room string) *wireclient.Client {
	t.Helper()
	c, err := wireclient.Dial(ctx, "ws"+strings.TrimPrefix(f.srv.URL, "http")+"/ws/"+room, room, wireclient.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// waitText polls GET /rooms/{room}/text until it says want, or fails after
// five seconds naming what it last said.
func (f *fixture) waitText(t *testing.T, room, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, b := f.do(t, "GET", "/rooms/"+room+"/text", "")
		if string(b) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /rooms/%s/text says %q, want %q", room, b, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (f *fixture) createRoom(t *testing.T, body string) api.CreateRoomResponse {
	t.Helper()
	resp, b := f.do(t, "POST", "/rooms", body, "Content-Type", "application/json")
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /rooms: %d %s", resp.StatusCode, b)
	}
	var out api.CreateRoomResponse
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !crdt.ValidDocumentID(out.RoomID) || out.URL != "/room/"+out.RoomID {
		t.Fatalf("bad create response %+v", out)
	}
	return out
}

func TestCreateAndGetRoom(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "")
	room := f.createRoom(t, `{"language":"Python"}`)
	resp, b := f.do(t, "GET", "/rooms/"+room.RoomID, "")
	if resp.StatusCode != 200 {
		t.Fatalf("GET: %d %s", resp.StatusCode, b)
	}
	var info api.RoomInfo
	if err := json.Unmarshal(b, &info); err != nil {
		t.Fatal(err)
	}
	if info.Language != "python" || info.Peers != 0 || info.SizeBytes == 0 || info.CreatedAt.IsZero() || info.Loaded {
		t.Fatalf("info %+v", info)
	}
	def := f.createRoom(t, "")
	rec, err := f.store.Load(context.Background(), def.RoomID)
	if err != nil || rec.Language != api.Languages[0] {
		t.Fatalf("default language: %+v %v", rec, err)
	}
	// The stored document opens with an empty text content.
	d, err := crdt.Load(rec.Data)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := d.Text(); err != nil || s != "" || d.Language() != api.Languages[0] {
		t.Fatalf("doc %q %q %v", s, d.Language(), err)
	}
}

func TestRoomErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "")
	unknown := crdt.NewDocumentID()
	cases := []struct {
		method, path, body string
		status             int
		code               string
	}{
		{"GET", "/rooms/" + unknown, "", 404, "room_not_found"},
		{"GET", "/rooms/not-an-id", "", 400, "invalid_room_id"},
		{"GET", "/rooms/" + unknown + "/snapshot", "", 404, "room_not_found"},
		{"GET", "/rooms/0OIl/snapshot", "", 400, "invalid_room_id"},
		{"GET", "/rooms/" + unknown + "/text", "", 404, "room_not_found"},
		{"GET", "/ws/" + unknown, "", 404, "room_not_found"},
		{"GET", "/ws/xyz", "", 400, "invalid_room_id"},
		{"POST", "/rooms", `{"language":"cobol"}`, 400, "invalid_field"},
		{"POST", "/rooms", `{"language":42}`, 400, "invalid_field"},
		{"POST", "/rooms", `{"lang":"go"}`, 400, "unknown_field"},
		{"POST", "/rooms", `{"language":"go"`, 400, "invalid_json"},
		{"POST", "/rooms", `{"language":"go"} {}`, 400, "invalid_json"},
		{"POST", "/rooms", `{"language":"` + strings.Repeat("a", 20<<10) + `"}`, 413, "too_large"},
		{"DELETE", "/rooms", "", 405, "method_not_allowed"},
		{"GET", "/rooms/" + unknown + "/nope", "", 404, "not_found"},
		{"POST", "/autocomplete", `{}`, 503, "autocomplete_disabled"},
	}
	for _, c := range cases {
		resp, b := f.do(t, c.method, c.path, c.body)
		if resp.StatusCode != c.status {
			t.Errorf("%s %s: status %d, want %d (%s)", c.method, c.path, resp.StatusCode, c.status, b)
			continue
		}
		if got := errorCode(t, b); got != c.code {
			t.Errorf("%s %s: code %q, want %q", c.method, c.path, got, c.code)
		}
	}
	// Unknown fields are named.
	_, b := f.do(t, "POST", "/rooms", `{"lang":"go"}`)
	if !strings.Contains(string(b), `lang`) {
		t.Errorf("message does not name the field: %s", b)
	}
}

func TestSnapshotTextAndWebSocket(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "")
	room := f.createRoom(t, `{"language":"go"}`)
	c := f.dial(t, context.Background(), room.RoomID)
	defer c.Close()
	if err := c.Splice(0, 0, "fmt.Println(\"héllo\")"); err != nil {
		t.Fatal(err)
	}
	f.waitText(t, room.RoomID, "fmt.Println(\"héllo\")")
	// /text names the version it is: the heads the client has.
	if err := c.WaitSynced(context.Background()); err != nil {
		t.Fatal(err)
	}
	resp, b := f.do(t, "GET", "/rooms/"+room.RoomID+"/text", "")
	want := crdt.HashStrings(c.Heads())
	if got := resp.Header.Get(api.HeadsHeader); resp.StatusCode != 200 || got != strings.Join(want, ",") || len(got) != 64 {
		t.Fatalf("text heads header %q (status %d), want %v", got, resp.StatusCode, want)
	}
	resp, b = f.do(t, "GET", "/rooms/"+room.RoomID+"/snapshot", "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("snapshot: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	d, err := crdt.Load(b)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := d.Text(); s != "fmt.Println(\"héllo\")" {
		t.Fatalf("snapshot text %q", s)
	}
	_, b = f.do(t, "GET", "/rooms/"+room.RoomID, "")
	var info api.RoomInfo
	_ = json.Unmarshal(b, &info)
	if info.Peers != 1 || !info.Loaded {
		t.Fatalf("live info %+v", info)
	}
	// A plain GET on the socket path explains itself.
	resp, b = f.do(t, "GET", "/ws/"+room.RoomID, "")
	if resp.StatusCode != 400 || errorCode(t, b) != "not_websocket" {
		t.Fatalf("plain GET /ws: %d %s", resp.StatusCode, b)
	}
	// An unknown room is refused before the upgrade.
	_, resp, err = websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(f.srv.URL, "http")+"/ws/"+crdt.NewDocumentID(), nil)
	if err == nil || resp == nil || resp.StatusCode != 404 {
		t.Fatalf("unknown room upgrade: %v %v", err, resp)
	}
}

func TestHealthReadyMetrics(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "")
	resp, b := f.do(t, "GET", "/healthz", "")
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"ok"`) {
		t.Fatalf("healthz %d %s", resp.StatusCode, b)
	}
	resp, _ = f.do(t, "GET", "/readyz", "")
	if resp.StatusCode != 200 {
		t.Fatalf("readyz %d", resp.StatusCode)
	}
	f.store.err = errors.New("connection refused")
	resp, b = f.do(t, "GET", "/readyz", "")
	if resp.StatusCode != 503 || errorCode(t, b) != "database_unreachable" {
		t.Fatalf("readyz with dead db: %d %s", resp.StatusCode, b)
	}
	f.createRoom(t, "")
	resp, b = f.do(t, "GET", "/metrics", "")
	if resp.StatusCode != 200 {
		t.Fatal(resp.StatusCode)
	}
	for _, name := range []string{"pairpad_rooms_loaded 0", "pairpad_peers_connected 0", "pairpad_frames_in_total", "pairpad_bytes_out_total",
		"pairpad_saves_total", "pairpad_save_errors_total", "pairpad_save_seconds_total", "pairpad_dirty_rooms 0", "process_resident_memory_bytes",
		`pairpad_closes_total{code="4400"}`} {
		if !strings.Contains(string(b), name) {
			t.Errorf("metrics lack %q", name)
		}
	}
}

func TestStaticClient(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	index := "<!doctype html><title>Pairpad</title><div id=root></div>"
	js := strings.Repeat("console.log('pairpad');\n", 200)
	if err := os.MkdirAll(filepath.Join(dir, "assets"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "index.html"), []byte(index), 0o644)
	os.WriteFile(filepath.Join(dir, "assets", "app.js"), []byte(js), 0o644)
	f := newFixture(t, dir)

	for _, p := range []string{"/", "/room/" + crdt.NewDocumentID()} {
		resp, b := f.do(t, "GET", p, "")
		if resp.StatusCode != 200 || string(b) != index {
			t.Fatalf("GET %s: %d %q", p, resp.StatusCode, b)
		}
	}
	resp, b := f.do(t, "GET", "/assets/app.js", "", "Accept-Encoding", "gzip")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("asset: %d %v", resp.StatusCode, resp.Header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if string(plain) != js || len(b) >= len(js) {
		t.Fatalf("gzip body wrong: %d compressed, %d plain", len(b), len(plain))
	}
	resp, _ = f.do(t, "GET", "/assets/missing.js", "")
	if resp.StatusCode != 404 {
		t.Fatalf("missing asset: %d", resp.StatusCode)
	}
	resp, b = f.do(t, "GET", "/rooms", "")
	if resp.StatusCode != 405 && resp.StatusCode != 404 {
		t.Fatalf("GET /rooms: %d %s", resp.StatusCode, b)
	}
}

// GET /rooms/{id}/text says whether driver mode is on and who drives, so
// that a browser can show the text read-only before its document loads.
func TestTextSaysWhoDrives(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "")
	room := f.createRoom(t, `{"language":"go"}`)
	alice := f.dial(t, context.Background(), room.RoomID)
	defer alice.Close()
	bob := f.dial(t, context.Background(), room.RoomID)
	defer bob.Close()
	if err := alice.WaitSynced(context.Background()); err != nil {
		t.Fatal(err)
	}
	drivers := func() (string, string, bool) {
		resp, _ := f.do(t, "GET", "/rooms/"+room.RoomID+"/text", "")
		_, named := resp.Header[http.CanonicalHeaderKey(api.DriverHeader)]
		return resp.Header.Get(api.DriveHeader), resp.Header.Get(api.DriverHeader), named
	}
	if on, who, named := drivers(); on != "" || named {
		t.Fatalf("before driver mode: %s=%q, %s=%q", api.DriveHeader, on, api.DriverHeader, who)
	}
	sendDrive := func(c *wireclient.Client, op string) {
		t.Helper()
		data, err := cbor.Marshal(map[string]any{"t": pairsync.DriveTag, "op": op})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.SendEphemeral(data); err != nil {
			t.Fatal(err)
		}
	}
	waitDrivers := func(what, wantOn, wantWho string, wantNamed bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			on, who, named := drivers()
			if on == wantOn && who == wantWho && named == wantNamed {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %s=%q, %s=%q (present %v)", what, api.DriveHeader, on, api.DriverHeader, who, named)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	sendDrive(alice, "on")
	waitDrivers("alice drives", "on", alice.PeerID(), true)
	alice.Close()
	waitDrivers("the keyboard free", "on", "", false)
	sendDrive(bob, "request")
	waitDrivers("bob drives", "on", bob.PeerID(), true)
	sendDrive(bob, "off")
	waitDrivers("driver mode off", "", "", false)
}
