// Package testenv holds what tests share about their environment: the
// PostgreSQL they must use.
package testenv

import (
	"os"
	"testing"
)

// PostgresURL returns TEST_DATABASE_URL, or fails the test naming it: the
// PostgreSQL tests never pass silently without a database.
func PostgresURL(t testing.TB) string {
	t.Helper()
	url := os.Getenv("TEST_DATABASE_URL")
	if url == "" {
		t.Fatal("TEST_DATABASE_URL is not set: set it to a PostgreSQL URL such as postgres://postgres@127.0.0.1:5432/test (make test does)")
	}
	return url
}

// RedisURL returns TEST_REDIS_URL, failing the test when it is unset.
func RedisURL(t testing.TB) string {
	t.Helper()
	url := os.Getenv("TEST_REDIS_URL")
	if url == "" {
		t.Fatal("TEST_REDIS_URL is not set: set it to a Redis URL such as redis://127.0.0.1:6379/0 (make test does)")
	}
	return url
}
