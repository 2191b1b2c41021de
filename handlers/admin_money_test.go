package handlers

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/models"
	"shop/payment"
)

// These tests run against the stub gateway, which answers notify_verify
// only: forex_refund and single_trade_query get no usable answer from it.
// The refunds and queries Alipay answers are tested against the real
// sandbox in the root package (admin_test.go).

// visible is a page's text as a person reads it, entities decoded.
func visible(body string) string { return html.UnescapeString(body) }

// moneyPaidOrder creates an order and pays it with a verified notification.
func moneyPaidOrder(h *harness) *models.Order {
	h.t.Helper()
	o := h.createOrder()
	res := h.postNotify(sign(h.t, h.alipay, paidParams(o)).Encode(), formType, nil)
	require.Equal(h.t, "success", res.Body)
	o = h.order(o.OrderNo)
	require.Equal(h.t, models.StatusPaid, o.Status)
	return o
}

// moneyAudits returns the audit log's entries with the action, oldest first.
func moneyAudits(h *harness, action string) []models.AuditEntry {
	h.t.Helper()
	var es []models.AuditEntry
	require.NoError(h.t, h.db.Gorm().Where("action = ?", action).Order("id").Find(&es).Error)
	return es
}

func moneyRefunds(h *harness) []models.Refund {
	h.t.Helper()
	var rs []models.Refund
	require.NoError(h.t, h.db.Gorm().Order("id").Find(&rs).Error)
	return rs
}

// seeOther expects a 303 to want and follows it with a GET.
func seeOther(t *testing.T, a *adminBrowser, res *response, want string) *response {
	t.Helper()
	require.Equal(t, http.StatusSeeOther, res.StatusCode, res.Body)
	require.Equal(t, want, res.location())
	return a.get(strings.SplitN(want, "#", 2)[0])
}

func TestAdminOrderPage(t *testing.T) {
	h := newHarness(t, options{})
	a := h.staff("ann")
	o := moneyPaidOrder(h)
	path := "/admin/orders/" + o.OrderNo

	t.Run("unknown order", func(t *testing.T) {
		res := a.get("/admin/orders/20240101NOSUCHORDER00000")
		assert.Equal(t, http.StatusNotFound, res.StatusCode)
	})
	t.Run("details and timeline", func(t *testing.T) {
		res := a.get(path)
		require.Equal(t, http.StatusOK, res.StatusCode, res.Body)
		body := visible(res.Body)
		for _, want := range []string{o.OrderNo, "Silk scarf", "Ann Lee", "ann@example.com", "1 Main Street, Springfield",
			*o.TradeNo, "Paid", "Left to refund", formatPrice(o.TotalMinor, "USD"), "Order created",
			"Notification from Alipay: marked the order paid", "notify_id=", "trade_status=TRADE_FINISHED", "Query Alipay now", "Mark as shipped"} {
			assert.Contains(t, body, want)
		}
		assert.Contains(t, res.Body, "<details>", "the raw parameters fold away")
		assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
	})
	t.Run("usable markup", func(t *testing.T) {
		body := a.get(path).Body
		for _, id := range regexp.MustCompile(`<input id="([^"]+)"`).FindAllStringSubmatch(body, -1) {
			assert.Contains(t, body, `<label for="`+id[1]+`"`, "input %s has a label", id[1])
		}
		assert.Regexp(t, `<input id="refund-amount" name="amount" inputmode="decimal"[^>]* required`, body)
		assert.Regexp(t, `<label class="money-check"><input type="checkbox" name="restock"`, body, "the checkbox is inside its label")
		assert.Contains(t, body, `name="csrf_token" value="`+a.csrf+`"`)
		assert.Contains(t, body, `<meta name="viewport" content="width=device-width,initial-scale=1">`)
	})
	t.Run("times in the merchant's zone", func(t *testing.T) {
		zone := time.FixedZone("CST", 8*3600)
		cfg := h.cfg
		cfg.Location = zone
		srv, err := New(cfg)
		require.NoError(t, err)
		base := httptestServer(t, srv.Handler())
		res := a.get(base + path)
		require.Equal(t, http.StatusOK, res.StatusCode)
		assert.Contains(t, res.Body, o.CreatedAt.In(zone).Format("2006-01-02 15:04:05")+" CST")
		assert.Contains(t, res.Body, o.PaidAt.In(zone).Format("2006-01-02 15:04:05")+" CST")
	})
	t.Run("Chinese", func(t *testing.T) {
		zh := h.staff("ann")
		zh.header.Set("Accept-Language", "zh-CN,zh;q=0.9")
		res := zh.get(path)
		require.Equal(t, http.StatusOK, res.StatusCode)
		assert.Contains(t, res.Body, `<html lang="zh-Hans">`)
		for _, want := range []string{"订单", "可退金额", "通过支付宝退款", "立即查询", "时间线", "支付宝通知：订单已标记为已付款"} {
			assert.Contains(t, res.Body, want)
		}
		assert.NotContains(t, res.Body, "money.", "no message key shows")
	})
}

func TestAdminRefundForm(t *testing.T) {
	h := newHarness(t, options{})
	a := h.staff("ann")
	o := moneyPaidOrder(h)
	path := "/admin/orders/" + o.OrderNo + "/refunds"

	for _, amount := range []string{"", "abc", "1e2", "-1.00", "0", "0.00", "1.001", "1,00", "1.", ".5", "01.00", "NaN", "9999999.00"} {
		t.Run("amount "+amount, func(t *testing.T) {
			res := a.postForm(path, url.Values{"amount": {amount}, "reason": {"broken"}})
			require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
			assert.Contains(t, visible(res.Body), "Type the amount as a number")
			assert.Contains(t, res.Body, `aria-invalid="true"`)
			assert.Contains(t, res.Body, `value="broken"`, "what was typed is kept")
		})
	}
	t.Run("no reason", func(t *testing.T) {
		res := a.postForm(path, url.Values{"amount": {"1.00"}, "reason": {"  "}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		assert.Contains(t, res.Body, "Say why you refund")
	})
	t.Run("more than paid", func(t *testing.T) {
		over := payment.Amount{Minor: o.TotalMinor + 1, Currency: "USD"}.String()
		res := a.postForm(path, url.Values{"amount": {over}, "reason": {"too much"}})
		require.Equal(t, http.StatusConflict, res.StatusCode)
		assert.Contains(t, res.Body, "That is more than what is left to refund on this order.")
		assert.Contains(t, res.Body, `value="`+over+`"`)
	})
	t.Run("a pending order", func(t *testing.T) {
		p := h.createOrder()
		res := a.postForm("/admin/orders/"+p.OrderNo+"/refunds", url.Values{"amount": {"1.00"}, "reason": {"early"}})
		assert.Equal(t, http.StatusConflict, res.StatusCode)
		page := a.get("/admin/orders/" + p.OrderNo)
		assert.Contains(t, page.Body, `data-testid="no-refund"`, "no refund form on an unpaid order")
	})
	assert.Empty(t, moneyRefunds(h), "nothing refused is stored")
	assert.Empty(t, moneyAudits(h, "refund"))
}

// TestAdminRefundWithoutAnswer: the stub gateway gives no usable answer to
// forex_refund, as a gateway that is down: the refund stays pending with
// its amount reserved, and can be sent again.
func TestAdminRefundWithoutAnswer(t *testing.T) {
	h := newHarness(t, options{})
	a := h.staff("ann")
	o := moneyPaidOrder(h)
	order := "/admin/orders/" + o.OrderNo

	res := a.postForm(order+"/refunds", url.Values{"amount": {"5"}, "reason": {"late delivery"}, "restock": {"1"}})
	page := seeOther(t, a, res, order+"#refunds")
	body := visible(page.Body)
	assert.Contains(t, body, "It stays pending with its amount reserved")
	rs := moneyRefunds(h)
	require.Len(t, rs, 1)
	assert.Equal(t, models.RefundPending, rs[0].Status)
	assert.EqualValues(t, 500, rs[0].AmountMinor, "5 typed in USD is 5.00")
	assert.True(t, rs[0].Restock)
	assert.Contains(t, page.Body, `action="/admin/orders/`+o.OrderNo+`/refunds/`+rs[0].OutReturnNo+`/retry"`)
	assert.Contains(t, body, formatPrice(o.TotalMinor-500, "USD"), "left to refund counts the pending refund")
	assert.Equal(t, models.StatusPaid, h.order(o.OrderNo).Status)

	res = a.postForm(order+"/refunds/"+rs[0].OutReturnNo+"/retry", nil)
	seeOther(t, a, res, order+"#refunds")
	rs = moneyRefunds(h)
	require.Len(t, rs, 1, "sending again makes no new refund")
	assert.Equal(t, models.RefundPending, rs[0].Status)
	require.Len(t, moneyAudits(h, "refund"), 1)
	retries := moneyAudits(h, "refund_retry")
	require.Len(t, retries, 1)
	assert.Equal(t, "ann", retries[0].Staff)
	assert.Equal(t, o.OrderNo, retries[0].Target)

	t.Run("another order's refund", func(t *testing.T) {
		other := moneyPaidOrder(h)
		res := a.postForm("/admin/orders/"+other.OrderNo+"/refunds/"+rs[0].OutReturnNo+"/retry", nil)
		assert.Equal(t, http.StatusNotFound, res.StatusCode)
	})
	t.Run("a finished refund is not sent again", func(t *testing.T) {
		_, err := h.db.FinishRefund(t.Context(), rs[0].OutReturnNo, true, "", "")
		require.NoError(t, err)
		res := a.postForm(order+"/refunds/"+rs[0].OutReturnNo+"/retry", nil)
		page := seeOther(t, a, res, order+"#refunds")
		assert.Contains(t, visible(page.Body), "This refund already has Alipay's answer")
		assert.Len(t, moneyAudits(h, "refund_retry"), 1)
	})
}

// TestAdminQueryWithoutAnswer: a query Alipay does not answer changes
// nothing, says so, and is recorded and audited.
func TestAdminQueryWithoutAnswer(t *testing.T) {
	h := newHarness(t, options{})
	a := h.staff("ann")
	o := h.createOrder()
	order := "/admin/orders/" + o.OrderNo
	page := seeOther(t, a, a.postForm(order+"/query", nil), order+"#timeline")
	assert.Contains(t, page.Body, "Alipay did not answer. Try again in a moment.")
	assert.Contains(t, page.Body, "single_trade_query: no usable answer")
	assert.Equal(t, models.StatusPending, h.order(o.OrderNo).Status)
	q := moneyAudits(h, "query")
	require.Len(t, q, 1)
	assert.Equal(t, o.OrderNo, q[0].Target)
}

func TestAdminShip(t *testing.T) {
	h := newHarness(t, options{})
	a := h.staff("ann")
	owner := h.browser(mobileUA)
	orderNo := owner.buy(h.product("silk-scarf").ID, 1)
	res := h.postNotify(sign(t, h.alipay, paidParams(h.order(orderNo))).Encode(), formType, nil)
	require.Equal(t, "success", res.Body)
	order := "/admin/orders/" + orderNo

	t.Run("refused", func(t *testing.T) {
		for _, form := range []url.Values{
			{"carrier": {"SF Express"}, "tracking_no": {""}},
			{"carrier": {""}, "tracking_no": {"SF1"}},
			{"carrier": {"SF Express"}, "tracking_no": {"SF1\x00"}},
			{"carrier": {"SF Express"}, "tracking_no": {strings.Repeat("9", 65)}},
		} {
			res := a.postForm(order+"/ship", form)
			assert.Equal(t, http.StatusUnprocessableEntity, res.StatusCode, form)
			assert.Contains(t, res.Body, `data-testid="ship-error"`)
		}
		pending := h.createOrder()
		res := a.postForm("/admin/orders/"+pending.OrderNo+"/ship", url.Values{"carrier": {"SF"}, "tracking_no": {"1"}})
		assert.Equal(t, http.StatusConflict, res.StatusCode, "only a paid order ships")
		assert.Nil(t, h.order(pending.OrderNo).ShippedAt)
	})
	page := seeOther(t, a, a.postForm(order+"/ship", url.Values{"carrier": {" SF Express "}, "tracking_no": {"SF1234567890"}}), order)
	assert.Contains(t, visible(page.Body), "The shipment is recorded")
	assert.Contains(t, visible(page.Body), "with SF Express, tracking number SF1234567890")
	stored := h.order(orderNo)
	require.NotNil(t, stored.ShippedAt)
	assert.Equal(t, "SF Express", stored.Carrier)
	ships := moneyAudits(h, "ship")
	require.Len(t, ships, 1)
	assert.Equal(t, "ann", ships[0].Staff)
	assert.Equal(t, orderNo, ships[0].Target)

	t.Run("the owner sees carrier and tracking number", func(t *testing.T) {
		res := owner.get("/orders/" + orderNo)
		require.Equal(t, http.StatusOK, res.StatusCode)
		want := "Shipped on " + stored.ShippedAt.Format("2006-01-02") + " with SF Express, tracking number SF1234567890."
		assert.Contains(t, visible(res.Body), want)
	})
	t.Run("anybody else sees only that it shipped", func(t *testing.T) {
		res := h.browser(desktopUA).get("/alipay/return?" + h.returnQuery(stored, "TRADE_FINISHED", nil))
		require.Equal(t, http.StatusOK, res.StatusCode)
		assert.Contains(t, res.Body, "This order has shipped.")
		assert.NotContains(t, res.Body, "SF1234567890")
		assert.NotContains(t, res.Body, "SF Express")
		api, out := h.apiCall(http.MethodGet, "/api/orders/"+orderNo, "", nil)
		require.Equal(t, http.StatusOK, api.StatusCode)
		assert.Equal(t, []string{"currency", "order_no", "status", "total_fee", "trade_no"}, keys(out), "the API is unchanged")
	})
	t.Run("Chinese", func(t *testing.T) {
		owner.header.Set("Accept-Language", "zh-CN")
		res := owner.get("/orders/" + orderNo)
		assert.Contains(t, res.Body, "通过 SF Express 发货，运单号 SF1234567890")
	})
}

func TestAdminReviews(t *testing.T) {
	h := newHarness(t, options{})
	a := h.staff("ann")
	o := h.createOrder()
	mismatch := paidParams(o)
	mismatch["total_fee"] = "0.01"
	require.Equal(t, "success", h.postNotify(sign(t, h.alipay, mismatch).Encode(), formType, nil).Body)
	late := h.createOrder()
	_, err := h.db.CloseOrder(t.Context(), late.OrderNo, "cancelled by the shopper")
	require.NoError(t, err)
	require.Equal(t, "success", h.postNotify(sign(t, h.alipay, paidParams(late)).Encode(), formType, nil).Body)

	res := a.get("/admin/reviews")
	require.Equal(t, http.StatusOK, res.StatusCode)
	body := visible(res.Body)
	mismatchAt := strings.Index(body, "Order "+o.OrderNo)
	lateAt := strings.Index(body, "Order "+late.OrderNo)
	require.True(t, mismatchAt > 0 && lateAt > mismatchAt, "both listed, oldest first")
	assert.Contains(t, body, "amount, currency or trade does not match")
	assert.Contains(t, body, "payment after the order closed")
	assert.Contains(t, res.Body, `<span class="badge">2</span>`)
	refund := regexp.MustCompile(`href="([^"]+)" data-testid="refund-link"`).FindAllStringSubmatch(res.Body, -1)
	require.Len(t, refund, 1, "only the payment after close is money to give back")
	amount := payment.Amount{Minor: late.TotalMinor, Currency: "USD"}.String()
	assert.Equal(t, "/admin/orders/"+late.OrderNo+"?refund="+amount+"#refund", html.UnescapeString(refund[0][1]))
	form := a.get(strings.TrimSuffix(html.UnescapeString(refund[0][1]), "#refund"))
	assert.Contains(t, form.Body, `value="`+amount+`"`, "the refund form is prefilled")
	assert.Contains(t, form.Body, `id="refund"`)
	assert.NotContains(t, form.Body, `name="restock"`, "a closed order's stock is back already")

	reviews, err := h.db.OpenReviews(t.Context(), 10)
	require.NoError(t, err)
	require.Len(t, reviews, 2)
	resolve := "/admin/reviews/" + itoa(int(reviews[0].ID)) + "/resolve"

	res = a.postForm(resolve, url.Values{"note": {"   "}})
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	assert.Contains(t, res.Body, `data-testid="review-error"`)
	page := seeOther(t, a, a.postForm(resolve, url.Values{"note": {"Amount typo at Alipay; buyer refunded by hand."}}), "/admin/reviews")
	assert.Contains(t, page.Body, "Resolved, with your note.")
	assert.NotContains(t, page.Body, "Order "+o.OrderNo)
	assert.False(t, h.order(o.OrderNo).Flagged, "its only review is resolved")
	res = a.postForm(resolve, url.Values{"note": {"again"}})
	assert.Equal(t, http.StatusConflict, res.StatusCode)
	assert.Contains(t, visible(res.Body), "Someone has already resolved this.")
	res = a.postForm("/admin/reviews/999999/resolve", url.Values{"note": {"x"}})
	assert.Equal(t, http.StatusNotFound, res.StatusCode)

	resolved := moneyAudits(h, "resolve_review")
	require.Len(t, resolved, 1)
	assert.Equal(t, "ann", resolved[0].Staff)
	assert.Contains(t, resolved[0].Detail, "buyer refunded by hand")

	t.Run("the order's timeline shows flag and resolution", func(t *testing.T) {
		body := visible(a.get("/admin/orders/" + o.OrderNo).Body)
		assert.Contains(t, body, "Needs a person: amount, currency or trade does not match")
		assert.Contains(t, body, "Resolved")
		assert.Contains(t, body, "Amount typo at Alipay; buyer refunded by hand.")
	})
	t.Run("Chinese", func(t *testing.T) {
		zh := h.staff("ann")
		zh.header.Set("Accept-Language", "zh")
		res := zh.get("/admin/reviews")
		require.Equal(t, http.StatusOK, res.StatusCode)
		assert.Contains(t, res.Body, "需要人工处理")
		assert.Contains(t, res.Body, "订单关闭后收到付款")
		assert.NotContains(t, res.Body, "money.")
	})
}

// TestAdminMoneyNeedsAdmin: every page and action needs a signed-in staff
// member, and every action the session's CSRF token.
func TestAdminMoneyNeedsAdmin(t *testing.T) {
	h := newHarness(t, options{})
	o := moneyPaidOrder(h)
	order := "/admin/orders/" + o.OrderNo
	posts := []string{order + "/refunds", order + "/refunds/" + o.OrderNo + "R01/retry", order + "/query", order + "/ship", "/admin/reviews/1/resolve"}
	form := url.Values{"amount": {"1.00"}, "reason": {"x"}, "carrier": {"SF"}, "tracking_no": {"1"}, "note": {"x"}}

	t.Run("not signed in", func(t *testing.T) {
		b := h.browser(desktopUA)
		for _, path := range []string{order, "/admin/reviews"} {
			res := b.get(path)
			assert.Equal(t, http.StatusSeeOther, res.StatusCode, path)
			assert.Equal(t, "/admin/login?next="+url.QueryEscape(path), res.location())
		}
		for _, path := range posts {
			res := b.post(path, form)
			assert.Equal(t, http.StatusForbidden, res.StatusCode, path)
		}
	})
	t.Run("no or wrong CSRF token", func(t *testing.T) {
		a := h.staff("ann")
		for _, token := range []string{"", strings.Repeat("0", len(a.csrf))} {
			for _, path := range posts {
				f := url.Values{"csrf_token": {token}}
				for k, v := range form {
					f[k] = v
				}
				res := a.post(path, f)
				assert.Equal(t, http.StatusForbidden, res.StatusCode, path)
			}
		}
	})
	assert.Empty(t, moneyRefunds(h))
	assert.Nil(t, h.order(o.OrderNo).ShippedAt)
	var audits int64
	require.NoError(t, h.db.Gorm().Model(&models.AuditEntry{}).Count(&audits).Error)
	assert.Zero(t, audits)
}

func TestParseMoney(t *testing.T) {
	tests := []struct {
		in   string
		cur  payment.Currency
		want int64
		ok   bool
	}{
		{"12.50", "USD", 1250, true},
		{"12.5", "USD", 1250, true},
		{"12", "USD", 1200, true},
		{" 0.01 ", "USD", 1, true},
		{"1000000.00", "USD", 100_000_000, true},
		{"1500", "JPY", 1500, true},
		{"1500.00", "JPY", 0, false},
		{"12.505", "USD", 0, false},
		{"12.", "USD", 0, false},
		{"1 000", "USD", 0, false},
		{"+1", "USD", 0, false},
		{"1e3", "USD", 0, false},
		{"0x10", "USD", 0, false},
		{"１２", "USD", 0, false},
		{"0.00", "USD", 0, false},
		{"1000000.01", "USD", 0, false},
		{"12.50", "XXX", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseMoney(tt.in, tt.cur)
		assert.Equal(t, tt.ok, ok, "%q %s", tt.in, tt.cur)
		assert.Equal(t, tt.want, got, "%q %s", tt.in, tt.cur)
	}
}
