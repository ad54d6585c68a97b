package crdt

import "github.com/automerge/automerge-go"

// Missing returns those of heads (another replica's) that this document does
// not hold.
func (d *Doc) Missing(heads []automerge.ChangeHash) []automerge.ChangeHash {
	var out []automerge.ChangeHash
	for _, h := range heads {
		if err := guard(func() error { _, err := d.live().Change(h); return err }); err != nil {
			out = append(out, h)
		}
	}
	return out
}
