package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

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
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		writeError(c, http.StatusServiceUnavailable, "timeout", "the database did not answer in time")
	default:
		s.log.Error("request failed", zap.String("path", c.FullPath()), zap.Error(err))
		writeError(c, http.StatusInternalServerError, "internal", "internal server error")
	}
}
