// Package crdt is Pairpad's thin wrapper over automerge-go: the room
// document ({content: text, language: string}), loading and saving it, and
// per-peer sync state including the "fast join" v2 message that hands a fresh
// peer the whole compressed document at once.
//
// automerge-go panics on some internal errors and keeps document memory in
// Rust, invisible to Go's GC. Every entry point here converts panics into
// errors, so that hostile input can never crash the server.
//
// Concurrency: a Doc serialises its own calls (automerge-go has a mutex), but
// a PeerState is not safe for concurrent use. In the server one goroutine
// (the room's) owns a Doc and all of its PeerStates.
package crdt

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"time"
	"unicode/utf16"

	"github.com/automerge/automerge-go"
)

// Field names of the room document.
const (
	FieldContent  = "content"
	FieldLanguage = "language"
)

// FastJoinPatience is how long the server waits for a peer's answer to a
// fast-join snapshot before it syncs that peer with ordinary v1 messages.
const FastJoinPatience = 3 * time.Second

// ErrAutomerge wraps errors (and contained panics) reported by automerge.
var ErrAutomerge = errors.New("automerge")

// Doc is one room's document.
type Doc struct {
	am *automerge.Doc

	// saved caches doc.Save() for the heads it was taken at: fast joins and
	// periodic saves of an unchanged room reuse it.
	saved      []byte
	savedHeads []automerge.ChangeHash

	// logHeads: the heads at the last SaveIncremental (incremental.go)
	logHeads []automerge.ChangeHash
}

// New creates a room document with empty content and the given language.
func New(language string) (*Doc, error) {
	d := &Doc{am: automerge.New()}
	err := guard(func() error {
		if err := d.am.Path(FieldContent).Set(automerge.NewText("")); err != nil {
			return err
		}
		if err := d.am.Path(FieldLanguage).Set(language); err != nil {
			return err
		}
		_, err := d.am.Commit("create room")
		return err
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
	heads := d.am.Heads()
	if d.saved != nil && sameHeads(heads, d.savedHeads) {
		return d.saved, nil
	}
	var out []byte
	if err := guard(func() error { out = d.am.Save(); return nil }); err != nil {
		return nil, err
	}
	d.saved, d.savedHeads = out, heads
	return out, nil
}

// Heads returns the document's current heads.
func (d *Doc) Heads() []automerge.ChangeHash { return d.am.Heads() }

// HeadsKey is a comparable form of the heads, for change detection.
func (d *Doc) HeadsKey() string {
	var b bytes.Buffer
	for _, h := range d.am.Heads() {
		b.Write(h[:])
	}
	return b.String()
}

// HeadsKeyOf is HeadsKey for heads read from a sync message (sorted, as
// automerge sends them).
func HeadsKeyOf(heads [][]byte) string {
	var b bytes.Buffer
	for _, h := range heads {
		b.Write(h)
	}
	return b.String()
}

// Text returns the content field (empty if absent or not text).
func (d *Doc) Text() (string, error) {
	var s string
	err := guard(func() error {
		v, err := d.am.Path(FieldContent).Get()
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
	return s, err
}

// Language returns the language field ("" if absent).
func (d *Doc) Language() string {
	var s string
	_ = guard(func() error {
		v, err := d.am.Path(FieldLanguage).Get()
		if err == nil && v.Kind() == automerge.KindStr {
			s = v.Str()
		}
		return nil
	})
	return s
}

// SetLanguage changes the language field and commits.
func (d *Doc) SetLanguage(lang string) error {
	return guard(func() error {
		if err := d.am.Path(FieldLanguage).Set(lang); err != nil {
			return err
		}
		_, err := d.am.Commit("set language")
		return err
	})
}

// Splice edits the content at pos (Unicode code points), deleting del code
// points and inserting text, as one committed change.
func (d *Doc) Splice(pos, del int, text string) error {
	return guard(func() error {
		if err := d.am.Path(FieldContent).Text().Splice(pos, del, text); err != nil {
			return err
		}
		_, err := d.am.Commit("")
		return err
	})
}

// Merge folds another saved document (or incremental changes) into this one.
// It never locks two documents at once (automerge-go's Merge can deadlock).
func (d *Doc) Merge(data []byte) error {
	return guard(func() error { return d.am.LoadIncremental(data) })
}

// MoveTo re-creates the peer's sync state on d, a compacted copy of the
// document it was made for (see Load): the heads both sides share carry
// over; what was in flight starts afresh, as after a reconnect with a saved
// sync state.
func (ps *PeerState) MoveTo(d *Doc) (*PeerState, error) {
	var out *PeerState
	err := guard(func() error {
		ss, err := automerge.LoadSyncState(d.am, ps.ss.Save())
		if err != nil {
			return err
		}
		out = &PeerState{ss: ss, fresh: ps.fresh, fastJoin: ps.fastJoin, fastJoinAt: ps.fastJoinAt, client: ps.client}
		return nil
	})
	return out, err
}

// PeerState is the sync state with one remote peer.
type PeerState struct {
	ss *automerge.SyncState
	// fresh: no message received from this peer yet.
	fresh bool
	// fastJoin: a fast-join snapshot was sent at fastJoinAt; generate
	// nothing until the peer answers (it then reports our heads and nothing
	// is resent) or FastJoinPatience passes.
	fastJoin   bool
	fastJoinAt time.Time
	// client: this side is a client and accepts v2 snapshot messages.
	client bool
}

// NewPeerState starts syncing with a new peer.
func (d *Doc) NewPeerState() *PeerState {
	return &PeerState{ss: automerge.NewSyncState(d.am), fresh: true}
}

// NewClientPeerState starts syncing with a server, accepting its fast-join
// v2 snapshot messages.
func (d *Doc) NewClientPeerState() *PeerState {
	ps := d.NewPeerState()
	ps.client = true
	return ps
}

// Receive applies a sync message from the peer. It accepts v1 messages and,
// for clients, v2 snapshot messages (which automerge-go cannot decode
// itself). It reports whether the document's heads changed.
func (d *Doc) Receive(ps *PeerState, msg []byte) (changed bool, err error) {
	info, err := InspectSync(msg)
	if err != nil {
		return false, err
	}
	changed, _, err = d.ReceiveInspected(ps, msg, info)
	return changed, err
}

// ReceiveInspected is Receive for a message already decoded by InspectSync;
// it also returns the document's heads afterwards (HeadsKey form).
func (d *Doc) ReceiveInspected(ps *PeerState, msg []byte, info SyncInfo) (changed bool, heads string, err error) {
	if info.Version == 2 && !ps.client {
		return false, "", fmt.Errorf("%w: v2 messages are only accepted from the server", ErrMalformedSync)
	}
	ps.fresh = false
	ps.fastJoin = false
	before := d.HeadsKey()
	err = guard(func() error {
		if info.Version == 2 {
			// automerge-go speaks v1 only: load the snapshot ourselves. The
			// sync state is left as it was, so our next message reports the
			// new heads and the server resumes v1 from there.
			for _, chunk := range info.chunks {
				if err := d.am.LoadIncremental(chunk); err != nil {
					return err
				}
			}
			return nil
		}
		_, err := ps.ss.ReceiveMessage(msg)
		return err
	})
	if err != nil {
		return false, "", err
	}
	after := d.HeadsKey()
	return after != before, after, nil
}

// WantsFastJoin reports whether a peer's message (decoded by InspectSync),
// its first, shows a peer with nothing that can take a v2 message, while we
// have something.
func (d *Doc) WantsFastJoin(ps *PeerState, info SyncInfo) bool {
	return ps.fresh && WantsSnapshot(info) && len(d.am.Heads()) > 0
}

// WantsSnapshot reports whether a peer's first sync message shows that it
// has nothing (no heads, no changes) and can take a v2 snapshot.
func WantsSnapshot(info SyncInfo) bool {
	return info.Version == 1 && info.SupportsV2 && len(info.Heads) == 0 && info.Changes == 0
}

// FastJoin returns the v2 snapshot message for a fresh peer and marks the
// peer so that no v1 message is generated until it answers.
func (d *Doc) FastJoin(ps *PeerState) ([]byte, error) {
	saved, err := d.Save()
	if err != nil {
		return nil, err
	}
	heads := d.am.Heads()
	sort.Slice(heads, func(i, j int) bool { return bytes.Compare(heads[i][:], heads[j][:]) < 0 })
	raw := make([][]byte, len(heads))
	for i := range heads {
		raw[i] = heads[i][:]
	}
	ps.fastJoin, ps.fastJoinAt = true, time.Now()
	return encodeV2Snapshot(raw, saved), nil
}

// Generate returns the next sync message for the peer, if any.
func (d *Doc) Generate(ps *PeerState) ([]byte, bool, error) {
	if ps.fastJoin {
		if time.Since(ps.fastJoinAt) < FastJoinPatience {
			return nil, false, nil
		}
		ps.fastJoin = false // no answer: fall back to ordinary v1
	}
	var out []byte
	err := guard(func() error {
		m, ok := ps.ss.GenerateMessage()
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
