package sync

import (
	stdsync "sync"
	"time"
)

// Keep-alive pings. One goroutine pings every connection instead of a timer
// per connection (a timer, its callback and a lock cost ~0.4 KB per idle
// connection). Each tick (PingPeriod/pingTicks) asks every connection that
// was last pinged at least PingPeriod - tick ago for a ping; its writer
// (started on demand, like for any frame) writes it. So each connection is
// pinged every PingPeriod at most, and the pings of connections that joined
// at different times stay spread out.
const pingTicks = 50

// pingSet is the hub's set of connections to ping.
type pingSet struct {
	mu    stdsync.Mutex
	peers []*peer // each peer's pingIdx is its index here
	due   []*peer // reused by sweep
}

func (s *pingSet) add(p *peer) {
	s.mu.Lock()
	p.pingIdx = len(s.peers)
	p.lastPing = time.Now().UnixNano()
	s.peers = append(s.peers, p)
	s.mu.Unlock()
}

func (s *pingSet) remove(p *peer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := p.pingIdx
	if i < 0 || i >= len(s.peers) || s.peers[i] != p {
		return // never added, or removed already
	}
	last := s.peers[len(s.peers)-1]
	s.peers[i], last.pingIdx = last, i
	s.peers[len(s.peers)-1] = nil
	s.peers = s.peers[:len(s.peers)-1]
	p.pingIdx = -1
}

// sweep asks every connection not pinged since before cutoff for a ping.
func (s *pingSet) sweep(now time.Time, cutoff time.Time) {
	s.mu.Lock()
	due := s.due[:0]
	c, n := cutoff.UnixNano(), now.UnixNano()
	for _, p := range s.peers {
		if p.lastPing <= c {
			p.lastPing = n
			due = append(due, p)
		}
	}
	s.due = due
	s.mu.Unlock()
	for i, p := range due {
		p.requestPing()
		due[i] = nil
	}
}

// len reports how many connections are pinged.
func (s *pingSet) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.peers)
}

// pinger pings the hub's connections until Shutdown.
func (h *Hub) pinger() {
	defer h.wg.Done()
	period := h.cfg.PingPeriod
	tick := period / pingTicks
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-h.stopFlush:
			return
		case now := <-t.C:
			h.pings.sweep(now, now.Add(-(period - tick)))
		}
	}
}

// startPings has the hub ping the peer from now on, until its writing ends.
func (p *peer) startPings() { p.hub.pings.add(p) }

func (p *peer) stopPings() { p.hub.pings.remove(p) }

// requestPing has the peer's writer write a ping (nothing once it is
// closing).
func (p *peer) requestPing() {
	p.qmu.Lock()
	defer p.qmu.Unlock()
	select {
	case <-p.kicked:
		return
	default:
	}
	p.pingDue = true
	p.startWriterLocked()
}
