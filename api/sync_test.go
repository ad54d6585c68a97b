package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/gorilla/websocket"

	"github.com/pairpad/pairpad/api"
	"github.com/pairpad/pairpad/auth"
	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/sync/wire"
)

func syncDocsToken(t *testing.T, docs []string, role auth.Role) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, auth.Claims{Docs: docs, Role: role, Name: "App",
		RegisteredClaims: jwt.RegisteredClaims{ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour))}}).SignedString(testAppSecret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// dialSync opens /sync (token in the query, as automerge-repo's adapter
// passes it); the HTTP status when the upgrade is refused.
func dialSync(t *testing.T, f *authFixture, token string) (*websocket.Conn, int) {
	t.Helper()
	u := "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/sync"
	if token != "" {
		u += "?token=" + url.QueryEscape(token)
	}
	conn, resp, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		if resp == nil {
			t.Fatalf("dial: %v", err)
		}
		return nil, resp.StatusCode
	}
	t.Cleanup(func() { conn.Close() })
	return conn, http.StatusSwitchingProtocols
}

// askFor joins and requests docID; it returns the type of the server's
// answer for that document (sync, doc-unavailable or error).
func askFor(t *testing.T, conn *websocket.Conn, docID string) (string, wire.Message) {
	t.Helper()
	send := func(m wire.Message) {
		b, _ := wire.EncodeFrame(m)
		if err := conn.WriteMessage(websocket.BinaryMessage, b); err != nil {
			t.Fatal(err)
		}
	}
	send(wire.Message{Type: wire.TypeJoin, SenderID: "app-peer", SupportedProtocolVersions: []string{"1"}})
	req, _, _ := crdt.Empty().Generate(crdt.Empty().NewPeerState())
	send(wire.Message{Type: wire.TypeRequest, SenderID: "app-peer", DocumentID: docID, Data: req})
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		m, err := wire.DecodeFrame(data)
		if err != nil {
			t.Fatal(err)
		}
		switch m.Type {
		case wire.TypePeer:
			if m.PeerMetadata == nil || m.PeerMetadata.StorageID == "" {
				t.Fatalf("peer message without storageId: %+v", m.PeerMetadata)
			}
		case wire.TypeSync, wire.TypeDocUnavailable, wire.TypeError:
			return m.Type, m
		}
	}
}

func TestSyncEndpointPolicy(t *testing.T) {
	t.Run("off", func(t *testing.T) {
		f := newAuthFixture(t, api.AccessOpen, func(o *api.Options) { o.SyncEndpoint = api.SyncOff })
		resp, b := f.do(t, "GET", "/sync", "")
		if resp.StatusCode != http.StatusNotFound || errorCode(t, b) != "sync_disabled" {
			t.Fatalf("GET /sync with SYNC_ENDPOINT=off: %d %s", resp.StatusCode, b)
		}
	})
	t.Run("open by default with ACCESS=open", func(t *testing.T) {
		f := newAuthFixture(t, api.AccessOpen)
		conn, status := dialSync(t, f, "")
		if status != http.StatusSwitchingProtocols {
			t.Fatalf("status %d", status)
		}
		if typ, _ := askFor(t, conn, crdt.NewDocumentID()); typ != wire.TypeDocUnavailable {
			t.Fatalf("unknown document: got %s, want doc-unavailable", typ)
		}
	})
	t.Run("token by default with ACCESS=links", func(t *testing.T) {
		f := newAuthFixture(t, api.AccessLinks)
		if _, status := dialSync(t, f, ""); status != http.StatusUnauthorized {
			t.Fatalf("no token: status %d, want 401", status)
		}
		if _, status := dialSync(t, f, "garbage"); status != http.StatusUnauthorized {
			t.Fatalf("bad token: status %d, want 401", status)
		}
		r := f.newRoom(t)
		// An application token with a docs claim opens what it lists.
		conn, status := dialSync(t, f, syncDocsToken(t, []string{r.RoomID}, auth.RoleViewer))
		if status != http.StatusSwitchingProtocols {
			t.Fatalf("docs token: status %d", status)
		}
		if typ, _ := askFor(t, conn, r.RoomID); typ != wire.TypeSync {
			t.Fatalf("listed room: got %s, want sync", typ)
		}
		conn, _ = dialSync(t, f, syncDocsToken(t, []string{r.RoomID}, auth.RoleEditor))
		if typ, m := askFor(t, conn, crdt.NewDocumentID()); typ != wire.TypeError || !strings.Contains(m.ErrorMessage, "docs claim") {
			t.Fatalf("unlisted document: got %s %q, want an error naming the docs claim", typ, m.ErrorMessage)
		}
		// A room's own link opens that room through /sync, with its role.
		conn, _ = dialSync(t, f, linkOf(t, r, auth.RoleViewer).Token)
		if typ, _ := askFor(t, conn, r.RoomID); typ != wire.TypeSync {
			t.Fatalf("link token for its room: got %s, want sync", typ)
		}
		// "*" opens any document.
		conn, _ = dialSync(t, f, syncDocsToken(t, []string{auth.AnyRoom}, auth.RoleEditor))
		if typ, _ := askFor(t, conn, crdt.NewDocumentID()); typ != wire.TypeDocUnavailable {
			t.Fatalf("any-document token: got %s, want doc-unavailable", typ)
		}
	})
	t.Run("explicit open with ACCESS=links", func(t *testing.T) {
		f := newAuthFixture(t, api.AccessLinks, func(o *api.Options) { o.SyncEndpoint = api.SyncOpen })
		if _, status := dialSync(t, f, ""); status != http.StatusSwitchingProtocols {
			t.Fatalf("status %d", status)
		}
	})
	t.Run("metrics", func(t *testing.T) {
		f := newAuthFixture(t, api.AccessOpen)
		_, b := f.do(t, "GET", "/metrics", "")
		for _, name := range []string{"pairpad_sync_sockets", "pairpad_sync_documents_open", "pairpad_sync_documents_created_total"} {
			if !strings.Contains(string(b), name+" ") {
				t.Fatalf("/metrics lacks %s", name)
			}
		}
	})
}
