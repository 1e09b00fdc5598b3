// Package httpx is what every API handler shares: the handler shape
// (status, body, error), the one mapping of domain errors to HTTP, strict
// JSON binding, query parsing and the request's principal and id.
package httpx

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/models"
)

// statusOf is the one place that maps domain error codes to HTTP statuses.
func statusOf(code models.ErrorCode) int {
	switch code {
	case models.EInvalid:
		return http.StatusBadRequest
	case models.EUnauthorized:
		return http.StatusUnauthorized
	case models.EForbidden:
		return http.StatusForbidden
	case models.ENotFound:
		return http.StatusNotFound
	case models.EConflict, models.EWindowClosed:
		return http.StatusConflict
	case models.EUnprocessable:
		return http.StatusUnprocessableEntity
	case models.ERateLimited:
		return http.StatusTooManyRequests
	case models.EUnavailable:
		return http.StatusServiceUnavailable
	case models.ETooLarge:
		return http.StatusRequestEntityTooLarge
	default:
		return http.StatusInternalServerError
	}
}

// ErrorBody is the JSON shape of every error response.
type ErrorBody struct {
	Error ErrorPayload `json:"error"`
}

// ErrorPayload carries a stable code, a human message, and optional details.
type ErrorPayload struct {
	Code      string         `json:"code"`
	Message   string         `json:"message"`
	Field     string         `json:"field,omitempty"`
	Details   map[string]any `json:"details,omitempty"`
	RequestID string         `json:"requestId,omitempty"`
}

// WriteError answers with the status and body for err. Internal errors are
// logged with the request id and shown to the client only as "internal error".
func WriteError(c *gin.Context, log *slog.Logger, err error) {
	var de *models.Error
	if !errors.As(err, &de) {
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			de = &models.Error{Code: models.EUnavailable, Message: "a dependency timed out", Err: err}
		case errors.Is(err, context.Canceled):
			de = &models.Error{Code: models.EUnavailable, Message: "request cancelled", Err: err}
		case badTextError(err):
			de = &models.Error{Code: models.EInvalid, Message: "text must be UTF-8 without NUL characters", Err: err}
		default:
			de = &models.Error{Code: models.EInternal, Message: "internal error", Err: err}
		}
	}
	status := statusOf(de.Code)
	if status >= 500 {
		log.ErrorContext(c.Request.Context(), "request failed", "status", status, "err", err, "request_id", RequestID(c))
	}
	if secs, ok := de.Details["retryAfterSeconds"].(int); ok && (de.Code == models.ERateLimited || de.Code == models.EUnavailable) {
		c.Header("Retry-After", strconv.Itoa(secs))
	}
	msg := localize(de, c.GetHeader("Accept-Language"))
	if de.Code == models.EInternal {
		msg = localize(&models.Error{Message: "internal error"}, c.GetHeader("Accept-Language"))
	}
	c.AbortWithStatusJSON(status, ErrorBody{Error: ErrorPayload{
		Code: string(de.Code), Message: msg, Field: de.Field, Details: de.Details, RequestID: RequestID(c),
	}})
}

// MethodNotAllowed answers a known path called with the wrong method. It
// is the router's own answer (no domain error means 405), in the same shape.
func MethodNotAllowed(c *gin.Context) {
	c.AbortWithStatusJSON(http.StatusMethodNotAllowed, ErrorBody{Error: ErrorPayload{Code: "method_not_allowed",
		Message: localize(&models.Error{Message: "method not allowed on this route"}, c.GetHeader("Accept-Language")), RequestID: RequestID(c)}})
}

// badTextError reports PostgreSQL refusing a string (a NUL byte or invalid
// UTF-8 in a JSON body's text): the client's input, so a 400, not a 500.
func badTextError(err error) bool {
	code, _ := models.PGError(err)
	return code == models.PGCharacterNotInRepertoire || code == models.PGUntranslatableCharacter
}
