package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/pairpad/pairpad/sync/wireclient"
)

// replayConfig is `pairload replay`'s command line.
type replayConfig struct {
	URL           string
	TracesDir     string
	Trace         string
	Limit         int
	Deterministic bool
	Scenario      string
	Local         bool
	Language      string
	MaxFPS        float64
	Settle        time.Duration
	ServerPID     int
	MaxTime       time.Duration
	Out           string
}

// ReplayReport is one trace replay, printed as one JSON line.
type ReplayReport struct {
	Time          string   `json:"time"`
	Trace         string   `json:"trace"`
	Kind          string   `json:"kind"`
	Agents        int      `json:"agents"`
	Txns          int      `json:"txns"`
	Changes       int      `json:"changes"`
	Deterministic bool     `json:"deterministic"`
	Root          string   `json:"root"` // "imported" (fixed root), "server" or "local"
	Converged     bool     `json:"converged"`
	Divergence    string   `json:"divergence,omitempty"`
	EndContentOK  *bool    `json:"end_content_ok"` // null: a partial replay
	PureTextOK    bool     `json:"pure_text_ok"`
	PureHeadsOK   *bool    `json:"pure_heads_ok"` // null unless deterministic with a known root
	Chars         int      `json:"chars"`
	Heads         []string `json:"heads"`
	Seconds       float64  `json:"seconds"`
	TxnsPerSecond float64  `json:"txns_per_second"`
	BytesOut      int64    `json:"bytes_out"`
	BytesIn       int64    `json:"bytes_in"`
	FramesOut     int64    `json:"frames_out"`
	FramesIn      int64    `json:"frames_in"`
	ServerCPU     *float64 `json:"server_cpu_seconds"` // null: unknown
	CPUSource     string   `json:"cpu_source,omitempty"`
	ToolCPU       *float64 `json:"tool_cpu_seconds"` // this process (its clients and the working documents)
	Errors        []string `json:"errors,omitempty"`
}

func runReplayCommand(args []string, stdout, stderr io.Writer) int {
	cfg := replayConfig{URL: "http://127.0.0.1:8080", Language: "plaintext", MaxFPS: 400, Settle: 30 * time.Second, MaxTime: 2 * time.Hour}
	fs := flag.NewFlagSet("pairload replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: pairload replay [flags] TRACE   (a path, or a name in the traces folder)\n       pairload replay [flags] --scenario NAME|all|list\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.URL, "url", cfg.URL, "Pairpad server base URL (loopback only)")
	fs.StringVar(&cfg.TracesDir, "traces", "", "folder of editing traces; default $"+tracesEnv+" or testdata/traces")
	fs.StringVar(&cfg.Trace, "trace", "", "trace name or path (or give it as the argument)")
	fs.IntVar(&cfg.Limit, "limit", 0, "replay only the first N transactions (0: all)")
	fs.BoolVar(&cfg.Deterministic, "deterministic", false, "fixed actor ids and change times, and a fixed root imported with POST /rooms: two runs give the same heads")
	fs.StringVar(&cfg.Scenario, "scenario", "", "run a named conflict scenario (list: show them; all: run every one)")
	fs.BoolVar(&cfg.Local, "local", false, "no server: replay on in-memory documents only (the pure replay)")
	fs.StringVar(&cfg.Language, "language", cfg.Language, "language of the created room")
	fs.Float64Var(&cfg.MaxFPS, "max-fps", cfg.MaxFPS, "frames per second per client (the server closes faster ones: FRAMES_PER_SECOND); 0: no cap")
	fs.DurationVar(&cfg.Settle, "settle", cfg.Settle, "longest wait for convergence after the last transaction")
	fs.IntVar(&cfg.ServerPID, "server-pid", 0, "server process id: CPU from /proc (else process_cpu_seconds_total from /metrics)")
	fs.DurationVar(&cfg.MaxTime, "max-time", cfg.MaxTime, "hard bound on the whole run")
	fs.StringVar(&cfg.Out, "out", "", "append the JSON line to this file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if cfg.Trace == "" && fs.NArg() > 0 {
		cfg.Trace = fs.Arg(0)
	}
	if err := cfg.validate(); err != nil {
		fmt.Fprintf(stderr, "pairload replay: %v\n", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.MaxTime)
	defer cancel()
	if cfg.Scenario != "" {
		return runScenarios(ctx, &cfg, stdout, stderr)
	}
	rep, err := replayTrace(ctx, &cfg, stderr)
	if rep != nil {
		if err != nil {
			rep.Errors = append(rep.Errors, err.Error())
		}
		rep.writeSummary(stdout)
		line, _ := json.Marshal(rep)
		fmt.Fprintln(stdout, string(line))
		if cfg.Out != "" {
			if ferr := appendLine(cfg.Out, line); ferr != nil {
				fmt.Fprintf(stderr, "pairload replay: -out: %v\n", ferr)
			}
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "pairload replay: %v\n", err)
		return 1
	}
	if !rep.Converged || (rep.EndContentOK != nil && !*rep.EndContentOK) || !rep.PureTextOK {
		return 1
	}
	return 0
}

func (c *replayConfig) validate() error {
	var errs []error
	if c.Scenario == "" && c.Trace == "" {
		errs = append(errs, errors.New("give a trace (name or path) or --scenario"))
	}
	if c.Scenario != "" && c.Trace != "" {
		errs = append(errs, errors.New("--scenario and a trace exclude each other"))
	}
	if !c.Local && c.Scenario != "list" {
		if err := checkLoopbackURL(c.URL); err != nil {
			errs = append(errs, fmt.Errorf("url: %w", err))
		}
	}
	if c.Limit < 0 {
		errs = append(errs, errors.New("limit must be >= 0"))
	}
	if c.MaxFPS < 0 {
		errs = append(errs, errors.New("max-fps must be >= 0"))
	}
	if c.Settle <= 0 || c.MaxTime <= 0 || c.MaxTime > 2*time.Hour {
		errs = append(errs, errors.New("settle must be > 0 and max-time in (0, 2h]"))
	}
	return errors.Join(errs...)
}

func appendLine(path string, line []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(append(line, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// roomFor creates the replay's room and returns a dialer for it, the root
// kind ("imported" or "server").
func roomFor(ctx context.Context, cfg *replayConfig, stderr io.Writer) (dialFunc, string, error) {
	srv, err := newServer(&Config{Target: TargetPairpad, URL: cfg.URL})
	if err != nil {
		return nil, "", err
	}
	var id, kind string
	if cfg.Deterministic {
		root, err := DeterministicRoot(cfg.Language)
		if err != nil {
			return nil, "", err
		}
		id, err = importRoom(ctx, srv, root)
		if err != nil {
			fmt.Fprintf(stderr, "pairload replay: warning: importing the fixed root failed (%v); the server's own root is used, so heads differ between runs (the replayed changes are still the same)\n", err)
		} else {
			kind = "imported"
		}
	}
	if id == "" {
		if id, err = srv.createRoom(ctx, cfg.Language); err != nil {
			return nil, "", err
		}
		kind = "server"
	}
	return func(ctx context.Context, agent int) (*wireclient.Client, error) {
		return srv.join(ctx, id, false, wireclient.ClientOptions{})
	}, kind, nil
}

// importRoom creates a room holding doc with POST /rooms
// (Content-Type: application/octet-stream), the import endpoint.
func importRoom(ctx context.Context, s *server, doc []byte) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base.String()+"/rooms", bytes.NewReader(doc))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return "", fmt.Errorf("POST /rooms (import): %s %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	var out struct {
		RoomID     string `json:"room_id"`
		OwnerToken string `json:"owner_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.RoomID == "" {
		return "", fmt.Errorf("POST /rooms (import): no room_id in the answer")
	}
	if out.OwnerToken != "" {
		s.tokens.Store(out.RoomID, out.OwnerToken)
	}
	return out.RoomID, nil
}

// serverCPU reads the server's CPU time: /proc of pid, else /metrics.
func serverCPU(ctx context.Context, cfg *replayConfig) (time.Duration, string, bool) {
	if cfg.ServerPID > 0 {
		if d, err := ProcCPU(strconv.Itoa(cfg.ServerPID)); err == nil {
			return d, "proc", true
		}
	}
	if cfg.Local {
		return 0, "", false
	}
	m, err := ScrapeMetrics(ctx, strings.TrimRight(cfg.URL, "/")+"/metrics")
	if err != nil {
		return 0, "", false
	}
	v, ok := m["process_cpu_seconds_total"]
	if !ok {
		return 0, "", false
	}
	return time.Duration(v * float64(time.Second)), "metrics", true
}

func replayTrace(ctx context.Context, cfg *replayConfig, stderr io.Writer) (*ReplayReport, error) {
	path, err := ResolveTracePath(cfg.Trace, cfg.TracesDir)
	if err != nil {
		return nil, err
	}
	full, err := LoadReplayTrace(path)
	if err != nil {
		return nil, err
	}
	tr := full.Prefix(cfg.Limit)
	rep := &ReplayReport{Time: time.Now().UTC().Format(time.RFC3339), Trace: tr.Name, Kind: tr.Kind, Agents: tr.NumAgents,
		Txns: len(tr.Txns), Deterministic: cfg.Deterministic}
	if cfg.Local {
		rep.Root = "local"
		root, err := DeterministicRoot(cfg.Language)
		if err != nil {
			return nil, err
		}
		start := time.Now()
		pure, err := PureReplay(ctx, tr, root, cfg.Deterministic)
		if err != nil {
			return rep, err
		}
		rep.Seconds = round(time.Since(start).Seconds(), 3)
		rep.Converged, rep.PureTextOK, rep.Changes, rep.Chars, rep.Heads = true, true, pure.Changes, len([]rune(pure.Text)), headsString(pure.Heads)
		rep.checkEnd(tr, pure.Text)
		rep.rate()
		return rep, nil
	}
	dial, kind, err := roomFor(ctx, cfg, stderr)
	if err != nil {
		return nil, err
	}
	rep.Root = kind
	cpu0, src, cpuOK := serverCPU(ctx, cfg)
	self0, selfErr := ProcCPU("self")
	res, err := ReplayThroughServer(ctx, tr, dial, ReplayOptions{Deterministic: cfg.Deterministic, MaxFPS: cfg.MaxFPS, Settle: cfg.Settle, Progress: stderr})
	if err != nil {
		return rep, err
	}
	if self1, err := ProcCPU("self"); err == nil && selfErr == nil {
		v := round((self1 - self0).Seconds(), 2)
		rep.ToolCPU = &v
	}
	if cpu1, _, ok := serverCPU(ctx, cfg); cpuOK && ok {
		v := round((cpu1 - cpu0).Seconds(), 2)
		rep.ServerCPU, rep.CPUSource = &v, src
	}
	rep.Converged, rep.Divergence, rep.Changes = res.Converged, res.Divergence, res.Changes
	rep.Chars, rep.Heads = len([]rune(res.Text)), headsString(res.Heads)
	rep.Seconds = round(res.Elapsed.Seconds(), 3)
	rep.BytesOut, rep.BytesIn, rep.FramesOut, rep.FramesIn = res.BytesOut, res.BytesIn, res.FramesOut, res.FramesIn
	rep.checkEnd(tr, res.Text)
	rep.rate()
	// The reference: the same transactions on in-memory documents from the
	// same root.
	pure, err := PureReplay(ctx, tr, res.Root, cfg.Deterministic)
	if err != nil {
		return rep, fmt.Errorf("pure replay: %w", err)
	}
	rep.PureTextOK = pure.Text == res.Text
	if cfg.Deterministic {
		ok := fmt.Sprint(pure.Heads) == fmt.Sprint(res.Heads)
		rep.PureHeadsOK = &ok
	}
	return rep, nil
}

func (rep *ReplayReport) checkEnd(tr *ReplayTrace, text string) {
	if tr.EndContent != "" {
		ok := text == tr.EndContent
		rep.EndContentOK = &ok
	}
}

func (rep *ReplayReport) rate() {
	if rep.Seconds > 0 {
		rep.TxnsPerSecond = round(float64(rep.Txns)/rep.Seconds, 1)
	}
}

func (rep *ReplayReport) writeSummary(w io.Writer) {
	yn := func(b *bool) string {
		if b == nil {
			return "n/a"
		}
		if *b {
			return "yes"
		}
		return "NO"
	}
	conv := rep.Converged
	fmt.Fprintf(w, "replay %s (%s, %d agents): %d transactions, %d changes, root %s, deterministic %v\n",
		rep.Trace, rep.Kind, rep.Agents, rep.Txns, rep.Changes, rep.Root, rep.Deterministic)
	fmt.Fprintf(w, "  converged: %s%s\n", yn(&conv), map[bool]string{true: "", false: " (" + rep.Divergence + ")"}[conv])
	fmt.Fprintf(w, "  final text = endContent: %s   = pure replay: text %s, heads %s\n", yn(rep.EndContentOK), yn(&rep.PureTextOK), yn(rep.PureHeadsOK))
	fmt.Fprintf(w, "  %d characters, heads %v\n", rep.Chars, rep.Heads)
	fmt.Fprintf(w, "  time %.2fs (%.0f txn/s), client bytes out %d in %d (frames %d / %d)\n", rep.Seconds, rep.TxnsPerSecond, rep.BytesOut, rep.BytesIn, rep.FramesOut, rep.FramesIn)
	if rep.ServerCPU != nil {
		fmt.Fprintf(w, "  server CPU %.2fs (%s)\n", *rep.ServerCPU, rep.CPUSource)
	} else if rep.Root != "local" {
		fmt.Fprintf(w, "  server CPU unknown (give --server-pid, or expose /metrics)\n")
	}
	if rep.ToolCPU != nil {
		fmt.Fprintf(w, "  replay tool CPU %.2fs (its clients and working documents)\n", *rep.ToolCPU)
	}
	for _, e := range rep.Errors {
		fmt.Fprintf(w, "  error: %s\n", e)
	}
}

// ScenarioReport is one conflict scenario's outcome.
type ScenarioReport struct {
	Scenario  string `json:"scenario"`
	About     string `json:"about"`
	Base      string `json:"base"`
	AText     string `json:"a_text"`
	BText     string `json:"b_text"`
	Merged    string `json:"merged"`
	ALanguage string `json:"a_language,omitempty"`
	BLanguage string `json:"b_language,omitempty"`
	Language  string `json:"language,omitempty"`
	Converged bool   `json:"converged"`
	// PureOK: the server's merge equals the in-memory one (same heads).
	PureOK bool   `json:"pure_ok"`
	Error  string `json:"error,omitempty"`
}

func runScenarios(ctx context.Context, cfg *replayConfig, stdout, stderr io.Writer) int {
	if cfg.Scenario == "list" {
		for _, s := range ConflictScenarios {
			fmt.Fprintf(stdout, "%-28s %s\n", s.Name, s.About)
		}
		return 0
	}
	var list []ConflictScenario
	if cfg.Scenario == "all" {
		list = ConflictScenarios
	} else {
		s, err := FindScenario(cfg.Scenario)
		if err != nil {
			fmt.Fprintf(stderr, "pairload replay: %v\n", err)
			return 2
		}
		list = []ConflictScenario{s}
	}
	code := 0
	for _, s := range list {
		rep := runScenario(ctx, cfg, s, stderr)
		fmt.Fprintf(stdout, "%s: %s\n  base   %q\n  A      %q%s\n  B      %q%s\n  merged %q%s\n", rep.Scenario, rep.About, rep.Base,
			rep.AText, langNote(rep.ALanguage), rep.BText, langNote(rep.BLanguage), rep.Merged, langNote(rep.Language))
		if rep.Error != "" {
			fmt.Fprintf(stdout, "  error: %s\n", rep.Error)
			code = 1
		} else if !rep.Converged || !rep.PureOK {
			fmt.Fprintf(stdout, "  NOT CONVERGED or differs from the in-memory merge\n")
			code = 1
		}
		line, _ := json.Marshal(rep)
		fmt.Fprintln(stdout, string(line))
		if cfg.Out != "" {
			if err := appendLine(cfg.Out, line); err != nil {
				fmt.Fprintf(stderr, "pairload replay: -out: %v\n", err)
			}
		}
	}
	return code
}

func langNote(l string) string {
	if l == "" {
		return ""
	}
	return "  (language " + l + ")"
}

// runScenario replays one scenario (deterministic actors: the outcome is
// stable) through the server, or in memory with --local.
func runScenario(ctx context.Context, cfg *replayConfig, s ConflictScenario, stderr io.Writer) ScenarioReport {
	rep := ScenarioReport{Scenario: s.Name, About: s.About, Base: s.Base}
	var err error
	if rep.AText, err = s.sideText(s.A); err == nil {
		rep.BText, err = s.sideText(s.B)
	}
	if err != nil {
		rep.Error = err.Error()
		return rep
	}
	if s.Language != "" {
		rep.ALanguage, rep.BLanguage = s.sideLanguage(s.A), s.sideLanguage(s.B)
	}
	tr := s.Trace()
	root, err := DeterministicRoot(cfg.Language)
	if err != nil {
		rep.Error = err.Error()
		return rep
	}
	if !cfg.Local {
		dial, _, err := roomFor(ctx, &replayConfig{URL: cfg.URL, Language: cfg.Language}, stderr)
		if err != nil {
			rep.Error = err.Error()
			return rep
		}
		res, err := ReplayThroughServer(ctx, tr, dial, ReplayOptions{Deterministic: true, MaxFPS: cfg.MaxFPS, Settle: cfg.Settle})
		if err != nil {
			rep.Error = err.Error()
			return rep
		}
		root = res.Root
		rep.Merged, rep.Language, rep.Converged = res.Text, res.Language, res.Converged
		pure, err := PureReplay(ctx, tr, root, true)
		if err != nil {
			rep.Error = err.Error()
			return rep
		}
		rep.PureOK = fmt.Sprint(pure.Heads) == fmt.Sprint(res.Heads)
	} else {
		pure, err := PureReplay(ctx, tr, root, true)
		if err != nil {
			rep.Error = err.Error()
			return rep
		}
		rep.Merged, rep.Language, rep.Converged, rep.PureOK = pure.Text, pure.Language, true, true
	}
	if s.Language == "" {
		rep.Language = ""
	}
	return rep
}
