package sim

// The Graph media endpoints, as strict as Meta's "Media" reference: upload
// (POST /{phone-number-id}/media, multipart, Meta's types and sizes),
// retrieve (GET /{media-id}: url, mime_type, sha256, file_size, id), and
// the download of that url, which needs the bearer token and expires after
// five minutes. The wire types are the simulator's own.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// mediaURLTTL is how long a retrieved download URL works (Meta: 5 minutes).
const mediaURLTTL = 5 * time.Minute

// Meta's error codes the media endpoints answer with.
const (
	mediaCodeInvalidParam = 100
	mediaCodeUpload       = 131053
	mediaCodeAuth         = 190
)

// mediaRule is one kind's accepted content types and size limit.
type mediaRule struct {
	kind  string
	max   int64
	types []string
}

// mediaRules are Meta's "Supported media types".
var mediaRules = []mediaRule{
	{"image", 5 << 20, []string{"image/jpeg", "image/png"}},
	{"sticker", 500 << 10, []string{"image/webp"}},
	{"video", 16 << 20, []string{"video/mp4", "video/3gpp", "video/3gp"}},
	{"audio", 16 << 20, []string{"audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"}},
	{"document", 100 << 20, []string{"text/plain", "application/pdf", "application/vnd.ms-excel",
		"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/msword",
		"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/vnd.ms-powerpoint",
		"application/vnd.openxmlformats-officedocument.presentationml.presentation"}},
}

// mediaKindOf returns the kind that accepts content type ct (webp is a sticker).
func mediaKindOf(ct string) (mediaRule, bool) {
	base, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return mediaRule{}, false
	}
	for _, r := range mediaRules {
		for _, t := range r.types {
			if t == base {
				return r, true
			}
		}
	}
	return mediaRule{}, false
}

// simFile is one uploaded (or customer-sent) media object.
type simFile struct {
	ID            string
	PhoneNumberID string
	MimeType      string
	Filename      string
	SHA256        string
	Data          []byte
	Created       time.Time
}

// mediaVault holds the media objects; its own lock keeps the big copies
// out of the simulator's main lock.
type mediaVault struct {
	mu    sync.Mutex
	seq   int64
	files map[string]*simFile
	key   []byte // signs download URLs
}

func newMediaVault(seed int64) *mediaVault {
	k := sha256.Sum256([]byte("sim-media-" + strconv.FormatInt(seed, 10) + time.Now().String()))
	return &mediaVault{files: map[string]*simFile{}, key: k[:]}
}

func (v *mediaVault) add(f *simFile) {
	sum := sha256.Sum256(f.Data)
	f.SHA256 = hex.EncodeToString(sum[:])
	v.mu.Lock()
	v.seq++
	f.ID = strconv.FormatInt(3_000_000_000_000+v.seq, 10)
	v.files[f.ID] = f
	v.mu.Unlock()
}

func (v *mediaVault) get(id string) *simFile {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.files[id]
}

func (v *mediaVault) sign(id string, exp int64) string {
	m := hmac.New(sha256.New, v.key)
	fmt.Fprintf(m, "%s:%d", id, exp)
	return hex.EncodeToString(m.Sum(nil))
}

// simGraphError is Meta's error envelope.
type simGraphError struct {
	Error struct {
		Message   string `json:"message"`
		Type      string `json:"type"`
		Code      int    `json:"code"`
		Subcode   int    `json:"error_subcode,omitempty"`
		ErrorData struct {
			MessagingProduct string `json:"messaging_product"`
			Details          string `json:"details"`
		} `json:"error_data"`
		FBTraceID string `json:"fbtrace_id"`
	} `json:"error"`
}

func (s *Sim) mediaError(w http.ResponseWriter, status, code, subcode int, msg, details string) {
	var e simGraphError
	e.Error.Message = fmt.Sprintf("(#%d) %s", code, msg)
	e.Error.Type, e.Error.Code, e.Error.Subcode = "OAuthException", code, subcode
	e.Error.ErrorData.MessagingProduct, e.Error.ErrorData.Details = "whatsapp", details
	e.Error.FBTraceID = "Asim" + strconv.FormatInt(s.nextSeq(), 36)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(e)
}

// handleMediaUpload is POST /{version}/{phone-number-id}/media.
func (s *Sim) handleMediaUpload(w http.ResponseWriter, r *http.Request) {
	pnid := r.PathValue("id")
	if s.number(pnid) == nil {
		s.mediaError(w, http.StatusBadRequest, mediaCodeInvalidParam, 33, "Object with ID '"+pnid+"' does not exist", "")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 100<<20+1<<20)
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		s.mediaError(w, http.StatusBadRequest, mediaCodeUpload, 0, "Media upload error", "the request is not a multipart form within 100 MB: "+err.Error())
		return
	}
	defer func() { _ = r.MultipartForm.RemoveAll() }()
	if r.FormValue("messaging_product") != "whatsapp" {
		s.mediaError(w, http.StatusBadRequest, mediaCodeInvalidParam, 0, "The parameter messaging_product is required.", "")
		return
	}
	mt := r.FormValue("type")
	if mt == "" {
		s.mediaError(w, http.StatusBadRequest, mediaCodeInvalidParam, 0, "The parameter type is required.", "")
		return
	}
	f, hdr, err := r.FormFile("file")
	if err != nil {
		s.mediaError(w, http.StatusBadRequest, mediaCodeInvalidParam, 0, "The parameter file is required.", "")
		return
	}
	defer f.Close()
	rule, ok := mediaKindOf(mt)
	if !ok {
		s.mediaError(w, http.StatusBadRequest, mediaCodeUpload, 0, "Media upload error", "Param file must be a file with one of the following types: "+allTypes()+". Received file of type '"+mt+"'.")
		return
	}
	data, err := io.ReadAll(io.LimitReader(f, rule.max+1))
	if err != nil {
		s.mediaError(w, http.StatusBadRequest, mediaCodeUpload, 0, "Media upload error", err.Error())
		return
	}
	if len(data) == 0 {
		s.mediaError(w, http.StatusBadRequest, mediaCodeUpload, 0, "Media upload error", "the file is empty")
		return
	}
	if int64(len(data)) > rule.max {
		s.mediaError(w, http.StatusBadRequest, mediaCodeUpload, 0, "Media upload error",
			fmt.Sprintf("%s files may be at most %d bytes", rule.kind, rule.max))
		return
	}
	sf := &simFile{PhoneNumberID: pnid, MimeType: mt, Filename: hdr.Filename, Data: data, Created: s.opts.Now()}
	s.vault.add(sf)
	s.mu.Lock()
	s.media[sf.ID] = mt // sends check that a media id was uploaded
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"id": sf.ID})
}

func allTypes() string {
	var all []string
	for _, r := range mediaRules {
		all = append(all, r.types...)
	}
	return strings.Join(all, ", ")
}

// simMediaInfo is the answer of GET /{media-id}.
type simMediaInfo struct {
	MessagingProduct string `json:"messaging_product"`
	URL              string `json:"url"`
	MimeType         string `json:"mime_type"`
	SHA256           string `json:"sha256"`
	FileSize         string `json:"file_size"`
	ID               string `json:"id"`
}

// handleGetObject is GET /{version}/{id}: a media object, else a phone number.
func (s *Sim) handleGetObject(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	f := s.vault.get(id)
	if f == nil {
		s.handleGraphGet(w, r) // an upload session or a phone number
		return
	}
	if pn := r.URL.Query().Get("phone_number_id"); pn != "" && pn != f.PhoneNumberID {
		s.mediaError(w, http.StatusBadRequest, mediaCodeInvalidParam, 33,
			"Unsupported get request. Object with ID '"+id+"' does not exist, cannot be loaded due to missing permissions, or does not support this operation", "")
		return
	}
	exp := s.opts.Now().Add(mediaURLTTL).Unix()
	u := url.URL{Scheme: "http", Host: r.Host, Path: "/whatsapp_business/attachments/",
		RawQuery: url.Values{"mid": {f.ID}, "ext": {strconv.FormatInt(exp, 10)}, "hash": {s.vault.sign(f.ID, exp)}}.Encode()}
	writeJSON(w, http.StatusOK, simMediaInfo{MessagingProduct: "whatsapp", URL: u.String(), MimeType: f.MimeType,
		SHA256: f.SHA256, FileSize: strconv.Itoa(len(f.Data)), ID: f.ID})
}

// handleMediaDownload serves a URL from handleGetObject: only with the
// bearer token, only until it expires (then 404, like Meta's).
func (s *Sim) handleMediaDownload(w http.ResponseWriter, r *http.Request) {
	if s.opts.AccessToken != "" && r.Header.Get("Authorization") != "Bearer "+s.opts.AccessToken {
		s.mediaError(w, http.StatusUnauthorized, mediaCodeAuth, 463, "Error validating access token: The session is invalid.", "")
		return
	}
	q := r.URL.Query()
	id := q.Get("mid")
	exp, err := strconv.ParseInt(q.Get("ext"), 10, 64)
	f := s.vault.get(id)
	if err != nil || f == nil || !hmac.Equal([]byte(q.Get("hash")), []byte(s.vault.sign(id, exp))) || s.opts.Now().Unix() > exp {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", f.MimeType)
	w.Header().Set("Content-Length", strconv.Itoa(len(f.Data)))
	_, _ = w.Write(f.Data)
}

// handleSimMedia is GET /sim/media/{id}: the bytes of a media object, so a
// test can check what the business sent.
func (s *Sim) handleSimMedia(w http.ResponseWriter, r *http.Request) {
	f := s.vault.get(r.PathValue("id"))
	if f == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", f.MimeType)
	w.Header().Set("X-Sim-Filename", f.Filename)
	_, _ = w.Write(f.Data)
}

// MediaFile returns a media object's bytes and content type (tests).
func (s *Sim) MediaFile(id string) (data []byte, mimeType string, ok bool) {
	f := s.vault.get(id)
	if f == nil {
		return nil, "", false
	}
	return append([]byte(nil), f.Data...), f.MimeType, true
}
