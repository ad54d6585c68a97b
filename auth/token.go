package auth

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Errors. api maps them to HTTP statuses in one place: ErrNoToken,
// ErrInvalidToken, ErrExpired, ErrRevoked and ErrTokenTooLong to 401;
// ErrWrongRoom and ErrRoleTooLow to 403; ErrLinkNotFound to 404;
// ErrInvalidInput to 400.
var (
	ErrNoToken      = errors.New("no token")
	ErrInvalidToken = errors.New("invalid token")
	ErrTokenTooLong = errors.New("token too long")
	ErrExpired      = errors.New("token expired")
	ErrRevoked      = errors.New("link revoked")
	ErrWrongRoom    = errors.New("token is for another room")
	ErrRoleTooLow   = errors.New("role too low")
	ErrLinkNotFound = errors.New("link not found")
	ErrInvalidInput = errors.New("invalid input")
)

// Issuer marks the link tokens this server signs.
const Issuer = "pairpad"

// AnyRoom in an application token's room claim grants its role in every room.
const AnyRoom = "*"

// DefaultMaxTokenBytes bounds a token before it is parsed.
const DefaultMaxTokenBytes = 4096

// Kind says where an identity came from.
type Kind string

// Kinds of identity.
const (
	KindLink Kind = "link" // a link token checked against its record
	KindApp  Kind = "app"  // an application token (APP_TOKEN_SECRET)
	KindOpen Kind = "open" // ACCESS=open without a token: the room id alone
)

// Identity is what a checked token says about its holder.
type Identity struct {
	Kind Kind
	// Room is a room id, or AnyRoom for an application token that names
	// no particular room.
	Room   string
	Role   Role
	LinkID string // link tokens only
	Name   string // application tokens only: the display name
	// Docs: an application token's docs claim (document ids or AnyRoom).
	Docs []string
	// ExpiresAt is when the token or its link stops working; zero: never.
	ExpiresAt time.Time
	// Notes: a link token whose link opens the room's private notes.
	Notes bool
}

// MayReadNotes says whether the identity opens its room's private notes:
// owners do; other link holders when the owner granted their link.
func (id Identity) MayReadNotes() bool {
	if id.Kind == KindOpen {
		return false
	}
	return id.Role == RoleOwner || (id.Kind == KindLink && id.Notes)
}

// Claims is the JWT payload of both kinds of token. Link tokens carry room,
// role, jti (the link id), iss "pairpad", iat and optionally exp;
// application tokens carry room, role, name and exp.
type Claims struct {
	Room string `json:"room"`
	Role Role   `json:"role"`
	Name string `json:"name,omitempty"`
	// Docs (application tokens): document ids, or AnyRoom, the token opens
	// through GET /sync (and /ws, for rooms among them).
	Docs []string `json:"docs,omitempty"`
	jwt.RegisteredClaims
}

// maxNameRunes bounds an application token's display name.
const maxNameRunes = 64

// tokenParser verifies HS256 tokens with one key. Every other algorithm,
// including "none", is refused before any key is used.
type tokenParser struct {
	key    []byte
	parser *jwt.Parser
}

func newTokenParser(key []byte, now func() time.Time, requireExp bool) *tokenParser {
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(5 * time.Second),
		jwt.WithTimeFunc(now),
	}
	if requireExp {
		opts = append(opts, jwt.WithExpirationRequired())
	}
	return &tokenParser{key: key, parser: jwt.NewParser(opts...)}
}

func (p *tokenParser) parse(token string) (*Claims, error) {
	var c Claims
	_, err := p.parser.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		// WithValidMethods has checked the alg header; this is the type
		// check the library's docs ask every keyfunc to make.
		if _, ok := t.Method.(*jwt.SigningMethodHMAC); !ok {
			return nil, fmt.Errorf("unexpected signing method %v", t.Header["alg"])
		}
		return p.key, nil
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// sign makes an HS256 token of claims with key.
func sign(key []byte, c Claims) (string, error) {
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(key)
}

// IsTokenError reports whether err is a verdict on a token (one of the
// errors above) rather than a failure to reach the link store.
func IsTokenError(err error) bool {
	for _, e := range []error{ErrNoToken, ErrInvalidToken, ErrTokenTooLong, ErrExpired, ErrRevoked,
		ErrWrongRoom, ErrRoleTooLow, ErrLinkNotFound, ErrInvalidInput} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// mapJWTError turns the library's errors into ours, keeping the detail.
func mapJWTError(err error) error {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return fmt.Errorf("%w: %v", ErrExpired, err)
	default:
		return fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
}

// BearerToken extracts the token from an Authorization header value
// ("Bearer TOKEN", scheme case-insensitive); "" when there is none.
func BearerToken(header string) string {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

// cleanName keeps a display name printable and short.
func cleanName(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range strings.TrimSpace(s) {
		if n == maxNameRunes {
			break
		}
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			continue
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}
