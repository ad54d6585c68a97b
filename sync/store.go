package sync

import (
	"context"
	"errors"
	"time"
)

// Store errors. Implementations return these (possibly wrapped).
var (
	ErrNotFound = errors.New("room not found")
	ErrExists   = errors.New("room already exists")
	// ErrConflict: the stored version is not the one the save was based on;
	// another writer saved in between. The caller merges and retries.
	ErrConflict = errors.New("room was saved by another writer")
	// ErrNoText: the room was saved before text copies were stored.
	ErrNoText = errors.New("no stored text copy")
)

// NoText, passed to Save or Compact as the text, stores no text copy (the
// text column is NULL, LoadText answers ErrNoText and GET /text reads the
// stored document). A live room saves so while walking its text would hold
// up its peers' keystrokes (see room.startSaveCtx); its final save stores
// the copy. The NUL bytes never reach a column (they are replaced), so a
// document whose text is exactly this string is merely read from its
// document: never a wrong answer.
const NoText = "\x00pairpad:no-text-copy\x00"

// RoomRecord is a room as stored.
type RoomRecord struct {
	ID       string
	Language string
	// Data is the saved Automerge document.
	Data []byte
	// Text is the document's content as of Data (what GET /rooms/{id}/text
	// answers for a room that is not loaded).
	Text string
	// Version increases by one on every save; saves are conditional on it.
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
	// Log names the change-log entries that Load appended to Data (stores
	// implementing ChangeLog); nil when there were none.
	Log LogMarks
}

// RoomMeta is a room's stored metadata without its document.
type RoomMeta struct {
	ID        string
	Language  string
	SizeBytes int
	// TextChars: characters in the stored text copy (0 when there is none):
	// what the room will weigh in memory once loaded (memory.go).
	TextChars int
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Store is what the sync core needs from persistence. Implementations must
// be safe for concurrent use.
type Store interface {
	// Create stores a new room; ErrExists if the id is taken.
	Create(ctx context.Context, rec RoomRecord) error
	// Load returns a room with its document; ErrNotFound if unknown.
	Load(ctx context.Context, id string) (RoomRecord, error)
	// Meta returns a room's metadata; ErrNotFound if unknown.
	Meta(ctx context.Context, id string) (RoomMeta, error)
	// Save replaces the document (and its text copy) if the stored version
	// still is base, and returns the new version. ErrConflict if it is not;
	// ErrNotFound if the room is gone.
	Save(ctx context.Context, id string, data []byte, language, text string, base int64) (int64, error)
	// LoadText returns the text copy stored with the document, without the
	// document; ErrNoText if there is no current copy (the room predates
	// text copies, or has change-log entries newer than its snapshot: the
	// caller then reads the document); ErrNotFound if unknown.
	LoadText(ctx context.Context, id string) (string, error)
	// LoadTextHeads is LoadText with the heads of the stored document the
	// copy was written with (hex, as crdt.SavedHeads reads them); ErrNoText
	// also when the stored document is not one plain document chunk.
	LoadTextHeads(ctx context.Context, id string) (string, []string, error)
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Close releases the store.
	Close() error
}
