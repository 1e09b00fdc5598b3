package models

import (
	"errors"
	"fmt"
)

// ErrorCode classifies a domain error. api maps each code to one HTTP status
// in one place; nothing else decides statuses.
type ErrorCode string

const (
	EInvalid       ErrorCode = "invalid"       // malformed input (400)
	EUnauthorized  ErrorCode = "unauthorized"  // no or bad credentials (401)
	EForbidden     ErrorCode = "forbidden"     // authenticated but not allowed (403)
	ENotFound      ErrorCode = "not_found"     // missing or outside the caller's scope (404)
	EConflict      ErrorCode = "conflict"      // duplicate or state clash (409)
	EUnprocessable ErrorCode = "unprocessable" // well-formed but fails a rule (422)
	ERateLimited   ErrorCode = "rate_limited"  // too many attempts (429)
	EUnavailable   ErrorCode = "unavailable"   // a dependency is down (503)
	EInternal      ErrorCode = "internal"      // a bug (500)
	EWindowClosed  ErrorCode = "window_closed" // 24h customer-service window closed (409)
	ETooLarge      ErrorCode = "payload_too_large"
)

// Error is a domain error with a stable code, a human message, and optionally
// the field it is about and structured details for the client.
type Error struct {
	Code    ErrorCode
	Message string
	Field   string
	Details map[string]any
	Err     error // cause, never shown to clients
	// Format and Args are Message before formatting: the key and the
	// values the api translates the message with (Accept-Language).
	Format string
	Args   []any
}

func (e *Error) Error() string {
	msg := string(e.Code) + ": " + e.Message
	if e.Field != "" {
		msg += " (field " + e.Field + ")"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an *Error with a formatted message.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Format: format, Args: args}
}

// WithErr keeps err as the cause (logged, never shown to clients).
func (e *Error) WithErr(err error) *Error { e.Err = err; return e }

// WithDetails attaches structured details for the client.
func (e *Error) WithDetails(d map[string]any) *Error { e.Details = d; return e }

// FieldError builds an *Error about one input field.
func FieldError(code ErrorCode, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...), Format: format, Args: args}
}

// CodeOf returns the code of the first *Error in err's chain, or EInternal.
func CodeOf(err error) ErrorCode {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}
