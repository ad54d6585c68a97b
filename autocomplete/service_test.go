package autocomplete

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

func TestByteOffset(t *testing.T) {
	t.Parallel()
	s := "aé😀b" // a:1 byte/1 unit, é:2/1, 😀:4/2, b:1/1
	for _, c := range []struct {
		cu, off, snapped int
		ok               bool
	}{
		{0, 0, 0, true}, {1, 1, 1, true}, {2, 3, 2, true}, {3, 3, 2, true}, {4, 7, 4, true},
		{5, 8, 5, true}, {6, 8, 5, false}, {-1, 0, 0, false},
	} {
		off, snapped, ok := byteOffset(s, c.cu)
		if off != c.off || snapped != c.snapped || ok != c.ok {
			t.Errorf("byteOffset(%d) = %d, %d, %v; want %d, %d, %v", c.cu, off, snapped, ok, c.off, c.snapped, c.ok)
		}
	}
	long := strings.Repeat("abcdefgh", 10) + "😀" + "xyz"
	if off, _, ok := byteOffset(long, 83); !ok || off != 85 {
		t.Errorf("long: got %d %v, want 85 true", off, ok)
	}
	if n := utf16Len(long); n != 85 {
		t.Errorf("utf16Len = %d, want 85", n)
	}
}

func newTestService(t *testing.T, cfg Config) *Service {
	t.Helper()
	s, err := NewService(cfg, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestServiceValidation(t *testing.T) {
	t.Parallel()
	s := newTestService(t, Config{MaxCodeBytes: 10, Burst: 1000})
	for _, c := range []struct {
		name  string
		req   Request
		field string
		large bool
	}{
		{"negative cursor", Request{Code: "abc", Cursor: -1, Language: "go"}, "cursor", false},
		{"cursor past end", Request{Code: "abc", Cursor: 4, Language: "go"}, "cursor", false},
		{"cursor past end in UTF-16", Request{Code: "😀", Cursor: 3, Language: "go"}, "cursor", false},
		{"negative max", Request{Code: "abc", Cursor: 1, Language: "go", Max: -1}, "max", false},
		{"missing language", Request{Code: "abc", Cursor: 1}, "language", false},
		{"long language", Request{Code: "abc", Cursor: 1, Language: strings.Repeat("x", 40)}, "language", false},
		{"long room id", Request{Code: "abc", Cursor: 1, Language: "go", RoomID: strings.Repeat("r", 300)}, "room_id", false},
		{"too large", Request{Code: strings.Repeat("x", 11), Cursor: 1, Language: "go"}, "", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Complete(context.Background(), "k", c.req)
			if c.large {
				if !errors.Is(err, ErrTooLarge) {
					t.Fatalf("err = %v, want ErrTooLarge", err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != c.field {
				t.Fatalf("err = %v, want FieldError on %q", err, c.field)
			}
		})
	}
}

func TestServiceResponse(t *testing.T) {
	t.Parallel()
	s := newTestService(t, Config{MaxSuggestions: 2})
	code := "aa1 aa2 aa3 aa4\naa"
	resp, err := s.Complete(context.Background(), "k", Request{Code: code, Cursor: len(code), Language: "go", Max: 9})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Engine != "mock" || len(resp.Suggestions) != 2 || resp.TookMS < 0 {
		t.Fatalf("resp = %+v, want mock with 2 suggestions", resp)
	}
	resp, err = s.Complete(context.Background(), "k", Request{Code: "", Cursor: 0, Language: "go"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(resp)
	if !strings.Contains(string(b), `"suggestions":[]`) {
		t.Fatalf("empty suggestions marshal as %s", b)
	}
}

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	for _, cfg := range []Config{{Timeout: -1}, {MaxCodeBytes: -1}, {MaxSuggestions: -1}, {RatePerSecond: -1}, {Burst: -1},
		{URL: "localhost:8080"}, {URL: "ftp://x"}} {
		if _, err := NewService(cfg, nil); err == nil {
			t.Errorf("NewService(%+v): want an error", cfg)
		}
	}
	s := newTestService(t, Config{})
	got := s.Config()
	if got.Timeout != 2*time.Second || got.MaxCodeBytes != 1<<20 || got.MaxSuggestions != 5 || got.RatePerSecond != 5 || got.Burst != 10 {
		t.Fatalf("defaults = %+v", got)
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	s := newTestService(t, Config{RatePerSecond: 1, Burst: 2})
	req := Request{Code: "x", Cursor: 1, Language: "go"}
	for i := range 2 {
		if _, err := s.Complete(context.Background(), "a", req); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	_, err := s.Complete(context.Background(), "a", req)
	var rl *RateLimitError
	if !errors.As(err, &rl) || rl.RetryAfter <= 0 || rl.RetryAfter > time.Second {
		t.Fatalf("third request: err = %v, want RateLimitError with 0 < RetryAfter <= 1s", err)
	}
	if _, err := s.Complete(context.Background(), "b", req); err != nil {
		t.Fatalf("another client is limited separately: %v", err)
	}
}

// fakeModel is an OpenAI-compatible completions server for tests.
func fakeModel(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestOpenAIEngine(t *testing.T) {
	t.Parallel()
	var gotAuth, gotPath atomic.Value
	var gotBody atomic.Value
	url := fakeModel(t, func(w http.ResponseWriter, r *http.Request) {
		gotAuth.Store(r.Header.Get("Authorization"))
		gotPath.Store(r.URL.Path)
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		gotBody.Store(body)
		_, _ = w.Write([]byte(`{"choices":[{"text":"return n\n\n"},{"text":"   "},{"text":"pass"}]}`))
	})
	e := NewOpenAI(url, "qwen", "sekret", nil)
	code := "def f(n):\n    "
	got, err := e.Complete(context.Background(), Request{Code: code, Cursor: len(code), Language: "python"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Text != "return n" || got[0].Kind != KindModel || got[1].Text != "pass" {
		t.Fatalf("suggestions = %+v", got)
	}
	if gotAuth.Load() != "Bearer sekret" || gotPath.Load() != "/v1/completions" {
		t.Fatalf("auth %v path %v", gotAuth.Load(), gotPath.Load())
	}
	body := gotBody.Load().(map[string]any)
	if body["model"] != "qwen" || body["prompt"] != code {
		t.Fatalf("request body = %v", body)
	}
	if e2 := NewOpenAI(url+"/v1/", "", "", nil); e2.endpoint != url+"/v1/completions" {
		t.Fatalf("base URL ending in /v1: endpoint %s", e2.endpoint)
	}
}

func TestServiceFallsBackToMock(t *testing.T) {
	t.Parallel()
	code := "def fibonacci(n):\n    "
	req := Request{Code: code, Cursor: len(code), Language: "python"}
	cases := []struct {
		name    string
		handler http.HandlerFunc
		engine  string
		first   string
	}{
		{"success", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"choices":[{"text":"return 42"}]}`))
		}, "openai", "return 42"},
		{"non-200", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "model not loaded", http.StatusServiceUnavailable)
		}, "mock", "if n < 2:"},
		{"malformed JSON", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"choices":[{"text":`))
		}, "mock", "if n < 2:"},
		{"no choices", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"error":"x"}`))
		}, "mock", "if n < 2:"},
		{"timeout", func(w http.ResponseWriter, r *http.Request) {
			// Reading the body lets the server notice the client hanging up.
			_, _ = io.Copy(io.Discard, r.Body)
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}, "mock", "if n < 2:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			core, logs := observer.New(zap.WarnLevel)
			s, err := NewService(Config{URL: fakeModel(t, c.handler), Timeout: 50 * time.Millisecond}, zap.New(core))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := s.Complete(context.Background(), "k", req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Engine != c.engine || len(resp.Suggestions) == 0 || !strings.HasPrefix(resp.Suggestions[0].Text, c.first) {
				t.Fatalf("resp = %+v, want engine %s first %q", resp, c.engine, c.first)
			}
			fellBack := logs.FilterMessage("autocomplete engine failed; falling back").Len()
			if want := map[bool]int{true: 1, false: 0}[c.engine == "mock"]; fellBack != want {
				t.Fatalf("fallback logged %d times, want %d", fellBack, want)
			}
		})
	}
}

func TestServiceCallerGone(t *testing.T) {
	t.Parallel()
	s := newTestService(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Complete(ctx, "k", Request{Code: "x", Cursor: 0, Language: "go"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
