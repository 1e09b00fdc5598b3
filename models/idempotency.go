package models

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
)

// RequestFingerprint is the digest of a request stored beside its
// Idempotency-Key, so a replay can be told from a different request that
// reuses the key. v is marshalled as JSON (Go's encoding sorts map keys, so
// equal requests give equal fingerprints).
func RequestFingerprint(v any) (string, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:]), nil
}

// SameRequest reports whether a replayed key carries the request it was
// first used with. Rows stored before fingerprints were kept have none and
// are taken as the same request.
func SameRequest(stored *string, fingerprint string) bool {
	return stored == nil || *stored == "" || *stored == fingerprint
}

// ErrIdempotencyMismatch is the answer to a key reused with a different
// request: 422, as Stripe answers, never the first request's result.
func ErrIdempotencyMismatch() error {
	return FieldError(EUnprocessable, "Idempotency-Key", "this Idempotency-Key was already used with a different request; use a new key for a new request")
}

// IdempotencyScope is the caller an Idempotency-Key belongs to: the API key
// when a business system calls, else the agent, else the system. Two callers
// using the same key never see each other's request (issue #20).
func IdempotencyScope(p Principal) string {
	switch {
	case p.APIKeyID != 0:
		return "key:" + strconv.FormatInt(p.APIKeyID, 10)
	case p.AgentID != 0:
		return AgentIdempotencyScope(p.AgentID)
	}
	return "system"
}

// AgentIdempotencyScope is IdempotencyScope of an agent acting in person.
func AgentIdempotencyScope(agentID int64) string {
	if agentID == 0 {
		return "system"
	}
	return "agent:" + strconv.FormatInt(agentID, 10)
}
