package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/websocket"
	"go.uber.org/zap"

	"github.com/pairpad/pairpad/auth"
	pairsync "github.com/pairpad/pairpad/sync"
)

// GET /sync policies (SYNC_ENDPOINT).
const (
	// SyncOff: /sync answers 404 sync_disabled.
	SyncOff = "off"
	// SyncOpen: anyone may open and create any document (a token, when
	// given, is still checked and decides).
	SyncOpen = "open"
	// SyncToken: a token is required; it names the documents (an
	// application token's docs claim, or a room) and the role.
	SyncToken = "token"
)

// syncPolicy is the effective SYNC_ENDPOINT.
func (s *Server) syncPolicy() string {
	switch s.opts.SyncEndpoint {
	case SyncOff, SyncOpen, SyncToken:
		return s.opts.SyncEndpoint
	}
	if s.open() {
		return SyncOpen
	}
	return SyncToken
}

// serveSync upgrades GET /sync: automerge-repo's sync server endpoint, many
// documents per socket (sync.ServeSync). The token comes as on /ws:
// Authorization: Bearer, or ?token= (browsers cannot set headers on
// WebSockets; automerge-repo's WebSocketClientAdapter takes a URL).
func (s *Server) serveSync(c *gin.Context) {
	policy := s.syncPolicy()
	if policy == SyncOff {
		writeError(c, http.StatusNotFound, "sync_disabled", "GET /sync is off on this server (SYNC_ENDPOINT=off)")
		return
	}
	token := auth.BearerToken(c.GetHeader("Authorization"))
	if token == "" {
		token = c.Query("token")
	}
	var access pairsync.SyncAccess
	switch {
	case token == "" && policy == SyncOpen:
		access = pairsync.SyncAccess{Role: pairsync.RoleEditor, Docs: []string{pairsync.AnyDoc}}
	case s.auth == nil:
		if policy != SyncOpen {
			writeError(c, http.StatusUnauthorized, "no_token", "SYNC_ENDPOINT=token needs tokens, and this server has no token service")
			return
		}
		access = pairsync.SyncAccess{Role: pairsync.RoleEditor, Docs: []string{pairsync.AnyDoc}}
	default:
		id, err := s.auth.Authenticate(c.Request.Context(), token)
		if err != nil {
			if !auth.IsTokenError(err) {
				err = pairsync.Unavailable(err)
			}
			s.fail(c, err)
			return
		}
		access = pairsync.SyncAccess{Role: pairsync.Role(id.Role), Docs: id.SyncDocs(), LinkID: id.LinkID, Name: id.Name, ExpiresAt: id.ExpiresAt}
	}
	if !websocket.IsWebSocketUpgrade(c.Request) {
		writeError(c, http.StatusBadRequest, "not_websocket", "this endpoint needs a WebSocket upgrade (automerge-repo protocol)")
		return
	}
	conn, err := s.upgrader.Upgrade(c.Writer, c.Request, nil)
	if err != nil {
		s.log.Info("websocket upgrade failed", zap.Error(err))
		return
	}
	// As in serveWS: the connection outlives this handler.
	ctx := context.WithoutCancel(c.Request.Context())
	go s.hub.StartSyncConn(ctx, conn, access, s.log.WithLazy(zap.String("endpoint", "sync"), zap.String("remote", c.ClientIP())))
}
