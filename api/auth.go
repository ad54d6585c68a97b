package api

import (
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/pairpad/pairpad/auth"
	pairsync "github.com/pairpad/pairpad/sync"
)

// Access modes (ACCESS).
const (
	// AccessLinks: every room request needs a token (the default).
	AccessLinks = "links"
	// AccessOpen: a request without a token gets editor rights in the
	// room it names (the room id is the credential); a token, when given,
	// is still checked and decides the role.
	AccessOpen = "open"
)

// identityKey holds the caller's auth.Identity in the gin context.
const identityKey = "pairpad.identity"

// open reports whether a request without a token is let in.
func (s *Server) open() bool { return s.auth == nil || s.opts.Access == AccessOpen }

// require checks the caller's token for the room in :id and that its role is
// at least need; it answers 400/401/403 itself. fromQuery also takes the
// token from ?token= (WebSockets: browsers cannot set headers on them).
func (s *Server) require(need auth.Role, fromQuery bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		room, ok := s.roomID(c)
		if !ok {
			return
		}
		token := auth.BearerToken(c.GetHeader("Authorization"))
		if token == "" && fromQuery {
			token = c.Query("token")
		}
		var id auth.Identity
		switch {
		case token == "" && s.open():
			id = auth.Identity{Kind: auth.KindOpen, Room: room, Role: auth.RoleEditor}
		case s.auth == nil:
			// Tokens mean nothing without the auth service: ignore them.
			id = auth.Identity{Kind: auth.KindOpen, Room: room, Role: auth.RoleEditor}
		default:
			var err error
			id, err = s.auth.Authenticate(c.Request.Context(), token)
			if err != nil {
				// Anything but a verdict on the token is the link store
				// not answering: 503, not 500.
				if !auth.IsTokenError(err) {
					err = pairsync.Unavailable(err)
				}
				s.fail(c, err)
				return
			}
			if err := auth.Authorize(id, room, need); err != nil {
				s.auth.Metrics().Failed(err)
				s.fail(c, err)
				return
			}
		}
		if !id.Role.AtLeast(need) { // open access gives editor: owner routes stay closed
			s.fail(c, auth.ErrRoleTooLow)
			return
		}
		c.Set(identityKey, id)
		c.Next()
	}
}

// identity returns what require stored.
func identity(c *gin.Context) auth.Identity {
	v, _ := c.Get(identityKey)
	id, _ := v.(auth.Identity)
	return id
}

// checkWSOrigin refuses a browser WebSocket from a foreign page with 403.
// Allowed: the server's own origin (the Host the request was sent to), any
// origin in ALLOWED_ORIGINS ("*" allows all), and localhost origins when the
// server listens on a loopback address. A request without Origin is not
// from a browser page: its token alone decides.
func (s *Server) checkWSOrigin(c *gin.Context) {
	if !s.originAllowed(c.Request) {
		writeError(c, http.StatusForbidden, "origin_not_allowed",
			"WebSocket connections from "+c.GetHeader("Origin")+" are not allowed; add the origin to ALLOWED_ORIGINS")
		return
	}
	c.Next()
}

func (s *Server) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	for _, o := range s.opts.AllowedOrigins {
		if o == "*" || strings.EqualFold(strings.TrimSuffix(o, "/"), origin) {
			return true
		}
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	if s.opts.LoopbackOrigins {
		switch strings.ToLower(u.Hostname()) {
		case "localhost", "127.0.0.1", "::1":
			return true
		}
		if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsLoopback() {
			return true
		}
	}
	return false
}
