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
