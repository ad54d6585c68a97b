package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// decodeStrict reads a JSON body of at most limit bytes into v, rejecting
// unknown fields and trailing data. On error it has already answered.
func decodeStrict(c *gin.Context, limit int64, v any) error {
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, limit+1))
	if err != nil {
		writeError(c, http.StatusBadRequest, "invalid_body", "could not read the request body")
		return err
	}
	if int64(len(body)) > limit {
		writeError(c, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("request body over %d bytes", limit))
		return errors.New("too large")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		switch f, unknown := strings.CutPrefix(err.Error(), "json: unknown field "); {
		case errors.As(err, &te):
			writeError(c, http.StatusBadRequest, "invalid_field", fmt.Sprintf("%s: must be a %s", te.Field, te.Type))
		case unknown:
			writeError(c, http.StatusBadRequest, "unknown_field", "unknown field "+f)
		default:
			writeError(c, http.StatusBadRequest, "invalid_json", "invalid JSON: "+err.Error())
		}
		return err
	}
	if dec.More() {
		writeError(c, http.StatusBadRequest, "invalid_json", "trailing data after the JSON object")
		return errors.New("trailing data")
	}
	return nil
}
