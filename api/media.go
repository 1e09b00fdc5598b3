package api

import (
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/api/httpx"
	"github.com/wabascrm/scrm/models"
)

// mountMedia serves files of messages behind their signed links. The route
// is public because <img>, <audio> and download links cannot carry the
// bearer token: the link itself, signed for one file and a few minutes and
// handed out only with a conversation the caller may see, is the check.
func (s *Server) mountMedia(e *gin.Engine) {
	s.handle(e, http.MethodGet, "/media/:id/:variant", Public, httpx.Need(s.deps.Logger, s.deps.Stores != nil && s.deps.Blobs != nil, "file storage is not configured"), s.serveMedia)
}

// serveMedia streams the file (a stream, so it writes the response itself;
// errors still go through httpx).
func (s *Server) serveMedia(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		httpx.WriteError(c, s.deps.Logger, models.Errorf(models.ENotFound, "no such file"))
		return
	}
	f, err := s.desk().OpenSigned(c.Request.Context(), id, c.Param("variant"), c.Query("exp"), c.Query("sig"))
	if err != nil {
		httpx.WriteError(c, s.deps.Logger, err)
		return
	}
	defer func() { _ = f.Body.Close() }()
	h := c.Writer.Header()
	h.Set("Content-Type", f.ContentType)
	h.Set("Content-Length", strconv.FormatInt(f.Size, 10))
	// The browser must not guess another type (a "PDF" rendered as HTML),
	// may keep it only privately and only as long as the link lives.
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, max-age=300")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	disp := "attachment"
	if f.Inline {
		disp = "inline"
	}
	if f.Filename != "" {
		disp = mime.FormatMediaType(disp, map[string]string{"filename": f.Filename})
	}
	h.Set("Content-Disposition", disp)
	c.Status(http.StatusOK)
	_, _ = io.Copy(c.Writer, f.Body)
}
