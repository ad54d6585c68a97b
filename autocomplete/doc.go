// Package autocomplete owns Pairpad's code suggestions: the wire types of
// POST /autocomplete, the Engine interface that produces suggestions, the
// built-in deterministic Mock engine, an engine for any OpenAI-compatible
// completions endpoint, and the Service that validates requests, rate-limits
// clients and falls back from a failing engine to the mock.
//
// Concurrency: Mock and OpenAI hold no mutable state after construction and
// are safe to call from many goroutines at once. Service is safe for
// concurrent use; its only shared state is the per-client token-bucket table,
// guarded by one mutex that is never held across I/O or engine calls.
//
// Positions: every position on the wire (Request.Cursor, Range.From/To)
// counts UTF-16 code units, as JavaScript strings and CodeMirror do. The
// engines convert to byte offsets internally.
package autocomplete
