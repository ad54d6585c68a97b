package sync

import (
	"github.com/automerge/automerge-go"
	"github.com/pairpad/pairpad/crdt"
)

// FailRehash makes every rebuild of change hashes in Go fail with
// crdt.ErrRehash until the returned function restores it. Tests that use it
// must not be parallel.
func FailRehash() (restore func()) {
	savedChangeHashes = func([]byte) ([]automerge.ChangeHash, error) { return nil, crdt.ErrRehash }
	return func() { savedChangeHashes = crdt.SavedChangeHashes }
}

// HoldLoads makes every document load of h wait until release is called;
// call it before the hub loads any room.
func (h *Hub) HoldLoads() (release func()) {
	g := make(chan struct{})
	h.loadGate = g
	return func() { close(g) }
}
