package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"shop/models"
)

func TestHealthz(t *testing.T) {
	h := newHarness(t, options{})
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		req, err := http.NewRequest(method, h.ts.URL+"/healthz", nil)
		require.NoError(t, err)
		res := do(t, h.http, req)
		assert.Equal(t, http.StatusOK, res.StatusCode, method)
		if method == http.MethodGet {
			assert.Equal(t, "ok", res.Body)
		}
		assert.Empty(t, res.Header.Values("Set-Cookie"))
	}

	require.NoError(t, h.db.Close())
	h.clock.Advance(time.Second) // past the cached answer
	res := h.browser(desktopUA).get("/healthz")
	assert.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
	assert.NotEqual(t, "ok", res.Body)
	assert.Contains(t, h.logs.String(), "level=ERROR")
}

func TestErrorPages(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		path       string
		wantStatus int
		wantText   string
		wantAllow  string
	}{
		{"unknown route", http.MethodGet, "/no/such/page", http.StatusNotFound, "We could not find that page.", ""},
		{"unknown product", http.MethodGet, "/products/no-such-thing", http.StatusNotFound, "We could not find that page.", ""},
		{"unknown asset", http.MethodGet, "/assets/nope.css", http.StatusNotFound, "", ""},
		{"wrong method on a page", http.MethodDelete, "/cart", http.StatusMethodNotAllowed, "That request could not be understood.", "GET"},
		{"GET on the notify endpoint", http.MethodGet, "/alipay/notify", http.StatusMethodNotAllowed, "That request could not be understood.", "POST"},
		{"PUT on checkout", http.MethodPut, "/checkout", http.StatusMethodNotAllowed, "That request could not be understood.", "GET, POST"},
		{"unknown API route", http.MethodGet, "/api/nothing", http.StatusNotFound, `{"error":{"code":"not_found","message":"We could not find that page."}}`, ""},
		{"wrong method on the API", http.MethodDelete, "/api/products", http.StatusMethodNotAllowed, `{"error":{"code":"method_not_allowed",`, "GET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, options{})

			res := h.browser(desktopUA).request(tt.method, tt.path, nil, nil)

			assert.Equal(t, tt.wantStatus, res.StatusCode)
			assert.Contains(t, res.Body, tt.wantText)
			if tt.wantAllow != "" {
				assert.ElementsMatch(t, strings.Split(tt.wantAllow, ", "), strings.Split(res.Header.Get("Allow"), ", "))
			}
			assert.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"))
		})
	}
}

// TestRecoverer exercises the recovery middleware on its own engine: a
// panic becomes the 500 page and an error log, never a dropped connection.
func TestRecoverer(t *testing.T) {
	h := newHarness(t, options{})
	r := gin.New()
	r.Use(h.srv.recoverer)
	r.GET("/panic", func(*gin.Context) { panic("boom") })
	r.GET("/panic-error", func(*gin.Context) { panic(errors.New("nil map")) })
	r.GET("/panic-in-session", h.srv.session, func(c *gin.Context) {
		sessionOf(c).Values[keyCart] = "1:1"
		panic("boom")
	})
	r.GET("/panic-after-write", func(c *gin.Context) {
		c.String(http.StatusOK, "partial")
		panic("late")
	})
	r.GET("/abort", func(*gin.Context) { panic(http.ErrAbortHandler) })

	for _, path := range []string{"/panic", "/panic-error", "/panic-in-session"} {
		t.Run(path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))

			assert.Equal(t, http.StatusInternalServerError, rec.Code)
			assert.Equal(t, "text/html; charset=utf-8", rec.Header().Get("Content-Type"))
			assert.Contains(t, rec.Body.String(), "Sorry, something went wrong on our side.")
			assert.NotContains(t, rec.Body.String(), "boom", "no panic detail reaches the user")
			assert.Contains(t, h.logs.String(), "msg=panic path="+path)
		})
	}
	t.Run("after the response started", func(t *testing.T) {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/panic-after-write", nil))
		assert.Equal(t, http.StatusOK, rec.Code)
		assert.Equal(t, "partial", rec.Body.String(), "nothing is appended to a started response")
	})
	t.Run("ErrAbortHandler passes through", func(t *testing.T) {
		assert.PanicsWithValue(t, http.ErrAbortHandler, func() {
			r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/abort", nil))
		})
	})
	t.Run("through the real router", func(t *testing.T) {
		// A store that panics stands in for a bug in a handler.
		cfg := h.cfg
		cfg.Store = panicStore{h.db}
		srv, err := New(cfg)
		require.NoError(t, err)
		for _, path := range []string{"/", "/healthz"} {
			rec := httptest.NewRecorder()
			srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
			assert.Equal(t, http.StatusInternalServerError, rec.Code, path)
			assert.Contains(t, rec.Body.String(), "Sorry, something went wrong on our side.", path)
		}
	})
}

// panicStore is a Store whose catalog and health check panic.
type panicStore struct{ Store }

func (panicStore) Products(context.Context) ([]models.Product, error) { panic("bug in the catalog") }

func (panicStore) Heartbeat(context.Context, time.Time) error { panic("bug in the health check") }

// TestSecurityHeaders pins the headers every page gets.
func TestSecurityHeaders(t *testing.T) {
	h := newHarness(t, options{})
	res := h.browser(desktopUA).get("/")
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, "DENY", res.Header.Get("X-Frame-Options"))
	assert.Contains(t, res.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'")
	assert.Contains(t, res.Header.Get("Content-Security-Policy"), "script-src 'self';")
	assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
}

// resourceRE finds what a page loads: stylesheets and icons (link href),
// images and scripts (src), and the candidates of a srcset.
var (
	resourceRE = regexp.MustCompile(`<(?:link|img|script|source|iframe|video|audio)\b[^>]*?\s(?:href|src)="([^"]+)"`)
	srcsetRE   = regexp.MustCompile(`\ssrcset="([^"]+)"`)
	externalRE = regexp.MustCompile(`(?i)(?:href|src|srcset|action|poster|data)="(?:[a-z][a-z0-9+.-]*:)?//`)
	cssURLRE   = regexp.MustCompile(`url\(\s*['"]?([^'")]+)['"]?\s*\)`)
)

// TestHomePageWeight: the catalog page, its stylesheet and every image or
// script it references weigh under 100 KB together (shoppers on mobile
// data abroad), and all of it comes from the shop itself: no other host is
// named, so nothing waits on a server that may be slow or blocked in
// mainland China.
func TestHomePageWeight(t *testing.T) {
	const budget = 100 << 10
	h := newHarness(t, options{})
	b := h.browser(mobileUA)
	home := b.get("/")
	require.Equal(t, http.StatusOK, home.StatusCode)

	total := len(home.Body)
	seen := map[string]bool{}
	queue := []string{}
	versioned := map[string]bool{} // linked from the page, with a content hash
	assert.Empty(t, externalRE.FindAllString(home.Body, -1), "the page names no other host")
	refs := []string{}
	for _, m := range resourceRE.FindAllStringSubmatch(home.Body, -1) {
		refs = append(refs, m[1])
	}
	for _, m := range srcsetRE.FindAllStringSubmatch(home.Body, -1) {
		for _, cand := range strings.Split(m[1], ",") {
			refs = append(refs, strings.Fields(cand)[0])
		}
	}
	for _, ref := range refs {
		ref = strings.ReplaceAll(ref, "&amp;", "&")
		u, err := url.Parse(ref)
		require.NoError(t, err)
		require.True(t, u.Host == "" && u.Scheme == "" && strings.HasPrefix(ref, "/"), "%s is not the shop's", ref)
		queue = append(queue, ref)
		versioned[ref] = strings.HasPrefix(ref, "/assets/")
	}
	var images, sheets, scripts int
	for len(queue) > 0 {
		ref := queue[0]
		queue = queue[1:]
		if seen[ref] {
			continue
		}
		seen[ref] = true
		res := b.get(ref)
		require.Equal(t, http.StatusOK, res.StatusCode, ref)
		if versioned[ref] {
			assert.Contains(t, res.Header.Get("Cache-Control"), "max-age=31536000", "%s is served for the long term", ref)
		}
		total += len(res.Body)
		switch {
		case strings.Contains(ref, ".css"):
			sheets++
			base, err := url.Parse(ref)
			require.NoError(t, err)
			for _, m := range cssURLRE.FindAllStringSubmatch(res.Body, -1) {
				if strings.HasPrefix(m[1], "data:") {
					continue
				}
				u, err := url.Parse(m[1])
				require.NoError(t, err)
				abs := base.ResolveReference(u)
				require.Empty(t, abs.Host, "css url %s is not the shop's", m[1])
				queue = append(queue, abs.RequestURI())
			}
		case strings.Contains(ref, ".js"):
			scripts++
			assert.NotRegexp(t, `(?i)(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}`, res.Body, "%s calls no other host", ref)
		default:
			images++
		}
	}
	t.Logf("home page %d bytes, %d stylesheet(s), %d script(s), %d image(s): %d bytes in all", len(home.Body), sheets, scripts, images, total)
	assert.Equal(t, 1, sheets)
	assert.GreaterOrEqual(t, images, 12+2, "every product image, the logo and the favicon")
	assert.Less(t, total, budget)
}

// TestHealthzProvesWrites: a database that still answers reads but takes
// no writes (a full disk, a read-only file) is not healthy.
func TestHealthzProvesWrites(t *testing.T) {
	h := newHarness(t, options{})
	b := h.browser(desktopUA)
	require.Equal(t, http.StatusOK, b.get("/healthz").StatusCode)

	err := h.db.Gorm().Callback().Raw().Before("gorm:raw").Register("test:readonly", func(tx *gorm.DB) {
		if strings.HasPrefix(strings.TrimSpace(strings.ToUpper(tx.Statement.SQL.String())), "UPDATE") {
			_ = tx.AddError(errors.New("injected fault: attempt to write a readonly database"))
		}
	})
	require.NoError(t, err)
	require.NoError(t, h.db.Ping(t.Context()), "reads still work")
	h.clock.Advance(time.Second)
	res := b.get("/healthz")
	assert.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
	assert.Contains(t, h.logs.String(), "readonly database")
}
