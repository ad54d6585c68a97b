package sync

import (
	"context"
	"errors"
	"fmt"
)

// LogEntry is one incremental save of a room's document (automerge's
// SaveIncremental): the changes made since the previous entry.
//
// Entries are keyed by (RoomID, Writer, Seq). Writer names the room
// incarnation that took them (random per load), so two server instances, or
// an instance and its restarted self, never reuse a key; Seq increases per
// writer. A snapshot covers entries by writer and sequence (see LogMarks).
type LogEntry struct {
	RoomID string
	Writer string
	Seq    int64
	Data   []byte
}

// LogMarks says which log entries a document includes: for each writer, the
// last sequence number folded in.
type LogMarks map[string]int64

// Cover records that the document includes writer's entries up to seq.
func (m LogMarks) Cover(writer string, seq int64) {
	if seq > m[writer] {
		m[writer] = seq
	}
}

// ChangeLog is the optional incremental log a Store may implement. With it,
// a room appends its changes at most every LogInterval and the periodic
// snapshot compacts the log; without it, only snapshots are written.
//
// A store implementing ChangeLog folds the log into Load: RoomRecord.Data is
// then the snapshot followed by its log entries (automerge loads such a
// concatenation as one document) and RoomRecord.Log names the entries
// folded in.
type ChangeLog interface {
	// AppendChanges stores entries of any number of rooms in one
	// transaction: all or none.
	AppendChanges(ctx context.Context, entries []LogEntry) error
	// Compact is Save that also deletes, in the same transaction, the log
	// entries covered by marks: the compare-and-set on base is Save's
	// (ErrConflict, ErrNotFound). A store shared by several instances
	// lets one compact a room at a time and returns ErrCompactBusy to the
	// others, without changing anything.
	Compact(ctx context.Context, id string, data []byte, language, text string, base int64, marks LogMarks) (int64, error)
}

// ErrCompactBusy: another instance is compacting the room right now
// (ChangeLog.Compact); nothing was changed. The hub waits a moment and tries
// again, then merges what that instance saved.
var ErrCompactBusy = errors.New("another instance is compacting this room")

// ErrUnavailable: the database failed (down, unreachable, timed out). The
// api answers 503 with a message saying so.
var ErrUnavailable = errors.New("the database is unavailable")

// Unavailable marks a store failure that is not one of the store's sentinel
// errors as ErrUnavailable (keeping the cause).
func Unavailable(err error) error {
	if err == nil || errors.Is(err, ErrNotFound) || errors.Is(err, ErrExists) || errors.Is(err, ErrConflict) || errors.Is(err, ErrCompactBusy) || errors.Is(err, ErrUnavailable) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}
