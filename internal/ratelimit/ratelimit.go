// Package ratelimit holds per-client token buckets, shared by the
// autocomplete service and room creation. A Limiter is safe for concurrent
// use.
package ratelimit

import (
	"math"
	"sync"
	"time"
)

// Limiter is a table of per-client token buckets. A bucket idle long enough
// to have refilled completely is indistinguishable from a new one, so
// sweeping it loses nothing; sweeps run at most once per sweepEvery and
// whenever the table reaches maxBuckets, which keeps memory bounded by the
// number of clients active within one refill period.
type Limiter struct {
	mu         sync.Mutex
	rate       float64 // tokens per second
	burst      float64
	buckets    map[string]*bucket
	lastSweep  time.Time
	sweepEvery time.Duration
	maxBuckets int // exported for tests through SetMaxBuckets
	now        func() time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

// New returns a limiter allowing rate tokens per second and bursts of
// burst per key; now is the clock (time.Now outside tests).
func New(rate float64, burst int, now func() time.Time) *Limiter {
	return &Limiter{
		rate: rate, burst: float64(burst),
		buckets:    make(map[string]*bucket),
		sweepEvery: time.Minute,
		maxBuckets: 100_000,
		now:        now,
		lastSweep:  now(),
	}
}

// fullAfter is how long an idle bucket takes to refill completely.
func (l *Limiter) fullAfter() time.Duration {
	return time.Duration(l.burst / l.rate * float64(time.Second))
}

// Allow takes a token for key, or reports how long until one is available.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.lastSweep) >= l.sweepEvery || len(l.buckets) >= l.maxBuckets {
		l.sweep(now)
	}
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.maxBuckets {
			// Every bucket is in use: refuse new clients briefly rather than
			// grow without bound.
			return false, time.Second
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = math.Min(l.burst, b.tokens+el*l.rate)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	return false, wait
}

func (l *Limiter) sweep(now time.Time) {
	full := l.fullAfter()
	for k, b := range l.buckets {
		if now.Sub(b.last) >= full {
			delete(l.buckets, k)
		}
	}
	l.lastSweep = now
}

// Size is the number of buckets held.
func (l *Limiter) Size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// SetMaxBuckets caps the table (default 100,000 keys). Tests only.
func (l *Limiter) SetMaxBuckets(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.maxBuckets = n
}
