package sync

import (
	"context"
	stdsync "sync"
	"testing"
	"time"

	"go.uber.org/zap"
)

type recordingLog struct {
	mu      stdsync.Mutex
	entries []LogEntry
	wrote   chan struct{}
}

func (r *recordingLog) AppendChanges(_ context.Context, entries []LogEntry) error {
	r.mu.Lock()
	r.entries = append(r.entries, entries...)
	r.mu.Unlock()
	r.wrote <- struct{}{}
	return nil
}

func (r *recordingLog) Compact(context.Context, string, []byte, string, string, int64, LogMarks) (int64, error) {
	return 0, nil
}

func (r *recordingLog) seqs(room string) []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []int64
	for _, e := range r.entries {
		if e.RoomID == room {
			out = append(out, e.Seq)
		}
	}
	return out
}

// While a room's snapshot is written its log entries stay queued: an entry
// the snapshot covers is dropped, never appended after the snapshot
// compacted the log; the others are written once it ends. Other rooms'
// entries are written meanwhile.
func TestChangeLoggerHoldsARoomWhileItsSnapshotIsWritten(t *testing.T) {
	rec := &recordingLog{wrote: make(chan struct{}, 16)}
	l := newChangeLogger(rec, 10*time.Millisecond, time.Second, &Metrics{}, zap.NewNop())
	go l.run()
	defer func() { close(l.stop); <-l.done }()
	ctx := context.Background()
	written := func(what string) {
		t.Helper()
		select {
		case <-rec.wrote:
		case <-time.After(5 * time.Second):
			t.Fatalf("no append: %s", what)
		}
	}

	if !l.hold(ctx, "a") {
		t.Fatal("hold refused")
	}
	l.add(LogEntry{RoomID: "a", Writer: "w", Seq: 1, Data: []byte{1}})
	l.add(LogEntry{RoomID: "b", Writer: "w", Seq: 1, Data: []byte{1}})
	written("room b while a is held")
	if got := rec.seqs("a"); len(got) != 0 {
		t.Fatalf("held room's entries appended: %v", got)
	}
	if got := rec.seqs("b"); len(got) != 1 {
		t.Fatalf("other room's entries: %v", got)
	}
	l.add(LogEntry{RoomID: "a", Writer: "v", Seq: 4, Data: []byte{2}})
	// The snapshot committed covering w:1 only.
	l.release("a", LogMarks{"w": 1})
	written("room a after its release")
	if got := rec.seqs("a"); len(got) != 1 || got[0] != 4 {
		t.Fatalf("after the snapshot: appended %v, want only the uncovered v:4", got)
	}

	// A failed snapshot (nil marks) drops nothing.
	if !l.hold(ctx, "a") {
		t.Fatal("hold refused")
	}
	l.add(LogEntry{RoomID: "a", Writer: "w", Seq: 2, Data: []byte{3}})
	l.release("a", nil)
	written("room a after a failed snapshot")
	if got := rec.seqs("a"); len(got) != 2 || got[1] != 2 {
		t.Fatalf("after a failed snapshot: %v", got)
	}

	// A cancelled hold holds nothing.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	l.mu.Lock()
	l.inflight["c"] = true // a write of c is under way
	l.mu.Unlock()
	if l.hold(cctx, "c") {
		t.Fatal("hold went through a cancelled context while a write was in flight")
	}
	l.mu.Lock()
	held := l.held["c"]
	delete(l.inflight, "c")
	l.mu.Unlock()
	if held != 0 {
		t.Fatalf("a refused hold left the room held (%d)", held)
	}
}
