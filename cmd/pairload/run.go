package main

import (
	"context"
	"fmt"
	"strconv"
	stdsync "sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/sync/wireclient"
)

// runner holds what every scenario shares.
type runner struct {
	cfg   *Config
	srv   *server
	trace *Trace
	ks    []Keystroke
	// seed keystrokes (the trace's bulk prefix) are applied to every room
	// before it is measured; typing starts after them.
	seed      int
	seedRooms bool // apply the prefix to rooms (else skip it)

	mu      stdsync.Mutex
	clients []*wireclient.Client
	errs    []string
	nerrs   atomic.Int64
	lags    []time.Duration // typists' scheduling lag
}

func (r *runner) addClient(c *wireclient.Client) {
	r.mu.Lock()
	r.clients = append(r.clients, c)
	r.mu.Unlock()
}

func (r *runner) errorf(format string, a ...any) {
	r.nerrs.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.errs) < 20 { // keep the report short
		r.errs = append(r.errs, fmt.Sprintf(format, a...))
	}
}

// closeAll closes every client, in parallel.
func (r *runner) closeAll() {
	r.mu.Lock()
	cs := r.clients
	r.clients = nil
	r.mu.Unlock()
	closeClients(cs)
}

func closeClients(cs []*wireclient.Client) {
	var wg stdsync.WaitGroup
	sem := make(chan struct{}, 64)
	for _, c := range cs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c.Close()
		}()
	}
	wg.Wait()
}

// room is one room under load: typists replay the trace, observers watch.
type room struct {
	id        string
	typists   []*wireclient.Client
	observers []*wireclient.Client
	rt        *roomTracker
}

// fullViewers: with -thin-viewers, the first observers of a room that
// still apply every message (and whose text is checked).
const fullViewers = 10

// openRoom creates a room with nTypists typists and nObservers observers.
func (r *runner) openRoom(ctx context.Context, nTypists, nObservers int) (*room, error) {
	rm := &room{rt: newRoomTracker(nTypists)}
	id, first, err := r.srv.openRoom(ctx, r.cfg.Language, wireclient.ClientOptions{})
	if err != nil {
		return nil, err
	}
	r.addClient(first)
	rm.id = id
	if r.seed > 0 && r.seedRooms {
		if err := first.Edit(func(d *crdt.Doc) error {
			for _, k := range r.ks[:r.seed] {
				if err := d.Splice(k.Pos, k.Del, k.Ins); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return nil, fmt.Errorf("seed room: %w", err)
		}
		if err := first.WaitSynced(ctx); err != nil {
			return nil, fmt.Errorf("seed room: %w", err)
		}
	}
	rm.typists = append(rm.typists, first)
	for len(rm.typists) < nTypists {
		c, err := r.srv.join(ctx, id, false, wireclient.ClientOptions{})
		if err != nil {
			return nil, err
		}
		r.addClient(c)
		rm.typists = append(rm.typists, c)
	}
	for i := 0; i < nObservers; i++ {
		o := rm.rt.addObserver()
		c, err := r.srv.observe(ctx, id, wireclient.ClientOptions{Thin: r.cfg.ThinViewers && i >= fullViewers, OnSync: func(c *wireclient.Client) {
			now := time.Now()
			rm.rt.observed(o, c.Heads(), now)
		}})
		if err != nil {
			return nil, err
		}
		r.addClient(c)
		rm.observers = append(rm.observers, c)
	}
	return rm, nil
}

// openRooms opens n rooms, a few at a time.
func (r *runner) openRooms(ctx context.Context, n, nTypists, nObservers int) ([]*room, error) {
	rooms := make([]*room, n)
	errs := make([]error, n)
	var wg stdsync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			rooms[i], errs[i] = r.openRoom(ctx, nTypists, nObservers)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("open room: %w", err)
		}
	}
	return rooms, nil
}

// due is when keystroke i is due, relative to the typist's start.
func (r *runner) due(i int) time.Duration {
	if r.cfg.Rate > 0 {
		return time.Duration(float64(i-r.seed) / r.cfg.Rate * float64(time.Second))
	}
	return r.ks[i].At - r.ks[r.seed].At
}

// typeInto makes typist k of rm replay the trace from start until stop (or
// the trace ends). With several typists, positions are clamped to the text
// (they all replay one trace into one document).
func (r *runner) typeInto(ctx context.Context, rm *room, k int, start time.Time, stop <-chan struct{}) {
	c := rm.typists[k]
	// Several typists share one document, and unseeded rooms lack the file
	// the trace's positions refer to: clamp positions to the text.
	clamp := len(rm.typists) > 1 || !r.seedRooms
	var lags []time.Duration
	defer func() {
		r.mu.Lock()
		r.lags = append(r.lags, lags...)
		r.mu.Unlock()
	}()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for i := r.seed; i < len(r.ks); i++ {
		due := start.Add(r.due(i))
		if d := time.Until(due); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-stop:
				return
			case <-ctx.Done():
				return
			}
		} else {
			select {
			case <-stop:
				return
			default:
			}
		}
		lags = append(lags, time.Since(due))
		if err := r.keystroke(rm, k, c, r.ks[i].Patch, clamp); err != nil {
			r.errorf("room %s typist %d keystroke %d: %v", rm.id, k, i, err)
			return
		}
	}
}

// keystroke applies one patch as one change and records it in the tracker
// before it is sent.
func (r *runner) keystroke(rm *room, k int, c *wireclient.Client, p Patch, clamp bool) error {
	sentAt := time.Now()
	return c.Edit(func(d *crdt.Doc) error {
		if clamp {
			var err error
			if p, err = clampPatch(d, p); err != nil {
				return err
			}
		}
		before := d.Heads()
		if err := d.Splice(p.Pos, p.Del, p.Ins); err != nil {
			return err
		}
		rm.rt.committed(k, before, d.Heads(), sentAt)
		return nil
	})
}

// usage is a reading of the counters a run reports.
type usage struct {
	at       time.Time
	srvCPU   time.Duration
	toolCPU  time.Duration
	srvWait  time.Duration // run-queue wait (see ProcRunDelay)
	toolWait time.Duration
	metrics  map[string]float64
	bytes    int64 // client side, in + out
	frames   int64
}

func (r *runner) read(ctx context.Context) usage {
	u := usage{at: time.Now()}
	if r.cfg.ServerPID > 0 {
		if d, err := ProcCPU(strconv.Itoa(r.cfg.ServerPID)); err == nil {
			u.srvCPU = d
		} else {
			r.errorf("server cpu: %v", err)
		}
	}
	u.toolCPU, _ = ProcCPU("self")
	u.toolWait, _ = ProcRunDelay("self")
	if r.cfg.ServerPID > 0 {
		u.srvWait, _ = ProcRunDelay(strconv.Itoa(r.cfg.ServerPID))
	}
	if r.srv.kind == TargetPairpad {
		mctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		m, err := ScrapeMetrics(mctx, r.srv.metricsURL())
		cancel()
		if err != nil {
			r.errorf("metrics: %v", err)
		}
		u.metrics = m
		if r.cfg.ServerPID == 0 && m != nil {
			u.srvCPU = time.Duration(m["process_cpu_seconds_total"] * float64(time.Second))
		}
	}
	r.mu.Lock()
	for _, c := range r.clients {
		u.bytes += c.BytesIn.Load() + c.BytesOut.Load()
		u.frames += c.FramesIn.Load() + c.FramesOut.Load()
	}
	r.mu.Unlock()
	return u
}

// lagProbe measures the tool's own scheduling lag: how late a 5 ms sleep
// wakes up (the Go analogue of event-loop lag).
type lagProbe struct {
	stop    chan struct{}
	done    chan struct{}
	samples []time.Duration
}

func startLagProbe() *lagProbe {
	p := &lagProbe{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		const period = 5 * time.Millisecond
		for {
			t0 := time.Now()
			select {
			case <-p.stop:
				return
			case <-time.After(period):
			}
			p.samples = append(p.samples, max(0, time.Since(t0)-period))
		}
	}()
	return p
}

func (p *lagProbe) Stop() []time.Duration {
	close(p.stop)
	<-p.done
	return p.samples
}

// clampPatch fits p to the document's text: positions past the end move to
// the end, and a patch left with nothing to do types a space.
func clampPatch(d *crdt.Doc, p Patch) (Patch, error) {
	text, err := d.Text()
	if err != nil {
		return p, err
	}
	n := utf8.RuneCountInString(text)
	p.Pos = min(p.Pos, n)
	p.Del = min(p.Del, n-p.Pos)
	if p.Del == 0 && p.Ins == "" {
		p.Ins = " "
	}
	return p, nil
}
