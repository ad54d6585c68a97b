package main

import (
	"context"
	"fmt"
	"strconv"
	stdsync "sync"
	"time"
	"unicode/utf8"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/sync/wireclient"
)

func (r *runner) pid() string { return strconv.Itoa(r.cfg.ServerPID) }

func (r *runner) startSampler() *memSampler {
	if r.cfg.ServerPID > 0 {
		return startMemSampler(r.pid(), 100*time.Millisecond)
	}
	return nil
}

func (r *runner) stopSampler(s *memSampler) (peak, hwm int64) {
	if s == nil {
		return 0, 0
	}
	peak, _ = s.Stop()
	_, hwm, _ = ProcMem(r.pid())
	return peak, hwm
}

// typing runs pair (rooms of 1 typist + 1 observer) and classroom (one room
// of several typists and many viewers).
func (r *runner) typing(ctx context.Context, res *Result, nRooms, nTypists, nObservers int) error {
	res.Rooms, res.Typists, res.Observers = nRooms, nTypists, nObservers
	res.ThinViewers = r.cfg.ThinViewers
	rooms, err := r.openRooms(ctx, nRooms, nTypists, nObservers)
	if err != nil {
		return err
	}
	defer r.closeAll()

	sampler := r.startSampler()
	probe := startLagProbe()
	u0 := r.read(ctx)
	stop := make(chan struct{})
	start := time.Now().Add(50 * time.Millisecond)
	var wg stdsync.WaitGroup
	// Stagger typists over one keystroke interval so rooms do not type in
	// lock step.
	slots := nRooms * nTypists
	interval := 125 * time.Millisecond
	if r.cfg.Rate > 0 {
		interval = time.Duration(float64(time.Second) / r.cfg.Rate)
	}
	i := 0
	for _, rm := range rooms {
		for k := range rm.typists {
			offset := time.Duration(int64(interval) * int64(i) / int64(slots))
			i++
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.typeInto(ctx, rm, k, start.Add(offset), stop)
			}()
		}
	}
	select {
	case <-time.After(time.Until(start) + r.cfg.Duration):
	case <-ctx.Done():
	}
	close(stop)
	wg.Wait()
	// Drain: wait until every observer saw every keystroke, or Drain.
	drainEnd := time.Now().Add(r.cfg.Drain)
	for time.Now().Before(drainEnd) && ctx.Err() == nil {
		pending := 0
		for _, rm := range rooms {
			pending += rm.rt.pending()
		}
		if pending == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	u1 := r.read(ctx)
	peak, hwm := r.stopSampler(sampler)
	probeLags := probe.Stop()

	var t tally
	now := time.Now()
	for _, rm := range rooms {
		rm.rt.collect(&t, time.Time{}, time.Time{}, now, r.cfg.LateAfter, false)
	}
	res.Keystrokes, res.Expected, res.Lost, res.Late = t.sent, t.expect, t.lost, t.late
	res.LateAfterS = r.cfg.LateAfter.Seconds()
	lat := Summarize(t.samples)
	res.Latency = &lat
	conv := r.converged(rooms)
	res.Converged = &conv
	r.mu.Lock()
	sl := Summarize(r.lags)
	r.mu.Unlock()
	pl := Summarize(probeLags)
	res.Tool.SchedLag, res.Tool.ProbeLag = &sl, &pl
	res.fillUsage(u0, u1, t.sent, r.cfg.ServerPID > 0, peak, hwm)
	return nil
}

// converged checks that every peer of every room holds the same text and,
// with one typist, that it is the trace replayed as far as it was typed.
func (r *runner) converged(rooms []*room) bool {
	ok := true
	for _, rm := range rooms {
		want := rm.typists[0].Text()
		if len(rm.typists) == 1 {
			rm.rt.mu.Lock()
			n := r.seed + len(rm.rt.sent[0])
			rm.rt.mu.Unlock()
			if r.seedRooms && n > 0 {
				exp, err := Replay(r.trace.StartContent, r.ks, n)
				if err != nil || exp != want {
					r.errorf("room %s: typist text differs from the trace replayed to keystroke %d", rm.id, n)
					ok = false
				}
			}
		}
		wantHeads := crdt.HeadsKeyOfHashes(rm.typists[0].Heads())
		for i, c := range append(rm.typists[1:], rm.observers...) {
			if r.cfg.ThinViewers && i-(len(rm.typists)-1) >= fullViewers {
				// A thin viewer holds no text: it must report the typist's heads.
				if got := crdt.HeadsKeyOfHashes(c.Heads()); got != wantHeads {
					r.errorf("room %s: thin viewer %s did not reach the typist's heads", rm.id, c.PeerID())
					ok = false
				}
				continue
			}
			if got := c.Text(); got != want {
				r.errorf("room %s: peer %s has %d chars, typist %d", rm.id, c.PeerID(), len(got), len(want))
				ok = false
			}
		}
	}
	return ok
}

// join: a room holding the first Changes keystrokes of the trace (each one
// change); fresh peers open it one after another.
func (r *runner) join(ctx context.Context, res *Result) error {
	n := r.cfg.Changes
	if n <= 0 || n > len(r.ks) {
		n = len(r.ks)
	}
	want, err := Replay(r.trace.StartContent, r.ks, n)
	if err != nil {
		return err
	}
	seedStart := time.Now()
	id, seeder, err := r.srv.openRoom(ctx, r.cfg.Language, wireclient.ClientOptions{})
	if err != nil {
		return err
	}
	r.addClient(seeder)
	defer r.closeAll()
	if err := seeder.Edit(func(d *crdt.Doc) error {
		for i := 0; i < n; i++ {
			p := r.ks[i].Patch
			if err := d.Splice(p.Pos, p.Del, p.Ins); err != nil {
				return fmt.Errorf("seed keystroke %d: %w", i, err)
			}
		}
		return nil
	}); err != nil {
		return err
	}
	if err := seeder.WaitSynced(ctx); err != nil {
		return fmt.Errorf("seeding: %w", err)
	}
	if got := seeder.Text(); got != want {
		return fmt.Errorf("seeded text (%d chars) is not the trace replayed to %d keystrokes (%d chars)", len(got), n, len(want))
	}
	saved, err := seeder.Save()
	if err != nil {
		return err
	}
	jr := &JoinResult{Changes: n, TextRunes: utf8.RuneCountInString(want), SavedBytes: len(saved), SeedS: round(time.Since(seedStart).Seconds(), 2)}
	res.Join = jr

	cold := r.cfg.JoinCold && r.srv.kind == TargetPairpad
	if cold {
		seeder.Close()
	}
	waitUnloaded := func() error {
		for deadline := time.Now().Add(time.Minute); ; {
			m, err := ScrapeMetrics(ctx, r.srv.metricsURL())
			if err == nil && m["pairpad_rooms_loaded"] == 0 {
				return nil
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				return fmt.Errorf("room still loaded a minute after its peers left")
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	sampler := r.startSampler()
	u0 := r.read(ctx)
	for j := 0; j < r.cfg.Joins; j++ {
		if cold {
			if err := waitUnloaded(); err != nil {
				return err
			}
		}
		// Arrival vs apply: OnFrame stamps each frame as it arrives, OnSync
		// runs after it was applied (both on the reader goroutine, in
		// order), so the frame that completed the text is known.
		var lastArrival, arrived, applied time.Time
		t0 := time.Now()
		c, err := r.srv.join(ctx, id, true, wireclient.ClientOptions{
			OnFrame: func(_ int, at time.Time) { lastArrival = at },
			OnSync: func(c *wireclient.Client) {
				if applied.IsZero() && c.Text() == want {
					arrived, applied = lastArrival, time.Now()
				}
			},
		})
		if err != nil {
			return fmt.Errorf("fresh peer %d: %w", j, err)
		}
		werr := c.WaitFor(ctx, func(text string) bool { return text == want })
		el := time.Since(t0)
		got := c.BytesIn.Load()
		c.Close()
		if werr != nil {
			return fmt.Errorf("fresh peer %d never reached the trace's text: %w", j, werr)
		}
		jr.Ms = append(jr.Ms, durMs(el))
		jr.Bytes = append(jr.Bytes, got)
		if !arrived.IsZero() {
			jr.ArrivedMs = append(jr.ArrivedMs, durMs(arrived.Sub(t0)))
			jr.ApplyMs = append(jr.ApplyMs, durMs(applied.Sub(arrived)))
		}
	}
	u1 := r.read(ctx)
	peak, hwm := r.stopSampler(sampler)
	jr.MedianMs = Median(jr.Ms)
	jr.MedianArrivedMs = Median(jr.ArrivedMs)
	jr.MedianApplyMs = Median(jr.ApplyMs)
	bs := make([]float64, len(jr.Bytes))
	for i, b := range jr.Bytes {
		bs[i] = float64(b)
	}
	jr.MedianBytes = Median(bs)
	jr.BytesToSaved = round(jr.MedianBytes/float64(len(saved)), 2)
	res.fillUsage(u0, u1, 0, r.cfg.ServerPID > 0, peak, hwm)
	return nil
}

// ramp adds pair rooms step by step until p99 passes the limit.
func (r *runner) ramp(ctx context.Context, res *Result) error {
	cfg := r.cfg
	rr := &RampResult{P99LimitMs: durMs(cfg.RampP99)}
	res.Ramp = rr
	res.Typists, res.Observers = 1, 1
	defer r.closeAll()
	stop := make(chan struct{})
	var wg stdsync.WaitGroup
	defer func() { close(stop); wg.Wait() }()
	var rooms []*room
	sampler := r.startSampler()
	probe := startLagProbe()
	first := r.read(ctx)
	var allSamples []time.Duration
	total := 0
	retry := false
	for step := 0; ; step++ {
		add := cfg.RampStep
		if step == 0 {
			add = cfg.RampStart
		}
		if retry {
			add = 0 // measure the same load again
		}
		if total+add > cfg.RampMax {
			rr.StopReason = fmt.Sprintf("reached -ramp-max %d rooms", cfg.RampMax)
			break
		}
		if ctx.Err() != nil {
			rr.StopReason = "time budget (-max-time) used up"
			break
		}
		newRooms, err := r.openRooms(ctx, add, 1, 1)
		if add == 0 {
			newRooms, err = nil, nil
		}
		if err != nil {
			r.errorf("ramp step %d: %v", step, err)
			rr.StopReason = "could not open rooms: " + err.Error()
			break
		}
		rooms = append(rooms, newRooms...)
		total += add
		interval := 125 * time.Millisecond
		if cfg.Rate > 0 {
			interval = time.Duration(float64(time.Second) / cfg.Rate)
		}
		start := time.Now().Add(20 * time.Millisecond)
		for i, rm := range newRooms {
			offset := time.Duration(int64(interval) * int64(i) / int64(len(newRooms)))
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.typeInto(ctx, rm, 0, start.Add(offset), stop)
			}()
		}
		errs0 := r.nerrs.Load()
		u0 := r.read(ctx)
		stepStart := time.Now()
		select {
		case <-time.After(cfg.RampStepDur):
		case <-ctx.Done():
		}
		stepEnd := time.Now()
		u1 := r.read(ctx)
		var t tally
		for _, rm := range rooms {
			rm.rt.collect(&t, stepStart.Add(500*time.Millisecond), stepEnd.Add(-cfg.LateAfter), stepEnd, cfg.LateAfter, true)
		}
		allSamples = append(allSamples, t.samples...)
		st := RampStep{Rooms: total, Latency: Summarize(t.samples), Late: t.late, Errors: r.nerrs.Load() - errs0}
		wall := u1.at.Sub(u0.at).Seconds()
		if wall > 0 {
			st.ServerUtil = round((u1.srvCPU-u0.srvCPU).Seconds()/wall, 3)
			st.ToolUtil = round((u1.toolCPU-u0.toolCPU).Seconds()/wall, 3)
			st.ServerWait = round((u1.srvWait-u0.srvWait).Seconds()/wall, 3)
			st.ToolWait = round((u1.toolWait-u0.toolWait).Seconds()/wall, 3)
		}
		st.OK = st.Latency.N > 0 && st.Latency.P99 <= durMs(cfg.RampP99) && st.Errors == 0 && st.Late == 0
		rr.Steps = append(rr.Steps, st)
		// On this shared machine a neighbour's burst can spoil one window:
		// a failed step is measured once more before the ramp stops.
		if !st.OK && !retry && st.Errors == 0 && cfg.RampRetry {
			retry = true
			continue
		}
		retry = false
		if !st.OK {
			switch {
			case st.Errors > 0:
				rr.StopReason = fmt.Sprintf("errors at %d rooms", total)
			case st.Latency.N == 0:
				rr.StopReason = fmt.Sprintf("no keystroke measured at %d rooms", total)
			default:
				rr.StopReason = fmt.Sprintf("p99 %.1f ms (late %d) at %d rooms", st.Latency.P99, st.Late, total)
			}
			if st.ToolUtil >= 0.85 {
				rr.StopReason += "; load tool near a full core: the limit may be the tool's"
			}
			break
		}
		rr.MaxRooms = total
	}
	last := r.read(ctx)
	peak, hwm := r.stopSampler(sampler)
	pl := Summarize(probe.Stop())
	res.Rooms = total
	var t tally
	for _, rm := range rooms {
		rm.rt.collect(&t, time.Time{}, time.Time{}, time.Now(), cfg.LateAfter, false)
	}
	res.Keystrokes = t.sent
	lat := Summarize(allSamples)
	res.Latency = &lat
	r.mu.Lock()
	sl := Summarize(r.lags)
	r.mu.Unlock()
	res.Tool.SchedLag, res.Tool.ProbeLag = &sl, &pl
	res.fillUsage(first, last, t.sent, cfg.ServerPID > 0, peak, hwm)
	return nil
}

// idle: Rooms rooms with one typist and IdlePeers idle peers each, IdleKeys
// keystrokes each, then left
// idle; then every peer leaves and memory is watched for Settle.
func (r *runner) idle(ctx context.Context, res *Result) error {
	cfg := r.cfg
	ir := &IdleResult{Rooms: cfg.Rooms, KeysPerRoom: cfg.IdleKeys, SettleS: cfg.Settle.Seconds()}
	res.Idle = ir
	res.Rooms, res.Typists = cfg.Rooms, 1
	defer r.closeAll()
	if cfg.ServerPID == 0 {
		return fmt.Errorf("idle needs -server-pid to read the server's memory")
	}
	// Idle peers speak v1 (rooms start empty, so v2 would gain nothing).
	// They once had to: Pairpad did not acknowledge a quick burst of
	// keystrokes (fixed; see sync.TestBurstIsAcknowledged).
	r.srv.v2 = false
	rss := func() int64 { v, _, _ := ProcMem(r.pid()); return v }
	ir.BaselineMB = mb(rss())
	u0 := r.read(ctx)
	rooms, err := r.openRooms(ctx, cfg.Rooms, 1, cfg.IdlePeers)
	if err != nil {
		return err
	}
	keys := min(cfg.IdleKeys, len(r.ks)-r.seed)
	var wg stdsync.WaitGroup
	sem := make(chan struct{}, 16)
	for _, rm := range rooms {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c := rm.typists[0]
			for i := r.seed; i < r.seed+keys; i++ {
				p := r.ks[i].Patch
				if err := c.Edit(func(d *crdt.Doc) error {
					if !r.seedRooms {
						var err error
						if p, err = clampPatch(d, p); err != nil {
							return err
						}
					}
					return d.Splice(p.Pos, p.Del, p.Ins)
				}); err != nil {
					r.errorf("room %s: %v", rm.id, err)
					return
				}
			}
			sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			if err := c.WaitSynced(sctx); err != nil {
				r.errorf("room %s: %v", rm.id, err)
			}
		}()
	}
	wg.Wait()
	time.Sleep(cfg.IdleHold) // let queues drain, the allocator settle, idle rooms compact
	ir.LoadedMB = mb(rss())
	ir.PerRoomKB = round((ir.LoadedMB-ir.BaselineMB)*1024/float64(cfg.Rooms), 1)
	ir.Conns = cfg.Rooms * (1 + cfg.IdlePeers)
	ir.PerConnKB = round((ir.LoadedMB-ir.BaselineMB)*1024/float64(ir.Conns), 1)
	u1 := r.read(ctx)
	if m := u1.metrics; m != nil {
		ir.StacksMB = mb(int64(m["go_memstats_stack_inuse_bytes"]))
		ir.HeapInuseMB = mb(int64(m["go_memstats_heap_inuse_bytes"]))
		ir.Goroutines = m["go_goroutines"]
	}

	leave := time.Now()
	r.closeAll()
	if r.srv.kind == TargetPairpad {
		for ctx.Err() == nil && time.Since(leave) < time.Minute {
			m, err := ScrapeMetrics(ctx, r.srv.metricsURL())
			if err == nil && m["pairpad_rooms_loaded"] == 0 && m["pairpad_dirty_rooms"] == 0 {
				ir.UnloadS = round(time.Since(leave).Seconds(), 3)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	minRSS := rss()
	for end := time.Now().Add(cfg.Settle); time.Now().Before(end) && ctx.Err() == nil; {
		time.Sleep(500 * time.Millisecond)
		minRSS = min(minRSS, rss())
	}
	ir.AfterLeaveMB = mb(rss())
	ir.MinAfterLeaveMB = mb(minRSS)
	u2 := r.read(ctx)
	if u2.metrics != nil {
		ir.Saves = u2.metrics["pairpad_saves_total"] - u1.metrics["pairpad_saves_total"]
		ir.SaveSecondsSum = round(u2.metrics["pairpad_save_seconds_total"]-u1.metrics["pairpad_save_seconds_total"], 3)
		ir.RoomsLoadedEnd = u2.metrics["pairpad_rooms_loaded"]
	}
	_, hwm, _ := ProcMem(r.pid())
	res.fillUsage(u0, u1, cfg.Rooms*keys, true, 0, hwm)
	res.Server.PeakRSSMB = ir.LoadedMB
	return nil
}
