package waba

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strings"
)

// SignatureHeader carries the HMAC of the raw webhook body.
const SignatureHeader = "X-Hub-Signature-256"

// Sign returns the X-Hub-Signature-256 value for body.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// VerifySignature checks header against HMAC-SHA256(secret, body) over the
// raw bytes, in constant time. An empty secret never verifies.
func VerifySignature(secret, body []byte, header string) bool {
	v, ok := NewSignatureVerifier(secret, header)
	if !ok {
		return false
	}
	_, _ = v.Write(body)
	return v.Valid()
}

// SignatureVerifier checks X-Hub-Signature-256 over a body as it is read
// (it is an io.Writer to tee the body into): a receiver refuses a delivery
// whose header is missing or malformed before reading any of the body, and
// never needs a second pass over it.
type SignatureVerifier struct {
	want []byte
	mac  hash.Hash
}

// NewSignatureVerifier parses the header; ok is false when there is no
// secret or the header is not "sha256=" and 64 hex digits.
func NewSignatureVerifier(secret []byte, header string) (*SignatureVerifier, bool) {
	if len(secret) == 0 {
		return nil, false
	}
	hexSig, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return nil, false
	}
	want, err := hex.DecodeString(hexSig)
	if err != nil || len(want) != sha256.Size {
		return nil, false
	}
	return &SignatureVerifier{want: want, mac: hmac.New(sha256.New, secret)}, true
}

func (v *SignatureVerifier) Write(p []byte) (int, error) { return v.mac.Write(p) }

// Valid reports whether the bytes written so far carry the signature.
func (v *SignatureVerifier) Valid() bool { return hmac.Equal(v.want, v.mac.Sum(nil)) }
