package autocomplete

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"go.uber.org/zap"

	"github.com/pairpad/pairpad/internal/ratelimit"
)

// Config configures the Service. Zero values take the documented defaults;
// negative values are errors. Only cmd reads the environment
// (AUTOCOMPLETE_URL, AUTOCOMPLETE_MODEL, AUTOCOMPLETE_API_KEY,
// AUTOCOMPLETE_TIMEOUT, AUTOCOMPLETE_MAX_CODE_BYTES, AUTOCOMPLETE_RATE,
// AUTOCOMPLETE_BURST).
type Config struct {
	// URL is the base URL of an OpenAI-compatible server; requests go to
	// URL + "/v1/completions" (or URL + "/completions" when URL ends in
	// "/v1"). Empty (the default) means the mock engine answers alone.
	URL string
	// Model is sent as "model" to the completions endpoint. Default empty
	// (llama.cpp ignores it; Ollama needs it).
	Model string
	// APIKey, when set, is sent as "Authorization: Bearer <APIKey>".
	APIKey string
	// Timeout bounds one call to the URL engine; on expiry the mock answers.
	// Default 2s.
	Timeout time.Duration
	// MaxCodeBytes is the largest accepted Request.Code. Default 1 MiB.
	MaxCodeBytes int
	// MaxSuggestions is the default and upper bound of Request.Max. Default 5.
	MaxSuggestions int
	// RatePerSecond is each client's sustained request rate. Default 5.
	RatePerSecond float64
	// Burst is how many requests a client may make at once. Default 10.
	Burst int
}

// Defaults applied by NewService to zero fields.
const (
	DefaultTimeout        = 2 * time.Second
	DefaultMaxCodeBytes   = 1 << 20
	DefaultMaxSuggestions = 5
	DefaultRatePerSecond  = 5
	DefaultBurst          = 10
)

const (
	maxLanguageLen = 32
	maxRoomIDLen   = 256
)

func (c Config) withDefaults() (Config, error) {
	switch {
	case c.Timeout < 0:
		return c, errors.New("autocomplete: Timeout must not be negative")
	case c.MaxCodeBytes < 0:
		return c, errors.New("autocomplete: MaxCodeBytes must not be negative")
	case c.MaxSuggestions < 0:
		return c, errors.New("autocomplete: MaxSuggestions must not be negative")
	case c.RatePerSecond < 0:
		return c, errors.New("autocomplete: RatePerSecond must not be negative")
	case c.Burst < 0:
		return c, errors.New("autocomplete: Burst must not be negative")
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxCodeBytes == 0 {
		c.MaxCodeBytes = DefaultMaxCodeBytes
	}
	if c.MaxSuggestions == 0 {
		c.MaxSuggestions = DefaultMaxSuggestions
	}
	if c.RatePerSecond == 0 {
		c.RatePerSecond = DefaultRatePerSecond
	}
	if c.Burst == 0 {
		c.Burst = DefaultBurst
	}
	if c.URL != "" {
		u, err := url.Parse(c.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c, fmt.Errorf("autocomplete: URL %q must be an absolute http(s) URL", c.URL)
		}
	}
	return c, nil
}

// Service validates requests, rate-limits clients and asks its engine,
// falling back to the mock when the engine fails or times out. It is safe
// for concurrent use.
type Service struct {
	cfg      Config
	primary  Engine
	fallback Engine // nil when primary is the mock
	lim      *ratelimit.Limiter
	log      *zap.Logger
}

// NewService validates cfg and builds the service: the OpenAI-compatible
// engine when cfg.URL is set (with the mock as fallback), else the mock.
func NewService(cfg Config, log *zap.Logger) (*Service, error) {
	var primary Engine
	if cfg.URL != "" {
		primary = NewOpenAI(cfg.URL, cfg.Model, cfg.APIKey, &http.Client{})
	}
	return NewServiceWithEngine(cfg, primary, log)
}

// NewServiceWithEngine is NewService with a caller-supplied primary engine
// (nil means the mock); cfg.URL, Model and APIKey are then ignored. The mock
// remains the fallback.
func NewServiceWithEngine(cfg Config, primary Engine, log *zap.Logger) (*Service, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = zap.NewNop()
	}
	s := &Service{cfg: cfg, lim: ratelimit.New(cfg.RatePerSecond, cfg.Burst, time.Now), log: log}
	if primary == nil {
		s.primary = NewMock()
	} else {
		s.primary, s.fallback = primary, NewMock()
	}
	return s, nil
}

// Config returns the configuration in force, defaults applied.
func (s *Service) Config() Config { return s.cfg }

// Complete answers req for the client identified by clientKey (an IP
// address, a user ID). Errors: *RateLimitError, *FieldError, ErrTooLarge,
// or ctx's error when the caller went away.
func (s *Service) Complete(ctx context.Context, clientKey string, req Request) (Response, error) {
	start := time.Now()
	if ok, wait := s.lim.Allow(clientKey); !ok {
		return Response{}, &RateLimitError{RetryAfter: wait}
	}
	if err := s.validate(&req); err != nil {
		return Response{}, err
	}
	engine := s.primary
	var sugs []Suggestion
	var err error
	if s.fallback == nil {
		sugs, err = engine.Complete(ctx, req)
	} else {
		ectx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
		sugs, err = engine.Complete(ectx, req)
		cancel()
		if err != nil && ctx.Err() == nil {
			s.log.Warn("autocomplete engine failed; falling back",
				zap.String("engine", engine.Name()), zap.String("fallback", s.fallback.Name()),
				zap.String("room", req.RoomID), zap.Error(err))
			engine = s.fallback
			sugs, err = engine.Complete(ctx, req)
		}
	}
	if err != nil {
		return Response{}, err
	}
	if len(sugs) > req.Max {
		sugs = sugs[:req.Max]
	}
	if sugs == nil {
		sugs = []Suggestion{}
	}
	return Response{
		Suggestions: sugs,
		Engine:      engine.Name(),
		TookMS:      float64(time.Since(start).Microseconds()) / 1000,
	}, nil
}

// validate checks req and sets req.Max to the effective cap.
func (s *Service) validate(req *Request) error {
	if len(req.Code) > s.cfg.MaxCodeBytes {
		return ErrTooLarge
	}
	switch {
	case req.Language == "":
		return &FieldError{Field: "language", Message: "is required"}
	case len(req.Language) > maxLanguageLen:
		return &FieldError{Field: "language", Message: fmt.Sprintf("is longer than %d bytes", maxLanguageLen)}
	case len(req.RoomID) > maxRoomIDLen:
		return &FieldError{Field: "room_id", Message: fmt.Sprintf("is longer than %d bytes", maxRoomIDLen)}
	case req.Max < 0:
		return &FieldError{Field: "max", Message: "must not be negative"}
	case req.Cursor < 0:
		return &FieldError{Field: "cursor", Message: "must not be negative"}
	}
	if _, _, ok := byteOffset(req.Code, req.Cursor); !ok {
		return &FieldError{Field: "cursor", Message: fmt.Sprintf("is past the end of code (%d UTF-16 code units)", utf16Len(req.Code))}
	}
	if req.Max == 0 || req.Max > s.cfg.MaxSuggestions {
		req.Max = s.cfg.MaxSuggestions
	}
	return nil
}
