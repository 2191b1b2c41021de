package handlers

// The admin's cookies: the sign-in form's token, and the long-lived,
// signed "known device" cookie that lets the owner's own browser through
// a lockout strangers caused.

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"shop/models"
)

// setCookie sets one of the admin's cookies (maxAge < 0 deletes it):
// HttpOnly, SameSite=Strict, Secure when the shop is served over https.
func (s *Server) setCookie(c *gin.Context, name, value, path string, maxAge time.Duration) {
	seconds := int(maxAge / time.Second)
	if maxAge < 0 {
		seconds = -1
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: name, Value: value, Path: path, MaxAge: seconds,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteStrictMode})
}

// loginToken returns the sign-in form's CSRF token and (re)sets its
// cookie. A well-formed token the browser holds is kept, so that two tabs
// of the form both work.
func (s *Server) loginToken(c *gin.Context) string {
	token := models.RandomToken()
	if ck, err := c.Request.Cookie(loginCookie); err == nil && wellFormedToken(ck.Value) {
		token = ck.Value
	}
	s.setCookie(c, loginCookie, token, "/admin/login", loginLifetime)
	return token
}

// loginTokenOK reports whether the form's token is the cookie's.
func loginTokenOK(c *gin.Context) bool {
	ck, err := c.Request.Cookie(loginCookie)
	got := c.Request.PostFormValue("csrf_token")
	return err == nil && wellFormedToken(ck.Value) && subtle.ConstantTimeCompare([]byte(got), []byte(ck.Value)) == 1
}

// wellFormedToken: models.RandomToken's 64 hex digits.
func wellFormedToken(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == 32
}

// device is one account a browser signed in to: an entry of deviceCookie.
// print is a digest of the account's password hash: a new password
// forgets every device, including one that knew the old password.
type device struct {
	staffID uint
	print   string
	at      time.Time
}

func passwordPrint(st *models.Staff) string {
	sum := sha256.Sum256([]byte(st.PasswordHash))
	return hex.EncodeToString(sum[:8])
}

// devices returns the live entries of the browser's device cookie, which
// any of the session keys may have signed (key rotation).
func (s *Server) devices(c *gin.Context) []device {
	ck, err := c.Request.Cookie(deviceCookie)
	if err != nil {
		return nil
	}
	var raw string
	decoded := false
	for _, codec := range s.sessions.Codecs {
		if decoded = codec.Decode(deviceCookie, ck.Value, &raw) == nil; decoded {
			break
		}
	}
	if !decoded {
		return nil
	}
	var out []device
	for _, e := range strings.Split(raw, ",") {
		parts := strings.Split(e, ".")
		if len(parts) != 3 {
			continue
		}
		id, err1 := strconv.ParseUint(parts[0], 10, 32)
		unix, err2 := strconv.ParseInt(parts[2], 10, 64)
		at := time.Unix(unix, 0)
		if err1 != nil || err2 != nil || s.now().Sub(at) > deviceLifetime {
			continue
		}
		out = append(out, device{staffID: uint(id), print: parts[1], at: at})
	}
	return out
}

// knownDevice reports whether this browser signed in to st, with its
// current password, within deviceLifetime.
func (s *Server) knownDevice(c *gin.Context, st *models.Staff) bool {
	for _, d := range s.devices(c) {
		if d.staffID == st.ID && subtle.ConstantTimeCompare([]byte(d.print), []byte(passwordPrint(st))) == 1 {
			return true
		}
	}
	return false
}

// rememberDevice makes this browser a known device of st.
func (s *Server) rememberDevice(c *gin.Context, st *models.Staff) {
	entries := []string{fmt.Sprintf("%d.%s.%d", st.ID, passwordPrint(st), s.now().Unix())}
	for _, d := range s.devices(c) {
		if d.staffID != st.ID && len(entries) < maxDevices {
			entries = append(entries, fmt.Sprintf("%d.%s.%d", d.staffID, d.print, d.at.Unix()))
		}
	}
	value, err := s.sessions.Codecs[0].Encode(deviceCookie, strings.Join(entries, ","))
	if err != nil {
		s.log.Error("encode device cookie", "err", err)
		return
	}
	s.setCookie(c, deviceCookie, value, "/admin", deviceLifetime)
}
