package persistence_test

import (
	"context"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/pairpad/pairpad/api"
	"github.com/pairpad/pairpad/crdt"
	pairsync "github.com/pairpad/pairpad/sync"
	"github.com/pairpad/pairpad/sync/wireclient"
)

// TestSaveWithHostileLanguage: whatever a peer writes into the document's
// language field, the save succeeds, the column holds plaintext, and the
// stored document keeps what the peer wrote.
func TestSaveWithHostileLanguage(t *testing.T) {
	for name, s := range stores(t) {
		for _, bad := range []string{strings.Repeat("x", 40), "go\x00", "py\x00thon", strings.Repeat("é", 33)} {
			t.Run(name+"/"+strings.ReplaceAll(bad[:min(len(bad), 8)], "\x00", "NUL"), func(t *testing.T) {
				ctx := context.Background()
				doc, err := crdt.New("go")
				if err != nil {
					t.Fatal(err)
				}
				id := crdt.NewDocumentID()
				now := time.Now().UTC()
				// Create with the hostile value too: a room created from a
				// document someone else made must not fail either.
				if err := s.Create(ctx, pairsync.RoomRecord{ID: id, Language: bad, Data: mustSave(t, doc), Version: 1, CreatedAt: now, UpdatedAt: now}); err != nil {
					t.Fatalf("create with language %q: %v", bad, err)
				}
				if err := doc.SetLanguage(bad); err != nil {
					t.Fatal(err)
				}
				v, err := s.Save(ctx, id, mustSave(t, doc), doc.Language(), "nul \x00 and bad utf-8 \xff in the text", 1)
				if err != nil {
					t.Fatalf("save with language %q: %v", bad, err)
				}
				if v != 2 {
					t.Fatalf("version %d, want 2", v)
				}
				rec, err := s.Load(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if rec.Language != "plaintext" {
					t.Fatalf("column language %q, want plaintext", rec.Language)
				}
				back, err := crdt.Load(rec.Data)
				if err != nil {
					t.Fatal(err)
				}
				if back.Language() != bad {
					t.Fatalf("document language %q, want what the peer wrote %q", back.Language(), bad)
				}
				// A known language still reaches the column.
				if err := doc.SetLanguage("rust"); err != nil {
					t.Fatal(err)
				}
				if _, err := s.Save(ctx, id, mustSave(t, doc), doc.Language(), "", 2); err != nil {
					t.Fatal(err)
				}
				if m, err := s.Meta(ctx, id); err != nil || m.Language != "rust" {
					t.Fatalf("meta %+v %v, want rust", m, err)
				}
			})
		}
	}
}

type expirer interface {
	MarkOpened(ctx context.Context, id string, at time.Time) error
	ExpiredRooms(ctx context.Context, before time.Time, limit int) ([]string, error)
	DeleteUnopenedSince(ctx context.Context, id string, before time.Time) (bool, error)
}

func TestExpiryMethods(t *testing.T) {
	for name, st := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := st.(expirer)
			now := time.Now().UTC()
			old, recent, neverOpened, savedRecently := crdt.NewDocumentID(), crdt.NewDocumentID(), crdt.NewDocumentID(), crdt.NewDocumentID()
			longAgo := now.Add(-100 * 24 * time.Hour)
			for id, saved := range map[string]time.Time{old: longAgo, recent: longAgo, neverOpened: now, savedRecently: now} {
				if err := st.Create(ctx, pairsync.RoomRecord{ID: id, Language: "go", Data: []byte("d"), Version: 1, CreatedAt: longAgo, UpdatedAt: saved}); err != nil {
					t.Fatal(err)
				}
			}
			// Opened long ago but saved since (a long session): kept.
			for _, id := range []string{old, savedRecently} {
				if err := s.MarkOpened(ctx, id, longAgo); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.MarkOpened(ctx, recent, now.Add(-time.Hour*2)); err != nil {
				t.Fatal(err)
			}
			// Within OpenedResolution nothing is written.
			if err := s.MarkOpened(ctx, recent, now.Add(-time.Hour*2+time.Minute)); err != nil {
				t.Fatal(err)
			}
			if err := s.MarkOpened(ctx, crdt.NewDocumentID(), now); err != nil {
				t.Fatalf("unknown room: %v", err)
			}
			cutoff := now.Add(-90 * 24 * time.Hour)
			ids, err := s.ExpiredRooms(ctx, cutoff, 1000)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(ids, old) || slices.Contains(ids, recent) || slices.Contains(ids, neverOpened) || slices.Contains(ids, savedRecently) {
				t.Fatalf("expired %v: want %s only among ours", ids, old)
			}
			// Opened after the sweep picked it: kept.
			if err := s.MarkOpened(ctx, old, now); err != nil {
				t.Fatal(err)
			}
			if del, err := s.DeleteUnopenedSince(ctx, old, cutoff); err != nil || del {
				t.Fatalf("delete of a just-opened room: %v %v", del, err)
			}
			if del, err := s.DeleteUnopenedSince(ctx, old, now.Add(time.Minute)); err != nil || !del {
				t.Fatalf("delete: %v %v", del, err)
			}
			if _, err := st.Load(ctx, old); err == nil {
				t.Fatal("deleted room still loads")
			}
			if _, err := st.Load(ctx, recent); err != nil {
				t.Fatalf("recent room: %v", err)
			}
		})
	}
}

func mustSave(t *testing.T, d *crdt.Doc) []byte {
	t.Helper()
	b, err := d.Save()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestHubSavesHostileLanguage: a peer sets a 40-character or NUL language
// through the sync protocol; the room's final save (as on SIGTERM) succeeds
// and keeps the document as the peer wrote it.
func TestHubSavesHostileLanguage(t *testing.T) {
	for name, s := range stores(t) {
		for _, bad := range []string{strings.Repeat("x", 40), "go\x00"} {
			t.Run(name+"/"+strconv.Itoa(len(bad)), func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				hub := pairsync.NewHub(pairsync.Config{}, s, zap.NewNop())
				srv := httptest.NewServer(api.New(api.Options{Hub: hub, Store: s, Log: zap.NewNop()}).Handler())
				defer srv.Close()
				rec, err := hub.CreateRoom(ctx, "go")
				if err != nil {
					t.Fatal(err)
				}
				c, err := wireclient.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/ws/"+rec.ID, rec.ID, wireclient.ClientOptions{})
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if err := c.Edit(func(d *crdt.Doc) error { return d.SetLanguage(bad) }); err != nil {
					t.Fatal(err)
				}
				for {
					snap, err := hub.Snapshot(ctx, rec.ID)
					if err != nil {
						t.Fatal(err)
					}
					if d, err := crdt.Load(snap); err == nil && d.Language() == bad {
						break
					}
					select {
					case <-ctx.Done():
						t.Fatal("the room never received the language change")
					case <-time.After(20 * time.Millisecond):
					}
				}
				if err := hub.Shutdown(ctx); err != nil {
					t.Fatalf("final save with language %q: %v", bad, err)
				}
				got, err := s.Load(ctx, rec.ID)
				if err != nil {
					t.Fatal(err)
				}
				d, err := crdt.Load(got.Data)
				if err != nil {
					t.Fatal(err)
				}
				if got.Language != "plaintext" || d.Language() != bad || got.Version < 2 {
					t.Fatalf("stored column %q version %d, document language %q", got.Language, got.Version, d.Language())
				}
			})
		}
	}
}
