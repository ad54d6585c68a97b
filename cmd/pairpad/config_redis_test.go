package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestRedisSettings(t *testing.T) {
	cfg, err := LoadConfig(nil, env(nil), nil, io.Discard)
	if err != nil || cfg.RedisURL != "" || cfg.HeadsInterval != 2*time.Second || cfg.RedisQueue != 4096 || cfg.RedisPrefix != "pairpad:" {
		t.Fatalf("defaults: %+v %v", cfg, err)
	}
	_, err = LoadConfig(nil, env(map[string]string{"REDIS_URL": "redis://127.0.0.1:6379/0"}), nil, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "REDIS_URL needs DATABASE_URL=postgres://") {
		t.Fatalf("REDIS_URL with SQLite: %v, want a refusal naming DATABASE_URL", err)
	}
	cfg, err = LoadConfig(nil, env(map[string]string{"REDIS_URL": "redis://:secret@127.0.0.1:6379/0", "DATABASE_URL": "postgres://u@h/db", "HEADS_INTERVAL": "500ms"}), nil, io.Discard)
	if err != nil || cfg.RedisURL == "" || cfg.HeadsInterval != 500*time.Millisecond {
		t.Fatalf("REDIS_URL with PostgreSQL: %+v %v", cfg, err)
	}
	cfg, err = LoadConfig(nil, env(map[string]string{"REDIS_PREFIX": "team-a:"}), nil, io.Discard)
	if err != nil || cfg.RedisPrefix != "team-a:" {
		t.Fatalf("REDIS_PREFIX: %q %v", cfg.RedisPrefix, err)
	}
	for _, bad := range []string{"a b", "x*", strings.Repeat("p", 65)} {
		if _, err := LoadConfig(nil, env(map[string]string{"REDIS_PREFIX": bad}), nil, io.Discard); err == nil || !strings.Contains(err.Error(), "REDIS_PREFIX") {
			t.Fatalf("REDIS_PREFIX=%q: %v, want an error naming it", bad, err)
		}
	}
	_, err = LoadConfig(nil, env(map[string]string{"REDIS_URL": "http://:secret@x", "DATABASE_URL": "postgres://u@h/db"}), nil, io.Discard)
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Fatalf("bad REDIS_URL: %v (want an error that does not echo the password)", err)
	}
}
