package main

import (
	"io"
	"strings"
	"testing"
)

func TestConfigAccessSettings(t *testing.T) {
	cfg, err := LoadConfig(nil, env(nil), nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Access != "links" || cfg.AuthSecret != "" || cfg.AppTokenSecret != "" || cfg.MaxTokenBytes != 4096 || cfg.AllowedOrigins != nil {
		t.Fatalf("access defaults: %+v", cfg)
	}
	secret := strings.Repeat("s", 32)
	cfg, err = LoadConfig(nil, env(map[string]string{"ACCESS": "open", "AUTH_SECRET": secret, "APP_TOKEN_SECRET": secret + "x",
		"ALLOWED_ORIGINS": "https://a.example/, *"}), nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Access != "open" || cfg.AuthSecret != secret || len(cfg.AllowedOrigins) != 2 || cfg.AllowedOrigins[0] != "https://a.example" {
		t.Fatalf("access settings: %+v", cfg)
	}
	bad := map[string]map[string]string{
		"ACCESS":               {"ACCESS": "closed"},
		"AUTH_SECRET":          {"AUTH_SECRET": "short-hunter2"},
		"APP_TOKEN_SECRET":     {"APP_TOKEN_SECRET": "short-hunter2"},
		"AUTH_MAX_TOKEN_BYTES": {"AUTH_MAX_TOKEN_BYTES": "10"},
		"ALLOWED_ORIGINS":      {"ALLOWED_ORIGINS": "a.example"},
	}
	for key, vals := range bad {
		_, err := LoadConfig(nil, env(vals), nil, io.Discard)
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%v: error %v does not name %s", vals, err, key)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error leaks a secret: %v", err)
		}
	}
	if _, err := LoadConfig(nil, env(map[string]string{"AUTH_SECRET": secret, "APP_TOKEN_SECRET": secret}), nil, io.Discard); err == nil {
		t.Errorf("equal secrets accepted")
	}
}

func TestLoopbackAddr(t *testing.T) {
	for addr, want := range map[string]bool{"127.0.0.1:8080": true, "localhost:1": true, "[::1]:80": true, ":8080": false, "0.0.0.0:80": false, "10.0.0.1:80": false} {
		if got := loopbackAddr(addr); got != want {
			t.Errorf("loopbackAddr(%q) = %v", addr, got)
		}
	}
}
