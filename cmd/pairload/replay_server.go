package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"github.com/automerge/automerge-go"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/sync/wireclient"
)

// wireTransport moves changes through the server: an agent's change goes
// into its WebSocket client's document (which syncs it to the server); an
// agent takes the changes it must merge from its client's document once
// they have arrived there from the server.
type wireTransport struct {
	clients []*wireclient.Client
	// maxFPS paces each client's outgoing frames (0: no limit): the
	// server closes a connection that sends faster than FRAMES_PER_SECOND.
	maxFPS float64
	start  time.Time
}

// frameBurst is how far ahead of maxFPS a client may run.
const frameBurst = 50

func (t *wireTransport) publish(ctx context.Context, agent int, _ automerge.ChangeHash, data []byte) error {
	c := t.clients[agent]
	if t.maxFPS > 0 {
		for {
			allowed := frameBurst + t.maxFPS*time.Since(t.start).Seconds()
			over := float64(c.FramesOut.Load()) - allowed
			if over < 0 {
				break
			}
			// Pacing, not synchronisation: wait until the budget has room.
			select {
			case <-time.After(time.Duration((over + 1) / t.maxFPS * float64(time.Second))):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	return c.Edit(func(d *crdt.Doc) error { return d.Merge(data) })
}

func (t *wireTransport) fetch(ctx context.Context, agent int, have, want []automerge.ChangeHash) ([]byte, error) {
	c := t.clients[agent]
	if err := c.WaitHas(ctx, want); err != nil {
		return nil, err
	}
	// Everything since the working document's heads, then only what the
	// transaction's ancestors need: the client may also hold concurrent
	// changes the transaction must not see.
	data, err := c.ChangesSince(have)
	if err != nil {
		return nil, err
	}
	return selectChanges(data, want)
}

// selectChanges picks the change chunks with the wanted hashes out of
// concatenated change chunks (as crdt.Doc.ChangesSince returns them). An
// Automerge chunk is magic (4 bytes), checksum (4), type (1), length
// (uLEB128), body; a change's hash is the SHA-256 of type, length and body,
// and the checksum its first 4 bytes.
func selectChanges(data []byte, want []automerge.ChangeHash) ([]byte, error) {
	wanted := make(map[automerge.ChangeHash]bool, len(want))
	for _, h := range want {
		wanted[h] = true
	}
	var out []byte
	found := 0
	for off := 0; off < len(data); {
		if len(data)-off < 10 || !bytes.Equal(data[off:off+4], chunkMagic) {
			return nil, fmt.Errorf("malformed change chunk at byte %d", off)
		}
		n, w := binary.Uvarint(data[off+9:])
		if w <= 0 || n > uint64(len(data)) || off+9+w+int(n) > len(data) {
			return nil, fmt.Errorf("malformed change chunk length at byte %d", off)
		}
		end := off + 9 + w + int(n)
		if data[off+8] != 1 { // 1: an uncompressed change
			return nil, fmt.Errorf("chunk type %d at byte %d: want an uncompressed change", data[off+8], off)
		}
		sum := sha256.Sum256(data[off+8 : end])
		if !bytes.Equal(sum[:4], data[off+4:off+8]) {
			return nil, fmt.Errorf("change chunk at byte %d: checksum mismatch", off)
		}
		if wanted[automerge.ChangeHash(sum)] {
			out = append(out, data[off:end]...)
			found++
		}
		off = end
	}
	if found != len(wanted) {
		return nil, fmt.Errorf("client holds %d of the %d changes it reported", found, len(wanted))
	}
	return out, nil
}

var chunkMagic = []byte{0x85, 0x6f, 0x4a, 0x83}

// ReplayOptions tunes a replay through a server.
type ReplayOptions struct {
	// Deterministic fixes actor ids and change times (see AgentActor).
	Deterministic bool
	// MaxFPS caps each client's frames per second (0: no cap).
	MaxFPS float64
	// Settle bounds the wait for convergence after the last transaction.
	Settle time.Duration
	// Progress, when set, gets a line every 5 s.
	Progress io.Writer
}

// ServerReplay is the outcome of a replay through a server.
type ServerReplay struct {
	Text      string
	Language  string
	Heads     []automerge.ChangeHash
	Changes   int
	Converged bool
	// Divergence says how the clients (or a late observer) differ, when
	// they do.
	Divergence string
	Elapsed    time.Duration
	BytesOut   int64 // sent by all clients
	BytesIn    int64 // received by all clients
	FramesOut  int64
	FramesIn   int64
	Root       []byte
}

// dialFunc connects one client to the replay's room; it returns once the
// client holds the room's document.
type dialFunc func(ctx context.Context, agent int) (*wireclient.Client, error)

// ReplayThroughServer replays tr with one client per agent (dial), and checks
// that every client, and a fresh observer joining afterwards, ends with the
// same heads and text. The room must be fresh ({content: ""}). settle
// bounds the wait for convergence after the last transaction.
func ReplayThroughServer(ctx context.Context, tr *ReplayTrace, dial dialFunc, opts ReplayOptions) (*ServerReplay, error) {
	clients := make([]*wireclient.Client, tr.NumAgents)
	defer func() {
		for _, c := range clients {
			if c != nil {
				c.Close()
			}
		}
	}()
	for i := range clients {
		c, err := dial(ctx, i)
		if err != nil {
			return nil, fmt.Errorf("agent %d: %w", i, err)
		}
		clients[i] = c
	}
	root, err := clients[0].Save()
	if err != nil {
		return nil, err
	}
	if text := clients[0].Text(); text != "" {
		return nil, fmt.Errorf("the room is not empty (%d characters): replay needs a fresh room", len(text))
	}
	r := newReplayer(tr, opts.Deterministic)
	agents := make([]*agentState, tr.NumAgents)
	for i := range agents {
		if agents[i], err = r.newAgent(i, root); err != nil {
			return nil, err
		}
	}
	start := time.Now()
	if err := r.runAgents(ctx, agents, &wireTransport{clients: clients, maxFPS: opts.MaxFPS, start: start}, opts.Progress); err != nil {
		return nil, err
	}
	chs, nchanges := r.allChanges()
	final, err := automerge.Load(root)
	if err != nil {
		return nil, err
	}
	if err := final.LoadIncremental(chs); err != nil {
		return nil, err
	}
	want := sortedHeads(final.Heads())
	wantText, err := final.Path(crdt.FieldContent).Text().Get()
	if err != nil {
		return nil, err
	}
	res := &ServerReplay{Text: wantText, Language: docLanguage(final), Heads: want, Changes: nchanges, Root: root, Converged: true}

	wctx, cancel := context.WithTimeout(ctx, opts.Settle)
	defer cancel()
	check := func(name string, c *wireclient.Client) {
		if !res.Converged {
			return
		}
		if err := c.WaitHas(wctx, want); err != nil {
			res.Converged, res.Divergence = false, fmt.Sprintf("%s: %v", name, err)
			return
		}
		if got := headsString(c.Heads()); fmt.Sprint(got) != fmt.Sprint(headsString(want)) {
			res.Converged, res.Divergence = false, fmt.Sprintf("%s: heads %v, want %v", name, got, headsString(want))
			return
		}
		if got := c.Language(); got != res.Language {
			res.Converged, res.Divergence = false, fmt.Sprintf("%s: language %q, merged %q", name, got, res.Language)
			return
		}
		if got := c.Text(); got != wantText {
			res.Converged, res.Divergence = false, fmt.Sprintf("%s: text of %d characters differs from the merged %d", name, len(got), len(wantText))
		}
	}
	for i, c := range clients {
		check(fmt.Sprintf("agent %d", i), c)
	}
	res.Elapsed = time.Since(start)
	for _, c := range clients {
		res.BytesOut += c.BytesOut.Load()
		res.BytesIn += c.BytesIn.Load()
		res.FramesOut += c.FramesOut.Load()
		res.FramesIn += c.FramesIn.Load()
	}
	// What the server holds: a peer that joins now must get all of it.
	if res.Converged {
		obs, err := dial(ctx, -1)
		if err != nil {
			return res, fmt.Errorf("observer: %w", err)
		}
		check("a fresh observer", obs)
		obs.Close()
	}
	return res, nil
}
