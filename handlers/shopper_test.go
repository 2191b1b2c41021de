package handlers

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// browser is one shopper's browser: its own cookie jar, a User-Agent, and
// the Sec-Fetch-Site header every current browser sends. It does not
// follow redirects, so that tests see them.
type browser struct {
	t      testing.TB
	h      *harness
	c      *http.Client
	ua     string
	header http.Header
}

func (h *harness) browser(ua string) *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(h.t, err)
	return &browser{t: h.t, h: h, ua: ua, header: http.Header{},
		c: &http.Client{Transport: newClient(h.t).Transport, Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}}
}

func (b *browser) request(method, path string, form url.Values, header http.Header) *response {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	u := path
	if strings.HasPrefix(path, "/") {
		u = b.h.ts.URL + path
	}
	req, err := http.NewRequest(method, u, body)
	require.NoError(b.t, err)
	if form != nil {
		req.Header.Set("Content-Type", formType)
	}
	req.Header.Set("User-Agent", b.ua)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for k, vs := range b.header {
		req.Header[k] = vs
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	return do(b.t, b.c, req)
}

func (b *browser) get(path string) *response { return b.request(http.MethodGet, path, nil, nil) }

func (b *browser) post(path string, form url.Values) *response {
	return b.request(http.MethodPost, path, form, nil)
}

// add puts qty of a product in the cart.
func (b *browser) add(productID uint, qty int) *response {
	return b.post("/cart/items", url.Values{"product_id": {fmt.Sprint(productID)}, "quantity": {fmt.Sprint(qty)}})
}

var checkoutKeyRE = regexp.MustCompile(`name="checkout_key" value="([0-9a-f]{32})"`)

// checkoutKey shows the checkout form and returns its key.
func (b *browser) checkoutKey() string {
	b.t.Helper()
	res := b.get("/checkout")
	require.Equal(b.t, http.StatusOK, res.StatusCode, res.Body)
	m := checkoutKeyRE.FindStringSubmatch(res.Body)
	require.NotNil(b.t, m, "no checkout_key in the form")
	return m[1]
}

func validContact(key string) url.Values {
	return url.Values{"name": {"Ann Lee"}, "phone": {"+852 9123 4567"}, "email": {"ann@example.com"},
		"address": {"1 Main Street, Springfield"}, "checkout_key": {key}}
}

// buy adds qty of the product to the cart and checks out; it returns the
// order number from the redirect to the gateway.
func (b *browser) buy(productID uint, qty int) string {
	b.t.Helper()
	res := b.add(productID, qty)
	require.Equal(b.t, http.StatusSeeOther, res.StatusCode, res.Body)
	res = b.post("/checkout", validContact(b.checkoutKey()))
	require.Equal(b.t, http.StatusSeeOther, res.StatusCode, res.Body)
	u, err := url.Parse(res.location())
	require.NoError(b.t, err)
	require.Equal(b.t, b.h.gw.URL+"/gateway.do", u.Scheme+"://"+u.Host+u.Path)
	return u.Query().Get("out_trade_no")
}

var cartCountRE = regexp.MustCompile(`data-testid="cart-count">(\d+)<`)

// cartCount reads the cart badge from the cart page.
func (b *browser) cartCount() string {
	b.t.Helper()
	res := b.get("/cart")
	require.Equal(b.t, http.StatusOK, res.StatusCode)
	m := cartCountRE.FindStringSubmatch(res.Body)
	require.NotNil(b.t, m)
	return m[1]
}
