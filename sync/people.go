package sync

import (
	"context"
	"encoding/json"
	"sort"
)

// Person is one connection in a room on this instance as the server knows
// it: the peer id the server checks on every frame, and the link and role
// the peer's token was granted (its live role, after any change). Owners
// act on links through this list, never through what a peer claims about
// itself in its presence (any peer can claim any link id there).
type Person struct {
	PeerID string `json:"peer_id"`
	LinkID string `json:"link_id,omitempty"`
	Role   Role   `json:"role"`
	Name   string `json:"name,omitempty"` // from an application token, if any
}

// People lists the connections of room id on this instance (none when the
// room is not loaded here). With REDIS_URL, peers on other instances are
// not listed.
func (h *Hub) People(ctx context.Context, id string) ([]Person, error) {
	data, live, err := h.askLive(ctx, id, func(r *room) ([]byte, error) { return r.ask(ctx, evPeople) })
	if err != nil || !live {
		return []Person{}, err
	}
	var out []Person
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// people answers evPeople in the room goroutine.
func (r *room) people() ([]byte, error) {
	out := make([]Person, 0, len(r.peers))
	for p, ps := range r.peers {
		out = append(out, Person{PeerID: p.id, LinkID: p.grant.LinkID, Role: ps.role, Name: p.grant.Name})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PeerID < out[j].PeerID })
	return json.Marshal(out)
}
