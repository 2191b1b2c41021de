package handlers

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/models"
	"shop/payment"
)

func TestCheckoutValidation(t *testing.T) {
	tests := []struct {
		name       string
		edit       func(f url.Values)
		wantErrors map[string]string // field -> message shown beside it
		kept       []string          // values the form shows again
	}{
		{"no name", func(f url.Values) { f.Set("name", "  ") },
			map[string]string{"name": "Enter your name (up to 100 characters)."}, []string{`value="ann@example.com"`}},
		{"name too long", func(f url.Values) { f.Set("name", strings.Repeat("x", 101)) },
			map[string]string{"name": "Enter your name (up to 100 characters)."}, nil},
		{"no phone and no email", func(f url.Values) { f.Del("phone"); f.Del("email") },
			map[string]string{"phone": "Enter a mobile phone number or an e-mail address."}, []string{`value="Ann Lee"`}},
		{"bad phone", func(f url.Values) { f.Set("phone", "12ab") },
			map[string]string{"phone": "Enter a phone number of 6 to 20 digits (spaces, &#43;, - allowed)."}, []string{`value="12ab"`}},
		{"bad email", func(f url.Values) { f.Set("email", "ann@") },
			map[string]string{"email": "Enter a valid e-mail address."}, []string{`value="ann@"`, `value="&#43;852 9123 4567"`}},
		{"email with a display name", func(f url.Values) { f.Set("email", "Ann <ann@example.com>") },
			map[string]string{"email": "Enter a valid e-mail address."}, nil},
		{"short street address", func(f url.Values) { f.Set("street", "x") },
			map[string]string{"street": "Enter the street address, 5 to 300 characters."}, []string{">x</textarea>"}},
		{"several fields", func(f url.Values) { f.Set("name", ""); f.Set("email", "nope"); f.Set("street", "") },
			map[string]string{"name": "Enter your name", "email": "Enter a valid e-mail address.", "street": "Enter the street address"},
			[]string{`value="&#43;852 9123 4567"`, `value="94105"`}},
		{"markup is escaped when kept", func(f url.Values) { f.Set("name", `<script>x</script>`); f.Set("email", "bad") },
			map[string]string{"email": "Enter a valid e-mail address."}, []string{`value="&lt;script&gt;x&lt;/script&gt;"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, options{})
			b := h.browser(desktopUA)
			scarf := h.product("silk-scarf")
			require.Equal(t, http.StatusSeeOther, b.add(scarf.ID, 1).StatusCode)
			form := shippingForm(b.checkoutKey())
			tt.edit(form)

			res := b.post("/checkout", form)

			assert.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
			assert.Regexp(t, `<h2 id="problems-title">Please correct [0-9]+ fields?:</h2>`, res.Body, "the error summary above the page")
			first := ""
			for _, field := range []string{"name", "phone", "email", "country", "province", "city", "street", "postcode"} {
				if _, ok := tt.wantErrors[field]; ok && first == "" {
					first = field
				}
			}
			assert.Equal(t, 1, strings.Count(res.Body, " autofocus"), "one field takes the focus")
			assert.Regexp(t, `id="`+first+`" [^>]* autofocus`, res.Body, "the first field in error takes the focus")
			for field, msg := range tt.wantErrors {
				assert.Regexp(t, `<li><a href="#`+field+`">`+regexp.QuoteMeta(msg), res.Body, "the summary links to the field")
				assert.Regexp(t, `<p class="field-error" id="`+field+`-err">`+regexp.QuoteMeta(msg), res.Body)
				assert.Regexp(t, `aria-describedby="([a-z]+-hint )?`+field+`-err"`, res.Body)
			}
			assert.Equal(t, len(tt.wantErrors), strings.Count(res.Body, `class="field-error"`), "only the wrong fields are marked")
			for _, s := range tt.kept {
				assert.Contains(t, res.Body, s)
			}
			assert.Contains(t, res.Body, `name="checkout_key" value="`+form.Get("checkout_key")+`"`, "the same key, so a resubmit is still one order")
			assert.Zero(t, h.orderCount())
			assert.Equal(t, scarf.Stock, h.stock(scarf.ID))
			assert.Equal(t, "1", b.cartCount(), "the cart is kept")
		})
	}
}

// TestCheckoutAccepts: valid forms as real browsers send them.
func TestCheckoutAccepts(t *testing.T) {
	tests := []struct {
		name        string
		edit        func(f url.Values)
		wantAddress string
		wantName    string
	}{
		// Browsers submit textarea line breaks as CRLF.
		{"multi-line address", func(f url.Values) { f.Set("address", "Flat 2\r\n1 Main Street\r\nSpringfield") },
			"Flat 2\n1 Main Street\nSpringfield", "Ann Lee"},
		{"Chinese name and address", func(f url.Values) { f.Set("name", "李安"); f.Set("address", "上海市黄浦区南京东路1号") },
			"上海市黄浦区南京东路1号", "李安"},
		{"phone only", func(f url.Values) { f.Del("email") }, "1 Main Street, Springfield", "Ann Lee"},
		{"email only", func(f url.Values) { f.Del("phone") }, "1 Main Street, Springfield", "Ann Lee"},
		{"surrounding spaces are trimmed", func(f url.Values) { f.Set("name", "  Ann Lee \t") }, "1 Main Street, Springfield", "Ann Lee"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, options{})
			b := h.browser(desktopUA)
			require.Equal(t, http.StatusSeeOther, b.add(1, 1).StatusCode)
			form := validContact(b.checkoutKey())
			tt.edit(form)

			res := b.post("/checkout", form)

			require.Equal(t, http.StatusSeeOther, res.StatusCode, res.Body)
			o := h.order(gatewayParams(t, h, res.location()).Get("out_trade_no"))
			assert.Equal(t, tt.wantAddress, o.Address)
			assert.Equal(t, tt.wantName, o.Name)
		})
	}
}

func TestCheckoutValidationInChinese(t *testing.T) {
	h := newHarness(t, options{})
	b := h.browser(desktopUA)
	b.header.Set("Accept-Language", "zh-CN,zh;q=0.9")
	require.Equal(t, http.StatusSeeOther, b.add(h.product("silk-scarf").ID, 1).StatusCode)
	form := validContact(b.checkoutKey())
	form.Set("email", "nope")

	res := b.post("/checkout", form)

	assert.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	assert.Contains(t, res.Body, `<p class="field-error" id="email-err">请输入有效的电子邮箱。</p>`)
}

func TestCheckoutBadRequests(t *testing.T) {
	tests := []struct {
		name       string
		cart       bool
		form       func(key string) url.Values
		wantStatus int
		wantTo     string
	}{
		{"no checkout key", true, func(string) url.Values { f := validContact(""); f.Del("checkout_key"); return f }, http.StatusBadRequest, ""},
		{"short checkout key", true, func(string) url.Values { return validContact("abc") }, http.StatusBadRequest, ""},
		{"empty cart", false, func(string) url.Values { return validContact(strings.Repeat("a", 32)) }, http.StatusUnprocessableEntity, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, options{})
			b := h.browser(desktopUA)
			key := ""
			if tt.cart {
				require.Equal(t, http.StatusSeeOther, b.add(h.product("silk-scarf").ID, 1).StatusCode)
				key = b.checkoutKey()
			}

			res := b.post("/checkout", tt.form(key))

			assert.Equal(t, tt.wantStatus, res.StatusCode)
			assert.Equal(t, tt.wantTo, res.location())
			assert.Zero(t, h.orderCount())
		})
	}
	t.Run("a product in the cart was withdrawn", func(t *testing.T) {
		h := newHarness(t, options{})
		b := h.browser(desktopUA)
		mug := h.product("ceramic-mug")
		require.Equal(t, http.StatusSeeOther, b.add(h.product("silk-scarf").ID, 1).StatusCode)
		require.Equal(t, http.StatusSeeOther, b.add(mug.ID, 1).StatusCode)
		form := validContact(b.checkoutKey())
		require.NoError(t, h.db.Gorm().Delete(&models.Product{}, mug.ID).Error)

		res := b.post("/checkout", form)

		assert.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		assert.Contains(t, res.Body, "no longer sold")
		assert.Zero(t, h.orderCount())
	})
	t.Run("checkout form with an empty cart goes to the cart", func(t *testing.T) {
		h := newHarness(t, options{})
		res := h.browser(desktopUA).get("/checkout")
		assert.Equal(t, http.StatusSeeOther, res.StatusCode)
		assert.Equal(t, "/cart", res.location())
	})
}

// gatewayParams returns the parameters of a redirect to the gateway, after
// checking that the URL is the gateway's and its signature is the
// merchant's.
func gatewayParams(t *testing.T, h *harness, location string) url.Values {
	t.Helper()
	u, err := url.Parse(location)
	require.NoError(t, err)
	require.Equal(t, h.gw.URL+"/gateway.do", u.Scheme+"://"+u.Host+u.Path)
	q := u.Query()
	p, err := payment.FromValues(q)
	require.NoError(t, err)
	v, err := payment.NewRSAVerifier(payment.RSA2, &testKeys().merchant.PublicKey)
	require.NoError(t, err)
	require.NoError(t, payment.Verify(v, p, ""), "the merchant's signature must verify")
	return q
}

var orderNoRE = regexp.MustCompile(`^[A-Za-z0-9]{16,64}$`)

// TestCheckoutRequest checks what is sent to Alipay: the service for the
// device, and a description of the order made from the stored order.
func TestCheckoutRequest(t *testing.T) {
	tests := []struct {
		name        string
		ua          string
		wantService string
		wantChannel string
	}{
		{"desktop", desktopUA, "create_forex_trade", "web"},
		{"iPhone", mobileUA, "create_forex_trade_wap", "wap"},
		{"Android", "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36", "create_forex_trade_wap", "wap"},
		{"Alipay in-app browser", "Mozilla/5.0 (Linux; U; Android 13) AlipayClient/10.5.0", "create_forex_trade_wap", "wap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, options{})
			b := h.browser(tt.ua)
			scarf, mug := h.product("silk-scarf"), h.product("ceramic-mug")
			require.Equal(t, http.StatusSeeOther, b.add(scarf.ID, 2).StatusCode)
			require.Equal(t, http.StatusSeeOther, b.add(mug.ID, 1).StatusCode)
			form := validContact(b.checkoutKey())
			// A forged client-side price must change nothing.
			form.Set("price", "0.01")
			form.Set("total_fee", "0.01")
			form.Set("total", "1")
			form.Set("currency", "JPY")

			res := b.post("/checkout", form)

			require.Equal(t, http.StatusSeeOther, res.StatusCode, res.Body)
			q := gatewayParams(t, h, res.location())
			orderNo := q.Get("out_trade_no")
			assert.Regexp(t, orderNoRE, orderNo)
			o := h.order(orderNo)
			assert.Equal(t, models.Channel(tt.wantChannel), o.Channel)
			assert.Equal(t, int64(2*3900+1800), o.TotalMinor, "prices come from the catalog")
			assert.Equal(t, tt.wantService, q.Get("service"))
			assert.Equal(t, "96.00", q.Get("total_fee"))
			assert.Equal(t, "USD", q.Get("currency"))
			assert.Equal(t, testPartner, q.Get("partner"))
			assert.Equal(t, "RSA2", q.Get("sign_type"))
			assert.Equal(t, "Silk scarf and 1 more", q.Get("subject"))
			assert.Equal(t, "2 x Silk scarf, 1 x Speckled mug", q.Get("body"))
			assert.Equal(t, h.ts.URL+"/alipay/notify", q.Get("notify_url"))
			assert.Equal(t, h.ts.URL+"/alipay/return", q.Get("return_url"))
			assert.Empty(t, q.Get("timeout_rule"), "only where the contract enables it")
			// The absolute deadline: the order's creation and expiry.
			o = h.order(orderNo)
			created, err := payment.ParseTime(q.Get("order_gmt_create"))
			require.NoError(t, err)
			assert.True(t, created.Equal(o.CreatedAt.Truncate(time.Second)), "order_gmt_create %s, order created %s", created, o.CreatedAt)
			valid, err := strconv.Atoi(q.Get("order_valid_time"))
			require.NoError(t, err)
			deadline := created.Add(time.Duration(valid) * time.Second)
			assert.False(t, deadline.After(o.ExpiresAt), "the deadline is no later than the order's expiry")
			assert.Less(t, o.ExpiresAt.Sub(deadline), 2*time.Second)
			var ti map[string]string
			require.NoError(t, json.Unmarshal([]byte(q.Get("trade_information")), &ti))
			assert.Equal(t, map[string]string{"business_type": "4", "goods_info": "Silk scarf^2|Speckled mug^1", "total_quantity": "3"}, ti)
			assert.Equal(t, scarf.Stock-2, h.stock(scarf.ID), "stock is reserved")
			assert.Equal(t, mug.Stock-1, h.stock(mug.ID))
			assert.Equal(t, "3", b.cartCount(), "the cart is kept until the order is paid")
			assert.Equal(t, "Ann Lee", o.Name)
			assert.Equal(t, "+852 9123 4567", o.Phone)
		})
	}
}

func TestOrderNumbersAreUnguessable(t *testing.T) {
	h := newHarness(t, options{})
	scarf := h.product("silk-scarf")
	h.setStock(scarf.ID, 99)
	seen := map[string]bool{}
	for range 5 {
		no := h.browser(desktopUA).buy(scarf.ID, 1)
		assert.Regexp(t, orderNoRE, no)
		assert.GreaterOrEqual(t, len(no), 8+13, "a date and at least 64 random bits")
		assert.False(t, seen[no[8:]], "random part repeated")
		seen[no[8:]] = true
	}
}

// TestCheckoutDoubleSubmit: the same form posted twice creates one order,
// and both answers send the browser to the same cashier URL.
func TestCheckoutDoubleSubmit(t *testing.T) {
	tests := []struct {
		name       string
		concurrent bool
	}{
		// The second post carries the cookie the first answer set (the
		// order named unpaid): the back button, or a slow double click.
		{"one after the other", false},
		// Both posts carry the same cookie: a fast double click.
		{"at the same time", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, options{})
			b := h.browser(mobileUA)
			scarf := h.product("silk-scarf")
			require.Equal(t, http.StatusSeeOther, b.add(scarf.ID, 2).StatusCode)
			form := validContact(b.checkoutKey())

			answers := make([]*response, 2)
			if tt.concurrent {
				var wg sync.WaitGroup
				for i := range answers {
					wg.Go(func() { answers[i] = b.post("/checkout", form) })
				}
				wg.Wait()
			} else {
				for i := range answers {
					answers[i] = b.post("/checkout", form)
				}
			}

			for i, res := range answers {
				require.Equal(t, http.StatusSeeOther, res.StatusCode, "answer %d: %s", i, res.Body)
			}
			assert.Equal(t, answers[0].location(), answers[1].location())
			gatewayParams(t, h, answers[0].location())
			assert.Equal(t, int64(1), h.orderCount())
			assert.Equal(t, scarf.Stock-2, h.stock(scarf.ID), "stock is reserved once")
			assert.Equal(t, "2", b.cartCount(), "the cart is kept until the order is paid")
		})
	}
}
