package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
)

// Link is a share link as stored: the record its token points at.
type Link struct {
	ID        string
	RoomID    string
	Role      Role
	Label     string
	CreatedAt time.Time
	RevokedAt *time.Time
	ExpiresAt *time.Time
	// Notes: the link also opens the room's private notes (owner links
	// always do).
	Notes bool
}

// Active says whether the link still opens its room at t.
func (l Link) Active(t time.Time) bool {
	return l.RevokedAt == nil && (l.ExpiresAt == nil || t.Before(*l.ExpiresAt))
}

// LinkStore keeps links. Implementations (persistence) are safe for
// concurrent use and return ErrLinkNotFound for an unknown id.
type LinkStore interface {
	CreateLink(ctx context.Context, l Link) error
	GetLink(ctx context.Context, id string) (Link, error)
	ListLinks(ctx context.Context, roomID string) ([]Link, error)
	// SetLinkRole changes a link's role and returns the updated link.
	SetLinkRole(ctx context.Context, id string, role Role) (Link, error)
	// SetLinkNotes grants or withdraws a link's access to the room's
	// private notes and returns the updated link.
	SetLinkNotes(ctx context.Context, id string, notes bool) (Link, error)
	// RevokeLink marks a link revoked at at (the first revocation wins)
	// and returns the updated link.
	RevokeLink(ctx context.Context, id string, at time.Time) (Link, error)
}

// SecretStore keeps server-generated secrets so restarts keep tokens valid.
type SecretStore interface {
	// LoadOrCreateSecret returns the secret stored under name, storing
	// fresh first if there is none. Concurrent callers (even on other
	// instances) all get the same value.
	LoadOrCreateSecret(ctx context.Context, name string, fresh []byte) ([]byte, error)
}

// LinkSecretName is the SecretStore key of the generated link secret.
const LinkSecretName = "link_token_secret"

// MinSecretBytes is the shortest secret accepted for HS256.
const MinSecretBytes = 32

// LinkSecret returns configured when it is set, else the secret kept in
// store (generated at first start).
func LinkSecret(ctx context.Context, configured string, store SecretStore) ([]byte, error) {
	if configured != "" {
		return []byte(configured), nil
	}
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	return store.LoadOrCreateSecret(ctx, LinkSecretName, fresh)
}

// Config sets up a Service.
type Config struct {
	// LinkSecret signs link tokens (AUTH_SECRET or the stored one).
	LinkSecret []byte
	// AppSecret verifies application tokens (APP_TOKEN_SECRET); empty
	// refuses them.
	AppSecret []byte
	// MaxTokenBytes bounds a token before parsing. Default 4096.
	MaxTokenBytes int
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Service issues and checks tokens. Safe for concurrent use.
type Service struct {
	links    LinkStore
	linkKey  []byte
	maxBytes int
	now      func() time.Time
	link     *tokenParser
	app      *tokenParser // nil: application tokens refused
	metrics  *Metrics
	cache    *linkCache // last known link records, for database outages
}

// NewService checks cfg and returns a Service over links.
func NewService(cfg Config, links LinkStore) (*Service, error) {
	if len(cfg.LinkSecret) < MinSecretBytes {
		return nil, fmt.Errorf("link secret: want at least %d bytes, got %d", MinSecretBytes, len(cfg.LinkSecret))
	}
	if len(cfg.AppSecret) > 0 && len(cfg.AppSecret) < MinSecretBytes {
		return nil, fmt.Errorf("application token secret: want at least %d bytes, got %d", MinSecretBytes, len(cfg.AppSecret))
	}
	if len(cfg.AppSecret) > 0 && string(cfg.AppSecret) == string(cfg.LinkSecret) {
		return nil, errors.New("application token secret must differ from the link secret")
	}
	if cfg.MaxTokenBytes <= 0 {
		cfg.MaxTokenBytes = DefaultMaxTokenBytes
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Service{links: links, linkKey: cfg.LinkSecret, maxBytes: cfg.MaxTokenBytes, now: cfg.Now, metrics: &Metrics{}, cache: newLinkCache(0)}
	s.link = newTokenParser(cfg.LinkSecret, cfg.Now, false)
	if len(cfg.AppSecret) > 0 {
		s.app = newTokenParser(cfg.AppSecret, cfg.Now, true)
	}
	return s, nil
}

// Metrics returns the service's counters.
func (s *Service) Metrics() *Metrics { return s.metrics }

// MaxTokenBytes is the configured token size limit.
func (s *Service) MaxTokenBytes() int { return s.maxBytes }

// NewLinkID returns a random link id (16 bytes, base64url).
func NewLinkID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// maxLabelRunes bounds a link's label.
const maxLabelRunes = 100

// CreateLink stores a new link for room and returns it with its token.
// expiresIn 0 means the link never expires.
func (s *Service) CreateLink(ctx context.Context, room string, role Role, label string, expiresIn time.Duration) (Link, string, error) {
	if !role.Valid() {
		return Link{}, "", fmt.Errorf("%w: role %q: want viewer, editor or owner", ErrInvalidInput, role)
	}
	if expiresIn < 0 {
		return Link{}, "", fmt.Errorf("%w: expires_in must be positive", ErrInvalidInput)
	}
	label = strings.TrimSpace(label)
	if utf8.RuneCountInString(label) > maxLabelRunes || !utf8.ValidString(label) {
		return Link{}, "", fmt.Errorf("%w: label: at most %d characters of valid UTF-8", ErrInvalidInput, maxLabelRunes)
	}
	now := s.now().UTC().Truncate(time.Microsecond) // as PostgreSQL keeps it; orders links
	l := Link{ID: NewLinkID(), RoomID: room, Role: role, Label: label, CreatedAt: now}
	if expiresIn > 0 {
		exp := now.Add(expiresIn).Truncate(time.Second)
		if !exp.After(now) {
			exp = now.Add(time.Second)
		}
		l.ExpiresAt = &exp
	}
	tok, err := s.Token(l)
	if err != nil {
		return Link{}, "", err
	}
	if err := s.links.CreateLink(ctx, l); err != nil {
		return Link{}, "", err
	}
	s.metrics.LinksCreated.Add(1)
	s.cache.put(l, now)
	return l, tok, nil
}

// Token mints the token of a link from its record: the same record (and
// role) always gives the same token, so owners can list links with tokens.
func (s *Service) Token(l Link) (string, error) {
	c := Claims{Room: l.RoomID, Role: l.Role, RegisteredClaims: jwt.RegisteredClaims{
		ID: l.ID, Issuer: Issuer, IssuedAt: jwt.NewNumericDate(l.CreatedAt),
	}}
	if l.ExpiresAt != nil {
		c.ExpiresAt = jwt.NewNumericDate(*l.ExpiresAt)
	}
	return sign(s.linkKey, c)
}

// Authenticate checks a token and returns who holds it. A link token is
// verified against the link secret and then its record, which decides the
// role (so role changes apply to tokens already handed out); an application
// token is verified against the application secret alone.
func (s *Service) Authenticate(ctx context.Context, token string) (id Identity, err error) {
	start := time.Now()
	defer func() { s.metrics.observeCheck(time.Since(start), err) }()
	if token == "" {
		return Identity{}, ErrNoToken
	}
	if len(token) > s.maxBytes {
		return Identity{}, fmt.Errorf("%w: %d bytes, limit %d (AUTH_MAX_TOKEN_BYTES)", ErrTokenTooLong, len(token), s.maxBytes)
	}
	c, err := s.link.parse(token)
	if err == nil {
		return s.checkLink(ctx, c)
	}
	if s.app != nil && errors.Is(err, jwt.ErrTokenSignatureInvalid) {
		ac, aerr := s.app.parse(token)
		if aerr == nil {
			return s.checkApp(ac)
		}
		if !errors.Is(aerr, jwt.ErrTokenSignatureInvalid) {
			err = aerr // signed with the app secret, but bad: say why
		}
	}
	return Identity{}, mapJWTError(err)
}

func (s *Service) checkLink(ctx context.Context, c *Claims) (Identity, error) {
	if c.Issuer != Issuer || c.ID == "" {
		return Identity{}, fmt.Errorf("%w: not a link token", ErrInvalidToken)
	}
	l, err := s.links.GetLink(ctx, c.ID)
	switch {
	case errors.Is(err, ErrLinkNotFound):
		s.cache.forget(c.ID)
		return Identity{}, fmt.Errorf("%w: the link does not exist (any more)", ErrRevoked)
	case err != nil:
		// The store does not answer (a database outage): the last record
		// this instance saw still decides, so loaded rooms keep serving
		// their people. Without one the caller reports the outage.
		cached, ok := s.cache.get(c.ID)
		if !ok {
			return Identity{}, err
		}
		s.metrics.StaleLinkChecks.Add(1)
		l = cached
	default:
		s.cache.put(l, s.now())
	}
	if l.RoomID != c.Room {
		return Identity{}, fmt.Errorf("%w: room does not match its link", ErrInvalidToken)
	}
	if l.RevokedAt != nil {
		return Identity{}, ErrRevoked
	}
	id := Identity{Kind: KindLink, Room: l.RoomID, Role: l.Role, LinkID: l.ID, Notes: l.Notes}
	if l.ExpiresAt != nil {
		if !s.now().Before(*l.ExpiresAt) {
			return Identity{}, fmt.Errorf("%w: the link expired at %s", ErrExpired, l.ExpiresAt.UTC().Format(time.RFC3339))
		}
		id.ExpiresAt = *l.ExpiresAt
	}
	if !id.Role.Valid() {
		return Identity{}, fmt.Errorf("%w: stored role %q", ErrInvalidToken, l.Role)
	}
	return id, nil
}

func (s *Service) checkApp(c *Claims) (Identity, error) {
	if c.Issuer == Issuer {
		return Identity{}, fmt.Errorf("%w: application tokens must not use issuer %q", ErrInvalidToken, Issuer)
	}
	if c.Room == "" && len(c.Docs) == 0 {
		return Identity{}, fmt.Errorf("%w: application token without a room claim (a room id or %q) or docs claim (a list of document ids, or [%q])", ErrInvalidToken, AnyRoom, AnyRoom)
	}
	if len(c.Docs) > maxDocsClaim {
		return Identity{}, fmt.Errorf("%w: docs claim lists %d documents, at most %d", ErrInvalidToken, len(c.Docs), maxDocsClaim)
	}
	if !c.Role.Valid() {
		return Identity{}, fmt.Errorf("%w: application token role %q: want viewer, editor or owner", ErrInvalidToken, c.Role)
	}
	id := Identity{Kind: KindApp, Room: c.Room, Role: c.Role, Name: cleanName(c.Name), Docs: c.Docs}
	if c.ExpiresAt != nil {
		id.ExpiresAt = c.ExpiresAt.Time
	}
	return id, nil
}

// maxDocsClaim bounds an application token's docs claim (AUTH_MAX_TOKEN_BYTES
// bounds it too).
const maxDocsClaim = 1000

// SyncDocs is the documents id may open through GET /sync: an application
// token's docs claim, else its room claim (a room id or AnyRoom); a link
// token's room.
func (id Identity) SyncDocs() []string {
	if id.Kind == KindApp && len(id.Docs) > 0 {
		return id.Docs
	}
	if id.Room == "" {
		return nil
	}
	return []string{id.Room}
}

// Authorize says whether id may act in room with at least role need.
func Authorize(id Identity, room string, need Role) error {
	if id.Room != room && !(id.Kind == KindApp && (id.Room == AnyRoom || slices.Contains(id.Docs, room) || slices.Contains(id.Docs, AnyRoom))) {
		return ErrWrongRoom
	}
	if !id.Role.AtLeast(need) {
		return fmt.Errorf("%w: this needs %s, the token gives %s", ErrRoleTooLow, need, id.Role)
	}
	return nil
}

// Links lists a room's links, oldest first.
func (s *Service) Links(ctx context.Context, room string) ([]Link, error) {
	return s.links.ListLinks(ctx, room)
}

// roomLink loads a link and checks it belongs to room.
func (s *Service) roomLink(ctx context.Context, room, linkID string) (Link, error) {
	l, err := s.links.GetLink(ctx, linkID)
	if err != nil {
		return Link{}, err
	}
	if l.RoomID != room {
		return Link{}, ErrLinkNotFound
	}
	return l, nil
}

// SetRole changes the role of one of room's links.
func (s *Service) SetRole(ctx context.Context, room, linkID string, role Role) (Link, error) {
	if !role.Valid() {
		return Link{}, fmt.Errorf("%w: role %q: want viewer, editor or owner", ErrInvalidInput, role)
	}
	if _, err := s.roomLink(ctx, room, linkID); err != nil {
		return Link{}, err
	}
	l, err := s.links.SetLinkRole(ctx, linkID, role)
	if err == nil {
		s.metrics.RoleChanges.Add(1)
		s.cache.put(l, s.now())
	}
	return l, err
}

// SetNotes grants (or withdraws) one of room's links access to the room's
// private notes.
func (s *Service) SetNotes(ctx context.Context, room, linkID string, notes bool) (Link, error) {
	if _, err := s.roomLink(ctx, room, linkID); err != nil {
		return Link{}, err
	}
	l, err := s.links.SetLinkNotes(ctx, linkID, notes)
	if err == nil {
		s.cache.put(l, s.now())
	}
	return l, err
}

// Revoke revokes one of room's links.
func (s *Service) Revoke(ctx context.Context, room, linkID string) (Link, error) {
	if _, err := s.roomLink(ctx, room, linkID); err != nil {
		return Link{}, err
	}
	l, err := s.links.RevokeLink(ctx, linkID, s.now().UTC())
	if err == nil {
		s.metrics.LinksRevoked.Add(1)
		s.cache.put(l, s.now())
	}
	return l, err
}
