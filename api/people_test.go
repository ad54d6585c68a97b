package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pairpad/pairpad/api"
	"github.com/pairpad/pairpad/auth"
	pairsync "github.com/pairpad/pairpad/sync"
	"github.com/pairpad/pairpad/sync/wireclient"
)

// The owner's view of who is connected comes from the server's grants,
// not from what peers claim in their presence.
func TestPeopleListsServerGrantedLinks(t *testing.T) {
	t.Parallel()
	f := newAuthFixture(t, api.AccessLinks)
	r := f.newRoom(t)
	editor, viewer := linkOf(t, r, auth.RoleEditor), linkOf(t, r, auth.RoleViewer)
	people := func(tok string) (int, []pairsync.Person) {
		t.Helper()
		resp, b := f.do(t, "GET", "/rooms/"+r.RoomID+"/people", "", bearer(tok)...)
		var out api.PeopleResponse
		if resp.StatusCode == http.StatusOK {
			if err := json.Unmarshal(b, &out); err != nil {
				t.Fatalf("body %s: %v", b, err)
			}
		}
		return resp.StatusCode, out.People
	}
	if code, list := people(r.OwnerToken); code != http.StatusOK || len(list) != 0 {
		t.Fatalf("nobody connected: %d %+v", code, list)
	}

	ws := "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/ws/" + r.RoomID + "?token="
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, c := range []struct{ peer, tok string }{{"bob", editor.Token}, {"carol", viewer.Token}} {
		cl, err := wireclient.Dial(ctx, ws+c.tok, r.RoomID, wireclient.ClientOptions{PeerID: c.peer})
		if err != nil {
			t.Fatalf("%s: %v", c.peer, err)
		}
		t.Cleanup(func() { cl.Close() })
	}

	code, list := people(r.OwnerToken)
	if code != http.StatusOK {
		t.Fatalf("GET people as owner: %d", code)
	}
	want := []pairsync.Person{
		{PeerID: "bob", LinkID: editor.ID, Role: pairsync.RoleEditor},
		{PeerID: "carol", LinkID: viewer.ID, Role: pairsync.RoleViewer},
	}
	if len(list) != len(want) {
		t.Fatalf("people %+v, want %+v", list, want)
	}
	for i := range want {
		if list[i] != want[i] {
			t.Errorf("person %d: %+v, want %+v", i, list[i], want[i])
		}
	}
	if code, _ := people(editor.Token); code != http.StatusForbidden {
		t.Errorf("GET people as editor: %d, want 403", code)
	}
}
