package handlers

import (
	"net/http"
	"net/url"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"shop/models"
)

// adminBrowser is a browser signed in to the admin as a staff member,
// with the session's CSRF token at hand. It is made directly in the
// store, so that tests of admin pages do not depend on the sign-in form
// (which has tests of its own).
type adminBrowser struct {
	*browser
	name  string
	token string // the session cookie's value
	csrf  string
}

// staff creates the account name (password "correct horse battery") if
// needed and signs a new browser in as it.
func (h *harness) staff(name string) *adminBrowser {
	h.t.Helper()
	hash, err := models.HashPassword("correct horse battery", bcrypt.MinCost)
	require.NoError(h.t, err)
	ctx := h.t.Context()
	if _, err := h.db.StaffByName(ctx, name); err != nil {
		_, err = h.db.SetPassword(ctx, name, hash, true)
		require.NoError(h.t, err)
	}
	st, err := h.db.StaffByName(ctx, name)
	require.NoError(h.t, err)
	token, sess, err := h.db.CreateSession(ctx, st.ID, h.clock.Now(), adminLifetime, "127.0.0.1", "test")
	require.NoError(h.t, err)
	b := h.browser(desktopUA)
	u, err := url.Parse(h.ts.URL)
	require.NoError(h.t, err)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: adminCookie, Value: token, Path: "/admin"}})
	return &adminBrowser{browser: b, name: name, token: token, csrf: sess.CSRFToken}
}

// postForm posts form to path with the session's CSRF token added.
func (a *adminBrowser) postForm(path string, form url.Values) *response {
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf_token", a.csrf)
	return a.post(path, form)
}
