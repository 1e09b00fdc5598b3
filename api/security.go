package api

import (
	"net"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/api/httpx"
	"github.com/wabascrm/scrm/models"
)

// ContentSecurityPolicy is the policy of every response of the app. The
// only place the page may connect to besides its own origin is the
// configured realtime URL (realtimeURL; a path such as "/ws" is on the
// page's own origin, which 'self' covers for ws: and wss: too). Nothing may
// frame the app (clickjacking), and no plugin, base or foreign form target
// is allowed. blob: images and media are the composer's local previews.
func ContentSecurityPolicy(realtimeURL string) string {
	connect := "'self'"
	if u, err := url.Parse(realtimeURL); err == nil && u.Host != "" && (u.Scheme == "ws" || u.Scheme == "wss") {
		connect += " " + u.Scheme + "://" + u.Host + u.EscapedPath()
	}
	return "default-src 'self'; connect-src " + connect + "; img-src 'self' data: blob:; media-src 'self' blob:; " +
		"style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}

// securityHeaders sets the headers every response carries, JSON and
// errors included: a browser must never sniff an API answer into HTML or
// script, and the Referer must not carry deep links (conversation ids,
// search terms) to other sites.
func (s *Server) securityHeaders(csp string) gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY") // frame-ancestors for browsers without CSP 2
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if s.isHTTPS(c) {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		c.Next()
	}
}

// isHTTPS reports whether the browser reached the app over TLS: directly,
// or through a trusted proxy (Deps.TrustedProxies) that says so in
// X-Forwarded-Proto. Anyone else's X-Forwarded-Proto is the client's claim.
func (s *Server) isHTTPS(c *gin.Context) bool {
	if c.Request.TLS != nil {
		return true
	}
	ip := net.ParseIP(c.RemoteIP())
	for _, n := range s.proxies {
		if ip != nil && n.Contains(ip) {
			return strings.EqualFold(c.GetHeader("X-Forwarded-Proto"), "https")
		}
	}
	return false
}

// parseProxies turns Deps.TrustedProxies (IPs or CIDRs) into networks.
func parseProxies(list []string) []*net.IPNet {
	var out []*net.IPNet
	for _, p := range list {
		if !strings.Contains(p, "/") {
			if ip := net.ParseIP(p); ip != nil {
				bits := 128
				if ip.To4() != nil {
					ip, bits = ip.To4(), 32
				}
				out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
			}
			continue
		}
		if _, n, err := net.ParseCIDR(p); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// badText reports a string PostgreSQL cannot store as text.
func badText(s string) bool { return strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) }

// checkParams refuses, before any handler runs, query and path parameters
// that no column can hold: NUL bytes and invalid UTF-8. PostgreSQL rejects
// both (SQLSTATE 22021), which reached the client as a 500; every
// parameter of every route is a 400 naming it instead. (JSON bodies are
// covered by the same SQLSTATE mapped to 400 in httpx.)
func (s *Server) checkParams() gin.HandlerFunc {
	return func(c *gin.Context) {
		// RawQuery, not c.Request.URL.Query(): a malformed escape such as
		// "%zz" is dropped silently by url.ParseQuery, so it is parsed here.
		q, err := url.ParseQuery(c.Request.URL.RawQuery)
		if err != nil {
			httpx.WriteError(c, s.deps.Logger, models.Errorf(models.EInvalid, "malformed query string"))
			return
		}
		for k, vs := range q {
			if badText(k) {
				httpx.WriteError(c, s.deps.Logger, models.Errorf(models.EInvalid, "query parameter names must be UTF-8 text without NUL"))
				return
			}
			for _, v := range vs {
				if badText(v) {
					httpx.WriteError(c, s.deps.Logger, models.FieldError(models.EInvalid, k, "%s must be UTF-8 text without NUL", k))
					return
				}
			}
		}
		if badText(c.Request.URL.Path) {
			httpx.WriteError(c, s.deps.Logger, models.Errorf(models.EInvalid, "the path must be UTF-8 text without NUL"))
			return
		}
		c.Next()
	}
}

// cookieSecure decides the refresh cookie's Secure flag (Deps.CookieSecure:
// auto, always, never).
func (s *Server) cookieSecure(c *gin.Context) bool {
	switch s.deps.CookieSecure {
	case "always":
		return true
	case "never":
		return false
	}
	return s.isHTTPS(c)
}

// sessionMaxAge is how long the refresh cookie lives: the session's own
// lifetime, so the browser forgets it when the server would refuse it.
func (s *Server) sessionMaxAge() time.Duration {
	if s.deps.Tokens != nil {
		return s.deps.Tokens.RefreshTTL
	}
	return 0
}
