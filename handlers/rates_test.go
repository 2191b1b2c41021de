package handlers

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/payment"
)

// fakeRates are rates a test sets: CNY per unit, set at a given time.
type fakeRates map[payment.Currency]payment.Rate

func (f fakeRates) Rate(c payment.Currency) (payment.Rate, bool) {
	r, ok := f[c]
	return r, ok
}

// ratesAt returns the sandbox's rates for USD, JPY and KRW, and 2.5 for
// EUR (whose halves are easy to find), all set at t.
func ratesAt(t time.Time) fakeRates {
	return fakeRates{
		"USD": {Currency: "USD", Rate: "7.1234", Time: t},
		"JPY": {Currency: "JPY", Rate: "0.0482", Time: t},
		"KRW": {Currency: "KRW", Rate: "0.0053", Time: t},
		"EUR": {Currency: "EUR", Rate: "2.5", Time: t},
	}
}

func TestCNYEstimate(t *testing.T) {
	h := newHarness(t, options{})
	now := h.clock.Now()
	cfg := h.cfg
	cfg.Rates = ratesAt(now.Add(-time.Hour))
	srv, err := New(cfg)
	require.NoError(t, err)

	tests := []struct {
		name  string
		cur   payment.Currency
		minor int64
		want  string
	}{
		{"US$39.00 at 7.1234 is 277.8126", "USD", 3900, "≈ ¥278"},
		{"US$8.00 is 56.9872", "USD", 800, "≈ ¥57"},
		{"US$0.07 is 0.4986", "USD", 7, "≈ ¥0"},
		{"US$1,000,000.00, with separators", "USD", 100_000_000, "≈ ¥7,123,400"},
		{"€1.00 at 2.5 is 2.5: half up", "EUR", 100, "≈ ¥3"},
		{"€0.99 is 2.475", "EUR", 99, "≈ ¥2"},
		{"€1.01 is 2.525", "EUR", 101, "≈ ¥3"},
		{"€0.60 is 1.5: half up", "EUR", 60, "≈ ¥2"},
		{"zero", "EUR", 0, "≈ ¥0"},
		// JPY and KRW have no minor unit: 1250 is ¥1,250.
		{"JP¥1,250 at 0.0482 is 60.25", "JPY", 1250, "≈ ¥60"},
		{"JP¥1,500 is 72.3", "JPY", 1500, "≈ ¥72"},
		{"₩650 at 0.0053 is 3.445", "KRW", 650, "≈ ¥3"},
		{"₩100,000 is 530", "KRW", 100_000, "≈ ¥530"},
		{"a currency without a rate", "GBP", 3900, ""},
		{"a negative amount", "USD", -1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, srv.cnyRate(chinese, tt.cur).Of(tt.minor))
		})
	}
	t.Run("English pages show none", func(t *testing.T) {
		assert.Nil(t, srv.cnyRate(english, "USD"))
		assert.Empty(t, srv.cnyRate(english, "USD").Of(3900))
		assert.Empty(t, srv.cnyRate(english, "USD").Note())
	})
	t.Run("the note says when and that Alipay converts at its own rate", func(t *testing.T) {
		note := srv.cnyRate(chinese, "USD").Note()
		assert.Contains(t, note, now.Add(-time.Hour).In(payment.Beijing()).Format("2006-01-02 15:04")+"（北京时间）")
		assert.Contains(t, note, "付款时由支付宝按其当时的汇率换算")
	})
}

func TestCNYEstimateAge(t *testing.T) {
	h := newHarness(t, options{})
	now := h.clock.Now()
	tests := []struct {
		name   string
		maxAge time.Duration
		setAt  time.Time
		shown  bool
	}{
		{"an hour old", 0, now.Add(-time.Hour), true},
		{"exactly the default limit", 0, now.Add(-DefaultRateMaxAge), true},
		{"a second past the default limit", 0, now.Add(-DefaultRateMaxAge - time.Second), false},
		{"a second past a limit of 2h", 2 * time.Hour, now.Add(-2*time.Hour - time.Second), false},
		{"set a little ahead of our clock", 0, now.Add(time.Minute), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := h.cfg
			cfg.Rates, cfg.RateMaxAge = ratesAt(tt.setAt), tt.maxAge
			srv, err := New(cfg)
			require.NoError(t, err)
			assert.Equal(t, tt.shown, srv.cnyRate(chinese, "USD") != nil)
		})
	}
	t.Run("no rates at all", func(t *testing.T) {
		srv, err := New(h.cfg)
		require.NoError(t, err)
		assert.Nil(t, srv.cnyRate(chinese, "USD"))
	})
}

// TestCNYEstimatePages: every price of a Chinese page has its estimate,
// with the note; English pages have none; a stale rate hides them all.
func TestCNYEstimatePages(t *testing.T) {
	h := newShippingHarness(t, func(c *Config) {
		c.Shipping = flatShipping
		c.Rates = ratesAt(c.Now().Add(-time.Hour))
	})
	zh := h.browser(mobileUA).speaking("zh-CN,zh;q=0.9")
	en := h.browser(mobileUA).speaking("en")
	scarf := h.product("silk-scarf")
	for _, b := range []*browser{zh, en} {
		require.Equal(t, http.StatusSeeOther, b.add(scarf.ID, 1).StatusCode)
	}
	const note = `data-testid="cny-note">标有“≈ ¥”的金额是按支付宝`

	home := zh.get("/").Body
	assert.Contains(t, home, `<span class="price">US$39.00 <small class="muted cny">≈ ¥278</small></span>`, "product cards")
	assert.Contains(t, home, note)
	product := zh.get("/products/silk-scarf").Body
	assert.Contains(t, product, `US$39.00 <small class="muted cny">≈ ¥278</small>`, "the product page")
	assert.Contains(t, product, note)
	cart := zh.get("/cart").Body
	assert.Contains(t, cart, `US$39.00 <small class="cny">≈ ¥278</small>`, "the unit price")
	assert.Contains(t, cart, `data-testid="cart-items">US$39.00 <small class="muted cny">≈ ¥278</small>`)
	assert.Contains(t, cart, `data-testid="cart-shipping">US$8.00 <small class="muted cny">≈ ¥57</small>`)
	assert.Contains(t, cart, `data-testid="cart-total-cny">≈ ¥335</small>`, "US$47.00 is 334.7998")
	assert.Contains(t, cart, note)
	checkout := zh.get("/checkout").Body
	assert.Contains(t, checkout, `data-testid="checkout-total">US$47.00</strong> <small class="muted cny" data-testid="checkout-total-cny">≈ ¥335</small>`)
	assert.Contains(t, checkout, `data-testid="shipping">US$8.00 <small class="muted cny">≈ ¥57</small>`)
	assert.Contains(t, checkout, note)

	for _, path := range []string{"/", "/products/silk-scarf", "/cart", "/checkout"} {
		page := en.get(path).Body
		assert.NotContains(t, page, "≈", "English: %s", path)
		assert.NotContains(t, page, "cny-note", path)
	}

	h.clock.Advance(DefaultRateMaxAge)
	for _, path := range []string{"/", "/products/silk-scarf", "/cart", "/checkout"} {
		page := zh.get(path).Body
		assert.NotContains(t, page, "≈", "a stale rate: %s", path)
		assert.NotContains(t, page, "cny-note", path)
		assert.Contains(t, page, "US$39.00", path)
	}
	assert.False(t, strings.Contains(zh.get("/cart").Body, "¥"), "no yuan at all once stale")
}
