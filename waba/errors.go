package waba

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"
)

// Error codes the product reacts to (see WABA.md).
const (
	CodeReEngagement       = 131047 // outside the 24h window
	CodeUndeliverable      = 131026
	CodeThroughput         = 130429
	CodePairRate           = 131056
	CodeSpamRate           = 131048 // also: portfolio messaging limit reached
	CodeMarketingLimit     = 131049
	CodeMarketingOptOut    = 131050
	CodeUnsupportedType    = 131051
	CodeMediaUpload        = 131053
	CodeParamCount         = 132000
	CodeTemplateMissing    = 132001
	CodeParamFormat        = 132012
	CodeTemplatePaused     = 132015
	CodeTemplateDisabled   = 132016
	CodePolicyBlocked      = 368
	CodeAccountLocked      = 131031
	CodeInvalidParameter   = 100
	CodeParamValueInvalid  = 131009
	CodeAccessToken        = 190
	CodeGenericUser        = 131000
	CodeServiceUnavailable = 133004
)

// APIError is an error answer of the Graph API.
// SubcodeTemplateExists: creating a template whose name and language the
// account already has ("Content in this language already exists").
const SubcodeTemplateExists = 2388024

type APIError struct {
	HTTPStatus int    `json:"-"`
	Message    string `json:"message"`
	Type       string `json:"type,omitempty"`
	Code       int    `json:"code"`
	Subcode    int    `json:"error_subcode,omitempty"`
	Title      string `json:"error_user_title,omitempty"`
	UserMsg    string `json:"error_user_msg,omitempty"`
	ErrorData  struct {
		MessagingProduct string `json:"messaging_product,omitempty"`
		Details          string `json:"details,omitempty"`
	} `json:"error_data,omitempty"`
	FBTraceID string `json:"fbtrace_id,omitempty"`
}

// Details is Meta's explanation of the error.
func (e *APIError) Details() string { return e.ErrorData.Details }

func (e *APIError) Error() string {
	s := fmt.Sprintf("waba: HTTP %d code %d", e.HTTPStatus, e.Code)
	if e.Subcode != 0 {
		s += fmt.Sprintf("/%d", e.Subcode)
	}
	s += ": " + e.Message
	if d := e.Details(); d != "" {
		s += " (" + d + ")"
	}
	return s
}

// Retryable reports whether the same request may succeed later (the
// error table's Retry kind, and 5xx answers of codes it does not know).
// Everything else is shown to the user with its reason (Explain).
func (e *APIError) Retryable() bool {
	if _, known := errorTable[e.Code]; known {
		return Explain(e.Code).Kind == KindRetry
	}
	return e.HTTPStatus >= 500
}

// Holds reports whether the refusal is about the number or the template
// rather than the recipient: an account-level code (the number cannot send
// until someone acts) or a paused/disabled template. A campaign recipient
// refused so is not failed: it waits for the number or the template.
func (e *APIError) Holds() bool {
	return Explain(e.Code).Kind == KindAccount || e.Code == CodeTemplatePaused || e.Code == CodeTemplateDisabled
}

// RetryAfter is the minimum wait before retrying a retryable error.
func (e *APIError) RetryAfter() time.Duration {
	if w := Explain(e.Code).Wait; w > 0 {
		return w
	}
	return 2 * time.Second
}

// Retryable reports whether err (from the client) is worth retrying:
// retryable API errors, timeouts and network errors before an answer.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Retryable()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// CodeOf returns the Meta error code of err, or 0.
func CodeOf(err error) int {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return 0
}
