package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/pairpad/pairpad/auth"
	"github.com/pairpad/pairpad/crdt"
	pairsync "github.com/pairpad/pairpad/sync"
)

// ErrorBody is every error response: {"error":{"code","message"}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail names what went wrong.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// writeError answers with status and {"error":{code,message}}.
func writeError(c *gin.Context, status int, code, message string) {
	c.AbortWithStatusJSON(status, ErrorBody{Error: ErrorDetail{Code: code, Message: message}})
}

// fail maps an error from the room layers below (sync, crdt, the store) to
// an HTTP answer: their sentinel errors become status codes here and
// nowhere else. Request-decoding errors (decode.go) and the autocomplete
// engine's errors (autocomplete.go) are mapped beside their handlers.
func (s *Server) fail(c *gin.Context, err error) {
	switch {
	case errors.Is(err, pairsync.ErrNotFound):
		writeError(c, http.StatusNotFound, "room_not_found", "no room with this id")
	case errors.Is(err, crdt.ErrInvalidDocumentID):
		writeError(c, http.StatusBadRequest, "invalid_room_id", err.Error())
	case errors.Is(err, pairsync.ErrExists):
		writeError(c, http.StatusConflict, "room_exists", "a room with this id exists")
	case errors.Is(err, pairsync.ErrShuttingDown):
		writeError(c, http.StatusServiceUnavailable, "shutting_down", "the server is shutting down; retry shortly")
	case errors.Is(err, pairsync.ErrOverloaded):
		writeError(c, http.StatusServiceUnavailable, "overloaded", err.Error())
	case errors.Is(err, auth.ErrNoToken):
		c.Header("WWW-Authenticate", `Bearer realm="pairpad"`)
		writeError(c, http.StatusUnauthorized, "token_required", "this room needs a token: open it with a link from its owner (Authorization: Bearer TOKEN, or ?token= on /ws)")
	case errors.Is(err, auth.ErrExpired):
		c.Header("WWW-Authenticate", `Bearer realm="pairpad", error="invalid_token"`)
		writeError(c, http.StatusUnauthorized, "token_expired", "this link has expired: ask the room's owner for a new one")
	case errors.Is(err, auth.ErrRevoked):
		c.Header("WWW-Authenticate", `Bearer realm="pairpad", error="invalid_token"`)
		writeError(c, http.StatusUnauthorized, "link_revoked", "this link has been revoked: ask the room's owner for a new one")
	case errors.Is(err, auth.ErrInvalidToken), errors.Is(err, auth.ErrTokenTooLong):
		c.Header("WWW-Authenticate", `Bearer realm="pairpad", error="invalid_token"`)
		writeError(c, http.StatusUnauthorized, "invalid_token", "the token is not valid: "+err.Error())
	case errors.Is(err, auth.ErrWrongRoom):
		writeError(c, http.StatusForbidden, "wrong_room", "this token is for another room")
	case errors.Is(err, auth.ErrRoleTooLow):
		writeError(c, http.StatusForbidden, "forbidden", "your role does not allow this: "+err.Error())
	case errors.Is(err, auth.ErrLinkNotFound):
		writeError(c, http.StatusNotFound, "link_not_found", "no link with this id in this room")
	case errors.Is(err, auth.ErrInvalidInput):
		writeError(c, http.StatusBadRequest, "invalid_field", err.Error())
	case errors.Is(err, pairsync.ErrUnavailable):
		s.log.Warn("database unavailable", zap.String("path", c.FullPath()), zap.Error(err))
		writeError(c, http.StatusServiceUnavailable, "database_unavailable", "the database is unavailable; nothing was changed, retry shortly")
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		writeError(c, http.StatusServiceUnavailable, "timeout", "the database did not answer in time")
	default:
		s.log.Error("request failed", zap.String("path", c.FullPath()), zap.Error(err))
		writeError(c, http.StatusInternalServerError, "internal", "internal server error")
	}
}
