// Package crdt is Pairpad's thin wrapper over automerge-go: the room
// document ({content: text, language: string}), loading and saving it,
// applying and generating sync messages, and encoding the "fast join" v2
// message that hands a fresh peer the whole compressed document at once.
// Policy (when to fast-join, when a message needs no answer) is the server's
// (package sync, peersync.go).
//
// automerge-go panics on some internal errors and keeps document memory in
// Rust, invisible to Go's GC. Every entry point here converts panics into
// errors, so that hostile input can never crash the server.
//
// Concurrency: neither a Doc (it caches its heads) nor a PeerState is safe
// for concurrent use. In the server one goroutine (the room's) owns a Doc and
// all of its PeerStates; the Go client guards its Doc with a mutex.
package crdt

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"time"
	"unicode/utf16"
	"weak"

	"github.com/automerge/automerge-go"
)

// Field names of the room document.
const (
	FieldContent  = "content"
	FieldLanguage = "language"
)

// ErrAutomerge wraps errors (and contained panics) reported by automerge.
var ErrAutomerge = errors.New("automerge")

// Doc is one room's document.
type Doc struct {
	am *automerge.Doc

	// saved caches doc.Save() for the heads it was taken at: fast joins and
	// periodic saves of an unchanged room reuse it.
	saved      []byte
	savedHeads []automerge.ChangeHash
	// saveCost: how long the last full Save took (0: none yet); QuickSave
	// decides by it.
	saveCost time.Duration
	// Sleep (sleep.go): while am is nil the document sleeps in saved;
	// states lists the peer states to put to sleep with it.
	sleepLang string
	states    []weak.Pointer[PeerState]
	loadCost  time.Duration // the last load of this document (0: not loaded)
	wakes     int
	// tail: the changes since savedHeads as of tailHeads (QuickSave adds
	// only what is new each time); cleared by a full Save.
	tail      []byte
	tailHeads []automerge.ChangeHash

	// logHeads: the heads at the last SaveIncremental (incremental.go)
	logHeads []automerge.ChangeHash

	// headsKey caches HeadsKey while headsOK: every call that can change
	// the document clears headsOK (each reading of the heads is a call into
	// Rust, and the room needs them for every message it sends).
	headsKey string
	headsOK  bool

	// text caches Text while textOK (cleared with headsOK): walking a long
	// text takes automerge-go ~130 ms per MiB, and GET /text, saves and
	// compaction ask for it while nothing changed.
	text   string
	textOK bool
}

// Attribution (README "History"): the server's own changes are made by a
// fixed actor, and the document's root map "people" names every actor.
const (
	// ServerActor is the actor id of the changes the server makes itself
	// (room creation): ASCII "pairpad" in hex.
	ServerActor = "70616972706164"
	// FieldPeople is the root map actor hex -> {name, colour}.
	FieldPeople = "people"
	// ServerName and ServerColour are ServerActor's entry in people.
	ServerName   = "Pairpad"
	ServerColour = "#6b7280"
)

// New creates a room document with empty content and the given language:
// one change by ServerActor, stamped in seconds (as JavaScript clients stamp
// theirs; automerge-go would stamp milliseconds), that also writes the
// server's people entry.
func New(language string) (*Doc, error) {
	d := &Doc{am: automerge.New()}
	err := guard(func() error {
		if err := d.live().SetActorID(ServerActor); err != nil {
			return err
		}
		if err := d.live().Path(FieldContent).Set(automerge.NewText("")); err != nil {
			return err
		}
		if err := d.live().Path(FieldLanguage).Set(language); err != nil {
			return err
		}
		// name then colour, in this order: the same room content gives the
		// same change. Texts, as JavaScript clients write strings (they read
		// back as plain strings there; a scalar would be an ImmutableString).
		if err := d.live().Path(FieldPeople, ServerActor, "name").Set(automerge.NewText(ServerName)); err != nil {
			return err
		}
		if err := d.live().Path(FieldPeople, ServerActor, "colour").Set(automerge.NewText(ServerColour)); err != nil {
			return err
		}
		// automerge-go writes Time.UnixMilli() into the change: hand it a
		// time whose milliseconds are the current Unix seconds.
		secs := time.UnixMilli(time.Now().Unix())
		if _, err := d.live().Commit("create room", automerge.CommitOptions{Time: &secs}); err != nil {
			return err
		}
		// Later edits through this Doc (tools, tests) get an actor of their
		// own: two documents created by New never write the same (actor,
		// seq) twice.
		return d.live().SetActorID(automerge.NewActorID())
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// Load decodes a saved document, or a saved document followed by
// incremental saves (see SaveIncremental).
func Load(data []byte) (*Doc, error) { return loadFresh(data) }

// Empty returns a document with no changes, for a client that will receive
// the room over sync.
func Empty() *Doc { return &Doc{am: automerge.New()} }

// Save returns the compressed whole document. It is cached until the heads
// change.
func (d *Doc) Save() ([]byte, error) {
	heads := d.heads()
	if d.saved != nil && sameHeads(heads, d.savedHeads) {
		return d.saved, nil
	}
	var out []byte
	start := time.Now()
	if err := guard(func() error { out = d.live().Save(); return nil }); err != nil {
		return nil, err
	}
	d.saveCost = max(time.Since(start), time.Nanosecond)
	d.loadCost = 0 // the history grew since the last load: judge by this save
	d.saved, d.savedHeads = out, heads
	d.tail, d.tailHeads = nil, nil
	return out, nil
}

// Quick saves (QuickSave): a full Save walks the whole document on the
// caller's goroutine (170 ms for a 2 MiB text) and holds the document's lock
// meanwhile, so a room's keystrokes would wait behind every snapshot.
const (
	// QuickSaveCost: a document whose last full Save took longer than
	// this is saved quickly, by appending.
	QuickSaveCost = 5 * time.Millisecond
	// QuickSaveChars: a text this long counts as costly however fast its
	// last full Save was (automerge-go saves ~12,000 characters a ms).
	QuickSaveChars = 64 << 10
	// QuickSaveMaxTail: appended changes beyond this many bytes make the
	// next QuickSave a full one (a continuously edited room compacts its
	// stored form about once an hour of typing).
	QuickSaveMaxTail = 4 << 20
)

// QuickSave returns bytes that load as the document, without walking it
// when that would be costly: the last full save followed by the changes
// made since (concatenated change chunks, which automerge loads as one
// document, as it does the change log's increments). It saves in full
// (Save, full true) when the document is cheap to save (a text under
// QuickSaveChars characters, as chars tells, whose last full Save took under
// QuickSaveCost), when there is no full save to append to, or when the
// appended part would pass QuickSaveMaxTail.
func (d *Doc) QuickSave(chars int) (data []byte, full bool, err error) {
	heads := d.heads()
	if d.saved != nil && sameHeads(heads, d.savedHeads) {
		return d.saved, true, nil
	}
	costly := chars >= QuickSaveChars || d.saveCost > QuickSaveCost
	if !costly || d.saved == nil {
		data, err = d.Save()
		return data, true, err
	}
	if d.tailHeads == nil {
		d.tail, d.tailHeads = nil, d.savedHeads
	}
	if !sameHeads(heads, d.tailHeads) {
		more, err := d.ChangesSince(d.tailHeads)
		if err != nil {
			return nil, false, err
		}
		d.tail, d.tailHeads = append(d.tail, more...), heads
	}
	if len(d.tail) > QuickSaveMaxTail {
		data, err = d.Save()
		return data, true, err
	}
	data = make([]byte, 0, len(d.saved)+len(d.tail))
	return append(append(data, d.saved...), d.tail...), false, nil
}

// QuickSaved reports whether the document changed since its last full save
// (QuickSave would append).
func (d *Doc) QuickSaved() bool { return d.tailHeads != nil && !sameHeads(d.tailHeads, d.savedHeads) }

// CachedText returns the text if Text has it cached since the last change.
func (d *Doc) CachedText() (string, bool) { return d.text, d.textOK }

// Heads returns the document's current heads.
func (d *Doc) Heads() []automerge.ChangeHash { return d.heads() }

// HeadsKey is a comparable form of the heads, for change detection.
func (d *Doc) HeadsKey() string {
	if d.headsOK {
		return d.headsKey
	}
	d.headsKey, d.headsOK = HeadsKeyOfHashes(d.heads()), true
	return d.headsKey
}

// changing marks the cached heads stale; call it before anything that may
// change the document.
func (d *Doc) changing() { d.headsOK, d.textOK = false, false }

// HeadsKeyOf is HeadsKey for heads read from a sync message (sorted, as
// automerge sends them).
func HeadsKeyOf(heads [][]byte) string {
	var b bytes.Buffer
	for _, h := range heads {
		b.Write(h)
	}
	return b.String()
}

// HeadsKeyOfHashes is HeadsKey for heads as automerge returns them.
func HeadsKeyOfHashes(heads []automerge.ChangeHash) string {
	var b bytes.Buffer
	for _, h := range heads {
		b.Write(h[:])
	}
	return b.String()
}

// Text returns the content field (empty if absent or not text).
func (d *Doc) Text() (string, error) {
	if d.textOK {
		return d.text, nil
	}
	var s string
	err := guard(func() error {
		v, err := d.live().Path(FieldContent).Get()
		if err != nil {
			return err
		}
		switch v.Kind() {
		case automerge.KindText:
			s, err = v.Text().Get()
			return err
		case automerge.KindStr:
			s = v.Str()
		}
		return nil
	})
	if err == nil {
		d.text, d.textOK = s, true
	}
	return s, err
}

// Language returns the language field ("" if absent).
func (d *Doc) Language() string {
	if d.am == nil {
		return d.sleepLang
	}
	var s string
	_ = guard(func() error {
		v, err := d.live().Path(FieldLanguage).Get()
		if err == nil && v.Kind() == automerge.KindStr {
			s = v.Str()
		}
		return nil
	})
	return s
}

// SetLanguage changes the language field and commits.
func (d *Doc) SetLanguage(lang string) error {
	d.changing()
	return guard(func() error {
		if err := d.live().Path(FieldLanguage).Set(lang); err != nil {
			return err
		}
		_, err := d.live().Commit("set language")
		return err
	})
}

// Splice edits the content at pos (Unicode code points), deleting del code
// points and inserting text, as one committed change.
func (d *Doc) Splice(pos, del int, text string) error {
	d.changing()
	return guard(func() error {
		if err := d.live().Path(FieldContent).Text().Splice(pos, del, text); err != nil {
			return err
		}
		_, err := d.live().Commit("")
		return err
	})
}

// Merge folds another saved document (or incremental changes) into this one.
// It never locks two documents at once (automerge-go's Merge can deadlock).
func (d *Doc) Merge(data []byte) error {
	d.changing()
	return guard(func() error { return d.live().LoadIncremental(data) })
}

// MoveTo re-creates the peer's sync state on d, a compacted copy of the
// document it was made for (see Load): the heads both sides share carry
// over; what was in flight starts afresh, as after a reconnect with a saved
// sync state.
func (ps *PeerState) MoveTo(d *Doc) (*PeerState, error) {
	var out *PeerState
	err := guard(func() error {
		ss, err := automerge.LoadSyncState(d.live(), ps.savedState())
		if err != nil {
			return err
		}
		out = d.register(&PeerState{ss: ss, ack: ps.ack}) // same hashes: the ack applies there
		return nil
	})
	return out, err
}

// PeerState is the Automerge sync state with one remote peer. When to
// generate for it (fast join, acknowledgements) is the caller's policy.
type PeerState struct {
	ss *automerge.SyncState
	// saved: the state's saved form while its document sleeps (ss nil)
	saved []byte
	// ack: the peer's latest acknowledgement, not applied yet (DeferAck)
	ack []byte
}

// savedState is the state's saved form.
func (ps *PeerState) savedState() []byte {
	if ps.ss == nil {
		return ps.saved
	}
	return ps.ss.Save()
}

// NewPeerState starts syncing with a new peer.
func (d *Doc) NewPeerState() *PeerState {
	return d.register(&PeerState{ss: automerge.NewSyncState(d.live())})
}

// Receive applies a v1 sync message from the peer and reports whether the
// document's heads changed.
func (d *Doc) Receive(ps *PeerState, msg []byte) (changed bool, err error) {
	info, err := InspectSync(msg)
	if err != nil {
		return false, err
	}
	changed, _, err = d.ReceiveInspected(ps, msg, info)
	return changed, err
}

// ReceiveInspected is Receive for a message already decoded by InspectSync;
// it also returns the document's heads afterwards (HeadsKey form). v2
// messages are refused: only a server sends them (see ReceiveFromServer).
func (d *Doc) ReceiveInspected(ps *PeerState, msg []byte, info SyncInfo) (changed bool, heads string, err error) {
	if info.Version == 2 {
		return false, "", fmt.Errorf("%w: v2 messages are only accepted from the server", ErrMalformedSync)
	}
	before := d.HeadsKey()
	d.changing()
	if err := guard(func() error { _, err := d.syncState(ps).ReceiveMessage(msg); return err }); err != nil {
		return false, "", err
	}
	after := d.HeadsKey()
	return after != before, after, nil
}

// ReceiveFromServer is the client side of Receive: it also accepts the
// server's v2 snapshot message (fast join), which automerge-go cannot decode
// itself. It returns the heads the server announced (HeadsKeyOf form).
func (d *Doc) ReceiveFromServer(ps *PeerState, msg []byte) (changed bool, serverHeads string, err error) {
	info, err := InspectSync(msg)
	if err != nil {
		return false, "", err
	}
	if info.Version == 1 {
		changed, _, err = d.ReceiveInspected(ps, msg, info)
		return changed, HeadsKeyOf(info.Heads), err
	}
	// Load the snapshot ourselves. The sync state is left as it was, so our
	// next message reports the new heads and the server resumes v1 from there.
	before := d.HeadsKey()
	d.changing()
	err = guard(func() error {
		for _, chunk := range info.chunks {
			if err := d.live().LoadIncremental(chunk); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return false, "", err
	}
	return d.HeadsKey() != before, HeadsKeyOf(info.Heads), nil
}

// SnapshotMessage returns a v2 sync message carrying the whole document (its
// cached saved form) and its heads: the "fast join" answer for a fresh peer
// that can take one. It also returns those heads (HeadsKey form).
func (d *Doc) SnapshotMessage() (msg []byte, heads string, err error) {
	saved, err := d.Save()
	if err != nil {
		return nil, "", err
	}
	hs := d.heads()
	sort.Slice(hs, func(i, j int) bool { return bytes.Compare(hs[i][:], hs[j][:]) < 0 })
	raw := make([][]byte, len(hs))
	for i := range hs {
		raw[i] = hs[i][:]
	}
	return encodeV2Snapshot(raw, saved), HeadsKeyOf(raw), nil
}

// DeferAck records msg, the peer's acknowledgement of heads we announced
// to it (a v1 message with no changes and no need; the caller vouches for
// the heads), instead of applying it now, and reports whether it did. Only
// the latest deferred acknowledgement is kept and applied, the next time
// the peer's state is used: automerge keeps nothing of an acknowledgement
// but the peer's heads, have and need, which the latest one replaces, so
// applying it alone leaves the state as applying each would (but for
// whether our heads were last announced, which costs at most one
// heads-only message). It spares a viewer's acknowledgement of every
// keystroke a call into automerge.
func (d *Doc) DeferAck(ps *PeerState, msg []byte, info SyncInfo) bool {
	if info.Version != 1 || info.Changes != 0 || info.Need != 0 || len(info.Heads) == 0 {
		return false
	}
	ps.ack = append(ps.ack[:0], msg...)
	return true
}

// Generate returns the next sync message for the peer, if any.
func (d *Doc) Generate(ps *PeerState) ([]byte, bool, error) {
	var out []byte
	err := guard(func() error {
		m, ok := d.syncState(ps).GenerateMessage()
		if ok {
			out = m.Bytes()
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return out, out != nil, nil
}

// GenerateAdvertisingV2 is Generate for a client: its messages carry the
// capability list, so a server may answer its first sync with a snapshot.
func (d *Doc) GenerateAdvertisingV2(ps *PeerState) ([]byte, bool, error) {
	m, ok, err := d.Generate(ps)
	if !ok || err != nil {
		return m, ok, err
	}
	return withCapabilities(m), true, nil
}

func sameHeads(a, b []automerge.ChangeHash) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// guard runs f, turning an automerge panic into an error.
func guard(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: panic: %v", ErrAutomerge, r)
		}
	}()
	if e := f(); e != nil {
		return fmt.Errorf("%w: %v", ErrAutomerge, e)
	}
	return nil
}

// UTF16ToRunes converts a position in UTF-16 code units (as browsers count)
// into Unicode code points (as automerge-go counts). Positions past the end
// clamp to the end; a position inside a surrogate pair rounds down.
func UTF16ToRunes(s string, pos16 int) int {
	if pos16 <= 0 {
		return 0
	}
	units, runes := 0, 0
	for _, r := range s {
		n := utf16.RuneLen(r)
		if n < 0 {
			n = 1
		}
		if units+n > pos16 {
			return runes
		}
		units += n
		runes++
	}
	return runes
}

// RunesToUTF16 converts a code point position into UTF-16 code units.
func RunesToUTF16(s string, posRunes int) int {
	units, runes := 0, 0
	for _, r := range s {
		if runes >= posRunes {
			break
		}
		n := utf16.RuneLen(r)
		if n < 0 {
			n = 1
		}
		units += n
		runes++
	}
	return units
}

// ChangesSince returns the changes made since heads (taken earlier from
// Heads) as concatenated change chunks, which Merge accepts.
func (d *Doc) ChangesSince(heads []automerge.ChangeHash) ([]byte, error) {
	var out []byte
	err := guard(func() error {
		chs, err := d.live().Changes(heads...)
		if err != nil {
			return err
		}
		out = automerge.SaveChanges(chs)
		return nil
	})
	return out, err
}
