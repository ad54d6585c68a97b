package sync_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	pairsync "github.com/pairpad/pairpad/sync"
	"github.com/pairpad/pairpad/sync/wireclient"
)

// A peer that types a burst of keystrokes hears the server report its
// heads back: automerge-repo's "synced" state depends on it.
func TestBurstIsAcknowledged(t *testing.T) {
	t.Parallel()
	for _, v2 := range []bool{false, true} {
		t.Run(fmt.Sprintf("v2=%v", v2), func(t *testing.T) {
			ts := newTestServer(t, pairsync.Config{}, nil)
			for round := 0; round < 20; round++ {
				room := ts.createRoom("go")
				c := ts.dial(room, wireclient.ClientOptions{AdvertiseV2: v2})
				for i := 0; i < 20; i++ {
					if err := c.Splice(i, 0, "x"); err != nil {
						t.Fatal(err)
					}
				}
				ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
				err := c.WaitSynced(ctx)
				cancel()
				if err != nil {
					t.Fatalf("round %d: %v (text %q)", round, err, c.Text())
				}
				c.Close()
			}
		})
	}
}
