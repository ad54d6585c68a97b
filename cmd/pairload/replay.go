package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	stdsync "sync"
	"time"

	"github.com/automerge/automerge-go"

	"github.com/pairpad/pairpad/crdt"
)

// The replay engine applies a trace's transactions to Automerge documents,
// one document per trace agent. Each transaction is applied by its agent on
// a working document holding exactly the transaction's ancestors (the
// trace's positions are relative to that version), as one Automerge change;
// the change then travels to the other agents through a transport (the
// server, or nothing at all for the pure replay).
//
// Determinism: with fixed actor ids and change times, a transaction's change
// depends only on the root document and the trace (its deps are the heads of
// its ancestors, its ops the patches on that version), never on when other
// changes arrived: two deterministic replays from the same root give the
// same change hashes, through a server or not.

// ServerActor is the actor id of the server's own changes (attribution
// format: ASCII "pairpad").
const ServerActor = "70616972706164"

// transport moves changes between agents.
type transport interface {
	// publish hands the agent's new change (its bytes) to the others.
	publish(ctx context.Context, agent int, hash automerge.ChangeHash, change []byte) error
	// fetch returns the changes with these hashes, as concatenated change
	// chunks, once agent can see them.
	fetch(ctx context.Context, agent int, have []automerge.ChangeHash, want []automerge.ChangeHash) ([]byte, error)
}

// replayer holds the state shared by the agents of one replay.
type replayer struct {
	tr            *ReplayTrace
	deterministic bool

	// results[i] is closed once txns[i] is applied; hashes[i] is then its
	// change (zero: the transaction changed nothing).
	mu      stdsync.Mutex
	applied int // transactions applied so far
	done    []chan struct{}
	hashes  []automerge.ChangeHash
	changed []bool
	// bytes[i] is txns[i]'s change, copied out when it was made: an
	// automerge.Change points into its document and must not outlive the
	// next edit of it.
	bytes [][]byte
}

// agentState is one agent's working document.
type agentState struct {
	id   int
	doc  *automerge.Doc
	have []bool // transactions whose effects doc holds
}

func newReplayer(tr *ReplayTrace, deterministic bool) *replayer {
	r := &replayer{tr: tr, deterministic: deterministic,
		done: make([]chan struct{}, len(tr.Txns)), hashes: make([]automerge.ChangeHash, len(tr.Txns)), changed: make([]bool, len(tr.Txns)),
		bytes: make([][]byte, len(tr.Txns))}
	for i := range r.done {
		r.done[i] = make(chan struct{})
	}
	return r
}

// AgentActor is the fixed actor id of a trace agent in deterministic mode:
// 16 bytes derived from the trace name and the agent number.
func AgentActor(trace string, agent int) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("pairpad-replay/%s/%d", trace, agent)))
	return hex.EncodeToString(sum[:16])
}

// newAgent loads the root document for one agent.
func (r *replayer) newAgent(id int, root []byte) (*agentState, error) {
	doc, err := automerge.Load(root)
	if err != nil {
		return nil, fmt.Errorf("agent %d: load root: %w", id, err)
	}
	actor := automerge.NewActorID()
	if r.deterministic {
		actor = AgentActor(r.tr.Name, id)
	}
	if err := doc.SetActorID(actor); err != nil {
		return nil, err
	}
	return &agentState{id: id, doc: doc, have: make([]bool, len(r.tr.Txns))}, nil
}

// changeTime is the time stamped on a transaction's change, in seconds as
// Automerge JS stamps it. Deterministic: the trace's time (the epoch when it
// has none); otherwise now.
func (r *replayer) changeTime(txn ReplayTxn) time.Time {
	t := time.Now()
	if r.deterministic {
		t = txn.Time
		if t.IsZero() {
			t = time.Unix(0, 0)
		}
	}
	// automerge-go stamps milliseconds; Automerge JS and the attribution
	// format use seconds.
	return time.UnixMilli(t.Unix())
}

// missing lists, in trace order, the ancestors of txn i (the transactions
// the agent must merge first) that a has not merged yet.
func (r *replayer) missing(a *agentState, i int) []int {
	var out []int
	seen := map[int]bool{}
	stack := append([]int(nil), r.tr.Txns[i].Parents...)
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if a.have[n] || seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, n)
		stack = append(stack, r.tr.Txns[n].Parents...)
	}
	sort.Ints(out)
	return out
}

// wait blocks until txn n is applied by its agent.
func (r *replayer) wait(ctx context.Context, n int) error {
	select {
	case <-r.done[n]:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for txn %d (agent %d): %w", n, r.tr.Txns[n].Agent, ctx.Err())
	}
}

// apply performs txn i on agent a: merges its missing ancestors (fetched
// through tp), applies the patches, commits, publishes.
func (r *replayer) apply(ctx context.Context, a *agentState, i int, tp transport) error {
	txn := r.tr.Txns[i]
	need := r.missing(a, i)
	var want []automerge.ChangeHash
	for _, n := range need {
		if err := r.wait(ctx, n); err != nil {
			return err
		}
		r.mu.Lock()
		if r.changed[n] {
			want = append(want, r.hashes[n])
		}
		r.mu.Unlock()
	}
	if len(want) > 0 {
		data, err := tp.fetch(ctx, a.id, a.doc.Heads(), want)
		if err != nil {
			return fmt.Errorf("txn %d: fetch: %w", i, err)
		}
		if err := a.doc.LoadIncremental(data); err != nil {
			return fmt.Errorf("txn %d: merge %d changes: %w", i, len(want), err)
		}
	}
	for _, n := range need {
		a.have[n] = true
	}
	text := a.doc.Path(crdt.FieldContent).Text()
	length := text.Len()
	edits := 0
	for j, p := range txn.Patches {
		if p.Del == 0 && p.Ins == "" {
			continue
		}
		if p.Pos+p.Del > length {
			return fmt.Errorf("txn %d patch %d: %w: pos %d del %d on %d characters", i, j, errPatchOutOfRange, p.Pos, p.Del, length)
		}
		if err := text.Splice(p.Pos, p.Del, p.Ins); err != nil {
			return fmt.Errorf("txn %d patch %d: %w", i, j, err)
		}
		length += len([]rune(p.Ins)) - p.Del
		edits++
	}
	if txn.Language != "" {
		if err := a.doc.Path(crdt.FieldLanguage).Set(txn.Language); err != nil {
			return fmt.Errorf("txn %d: %w", i, err)
		}
		edits++
	}
	a.have[i] = true
	if edits == 0 {
		r.finish(i, automerge.ChangeHash{}, false)
		return nil
	}
	at := r.changeTime(txn)
	h, err := a.doc.Commit("", automerge.CommitOptions{Time: &at})
	if err != nil {
		return fmt.Errorf("txn %d: commit: %w", i, err)
	}
	ch, err := a.doc.Change(h)
	if err != nil {
		return fmt.Errorf("txn %d: change: %w", i, err)
	}
	data := ch.Save() // a copy, before the document changes again
	r.mu.Lock()
	r.bytes[i] = data
	r.mu.Unlock()
	// Publish before announcing: a waiting agent then finds it on its way.
	if err := tp.publish(ctx, a.id, h, data); err != nil {
		return fmt.Errorf("txn %d: publish: %w", i, err)
	}
	r.finish(i, h, true)
	return nil
}

func (r *replayer) finish(i int, h automerge.ChangeHash, changed bool) {
	r.mu.Lock()
	r.applied++
	r.hashes[i], r.changed[i] = h, changed
	r.mu.Unlock()
	close(r.done[i])
}

// runAgents runs every agent's transactions, in trace order, one goroutine
// per agent; the first error cancels the rest.
func (r *replayer) runAgents(ctx context.Context, agents []*agentState, tp transport, progress io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if progress != nil {
		start := time.Now()
		tick := time.NewTicker(5 * time.Second)
		defer tick.Stop()
		go func() {
			for {
				select {
				case <-tick.C:
					r.mu.Lock()
					n := r.applied
					r.mu.Unlock()
					fmt.Fprintf(progress, "replay: %d/%d transactions after %.0fs\n", n, len(r.tr.Txns), time.Since(start).Seconds())
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	var wg stdsync.WaitGroup
	errs := make(chan error, len(agents))
	for _, a := range agents {
		wg.Add(1)
		go func(a *agentState) {
			defer wg.Done()
			for i, txn := range r.tr.Txns {
				if txn.Agent != a.id {
					continue
				}
				if err := r.apply(ctx, a, i, tp); err != nil {
					errs <- fmt.Errorf("agent %d: %w", a.id, err)
					cancel()
					return
				}
			}
		}(a)
	}
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		if !errors.Is(err, context.Canceled) || len(all) == 0 {
			all = append(all, err)
		}
	}
	if len(all) > 0 {
		return all[0]
	}
	return ctx.Err()
}

// allChanges returns every change the replay made, in trace order, as
// concatenated change chunks, and how many there are.
func (r *replayer) allChanges() ([]byte, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []byte
	n := 0
	for i := range r.tr.Txns {
		if r.changed[i] {
			out = append(out, r.bytes[i]...)
			n++
		}
	}
	return out, n
}

// localTransport is the pure replay: a change is visible to every agent as
// soon as its author made it.
type localTransport struct {
	mu  stdsync.Mutex
	chs map[automerge.ChangeHash][]byte
}

func (t *localTransport) publish(_ context.Context, _ int, h automerge.ChangeHash, data []byte) error {
	t.mu.Lock()
	t.chs[h] = data
	t.mu.Unlock()
	return nil
}

func (t *localTransport) fetch(_ context.Context, _ int, _ []automerge.ChangeHash, want []automerge.ChangeHash) ([]byte, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []byte
	for _, h := range want {
		data, ok := t.chs[h]
		if !ok {
			return nil, fmt.Errorf("change %s was never published", h)
		}
		out = append(out, data...)
	}
	return out, nil
}

// PureResult is the outcome of a replay without a server.
type PureResult struct {
	Text     string
	Language string
	Heads    []automerge.ChangeHash
	// Changes is the number of Automerge changes made.
	Changes int
}

// PureReplay applies the trace to in-memory Automerge documents starting
// from root (a saved document with {content: text, language}), with no
// server: the reference the server replay is compared with.
func PureReplay(ctx context.Context, tr *ReplayTrace, root []byte, deterministic bool) (*PureResult, error) {
	r := newReplayer(tr, deterministic)
	agents := make([]*agentState, tr.NumAgents)
	for i := range agents {
		a, err := r.newAgent(i, root)
		if err != nil {
			return nil, err
		}
		agents[i] = a
	}
	tp := &localTransport{chs: map[automerge.ChangeHash][]byte{}}
	// In trace order on one goroutine: parents always come first.
	for i, txn := range tr.Txns {
		if err := r.apply(ctx, agents[txn.Agent], i, tp); err != nil {
			return nil, err
		}
	}
	final, err := automerge.Load(root)
	if err != nil {
		return nil, err
	}
	chs, n := r.allChanges()
	if err := final.LoadIncremental(chs); err != nil {
		return nil, err
	}
	text, err := final.Path(crdt.FieldContent).Text().Get()
	if err != nil {
		return nil, err
	}
	return &PureResult{Text: text, Language: docLanguage(final), Heads: sortedHeads(final.Heads()), Changes: n}, nil
}

// sortedHeads sorts heads by their hex form (Automerge's order).
func sortedHeads(h []automerge.ChangeHash) []automerge.ChangeHash {
	out := append([]automerge.ChangeHash(nil), h...)
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

func headsString(h []automerge.ChangeHash) []string {
	out := make([]string, len(h))
	for i, x := range sortedHeads(h) {
		out[i] = x.String()
	}
	return out
}

// DeterministicRoot is the root document of a deterministic replay: the
// room document ({content: "", language}) made by the server's actor at
// time 0, so its hash depends on the language only.
func DeterministicRoot(language string) ([]byte, error) {
	doc := automerge.New()
	if err := doc.SetActorID(ServerActor); err != nil {
		return nil, err
	}
	if err := doc.Path(crdt.FieldContent).Set(automerge.NewText("")); err != nil {
		return nil, err
	}
	if err := doc.Path(crdt.FieldLanguage).Set(language); err != nil {
		return nil, err
	}
	at := time.Unix(0, 0)
	if _, err := doc.Commit("", automerge.CommitOptions{Time: &at}); err != nil {
		return nil, err
	}
	return doc.Save(), nil
}

// docLanguage reads the room's language (empty when unset or not a string).
func docLanguage(doc *automerge.Doc) string {
	v, err := doc.Path(crdt.FieldLanguage).Get()
	if err != nil || v.Kind() != automerge.KindStr {
		return ""
	}
	return v.Str()
}
