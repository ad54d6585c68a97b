package sync_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pairpad/pairpad/crdt"
	pairsync "github.com/pairpad/pairpad/sync"
	"github.com/pairpad/pairpad/sync/wireclient"
)

// In a lecture room the viewers acknowledge every keystroke and are due the
// same message for the next one: the server defers their acknowledgements
// and sends one generated message to all (room.generate). Everyone still
// ends with the typist's text, through keystrokes one at a time, a burst,
// and a viewer who starts typing too.
func TestLectureRoomSharesMessages(t *testing.T) {
	t.Parallel()
	for _, v2 := range []bool{false, true} {
		t.Run(fmt.Sprintf("v2=%v", v2), func(t *testing.T) {
			ts := newTestServer(t, pairsync.Config{}, nil)
			room := ts.createRoom("go")
			typist := ts.dial(room, wireclient.ClientOptions{AdvertiseV2: v2})
			viewers := make([]*wireclient.Client, 6)
			for i := range viewers {
				viewers[i] = ts.dial(room, wireclient.ClientOptions{AdvertiseV2: v2})
			}
			// Thin viewers (load tests') hold no document: they acknowledge
			// the heads of each message as a viewer that applied it would.
			thin := []*wireclient.Client{
				ts.dial(room, wireclient.ClientOptions{AdvertiseV2: v2, Thin: true}),
				ts.dial(room, wireclient.ClientOptions{AdvertiseV2: v2, Thin: true}),
			}
			all := append([]*wireclient.Client{typist}, viewers...)
			waitAll := func(what string) {
				t.Helper()
				wantHeads := crdt.HeadsKeyOfHashes(typist.Heads())
				for i, c := range thin {
					eventually(t, fmt.Sprintf("%s: thin viewer %d has the typist's heads", what, i), func() bool {
						return crdt.HeadsKeyOfHashes(c.Heads()) == wantHeads
					})
				}
				want := typist.Text()
				for i, c := range all {
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					err := c.WaitFor(ctx, func(s string) bool { return s == want })
					cancel()
					if err != nil {
						t.Fatalf("%s: client %d has %q, typist %q", what, i, trunc(c.Text()), trunc(want))
					}
				}
			}

			// One keystroke at a time, each seen by all before the next.
			for k := 0; k < 15; k++ {
				if err := typist.Splice(k, 0, "a"); err != nil {
					t.Fatal(err)
				}
				waitAll(fmt.Sprintf("keystroke %d", k))
			}
			m := ts.hub.Metrics()
			// Each keystroke after the first: one catch-up message for all
			// eight settled viewers.
			if sent, built := m.CatchUps.Load(), m.CatchUpsBuilt.Load(); sent < 8*10 || built*4 > sent || m.AcksDeferred.Load() < 8*10 {
				t.Fatalf("catch-ups sent %d, built %d, acknowledgements deferred %d", sent, built, m.AcksDeferred.Load())
			}

			// A burst: viewers are mid-acknowledgement when the next arrives.
			for k := 0; k < 40; k++ {
				if err := typist.Splice(0, 0, "b"); err != nil {
					t.Fatal(err)
				}
			}
			waitAll("burst")

			// A viewer that was settled types, concurrently with the typist.
			for k := 0; k < 10; k++ {
				if err := viewers[2].Splice(0, 0, "v"); err != nil {
					t.Fatal(err)
				}
				if err := typist.Splice(len(typist.Text()), 0, "t"); err != nil {
					t.Fatal(err)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := typist.WaitFor(ctx, func(s string) bool { return strings.Count(s, "v") == 10 }); err != nil {
				t.Fatalf("the viewer's keystrokes did not reach the typist: %q", trunc(typist.Text()))
			}
			waitAll("two typists")
			if got := strings.Count(typist.Text(), "t"); got != 10 {
				t.Fatalf("typist's text has %d of its 10 t's", got)
			}
		})
	}
}
