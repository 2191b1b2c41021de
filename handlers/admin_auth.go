package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"shop/models"
)

// Sign-in limits. Failed attempts are counted in the store over a sliding
// window, so the limits hold across restarts and instances:
//   - from one client address, maxClientFailures whatever the account;
//   - at one account name (existing or not, so that a refusal tells no
//     names apart), maxAccountFailures from browsers that are not a known
//     device of it. A known device is never locked by them: strangers
//     cannot lock the owner out, and a lockout ends as the window passes.
//
// The message auth.locked says "15 minutes": keep it in step.
const (
	signInWindow       = 15 * time.Minute
	maxClientFailures  = 10
	maxAccountFailures = 10
	keepAttempts       = 24 * time.Hour // sign-in attempts older than this are deleted
	maxNameLen         = 64             // models.validStaffName's bound; longer names are no account's
)

// The sign-in's own cookies, beside the session's (adminCookie).
const (
	// loginCookie holds the sign-in form's CSRF token (double submit:
	// there is no session yet to keep it in).
	loginCookie   = "shop_admin_login"
	loginLifetime = time.Hour
	// deviceCookie lists the accounts this browser signed in to, signed
	// (and encrypted, with a key that has an encryption half) by the
	// session keys' codecs. Its lifetime stays within the 30 days those
	// codecs themselves accept.
	deviceCookie   = "shop_admin_device"
	deviceLifetime = 30 * 24 * time.Hour
	maxDevices     = 5 // accounts one browser remembers
)

// loginPage is the sign-in form.
type loginPage struct {
	adminPage
	Token string // the form's CSRF token, also in loginCookie
	Name  string
	Next  string
	Error string // translated
}

// passwordPage is the password change form.
type passwordPage struct {
	adminPage
	Errors map[string]string // by field, translated
}

func (s *Server) adminLoginForm(c *gin.Context) {
	next := adminNext(c.Query("next"))
	if adminOf(c) != nil {
		s.redirect(c, next)
		return
	}
	s.showLogin(c, http.StatusOK, "", next, "")
}

func (s *Server) showLogin(c *gin.Context, status int, name, next, errKey string) {
	p := loginPage{adminPage: s.newAdminPage(c, "admin.signin"), Token: s.loginToken(c), Name: name, Next: next}
	if errKey != "" {
		p.Error = p.Lang.T(errKey)
	}
	s.render(c, status, "admin/login", p)
}

// adminLogin signs a staff member in. Whether the name exists or not, a
// failure takes as long, says the same and counts the same.
func (s *Server) adminLogin(c *gin.Context) {
	ctx := c.Request.Context()
	tried := strings.TrimSpace(c.Request.PostFormValue("name"))
	name := clipName(tried) // as the attempt is recorded and counted
	password := c.Request.PostFormValue("password")
	next := adminNext(c.Request.PostFormValue("next"))
	if !loginTokenOK(c) {
		s.fail(c, fmt.Errorf("%w: missing or wrong sign-in form token", errCrossOrigin))
		return
	}
	st, err := s.admin.StaffByName(ctx, tried)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		s.fail(c, err)
		return
	}
	known := st != nil && s.knownDevice(c, st)
	if err := s.signInAllowed(c, name, known); err != nil {
		s.fail(c, err)
		return
	}
	ok := s.passwordMatches(st, password)
	if err := s.recordAttempt(c, name, known, ok); err != nil {
		s.fail(c, err)
		return
	}
	if !ok {
		reason := "wrong password"
		if st == nil {
			reason = "no such account"
		}
		if err := s.audit(c, "sign_in_failed", name, browserDetail(c, known, reason)); err != nil {
			s.fail(c, err)
			return
		}
		s.showLogin(c, http.StatusUnauthorized, name, next, "auth.wrong")
		return
	}
	e := s.auditEntry(c, "sign_in", st.Name, browserDetail(c, known, ""))
	e.Staff = st.Name
	if err := s.admin.Audit(ctx, e); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.signIn(c, st); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.admin.PruneLogins(ctx, s.now().Add(-keepAttempts)); err != nil {
		s.log.Warn("prune sign-in attempts", "err", err)
	}
	s.redirect(c, next)
}

// adminLogout ends the session on the server, so that a copy of the
// cookie is worth nothing, then in the browser.
func (s *Server) adminLogout(c *gin.Context) {
	if err := s.admin.DeleteSession(c.Request.Context(), c.GetString(ctxAdminToken)); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.audit(c, "sign_out", staffName(c), ""); err != nil {
		s.fail(c, err)
		return
	}
	s.setCookie(c, adminCookie, "", "/admin", -1)
	flash(c, "auth.signedout")
	s.redirect(c, "/admin/login")
}

func (s *Server) adminPasswordForm(c *gin.Context) {
	s.showPassword(c, http.StatusOK, nil)
}

func (s *Server) showPassword(c *gin.Context, status int, errKeys map[string]string) {
	p := passwordPage{adminPage: s.newAdminPage(c, "auth.changetitle"), Errors: map[string]string{}}
	for field, key := range errKeys {
		p.Errors[field] = p.Lang.T(key)
	}
	s.render(c, status, "admin/password", p)
}

// adminPassword changes the signed-in member's own password. The change
// ends every session of the account; this browser gets a new one.
func (s *Server) adminPassword(c *gin.Context) {
	ctx := c.Request.Context()
	st := adminOf(c).Staff
	known := s.knownDevice(c, st)
	if err := s.signInAllowed(c, st.Name, known); err != nil {
		s.fail(c, err)
		return
	}
	hash, errs, err := s.newPasswordHash(c, st, known)
	switch {
	case err != nil:
		s.fail(c, err)
		return
	case len(errs) > 0:
		s.showPassword(c, http.StatusUnprocessableEntity, errs)
		return
	}
	if _, err := s.admin.SetPassword(ctx, st.Name, hash, false); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.audit(c, "change_password", st.Name, "every session of the account ended"); err != nil {
		s.fail(c, err)
		return
	}
	changed, err := s.admin.StaffByName(ctx, st.Name)
	if err == nil {
		err = s.signIn(c, changed)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	flash(c, "auth.changed")
	s.redirect(c, "/admin")
}

// newPasswordHash reads the password form, the current password and the
// new one twice, and returns the new one's hash, or the message keys of
// what is wrong by field. A wrong current password is recorded as a failed
// sign-in and audited: a session left open must not become a way to guess
// it.
func (s *Server) newPasswordHash(c *gin.Context, st *models.Staff, knownDevice bool) (string, map[string]string, error) {
	current, fresh, again := c.Request.PostFormValue("current"), c.Request.PostFormValue("new"), c.Request.PostFormValue("again")
	errs := map[string]string{}
	ok := s.passwordMatches(st, current)
	if !ok {
		errs["current"] = "auth.wrongcurrent"
		if err := s.recordAttempt(c, st.Name, knownDevice, false); err != nil {
			return "", nil, err
		}
		if err := s.audit(c, "change_password_failed", st.Name, "wrong current password"); err != nil {
			return "", nil, err
		}
	}
	switch {
	case fresh != again:
		errs["again"] = "auth.mismatch"
	case ok && fresh == current:
		errs["new"] = "auth.same"
	}
	if len(errs) > 0 {
		return "", errs, nil
	}
	hash, err := models.HashPassword(fresh, s.passwordCost)
	if errors.Is(err, models.ErrPassword) {
		return "", map[string]string{"new": "error.password"}, nil
	}
	return hash, nil, err
}

// signIn starts a new session for st in this browser. The session the
// browser presented, if any, ends: a token planted before sign-in never
// becomes the session (no fixation). The browser becomes a known device
// of st.
func (s *Server) signIn(c *gin.Context, st *models.Staff) error {
	ctx := c.Request.Context()
	if ck, err := c.Request.Cookie(adminCookie); err == nil && ck.Value != "" {
		if err := s.admin.DeleteSession(ctx, ck.Value); err != nil {
			return err
		}
	}
	token, _, err := s.admin.CreateSession(ctx, st.ID, s.now(), adminLifetime, c.ClientIP(), c.Request.UserAgent())
	if err != nil {
		return err
	}
	s.setCookie(c, adminCookie, token, "/admin", adminLifetime)
	s.rememberDevice(c, st)
	s.setCookie(c, loginCookie, "", "/admin/login", -1)
	return nil
}

// adminNext returns next if it is a page of the admin other than the
// sign-in itself, else /admin: never another site.
func adminNext(next string) string {
	p := localPath(next)
	u, err := url.Parse(p)
	if err != nil || u.Host != "" || u.Scheme != "" {
		return "/admin"
	}
	clean := path.Clean(u.Path) // browsers resolve dot segments, %2e%2e included
	inAdmin := clean == "/admin" || strings.HasPrefix(clean, "/admin/")
	if !inAdmin || clean == "/admin/login" || clean == "/admin/logout" {
		return "/admin"
	}
	return p
}
