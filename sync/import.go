package sync

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pairpad/pairpad/crdt"
)

// Import errors (POST /rooms with an Automerge document).
var (
	// ErrImportInvalid: the body is not an Automerge document holding
	// {content: Text}.
	ErrImportInvalid = errors.New("invalid document")
	// ErrImportTooLarge: the body is over MaxFrameBytes or its document
	// over MaxDocBytes.
	ErrImportTooLarge = errors.New("document too large")
)

// ImportRoom creates a room from an exported document (GET /snapshot of
// this or another server, or any Automerge document holding {content:
// Text} and optionally language), keeping its whole history: the room's
// document is the imported one, saved again, so its changes keep their
// hashes. Checked before anything is stored: the bytes are at most
// MaxFrameBytes (a peer could not send more in one frame), the document
// loads, content is a text, and text plus language are at most MaxDocBytes.
// Loading it counts in the memory budget like a history load (history.go).
func (h *Hub) ImportRoom(ctx context.Context, data []byte) (RoomRecord, error) {
	if int64(len(data)) > h.cfg.MaxFrameBytes {
		return RoomRecord{}, fmt.Errorf("%w: %d bytes, over MAX_FRAME_BYTES (%d)", ErrImportTooLarge, len(data), h.cfg.MaxFrameBytes)
	}
	select {
	case h.historySem <- struct{}{}:
	case <-ctx.Done():
		return RoomRecord{}, ctx.Err()
	}
	defer func() { <-h.historySem }()
	mem := roomMemory(int64(len(data)))
	if h.overBudget(mem) {
		h.metrics.History.Refused.Add(1)
		return RoomRecord{}, ErrOverloaded
	}
	h.memTotal.Add(mem)
	defer h.memTotal.Add(-mem)
	defer h.noteGarbage()
	doc, err := crdt.Load(data)
	if err != nil || len(doc.Heads()) == 0 {
		return RoomRecord{}, fmt.Errorf("%w: not an Automerge document", ErrImportInvalid)
	}
	if !doc.ContentIsText() {
		return RoomRecord{}, fmt.Errorf("%w: the document has no text at \"content\"", ErrImportInvalid)
	}
	size, err := doc.SizeBytes()
	if err != nil {
		return RoomRecord{}, fmt.Errorf("%w: %v", ErrImportInvalid, err)
	}
	if int64(size) > h.cfg.MaxDocBytes {
		return RoomRecord{}, fmt.Errorf("%w: %d characters of text and language, over MAX_DOC_BYTES (%d)", ErrImportTooLarge, size, h.cfg.MaxDocBytes)
	}
	text, err := doc.Text()
	if err != nil {
		return RoomRecord{}, fmt.Errorf("%w: %v", ErrImportInvalid, err)
	}
	saved, err := doc.Save()
	if err != nil {
		return RoomRecord{}, fmt.Errorf("%w: %v", ErrImportInvalid, err)
	}
	now := time.Now().UTC()
	// The store keeps a known language in its column (plaintext otherwise);
	// the document keeps whatever it holds.
	rec := RoomRecord{ID: crdt.NewDocumentID(), Language: doc.Language(), Data: saved, Text: text, Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := h.store.Create(ctx, rec); err != nil {
		return RoomRecord{}, Unavailable(err)
	}
	h.metrics.Imports.Add(1)
	return rec, nil
}
