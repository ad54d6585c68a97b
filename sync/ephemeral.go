package sync

import (
	"time"

	"github.com/pairpad/pairpad/sync/wire"
)

// Ephemeral de-duplication: a room remembers, per sender, the last count of
// each session it forwarded, and drops a message whose count is not newer.
// A local sender's entry goes when its peer leaves; a sender on another
// instance (REDIS_URL) never leaves this room, so its entry is forgotten
// once it has been silent for remoteEphemeralIdle (checked on each heads
// tick), and a room never tracks more than maxEphemeralSenders senders:
// over it, the remote ones silent longest are forgotten first. Forgetting
// an entry at worst lets an old duplicate through, which peers ignore.

// maxEphemeralSenders bounds the senders one room de-duplicates.
const maxEphemeralSenders = 1024

// maxEphemeralSessions bounds the sessions remembered per sender.
const maxEphemeralSessions = 64

// remoteEphemeralIdle: a remote sender silent this many heads intervals
// (10 s by default) is forgotten.
const remoteEphemeralIdle = 5

type ephemeralSeen struct {
	sessions map[string]uint64 // session -> last count
	at       time.Time         // last message
}

// ephemeralNew reports whether msg is newer than what the room forwarded
// from its sender and session, and records it.
func (r *room) ephemeralNew(msg wire.Message, now time.Time) bool {
	s := r.ephemeral[msg.SenderID]
	if s == nil {
		if len(r.ephemeral) >= maxEphemeralSenders {
			r.forgetEphemeral(now, true)
		}
		s = &ephemeralSeen{sessions: map[string]uint64{}}
		r.ephemeral[msg.SenderID] = s
		r.hub.metrics.EphemeralSenders.Add(1)
	}
	if last, seen := s.sessions[msg.SessionID]; seen && *msg.Count <= last {
		return false
	}
	if len(s.sessions) >= maxEphemeralSessions {
		clear(s.sessions)
	}
	s.sessions[msg.SessionID] = *msg.Count
	s.at = now
	return true
}

// forgetEphemeral drops the entries of remote senders silent for
// remoteEphemeralIdle heads intervals; full (the room is at
// maxEphemeralSenders) it also drops the older half of the remote ones.
func (r *room) forgetEphemeral(now time.Time, full bool) {
	idle := remoteEphemeralIdle * r.hub.cfg.HeadsInterval
	var cutoff time.Time
	if full {
		// The median age of remote entries: half of them go.
		var ages []time.Time
		for id, s := range r.ephemeral {
			if r.byID[id] == nil {
				ages = append(ages, s.at)
			}
		}
		if len(ages) > 0 {
			cutoff = medianTime(ages)
		}
	}
	for id, s := range r.ephemeral {
		if r.byID[id] != nil {
			continue // a peer of this instance: goes when it leaves
		}
		if now.Sub(s.at) > idle || (full && !s.at.After(cutoff)) {
			r.dropEphemeralSender(id)
			r.hub.metrics.EphemeralForgotten.Add(1)
		}
	}
}

func (r *room) dropEphemeralSender(id string) {
	if _, ok := r.ephemeral[id]; ok {
		delete(r.ephemeral, id)
		r.hub.metrics.EphemeralSenders.Add(-1)
	}
}

// dropEphemeral forgets every entry (the room ends).
func (r *room) dropEphemeral() {
	r.hub.metrics.EphemeralSenders.Add(-int64(len(r.ephemeral)))
	clear(r.ephemeral)
}

func medianTime(ts []time.Time) time.Time {
	// Quickselect is not worth it at 1024 entries: sort.
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j].Before(ts[j-1]); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
	return ts[len(ts)/2]
}
