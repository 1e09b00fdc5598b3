package api

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/api/httpx"
	"github.com/wabascrm/scrm/models/media"
)

// web holds the single-page app: plain ES modules and CSS, no build step, so
// the binary serves exactly the files in api/web.
//
//go:embed web
var web embed.FS

// mountUI serves the web app at / and its files under /assets, and tells the
// app where the realtime gateway is. All of it is public: the files hold no
// data, and every call the app makes is checked by the API.
func (s *Server) mountUI(e *gin.Engine, v1 *gin.RouterGroup) {
	assets, err := fs.Sub(web, "web/assets")
	if err != nil {
		panic(err) // the embed pattern above guarantees the folder
	}
	files := http.StripPrefix("/assets", http.FileServer(http.FS(assets)))
	s.handle(e, http.MethodGet, "/", Public, s.index)
	s.handle(e, http.MethodGet, "/assets/*file", Public, func(c *gin.Context) {
		// Assets change with the binary; revalidate instead of caching blindly.
		c.Header("Cache-Control", "no-cache")
		files.ServeHTTP(c.Writer, c.Request)
	})
	s.handle(v1, http.MethodGet, "/ui-config", Public, httpx.Wrap(s.deps.Logger, func(*gin.Context) (int, any, error) {
		// The composer checks files against WhatsApp's limits before uploading.
		return http.StatusOK, gin.H{"realtimeUrl": s.deps.UIRealtimeURL, "mediaLimits": media.Limits()}, nil
	}))
}

// index serves the app's HTML page itself (a file, not JSON).
func (s *Server) index(c *gin.Context) {
	page, err := web.ReadFile("web/index.html")
	if err != nil {
		httpx.WriteError(c, s.deps.Logger, err)
		return
	}
	c.Header("Cache-Control", "no-cache")
	c.Data(http.StatusOK, "text/html; charset=utf-8", page)
}

// isAppPath reports whether an unknown GET path belongs to the app's client
// side routes (deep links like /inbox/42) rather than to an API area.
func isAppPath(p string) bool {
	for _, prefix := range []string{"/api/", "/api", "/webhooks", "/healthz", "/readyz", "/metrics", "/assets/"} {
		if p == prefix || strings.HasPrefix(p, prefix+"/") || (strings.HasSuffix(prefix, "/") && strings.HasPrefix(p, prefix)) {
			return false
		}
	}
	return true
}
