package sync

import (
	"context"
	"time"
)

// Role is what a peer may do in a room.
type Role string

// Roles, from least to most rights.
const (
	RoleViewer Role = "viewer" // reads the document and presence
	RoleEditor Role = "editor" // also edits the document
	RoleOwner  Role = "owner"  // also manages the room's links
)

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool {
	switch r {
	case RoleViewer, RoleEditor, RoleOwner:
		return true
	}
	return false
}

// CanWrite reports whether r may change the document (editor, owner).
func (r Role) CanWrite() bool { return r == RoleEditor || r == RoleOwner }

// Grant is what one connection is allowed: which room, with which role, and
// through which link (empty when the room was opened without one). It travels
// from api through ServeConn's ctx into the room, which keeps it on the peer.
type Grant struct {
	Room   string
	Role   Role
	LinkID string
	// Name is the display name the grant was issued to, if any.
	Name string
	// ExpiresAt: the connection is closed with 4401 then (the token or its
	// link expires); zero: never.
	ExpiresAt time.Time
}

type grantKey struct{}

// WithGrant returns a context carrying g.
func WithGrant(ctx context.Context, g Grant) context.Context {
	return context.WithValue(ctx, grantKey{}, g)
}

// GrantFromContext returns the grant carried by ctx, if any.
func GrantFromContext(ctx context.Context) (Grant, bool) {
	g, ok := ctx.Value(grantKey{}).(Grant)
	return g, ok
}

// grantFor is the grant a connection to room gets from ctx: the one carried
// there, or (none carried: today's open rooms) an editor's.
func grantFor(ctx context.Context, room string) Grant {
	g, ok := GrantFromContext(ctx)
	if !ok {
		return Grant{Room: room, Role: RoleEditor}
	}
	if g.Room == "" {
		g.Room = room
	}
	return g
}
