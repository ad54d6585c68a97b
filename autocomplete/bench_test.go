package autocomplete

import (
	"context"
	"strings"
	"testing"
)

// pythonFile builds roughly size bytes of realistic Python.
func pythonFile(size int) string {
	const chunk = `class Account:
    def __init__(self, owner, balance):
        self.owner = owner
        self.balance = balance

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        self.balance += amount
        return self.balance


def total_balance(accounts):
    total = 0
    for account in accounts:
        total += account.balance
    return total

`
	var b strings.Builder
	for b.Len() < size {
		b.WriteString(chunk)
	}
	return b.String()
}

func benchMock(b *testing.B, code string, cursor int, lang string) {
	m := NewMock()
	req := Request{Code: code, Cursor: utf16Len(code[:cursor]), Language: lang}
	ctx := context.Background()
	b.SetBytes(int64(len(code)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := m.Complete(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMockComplete100KB: identifier completion at the end of a 100 KB
// Python file (the UTF-16 walk covers the whole file).
func BenchmarkMockComplete100KB(b *testing.B) {
	code := pythonFile(100<<10) + "tot"
	benchMock(b, code, len(code), "python")
}

// BenchmarkMockComplete100KBMiddle: a function body suggestion in the
// middle of a 100 KB file.
func BenchmarkMockComplete100KBMiddle(b *testing.B) {
	half := pythonFile(50 << 10)
	code := half + "def fibonacci(n):\n    \n" + half
	benchMock(b, code, len(half)+len("def fibonacci(n):\n    "), "python")
}

// BenchmarkMockComplete1MBEnd: the largest accepted document, cursor at the end.
func BenchmarkMockComplete1MBEnd(b *testing.B) {
	code := pythonFile(1<<20) + "for "
	benchMock(b, code, len(code), "python")
}

// BenchmarkMockComplete2KB: a small file, TypeScript member completion.
func BenchmarkMockComplete2KB(b *testing.B) {
	code := strings.Repeat("const value = compute(items);\nconsole.log(value);\n", 40) + "console.lo"
	benchMock(b, code, len(code), "typescript")
}

// BenchmarkServiceComplete100KB adds validation and rate limiting.
func BenchmarkServiceComplete100KB(b *testing.B) {
	s, err := NewService(Config{RatePerSecond: 1e9, Burst: 1 << 30}, nil)
	if err != nil {
		b.Fatal(err)
	}
	code := pythonFile(100<<10) + "tot"
	req := Request{Code: code, Cursor: len(code), Language: "python"}
	b.SetBytes(int64(len(code)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Complete(context.Background(), "bench", req); err != nil {
			b.Fatal(err)
		}
	}
}
