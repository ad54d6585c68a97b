package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/pairpad/pairpad/autocomplete"
)

// autocompleteBody is the wire form of autocomplete.Request; pointers tell a
// missing required field from a zero one.
type autocompleteBody struct {
	Code     *string `json:"code"`
	Cursor   *int    `json:"cursor"`
	Language *string `json:"language"`
	RoomID   string  `json:"room_id"`
	Max      int     `json:"max"`
}

// AutocompleteHandler serves POST /autocomplete. It decodes the body
// strictly (unknown fields and trailing data are errors), reads at most
// maxBodyBytes (≤ 0 means six times the service's MaxCodeBytes plus 4 KiB,
// room for JSON escaping) and maps the service's errors:
// *autocomplete.FieldError → 400 invalid_field, autocomplete.ErrTooLarge and
// an oversized body → 413 too_large, *autocomplete.RateLimitError → 429
// rate_limited with Retry-After in whole seconds. A request whose client went
// away (the browser aborts it at the next keystroke) ends with
// StatusClientClosedRequest and no body: nobody is listening, and it is not a
// server error.
func AutocompleteHandler(svc *autocomplete.Service, maxBodyBytes int64) gin.HandlerFunc {
	if maxBodyBytes <= 0 {
		maxBodyBytes = 6*int64(svc.Config().MaxCodeBytes) + 4<<10
	}
	return func(c *gin.Context) {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxBodyBytes)
		dec := json.NewDecoder(c.Request.Body)
		dec.DisallowUnknownFields()
		var body autocompleteBody
		if err := dec.Decode(&body); err != nil {
			if clientGone(c) {
				return
			}
			writeAutocompleteDecodeError(c, err)
			return
		}
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				writeAutocompleteDecodeError(c, err)
				return
			}
			writeError(c, http.StatusBadRequest, "invalid_json", "request body must hold exactly one JSON object")
			return
		}
		for _, f := range []struct {
			name    string
			missing bool
		}{{"code", body.Code == nil}, {"cursor", body.Cursor == nil}, {"language", body.Language == nil}} {
			if f.missing {
				writeError(c, http.StatusBadRequest, "invalid_field", f.name+": is required")
				return
			}
		}
		req := autocomplete.Request{Code: *body.Code, Cursor: *body.Cursor, Language: *body.Language, RoomID: body.RoomID, Max: body.Max}
		resp, err := svc.Complete(c.Request.Context(), c.ClientIP(), req)
		if err != nil {
			if clientGone(c) {
				return
			}
			writeAutocompleteServiceError(c, err)
			return
		}
		c.JSON(http.StatusOK, resp)
	}
}

// StatusClientClosedRequest is the status recorded (nginx's 499) for a request
// whose client went away before the answer; the access log writes it at debug.
const StatusClientClosedRequest = 499

// clientGone ends the request with StatusClientClosedRequest when its client
// has gone away (the request's context is canceled), and says whether it did.
func clientGone(c *gin.Context) bool {
	if !errors.Is(c.Request.Context().Err(), context.Canceled) {
		return false
	}
	c.AbortWithStatus(StatusClientClosedRequest)
	return true
}

func writeAutocompleteDecodeError(c *gin.Context, err error) {
	var (
		mbe *http.MaxBytesError
		se  *json.SyntaxError
		ute *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &mbe):
		writeError(c, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("request body exceeds %d bytes", mbe.Limit))
	case errors.As(err, &se):
		writeError(c, http.StatusBadRequest, "invalid_json", fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, err))
	case errors.As(err, &ute):
		writeError(c, http.StatusBadRequest, "invalid_field", fmt.Sprintf("%s: must be %s, not JSON %s", ute.Field, autocompleteJSONKind(ute.Type.Kind().String()), ute.Value))
	case errors.Is(err, io.EOF):
		writeError(c, http.StatusBadRequest, "invalid_json", "request body is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		writeError(c, http.StatusBadRequest, "invalid_json", "invalid JSON: unexpected end of body")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.TrimPrefix(err.Error(), "json: unknown field ")
		writeError(c, http.StatusBadRequest, "unknown_field", "unknown field "+field)
	default:
		writeError(c, http.StatusBadRequest, "invalid_json", "invalid JSON: "+err.Error())
	}
}

func autocompleteJSONKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "int", "int64":
		return "an integer"
	}
	return "a " + goKind
}

func writeAutocompleteServiceError(c *gin.Context, err error) {
	var (
		fe *autocomplete.FieldError
		re *autocomplete.RateLimitError
	)
	switch {
	case errors.As(err, &fe):
		writeError(c, http.StatusBadRequest, "invalid_field", fe.Error())
	case errors.Is(err, autocomplete.ErrTooLarge):
		writeError(c, http.StatusRequestEntityTooLarge, "too_large", err.Error())
	case errors.As(err, &re):
		secs := int(math.Ceil(re.RetryAfter.Seconds()))
		if secs < 1 {
			secs = 1
		}
		c.Header("Retry-After", strconv.Itoa(secs))
		writeError(c, http.StatusTooManyRequests, "rate_limited", fmt.Sprintf("too many requests; retry after %d s", secs))
	default:
		// The engine failed without a fallback (a caller that went away is
		// handled before this, by clientGone).
		writeError(c, http.StatusServiceUnavailable, "unavailable", "suggestions are unavailable")
	}
}
