package handlers

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCart(t *testing.T) {
	type step struct {
		method, path string
		form         url.Values
		wantStatus   int
	}
	add := func(id uint, qty string) step {
		return step{"POST", "/cart/items", url.Values{"product_id": {fmt.Sprint(id)}, "quantity": {qty}}, http.StatusSeeOther}
	}
	set := func(id uint, qty string) step {
		return step{"POST", fmt.Sprintf("/cart/items/%d", id), url.Values{"quantity": {qty}}, http.StatusSeeOther}
	}
	status := func(s step, code int) step { s.wantStatus = code; return s }
	// Seeded stock: silk-scarf 12 (id 1), enamel-pin 3 (id 7).
	const scarf, pin = 1, 7
	tests := []struct {
		name      string
		steps     []step
		wantCount string
		wantTotal string
	}{
		{"add", []step{add(scarf, "2")}, "2", "US$78.00"},
		{"add without quantity adds one", []step{{"POST", "/cart/items", url.Values{"product_id": {"1"}}, http.StatusSeeOther}}, "1", "US$39.00"},
		{"add twice sums", []step{add(scarf, "2"), add(scarf, "3")}, "5", "US$195.00"},
		{"two products", []step{add(scarf, "1"), add(pin, "2")}, "3", "US$52.00"},
		{"change quantity", []step{add(scarf, "2"), set(scarf, "4")}, "4", "US$156.00"},
		{"remove", []step{add(scarf, "2"), add(pin, "1"), {"POST", "/cart/items/1", url.Values{"remove": {"1"}}, http.StatusSeeOther}}, "1", "US$6.50"},
		{"quantity 0 removes", []step{add(scarf, "2"), set(scarf, "0")}, "0", ""},
		{"add above stock", []step{status(add(pin, "4"), http.StatusUnprocessableEntity)}, "0", ""},
		{"add up to above stock", []step{add(pin, "2"), status(add(pin, "2"), http.StatusUnprocessableEntity)}, "2", "US$13.00"},
		{"add exactly the stock", []step{add(pin, "3")}, "3", "US$19.50"},
		{"change above stock", []step{add(pin, "1"), status(set(pin, "4"), http.StatusUnprocessableEntity)}, "1", "US$6.50"},
		{"one more", []step{add(pin, "1"), set(pin, "2")}, "2", "US$13.00"},
		{"one fewer to none removes", []step{add(pin, "1"), set(pin, "0")}, "0", ""},
		{"add quantity 0", []step{status(add(scarf, "0"), http.StatusBadRequest)}, "0", ""},
		{"add negative quantity", []step{status(add(scarf, "-1"), http.StatusBadRequest)}, "0", ""},
		{"add quantity 100", []step{status(add(scarf, "100"), http.StatusBadRequest)}, "0", ""},
		{"add quantity not a number", []step{status(add(scarf, "two"), http.StatusBadRequest)}, "0", ""},
		{"add product id not a number", []step{status(step{"POST", "/cart/items", url.Values{"product_id": {"x"}, "quantity": {"1"}}, 0}, http.StatusBadRequest)}, "0", ""},
		{"add without product id", []step{status(step{"POST", "/cart/items", url.Values{"quantity": {"1"}}, 0}, http.StatusBadRequest)}, "0", ""},
		{"add unknown product", []step{status(add(999, "1"), http.StatusNotFound)}, "0", ""},
		{"change quantity not a number", []step{add(scarf, "1"), status(set(scarf, "lots"), http.StatusBadRequest)}, "1", "US$39.00"},
		{"change quantity negative", []step{add(scarf, "1"), status(set(scarf, "-2"), http.StatusBadRequest)}, "1", "US$39.00"},
		{"change id not a number", []step{add(scarf, "1"), status(step{"POST", "/cart/items/abc", url.Values{"quantity": {"1"}}, 0}, http.StatusNotFound)}, "1", "US$39.00"},
		{"change unknown product", []step{status(set(999, "1"), http.StatusNotFound)}, "0", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, options{})
			require.Equal(t, uint(scarf), h.product("silk-scarf").ID)
			require.Equal(t, uint(pin), h.product("enamel-pin").ID)
			b := h.browser(desktopUA)

			for i, s := range tt.steps {
				res := b.request(s.method, s.path, s.form, nil)
				require.Equal(t, s.wantStatus, res.StatusCode, "step %d: %s", i, res.Body)
				switch s.wantStatus {
				case http.StatusSeeOther:
					assert.Equal(t, "/cart", res.location())
				case http.StatusUnprocessableEntity:
					assert.Regexp(t, `(?i)only 3 left in stock[.:] choose 3 or fewer\.`, res.Body, "the cart, with why")
					assert.Contains(t, res.Body, "<h1>Your cart</h1>")
				}
			}

			assert.Equal(t, tt.wantCount, b.cartCount())
			page := b.get("/cart")
			if tt.wantTotal == "" {
				assert.Contains(t, page.Body, "Your cart is empty.")
			} else {
				assert.Contains(t, page.Body, `data-testid="cart-total">`+tt.wantTotal+`<`)
			}
		})
	}
}

// TestCartSteppers: each line has − and + buttons that post the new
// quantity (no script needed), and a change the stock cannot meet shows
// the cart again with the reason beside the line and the typed quantity
// kept, changing nothing.
func TestCartSteppers(t *testing.T) {
	h := newHarness(t, options{})
	pin := h.product("enamel-pin") // 3 in stock
	b := h.browser(desktopUA)
	require.Equal(t, http.StatusSeeOther, b.add(pin.ID, 2).StatusCode)

	page := b.get("/cart").Body
	action := fmt.Sprintf(`<form method="post" action="/cart/items/%d" id="step-%d"></form>`, pin.ID, pin.ID)
	assert.Contains(t, page, action)
	assert.Contains(t, page, fmt.Sprintf(`form="step-%d" name="quantity" value="1" class="step" aria-label="One fewer Panda enamel pin"`, pin.ID))
	assert.Contains(t, page, fmt.Sprintf(`form="step-%d" name="quantity" value="3" class="step" aria-label="One more Panda enamel pin"`, pin.ID))

	more := url.Values{"quantity": {"3"}}
	require.Equal(t, http.StatusSeeOther, b.request(http.MethodPost, fmt.Sprintf("/cart/items/%d", pin.ID), more, nil).StatusCode)
	assert.Equal(t, "3", b.cartCount())
	assert.NotContains(t, b.get("/cart").Body, `data-testid="more"`, "no + once the line holds all the stock")

	res := b.request(http.MethodPost, fmt.Sprintf("/cart/items/%d", pin.ID), url.Values{"quantity": {"4"}}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	assert.Contains(t, res.Body, fmt.Sprintf(`id="qty-%d-err" role="alert" data-testid="line-error">Only 3 left in stock: choose 3 or fewer.</p>`, pin.ID))
	assert.Contains(t, res.Body, fmt.Sprintf(`id="qty-%d" name="quantity" value="4"`, pin.ID), "what was asked for is shown again")
	assert.Contains(t, res.Body, `aria-invalid="true"`)
	assert.Contains(t, res.Body, `href="/lang/zh?next=%2fcart"`, "the language switch comes back to the cart")
	assert.Equal(t, "3", b.cartCount(), "nothing changed")

	h.setStock(pin.ID, 0)
	res = b.request(http.MethodPost, "/cart/items", url.Values{"product_id": {fmt.Sprint(pin.ID)}, "quantity": {"1"}}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	assert.Contains(t, res.Body, "This product has just sold out.")

	zh := h.browser(desktopUA)
	zh.header.Set("Accept-Language", "zh-CN,zh;q=0.9")
	res = zh.request(http.MethodPost, "/cart/items", url.Values{"product_id": {"1"}, "quantity": {"13"}}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	assert.Contains(t, res.Body, `data-testid="cart-problem">真丝围巾库存仅剩12件，请选择12件或更少。</p>`)
}

func TestCartFlash(t *testing.T) {
	h := newHarness(t, options{})
	b := h.browser(desktopUA)
	require.Equal(t, http.StatusSeeOther, b.add(1, 1).StatusCode)

	first := b.get("/cart")
	second := b.get("/cart")

	assert.Contains(t, first.Body, "Added to your cart.")
	assert.NotContains(t, second.Body, "Added to your cart.", "a flash shows once")
}

func TestSessionCookie(t *testing.T) {
	for _, tt := range []struct {
		base       string
		wantSecure bool
	}{{"http://shop.example", false}, {"https://shop.example", true}} {
		t.Run(tt.base, func(t *testing.T) {
			h := newHarness(t, options{})
			handler := h.handler
			if tt.wantSecure {
				cfg := h.cfg
				cfg.BaseURL = tt.base
				srv, err := New(cfg)
				require.NoError(t, err)
				handler = srv.Handler()
			}
			req := httptest.NewRequest(http.MethodPost, "/cart/items", strings.NewReader("product_id=1&quantity=1"))
			req.Header.Set("Content-Type", formType)
			rec := httptest.NewRecorder()

			handler.ServeHTTP(rec, req)

			require.Equal(t, http.StatusSeeOther, rec.Code)
			cookies := rec.Result().Cookies()
			require.Len(t, cookies, 1)
			c := cookies[0]
			assert.Equal(t, "shop", c.Name)
			assert.True(t, c.HttpOnly, "HttpOnly")
			assert.Equal(t, http.SameSiteLaxMode, c.SameSite, "SameSite=Lax, so the session survives the return from Alipay")
			assert.Equal(t, "/", c.Path)
			assert.Positive(t, c.MaxAge, "Max-Age")
			assert.LessOrEqual(t, c.MaxAge, 30*24*3600)
			assert.Equal(t, tt.wantSecure, c.Secure)
			assert.NotContains(t, c.Value, "1:1", "the cart is not readable in the cookie")
		})
	}
}

// TestSessionTampered: a cookie that does not decode starts a new session.
func TestSessionTampered(t *testing.T) {
	h := newHarness(t, options{})
	b := h.browser(desktopUA)
	require.Equal(t, http.StatusSeeOther, b.add(1, 2).StatusCode)
	u, err := url.Parse(h.ts.URL)
	require.NoError(t, err)
	cookies := b.c.Jar.Cookies(u)
	require.Len(t, cookies, 1)
	cookies[0].Value = "x" + cookies[0].Value[1:]
	b.c.Jar.SetCookies(u, cookies)

	assert.Equal(t, "0", b.cartCount())
}

// TestCrossSitePosts: a form on another site cannot change the cart or
// place an order (CSRF), whether the browser says so with Sec-Fetch-Site
// or only with Origin.
func TestCrossSitePosts(t *testing.T) {
	tests := []struct {
		name   string
		path   string
		header http.Header
	}{
		{"add to cart, Sec-Fetch-Site", "/cart/items", http.Header{"Sec-Fetch-Site": {"cross-site"}}},
		{"add to cart, Origin only", "/cart/items", http.Header{"Sec-Fetch-Site": nil, "Origin": {"https://evil.example"}}},
		{"change cart", "/cart/items/1", http.Header{"Sec-Fetch-Site": {"cross-site"}}},
		{"checkout, Sec-Fetch-Site", "/checkout", http.Header{"Sec-Fetch-Site": {"cross-site"}}},
		{"checkout, same-site subdomain", "/checkout", http.Header{"Sec-Fetch-Site": {"same-site"}}},
		{"checkout, Origin only", "/checkout", http.Header{"Sec-Fetch-Site": nil, "Origin": {"https://evil.example"}}},
		{"pay again", "/orders/x/pay", http.Header{"Sec-Fetch-Site": {"cross-site"}}},
		{"API order", "/api/orders", http.Header{"Sec-Fetch-Site": {"cross-site"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, options{})
			b := h.browser(desktopUA)
			require.Equal(t, http.StatusSeeOther, b.add(1, 2).StatusCode)
			form := validContact(b.checkoutKey())
			form.Set("product_id", "1")
			form.Set("quantity", "5")
			stock := h.stock(1)

			res := b.request(http.MethodPost, tt.path, form, tt.header)

			assert.Equal(t, http.StatusForbidden, res.StatusCode)
			assert.Empty(t, res.Header.Values("Set-Cookie"))
			assert.Equal(t, "2", b.cartCount(), "the cart is unchanged")
			assert.Zero(t, h.orderCount())
			assert.Equal(t, stock, h.stock(1))
		})
	}
	t.Run("same-origin and non-browser posts pass", func(t *testing.T) {
		h := newHarness(t, options{})
		b := h.browser(desktopUA)
		assert.Equal(t, http.StatusSeeOther, b.add(1, 1).StatusCode)
		res := b.request(http.MethodPost, "/cart/items", url.Values{"product_id": {"1"}}, http.Header{"Sec-Fetch-Site": nil})
		assert.Equal(t, http.StatusSeeOther, res.StatusCode)
		assert.Equal(t, "2", b.cartCount())
	})
}
