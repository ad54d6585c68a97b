package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/pairpad/pairpad/api"
	"github.com/pairpad/pairpad/auth"
	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/sync/wireclient"
)

func appTok(room string, role auth.Role, key []byte) string {
	s, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, auth.Claims{Room: room, Role: role, Name: "Grace",
		RegisteredClaims: jwt.RegisteredClaims{ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour))}}).SignedString(key)
	return s
}

func (f *authFixture) notes(t *testing.T, room, token string) (int, api.NotesInfo) {
	t.Helper()
	var hdr []string
	if token != "" {
		hdr = bearer(token)
	}
	resp, b := f.do(t, "GET", "/rooms/"+room+"/notes", "", hdr...)
	var out api.NotesInfo
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode, out
}

func TestNotesOnlyForOwnersAndGrantedLinks(t *testing.T) {
	t.Parallel()
	f := newAuthFixture(t, api.AccessLinks)
	r := f.newRoom(t)
	editor := linkOf(t, r, auth.RoleEditor)
	viewer := linkOf(t, r, auth.RoleViewer)
	notesID, err := crdt.NotesDocumentID(r.RoomID)
	if err != nil {
		t.Fatal(err)
	}

	status, info := f.notes(t, r.RoomID, r.OwnerToken)
	if status != 200 || info.DocumentID != notesID || info.WSURL != "/ws/"+r.RoomID+"/notes" || info.Text != "" || info.Role != auth.RoleOwner {
		t.Fatalf("owner: %d %+v", status, info)
	}
	for name, tok := range map[string]string{"editor": editor.Token, "viewer": viewer.Token} {
		resp, b := f.do(t, "GET", "/rooms/"+r.RoomID+"/notes", "", bearer(tok)...)
		if resp.StatusCode != 403 || errorCode(t, b) != "notes_forbidden" {
			t.Fatalf("%s: %d %s", name, resp.StatusCode, b)
		}
	}
	if status, _ := f.notes(t, r.RoomID, ""); status != 401 {
		t.Fatalf("no token: %d", status)
	}
	// GET /rooms/{id} says who may open them.
	for tok, want := range map[string]bool{r.OwnerToken: true, editor.Token: false} {
		resp, b := f.do(t, "GET", "/rooms/"+r.RoomID, "", bearer(tok)...)
		var ri api.RoomInfo
		if resp.StatusCode != 200 || json.Unmarshal(b, &ri) != nil || ri.Notes != want {
			t.Fatalf("room info notes: %d %s, want notes=%v", resp.StatusCode, b, want)
		}
	}

	// The owner grants an interviewer's link notes; withdrawing it closes the door again.
	resp, b := f.do(t, "POST", "/rooms/"+r.RoomID+"/links", `{"role":"editor","label":"interviewer","notes":true}`,
		append(bearer(r.OwnerToken), "Content-Type", "application/json")...)
	var granted api.LinkInfo
	if resp.StatusCode != 201 || json.Unmarshal(b, &granted) != nil || !granted.Notes {
		t.Fatalf("create notes link: %d %s", resp.StatusCode, b)
	}
	if status, info := f.notes(t, r.RoomID, granted.Token); status != 200 || info.Role != auth.RoleEditor {
		t.Fatalf("granted link: %d %+v", status, info)
	}
	resp, b = f.do(t, "PATCH", "/rooms/"+r.RoomID+"/links/"+granted.ID, `{"notes":false}`,
		append(bearer(r.OwnerToken), "Content-Type", "application/json")...)
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"notes":false`) || !strings.Contains(string(b), `"role":"editor"`) {
		t.Fatalf("withdraw: %d %s", resp.StatusCode, b)
	}
	if status, _ := f.notes(t, r.RoomID, granted.Token); status != 403 {
		t.Fatalf("withdrawn link: %d", status)
	}
	resp, b = f.do(t, "PATCH", "/rooms/"+r.RoomID+"/links/"+granted.ID, `{}`, append(bearer(r.OwnerToken), "Content-Type", "application/json")...)
	if resp.StatusCode != 400 {
		t.Fatalf("empty patch: %d %s", resp.StatusCode, b)
	}
	// An editor cannot grant itself notes.
	resp, _ = f.do(t, "PATCH", "/rooms/"+r.RoomID+"/links/"+editor.ID, `{"notes":true}`, append(bearer(editor.Token), "Content-Type", "application/json")...)
	if resp.StatusCode != 403 {
		t.Fatalf("editor granting notes: %d", resp.StatusCode)
	}
	// Application tokens: owners open the notes, editors do not.
	if status, _ := f.notes(t, r.RoomID, appTok(r.RoomID, auth.RoleOwner, testAppSecret)); status != 200 {
		t.Fatalf("owner app token: %d", status)
	}
	if status, _ := f.notes(t, r.RoomID, appTok(r.RoomID, auth.RoleEditor, testAppSecret)); status != 403 {
		t.Fatalf("editor app token: %d", status)
	}
}

func TestNotesIDRefusedEverywhereElse(t *testing.T) {
	t.Parallel()
	f := newAuthFixture(t, api.AccessLinks)
	r := f.newRoom(t)
	if status, _ := f.notes(t, r.RoomID, r.OwnerToken); status != 200 { // creates them
		t.Fatalf("owner: %d", status)
	}
	notesID, _ := crdt.NotesDocumentID(r.RoomID)
	if !crdt.IsNotesDocumentID(notesID) || crdt.IsNotesDocumentID(r.RoomID) {
		t.Fatal("notes ids not told apart from room ids")
	}
	anyOwner := appTok(auth.AnyRoom, auth.RoleOwner, testAppSecret)
	for _, path := range []string{"", "/text", "/snapshot", "/history", "/links", "/notes"} {
		for _, tok := range []string{r.OwnerToken, anyOwner} {
			resp, b := f.do(t, "GET", "/rooms/"+notesID+path, "", bearer(tok)...)
			if resp.StatusCode != 404 {
				t.Fatalf("GET /rooms/{notes}%s: %d %s", path, resp.StatusCode, b)
			}
		}
	}
	ws := "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/ws/" + notesID + "?token=" + anyOwner
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if c, err := wireclient.Dial(ctx, ws, notesID, wireclient.ClientOptions{}); err == nil {
		c.Close()
		t.Fatal("the notes opened through /ws/{notes id}")
	}
	// Open access gives editors: no notes, with or without the room id.
	open := newAuthFixture(t, api.AccessOpen)
	or := open.newRoom(t)
	if status, _ := open.notes(t, or.RoomID, ""); status != 403 {
		t.Fatalf("open access without a token: %d", status)
	}
	if status, _ := open.notes(t, or.RoomID, or.OwnerToken); status != 200 {
		t.Fatalf("open access, owner token: %d", status)
	}
}

// The candidate (an editor of the room) never receives a byte of the
// interviewer's notes, while both are connected and the notes change.
func TestNotesNeverReachTheRoom(t *testing.T) {
	t.Parallel()
	f := newAuthFixture(t, api.AccessLinks)
	r := f.newRoom(t)
	editor := linkOf(t, r, auth.RoleEditor)
	_, info := f.notes(t, r.RoomID, r.OwnerToken)
	base := "ws" + strings.TrimPrefix(f.srv.URL, "http")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	const secret = "assessment: strong on tests, weak on naming"
	var mu stdsync.Mutex
	var leaked []string
	frames := 0
	watch := func(frame []byte) {
		mu.Lock()
		defer mu.Unlock()
		frames++
		for _, s := range []string{secret, "assessment", info.DocumentID} {
			if bytes.Contains(frame, []byte(s)) {
				leaked = append(leaked, s)
			}
		}
	}
	candidate, err := wireclient.Dial(ctx, base+"/ws/"+r.RoomID+"?token="+editor.Token, r.RoomID, wireclient.ClientOptions{OnRaw: watch})
	if err != nil {
		t.Fatal(err)
	}
	defer candidate.Close()
	owner, err := wireclient.Dial(ctx, base+"/ws/"+r.RoomID+"?token="+r.OwnerToken, r.RoomID, wireclient.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	notes, err := wireclient.Dial(ctx, base+info.WSURL+"?token="+r.OwnerToken, info.DocumentID, wireclient.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer notes.Close()
	if err := notes.Splice(0, 0, secret); err != nil {
		t.Fatal(err)
	}
	if err := owner.Splice(0, 0, "func main() {}"); err != nil {
		t.Fatal(err)
	}
	if err := candidate.WaitFor(ctx, func(s string) bool { return s == "func main() {}" }); err != nil {
		t.Fatal(err)
	}
	// The notes are stored and readable by the owner.
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, got := f.notes(t, r.RoomID, r.OwnerToken); got.Text == secret {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the owner does not read the notes back")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The candidate's token does not open them over the socket either.
	if c, err := wireclient.Dial(ctx, base+info.WSURL+"?token="+editor.Token, info.DocumentID, wireclient.ClientOptions{}); err == nil {
		c.Close()
		t.Fatal("an editor opened the notes socket")
	}
	mu.Lock()
	defer mu.Unlock()
	if frames < 2 {
		t.Fatalf("the candidate saw only %d frames: the watch is not working", frames)
	}
	if len(leaked) > 0 {
		t.Fatalf("the candidate received %q", leaked)
	}
}

// Withdrawing a link's notes closes its notes connections (4401) and
// leaves its room connections alone; granting again lets it back in.
func TestNotesWithdrawnLive(t *testing.T) {
	t.Parallel()
	f := newAuthFixture(t, api.AccessLinks)
	r := f.newRoom(t)
	resp, b := f.do(t, "POST", "/rooms/"+r.RoomID+"/links", `{"role":"editor","notes":true}`,
		append(bearer(r.OwnerToken), "Content-Type", "application/json")...)
	var l api.LinkInfo
	if resp.StatusCode != 201 || json.Unmarshal(b, &l) != nil {
		t.Fatalf("create: %d %s", resp.StatusCode, b)
	}
	_, info := f.notes(t, r.RoomID, r.OwnerToken)
	base := "ws" + strings.TrimPrefix(f.srv.URL, "http")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	inRoom, err := wireclient.Dial(ctx, base+"/ws/"+r.RoomID+"?token="+l.Token, r.RoomID, wireclient.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer inRoom.Close()
	inNotes, err := wireclient.Dial(ctx, base+info.WSURL+"?token="+l.Token, info.DocumentID, wireclient.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer inNotes.Close()
	patch := func(body string) {
		t.Helper()
		resp, b := f.do(t, "PATCH", "/rooms/"+r.RoomID+"/links/"+l.ID, body, append(bearer(r.OwnerToken), "Content-Type", "application/json")...)
		if resp.StatusCode != 200 {
			t.Fatalf("patch %s: %d %s", body, resp.StatusCode, b)
		}
	}
	patch(`{"notes":false}`)
	select {
	case <-inNotes.Done():
	case <-ctx.Done():
		t.Fatal("the notes connection stayed open")
	}
	if code := inNotes.CloseCode(); code != 4401 {
		t.Fatalf("notes closed with %d, want 4401", code)
	}
	if err := inRoom.Splice(0, 0, "still editing"); err != nil {
		t.Fatal(err)
	}
	owner, err := wireclient.Dial(ctx, base+"/ws/"+r.RoomID+"?token="+r.OwnerToken, r.RoomID, wireclient.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	if err := owner.WaitFor(ctx, func(s string) bool { return s == "still editing" }); err != nil {
		t.Fatalf("the room connection was hurt: %v", err)
	}
	patch(`{"notes":true}`)
	again, err := wireclient.Dial(ctx, base+info.WSURL+"?token="+l.Token, info.DocumentID, wireclient.ClientOptions{})
	if err != nil {
		t.Fatalf("granted again: %v", err)
	}
	defer again.Close()
	if err := again.Splice(0, 0, "n"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, got := f.notes(t, r.RoomID, r.OwnerToken); got.Text == "n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the re-granted link's notes edit never arrived")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
