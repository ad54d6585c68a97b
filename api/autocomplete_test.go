package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/pairpad/pairpad/autocomplete"
)

func newAutocompleteRouter(t *testing.T, cfg autocomplete.Config, maxBody int64) *gin.Engine {
	t.Helper()
	gin.SetMode(gin.TestMode)
	svc, err := autocomplete.NewService(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	r.POST("/autocomplete", AutocompleteHandler(svc, maxBody))
	return r
}

func postAutocomplete(r http.Handler, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/autocomplete", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = "192.0.2.1:1234"
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	return w
}

type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func TestAutocompleteHandlerBadInput(t *testing.T) {
	t.Parallel()
	r := newAutocompleteRouter(t, autocomplete.Config{MaxCodeBytes: 64, Burst: 1000}, 512)
	cases := []struct {
		name, body string
		status     int
		code       string
		mention    string // the message must contain this
	}{
		{"empty body", ``, 400, "invalid_json", "empty"},
		{"invalid JSON", `{"code": "x",`, 400, "invalid_json", "JSON"},
		{"syntax error", `{"code": x}`, 400, "invalid_json", "invalid character"},
		{"not an object", `[1,2]`, 400, "invalid_field", "must be"},
		{"trailing data", `{"code":"x","cursor":0,"language":"go"} {}`, 400, "invalid_json", "exactly one"},
		{"unknown field", `{"code":"x","cursor":0,"language":"go","temperature":1}`, 400, "unknown_field", `"temperature"`},
		{"cursor wrong type", `{"code":"x","cursor":"1","language":"go"}`, 400, "invalid_field", "cursor"},
		{"cursor fractional", `{"code":"x","cursor":1.5,"language":"go"}`, 400, "invalid_field", "cursor"},
		{"missing code", `{"cursor":0,"language":"go"}`, 400, "invalid_field", "code"},
		{"missing cursor", `{"code":"x","language":"go"}`, 400, "invalid_field", "cursor"},
		{"missing language", `{"code":"x","cursor":0}`, 400, "invalid_field", "language"},
		{"empty language", `{"code":"x","cursor":0,"language":""}`, 400, "invalid_field", "language"},
		{"negative cursor", `{"code":"x","cursor":-1,"language":"go"}`, 400, "invalid_field", "cursor"},
		{"cursor out of range", `{"code":"x","cursor":2,"language":"go"}`, 400, "invalid_field", "cursor"},
		{"cursor out of range in UTF-16", `{"code":"😀","cursor":3,"language":"go"}`, 400, "invalid_field", "cursor"},
		{"negative max", `{"code":"x","cursor":0,"language":"go","max":-1}`, 400, "invalid_field", "max"},
		{"code over MaxCodeBytes", `{"code":"` + strings.Repeat("x", 65) + `","cursor":0,"language":"go"}`, 413, "too_large", "size limit"},
		{"body over limit", `{"code":"` + strings.Repeat("x", 600) + `","cursor":0,"language":"go"}`, 413, "too_large", "512"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w := postAutocomplete(r, c.body)
			if w.Code != c.status {
				t.Fatalf("status = %d, want %d; body %s", w.Code, c.status, w.Body)
			}
			var e apiError
			dec := json.NewDecoder(w.Body)
			dec.DisallowUnknownFields()
			if err := dec.Decode(&e); err != nil {
				t.Fatalf("error body is not {error:{code,message}}: %v", err)
			}
			if e.Error.Code != c.code || !strings.Contains(e.Error.Message, c.mention) {
				t.Fatalf("error = %+v, want code %q mentioning %q", e.Error, c.code, c.mention)
			}
		})
	}
}

func TestAutocompleteHandlerRateLimit(t *testing.T) {
	t.Parallel()
	r := newAutocompleteRouter(t, autocomplete.Config{RatePerSecond: 0.5, Burst: 2}, 0)
	body := `{"code":"x","cursor":1,"language":"go"}`
	for i := range 2 {
		if w := postAutocomplete(r, body); w.Code != http.StatusOK {
			t.Fatalf("request %d: status %d %s", i, w.Code, w.Body)
		}
	}
	w := postAutocomplete(r, body)
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("status = %d, want 429", w.Code)
	}
	ra, err := strconv.Atoi(w.Header().Get("Retry-After"))
	if err != nil || ra < 1 || ra > 2 {
		t.Fatalf("Retry-After = %q, want whole seconds in [1,2]", w.Header().Get("Retry-After"))
	}
	var e apiError
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error.Code != "rate_limited" {
		t.Fatalf("body = %s", w.Body)
	}
}

func TestAutocompleteHandlerHappyPath(t *testing.T) {
	t.Parallel()
	r := newAutocompleteRouter(t, autocomplete.Config{}, 0)
	code := "def fibonacci(n):\n    "
	body, _ := json.Marshal(map[string]any{"code": code, "cursor": len(code), "language": "python", "room_id": "r1", "max": 3})
	w := postAutocomplete(r, string(body))
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(w.Body.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"suggestions", "engine", "took_ms"} {
		if _, ok := raw[k]; !ok {
			t.Fatalf("response lacks %q: %s", k, w.Body)
		}
	}
	var resp struct {
		Suggestions []map[string]json.RawMessage `json:"suggestions"`
		Engine      string                       `json:"engine"`
		TookMS      float64                      `json:"took_ms"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Engine != "mock" || len(resp.Suggestions) == 0 || resp.TookMS < 0 {
		t.Fatalf("response = %s", w.Body)
	}
	var text string
	_ = json.Unmarshal(resp.Suggestions[0]["text"], &text)
	if !strings.HasPrefix(text, "if n < 2:\n        return n") {
		t.Fatalf("first suggestion = %q", text)
	}
	if _, ok := resp.Suggestions[0]["replace"]; ok {
		t.Fatalf("replace should be omitted when nil: %s", w.Body)
	}

	// Nothing to suggest: suggestions is [] rather than null; replace ranges are UTF-16.
	w = postAutocomplete(r, `{"code":"x = fooba","cursor":5,"language":"python"}`)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"suggestions":[]`) {
		t.Fatalf("empty answer: %d %s", w.Code, w.Body)
	}
	w = postAutocomplete(r, `{"code":"# 😀\ndef run(x)","cursor":14,"language":"py"}`)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"replace":{"from":14,"to":15}`) {
		t.Fatalf("UTF-16 replace range: %d %s", w.Code, w.Body)
	}
}

// blockingEngine waits for its caller to go away, like a slow model endpoint.
type blockingEngine struct{ started chan struct{} }

func (blockingEngine) Name() string { return "blocking" }

func (e blockingEngine) Complete(ctx context.Context, _ autocomplete.Request) ([]autocomplete.Suggestion, error) {
	close(e.started)
	<-ctx.Done()
	return nil, ctx.Err()
}

// A request cancelled by the browser (the next keystroke aborts it) is not a
// server error: it ends as 499, logged at debug, whether the client left
// before the handler ran or while the engine was working.
func TestAutocompleteHandlerClientGone(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		cancelEarly bool
	}{{"before the handler", true}, {"during the engine call", false}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			gin.SetMode(gin.TestMode)
			eng := blockingEngine{started: make(chan struct{})}
			svc, err := autocomplete.NewServiceWithEngine(autocomplete.Config{Timeout: time.Minute}, eng, nil)
			if err != nil {
				t.Fatal(err)
			}
			core, logs := observer.New(zap.DebugLevel)
			s := &Server{log: zap.New(core)}
			r := gin.New()
			r.Use(s.accessLog)
			r.POST("/autocomplete", AutocompleteHandler(svc, 0))

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancelEarly {
				cancel()
			} else {
				go func() {
					<-eng.started
					cancel()
				}()
			}
			req := httptest.NewRequest(http.MethodPost, "/autocomplete",
				strings.NewReader(`{"code":"def f():\n    ","cursor":13,"language":"python"}`)).WithContext(ctx)
			req.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			r.ServeHTTP(w, req)

			if w.Code != StatusClientClosedRequest {
				t.Fatalf("status = %d, want %d (body %s)", w.Code, StatusClientClosedRequest, w.Body)
			}
			entries := logs.All()
			if len(entries) != 1 {
				t.Fatalf("log entries = %d, want the one access-log line: %v", len(entries), entries)
			}
			e := entries[0]
			if e.Level != zap.DebugLevel || e.Message != "http" || e.ContextMap()["status"] != int64(StatusClientClosedRequest) {
				t.Fatalf("access log = %s %q %v, want debug \"http\" with status 499", e.Level, e.Message, e.ContextMap())
			}
		})
	}
}
