package sim

import (
	"encoding/base64"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// The Resumable Upload API gives the header_handle a media-header template
// needs at creation: POST /{app-id}/uploads?file_name&file_length&file_type
// opens a session {"id":"upload:..."}, POST /upload:{id} with header
// file_offset and the bytes answers {"h":"<handle>"}, GET /upload:{id}
// reports {"id","file_offset"} to resume.
// https://developers.facebook.com/docs/graph-api/guides/upload
// https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/components#media-headers

type uploadSession struct {
	fileType string
	length   int64
	offset   int64
}

const maxUpload = 16 << 20

func (s *Sim) handleUploadSession(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("id") != s.opts.AppID {
		s.writeErr(w, &apiErr{400, codeInvalidParameter, 33, "Unsupported post request. Object with ID '" + r.PathValue("id") + "' does not exist", ""})
		return
	}
	q := r.URL.Query()
	for k := range q {
		switch k {
		case "file_name", "file_length", "file_type", "access_token":
		default:
			s.writeErr(w, unexpected(k, "query"))
			return
		}
	}
	length, err := strconv.ParseInt(q.Get("file_length"), 10, 64)
	if err != nil || length <= 0 {
		s.writeErr(w, required("file_length (bytes, > 0) is required"))
		return
	}
	if length > maxUpload {
		s.writeErr(w, invalidValue("file_length is over the simulator's 16 MiB"))
		return
	}
	ft := q.Get("file_type")
	switch ft {
	case "application/pdf", "image/jpeg", "image/jpg", "image/png", "video/mp4":
	default:
		s.writeErr(w, invalidValue("file_type must be application/pdf, image/jpeg, image/jpg, image/png or video/mp4"))
		return
	}
	if q.Get("file_name") == "" {
		s.writeErr(w, required("file_name is required"))
		return
	}
	s.mu.Lock()
	s.seq++
	id := "upload:" + base64.RawURLEncoding.EncodeToString([]byte("sim-session-"+strconv.FormatInt(s.seq, 10)))
	s.uploads[id] = &uploadSession{fileType: ft, length: length}
	s.mu.Unlock()
	writeJSON(w, 200, map[string]string{"id": id})
}

// handleGraphPost serves POST /{version}/{id} for ids that are upload sessions.
func (s *Sim) handleGraphPost(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !strings.HasPrefix(id, "upload:") {
		s.writeErr(w, &apiErr{400, codeInvalidParameter, 33, "Unsupported post request. Object with ID '" + id + "' does not exist", ""})
		return
	}
	off, err := strconv.ParseInt(r.Header.Get("file_offset"), 10, 64)
	if err != nil || off < 0 {
		s.writeErr(w, required("header file_offset is required"))
		return
	}
	s.mu.Lock()
	u := s.uploads[id]
	s.mu.Unlock()
	if u == nil {
		s.writeErr(w, &apiErr{400, codeInvalidParameter, 33, "Object with ID '" + id + "' does not exist", ""})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxUpload+1))
	if err != nil {
		s.writeErr(w, badParam("cannot read the upload"))
		return
	}
	h, e := s.appendUpload(id, u, off, body)
	switch {
	case e != nil:
		s.writeErr(w, e)
	case h == "":
		s.mu.Lock()
		done := u.offset
		s.mu.Unlock()
		writeJSON(w, 200, map[string]any{"id": id, "file_offset": done})
	default:
		writeJSON(w, 200, map[string]string{"h": h})
	}
}

// appendUpload adds body at off; once the file is complete it returns the handle.
func (s *Sim) appendUpload(id string, u *uploadSession, off int64, body []byte) (string, *apiErr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if off != u.offset {
		return "", invalidValue("file_offset " + strconv.FormatInt(off, 10) + " does not match the session's " + strconv.FormatInt(u.offset, 10))
	}
	if u.offset+int64(len(body)) > u.length {
		return "", invalidValue("more bytes than file_length")
	}
	u.offset += int64(len(body))
	if u.offset < u.length {
		return "", nil
	}
	s.seq++
	h := "4::" + base64.StdEncoding.EncodeToString([]byte(u.fileType+":"+id+":"+strconv.FormatInt(s.seq, 10)))
	s.handles[h] = u.fileType
	return h, nil
}

func (s *Sim) handleUploadStatus(w http.ResponseWriter, id string) {
	s.mu.Lock()
	u := s.uploads[id]
	var off int64
	if u != nil {
		off = u.offset
	}
	s.mu.Unlock()
	if u == nil {
		s.writeErr(w, &apiErr{400, codeInvalidParameter, 33, "Object with ID '" + id + "' does not exist", ""})
		return
	}
	writeJSON(w, 200, map[string]any{"id": id, "file_offset": off})
}
