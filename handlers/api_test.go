package handlers

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/models"
	"shop/payment"
)

// apiCall sends a JSON request as an app or a script would (no cookie, no
// browser headers) and decodes the JSON answer.
func (h *harness) apiCall(method, path, body string, header http.Header) (*response, map[string]any) {
	h.t.Helper()
	req, err := http.NewRequest(method, h.ts.URL+path, strings.NewReader(body))
	require.NoError(h.t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	res := do(h.t, h.http, req)
	var out map[string]any
	require.NoError(h.t, json.Unmarshal([]byte(res.Body), &out), "not JSON: %s", res.Body)
	assert.Equal(h.t, "application/json; charset=utf-8", res.Header.Get("Content-Type"))
	return res, out
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestAPIProducts pins the contract of GET /api/products (architecture
// §3.2): the keys apps already read keep their values, in English by
// default; the names in both languages, the category and the images come
// beside them.
func TestAPIProducts(t *testing.T) {
	h := newHarness(t, options{})

	res, out := h.apiCall(http.MethodGet, "/api/products", "", nil)

	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, []string{"categories", "lang", "products"}, keys(out))
	assert.Equal(t, "en", out["lang"])
	assert.Equal(t, "en", res.Header.Get("Content-Language"))
	assert.Contains(t, res.Header.Values("Vary"), "Accept-Language")
	assert.Equal(t, []any{}, out["categories"], "the seeded catalog has none")
	products, ok := out["products"].([]any)
	require.True(t, ok)
	require.Len(t, products, 12)
	first := products[0].(map[string]any)
	old := map[string]any{"id": 1.0, "slug": "silk-scarf", "name": "Silk scarf", "price_minor": 3900.0,
		"price": "39.00", "currency": "USD", "stock": 12.0, "image": "/assets/img/silk-scarf.svg"}
	for k, v := range old {
		assert.Equal(t, v, first[k], k)
	}
	assert.Equal(t, map[string]any{
		"name_en": "Silk scarf", "name_zh": "真丝围巾",
		"description":    "A light mulberry silk scarf with a hand-rolled hem.",
		"description_en": "A light mulberry silk scarf with a hand-rolled hem.",
		"description_zh": "轻盈的桑蚕丝围巾，手工卷边。",
		"category":       nil,
		"images":         []any{"/assets/img/silk-scarf.svg"},
	}, without(first, old))
	for _, p := range products {
		assert.Equal(t, keys(first), keys(p.(map[string]any)))
	}
	pin := products[6].(map[string]any)
	assert.Equal(t, "6.50", pin["price"])
}

// without returns m without the keys of other.
func without(m, other map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if _, ok := other[k]; !ok {
			out[k] = v
		}
	}
	return out
}

// apiOrder is POST /api/orders's successful answer.
type apiOrderAnswer struct {
	OrderNo     string `json:"order_no"`
	Status      string `json:"status"`
	Currency    string `json:"currency"`
	TotalFee    string `json:"total_fee"`
	PayURL      string `json:"pay_url"`
	OrderString string `json:"order_string"`
}

func (h *harness) apiOrder(body string, header http.Header) (*response, apiOrderAnswer) {
	h.t.Helper()
	res, _ := h.apiCall(http.MethodPost, "/api/orders", body, header)
	var a apiOrderAnswer
	require.NoError(h.t, json.Unmarshal([]byte(res.Body), &a))
	return res, a
}

func TestAPICreateOrder(t *testing.T) {
	tests := []struct {
		channel     string
		wantService string
	}{
		{"wap", "create_forex_trade_wap"},
		{"web", "create_forex_trade"},
		{"app", "mobile.securitypay.pay"},
	}
	for _, tt := range tests {
		t.Run(tt.channel, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, options{})
			body := `{"items":[{"product_id":1,"quantity":2},{"product_id":3,"quantity":1}],"channel":"` + tt.channel +
				`","contact":{"name":"Ann Lee","email":"ann@example.com","address":"1 Main Street, Springfield"}}`

			res, a := h.apiOrder(body, nil)

			require.Equal(t, http.StatusCreated, res.StatusCode, res.Body)
			assert.Regexp(t, orderNoRE, a.OrderNo)
			assert.Equal(t, "pending", a.Status)
			assert.Equal(t, "USD", a.Currency)
			assert.Equal(t, "96.00", a.TotalFee)
			o := h.order(a.OrderNo)
			assert.Equal(t, models.Channel(tt.channel), o.Channel)
			assert.Equal(t, "Ann Lee", o.Name)
			var p payment.Params
			if tt.channel == "app" {
				assert.Empty(t, a.PayURL)
				v, err := payment.NewRSAVerifier(payment.RSA2, &testKeys().merchant.PublicKey)
				require.NoError(t, err)
				os, err := payment.VerifyOrderString(v, a.OrderString)
				require.NoError(t, err, "the order string must verify with the merchant public key")
				assert.Empty(t, os.UnknownAppKeys())
				p = os.Params()
				assert.Equal(t, testPartner, p["seller_id"])
				assert.Equal(t, payment.FormatTime(o.ExpiresAt), p["it_b_pay"], "the order's expiry, absolute")
			} else {
				assert.Empty(t, a.OrderString)
				q := gatewayParams(t, h, a.PayURL)
				p, _ = payment.FromValues(q)
			}
			assert.Equal(t, tt.wantService, p["service"])
			assert.Equal(t, a.OrderNo, p["out_trade_no"])
			assert.Equal(t, "96.00", p["total_fee"])
			assert.Equal(t, h.ts.URL+"/alipay/notify", p["notify_url"])
		})
	}
}

func TestAPICreateOrderErrors(t *testing.T) {
	tests := []struct {
		name       string
		opts       options
		body       string
		header     http.Header
		wantStatus int
		wantCode   string
		wantFields []string
	}{
		{name: "not JSON", body: `items=1`, wantStatus: http.StatusBadRequest, wantCode: "invalid_json"},
		{name: "unknown field", body: `{"items":[{"product_id":1,"quantity":1}],"channel":"wap","price":"0.01"}`,
			wantStatus: http.StatusBadRequest, wantCode: "invalid_json"},
		{name: "two documents", body: `{"items":[{"product_id":1,"quantity":1}],"channel":"wap"}{"x":1}`,
			wantStatus: http.StatusBadRequest, wantCode: "invalid_json"},
		{name: "no channel", body: `{"items":[{"product_id":1,"quantity":1}]}`,
			wantStatus: http.StatusUnprocessableEntity, wantCode: "invalid_order", wantFields: []string{"channel"}},
		{name: "no items", body: `{"items":[],"channel":"wap"}`,
			wantStatus: http.StatusUnprocessableEntity, wantCode: "invalid_order", wantFields: []string{"items"}},
		{name: "quantity 0", body: `{"items":[{"product_id":1,"quantity":0}],"channel":"wap"}`,
			wantStatus: http.StatusUnprocessableEntity, wantCode: "invalid_order", wantFields: []string{"items"}},
		{name: "quantity 100", body: `{"items":[{"product_id":1,"quantity":100}],"channel":"web"}`,
			wantStatus: http.StatusUnprocessableEntity, wantCode: "invalid_order", wantFields: []string{"items"}},
		{name: "bad contact", body: `{"items":[{"product_id":1,"quantity":1}],"channel":"wap","contact":{"name":"","email":"x@","address":"1"}}`,
			wantStatus: http.StatusUnprocessableEntity, wantCode: "invalid_order", wantFields: []string{"contact.address", "contact.email", "contact.name"}},
		{name: "several at once", body: `{"items":[],"channel":"fax"}`,
			wantStatus: http.StatusUnprocessableEntity, wantCode: "invalid_order", wantFields: []string{"channel", "items"}},
		{name: "bad Idempotency-Key", body: `{"items":[{"product_id":1,"quantity":1}],"channel":"wap"}`,
			header:     http.Header{"Idempotency-Key": {strings.Repeat("k", 65)}},
			wantStatus: http.StatusUnprocessableEntity, wantCode: "invalid_order", wantFields: []string{"Idempotency-Key"}},
		{name: "unknown product", body: `{"items":[{"product_id":999,"quantity":1}],"channel":"wap"}`,
			wantStatus: http.StatusUnprocessableEntity, wantCode: "unknown_product"},
		{name: "same product twice beyond the bound", body: `{"items":[{"product_id":1,"quantity":15},{"product_id":1,"quantity":15}],"channel":"wap"}`,
			wantStatus: http.StatusUnprocessableEntity, wantCode: "invalid_order"},
		{name: "out of stock", body: `{"items":[{"product_id":7,"quantity":4}],"channel":"wap"}`,
			wantStatus: http.StatusConflict, wantCode: "out_of_stock"},
		{name: "MD5 shop refuses the app channel", opts: options{signType: payment.MD5},
			body:       `{"items":[{"product_id":1,"quantity":1}],"channel":"app"}`,
			wantStatus: http.StatusUnprocessableEntity, wantCode: "channel_unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tt.opts)

			res, out := h.apiCall(http.MethodPost, "/api/orders", tt.body, tt.header)

			assert.Equal(t, tt.wantStatus, res.StatusCode)
			assert.Equal(t, []string{"error"}, keys(out))
			e, ok := out["error"].(map[string]any)
			require.True(t, ok)
			assert.Equal(t, tt.wantCode, e["code"])
			assert.NotEmpty(t, e["message"])
			if tt.wantFields == nil {
				assert.NotContains(t, e, "fields")
			} else if fields, ok := e["fields"].(map[string]any); assert.True(t, ok, "fields") {
				assert.Equal(t, tt.wantFields, keys(fields))
			}
			assert.Zero(t, h.orderCount())
			assert.Equal(t, 12, h.stock(1))
		})
	}
}

func TestAPIIdempotencyKey(t *testing.T) {
	h := newHarness(t, options{})
	body := `{"items":[{"product_id":1,"quantity":2}],"channel":"wap"}`
	key := http.Header{"Idempotency-Key": {"retry-7f3a"}}

	res1, first := h.apiOrder(body, key)
	res2, second := h.apiOrder(body, key)
	res3, other := h.apiOrder(body, http.Header{"Idempotency-Key": {"another"}})
	res4, none := h.apiOrder(body, nil)

	for _, res := range []*response{res1, res2, res3, res4} {
		require.Equal(t, http.StatusCreated, res.StatusCode, res.Body)
	}
	assert.Equal(t, first, second, "a retry returns the same order")
	assert.NotEqual(t, first.OrderNo, other.OrderNo)
	assert.NotEqual(t, first.OrderNo, none.OrderNo)
	assert.Equal(t, int64(3), h.orderCount())
	assert.Equal(t, 12-3*2, h.stock(1), "the retry reserved nothing")
}

func TestAPIOrderStatus(t *testing.T) {
	h := newHarness(t, options{})
	_, created := h.apiOrder(`{"items":[{"product_id":1,"quantity":1}],"channel":"wap",`+
		`"contact":{"name":"Ann Lee","phone":"+852 9123 4567","email":"ann@example.com","address":"1 Main Street, Springfield"}}`, nil)

	res, out := h.apiCall(http.MethodGet, "/api/orders/"+created.OrderNo, "", nil)

	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, map[string]any{"order_no": created.OrderNo, "status": "pending", "currency": "USD", "total_fee": "39.00", "trade_no": ""}, out)
	for _, personal := range []string{"Ann", "9123", "ann@example.com", "Main Street"} {
		assert.NotContains(t, res.Body, personal)
	}

	p := paidParams(h.order(created.OrderNo))
	require.Equal(t, "success", h.postNotify(sign(t, h.alipay, p).Encode(), formType, nil).Body)
	_, out = h.apiCall(http.MethodGet, "/api/orders/"+created.OrderNo, "", nil)
	assert.Equal(t, "paid", out["status"])
	assert.Equal(t, p["trade_no"], out["trade_no"])

	t.Run("unknown", func(t *testing.T) {
		res, out := h.apiCall(http.MethodGet, "/api/orders/"+url.PathEscape("20250101ZZZZZZZZZZZZZZZZ"), "", nil)
		assert.Equal(t, http.StatusNotFound, res.StatusCode)
		assert.Equal(t, "not_found", out["error"].(map[string]any)["code"])
	})
}

// TestAPIRateLimit: one address cannot create orders without limit.
func TestAPIRateLimit(t *testing.T) {
	h := newHarness(t, options{})
	h.setStock(1, 1000)
	codes := map[int]int{}
	for range 25 {
		res, _ := h.apiCall(http.MethodPost, "/api/orders", `{"items":[{"product_id":1,"quantity":1}],"channel":"wap"}`, nil)
		codes[res.StatusCode]++
		if res.StatusCode == http.StatusTooManyRequests {
			assert.NotEmpty(t, res.Header.Get("Retry-After"))
		}
	}
	assert.Equal(t, 20, codes[http.StatusCreated], "the burst")
	assert.Equal(t, 5, codes[http.StatusTooManyRequests])
	var n int64
	require.NoError(t, h.db.Gorm().Model(&models.Order{}).Count(&n).Error)
	assert.Equal(t, int64(20), n)
}

// TestRateLimitRefills: the limit is a token bucket on the server's clock;
// once the clock moves on, a client may order again.
func TestRateLimitRefills(t *testing.T) {
	h := newHarness(t, options{})
	h.setStock(1, 1000)
	order := func() int {
		res, _ := h.apiCall(http.MethodPost, "/api/orders", `{"items":[{"product_id":1,"quantity":1}],"channel":"wap"}`, nil)
		return res.StatusCode
	}
	for range 20 {
		require.Equal(t, http.StatusCreated, order())
	}
	assert.Equal(t, http.StatusTooManyRequests, order())
	h.clock.Advance(3 * time.Second)
	assert.Equal(t, http.StatusCreated, order(), "one token back after 3s")
	assert.Equal(t, http.StatusTooManyRequests, order())
}

// TestRateLimitBehindProxy: X-Forwarded-For names the client only when the
// request comes from a trusted proxy. Untrusted, it is ignored, so a
// client cannot dodge its limit by making up addresses.
func TestRateLimitBehindProxy(t *testing.T) {
	tests := []struct {
		name    string
		trusted []string
		// wantSeparate: two clients behind the proxy get a bucket each.
		wantSeparate bool
	}{
		{"no proxy trusted", nil, false},
		{"loopback proxy trusted", []string{"127.0.0.1/32"}, true},
		{"another proxy trusted", []string{"10.0.0.0/8"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, options{})
			h.setStock(1, 1000)
			cfg := h.cfg
			cfg.TrustedProxies = tt.trusted
			srv, err := New(cfg)
			require.NoError(t, err)
			handler := srv.Handler()
			order := func(client string) int {
				req := httptest.NewRequest(http.MethodPost, "/api/orders",
					strings.NewReader(`{"items":[{"product_id":1,"quantity":1}],"channel":"wap"}`))
				req.RemoteAddr = "127.0.0.1:40000"
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Forwarded-For", client)
				rec := httptest.NewRecorder()
				handler.ServeHTTP(rec, req)
				return rec.Code
			}
			for range 20 {
				require.Equal(t, http.StatusCreated, order("203.0.113.7"))
			}
			assert.Equal(t, http.StatusTooManyRequests, order("203.0.113.7"))
			want := http.StatusTooManyRequests
			if tt.wantSeparate {
				want = http.StatusCreated
			}
			assert.Equal(t, want, order("198.51.100.9"), "another client behind the proxy")
		})
	}
}

func TestNewRefusesBadTrustedProxy(t *testing.T) {
	h := newHarness(t, options{})
	cfg := h.cfg
	cfg.TrustedProxies = []string{"not-an-address"}
	_, err := New(cfg)
	assert.ErrorContains(t, err, "not-an-address")
}
