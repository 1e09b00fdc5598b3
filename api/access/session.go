package access

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/api/httpx"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/identity"
)

// RefreshCookie holds the web app's refresh token. It is httpOnly (no
// script, so no XSS, can read it), SameSite=Strict (no other site's page
// can make the browser send it), scoped to /api/v1/auth (sent to nothing
// else) and shared by every tab of the browser: a second tab starts by
// refreshing with it and is logged in; logout clears it for all of them.
const RefreshCookie = "scrm_refresh"

const refreshCookiePath = "/api/v1/auth"

// SessionCookies configure the refresh cookie. Secure reports whether the
// request came over https (directly or through a trusted proxy): the
// cookie is Secure then, and only then in "auto" mode, so the loopback dev
// setup over plain http (http://127.0.0.1:8080) keeps working; browsers
// treat loopback as a secure context, but do not send a Secure cookie over
// http to it in every version.
type SessionCookies struct {
	Secure func(c *gin.Context) bool
	MaxAge time.Duration
}

func (h handlers) setRefreshCookie(c *gin.Context, token string) {
	secure := h.Cookies.Secure != nil && h.Cookies.Secure(c)
	c.SetSameSite(http.SameSiteStrictMode)
	c.SetCookie(RefreshCookie, token, int(h.Cookies.MaxAge.Seconds()), refreshCookiePath, "", secure, true)
}

func (h handlers) clearRefreshCookie(c *gin.Context) {
	secure := h.Cookies.Secure != nil && h.Cookies.Secure(c)
	c.SetSameSite(http.SameSiteStrictMode)
	c.SetCookie(RefreshCookie, "", -1, refreshCookiePath, "", secure, true)
}

// answer returns a session to the client: in the cookie for the browser
// (the body then carries no refresh token for a script to read), in the
// body for API clients.
func (h handlers) answer(c *gin.Context, s identity.Session, cookie bool) identity.Session {
	if cookie {
		h.setRefreshCookie(c, s.RefreshToken)
		s.RefreshToken = ""
	}
	return s
}

func (h handlers) login(c *gin.Context) (int, any, error) {
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
		// Session "cookie" (the web app) puts the refresh token in the
		// httpOnly cookie instead of the body.
		Session string `json:"session"`
		// TOTP is the second factor of an agent who has it on: a code
		// from the authenticator app or a recovery code.
		TOTP string `json:"totp"`
	}
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	t, err := h.tokens()
	if err != nil {
		return 0, nil, err
	}
	out, err := t.LoginWithCode(c.Request.Context(), in.Email, in.Password, in.TOTP, meta(c))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, h.answer(c, out, in.Session == "cookie"), nil
}

// refresh rotates the refresh token given in the body (API clients) or,
// without one, in the cookie (the web app's tabs).
func (h handlers) refresh(c *gin.Context) (int, any, error) {
	var in struct {
		RefreshToken string `json:"refreshToken"`
	}
	if err := httpx.OptionalJSON(c, &in); err != nil {
		return 0, nil, err
	}
	t, err := h.tokens()
	if err != nil {
		return 0, nil, err
	}
	fromCookie := false
	if in.RefreshToken == "" {
		if v, err := c.Cookie(RefreshCookie); err == nil && v != "" {
			in.RefreshToken, fromCookie = v, true
		}
	}
	out, err := t.Refresh(c.Request.Context(), in.RefreshToken)
	if err != nil {
		if fromCookie {
			h.clearRefreshCookie(c) // a dead cookie is dropped, so tabs stop trying it
		}
		return 0, nil, err
	}
	return http.StatusOK, h.answer(c, out, fromCookie), nil
}

func (h handlers) logout(c *gin.Context) (int, any, error) {
	t, err := h.tokens()
	if err != nil {
		return 0, nil, err
	}
	h.clearRefreshCookie(c)
	return http.StatusNoContent, nil, t.Logout(c.Request.Context(), httpx.Principal(c))
}

// logoutEverywhere ends every session of the caller, on every device.
func (h handlers) logoutEverywhere(c *gin.Context) (int, any, error) {
	t, err := h.tokens()
	if err != nil {
		return 0, nil, err
	}
	h.clearRefreshCookie(c)
	return http.StatusNoContent, nil, t.LogoutEverywhere(c.Request.Context(), httpx.Principal(c))
}

// changePassword sets the caller's password; every session ends and the
// caller gets a new one (in the cookie when it came with one).
func (h handlers) changePassword(c *gin.Context) (int, any, error) {
	var in struct {
		CurrentPassword string `json:"currentPassword"`
		NewPassword     string `json:"newPassword"`
	}
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	t, err := h.tokens()
	if err != nil {
		return 0, nil, err
	}
	out, err := t.ChangePassword(c.Request.Context(), httpx.Principal(c), in.CurrentPassword, in.NewPassword, meta(c))
	if err != nil {
		return 0, nil, err
	}
	_, cerr := c.Cookie(RefreshCookie)
	return http.StatusOK, h.answer(c, out, cerr == nil), nil
}

func meta(c *gin.Context) identity.ClientMeta {
	return identity.ClientMeta{IP: c.ClientIP(), UserAgent: c.Request.UserAgent()}
}

// enrollTOTP starts two-factor enrolment: the secret and its QR code.
func (h handlers) enrollTOTP(c *gin.Context) (int, any, error) {
	t, err := h.tokens()
	if err != nil {
		return 0, nil, err
	}
	out, err := t.EnrollTOTP(c.Request.Context(), httpx.Principal(c))
	return http.StatusOK, out, err
}

// confirmTOTP turns two-factor authentication on with a first code and
// returns the recovery codes (shown this once).
func (h handlers) confirmTOTP(c *gin.Context) (int, any, error) {
	var in struct {
		Code string `json:"code"`
	}
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	t, err := h.tokens()
	if err != nil {
		return 0, nil, err
	}
	codes, err := t.ConfirmTOTP(c.Request.Context(), httpx.Principal(c), in.Code)
	return http.StatusOK, gin.H{"recoveryCodes": codes}, err
}

// resetTOTP turns an agent's two-factor authentication off (lost phone).
func (h handlers) resetTOTP(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, h.Agents.ResetTOTP(c.Request.Context(), httpx.Principal(c), id)
}

// setRoleTOTP is the Admin's setting: the role's agents must use TOTP.
func (h handlers) setRoleTOTP(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		Required *bool `json:"required"`
	}
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	if in.Required == nil {
		return 0, nil, models.FieldError(models.EInvalid, "required", "required must be true or false")
	}
	err = h.Roles.SetRoleRequiresTOTP(c.Request.Context(), httpx.Principal(c), id, *in.Required)
	return http.StatusOK, gin.H{"roleId": id, "requireTotp": *in.Required}, err
}
