package crdt_test

import (
	"testing"

	"github.com/pairpad/pairpad/crdt"
)

// syncUntilQuiet exchanges messages between a server document and a client
// until neither has anything to say.
func syncUntilQuiet(t *testing.T, srv *crdt.Doc, sps *crdt.PeerState, cli *crdt.Doc, cps *crdt.PeerState) {
	t.Helper()
	for i := 0; i < 20; i++ {
		quiet := true
		if m, ok, err := cli.Generate(cps); err != nil {
			t.Fatal(err)
		} else if ok {
			quiet = false
			if _, err := srv.Receive(sps, m); err != nil {
				t.Fatal(err)
			}
		}
		if m, ok, err := srv.Generate(sps); err != nil {
			t.Fatal(err)
		} else if ok {
			quiet = false
			if _, _, err := cli.ReceiveFromServer(cps, m); err != nil {
				t.Fatal(err)
			}
		}
		if quiet {
			return
		}
	}
	t.Fatal("sync never went quiet")
}

func TestSleepingDocumentAnswersWithoutWakingAndSyncsAfter(t *testing.T) {
	srv, err := crdt.New("rust")
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Splice(0, 0, "fn main() {}"); err != nil {
		t.Fatal(err)
	}
	cli := crdt.Empty()
	sps, cps := srv.NewPeerState(), cli.NewPeerState()
	syncUntilQuiet(t, srv, sps, cli, cps)

	heads := srv.HeadsKey()
	saved, err := srv.Save()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.SaveIncremental(); err != nil { // the room's change log is up to date
		t.Fatal(err)
	}
	if !srv.Sleep() || !srv.Sleeping() {
		t.Fatal("document did not sleep")
	}
	// What a saving, listing room asks of it: answered asleep.
	if text, err := srv.Text(); err != nil || text != "fn main() {}" {
		t.Fatalf("text while asleep: %q %v", text, err)
	}
	if srv.Language() != "rust" || srv.HeadsKey() != heads || len(srv.Heads()) != 1 {
		t.Fatalf("language %q, heads equal %v", srv.Language(), srv.HeadsKey() == heads)
	}
	if data, err := srv.Save(); err != nil || string(data) != string(saved) {
		t.Fatalf("save while asleep: same bytes %v, %v", string(data) == string(saved), err)
	}
	if inc, err := srv.SaveIncremental(); err != nil || inc != nil {
		t.Fatalf("increment of an unchanged sleeping document: %d bytes, %v", len(inc), err)
	}
	if !srv.Sleeping() || srv.Wakes() != 0 {
		t.Fatal("reading a sleeping document woke it")
	}

	// The client edits; the server's sync state wakes with the document.
	if err := cli.Splice(0, 0, "// hi\n"); err != nil {
		t.Fatal(err)
	}
	syncUntilQuiet(t, srv, sps, cli, cps)
	if srv.Sleeping() || srv.Wakes() != 1 {
		t.Fatalf("sleeping %v after a message, wakes %d", srv.Sleeping(), srv.Wakes())
	}
	st, _ := srv.Text()
	ct, _ := cli.Text()
	if st != "// hi\nfn main() {}" || st != ct || srv.HeadsKey() != cli.HeadsKey() {
		t.Fatalf("after waking: server %q, client %q", st, ct)
	}
	// And the other way.
	if err := srv.Splice(0, 0, "x"); err != nil {
		t.Fatal(err)
	}
	syncUntilQuiet(t, srv, sps, cli, cps)
	if ct, _ := cli.Text(); ct != "x// hi\nfn main() {}" {
		t.Fatalf("client after the server's edit: %q", ct)
	}
	if srv.WakeCost() <= 0 {
		t.Fatal("wake cost unknown after a wake")
	}
}

func TestQuickSavedDocumentDoesNotSleep(t *testing.T) {
	doc, err := crdt.New("go")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := doc.Save(); err != nil {
		t.Fatal(err)
	}
	if err := doc.Splice(0, 0, "x"); err != nil {
		t.Fatal(err)
	}
	if _, full, err := doc.QuickSave(crdt.QuickSaveChars); err != nil || full {
		t.Fatalf("quick save: full %v %v", full, err)
	}
	if doc.Sleep() || doc.Sleeping() {
		t.Fatal("a document with a quick-save tail went to sleep")
	}
}
