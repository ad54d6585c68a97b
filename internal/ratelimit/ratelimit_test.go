package ratelimit

import (
	"testing"
	"time"
)

func TestLimiterRefillAndEviction(t *testing.T) {
	t.Parallel()
	now := time.Unix(0, 0)
	l := New(2, 2, func() time.Time { return now })
	l.SetMaxBuckets(3)
	for range 2 {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatal("burst refused")
		}
	}
	if ok, wait := l.Allow("a"); ok || wait != 500*time.Millisecond {
		t.Fatalf("empty bucket: ok=%v wait=%v, want refused, 500ms", ok, wait)
	}
	now = now.Add(500 * time.Millisecond)
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("refilled token refused")
	}
	l.Allow("b")
	l.Allow("c")
	if ok, _ := l.Allow("d"); ok {
		t.Fatal("table full of active clients: new client should wait")
	}
	now = now.Add(time.Second) // every bucket has refilled completely
	if ok, _ := l.Allow("d"); !ok {
		t.Fatal("after idle buckets expire a new client is admitted")
	}
	if n := l.Size(); n != 1 {
		t.Fatalf("buckets after sweep = %d, want 1", n)
	}
}
