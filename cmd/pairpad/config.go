package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap/zapcore"

	"github.com/pairpad/pairpad/api"
	"github.com/pairpad/pairpad/persistence"
)

// Config is everything Pairpad reads at start. Defaults are documented in
// the README's configuration table; Validate says what is wrong.
type Config struct {
	Addr            string        // ADDR, default :8080
	DatabaseURL     string        // DATABASE_URL, default "" (SQLite pairpad.db)
	FlushInterval   time.Duration // FLUSH_INTERVAL, default 60s
	ShutdownTimeout time.Duration // SHUTDOWN_TIMEOUT, default 30s
	CompactAfter    time.Duration // COMPACT_AFTER, default 30s
	SleepMaxWake    time.Duration // SLEEP_MAX_WAKE, default 5ms; 0 off
	LogInterval     time.Duration // LOG_INTERVAL, default 1s
	SpillDir        string        // SPILL_DIR, default "" (see SpillPath)
	RedisURL        string        // REDIS_URL: empty: a single instance; set: instances cooperate through Redis
	RedisQueue      int           // REDIS_QUEUE, default 4096
	RedisPrefix     string        // REDIS_PREFIX, default "pairpad:"
	HeadsInterval   time.Duration // HEADS_INTERVAL, default 2s
	HistoryLoads    int           // HISTORY_LOADS, default 2
	DriveGrace      time.Duration // DRIVE_GRACE, default 2s
	LogLevel        string        // LOG_LEVEL: debug, info, warn, error; default info
	LogFormat       string        // LOG_FORMAT: console or json; default console
	MaxFrameBytes   int64         // MAX_FRAME_BYTES, default 16 MiB
	MaxDocBytes     int64         // MAX_DOC_BYTES, default 1 MiB
	MaxPeerQueue    int64         // MAX_PEER_QUEUE_BYTES, default 8 MiB
	MaxMemory       int64         // MAX_MEMORY, default 1 GiB
	ClientDir       string        // CLIENT_DIR, default client/dist
	AllowedOrigins  []string      // ALLOWED_ORIGINS, comma separated, besides the server's own; "*" any
	Access          string        // ACCESS: links (default) or open
	SyncEndpoint    string        // SYNC_ENDPOINT: off, open or token; empty: open when ACCESS=open, else token
	SyncMaxDocs     int           // SYNC_MAX_DOCS: documents open per /sync socket, default 1000
	MaxRemoteSubs   int           // MAX_REMOTE_SUBSCRIPTIONS: remote-heads subscriptions per connection, default 64
	AuthSecret      string        // AUTH_SECRET: signs link tokens; empty: generated once, kept in the database
	AppTokenSecret  string        // APP_TOKEN_SECRET: verifies application tokens; empty: refused
	MaxTokenBytes   int           // AUTH_MAX_TOKEN_BYTES, default 4096
	PprofAddr       string        // PPROF_ADDR: serve net/http/pprof there (e.g. 127.0.0.1:6060); default off

	AutocompleteURL          string        // AUTOCOMPLETE_URL: OpenAI-compatible server; empty = built-in mock
	AutocompleteModel        string        // AUTOCOMPLETE_MODEL
	AutocompleteAPIKey       string        // AUTOCOMPLETE_API_KEY
	AutocompleteTimeout      time.Duration // AUTOCOMPLETE_TIMEOUT, default 2s
	AutocompleteMaxCodeBytes int64         // AUTOCOMPLETE_MAX_CODE_BYTES, default 1 MiB
	AutocompleteRate         float64       // AUTOCOMPLETE_RATE requests/s per client, default 5
	AutocompleteBurst        int           // AUTOCOMPLETE_BURST, default 10

	HTTPReadTimeout      time.Duration // HTTP_READ_TIMEOUT, default 30s
	HTTPWriteTimeout     time.Duration // HTTP_WRITE_TIMEOUT, default 60s
	HTTPIdleTimeout      time.Duration // HTTP_IDLE_TIMEOUT, default 30s
	MaxConns             int           // MAX_CONNS, default 4096; 0 = no cap
	MaxConnsPerIP        int           // MAX_CONNS_PER_IP, default 128; 0 = no cap
	TrustedProxies       []string      // TRUSTED_PROXIES, comma separated IPs/CIDRs; default none
	RoomCreateRate       float64       // ROOM_CREATE_RATE rooms/s per client, default 0.05; 0 = no limit
	RoomCreateBurst      int           // ROOM_CREATE_BURST, default 10
	RoomTTL              time.Duration // ROOM_TTL, default 90 days; 0 = keep forever
	RoomTTLSweepInterval time.Duration // ROOM_TTL_SWEEP_INTERVAL, default 1h
}

// parseLongDuration is time.ParseDuration that also takes whole days
// ("90d"), for ROOM_TTL.
func parseLongDuration(v string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 100*365 {
			return 0, fmt.Errorf("want a duration such as 90d, 720h or 0")
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("want a duration such as 90d, 720h or 0")
	}
	return d, nil
}

// parseSize reads a byte count: a whole number, optionally followed by KiB,
// MiB or GiB (e.g. 512MiB, 1GiB).
func parseSize(v string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if n, ok := strings.CutSuffix(v, u.suffix); ok {
			v, mult = n, u.mult
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 0 || n > (1<<40)/mult {
		return 0, fmt.Errorf("want a size such as 4096, 512KiB, 2MiB or 1GiB")
	}
	return n * mult, nil
}

// size is a setting parsed by parseSize, at least min bytes.
func size(dst func(*Config) *int64, min int64) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := parseSize(v)
		if err != nil {
			return err
		}
		if n < min {
			return fmt.Errorf("want at least %d bytes", min)
		}
		*dst(c) = n
		return nil
	}
}

// setting is one configuration key: flag name, environment name, default.
type setting struct {
	env, help, def string
	set            func(*Config, string) error
}

func settings() []setting {
	dur := func(dst func(*Config) *time.Duration) func(*Config, string) error {
		return func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("want a Go duration such as 60s or 1m30s")
			}
			if d <= 0 {
				return fmt.Errorf("must be positive")
			}
			*dst(c) = d
			return nil
		}
	}
	count := func(dst func(*Config) *int) func(*Config, string) error {
		return func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 1<<24 {
				return fmt.Errorf("want a whole number from 0 (no cap) to 16777216")
			}
			*dst(c) = n
			return nil
		}
	}
	return []setting{
		{"ADDR", "listen address", ":8080", func(c *Config, v string) error {
			if !strings.Contains(v, ":") {
				return fmt.Errorf("want host:port or :port")
			}
			c.Addr = v
			return nil
		}},
		{"DATABASE_URL", "empty: SQLite file pairpad.db; sqlite:PATH; postgres://…", "", func(c *Config, v string) error {
			if _, _, err := persistence.ParseURL(v); err != nil {
				return err
			}
			c.DatabaseURL = v
			return nil
		}},
		{"FLUSH_INTERVAL", "how often dirty rooms are saved", "60s", dur(func(c *Config) *time.Duration { return &c.FlushInterval })},
		{"SHUTDOWN_TIMEOUT", "time allowed to save rooms on SIGINT/SIGTERM", "30s", dur(func(c *Config) *time.Duration { return &c.ShutdownTimeout })},
		{"COMPACT_AFTER", "idle time after which a room's document is compacted in memory", "30s", dur(func(c *Config) *time.Duration { return &c.CompactAfter })},
		{"SLEEP_MAX_WAKE", "an idle room whose document reloads in at most this drops it until the next message (0: never)", "5ms", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 || d > 10*time.Second {
				return fmt.Errorf("want a Go duration from 0 (off) to 10s, such as 5ms")
			}
			c.SleepMaxWake = d
			return nil
		}},
		{"LOG_INTERVAL", "how often a dirty room's changes are appended to the database's change log", "1s", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < 10*time.Millisecond || d > time.Minute {
				return fmt.Errorf("want a Go duration from 10ms to 1m, such as 1s or 200ms")
			}
			c.LogInterval = d
			return nil
		}},
		{"SPILL_DIR", "where rooms that cannot be saved are written; empty: pairpad-spill beside the SQLite file (PostgreSQL: in the working directory)", "", func(c *Config, v string) error {
			c.SpillDir = v
			return nil
		}},
		{"REDIS_URL", "empty: a single instance; redis://HOST:PORT/DB: several instances sharing a PostgreSQL database serve the same rooms", "", func(c *Config, v string) error {
			if v != "" && !strings.HasPrefix(v, "redis://") && !strings.HasPrefix(v, "rediss://") && !strings.HasPrefix(v, "unix://") {
				return fmt.Errorf("want redis://HOST:PORT/DB, rediss://… or unix://…")
			}
			c.RedisURL = v
			return nil
		}},
		{"REDIS_PREFIX", "with REDIS_URL: start of every Redis channel name; instances that serve the same rooms must share it, separate deployments on one Redis must not", "pairpad:", func(c *Config, v string) error {
			if v == "" || len(v) > 64 || strings.ContainsAny(v, " \t\r\n*?[]") {
				return fmt.Errorf("want 1 to 64 characters without spaces or glob characters (*?[]), such as pairpad:")
			}
			c.RedisPrefix = v
			return nil
		}},
		{"REDIS_QUEUE", "messages waiting to be published to Redis; over it they are dropped (the heads exchange repairs them)", "4096", func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1<<20 {
				return fmt.Errorf("want a whole number from 1 to 1048576")
			}
			c.RedisQueue = n
			return nil
		}},
		{"HEADS_INTERVAL", "with REDIS_URL: how often each active room publishes its heads so instances fetch what pub/sub lost", "2s", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < 10*time.Millisecond || d > time.Minute {
				return fmt.Errorf("want a Go duration from 10ms to 1m, such as 2s")
			}
			c.HeadsInterval = d
			return nil
		}},
		{"DRIVE_GRACE", "driver mode: how long after the keyboard changes hands edits typed before it (still in flight) are accepted from anyone who may edit", "2s", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < time.Millisecond || d > time.Minute {
				return fmt.Errorf("want a Go duration from 1ms to 1m, such as 2s")
			}
			c.DriveGrace = d
			return nil
		}},
		{"HISTORY_LOADS", "rooms not in memory loaded at once into temporary documents for the history endpoints and imports (others wait)", "2", func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 64 {
				return fmt.Errorf("want a whole number from 1 to 64")
			}
			c.HistoryLoads = n
			return nil
		}},
		{"LOG_LEVEL", "debug, info, warn or error", "info", func(c *Config, v string) error {
			if _, err := zapcore.ParseLevel(v); err != nil || v == "" {
				return fmt.Errorf("want debug, info, warn or error")
			}
			c.LogLevel = strings.ToLower(v)
			return nil
		}},
		{"LOG_FORMAT", "console or json", "console", func(c *Config, v string) error {
			if v != "console" && v != "json" {
				return fmt.Errorf("want console or json")
			}
			c.LogFormat = v
			return nil
		}},
		{"MAX_FRAME_BYTES", "largest WebSocket frame accepted", strconv.Itoa(16 << 20), func(c *Config, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1024 || n > 1<<30 {
				return fmt.Errorf("want a whole number of bytes from 1024 to 1073741824")
			}
			c.MaxFrameBytes = n
			return nil
		}},
		{"MAX_DOC_BYTES", "largest room document (characters of text plus the language); a change over it is refused with 4507", "1MiB",
			size(func(c *Config) *int64 { return &c.MaxDocBytes }, 1024)},
		{"MAX_PEER_QUEUE_BYTES", "bytes queued for one peer before it is closed as a slow consumer (4408)", "8MiB",
			size(func(c *Config) *int64 { return &c.MaxPeerQueue }, 64<<10)},
		{"MAX_MEMORY", "memory budget for loaded rooms (estimated); over it, opening another room gets 503; 0: no budget", "1GiB", func(c *Config, v string) error {
			n, err := parseSize(v)
			if err != nil {
				return err
			}
			if n > 0 && n < 16<<20 {
				return fmt.Errorf("want 0 (no budget) or at least 16MiB")
			}
			c.MaxMemory = n
			if n == 0 {
				c.MaxMemory = -1 // the hub's "no budget"
			}
			return nil
		}},
		{"CLIENT_DIR", "directory of the built browser client", "client/dist", func(c *Config, v string) error {
			c.ClientDir = v
			return nil
		}},
		{"ALLOWED_ORIGINS", "comma-separated browser origins allowed to open WebSockets besides the server's own (and localhost when ADDR is loopback); * allows any", "", func(c *Config, v string) error {
			c.AllowedOrigins = nil
			for _, o := range strings.Split(v, ",") {
				if o = strings.TrimSpace(o); o != "" {
					if o != "*" && !strings.HasPrefix(o, "http://") && !strings.HasPrefix(o, "https://") {
						return fmt.Errorf("origin %q: want scheme://host[:port], e.g. https://pairpad.example.com, or *", o)
					}
					c.AllowedOrigins = append(c.AllowedOrigins, strings.TrimSuffix(o, "/"))
				}
			}
			return nil
		}},
		{"ACCESS", "links: every room needs a token; open: the room id alone gives editor rights", "links", func(c *Config, v string) error {
			if v != "links" && v != "open" {
				return fmt.Errorf("want links or open")
			}
			c.Access = v
			return nil
		}},
		{"SYNC_ENDPOINT", "GET /sync (automerge-repo sync server): off, open (anyone opens and creates documents) or token; default open when ACCESS=open, else token", "", func(c *Config, v string) error {
			if v != "" && v != "off" && v != "open" && v != "token" {
				return fmt.Errorf("want off, open or token")
			}
			c.SyncEndpoint = v
			return nil
		}},
		{"SYNC_MAX_DOCS", "documents one /sync socket may have open at once (more are refused one by one)", "1000", func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return fmt.Errorf("want a positive number")
			}
			c.SyncMaxDocs = n
			return nil
		}},
		{"MAX_REMOTE_SUBSCRIPTIONS", "storage ids one connection may subscribe to for remote-heads gossip (more are ignored)", "64", func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return fmt.Errorf("want a positive number")
			}
			c.MaxRemoteSubs = n
			return nil
		}},
		{"AUTH_SECRET", "secret (32+ characters) that signs link tokens; empty: generated at first start and kept in the database", "", func(c *Config, v string) error {
			if v != "" && len(v) < 32 {
				return fmt.Errorf("want at least 32 characters (e.g. openssl rand -hex 32)")
			}
			c.AuthSecret = v
			return nil
		}},
		{"APP_TOKEN_SECRET", "secret (32+ characters) with which an embedding application signs its own tokens; empty: application tokens refused", "", func(c *Config, v string) error {
			if v != "" && len(v) < 32 {
				return fmt.Errorf("want at least 32 characters (e.g. openssl rand -hex 32)")
			}
			c.AppTokenSecret = v
			return nil
		}},
		{"AUTH_MAX_TOKEN_BYTES", "longest token accepted", "4096", func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 256 || n > 65536 {
				return fmt.Errorf("want a whole number of bytes from 256 to 65536")
			}
			c.MaxTokenBytes = n
			return nil
		}},
		{"PPROF_ADDR", "serve Go profiles (net/http/pprof) on this address; empty: off", "", func(c *Config, v string) error {
			if v != "" && !strings.Contains(v, ":") {
				return fmt.Errorf("want host:port, e.g. 127.0.0.1:6060")
			}
			c.PprofAddr = v
			return nil
		}},
		{"AUTOCOMPLETE_URL", "OpenAI-compatible completions server; empty uses the built-in mock", "", func(c *Config, v string) error {
			if v != "" && !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://") {
				return fmt.Errorf("want an http:// or https:// URL")
			}
			c.AutocompleteURL = v
			return nil
		}},
		{"AUTOCOMPLETE_MODEL", "model name sent to AUTOCOMPLETE_URL", "", func(c *Config, v string) error { c.AutocompleteModel = v; return nil }},
		{"AUTOCOMPLETE_API_KEY", "bearer token for AUTOCOMPLETE_URL", "", func(c *Config, v string) error { c.AutocompleteAPIKey = v; return nil }},
		{"AUTOCOMPLETE_TIMEOUT", "time allowed to AUTOCOMPLETE_URL before the mock answers", "2s", dur(func(c *Config) *time.Duration { return &c.AutocompleteTimeout })},
		{"AUTOCOMPLETE_MAX_CODE_BYTES", "largest code accepted by /autocomplete", strconv.Itoa(1 << 20), func(c *Config, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1 {
				return fmt.Errorf("want a positive whole number of bytes")
			}
			c.AutocompleteMaxCodeBytes = n
			return nil
		}},
		{"AUTOCOMPLETE_RATE", "autocomplete requests per second per client", "5", func(c *Config, v string) error {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f <= 0 {
				return fmt.Errorf("want a positive number")
			}
			c.AutocompleteRate = f
			return nil
		}},
		{"HTTP_READ_TIMEOUT", "time allowed to read a whole HTTP request, body included", "30s", dur(func(c *Config) *time.Duration { return &c.HTTPReadTimeout })},
		{"HTTP_WRITE_TIMEOUT", "time allowed to write an HTTP response (not WebSockets)", "60s", dur(func(c *Config) *time.Duration { return &c.HTTPWriteTimeout })},
		{"HTTP_IDLE_TIMEOUT", "how long an idle keep-alive connection is kept", "30s", dur(func(c *Config) *time.Duration { return &c.HTTPIdleTimeout })},
		{"MAX_CONNS", "open TCP connections (WebSockets included) before new ones get 503; 0: no cap", "4096", count(func(c *Config) *int { return &c.MaxConns })},
		{"MAX_CONNS_PER_IP", "open connections per client address before new ones get 503; 0: no cap", "128", count(func(c *Config) *int { return &c.MaxConnsPerIP })},
		{"TRUSTED_PROXIES", "comma-separated proxy IPs/CIDRs whose X-Forwarded-For/X-Real-IP are believed; empty: none", "", func(c *Config, v string) error {
			c.TrustedProxies = nil
			for _, p := range strings.Split(v, ",") {
				if p = strings.TrimSpace(p); p != "" {
					c.TrustedProxies = append(c.TrustedProxies, p)
				}
			}
			return api.ParseTrustedProxies(c.TrustedProxies)
		}},
		{"ROOM_CREATE_RATE", "rooms a client address may create per second (sustained); 0: no limit", "0.05", func(c *Config, v string) error {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
				return fmt.Errorf("want a number ≥ 0, e.g. 0.05 (3 a minute)")
			}
			c.RoomCreateRate = f
			return nil
		}},
		{"ROOM_CREATE_BURST", "rooms a client address may create at once", "10", func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return fmt.Errorf("want a positive whole number")
			}
			c.RoomCreateBurst = n
			return nil
		}},
		{"ROOM_TTL", "delete rooms nobody has opened for this long (e.g. 90d, 720h); 0: keep forever", "90d", func(c *Config, v string) error {
			d, err := parseLongDuration(v)
			if err != nil {
				return err
			}
			if d > 0 && d < time.Hour {
				return fmt.Errorf("want 0 (keep forever) or at least 1h")
			}
			c.RoomTTL = d
			return nil
		}},
		{"ROOM_TTL_SWEEP_INTERVAL", "how often rooms past ROOM_TTL are looked for", "1h", dur(func(c *Config) *time.Duration { return &c.RoomTTLSweepInterval })},
		{"AUTOCOMPLETE_BURST", "autocomplete burst per client", "10", func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return fmt.Errorf("want a positive whole number")
			}
			c.AutocompleteBurst = n
			return nil
		}},
	}
}

// SpillPath is SPILL_DIR, or its default: pairpad-spill beside the SQLite
// file, or in the working directory for PostgreSQL.
func (c Config) SpillPath() string {
	if c.SpillDir != "" {
		return c.SpillDir
	}
	if kind, dsn, err := persistence.ParseURL(c.DatabaseURL); err == nil && kind == persistence.SQLite {
		return filepath.Join(filepath.Dir(dsn), "pairpad-spill")
	}
	return "pairpad-spill"
}

// flagName maps FLUSH_INTERVAL to -flush-interval.
func flagName(env string) string { return strings.ToLower(strings.ReplaceAll(env, "_", "-")) }

// LoadConfig reads defaults, then the .env file (if present), then the
// environment, then flags; each later source wins.
func LoadConfig(args []string, getenv func(string) string, dotenv io.Reader, stderr io.Writer) (Config, error) {
	var cfg Config
	sets := settings()
	values := map[string]string{}
	for _, s := range sets {
		values[s.env] = s.def
	}
	if dotenv != nil {
		fileVals, err := parseDotenv(dotenv)
		if err != nil {
			return cfg, fmt.Errorf(".env: %w", err)
		}
		for k, v := range fileVals {
			if _, ok := values[k]; ok {
				values[k] = v
			}
		}
	}
	for _, s := range sets {
		if v, ok := lookup(getenv, s.env); ok {
			values[s.env] = v
		}
	}
	fs := flag.NewFlagSet("pairpad", flag.ContinueOnError)
	fs.SetOutput(stderr)
	flagVals := map[string]*string{}
	for _, s := range sets {
		flagVals[s.env] = fs.String(flagName(s.env), values[s.env], s.help+" (env "+s.env+")")
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var errs []error
	for _, s := range sets {
		if err := s.set(&cfg, *flagVals[s.env]); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", s.env, redactValue(s.env, *flagVals[s.env]), err))
		}
	}
	if cfg.RedisURL != "" {
		if kind, _, err := persistence.ParseURL(cfg.DatabaseURL); err == nil && kind != persistence.Postgres {
			errs = append(errs, errors.New("REDIS_URL needs DATABASE_URL=postgres://…: instances serving the same rooms must share one database, and SQLite is one instance's file; unset REDIS_URL to run a single instance on SQLite"))
		}
	}
	if cfg.AppTokenSecret != "" && cfg.AppTokenSecret == cfg.AuthSecret {
		errs = append(errs, errors.New("APP_TOKEN_SECRET must differ from AUTH_SECRET"))
	}
	return cfg, errors.Join(errs...)
}

func lookup(getenv func(string) string, key string) (string, bool) {
	v := getenv(key)
	return v, v != ""
}

func redactValue(key, v string) string {
	if strings.Contains(key, "SECRET") {
		return "***"
	}
	if strings.Contains(key, "KEY") || strings.Contains(key, "DATABASE_URL") || key == "REDIS_URL" {
		if at := strings.Index(v, "@"); at > 0 {
			return "…" + v[at:]
		}
		if strings.Contains(key, "KEY") {
			return "***"
		}
	}
	return v
}

// parseDotenv reads KEY=VALUE lines; # starts a comment; values may be
// quoted with ' or ".
func parseDotenv(r io.Reader) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("line %d: want KEY=VALUE", n)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
			v = v[1 : len(v)-1]
		}
		out[k] = v
	}
	return out, sc.Err()
}

func openDotenv() io.Reader {
	f, err := os.Open(".env")
	if err != nil {
		return nil
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return nil
	}
	return strings.NewReader(string(b))
}
