package sync

import (
	"context"
	stdsync "sync"
	"time"

	"go.uber.org/zap"
)

// changeLogger appends rooms' incremental saves to the store's change log
// (see ChangeLog). Rooms hand it entries through add, which only takes a
// short lock and never waits on the database; its goroutine writes all that
// is queued, for every room, in one transaction. Rooms take their
// increments on LogInterval boundaries of the wall clock, so one write
// usually carries every busy room's entry of that tick.
//
// When the database fails, entries stay queued (a room's queued entries
// are coalesced into one) and the write is retried with backoff; a
// snapshot that commits drops the entries it covers (dropCovered).
type changeLogger struct {
	cl      ChangeLog
	log     *zap.Logger
	m       *Metrics
	timeout time.Duration // one append
	gather  time.Duration // wait after the first entry of a tick for the others

	mu      stdsync.Mutex
	pending map[string][]LogEntry // by room, oldest first
	// inflight: entries being written, by room (for pendingFor)
	inflight map[string]bool
	// held: rooms whose compacting transaction is running (hold): their
	// entries stay queued until it ends, so that an entry the snapshot covers is
	// never appended after the snapshot deleted the entries it covers
	// (it would outlive it and hide the room's text copy, LoadText).
	held map[string]int
	// settled is closed (and replaced) whenever a write ends.
	settled chan struct{}

	kick chan struct{}
	stop chan struct{}
	done chan struct{}
}

func newChangeLogger(cl ChangeLog, interval, timeout time.Duration, m *Metrics, log *zap.Logger) *changeLogger {
	return &changeLogger{
		cl: cl, log: log, m: m, timeout: timeout,
		gather:   min(interval/20, 10*time.Millisecond),
		pending:  map[string][]LogEntry{},
		inflight: map[string]bool{},
		held:     map[string]int{},
		settled:  make(chan struct{}),
		kick:     make(chan struct{}, 1),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
}

// add queues an entry. Safe for concurrent use; never blocks on I/O.
func (l *changeLogger) add(e LogEntry) {
	l.mu.Lock()
	q := l.pending[e.RoomID]
	if n := len(q); n > 0 && q[n-1].Writer == e.Writer {
		// Coalesce: a concatenation of increments is an increment; the
		// entry keeps the latest sequence number, which covers them all.
		last := &q[n-1]
		last.Data = append(last.Data, e.Data...)
		last.Seq = e.Seq
	} else {
		l.pending[e.RoomID] = append(q, e)
		l.m.LogEntriesPending.Add(1)
	}
	l.m.LogBytesPending.Add(int64(len(e.Data)))
	l.roomsGauge()
	l.mu.Unlock()
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// dropCovered forgets queued entries of room that marks cover: a snapshot
// including them has committed.
func (l *changeLogger) dropCovered(room string, marks LogMarks) {
	l.mu.Lock()
	defer l.mu.Unlock()
	q := l.pending[room]
	kept := q[:0]
	for _, e := range q {
		if seq, ok := marks[e.Writer]; ok && e.Seq <= seq {
			l.m.LogEntriesPending.Add(-1)
			l.m.LogBytesPending.Add(-int64(len(e.Data)))
			continue
		}
		kept = append(kept, e)
	}
	if len(kept) == 0 {
		delete(l.pending, room)
	} else {
		l.pending[room] = kept
	}
	l.roomsGauge()
}

// roomsGauge sets the rooms-with-unwritten-entries gauge; l.mu is held.
func (l *changeLogger) roomsGauge() {
	n := len(l.pending)
	for room := range l.inflight {
		if _, ok := l.pending[room]; !ok {
			n++
		}
	}
	l.m.LogRoomsPending.Store(int64(n))
}

// take removes and returns everything queued, but for held rooms.
func (l *changeLogger) take() []LogEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []LogEntry
	for room, q := range l.pending {
		if l.held[room] > 0 {
			continue
		}
		out = append(out, q...)
		l.inflight[room] = true
		delete(l.pending, room)
	}
	l.roomsGauge()
	return out
}

// hold keeps room's entries queued while its snapshot's transaction runs
// (not while a save waits for a lock or retries: the log stays the
// durable copy meanwhile), once the write of its entries already under way
// has ended (the snapshot compacts them). It returns false if ctx ended first (nothing is held).
// Every successful hold is paired with a release.
func (l *changeLogger) hold(ctx context.Context, room string) bool {
	l.mu.Lock()
	l.held[room]++
	for l.inflight[room] {
		ch := l.settled
		l.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			l.release(room, nil)
			return false
		}
		l.mu.Lock()
	}
	l.mu.Unlock()
	return true
}

// release ends a hold; covered (the committed snapshot's marks, nil when
// it failed) drops the queued entries it includes. The rest is written.
func (l *changeLogger) release(room string, covered LogMarks) {
	if covered != nil {
		l.dropCovered(room, covered)
	}
	l.mu.Lock()
	if l.held[room]--; l.held[room] <= 0 {
		delete(l.held, room)
	}
	l.mu.Unlock()
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// settle accounts for a finished write: on failure the entries go back in
// front of what was queued meanwhile.
func (l *changeLogger) settle(batch []LogEntry, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	clear(l.inflight)
	close(l.settled)
	l.settled = make(chan struct{})
	defer l.roomsGauge()
	if err == nil {
		var bytes int64
		for _, e := range batch {
			bytes += int64(len(e.Data))
		}
		l.m.LogEntriesPending.Add(-int64(len(batch)))
		l.m.LogBytesPending.Add(-bytes)
		l.m.LogAppends.Add(1)
		l.m.LogEntriesWritten.Add(int64(len(batch)))
		l.m.LogBytesWritten.Add(bytes)
		return
	}
	l.m.LogAppendErrors.Add(1)
	back := map[string][]LogEntry{}
	for _, e := range batch {
		back[e.RoomID] = append(back[e.RoomID], e)
	}
	for room, q := range back {
		l.pending[room] = append(q, l.pending[room]...)
	}
}

// run writes queued entries until stop; then it writes once more.
func (l *changeLogger) run() {
	defer close(l.done)
	backoff := time.Duration(0)
	for {
		select {
		case <-l.kick:
		case <-l.stop:
			return
		}
		if backoff > 0 {
			select {
			case <-time.After(backoff):
			case <-l.stop:
				return
			}
		} else if l.gather > 0 {
			select {
			case <-time.After(l.gather):
			case <-l.stop:
				return
			}
		}
		if err := l.write(context.Background()); err != nil {
			backoff = min(max(2*backoff, 100*time.Millisecond), 5*time.Second)
			l.log.Warn("change log append failed; will retry", zap.Error(err), zap.Duration("backoff", backoff),
				zap.Int64("entries_pending", l.m.LogEntriesPending.Load()), zap.Int64("bytes_pending", l.m.LogBytesPending.Load()))
			select {
			case l.kick <- struct{}{}:
			default:
			}
			continue
		}
		backoff = 0
	}
}

// write appends everything queued in one transaction.
func (l *changeLogger) write(ctx context.Context) error {
	batch := l.take()
	if len(batch) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, l.timeout)
	start := time.Now()
	err := l.cl.AppendChanges(ctx, batch)
	cancel()
	l.m.LogAppendNanos.Add(int64(time.Since(start)))
	l.settle(batch, err)
	return err
}

// close stops the goroutine and waits for it.
func (l *changeLogger) close() {
	close(l.stop)
	<-l.done
}
