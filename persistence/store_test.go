package persistence_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/internal/testenv"
	"github.com/pairpad/pairpad/persistence"
	pairsync "github.com/pairpad/pairpad/sync"
)

func stores(t *testing.T) map[string]pairsync.Store {
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
	return map[string]pairsync.Store{"memory": persistence.NewMemory(), "sqlite": sqlite, "postgres": pg}
}

func TestStoreContract(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			id := crdt.NewDocumentID()
			now := time.Now().UTC().Truncate(time.Millisecond)
			rec := pairsync.RoomRecord{ID: id, Language: "go", Data: []byte("doc-v1"), Version: 1, CreatedAt: now, UpdatedAt: now}
			if err := s.Create(ctx, rec); err != nil {
				t.Fatalf("create: %v", err)
			}
			if err := s.Create(ctx, rec); !errors.Is(err, pairsync.ErrExists) {
				t.Fatalf("second create: got %v, want ErrExists", err)
			}
			got, err := s.Load(ctx, id)
			if err != nil || string(got.Data) != "doc-v1" || got.Language != "go" || got.Version != 1 {
				t.Fatalf("load: %+v %v", got, err)
			}
			meta, err := s.Meta(ctx, id)
			if err != nil || meta.SizeBytes != 6 || meta.Language != "go" || meta.CreatedAt.IsZero() {
				t.Fatalf("meta: %+v %v", meta, err)
			}
			v, err := s.Save(ctx, id, []byte("doc-v2!"), "rust", "fn main() {}", 1)
			if err != nil || v != 2 {
				t.Fatalf("save: v=%d err=%v", v, err)
			}
			if _, err := s.Save(ctx, id, []byte("stale"), "go", "", 1); !errors.Is(err, pairsync.ErrConflict) {
				t.Fatalf("stale save: got %v, want ErrConflict", err)
			}
			got, _ = s.Load(ctx, id)
			if string(got.Data) != "doc-v2!" || got.Language != "rust" || got.Version != 2 {
				t.Fatalf("after save: %+v", got)
			}
			if text, err := s.LoadText(ctx, id); err != nil || text != "fn main() {}" {
				t.Fatalf("text copy after save: %q %v", text, err)
			}
			if meta, err := s.Meta(ctx, id); err != nil || meta.TextChars != 12 {
				t.Fatalf("meta text chars after save: %+v %v", meta, err)
			}
			// Not a document chunk: no heads to read, so no copy to answer with.
			if _, _, err := s.LoadTextHeads(ctx, id); !errors.Is(err, pairsync.ErrNoText) {
				t.Fatalf("text heads of a non-document: %v, want ErrNoText", err)
			}
			doc, err := crdt.New("rust")
			if err != nil {
				t.Fatal(err)
			}
			if err := doc.Splice(0, 0, "fn main() {}"); err != nil {
				t.Fatal(err)
			}
			saved, err := doc.Save()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Save(ctx, id, saved, "rust", "fn main() {}", 2); err != nil {
				t.Fatal(err)
			}
			text, heads, err := s.LoadTextHeads(ctx, id)
			if want := []string{crdt.HashString(doc.Heads()[0])}; err != nil || text != "fn main() {}" || !slices.Equal(heads, want) {
				t.Fatalf("text heads: %q %v %v, want %v", text, heads, err, want)
			}
			if _, err := s.Save(ctx, crdt.NewDocumentID(), []byte("x"), "go", "", 1); !errors.Is(err, pairsync.ErrNotFound) {
				t.Fatalf("save unknown: got %v, want ErrNotFound", err)
			}
			if _, err := s.Load(ctx, crdt.NewDocumentID()); !errors.Is(err, pairsync.ErrNotFound) {
				t.Fatalf("load unknown: got %v, want ErrNotFound", err)
			}
			if _, err := s.Meta(ctx, crdt.NewDocumentID()); !errors.Is(err, pairsync.ErrNotFound) {
				t.Fatalf("meta unknown: got %v, want ErrNotFound", err)
			}
			if err := s.Ping(ctx); err != nil {
				t.Fatalf("ping: %v", err)
			}
		})
	}
}

func TestParseURL(t *testing.T) {
	cases := []struct {
		in      string
		kind    persistence.Kind
		dsn     string
		wantErr bool
	}{
		{"", persistence.SQLite, "pairpad.db", false},
		{"sqlite:/tmp/a.db", persistence.SQLite, "/tmp/a.db", false},
		{"sqlite:///tmp/a.db", persistence.SQLite, "/tmp/a.db", false},
		{"file:data/x.db", persistence.SQLite, "data/x.db", false},
		{"postgres://u@h/db", persistence.Postgres, "postgres://u@h/db", false},
		{"postgresql://u@h/db", persistence.Postgres, "postgresql://u@h/db", false},
		{"sqlite:", "", "", true},
		{"mysql://root:secret@h/db", "", "", true},
	}
	for _, c := range cases {
		kind, dsn, err := persistence.ParseURL(c.in)
		if (err != nil) != c.wantErr || kind != c.kind || dsn != c.dsn {
			t.Errorf("ParseURL(%q) = %q, %q, %v", c.in, kind, dsn, err)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("error leaks the password: %v", err)
		}
	}
}
