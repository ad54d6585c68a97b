package auth_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/pairpad/pairpad/auth"
)

// flakyStore is a link store whose reads can be made to fail, as during a
// database outage.
type flakyStore struct {
	*auth.MemoryStore
	down atomic.Bool
}

var errDown = errors.New("database unreachable")

func (f *flakyStore) GetLink(ctx context.Context, id string) (auth.Link, error) {
	if f.down.Load() {
		return auth.Link{}, errDown
	}
	return f.MemoryStore.GetLink(ctx, id)
}

// During an outage a token whose link this instance has seen keeps working
// with the last known role; one it never saw reports the outage (not a
// token verdict); a revocation made here before the outage still holds.
func TestLinkChecksSurviveStoreOutage(t *testing.T) {
	ctx := context.Background()
	store := &flakyStore{MemoryStore: auth.NewMemoryStore()}
	s, err := auth.NewService(auth.Config{LinkSecret: linkSecret}, store)
	if err != nil {
		t.Fatal(err)
	}
	editor, editorTok, err := s.CreateLink(ctx, room, auth.RoleEditor, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	_, viewerTok, err := s.CreateLink(ctx, room, auth.RoleViewer, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	revoked, revokedTok, err := s.CreateLink(ctx, room, auth.RoleEditor, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Revoke(ctx, room, revoked.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetRole(ctx, room, editor.ID, auth.RoleViewer); err != nil {
		t.Fatal(err)
	}
	// A link created by another instance: this one never saw it.
	other, err := auth.NewService(auth.Config{LinkSecret: linkSecret}, store)
	if err != nil {
		t.Fatal(err)
	}
	_, unseenTok, err := other.CreateLink(ctx, room, auth.RoleEditor, "", 0)
	if err != nil {
		t.Fatal(err)
	}

	store.down.Store(true)
	id, err := s.Authenticate(ctx, editorTok)
	if err != nil || id.Role != auth.RoleViewer {
		t.Fatalf("seen link during the outage: %+v, %v (want the demoted role, viewer)", id, err)
	}
	if id, err := s.Authenticate(ctx, viewerTok); err != nil || id.Role != auth.RoleViewer {
		t.Fatalf("viewer link during the outage: %+v, %v", id, err)
	}
	if _, err := s.Authenticate(ctx, revokedTok); !errors.Is(err, auth.ErrRevoked) {
		t.Fatalf("revoked link during the outage: %v, want ErrRevoked", err)
	}
	_, err = s.Authenticate(ctx, unseenTok)
	if !errors.Is(err, errDown) || auth.IsTokenError(err) {
		t.Fatalf("unseen link during the outage: %v, want the store's error and no token verdict", err)
	}
	if got := s.Metrics().StaleLinkChecks.Load(); got != 3 {
		t.Fatalf("stale link checks = %d, want 3", got)
	}
	// A forged token is still refused without asking anyone.
	if _, err := s.Authenticate(ctx, editorTok+"x"); !auth.IsTokenError(err) {
		t.Fatalf("forged token during the outage: %v", err)
	}
}
