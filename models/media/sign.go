package media

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strconv"
	"time"

	"github.com/wabascrm/scrm/models"
)

// Variants of a stored file.
const (
	VariantFile  = "file"
	VariantThumb = "thumb"
)

// Signer makes and checks the short-lived links of stored files. A link is
// handed out only to a principal who may see the conversation (the thread
// answer carries them), so a browser can load <img>/<audio>/<a download>
// without the bearer token; it names one file and variant and expires.
type Signer struct {
	Key []byte
	TTL time.Duration // 5 minutes when zero
	Now func() time.Time
}

func (s Signer) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s Signer) mac(id int64, variant string, exp int64) string {
	m := hmac.New(sha256.New, s.Key)
	m.Write([]byte("media:" + strconv.FormatInt(id, 10) + ":" + variant + ":" + strconv.FormatInt(exp, 10)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Path returns the signed path of a file's variant.
func (s Signer) Path(id int64, variant string) string {
	ttl := s.TTL
	if ttl <= 0 {
		ttl = 5 * time.Minute
	}
	exp := s.now().Add(ttl).Unix()
	q := url.Values{"exp": {strconv.FormatInt(exp, 10)}, "sig": {s.mac(id, variant, exp)}}
	return "/media/" + strconv.FormatInt(id, 10) + "/" + variant + "?" + q.Encode()
}

// Verify checks a link's expiry and signature (EForbidden otherwise: the
// same answer for a forged, altered or stale link).
func (s Signer) Verify(id int64, variant, exp, sig string) error {
	e, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || len(s.Key) == 0 || s.now().Unix() > e ||
		!hmac.Equal([]byte(sig), []byte(s.mac(id, variant, e))) {
		return models.Errorf(models.EForbidden, "the link to this file is invalid or has expired; reopen the conversation")
	}
	return nil
}
