package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestConfigDefaults(t *testing.T) {
	cfg, err := LoadConfig(nil, env(nil), nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != ":8080" || cfg.DatabaseURL != "" || cfg.FlushInterval != 60*time.Second || cfg.ShutdownTimeout != 30*time.Second ||
		cfg.LogLevel != "info" || cfg.MaxFrameBytes != 16<<20 || cfg.ClientDir != "client/dist" || cfg.AutocompleteTimeout != 2*time.Second {
		t.Fatalf("defaults: %+v", cfg)
	}
}

func TestConfigPrecedence(t *testing.T) {
	dotenv := strings.NewReader("# comment\nFLUSH_INTERVAL=5s\nexport LOG_LEVEL=\"debug\"\nADDR=:9000\nUNRELATED=1\n")
	cfg, err := LoadConfig([]string{"-addr", "127.0.0.1:7000"}, env(map[string]string{"FLUSH_INTERVAL": "2s", "ALLOWED_ORIGINS": "http://a, http://b"}), dotenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:7000" || cfg.FlushInterval != 2*time.Second || cfg.LogLevel != "debug" || len(cfg.AllowedOrigins) != 2 {
		t.Fatalf("precedence: %+v", cfg)
	}
}

func TestConfigErrorsNameTheSetting(t *testing.T) {
	cases := map[string]string{
		"FLUSH_INTERVAL":   "soon",
		"SHUTDOWN_TIMEOUT": "-1s",
		"LOG_LEVEL":        "loud",
		"ADDR":             "8080",
		"DATABASE_URL":     "mysql://root:hunter2@db/x",
		"MAX_FRAME_BYTES":  "12",
		"AUTOCOMPLETE_URL": "ftp://x",
		"LOG_FORMAT":       "xml",

		"HTTP_READ_TIMEOUT":       "0s",
		"HTTP_WRITE_TIMEOUT":      "later",
		"HTTP_IDLE_TIMEOUT":       "-5s",
		"MAX_CONNS":               "-1",
		"MAX_CONNS_PER_IP":        "lots",
		"TRUSTED_PROXIES":         "10.0.0.0/8, proxy.local",
		"ROOM_CREATE_RATE":        "-1",
		"ROOM_CREATE_BURST":       "0",
		"ROOM_TTL":                "10m",
		"ROOM_TTL_SWEEP_INTERVAL": "0s",
	}
	for key, val := range cases {
		_, err := LoadConfig(nil, env(map[string]string{key: val}), nil, io.Discard)
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s=%s: error %v does not name it", key, val, err)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error leaks a password: %v", err)
		}
	}
	if _, err := LoadConfig(nil, env(nil), strings.NewReader("no equals sign\n"), io.Discard); err == nil || !strings.Contains(err.Error(), ".env") {
		t.Errorf("bad .env: %v", err)
	}
	if _, err := LoadConfig([]string{"extra"}, env(nil), nil, io.Discard); err == nil {
		t.Error("stray argument accepted")
	}
}

func TestConfigLimits(t *testing.T) {
	cfg, err := LoadConfig(nil, env(nil), nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTPReadTimeout != 30*time.Second || cfg.HTTPWriteTimeout != 60*time.Second || cfg.HTTPIdleTimeout != 30*time.Second ||
		cfg.MaxConns != 4096 || cfg.MaxConnsPerIP != 128 || cfg.TrustedProxies != nil || cfg.RoomCreateRate != 0.05 ||
		cfg.RoomCreateBurst != 10 || cfg.RoomTTL != 90*24*time.Hour || cfg.RoomTTLSweepInterval != time.Hour {
		t.Fatalf("limit defaults: %+v", cfg)
	}
	cfg, err = LoadConfig(nil, env(map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.7,::1", "ROOM_TTL": "0",
		"MAX_CONNS": "0", "ROOM_CREATE_RATE": "0"}), nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.TrustedProxies) != 3 || cfg.RoomTTL != 0 || cfg.MaxConns != 0 || cfg.RoomCreateRate != 0 {
		t.Fatalf("limits: %+v", cfg)
	}
	if cfg, err = LoadConfig(nil, env(map[string]string{"ROOM_TTL": "720h"}), nil, io.Discard); err != nil || cfg.RoomTTL != 30*24*time.Hour {
		t.Fatalf("ROOM_TTL=720h: %v %v", cfg.RoomTTL, err)
	}
}

func TestSizeSettings(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{{"4096", 4096, true}, {"512KiB", 512 << 10, true}, {"2MiB", 2 << 20, true}, {"1GiB", 1 << 30, true},
		{"-1", 0, false}, {"1.5MiB", 0, false}, {"MiB", 0, false}, {"10TiB", 0, false}} {
		got, err := parseSize(c.in)
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("parseSize(%q) = %d, %v", c.in, got, err)
		}
	}
}

func TestRoomLimitSettings(t *testing.T) {
	cfg, err := LoadConfig(nil, env(nil), nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxDocBytes != 1<<20 || cfg.MaxPeerQueue != 8<<20 || cfg.MaxMemory != 1<<30 {
		t.Fatalf("room limit defaults: doc %d queue %d memory %d", cfg.MaxDocBytes, cfg.MaxPeerQueue, cfg.MaxMemory)
	}
	cfg, err = LoadConfig(nil, env(map[string]string{"MAX_DOC_BYTES": "4MiB", "MAX_PEER_QUEUE_BYTES": "1MiB", "MAX_MEMORY": "512MiB"}), nil, io.Discard)
	if err != nil || cfg.MaxDocBytes != 4<<20 || cfg.MaxPeerQueue != 1<<20 || cfg.MaxMemory != 512<<20 {
		t.Fatalf("room limits: %+v %v", cfg, err)
	}
	if cfg, err = LoadConfig(nil, env(map[string]string{"MAX_MEMORY": "0"}), nil, io.Discard); err != nil || cfg.MaxMemory >= 0 {
		t.Fatalf("MAX_MEMORY=0 is no budget: %d %v", cfg.MaxMemory, err)
	}
	for k, v := range map[string]string{"MAX_DOC_BYTES": "12", "MAX_MEMORY": "1MiB", "MAX_PEER_QUEUE_BYTES": "lots"} {
		if _, err := LoadConfig(nil, env(map[string]string{k: v}), nil, io.Discard); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: %v", k, v, err)
		}
	}
}
