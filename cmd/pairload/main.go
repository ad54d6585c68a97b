// Command pairload drives a Pairpad server, or the reference
// @automerge/automerge-repo-sync-server, with realistic editing load and
// reports keystroke-to-peer latency, throughput, and what the server and the
// tool itself spent doing it.
//
// It speaks automerge-repo's protocol through the project's own client
// (pairpad/sync/wireclient.Client), replaying real editing traces (Joseph Gentle's
// editing-traces, CC BY 4.0) one change per patch. Scenarios:
//
//	pair       R rooms x (1 typist + 1 observer)
//	classroom  1 room, T typists, V viewers
//	join       a fresh peer opens a room holding a whole trace session
//	ramp       pair rooms added step by step until p99 passes a limit
//	idle       memory of many loaded idle rooms, and after they are left
//
// `pairload replay` replays a (concurrent) editing trace through a server
// with one client per trace agent, or runs named conflict scenarios; see
// replay_cmd.go and the README.
//
// Every run is bounded (-duration, -drain, -max-time) and stops by itself;
// the tool only talks to loopback addresses. It prints a human summary and
// one JSON line (also appended to -out). See BENCHMARKS.md.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "replay" {
		raiseFileLimit()
		os.Exit(runReplayCommand(os.Args[2:], os.Stdout, os.Stderr))
	}
	cfg := DefaultConfig()
	fs := flag.NewFlagSet("pairload", flag.ExitOnError)
	fs.StringVar(&cfg.Scenario, "scenario", cfg.Scenario, "pair, classroom, join, ramp or idle")
	fs.StringVar(&cfg.Target, "target", cfg.Target, "pairpad or reference (@automerge/automerge-repo-sync-server)")
	fs.StringVar(&cfg.URL, "url", "", "server base URL (loopback only); default http://127.0.0.1:8080 (pairpad) or :3030 (reference)")
	fs.StringVar(&cfg.ObserverURL, "observer-url", "", "pairpad scale-out: observers connect to this instance (loopback only) while typists use -url, so keystrokes cross Redis")
	fs.StringVar(&cfg.TracesDir, "traces", "", "folder of *.json.gz editing traces; default $"+tracesEnv+" or testdata/traces in the repository")
	fs.StringVar(&cfg.Trace, "trace", cfg.Trace, "trace name: rustcode or sveltecomponent")
	fs.StringVar(&cfg.Language, "language", cfg.Language, "language of created rooms")
	fs.IntVar(&cfg.Rooms, "rooms", cfg.Rooms, "pair: rooms; idle: rooms")
	fs.IntVar(&cfg.Typists, "typists", cfg.Typists, "classroom: typists")
	fs.IntVar(&cfg.Viewers, "viewers", cfg.Viewers, "classroom: viewers")
	fs.BoolVar(&cfg.ThinViewers, "thin-viewers", false, fmt.Sprintf("classroom: viewers after the first %d keep no document: they acknowledge each sync message's heads without applying it (same server work, a fraction of the tool's); latency counts them at arrival, convergence is checked on heads", fullViewers))
	fs.Float64Var(&cfg.Rate, "rate", cfg.Rate, "keystrokes per second per typist; 0 = the trace's recorded pace")
	fs.DurationVar(&cfg.MaxGap, "max-gap", cfg.MaxGap, "recorded pace: longest pause kept")
	fs.DurationVar(&cfg.Duration, "duration", cfg.Duration, "typing time")
	fs.DurationVar(&cfg.Drain, "drain", cfg.Drain, "after typing, longest wait for observers to catch up")
	fs.DurationVar(&cfg.LateAfter, "late", cfg.LateAfter, "a keystroke seen later than this is late")
	fs.IntVar(&cfg.Changes, "changes", cfg.Changes, "join: keystrokes (changes) in the room; 0 = the whole trace")
	fs.IntVar(&cfg.Joins, "joins", cfg.Joins, "join: fresh peers, one after another (median reported)")
	fs.IntVar(&cfg.RampStart, "ramp-start", cfg.RampStart, "ramp: rooms in the first step")
	fs.IntVar(&cfg.RampStep, "ramp-step", cfg.RampStep, "ramp: rooms added per step")
	fs.IntVar(&cfg.RampMax, "ramp-max", cfg.RampMax, "ramp: stop at this many rooms")
	fs.DurationVar(&cfg.RampStepDur, "ramp-step-duration", cfg.RampStepDur, "ramp: time per step")
	fs.DurationVar(&cfg.RampP99, "ramp-p99", cfg.RampP99, "ramp: p99 keystroke-to-peer limit")
	fs.BoolVar(&cfg.RampRetry, "ramp-retry", cfg.RampRetry, "ramp: measure a failed step once more before stopping (noisy shared machines)")
	fs.IntVar(&cfg.IdleKeys, "idle-keys", cfg.IdleKeys, "idle: keystrokes typed into each room before it idles")
	fs.IntVar(&cfg.IdlePeers, "idle-peers", cfg.IdlePeers, "idle: idle connections per room besides its typist (connections apart from rooms)")
	fs.DurationVar(&cfg.Settle, "settle", cfg.Settle, "idle: how long to watch memory after all peers left")
	fs.BoolVar(&cfg.JoinCold, "join-cold", false, "join (pairpad): the seeder leaves and each fresh peer opens an unloaded room")
	fs.DurationVar(&cfg.IdleHold, "idle-hold", cfg.IdleHold, "idle: how long rooms sit idle before memory is read")
	fs.BoolVar(&cfg.Seed, "seed", cfg.Seed, "open every room with the trace's bulk prefix (the starting file) before measuring; false: rooms start empty and typing skips it")
	fs.StringVar(&cfg.AdvertiseV2, "advertise-v2", cfg.AdvertiseV2, "announce sync v2 support: auto (pairpad: all peers; reference: only fresh peers of join), on, off")
	fs.IntVar(&cfg.ServerPID, "server-pid", 0, "server process id, for CPU and RSS from /proc")
	fs.DurationVar(&cfg.MaxTime, "max-time", cfg.MaxTime, "hard bound on the whole run")
	fs.StringVar(&cfg.Out, "out", "", "append the JSON line to this file")
	fs.StringVar(&cfg.Label, "label", "", "free text copied into the JSON line")
	_ = fs.Parse(os.Args[1:])
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(os.Stderr, "pairload: invalid configuration:\n%v\n", err)
		os.Exit(2)
	}
	raiseFileLimit()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, cfg.MaxTime)
	defer cancel()

	res, err := run(ctx, &cfg)
	if res != nil {
		res.WriteSummary(os.Stdout)
		line, _ := json.Marshal(res)
		fmt.Println(string(line))
		if cfg.Out != "" {
			f, ferr := os.OpenFile(cfg.Out, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
			if ferr == nil {
				_, ferr = f.Write(append(line, '\n'))
				f.Close()
			}
			if ferr != nil {
				fmt.Fprintf(os.Stderr, "pairload: -out: %v\n", ferr)
			}
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "pairload: %v\n", err)
		os.Exit(1)
	}
}

// run performs one scenario. It returns a result even on failure (with the
// error recorded) when there is something to report.
func run(ctx context.Context, cfg *Config) (*Result, error) {
	dir, err := FindTracesDir(cfg.TracesDir)
	if err != nil {
		return nil, err
	}
	tr, err := LoadTrace(dir, cfg.Trace)
	if err != nil {
		return nil, err
	}
	srv, err := newServer(cfg)
	if err != nil {
		return nil, err
	}
	r := &runner{cfg: cfg, srv: srv, trace: tr, ks: tr.Keystrokes(cfg.MaxGap)}
	if len(r.ks) == 0 {
		return nil, fmt.Errorf("trace %s has no keystrokes", cfg.Trace)
	}
	if cfg.Scenario != ScenarioJoin { // join replays everything, bulk load included
		r.seed = BulkPrefix(r.ks)
		r.seedRooms = cfg.Seed
	}
	res := &Result{
		Time: time.Now().UTC().Format(time.RFC3339), Label: cfg.Label,
		Scenario: cfg.Scenario, Target: cfg.Target, Trace: cfg.Trace,
		Rate: cfg.Rate, AdvertiseV2: srv.v2, AdvertiseV2Join: srv.v2j, Seeded: cfg.Seed && cfg.Scenario != ScenarioJoin,
	}
	switch cfg.Scenario {
	case ScenarioPair:
		err = r.typing(ctx, res, cfg.Rooms, 1, 1)
	case ScenarioClassroom:
		err = r.typing(ctx, res, 1, cfg.Typists, cfg.Viewers)
	case ScenarioJoin:
		res.Rate = 0
		err = r.join(ctx, res)
	case ScenarioRamp:
		err = r.ramp(ctx, res)
	case ScenarioIdle:
		err = r.idle(ctx, res)
	}
	r.mu.Lock()
	res.Errors = append([]string(nil), r.errs...)
	r.mu.Unlock()
	res.ErrorCount = r.nerrs.Load()
	if err != nil {
		res.Errors = append(res.Errors, err.Error())
		res.ErrorCount++
		if res.Bottleneck == "" {
			res.Bottleneck = "n/a (run failed)"
		}
		return res, err
	}
	return res, nil
}

// raiseFileLimit lifts the soft open-file limit to the hard one: a ramp or
// idle run holds thousands of sockets.
func raiseFileLimit() {
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil && lim.Cur < lim.Max {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
}
