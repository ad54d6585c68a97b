package crdt

import (
	"errors"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/automerge/automerge-go"
)

// automergeHashes: every change's hash as automerge knows it, by actor/seq.
func automergeHashes(t testing.TB, am *automerge.Doc) map[ActorSeq]automerge.ChangeHash {
	t.Helper()
	chs, err := am.Changes()
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[ActorSeq]automerge.ChangeHash, len(chs))
	for _, ch := range chs {
		out[ActorSeq{ch.ActorID(), ch.ActorSeq()}] = ch.Hash()
	}
	return out
}

// checkRehash compares SavedChangeHashes with automerge's hash of every
// change of saved.
func checkRehash(t testing.TB, saved []byte) {
	t.Helper()
	am, err := automerge.Load(saved)
	if err != nil {
		t.Fatal(err)
	}
	want := automergeHashes(t, am)
	got, err := SavedChangeHashes(saved)
	if err != nil {
		t.Fatalf("SavedChangeHashes: %v", err)
	}
	c, err := decodeDocChunk(saved)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d hashes, automerge has %d changes", len(got), len(want))
	}
	for i, rc := range c.changes {
		key := ActorSeq{c.actorHex(rc.actor), rc.seq}
		if got[i] != want[key] {
			t.Fatalf("change %d (%s/%d): hash %s, automerge %s", i, key.Actor, key.Seq, got[i], want[key])
		}
	}
}

func TestSavedChangeHashesTwoWriters(t *testing.T) {
	for seed := int64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			d, _ := twoWriters(t, seed, 300)
			checkRehash(t, saveTB(t, d))
		})
	}
}

// Pairpad's own document shape: people, languages, messages, a content
// replaced by a new text, concurrent writes to one key by three actors.
func TestSavedChangeHashesRoomDocument(t *testing.T) {
	a, err := New("go")
	if err != nil {
		t.Fatal(err)
	}
	b, c := copyTB(t, a), copyTB(t, a)
	for i, d := range []*Doc{a, b, c} {
		if err := d.SetPerson(d.live().ActorID(), fmt.Sprintf("person %d", i), "#e5484d"); err != nil {
			t.Fatal(err)
		}
		if err := d.SpliceMessage(0, 0, fmt.Sprintf("line %d\n", i), "paste"); err != nil {
			t.Fatal(err)
		}
		if err := d.SetLanguage([]string{"python", "rust", "java"}[i]); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []*Doc{b, c} {
		if err := a.Merge(saveTB(t, d)); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.SetLanguage("typescript"); err != nil { // over three concurrent values
		t.Fatal(err)
	}
	if err := a.Splice(2, 5, "ü𝄞"); err != nil {
		t.Fatal(err)
	}
	checkRehash(t, saveTB(t, a))
}

// Documents of any shape (the /sync endpoint stores them): every scalar
// type, counters and increments, lists with sets and deletes, nested and
// deleted map keys, timestamps and messages.
func TestSavedChangeHashesAnyShape(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	docs := []*automerge.Doc{automerge.New(), automerge.New()}
	for round := 0; round < 40; round++ {
		for k, d := range docs {
			root := d.RootMap()
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			switch rng.Intn(9) {
			case 0:
				must(root.Set(fmt.Sprint("int", rng.Intn(3)), rng.Int63n(1<<40)-1<<39))
			case 1:
				must(root.Set("float", rng.Float64()))
				must(root.Set("bool", rng.Intn(2) == 0))
				must(root.Set("uint", uint64(rng.Int63())))
			case 2:
				must(root.Set("bytes", []byte{1, 2, byte(rng.Intn(256))}))
				must(root.Set("when", time.UnixMilli(rng.Int63n(1<<41))))
				must(root.Set("null", nil))
			case 3:
				v, err := root.Get("counter")
				must(err)
				if v.Kind() == automerge.KindCounter {
					must(v.Counter().Inc(int64(rng.Intn(10) - 5)))
				} else {
					must(root.Set("counter", automerge.NewCounter(3)))
				}
			case 4:
				v, err := root.Get("list")
				must(err)
				if v.Kind() != automerge.KindList {
					must(root.Set("list", automerge.NewList()))
					continue
				}
				l := v.List()
				n := l.Len()
				switch {
				case n > 2 && rng.Intn(3) == 0:
					must(l.Delete(rng.Intn(n)))
				case n > 0 && rng.Intn(2) == 0:
					must(l.Set(rng.Intn(n), fmt.Sprint("set", round)))
				default:
					must(l.Insert(rng.Intn(n+1), int64(round)))
				}
			case 5:
				must(root.Set("nested", automerge.NewMap()))
				v, err := root.Get("nested")
				must(err)
				must(v.Map().Set("k", "v"))
			case 6:
				must(root.Delete(fmt.Sprint("int", rng.Intn(3))))
			case 7:
				v, err := root.Get("text")
				must(err)
				if v.Kind() != automerge.KindText {
					must(root.Set("text", automerge.NewText("hello")))
				} else {
					tx := v.Text()
					must(tx.Splice(rng.Intn(tx.Len()+1), 0, "ab"))
				}
			default:
				other := docs[1-k]
				if _, err := d.Merge(other); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := d.Commit(fmt.Sprint("round ", round), automerge.CommitOptions{AllowEmpty: true}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := docs[0].Merge(docs[1]); err != nil {
		t.Fatal(err)
	}
	checkRehash(t, docs[0].Save())
}

func TestSavedChangeHashesRefusesWhatItCannotRebuild(t *testing.T) {
	d, _ := twoWriters(t, 3, 50)
	saved := saveTB(t, d)
	c, err := decodeDocChunk(saved)
	if err != nil {
		t.Fatal(err)
	}
	// Another heads list: the rebuilt hashes no longer match it.
	c.heads = [][32]byte{{1}}
	ops, err := c.fullOps()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.hashChanges(ops); !errors.Is(err, ErrRehash) {
		t.Fatalf("wrong heads: %v, want ErrRehash", err)
	}
	if _, err := SavedChangeHashes(saved[:len(saved)-3]); err == nil {
		t.Fatal("a truncated document: no error")
	}
}

// The editing traces as saved rooms: SavedChangeHashes equals automerge's
// hash of each of rustcode's 40,173 changes and sveltecomponent's.
func TestSavedChangeHashesTraces(t *testing.T) {
	for _, name := range benchTraces {
		t.Run(name, func(t *testing.T) { checkRehash(t, traceDoc(t, name)) })
	}
}

// BenchmarkSavedChangeHashes: every change hash of the rustcode session
// from its saved form, against automerge's load plus Changes().
func BenchmarkSavedChangeHashes(b *testing.B) {
	saved := traceDoc(b, "rustcode")
	b.Run("go", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := SavedChangeHashes(saved); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("automerge-load", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			d, err := Load(saved)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := d.HistorySource(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// FuzzSavedChangeHashes: any bytes give hashes or an error, never a panic;
// hashes given for a document automerge loads are automerge's.
func FuzzSavedChangeHashes(f *testing.F) {
	for seed := int64(1); seed <= 3; seed++ {
		d, _ := twoWriters(f, seed, 30)
		f.Add(saveTB(f, d))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := SavedChangeHashes(data)
		if err != nil {
			return
		}
		am, err := automerge.Load(data)
		if err != nil {
			return // automerge refuses what the Go decoder took: the heads checked out, nothing more to compare
		}
		want := automergeHashes(t, am)
		if len(got) != len(want) {
			t.Fatalf("%d hashes, automerge has %d changes", len(got), len(want))
		}
		seen := map[automerge.ChangeHash]bool{}
		for _, h := range want {
			seen[h] = true
		}
		for _, h := range got {
			if !seen[h] {
				t.Fatalf("hash %s is no change of the document", h)
			}
		}
	})
}
