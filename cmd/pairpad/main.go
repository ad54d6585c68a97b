// Command pairpad runs the Pairpad server: REST, the automerge-repo
// WebSocket sync endpoint, autocomplete and the built browser client.
//
// Configuration comes from flags, the environment and an optional .env file
// (see README). SIGINT/SIGTERM stop accepting connections, save every dirty
// room within SHUTDOWN_TIMEOUT (spilling to SPILL_DIR what the database
// does not take), close the database, and exit: 0 when every room is in the
// database, 3 when some are only in SPILL_DIR, 1 when some are lost.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/pairpad/pairpad/api"
	"github.com/pairpad/pairpad/auth"
	"github.com/pairpad/pairpad/persistence"
	pairsync "github.com/pairpad/pairpad/sync"
)

// exitSpilled: shutdown left rooms in SPILL_DIR (safe on local disk, merged
// into the database at the next start) but not in the database.
const exitSpilled = 3

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	cfg, err := LoadConfig(os.Args[1:], os.Getenv, openDotenv(), os.Stderr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pairpad: invalid configuration:\n%v\n", err)
		os.Exit(2)
	}
	if cfg.PprofAddr == "" {
		// Nobody can ask for a heap profile: do not sample allocations for
		// one (the sampler's tables cost ~1.5 MB of RSS).
		runtime.MemProfileRate = 0
	}
	log, err := newLogger(cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pairpad: logger: %v\n", err)
		os.Exit(2)
	}
	defer func() { _ = log.Sync() }()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, log); err != nil {
		log.Error("pairpad stopped with an error", zap.Error(err))
		_ = log.Sync()
		var se *pairsync.ShutdownError
		if errors.As(err, &se) && len(se.Report.Lost) == 0 {
			os.Exit(exitSpilled)
		}
		os.Exit(1)
	}
}

func newLogger(cfg Config) (*zap.Logger, error) {
	level, err := zapcore.ParseLevel(cfg.LogLevel)
	if err != nil {
		return nil, err
	}
	zc := zap.NewProductionConfig()
	if cfg.LogFormat == "console" {
		zc = zap.NewDevelopmentConfig()
		zc.Development = false
		zc.DisableStacktrace = true
	}
	zc.Level = zap.NewAtomicLevelAt(level)
	zc.Sampling = nil
	return zc.Build()
}

// run serves until ctx is cancelled, then shuts down in order: stop
// accepting, close rooms (final saves), close the store.
func run(ctx context.Context, cfg Config, log *zap.Logger) error {
	openCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	store, err := persistence.Open(openCtx, cfg.DatabaseURL, log.Named("db"))
	cancel()
	if err != nil {
		return err
	}
	defer store.Close()

	// Rooms spilled by an earlier run go back into the database first.
	metrics := &pairsync.Metrics{}
	recovered, err := pairsync.RecoverSpills(ctx, store, cfg.SpillPath(), metrics, log.Named("spill"))
	if len(recovered) > 0 {
		log.Info("spilled rooms merged into the database", zap.Strings("rooms", recovered), zap.String("spill_dir", cfg.SpillPath()))
	}
	if err != nil {
		log.Error("some spilled rooms could not be merged; their files stay in the spill directory", zap.String("spill_dir", cfg.SpillPath()), zap.Error(err))
	}

	var broker *pairsync.RedisBroker
	if cfg.RedisURL != "" {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		broker, err = pairsync.NewRedisBroker(rctx, pairsync.RedisOptions{URL: cfg.RedisURL, Prefix: cfg.RedisPrefix, Queue: cfg.RedisQueue, Log: log.Named("redis")})
		cancel()
		if err != nil {
			return err
		}
		defer broker.Close()
		log.Info("scale-out: cooperating with other instances through Redis")
	}
	hubCfg := pairsync.Config{
		FlushInterval: cfg.FlushInterval,
		MaxFrameBytes: cfg.MaxFrameBytes,
		CompactAfter:  cfg.CompactAfter,
		SleepMaxWake:  sleepMaxWake(cfg.SleepMaxWake),
		LogInterval:   cfg.LogInterval,
		SpillDir:      cfg.SpillPath(),
		HeadsInterval: cfg.HeadsInterval,
		HistoryLoads:  cfg.HistoryLoads,
		DriveGrace:    cfg.DriveGrace,
		// issue 9 room limits
		MaxDocBytes:            cfg.MaxDocBytes,
		MaxPeerQueueBytes:      cfg.MaxPeerQueue,
		MaxMemory:              cfg.MaxMemory,
		SyncMaxDocs:            cfg.SyncMaxDocs,
		MaxRemoteSubscriptions: cfg.MaxRemoteSubs,
	}
	if broker != nil {
		hubCfg.Broker = broker
	}
	hub := pairsync.NewHub(hubCfg, store, log.Named("sync"))
	hub.Metrics().SpillsRecovered.Add(metrics.SpillsRecovered.Load())

	complete, err := newAutocomplete(cfg, log.Named("autocomplete"))
	if err != nil {
		return err
	}
	authSvc, err := newAuth(ctx, cfg, store)
	if err != nil {
		return err
	}
	opts := api.Options{
		Hub: hub, Store: store, Log: log.Named("api"),
		Autocomplete: complete, ClientDir: cfg.ClientDir,
		AllowedOrigins: cfg.AllowedOrigins, LoopbackOrigins: loopbackAddr(cfg.Addr),
		Auth: authSvc, Access: cfg.Access, SyncEndpoint: cfg.SyncEndpoint, Version: version,
		Limits: api.Limits{
			ReadTimeout: cfg.HTTPReadTimeout, WriteTimeout: cfg.HTTPWriteTimeout, IdleTimeout: cfg.HTTPIdleTimeout,
			MaxConns: cfg.MaxConns, MaxConnsPerIP: cfg.MaxConnsPerIP, TrustedProxies: cfg.TrustedProxies,
			RoomCreateRate: cfg.RoomCreateRate, RoomCreateBurst: cfg.RoomCreateBurst,
			RoomTTL: cfg.RoomTTL, RoomTTLSweepInterval: cfg.RoomTTLSweepInterval,
		},
		Expirer: store,
	}
	if broker != nil {
		opts.Redis = broker
	}
	srv := api.New(opts)
	warnFileLimit(cfg, log)
	if _, err := os.Stat(cfg.ClientDir); err != nil {
		log.Warn("browser client not found; / will say how to build it", zap.String("client_dir", cfg.ClientDir))
	}

	if cfg.PprofAddr != "" {
		// Opt-in profiling on its own listener, never on the public one.
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		go func() {
			log.Info("pprof listening", zap.String("addr", cfg.PprofAddr))
			if err := http.ListenAndServe(cfg.PprofAddr, mux); err != nil {
				log.Error("pprof listener", zap.Error(err))
			}
		}()
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	httpSrv := srv.HTTPServer()
	serveErr := make(chan error, 1)
	go func() { serveErr <- httpSrv.Serve(srv.WrapListener(ln)) }()
	expiryCtx, stopExpiry := context.WithCancel(ctx)
	defer stopExpiry()
	go srv.RunRoomExpiry(expiryCtx)
	kind, _, _ := persistence.ParseURL(cfg.DatabaseURL)
	log.Info("pairpad listening", zap.String("addr", ln.Addr().String()), zap.String("database", string(kind)),
		zap.String("access", cfg.Access), zap.Bool("app_tokens", cfg.AppTokenSecret != ""),
		zap.Duration("flush_interval", cfg.FlushInterval), zap.String("version", version))

	select {
	case err := <-serveErr:
		if !errors.Is(err, http.ErrServerClosed) {
			_ = hub.Shutdown(context.Background())
			return err
		}
	case <-ctx.Done():
	}
	log.Info("shutting down", zap.Duration("timeout", cfg.ShutdownTimeout))
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	// Stop accepting; WebSockets are hijacked, so Shutdown does not wait
	// for them: the hub closes them with 1001 and saves their rooms.
	_ = ln.Close()
	httpErr := httpSrv.Shutdown(sctx)
	hubErr := hub.Shutdown(sctx)
	if httpErr != nil && !errors.Is(httpErr, context.DeadlineExceeded) {
		log.Warn("http shutdown", zap.Error(httpErr))
	}
	rep := hub.ShutdownReport()
	if len(rep.Saved) > 0 {
		log.Info("rooms saved to the database", zap.Int("count", len(rep.Saved)), zap.Strings("rooms", rep.Saved))
	}
	if len(rep.Spilled) > 0 {
		log.Warn("rooms NOT saved to the database, spilled to disk (merged at the next start)",
			zap.Int("count", len(rep.Spilled)), zap.Strings("rooms", rep.Spilled), zap.String("spill_dir", cfg.SpillPath()))
	}
	if len(rep.Lost) > 0 {
		log.Error("rooms neither saved nor spilled: their unsaved edits are lost",
			zap.Int("count", len(rep.Lost)), zap.Strings("rooms", rep.Lost))
	}
	if hubErr != nil {
		return hubErr
	}
	log.Info("all rooms saved; bye", zap.Int("rooms", len(rep.Saved)))
	return nil
}

// newAuth builds the token service: AUTH_SECRET, or the secret generated at
// first start and kept in the database.
func newAuth(ctx context.Context, cfg Config, store *persistence.GormStore) (*auth.Service, error) {
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	secret, err := auth.LinkSecret(sctx, cfg.AuthSecret, store)
	if err != nil {
		return nil, fmt.Errorf("link token secret: %w", err)
	}
	if cfg.AppTokenSecret != "" && cfg.AppTokenSecret == string(secret) {
		return nil, errors.New("APP_TOKEN_SECRET must differ from the link token secret")
	}
	return auth.NewService(auth.Config{LinkSecret: secret, AppSecret: []byte(cfg.AppTokenSecret), MaxTokenBytes: cfg.MaxTokenBytes}, store)
}

// loopbackAddr says whether ADDR listens on a loopback address only.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// sleepMaxWake maps SLEEP_MAX_WAKE to sync.Config (0: never sleep).
func sleepMaxWake(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}
