package handlers

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"shop/models"
)

// testPassword is the password of the accounts the sign-in tests make.
const testPassword = "a long enough passphrase"

// newAuthHarness is the harness with its server rebuilt to believe
// X-Forwarded-For from loopback, so that each test browser comes from an
// address of its own; change, if given, adjusts the configuration.
func newAuthHarness(t *testing.T, change func(*Config)) *harness {
	t.Helper()
	h := newHarness(t, options{})
	cfg := h.cfg
	cfg.TrustedProxies = []string{"127.0.0.1", "::1"}
	if change != nil {
		change(&cfg)
	}
	srv, err := New(cfg)
	require.NoError(t, err)
	h.srv, h.handler = srv, srv.Handler()
	h.ts = httptest.NewServer(h.handler)
	t.Cleanup(h.ts.Close)
	return h
}

// account creates the account name with testPassword, hashed at bcrypt's
// lowest cost: the shop's cost takes seconds under the race detector, and
// nothing here depends on it.
func (h *harness) account(name string) *models.Staff {
	h.t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	require.NoError(h.t, err)
	_, err = h.db.SetPassword(h.t.Context(), name, string(hash), true)
	require.NoError(h.t, err)
	st, err := h.db.StaffByName(h.t.Context(), name)
	require.NoError(h.t, err)
	return st
}

// visitor is a new browser of the test t coming from the address ip. It
// waits for answers as long as they take: a password check costs seconds
// under the race detector on a busy machine, and go test's own -timeout
// bounds a hang.
func (h *harness) visitor(t testing.TB, ip string) *browser {
	b := h.browser(desktopUA)
	b.t = t
	b.c.Timeout = 0
	b.header.Set("X-Forwarded-For", ip)
	return b
}

// in returns the browser for use in the (sub)test t: the same cookies,
// with failures reported to t.
func (b *browser) in(t testing.TB) *browser {
	c := *b
	c.t = t
	return &c
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([0-9a-f]*)"`)

// formToken GETs the page at path and returns its form's CSRF token.
func (b *browser) formToken(path string) string {
	b.t.Helper()
	res := b.get(path)
	require.Equal(b.t, http.StatusOK, res.StatusCode, res.Body)
	m := csrfField.FindStringSubmatch(res.Body)
	require.NotNil(b.t, m, res.Body)
	return m[1]
}

// signIn fills in the sign-in form as a person would and sends it.
func (b *browser) signIn(name, password string) *response {
	b.t.Helper()
	return b.post("/admin/login", url.Values{"csrf_token": {b.formToken("/admin/login")}, "name": {name}, "password": {password}})
}

// signOut sends the sign-out form of an admin page.
func (b *browser) signOut() *response {
	b.t.Helper()
	return b.post("/admin/logout", url.Values{"csrf_token": {b.formToken("/admin/password")}})
}

// cookie returns the value of the browser's cookie name for path, or "".
func (b *browser) cookie(path, name string) string {
	u, err := url.Parse(b.h.ts.URL + path)
	require.NoError(b.t, err)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// setCookie puts a cookie in the browser's jar, as a script or another
// site might.
func (b *browser) setCookie(name, value, path string) {
	u, err := url.Parse(b.h.ts.URL)
	require.NoError(b.t, err)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: path}})
}

// signedIn reports whether the browser has a live admin session: the
// password page answers it; anyone else is sent to sign in.
func (b *browser) signedIn() bool {
	b.t.Helper()
	res := b.get("/admin/password")
	if res.StatusCode == http.StatusSeeOther {
		assert.True(b.t, strings.HasPrefix(res.location(), "/admin/login?next="), res.location())
		return false
	}
	require.Equal(b.t, http.StatusOK, res.StatusCode, res.Body)
	return true
}

// audits returns the audit log, newest first.
func (h *harness) audits(t testing.TB) []models.AuditEntry {
	t.Helper()
	es, _, err := h.db.AuditLog(t.Context(), 1, 100)
	require.NoError(t, err)
	return es
}

// attempts returns the sign-in attempts recorded from client.
func (h *harness) attempts(t testing.TB, client string) []models.LoginAttempt {
	t.Helper()
	var as []models.LoginAttempt
	require.NoError(t, h.db.Gorm().Where("client = ?", client).Order("id").Find(&as).Error)
	return as
}

func TestSignIn(t *testing.T) {
	t.Parallel()
	h := newAuthHarness(t, nil)
	h.account("owner")
	models.SpendPasswordCheck("", bcrypt.MinCost) // builds the hash unknown names are checked against, outside any request
	tests := []struct {
		name, account, password string
		status                  int
		audit, detail           string
	}{
		{"right password", "owner", testPassword, http.StatusSeeOther, "sign_in", "new browser"},
		{"name with spaces around it", "  owner ", testPassword, http.StatusSeeOther, "sign_in", "new browser"},
		{"wrong password", "owner", "not the password at all", http.StatusUnauthorized, "sign_in_failed", "wrong password"},
		{"unknown name", "nobody", testPassword, http.StatusUnauthorized, "sign_in_failed", "no such account"},
		{"password too long to be anyone's", "owner", testPassword + strings.Repeat("x", 80), http.StatusUnauthorized, "sign_in_failed", "wrong password"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ip := "203.0.113." + strconv.Itoa(i+1)
			b := h.visitor(t, ip)

			res := b.signIn(tt.account, tt.password)

			require.Equal(t, tt.status, res.StatusCode, res.Body)
			ok := tt.status == http.StatusSeeOther
			assert.Equal(t, ok, b.signedIn())
			if ok {
				assert.Equal(t, "/admin", res.location())
			} else {
				assert.Contains(t, res.Body, "Wrong name or password.", "one message whatever was wrong")
				assert.Empty(t, b.cookie("/admin", adminCookie))
				assert.Contains(t, res.Body, `value="`+strings.TrimSpace(tt.account)+`"`, "the name stays filled in")
			}
			as := h.attempts(t, ip)
			require.Len(t, as, 1)
			assert.Equal(t, ok, as[0].OK)
			assert.False(t, as[0].KnownDevice)
			e := h.audits(t)[0]
			assert.Equal(t, tt.audit, e.Action)
			assert.Equal(t, strings.TrimSpace(tt.account), e.Target)
			assert.Equal(t, ip, e.Remote)
			assert.Contains(t, e.Detail, tt.detail)
			if ok {
				assert.Equal(t, "owner", e.Staff)
			} else {
				assert.Empty(t, e.Staff)
			}
		})
	}
}

func TestSignInNext(t *testing.T) {
	t.Parallel()
	h := newAuthHarness(t, nil)
	h.account("owner")
	tests := []struct{ next, want string }{
		{"/admin/orders?status=paid", "/admin/orders?status=paid"},
		{"/admin", "/admin"},
		{"", "/admin"},
		{"//evil.example", "/admin"},
		{`/\evil.example`, "/admin"},
		{"https://evil.example/admin", "/admin"},
		{"/\t/evil.example", "/admin"},
		{"/cart", "/admin"},
		{"/administrator", "/admin"},
		{"/admin/../cart", "/admin"},
		{"/admin/%2e%2e/cart", "/admin"},
		{"/admin/login", "/admin"},
	}
	for i, tt := range tests {
		t.Run(tt.next, func(t *testing.T) {
			b := h.visitor(t, "198.51.100."+strconv.Itoa(i+1))
			token := b.formToken("/admin/login?next=" + url.QueryEscape(tt.next))

			res := b.post("/admin/login", url.Values{"csrf_token": {token}, "name": {"owner"}, "password": {testPassword}, "next": {tt.next}})

			require.Equal(t, http.StatusSeeOther, res.StatusCode, res.Body)
			assert.Equal(t, tt.want, res.location())
		})
	}

	t.Run("back to the page that asked for a session", func(t *testing.T) {
		b := h.visitor(t, "198.51.100.200")
		res := b.get("/admin/password")
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		form := b.get(res.location())
		require.Equal(t, http.StatusOK, form.StatusCode)
		assert.Contains(t, form.Body, `name="next" value="/admin/password"`)
		m := csrfField.FindStringSubmatch(form.Body)
		require.NotNil(t, m)

		res = b.post("/admin/login", url.Values{"csrf_token": {m[1]}, "name": {"owner"}, "password": {testPassword}, "next": {"/admin/password"}})
		assert.Equal(t, "/admin/password", res.location())

		res = b.get("/admin/login?next=%2Fadmin%2Forders")
		assert.Equal(t, http.StatusSeeOther, res.StatusCode, "a signed-in browser skips the form")
		assert.Equal(t, "/admin/orders", res.location())
	})
}

func TestSignInCSRF(t *testing.T) {
	t.Parallel()
	h := newAuthHarness(t, nil)
	h.account("owner")
	tests := []struct {
		name string
		send func(t *testing.T, b *browser) *response
	}{
		{"no token", func(t *testing.T, b *browser) *response {
			b.formToken("/admin/login")
			return b.post("/admin/login", url.Values{"name": {"owner"}, "password": {testPassword}})
		}},
		{"wrong token", func(t *testing.T, b *browser) *response {
			b.formToken("/admin/login")
			return b.post("/admin/login", url.Values{"csrf_token": {strings.Repeat("ab", 32)}, "name": {"owner"}, "password": {testPassword}})
		}},
		{"token without its cookie", func(t *testing.T, b *browser) *response {
			token := h.visitor(t, "192.0.2.250").formToken("/admin/login")
			return b.post("/admin/login", url.Values{"csrf_token": {token}, "name": {"owner"}, "password": {testPassword}})
		}},
		{"another browser's token", func(t *testing.T, b *browser) *response {
			b.formToken("/admin/login")
			token := h.visitor(t, "192.0.2.251").formToken("/admin/login")
			return b.post("/admin/login", url.Values{"csrf_token": {token}, "name": {"owner"}, "password": {testPassword}})
		}},
		{"cross-site post", func(t *testing.T, b *browser) *response {
			token := b.formToken("/admin/login")
			return b.request(http.MethodPost, "/admin/login", url.Values{"csrf_token": {token}, "name": {"owner"}, "password": {testPassword}},
				http.Header{"Sec-Fetch-Site": {"cross-site"}})
		}},
	}
	for i, tt := range tests {
		t.Run("sign in: "+tt.name, func(t *testing.T) {
			ip := "192.0.2." + strconv.Itoa(i+1)
			b := h.visitor(t, ip)

			res := tt.send(t, b)

			assert.Equal(t, http.StatusForbidden, res.StatusCode)
			assert.Empty(t, b.cookie("/admin", adminCookie))
			assert.False(t, b.signedIn())
			assert.Empty(t, h.attempts(t, ip), "refused before any password check")
		})
	}

	for i, token := range []string{"", "wrong", strings.Repeat("0", 64)} {
		t.Run("sign out: token "+strconv.Quote(token), func(t *testing.T) {
			b := h.visitor(t, "192.0.2."+strconv.Itoa(100+i))
			require.Equal(t, http.StatusSeeOther, b.signIn("owner", testPassword).StatusCode)

			res := b.post("/admin/logout", url.Values{"csrf_token": {token}})

			assert.Equal(t, http.StatusForbidden, res.StatusCode)
			assert.True(t, b.signedIn(), "still signed in")
			assert.NotEqual(t, "sign_out", h.audits(t)[0].Action)
		})
	}
}

// TestSignInClientLimit: an address gets maxClientFailures failures in a
// window, whatever the accounts; then even the right password is refused
// from it (but not from elsewhere) until the window has passed.
func TestSignInClientLimit(t *testing.T) {
	t.Parallel()
	h := newAuthHarness(t, nil)
	for _, n := range []string{"alice", "bob", "carol"} {
		h.account(n)
	}
	guesser := h.visitor(t, "203.0.113.7")
	for i := range maxClientFailures {
		name := []string{"alice", "bob"}[i%2]
		require.Equal(t, http.StatusUnauthorized, guesser.signIn(name, "guess number "+strconv.Itoa(i)).StatusCode)
	}

	res := guesser.signIn("carol", testPassword)
	assert.Equal(t, http.StatusTooManyRequests, res.StatusCode)
	assert.Contains(t, res.Body, "Too many requests. Please wait a moment and try again.")
	assert.False(t, guesser.signedIn())
	assert.Len(t, h.attempts(t, "203.0.113.7"), maxClientFailures, "a refused attempt is not checked")

	elsewhere := h.visitor(t, "203.0.113.8")
	assert.Equal(t, http.StatusSeeOther, elsewhere.signIn("carol", testPassword).StatusCode, "the limit is the address's")

	h.clock.Advance(signInWindow + time.Second)
	assert.Equal(t, http.StatusSeeOther, guesser.signIn("carol", testPassword).StatusCode, "the window has passed")
}

// TestSignInAccountLockout: maxAccountFailures failures at an account from
// browsers that never signed in to it lock it for such browsers only; the
// owner's own browser still signs in, and the lock ends with the window.
func TestSignInAccountLockout(t *testing.T) {
	t.Parallel()
	h := newAuthHarness(t, nil)
	h.account("owner")
	known := h.visitor(t, "198.51.100.10")
	require.Equal(t, http.StatusSeeOther, known.signIn("owner", testPassword).StatusCode)
	require.NotEmpty(t, known.cookie("/admin/login", deviceCookie))
	require.Equal(t, http.StatusSeeOther, known.signOut().StatusCode)

	for i := range maxAccountFailures {
		stranger := h.visitor(t, "203.0.113."+strconv.Itoa(10+i/2)) // two each: under the address limit
		require.Equal(t, http.StatusUnauthorized, stranger.signIn("owner", "guess number "+strconv.Itoa(i)).StatusCode)
	}

	tests := []struct {
		name    string
		browser func(t *testing.T) *browser
		status  int
	}{
		{"a new browser with the right password", func(t *testing.T) *browser { return h.visitor(t, "192.0.2.77") }, http.StatusTooManyRequests},
		{"a forged device cookie", func(t *testing.T) *browser {
			b := h.visitor(t, "192.0.2.78")
			b.setCookie(deviceCookie, "forged", "/admin")
			return b
		}, http.StatusTooManyRequests},
		{"an unsigned device cookie", func(t *testing.T) *browser {
			b := h.visitor(t, "192.0.2.79")
			b.setCookie(deviceCookie, "1.0000000000000000."+strconv.FormatInt(h.clock.Now().Unix(), 10), "/admin")
			return b
		}, http.StatusTooManyRequests},
		{"the owner's known browser", func(t *testing.T) *browser { return known.in(t) }, http.StatusSeeOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.browser(t)
			res := b.signIn("owner", testPassword)
			assert.Equal(t, tt.status, res.StatusCode)
			if tt.status == http.StatusTooManyRequests {
				assert.Contains(t, res.Body, "Too many failed sign-ins to this account")
				assert.False(t, b.signedIn())
			}
		})
	}

	t.Run("the lock ends with the window", func(t *testing.T) {
		h.clock.Advance(signInWindow + time.Second)
		assert.Equal(t, http.StatusSeeOther, h.visitor(t, "192.0.2.80").signIn("owner", testPassword).StatusCode)
	})
}

// TestSignInRacingAttempts: attempts sent all at once cannot all slip under
// the limit before any of them is recorded.
func TestSignInRacingAttempts(t *testing.T) {
	t.Parallel()
	h := newAuthHarness(t, nil)
	h.account("owner")
	const ip, n = "203.0.113.99", 40
	b := h.visitor(t, ip)
	token := b.formToken("/admin/login")
	statuses := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { // no require here: it must not stop the test from another goroutine
			form := url.Values{"csrf_token": {token}, "name": {"owner"}, "password": {"guess " + strconv.Itoa(i)}}
			req, err := http.NewRequest(http.MethodPost, h.ts.URL+"/admin/login", strings.NewReader(form.Encode()))
			if err != nil {
				errs[i] = err
				return
			}
			req.Header.Set("Content-Type", formType)
			req.Header.Set("X-Forwarded-For", ip)
			res, err := b.c.Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			res.Body.Close()
			statuses[i] = res.StatusCode
		})
	}
	wg.Wait()

	checked := 0
	for i, s := range statuses {
		require.NoError(t, errs[i])
		require.Contains(t, []int{http.StatusUnauthorized, http.StatusTooManyRequests}, s)
		if s == http.StatusUnauthorized {
			checked++
		}
	}
	assert.GreaterOrEqual(t, checked, maxClientFailures)
	assert.LessOrEqual(t, checked, 20, "the in-memory burst bounds what can race past the count")
	assert.Len(t, h.attempts(t, ip), checked)
}

// TestSessionFixation: a cookie set before sign-in, by whoever, is never
// the session afterwards.
func TestSessionFixation(t *testing.T) {
	t.Parallel()
	h := newAuthHarness(t, nil)
	h.account("owner")
	h.account("mallory")
	attacker := h.visitor(t, "203.0.113.66")
	require.Equal(t, http.StatusSeeOther, attacker.signIn("mallory", testPassword).StatusCode)
	tests := []struct {
		name    string
		planted string
	}{
		{"a made-up token", models.RandomToken()},
		{"another account's live session", attacker.cookie("/admin", adminCookie)},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			victim := h.visitor(t, "198.51.100."+strconv.Itoa(60+i))
			token := victim.formToken("/admin/login")
			victim.setCookie(adminCookie, tt.planted, "/admin")

			res := victim.post("/admin/login", url.Values{"csrf_token": {token}, "name": {"owner"}, "password": {testPassword}})

			require.Equal(t, http.StatusSeeOther, res.StatusCode)
			got := victim.cookie("/admin", adminCookie)
			assert.NotEmpty(t, got)
			assert.NotEqual(t, tt.planted, got)
			page := victim.get("/admin/password")
			assert.Contains(t, page.Body, `value="owner"`, "signed in as the owner")

			replay := h.visitor(t, "203.0.113.67")
			replay.setCookie(adminCookie, tt.planted, "/admin")
			assert.False(t, replay.signedIn(), "the planted token is no session")
		})
	}
	assert.False(t, attacker.signedIn(), "the session the victim's browser presented has ended")
}

func TestSignOut(t *testing.T) {
	t.Parallel()
	h := newAuthHarness(t, nil)
	h.account("owner")
	b := h.visitor(t, "198.51.100.20")
	require.Equal(t, http.StatusSeeOther, b.signIn("owner", testPassword).StatusCode)
	old := b.cookie("/admin", adminCookie)
	require.NotEmpty(t, old)

	res := b.signOut()

	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	assert.Equal(t, "/admin/login", res.location())
	var cleared bool
	for _, c := range res.Cookies() {
		if c.Name == adminCookie {
			cleared = c.MaxAge < 0 && c.Value == "" && c.Path == "/admin"
		}
	}
	assert.True(t, cleared, "the cookie is deleted: %v", res.Header.Values("Set-Cookie"))
	assert.Contains(t, b.get("/admin/login").Body, "You have signed out.")
	e := h.audits(t)[0]
	assert.Equal(t, models.AuditEntry{ID: e.ID, At: e.At, Staff: "owner", Action: "sign_out", Target: "owner", Remote: "198.51.100.20"}, e)

	replay := h.visitor(t, "203.0.113.20")
	replay.setCookie(adminCookie, old, "/admin")
	res = replay.get("/admin/password")
	assert.Equal(t, http.StatusSeeOther, res.StatusCode, "the old cookie is worth nothing")
	assert.Equal(t, "/admin/login?next=%2Fadmin%2Fpassword", res.location())
	res = replay.post("/admin/logout", url.Values{"csrf_token": {"anything"}})
	assert.Equal(t, http.StatusForbidden, res.StatusCode)
}

// TestPasswordChange: the current password is required and the new one
// typed twice; a change ends every other session and keeps this browser
// signed in with a new one.
func TestPasswordChange(t *testing.T) {
	t.Parallel()
	h := newAuthHarness(t, nil)
	owner := h.account("owner")
	const newPassword = "quite another passphrase"
	here, there := h.visitor(t, "198.51.100.30"), h.visitor(t, "198.51.100.31")
	for _, b := range []*browser{here, there} {
		require.Equal(t, http.StatusSeeOther, b.signIn("owner", testPassword).StatusCode)
	}

	refusals := []struct {
		name                string
		current, fresh, two string
		status              int
		want                string
	}{
		{"wrong current password", "not my password", newPassword, newPassword, http.StatusUnprocessableEntity, "That is not your current password."},
		{"new passwords differ", testPassword, newPassword, newPassword + "!", http.StatusUnprocessableEntity, "The two new passwords are not the same."},
		{"new is the current", testPassword, testPassword, testPassword, http.StatusUnprocessableEntity, "Choose a new password different from the current one."},
		{"new too short", testPassword, "short", "short", http.StatusUnprocessableEntity, "A password must be 12 to 72 characters."},
		{"new too long", testPassword, strings.Repeat("x", 73), strings.Repeat("x", 73), http.StatusUnprocessableEntity, "A password must be 12 to 72 characters."},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			here, there := here.in(t), there.in(t)
			token := here.formToken("/admin/password")
			res := here.post("/admin/password", url.Values{"csrf_token": {token}, "current": {tt.current}, "new": {tt.fresh}, "again": {tt.two}})
			assert.Equal(t, tt.status, res.StatusCode)
			assert.Contains(t, res.Body, tt.want)
			assert.True(t, here.signedIn())
			assert.True(t, there.signedIn())
		})
	}
	t.Run("a wrong current password counts as a failed sign-in", func(t *testing.T) {
		as := h.attempts(t, "198.51.100.30")
		require.NotEmpty(t, as)
		assert.False(t, as[len(as)-1].OK)
		assert.True(t, as[len(as)-1].KnownDevice)
		var failed []models.AuditEntry
		for _, e := range h.audits(t) {
			if e.Action == "change_password_failed" {
				failed = append(failed, e)
			}
		}
		require.Len(t, failed, 1)
		assert.Equal(t, "owner", failed[0].Staff)
	})
	t.Run("without the CSRF token", func(t *testing.T) {
		res := here.in(t).post("/admin/password", url.Values{"current": {testPassword}, "new": {newPassword}, "again": {newPassword}})
		assert.Equal(t, http.StatusForbidden, res.StatusCode)
	})

	before := here.cookie("/admin", adminCookie)
	token := here.formToken("/admin/password")
	res := here.post("/admin/password", url.Values{"csrf_token": {token}, "current": {testPassword}, "new": {newPassword}, "again": {newPassword}})

	require.Equal(t, http.StatusSeeOther, res.StatusCode, res.Body)
	assert.Equal(t, "/admin", res.location())
	assert.NotEqual(t, before, here.cookie("/admin", adminCookie), "a new session")
	page := here.get("/admin/password")
	require.Equal(t, http.StatusOK, page.StatusCode)
	assert.Contains(t, page.Body, "Your password was changed.")
	assert.False(t, there.signedIn(), "every other browser is signed out")
	replay := h.visitor(t, "203.0.113.30")
	replay.setCookie(adminCookie, before, "/admin")
	assert.False(t, replay.signedIn())
	e := h.audits(t)[0]
	assert.Equal(t, "change_password", e.Action)
	assert.Equal(t, "owner", e.Staff)
	assert.Equal(t, "198.51.100.30", e.Remote)

	changed, err := h.db.StaffByName(t.Context(), "owner")
	require.NoError(t, err)
	assert.NotEqual(t, owner.PasswordHash, changed.PasswordHash)
	assert.Equal(t, http.StatusSeeOther, h.visitor(t, "192.0.2.31").signIn("owner", newPassword).StatusCode)
}

func TestSessionExpiry(t *testing.T) {
	t.Parallel()
	t.Run("idle", func(t *testing.T) {
		h := newAuthHarness(t, nil)
		h.account("owner")
		b := h.visitor(t, "198.51.100.40")
		require.Equal(t, http.StatusSeeOther, b.signIn("owner", testPassword).StatusCode)
		for range 3 {
			h.clock.Advance(adminIdle - time.Minute)
			require.True(t, b.signedIn(), "each request keeps it alive")
		}
		h.clock.Advance(adminIdle + time.Second)
		assert.False(t, b.signedIn())
	})
	t.Run("absolute", func(t *testing.T) {
		h := newAuthHarness(t, nil)
		h.account("owner")
		b := h.visitor(t, "198.51.100.41")
		require.Equal(t, http.StatusSeeOther, b.signIn("owner", testPassword).StatusCode)
		const step = 25 * time.Minute
		elapsed := time.Duration(0)
		for elapsed+step < adminLifetime {
			h.clock.Advance(step)
			elapsed += step
			require.True(t, b.signedIn(), "alive after %s", elapsed)
		}
		h.clock.Advance(adminLifetime - elapsed)
		assert.False(t, b.signedIn(), "ended %s after sign-in however busy", adminLifetime)
	})
}

// TestAdminCookies pins the attributes of the admin's cookies: never
// readable by scripts, never sent by another site, Secure when the shop is
// served over https, and no session cookie outliving the session.
func TestAdminCookies(t *testing.T) {
	t.Parallel()
	for _, base := range []string{"http://shop.example.com", "https://shop.example.com"} {
		t.Run(base, func(t *testing.T) {
			h := newAuthHarness(t, func(c *Config) { c.BaseURL = base })
			h.account("owner")
			// By hand, without a jar (which keeps Secure cookies from
			// http) and without following redirects.
			client := &http.Client{Transport: h.http.Transport,
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			get, err := http.NewRequest(http.MethodGet, h.ts.URL+"/admin/login", nil)
			require.NoError(t, err)
			form := do(t, client, get)
			require.Equal(t, http.StatusOK, form.StatusCode)
			m := csrfField.FindStringSubmatch(form.Body)
			require.NotNil(t, m)
			body := url.Values{"csrf_token": {m[1]}, "name": {"owner"}, "password": {testPassword}}
			post, err := http.NewRequest(http.MethodPost, h.ts.URL+"/admin/login", strings.NewReader(body.Encode()))
			require.NoError(t, err)
			post.Header.Set("Content-Type", formType)
			post.AddCookie(&http.Cookie{Name: loginCookie, Value: m[1]})
			res := do(t, client, post)
			require.Equal(t, http.StatusSeeOther, res.StatusCode, res.Body)

			cookies := map[string]*http.Cookie{}
			for _, c := range append(form.Cookies(), res.Cookies()...) {
				if c.Name != sessionName { // the shop's cart cookie is not the admin's
					cookies[c.Name+" "+strconv.FormatBool(c.MaxAge < 0)] = c
				}
			}
			want := []struct {
				key    string
				path   string
				maxAge time.Duration
			}{
				{loginCookie + " false", "/admin/login", loginLifetime},
				{adminCookie + " false", "/admin", adminLifetime},
				{deviceCookie + " false", "/admin", deviceLifetime},
				{loginCookie + " true", "/admin/login", -1}, // spent at sign-in
			}
			require.Len(t, cookies, len(want), "%v", cookies)
			for _, w := range want {
				c := cookies[w.key]
				require.NotNil(t, c, w.key)
				assert.True(t, c.HttpOnly, w.key)
				assert.Equal(t, http.SameSiteStrictMode, c.SameSite, w.key)
				assert.Equal(t, strings.HasPrefix(base, "https:"), c.Secure, w.key)
				assert.Equal(t, w.path, c.Path, w.key)
				if w.maxAge > 0 {
					assert.Equal(t, int(w.maxAge.Seconds()), c.MaxAge, w.key)
				}
			}
			assert.Equal(t, 43200, cookies[adminCookie+" false"].MaxAge, "12 hours, the absolute lifetime")
		})
	}
}

func TestAdminAuthNoStore(t *testing.T) {
	t.Parallel()
	h := newAuthHarness(t, nil)
	h.account("owner")
	b := h.visitor(t, "198.51.100.50")
	tests := []struct {
		name   string
		do     func(b *browser) *response
		status int
	}{
		{"sign-in form", func(b *browser) *response { return b.get("/admin/login") }, http.StatusOK},
		{"failed sign-in", func(b *browser) *response { return b.signIn("owner", "wrong password here") }, http.StatusUnauthorized},
		{"page without a session", func(b *browser) *response { return b.get("/admin/password") }, http.StatusSeeOther},
		{"sign-in", func(b *browser) *response { return b.signIn("owner", testPassword) }, http.StatusSeeOther},
		{"password form", func(b *browser) *response { return b.get("/admin/password") }, http.StatusOK},
		{"sign-out", func(b *browser) *response { return b.signOut() }, http.StatusSeeOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := tt.do(b.in(t))
			assert.Equal(t, tt.status, res.StatusCode)
			assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
		})
	}
}

// TestAdminAuthPages: both forms in both languages, every input labelled
// and marked for password managers.
func TestAdminAuthPages(t *testing.T) {
	t.Parallel()
	h := newAuthHarness(t, nil)
	h.account("owner")
	tests := []struct {
		lang, path string
		want       []string
	}{
		{"en", "/admin/login", []string{`<html lang="en">`, `<label for="name">Account name</label>`, `<label for="password">Password</label>`,
			`autocomplete="username"`, `autocomplete="current-password"`, `name="viewport"`}},
		{"zh-CN", "/admin/login", []string{`<html lang="zh-Hans">`, `<label for="name">账号名</label>`, `<label for="password">密码</label>`}},
		{"en", "/admin/password", []string{`<label for="username">Account name</label>`, `<label for="current">Current password</label>`,
			`<label for="new">New password</label>`, `<label for="again">New password again</label>`, `autocomplete="username"`,
			`autocomplete="current-password"`, `id="new" name="new" type="password" autocomplete="new-password"`,
			`id="again" name="again" type="password" autocomplete="new-password"`}},
		{"zh-CN", "/admin/password", []string{`<html lang="zh-Hans">`, `<label for="current">当前密码</label>`, `<label for="new">新密码</label>`}},
	}
	for i, tt := range tests {
		t.Run(tt.lang+tt.path, func(t *testing.T) {
			b := h.visitor(t, "198.51.100."+strconv.Itoa(70+i))
			b.header.Set("Accept-Language", tt.lang)
			if tt.path != "/admin/login" {
				require.Equal(t, http.StatusSeeOther, b.signIn("owner", testPassword).StatusCode)
			}
			res := b.get(tt.path)
			require.Equal(t, http.StatusOK, res.StatusCode)
			for _, w := range tt.want {
				assert.Contains(t, res.Body, w)
			}
			for _, id := range regexp.MustCompile(`<input id="([a-z]+)"`).FindAllStringSubmatch(res.Body, -1) {
				assert.Contains(t, res.Body, `<label for="`+id[1]+`">`, "input %s has a label", id[1])
			}
		})
	}
}
