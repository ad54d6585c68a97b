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
