package sync

import stdsync "sync"

// MemoryBroker is a Broker inside one process: it connects several Hubs
// (each an "instance") for tests and for running more than one hub in a
// binary. Messages are delivered synchronously, in publish order, by the
// publishing goroutine.
type MemoryBroker struct {
	mu   stdsync.RWMutex
	subs map[string]map[*memorySub]struct{}
}

type memorySub struct {
	origin  string
	deliver func(BrokerMessage)
}

// NewMemoryBroker returns an empty in-process broker.
func NewMemoryBroker() *MemoryBroker {
	return &MemoryBroker{subs: map[string]map[*memorySub]struct{}{}}
}

// Publish delivers msg to every subscriber of msg.Room of another origin.
func (b *MemoryBroker) Publish(msg BrokerMessage) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for s := range b.subs[msg.Room] {
		if s.origin != msg.Origin && (msg.To == "" || msg.To == s.origin) {
			s.deliver(msg)
		}
	}
	return nil
}

// Subscribe registers deliver for room's messages from other origins.
func (b *MemoryBroker) Subscribe(room, origin string, deliver func(BrokerMessage)) (func(), error) {
	s := &memorySub{origin: origin, deliver: deliver}
	b.mu.Lock()
	if b.subs[room] == nil {
		b.subs[room] = map[*memorySub]struct{}{}
	}
	b.subs[room][s] = struct{}{}
	b.mu.Unlock()
	var once stdsync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.subs[room], s)
			if len(b.subs[room]) == 0 {
				delete(b.subs, room)
			}
			b.mu.Unlock()
		})
	}, nil
}
