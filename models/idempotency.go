package models

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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
