package auth

import (
	stdsync "sync"
	"time"
)

// linkCache remembers the last link records read from or written to the
// store, so that a token check can still be answered while the database is
// unreachable: a loaded room keeps serving its people through an outage
// (the durability promise), and their tokens must keep working for that.
//
// The store stays the authority: every check reads it first and the cache is
// used only when that read fails with something other than "not found".
// Role changes and revocations made through this Service update the cache at
// once, so a stale answer can only miss a change made on another instance
// during the outage itself (which that instance could not store either).
type linkCache struct {
	mu    stdsync.Mutex
	max   int
	links map[string]cachedLink
}

type cachedLink struct {
	link Link
	at   time.Time
}

// defaultLinkCacheSize bounds the cache: about 200 bytes a link.
const defaultLinkCacheSize = 50000

func newLinkCache(max int) *linkCache {
	if max <= 0 {
		max = defaultLinkCacheSize
	}
	return &linkCache{max: max, links: map[string]cachedLink{}}
}

func (c *linkCache) put(l Link, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.links[l.ID]; !ok && len(c.links) >= c.max {
		// Full: drop the oldest entry. Linear, but only on a miss when
		// full, and bounded by max.
		var oldID string
		var oldAt time.Time
		for id, e := range c.links {
			if oldID == "" || e.at.Before(oldAt) {
				oldID, oldAt = id, e.at
			}
		}
		delete(c.links, oldID)
	}
	c.links[l.ID] = cachedLink{link: l, at: now}
}

func (c *linkCache) get(id string) (Link, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.links[id]
	return e.link, ok
}

func (c *linkCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.links, id)
}
