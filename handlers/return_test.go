package handlers

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/models"
	"shop/payment"
)

const refreshTag = `<meta http-equiv="refresh"`

// returnQuery is the signed query of Alipay's return redirect for o.
func (h *harness) returnQuery(o *models.Order, status string, edit func(payment.Params)) string {
	h.t.Helper()
	p := payment.Params{
		"out_trade_no": o.OrderNo, "trade_no": tradeNo(), "trade_status": status, "currency": o.Currency,
		"total_fee": payment.Amount{Minor: o.TotalMinor, Currency: payment.Currency(o.Currency)}.String(),
	}
	p = sign(h.t, h.alipay, p)
	if edit != nil {
		edit(p)
	}
	return p.Encode()
}

// TestReturnNeverMarksPaid follows the shopper back from the cashier: the
// return only shows the stored status, and the notification is what pays.
func TestReturnNeverMarksPaid(t *testing.T) {
	for _, st := range []payment.SignType{payment.RSA2, payment.MD5} {
		t.Run(string(st), func(t *testing.T) {
			h := newHarness(t, options{signType: st})
			b := h.browser(mobileUA)
			orderNo := b.buy(h.product("tea-set").ID, 1)
			o := h.order(orderNo)

			res := b.get("/alipay/return?" + h.returnQuery(o, "TRADE_FINISHED", nil))

			require.Equal(t, http.StatusSeeOther, res.StatusCode, res.Body)
			assert.Equal(t, "/orders/"+orderNo+"?confirming=1", res.location())
			assert.Equal(t, models.StatusPending, h.order(orderNo).Status, "the return must not mark paid")
			assert.Empty(t, h.notifications())

			page := b.get(res.location())
			require.Equal(t, http.StatusOK, page.StatusCode)
			assert.NotContains(t, page.Body, refreshTag, "no page refreshes itself")
			assert.Contains(t, page.Body, "We are waiting for its confirmation")
			assert.Contains(t, page.Body, `data-testid="order-status">Payment processing<`)
			assert.NotContains(t, page.Body, `action="/orders/`+orderNo+`/pay"`, "no second payment while confirming")

			notified := h.postNotify(sign(t, h.alipay, paidParams(o)).Encode(), formType, nil)
			require.Equal(t, "success", notified.Body)

			page = b.get(res.location())
			require.Equal(t, http.StatusOK, page.StatusCode)
			assert.NotContains(t, page.Body, refreshTag)
			assert.Contains(t, page.Body, `data-testid="order-status">Paid<`)
			assert.Contains(t, page.Body, "Thank you! Your payment was received.")
		})
	}
}

func TestReturn(t *testing.T) {
	tests := []struct {
		name       string
		query      func(h *harness, o *models.Order) string
		otherUser  bool
		wantStatus int
		wantTo     string // Location, with {no} for the order number
		wantText   string // in the body, for non-redirects
	}{
		{name: "no query: the buyer cancelled", query: func(*harness, *models.Order) string { return "" },
			wantStatus: http.StatusSeeOther, wantTo: "/cart"},
		{name: "signed TRADE_SUCCESS", query: func(h *harness, o *models.Order) string {
			return h.returnQuery(o, "TRADE_SUCCESS", nil)
		}, wantStatus: http.StatusSeeOther, wantTo: "/orders/{no}?confirming=1"},
		{name: "signed, not paid", query: func(h *harness, o *models.Order) string {
			return h.returnQuery(o, "WAIT_BUYER_PAY", nil)
		}, wantStatus: http.StatusSeeOther, wantTo: "/orders/{no}"},
		{name: "forged amount", query: func(h *harness, o *models.Order) string {
			return h.returnQuery(o, "TRADE_FINISHED", func(p payment.Params) { p["total_fee"] = "0.01" })
		}, wantStatus: http.StatusBadRequest, wantText: "We could not confirm the message from Alipay"},
		{name: "forged status", query: func(h *harness, o *models.Order) string {
			return h.returnQuery(o, "WAIT_BUYER_PAY", func(p payment.Params) { p["trade_status"] = "TRADE_FINISHED" })
		}, wantStatus: http.StatusBadRequest, wantText: "We could not confirm the message from Alipay"},
		{name: "unsigned", query: func(h *harness, o *models.Order) string {
			return h.returnQuery(o, "TRADE_FINISHED", func(p payment.Params) { delete(p, "sign"); delete(p, "sign_type") })
		}, wantStatus: http.StatusBadRequest, wantText: "We could not confirm the message from Alipay"},
		{name: "signed with another key", query: func(h *harness, o *models.Order) string {
			p := payment.Params{"out_trade_no": o.OrderNo, "trade_no": tradeNo(), "trade_status": "TRADE_FINISHED", "currency": "USD", "total_fee": "56.00"}
			return sign(h.t, strangerSigner(h.t), p).Encode()
		}, wantStatus: http.StatusBadRequest, wantText: "We could not confirm the message from Alipay"},
		{name: "garbage", query: func(*harness, *models.Order) string { return "a=%zz" },
			wantStatus: http.StatusBadRequest, wantText: "We could not confirm the message from Alipay"},
		{name: "signed, unknown order", query: func(h *harness, o *models.Order) string {
			ghost := *o
			ghost.OrderNo = "20250101ZZZZZZZZZZZZZZZZ"
			return h.returnQuery(&ghost, "TRADE_FINISHED", nil)
		}, wantStatus: http.StatusNotFound, wantText: "We could not find that page."},
		{name: "another browser sees the status only", otherUser: true, query: func(h *harness, o *models.Order) string {
			return h.returnQuery(o, "TRADE_FINISHED", nil)
		}, wantStatus: http.StatusOK, wantText: `data-testid="order-status">Waiting for payment<`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, options{})
			b := h.browser(desktopUA)
			o := h.order(b.buy(h.product("tea-set").ID, 1))
			if tt.otherUser {
				b = h.browser(desktopUA)
			}
			path := "/alipay/return"
			if q := tt.query(h, o); q != "" {
				path += "?" + q
			}

			res := b.get(path)

			assert.Equal(t, tt.wantStatus, res.StatusCode)
			assert.Equal(t, strings.ReplaceAll(tt.wantTo, "{no}", o.OrderNo), res.location())
			assert.Contains(t, res.Body, tt.wantText)
			if res.StatusCode != http.StatusSeeOther {
				assert.Equal(t, "text/html; charset=utf-8", res.Header.Get("Content-Type"))
				assert.NotContains(t, res.Body, "Ann Lee", "no personal data")
				assert.NotContains(t, res.Body, "Main Street", "no personal data")
			}
			assert.Equal(t, models.StatusPending, h.order(o.OrderNo).Status)
			assert.Empty(t, h.notifications())
		})
	}
}
