// Package auth owns Pairpad's access control: roles, share links and the
// tokens that carry them. A link is a database record (room, role, optional
// label and expiry, revocation time); its token is an HS256 JWT naming the
// room, the role and the link id (jti), signed with the server's link
// secret. Application tokens are HS256 JWTs minted by an embedding
// application with its own secret; they carry room (or "*"), role, name and
// exp and need no link record.
//
// The package knows nothing about HTTP or WebSockets: api turns its answers
// into status codes and sync grants. A Service is safe for concurrent use.
package auth

import "fmt"

// Role is what a token lets its holder do in a room.
type Role string

// Roles, from least to most powerful.
const (
	RoleViewer Role = "viewer" // reads the room live; changes nothing
	RoleEditor Role = "editor" // reads and writes the code
	RoleOwner  Role = "owner"  // everything, including managing links and roles
)

// Roles lists every role, least powerful first.
var Roles = []Role{RoleViewer, RoleEditor, RoleOwner}

func (r Role) rank() int {
	switch r {
	case RoleViewer:
		return 1
	case RoleEditor:
		return 2
	case RoleOwner:
		return 3
	}
	return 0
}

// Valid says whether r is one of the three roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// AtLeast says whether r grants everything need grants.
func (r Role) AtLeast(need Role) bool { return r.Valid() && r.rank() >= need.rank() }

// CanWrite says whether r may change the document.
func (r Role) CanWrite() bool { return r.AtLeast(RoleEditor) }

// ParseRole validates a role name from a request.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !r.Valid() {
		return "", fmt.Errorf("%w: role %q: want viewer, editor or owner", ErrInvalidInput, s)
	}
	return r, nil
}
