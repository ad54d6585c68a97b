package testenv_test

import (
	"testing"

	"github.com/pairpad/pairpad/internal/testenv"
)

// Port 25440 is this package's; other tests use 25441 and up (below the ephemeral range, 32768 and up).
func TestPGClusterOutage(t *testing.T) {
	c := testenv.StartPGCluster(t, 25440)
	if err := c.Ping(); err != nil {
		t.Fatalf("started cluster does not answer: %v", err)
	}
	c.Stop()
	if err := c.Ping(); err == nil {
		t.Fatal("stopped cluster still answers")
	}
	c.Start()
	if err := c.Ping(); err != nil {
		t.Fatalf("restarted cluster does not answer: %v", err)
	}
}
