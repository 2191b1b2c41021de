package handlers

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A browser that brought no session and was given nothing to remember gets
// no cookie: reading the catalog costs no encryption. As soon as there is
// something to remember (here the language), it gets one.
func TestAnonymousPagesSetNoCookie(t *testing.T) {
	h := newHarness(t, options{})
	for _, path := range []string{"/", "/products/silk-scarf", "/cart"} {
		rec := httptest.NewRecorder()
		h.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		require.Equal(t, http.StatusOK, rec.Code, path)
		assert.Empty(t, rec.Header().Values("Set-Cookie"), "GET %s", path)
	}
	rec := httptest.NewRecorder()
	h.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/lang/zh?next=/", nil))
	require.Equal(t, http.StatusSeeOther, rec.Code)
	cookies := rec.Header().Values("Set-Cookie")
	require.Len(t, cookies, 1)
	assert.True(t, strings.HasPrefix(cookies[0], sessionName+"="), cookies[0])
}
