package auth

import (
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

// Metrics are the service's counters, in Prometheus text format. All
// fields are safe for concurrent use.
type Metrics struct {
	Checks       atomic.Int64
	CheckNanos   atomic.Int64
	LinksCreated atomic.Int64
	LinksRevoked atomic.Int64
	RoleChanges  atomic.Int64
	// StaleLinkChecks: link tokens checked against the last known record
	// because the store did not answer.
	StaleLinkChecks atomic.Int64
	failures        [len(failureReasons)]atomic.Int64
}

// failureReasons label pairpad_auth_failures_total.
var failureReasons = [...]struct {
	label string
	err   error
}{
	{"no_token", ErrNoToken},
	{"too_long", ErrTokenTooLong},
	{"expired", ErrExpired},
	{"revoked", ErrRevoked},
	{"invalid", ErrInvalidToken},
	{"wrong_room", ErrWrongRoom},
	{"role_too_low", ErrRoleTooLow},
	{"other", nil},
}

// Failed counts a refused request.
func (m *Metrics) Failed(err error) {
	for i, r := range failureReasons {
		if r.err == nil || errors.Is(err, r.err) {
			m.failures[i].Add(1)
			return
		}
	}
}

// Failures returns the count for a reason label (tests).
func (m *Metrics) Failures(label string) int64 {
	for i, r := range failureReasons {
		if r.label == label {
			return m.failures[i].Load()
		}
	}
	return 0
}

func (m *Metrics) observeCheck(d time.Duration, err error) {
	m.Checks.Add(1)
	m.CheckNanos.Add(int64(d))
	if err != nil {
		m.Failed(err)
	}
}

// WritePrometheus writes the metrics in Prometheus text exposition format.
func (m *Metrics) WritePrometheus(w io.Writer) {
	g := func(name, help string, v int64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", name, help, name, name, v)
	}
	g("pairpad_auth_checks_total", "Tokens checked (REST and WebSocket).", m.Checks.Load())
	fmt.Fprintf(w, "# HELP pairpad_auth_check_seconds_total Time spent checking tokens (including the link look-up).\n# TYPE pairpad_auth_check_seconds_total counter\npairpad_auth_check_seconds_total %g\n",
		time.Duration(m.CheckNanos.Load()).Seconds())
	g("pairpad_links_created_total", "Share links created.", m.LinksCreated.Load())
	g("pairpad_links_revoked_total", "Share links revoked.", m.LinksRevoked.Load())
	g("pairpad_link_role_changes_total", "Share link role changes.", m.RoleChanges.Load())
	g("pairpad_auth_stale_link_checks_total", "Link tokens checked against the last known link record because the database did not answer.", m.StaleLinkChecks.Load())
	fmt.Fprintf(w, "# HELP pairpad_auth_failures_total Requests refused by access control, by reason.\n# TYPE pairpad_auth_failures_total counter\n")
	for i, r := range failureReasons {
		fmt.Fprintf(w, "pairpad_auth_failures_total{reason=%q} %d\n", r.label, m.failures[i].Load())
	}
}
