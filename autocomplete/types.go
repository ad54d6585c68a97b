package autocomplete

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Request asks for suggestions at Cursor in Code.
type Request struct {
	// Code is the whole text of the document (UTF-8).
	Code string `json:"code"`
	// Cursor is the caret position in UTF-16 code units from the start of Code.
	Cursor int `json:"cursor"`
	// Language names the language, e.g. "python", "ts", "golang", "c++".
	// Unknown languages get identifier completion only.
	Language string `json:"language"`
	// RoomID is optional and only used for logging.
	RoomID string `json:"room_id,omitempty"`
	// Max caps the number of suggestions; 0 means the service default.
	Max int `json:"max,omitempty"`
}

// Range is a half-open span [From, To) of the document in UTF-16 code units.
type Range struct {
	From int `json:"from"`
	To   int `json:"to"`
}

// Suggestion is one candidate edit.
//
// When Replace is nil, Text is inserted at the cursor (it is exactly the ghost
// text to show). When Replace is set, the text in Replace (which always
// contains the cursor) is replaced by Text; the mock uses this to swallow
// closing brackets an editor auto-inserted after the cursor and to re-indent
// a line before a closing brace.
type Suggestion struct {
	Text    string `json:"text"`
	Label   string `json:"label"`
	Kind    string `json:"kind"`
	Replace *Range `json:"replace,omitempty"`
}

// Suggestion kinds produced by the engines.
const (
	KindIdentifier = "identifier" // a name used elsewhere in the same code
	KindKeyword    = "keyword"    // a language keyword
	KindBuiltin    = "builtin"    // a builtin or standard-library name
	KindMember     = "member"     // a member after "x."
	KindSnippet    = "snippet"    // a construct completed from its beginning
	KindClose      = "close"      // closes open brackets, quotes or blocks
	KindModel      = "model"      // text from a language model
)

// Response is the body of a successful POST /autocomplete. Suggestions is
// never null on the wire; the first suggestion is the best.
type Response struct {
	Suggestions []Suggestion `json:"suggestions"`
	// Engine names the engine that actually answered ("mock", "openai").
	Engine string `json:"engine"`
	// TookMS is the server time spent, in milliseconds.
	TookMS float64 `json:"took_ms"`
}

// MarshalJSON writes Suggestions as [] rather than null when empty.
func (r Response) MarshalJSON() ([]byte, error) {
	type plain Response
	if r.Suggestions == nil {
		r.Suggestions = []Suggestion{}
	}
	return json.Marshal(plain(r))
}

// Engine produces suggestions. Implementations must be safe for concurrent
// use and should honour ctx cancellation.
type Engine interface {
	// Name is reported in Response.Engine.
	Name() string
	// Complete returns suggestions best first; an empty result is valid.
	Complete(ctx context.Context, req Request) ([]Suggestion, error)
}

// FieldError reports a request field that is missing or invalid (HTTP 400).
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Message) }

// ErrTooLarge is returned when Request.Code exceeds Config.MaxCodeBytes (HTTP 413).
var ErrTooLarge = errors.New("code exceeds the size limit")

// RateLimitError is returned when a client has used up its tokens (HTTP 429).
type RateLimitError struct {
	// RetryAfter is how long until the next request would be allowed.
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("rate limited: retry after %s", e.RetryAfter)
}
