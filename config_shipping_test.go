package main

import (
	"context"
	"io"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/models"
)

func TestShippingConfig(t *testing.T) {
	tests := []struct {
		name         string
		env          map[string]string
		want         models.Shipping
		wantMaxAge   time.Duration
		wantWarnings []string
	}{
		{"defaults: US$8.00, never free", nil, models.Shipping{FlatMinor: 800}, 26 * time.Hour, nil},
		{"free shipping", map[string]string{"SHIPPING_FLAT": "0"}, models.Shipping{}, 26 * time.Hour, nil},
		{"free over US$100", map[string]string{"SHIPPING_FLAT": "12.5", "SHIPPING_FREE_OVER": "100"},
			models.Shipping{FlatMinor: 1250, FreeOverMinor: 10000}, 26 * time.Hour, nil},
		{"JPY in yen", map[string]string{"ALIPAY_CURRENCY": "JPY", "SHIPPING_FLAT": "800", "SHIPPING_FREE_OVER": "10000"},
			models.Shipping{FlatMinor: 800, FreeOverMinor: 10000}, 26 * time.Hour, nil},
		{"JPY with zero decimals", map[string]string{"ALIPAY_CURRENCY": "JPY", "SHIPPING_FLAT": "800.00"},
			models.Shipping{FlatMinor: 800}, 26 * time.Hour, nil},
		{"JPY left at the default: 8 yen, a warning", map[string]string{"ALIPAY_CURRENCY": "JPY"},
			models.Shipping{FlatMinor: 8}, 26 * time.Hour, []string{"SHIPPING_FLAT is 8.00, that is 8 JPY per order"}},
		{"a threshold with free shipping: a warning", map[string]string{"SHIPPING_FLAT": "0", "SHIPPING_FREE_OVER": "50.00"},
			models.Shipping{FreeOverMinor: 5000}, 26 * time.Hour, []string{"every order ships free anyway"}},
		{"estimate age", map[string]string{"CNY_ESTIMATE_MAX_AGE": "50h"}, models.Shipping{FlatMinor: 800}, 50 * time.Hour, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := loadConfig(nil, func(k string) string { return tt.env[k] }, io.Discard)
			require.NoError(t, err)
			assert.Equal(t, tt.want, c.Shipping)
			assert.Equal(t, tt.wantMaxAge, c.RateMaxAge)
			require.Len(t, c.warnings, len(tt.wantWarnings))
			for i, w := range tt.wantWarnings {
				assert.Contains(t, c.warnings[i], w)
			}
		})
	}
}

func TestShippingConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string // the message names the variable and the fix
	}{
		{"a word", map[string]string{"SHIPPING_FLAT": "free"}, `SHIPPING_FLAT "free" must be an amount in USD written like 8.00`},
		{"negative", map[string]string{"SHIPPING_FLAT": "-8"}, `SHIPPING_FLAT "-8" must be an amount in USD written like 8.00`},
		{"a decimal comma", map[string]string{"SHIPPING_FLAT": "8,00"}, `a dot before the decimals`},
		{"a thousands separator", map[string]string{"SHIPPING_FREE_OVER": "1,000.00"}, `SHIPPING_FREE_OVER "1,000.00" must be an amount`},
		{"an exponent", map[string]string{"SHIPPING_FLAT": "8e2"}, `SHIPPING_FLAT "8e2"`},
		{"a currency symbol", map[string]string{"SHIPPING_FLAT": "$8"}, `SHIPPING_FLAT "$8"`},
		{"a dot and nothing", map[string]string{"SHIPPING_FLAT": "8."}, `SHIPPING_FLAT "8."`},
		{"three decimals", map[string]string{"SHIPPING_FLAT": "8.005"}, `SHIPPING_FLAT "8.005" has more decimals than USD (2): write it like 8.00`},
		{"yen with decimals", map[string]string{"ALIPAY_CURRENCY": "JPY", "SHIPPING_FLAT": "800.5"},
			`SHIPPING_FLAT "800.5" is not a whole number of JPY, which has no decimals: write it like 800`},
		{"beyond Alipay's range", map[string]string{"SHIPPING_FLAT": "1000000.01"}, `more than Alipay's largest amount`},
		{"free over zero", map[string]string{"SHIPPING_FREE_OVER": "0"}, "SHIPPING_FREE_OVER=0 would make every order ship free: set SHIPPING_FLAT=0"},
		{"free over zero, with decimals", map[string]string{"SHIPPING_FREE_OVER": "0.00"}, "SHIPPING_FREE_OVER=0.00 would make every order ship free"},
		{"free over a word", map[string]string{"SHIPPING_FREE_OVER": "never"}, `SHIPPING_FREE_OVER "never" must be an amount in USD written like 8.00 (digits, a dot before the decimals), or unset it`},
		{"estimate age not a duration", map[string]string{"CNY_ESTIMATE_MAX_AGE": "a day"}, "CNY_ESTIMATE_MAX_AGE must be a duration"},
		{"estimate age zero", map[string]string{"CNY_ESTIMATE_MAX_AGE": "0"}, "CNY_ESTIMATE_MAX_AGE must be a duration of a minute or more, like 26h"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadConfig(nil, func(k string) string { return tt.env[k] }, io.Discard)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// TestShippingAndEstimateEndToEnd runs the wired shop on the sandbox: the
// default shipping is added to what the cashier asks, and the rates the
// sandbox serves (forex_rate_file) make the estimates of a Chinese page.
func TestShippingAndEstimateEndToEnd(t *testing.T) {
	shop := startShop(t, map[string]string{"SHIPPING_FLAT": "8.00", "SHIPPING_FREE_OVER": "100.00"})
	require.NoError(t, shop.app.rates.Fetch(context.Background()))
	rate, ok := shop.app.rates.Rate("USD")
	require.True(t, ok, "the sandbox serves a USD rate")
	require.Equal(t, "7.1234", rate.Rate, "the sandbox's default")

	b := newShopper(t, iPhone)
	res, body := b.do("GET", shop.URL+"/lang/zh?next=/", nil)
	require.Equal(t, shop.URL+"/", follow(t, res, body))
	_, home := b.do("GET", shop.URL+"/", nil)
	assert.Contains(t, home, "US$39.00 <small class=\"muted cny\">≈ ¥278</small>", "39.00 × 7.1234 = 277.8126")
	assert.Contains(t, home, "付款时由支付宝按其当时的汇率换算")

	res, body = b.do("POST", shop.URL+"/cart/items", url.Values{"product_id": {"1"}, "quantity": {"1"}})
	require.Equal(t, shop.URL+"/cart", follow(t, res, body))
	_, form := b.do("GET", shop.URL+"/checkout", nil)
	m := checkoutKeyRE.FindStringSubmatch(form)
	require.NotNil(t, m)
	assert.Contains(t, form, `<option value="CN" selected>`, "a Chinese shopper starts in mainland China")
	assert.Contains(t, form, `data-testid="checkout-total-cny">≈ ¥335</small>`, "US$47.00 × 7.1234 = 334.7998")
	res, body = b.do("POST", shop.URL+"/checkout", url.Values{"name": {"李雷"}, "phone": {"+86 138 0013 8000"},
		"country": {"CN"}, "province": {"上海市"}, "city": {"上海市"}, "street": {"浦东新区世纪大道88号"}, "postcode": {"200120"},
		"checkout_key": {m[1]}})
	gateway := follow(t, res, body)
	gw, err := url.Parse(gateway)
	require.NoError(t, err)
	assert.Equal(t, "47.00", gw.Query().Get("total_fee"), "US$39.00 and US$8.00 shipping")
	orderNo := gw.Query().Get("out_trade_no")

	res, body = b.do("GET", gateway, nil)
	cashier := follow(t, res, body)
	_, page := b.do("GET", cashier, nil)
	assert.Contains(t, page, "USD 47.00", "the cashier asks for the total with shipping")
	res, body = b.do("POST", cashier+"/pay", url.Values{})
	follow(t, res, body)
	// The sandbox notifies the amount paid, 47.00: the shop takes it as
	// the order's total.
	waitPaid(t, shop, orderNo)
	o, err := shop.app.db.OrderByNo(context.Background(), orderNo)
	require.NoError(t, err)
	assert.Equal(t, int64(800), o.ShippingMinor)
	assert.Equal(t, models.PostalAddress{Country: "CN", Province: "上海市", City: "上海市", Street: "浦东新区世纪大道88号", Postcode: "200120"}, o.ShipTo)
	assert.Equal(t, "200120 上海市 上海市\n浦东新区世纪大道88号\nMainland China", o.Address)
}
