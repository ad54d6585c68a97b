package auth

import (
	"context"
	"slices"
	"sync"
	"time"
)

// MemoryStore is an in-memory LinkStore and SecretStore for tests and for
// servers without a database. Safe for concurrent use.
type MemoryStore struct {
	mu      sync.Mutex
	links   map[string]Link
	secrets map[string][]byte
}

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{links: map[string]Link{}, secrets: map[string][]byte{}}
}

// CreateLink implements LinkStore.
func (m *MemoryStore) CreateLink(_ context.Context, l Link) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.links[l.ID] = l
	return nil
}

// GetLink implements LinkStore.
func (m *MemoryStore) GetLink(_ context.Context, id string) (Link, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.links[id]
	if !ok {
		return Link{}, ErrLinkNotFound
	}
	return l, nil
}

// ListLinks implements LinkStore.
func (m *MemoryStore) ListLinks(_ context.Context, roomID string) ([]Link, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Link
	for _, l := range m.links {
		if l.RoomID == roomID {
			out = append(out, l)
		}
	}
	slices.SortFunc(out, func(a, b Link) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return compareStrings(a.ID, b.ID)
	})
	return out, nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// SetLinkRole implements LinkStore.
func (m *MemoryStore) SetLinkRole(_ context.Context, id string, role Role) (Link, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.links[id]
	if !ok {
		return Link{}, ErrLinkNotFound
	}
	l.Role = role
	m.links[id] = l
	return l, nil
}

// SetLinkNotes implements LinkStore.
func (m *MemoryStore) SetLinkNotes(_ context.Context, id string, notes bool) (Link, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.links[id]
	if !ok {
		return Link{}, ErrLinkNotFound
	}
	l.Notes = notes
	m.links[id] = l
	return l, nil
}

// RevokeLink implements LinkStore.
func (m *MemoryStore) RevokeLink(_ context.Context, id string, at time.Time) (Link, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.links[id]
	if !ok {
		return Link{}, ErrLinkNotFound
	}
	if l.RevokedAt == nil {
		l.RevokedAt = &at
		m.links[id] = l
	}
	return l, nil
}

// LoadOrCreateSecret implements SecretStore.
func (m *MemoryStore) LoadOrCreateSecret(_ context.Context, name string, fresh []byte) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := m.secrets[name]; ok {
		return slices.Clone(s), nil
	}
	m.secrets[name] = slices.Clone(fresh)
	return slices.Clone(fresh), nil
}
