package handlers

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// BenchmarkCatalogPage renders GET / through the router: catalog query,
// session, templates.
func BenchmarkCatalogPage(b *testing.B) {
	h := newHarness(b, options{})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Accept-Language", "zh-CN,zh;q=0.9")
		h.handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET / = %d", rec.Code)
		}
	}
}

// BenchmarkCheckout posts the checkout form through the router: the order
// is created (stock reserved, one transaction) and the browser sent to a
// signed RSA2 pay URL. Each iteration uses a fresh checkout key and its own
// client address, so that neither idempotency nor the rate limiter
// short-circuits the work.
func BenchmarkCheckout(b *testing.B) {
	h := newHarness(b, options{})
	scarf := h.product("silk-scarf")
	h.setStock(scarf.ID, 1_000_000_000) // replenished for any b.N
	cookie := sessionCookie(b, h, scarf.ID)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		form := validContact(randomHex(16)).Encode()
		req := httptest.NewRequest(http.MethodPost, "/checkout", strings.NewReader(form))
		req.RemoteAddr = randomAddr(i)
		req.Header.Set("Content-Type", formType)
		req.Header.Set("User-Agent", mobileUA)
		req.Header.Set("Cookie", cookie)
		rec := httptest.NewRecorder()
		h.handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusSeeOther || !strings.Contains(rec.Header().Get("Location"), "sign_type=RSA2") {
			b.Fatalf("POST /checkout = %d %s", rec.Code, rec.Header().Get("Location"))
		}
	}
}

// sessionCookie returns the Cookie header of a browser with one product in
// its cart.
func sessionCookie(b *testing.B, h *harness, productID uint) string {
	br := h.browser(mobileUA)
	require.Equal(b, http.StatusSeeOther, br.add(productID, 1).StatusCode)
	br.checkoutKey() // creates the owner id
	u, err := url.Parse(h.ts.URL)
	require.NoError(b, err)
	var parts []string
	for _, c := range br.c.Jar.Cookies(u) {
		parts = append(parts, c.Name+"="+c.Value)
	}
	require.NotEmpty(b, parts)
	return strings.Join(parts, "; ")
}

// BenchmarkNotify handles a valid RSA2 notification for a fresh order each
// iteration, notify_verify answered true by the stub gateway over loopback.
// Creating the order and signing as Alipay are not timed.
func BenchmarkNotify(b *testing.B) {
	h := newHarness(b, options{})
	scarf := h.product("silk-scarf")
	h.setStock(scarf.ID, 1_000_000_000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		o := h.createOrder()
		body := sign(b, h.alipay, paidParams(o)).Encode()
		req := httptest.NewRequest(http.MethodPost, "/alipay/notify", strings.NewReader(body))
		req.Header.Set("Content-Type", formType)
		rec := httptest.NewRecorder()
		b.StartTimer()

		h.handler.ServeHTTP(rec, req)

		if rec.Code != http.StatusOK || rec.Body.String() != "success" {
			b.Fatalf("POST /alipay/notify = %d %q", rec.Code, rec.Body.String())
		}
	}
}

// randomAddr is a distinct client address per i.
func randomAddr(i int) string {
	return net.JoinHostPort(fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), "40000")
}

// benchmarkPage gets path through the router, in Chinese (so with the
// category chips and the names in both languages), b.N times.
func benchmarkPage(b *testing.B, h *harness, path string) {
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Accept-Language", "zh-CN,zh;q=0.9")
		h.handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s = %d", path, rec.Code)
		}
	}
}

// BenchmarkHome is the home page with its categories: the catalog comes
// from the snapshot in memory, so it costs no query.
func BenchmarkHome(b *testing.B) { benchmarkPage(b, discoveryCatalog(b), "/") }

// BenchmarkSearch searches the snapshot in memory for a Chinese word.
func BenchmarkSearch(b *testing.B) {
	benchmarkPage(b, discoveryCatalog(b), "/search?q="+url.QueryEscape("茶"))
}

// BenchmarkProductPage is a product's page: read from the database (its
// product, category and pictures), so its stock is the latest.
func BenchmarkProductPage(b *testing.B) {
	benchmarkPage(b, discoveryCatalog(b), "/products/silk-scarf")
}
