package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestDurabilitySettings(t *testing.T) {
	cfg, err := LoadConfig(nil, env(nil), nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.LogInterval != time.Second || cfg.SpillPath() != "pairpad-spill" {
		t.Fatalf("defaults: log interval %v, spill %q", cfg.LogInterval, cfg.SpillPath())
	}
	cases := []struct {
		env   map[string]string
		spill string
	}{
		{map[string]string{"DATABASE_URL": "sqlite:/var/lib/pairpad/rooms.db"}, "/var/lib/pairpad/pairpad-spill"},
		{map[string]string{"DATABASE_URL": "postgres://u@h/db"}, "pairpad-spill"},
		{map[string]string{"DATABASE_URL": "sqlite:/x/y.db", "SPILL_DIR": "/spill"}, "/spill"},
	}
	for _, c := range cases {
		cfg, err := LoadConfig(nil, env(c.env), nil, io.Discard)
		if err != nil || cfg.SpillPath() != c.spill {
			t.Errorf("%v: spill %q, %v; want %q", c.env, cfg.SpillPath(), err, c.spill)
		}
	}
	cfg, err = LoadConfig(nil, env(map[string]string{"LOG_INTERVAL": "200ms"}), nil, io.Discard)
	if err != nil || cfg.LogInterval != 200*time.Millisecond {
		t.Fatalf("LOG_INTERVAL=200ms: %v %v", cfg.LogInterval, err)
	}
	for _, bad := range []string{"0s", "1ms", "2m", "often"} {
		if _, err := LoadConfig(nil, env(map[string]string{"LOG_INTERVAL": bad}), nil, io.Discard); err == nil || !strings.Contains(err.Error(), "LOG_INTERVAL") {
			t.Errorf("LOG_INTERVAL=%s: %v", bad, err)
		}
	}
}
