package lang

import (
	"strings"
	"testing"
)

func TestForColumn(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"go", "go"},
		{"plaintext", "plaintext"},
		{"", Default},
		{"Go", Default},
		{strings.Repeat("x", 40), Default},
		{"go\x00", Default},
		{"py\x00thon", Default},
	} {
		if got := ForColumn(tc.in); got != tc.want {
			t.Errorf("ForColumn(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
