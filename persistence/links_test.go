package persistence_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/pairpad/pairpad/auth"
	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/internal/testenv"
	"github.com/pairpad/pairpad/persistence"
)

type linkStore interface {
	auth.LinkStore
	auth.SecretStore
}

func linkStores(t *testing.T) map[string]linkStore {
	t.Helper()
	ctx := context.Background()
	sqlite, err := persistence.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "t.db"), zap.NewNop())
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	pg, err := persistence.Open(ctx, testenv.PostgresURL(t), zap.NewNop())
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { sqlite.Close(); pg.Close() })
	return map[string]linkStore{"memory": auth.NewMemoryStore(), "sqlite": sqlite, "postgres": pg}
}

func TestLinkStoreContract(t *testing.T) {
	for name, s := range linkStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			room := crdt.NewDocumentID()
			now := time.Now().UTC().Truncate(time.Second)
			exp := now.Add(time.Hour)
			a := auth.Link{ID: auth.NewLinkID(), RoomID: room, Role: auth.RoleOwner, CreatedAt: now}
			b := auth.Link{ID: auth.NewLinkID(), RoomID: room, Role: auth.RoleViewer, Label: "class 3b", CreatedAt: now.Add(time.Second), ExpiresAt: &exp}
			other := auth.Link{ID: auth.NewLinkID(), RoomID: crdt.NewDocumentID(), Role: auth.RoleEditor, CreatedAt: now}
			for _, l := range []auth.Link{b, a, other} {
				if err := s.CreateLink(ctx, l); err != nil {
					t.Fatalf("create: %v", err)
				}
			}
			got, err := s.GetLink(ctx, b.ID)
			if err != nil || got.RoomID != room || got.Role != auth.RoleViewer || got.Label != "class 3b" ||
				!got.CreatedAt.Equal(b.CreatedAt) || got.ExpiresAt == nil || !got.ExpiresAt.Equal(exp) || got.RevokedAt != nil {
				t.Fatalf("get: %+v %v", got, err)
			}
			if _, err := s.GetLink(ctx, "nope"); !errors.Is(err, auth.ErrLinkNotFound) {
				t.Fatalf("get unknown: %v", err)
			}
			list, err := s.ListLinks(ctx, room)
			if err != nil || len(list) != 2 || list[0].ID != a.ID || list[1].ID != b.ID {
				t.Fatalf("list: %+v %v", list, err)
			}
			up, err := s.SetLinkRole(ctx, b.ID, auth.RoleEditor)
			if err != nil || up.Role != auth.RoleEditor {
				t.Fatalf("set role: %+v %v", up, err)
			}
			if _, err := s.SetLinkRole(ctx, "nope", auth.RoleEditor); !errors.Is(err, auth.ErrLinkNotFound) {
				t.Fatalf("set role unknown: %v", err)
			}
			first := now.Add(2 * time.Second)
			rv, err := s.RevokeLink(ctx, b.ID, first)
			if err != nil || rv.RevokedAt == nil || !rv.RevokedAt.Equal(first) {
				t.Fatalf("revoke: %+v %v", rv, err)
			}
			rv, err = s.RevokeLink(ctx, b.ID, first.Add(time.Hour))
			if err != nil || !rv.RevokedAt.Equal(first) {
				t.Fatalf("second revoke changed the time: %+v %v", rv, err)
			}
			if _, err := s.RevokeLink(ctx, "nope", now); !errors.Is(err, auth.ErrLinkNotFound) {
				t.Fatalf("revoke unknown: %v", err)
			}
			if got, _ := s.GetLink(ctx, a.ID); got.RevokedAt != nil || got.Role != auth.RoleOwner {
				t.Fatalf("another link changed: %+v", got)
			}
		})
	}
}

func TestSecretKeptAcrossOpens(t *testing.T) {
	ctx := context.Background()
	for _, url := range []string{"sqlite:" + filepath.Join(t.TempDir(), "s.db"), testenv.PostgresURL(t)} {
		name := "secret-test-" + crdt.NewDocumentID()
		s1, err := persistence.Open(ctx, url, zap.NewNop())
		if err != nil {
			t.Fatal(err)
		}
		first, err := s1.LoadOrCreateSecret(ctx, name, []byte("first-value"))
		s1.Close()
		if err != nil || string(first) != "first-value" {
			t.Fatalf("%s: first: %q %v", url[:6], first, err)
		}
		s2, err := persistence.Open(ctx, url, zap.NewNop())
		if err != nil {
			t.Fatal(err)
		}
		again, err := s2.LoadOrCreateSecret(ctx, name, []byte("second-value"))
		s2.Close()
		if err != nil || string(again) != "first-value" {
			t.Fatalf("%s: after reopen: %q %v", url[:6], again, err)
		}
	}
}

// BenchmarkAuthenticateSQLite is the cost of checking a link token on
// connect with the link read from SQLite: what a WebSocket upgrade pays.
func BenchmarkAuthenticateSQLite(b *testing.B) {
	ctx := context.Background()
	st, err := persistence.Open(ctx, "sqlite:"+filepath.Join(b.TempDir(), "b.db"), zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	secret, err := auth.LinkSecret(ctx, "", st)
	if err != nil {
		b.Fatal(err)
	}
	svc, err := auth.NewService(auth.Config{LinkSecret: secret}, st)
	if err != nil {
		b.Fatal(err)
	}
	_, tok, err := svc.CreateLink(ctx, crdt.NewDocumentID(), auth.RoleEditor, "", 0)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := svc.Authenticate(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}
