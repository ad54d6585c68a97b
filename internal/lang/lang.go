// Package lang is the one list of editor languages Pairpad knows. The API
// accepts only these when a room is created, and the store copies only
// these into its language column: a peer may write anything into the
// document's language field, but what reaches a database column is always
// one of Known. Everything here is read-only and safe for concurrent use.
package lang

// Known languages; the first is the default.
var Known = []string{"plaintext", "python", "javascript", "typescript", "go", "rust", "java", "c", "cpp"}

// Default is the language of a room created without one, and what an
// unknown language is stored as.
const Default = "plaintext"

// IsKnown reports whether l is exactly one of Known.
func IsKnown(l string) bool {
	for _, k := range Known {
		if k == l {
			return true
		}
	}
	return false
}

// ForColumn returns l when it is a known language and Default otherwise
// (too long, NUL bytes, anything a peer invented), so that a save never
// fails on the column's type or size.
func ForColumn(l string) string {
	if IsKnown(l) {
		return l
	}
	return Default
}
