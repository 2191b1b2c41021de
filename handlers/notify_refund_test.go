package handlers

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/models"
	"shop/payment"
)

// refundParams is the unsigned notification Alipay sends when the refund
// outReturnNo of the order orderNo ended.
func refundParams(orderNo, outReturnNo, status string, amount int64) payment.Params {
	return payment.Params{
		"notify_id": randomHex(17), "notify_type": payment.NotifyTypeRefund, "notify_time": payment.FormatTime(time.Now()),
		"out_trade_no": orderNo, "out_return_no": outReturnNo, "refund_status": status,
		"currency": "USD", "return_amount": payment.Amount{Minor: amount, Currency: "USD"}.String(),
	}
}

// paidWithAsyncRefund makes a paid order with a pending asynchronous
// refund of amount, accepted by Alipay.
func paidWithAsyncRefund(t *testing.T, h *harness, amount int64) (*models.Order, *models.Refund) {
	t.Helper()
	o := h.createOrder()
	pay := paidParams(o)
	pay["seller_id"] = testPartner
	res := h.postNotify(sign(t, h.alipay, pay).Encode(), formType, nil)
	require.Equal(t, "success", res.Body)
	require.Equal(t, models.StatusPaid, h.order(o.OrderNo).Status)
	ctx := context.Background()
	r, err := h.db.StartAsyncRefund(ctx, o.OrderNo, amount, "late delivery", false, models.AuditEntry{Staff: "ann", Action: "refund"})
	require.NoError(t, err)
	_, err = h.db.AcceptRefund(ctx, r.OutReturnNo, time.Now().Add(time.Hour))
	require.NoError(t, err)
	return o, r
}

func lastNotification(t *testing.T, h *harness) models.Notification {
	t.Helper()
	ns := h.notifications()
	require.NotEmpty(t, ns)
	return ns[len(ns)-1]
}

// TestNotifyRefund: the notify endpoint takes a refund's result to its
// refund, with a trade notification's checks, and never to a payment.
func TestNotifyRefund(t *testing.T) {
	t.Run("success ends the refund once", func(t *testing.T) {
		h := newHarness(t, options{})
		o, r := paidWithAsyncRefund(t, h, 700)
		body := sign(t, h.alipay, refundParams(o.OrderNo, r.OutReturnNo, "REFUND_SUCCESS", 700)).Encode()
		res := h.postNotify(body, formType, nil)
		assert.Equal(t, http.StatusOK, res.StatusCode)
		assert.Equal(t, "success", res.Body)
		n := lastNotification(t, h)
		assert.Equal(t, models.VerdictRefunded, n.Verdict)
		assert.Equal(t, r.OutReturnNo, n.OutReturnNo)
		assert.Equal(t, body, n.Body, "recorded raw")
		assert.Equal(t, "REFUND_SUCCESS", n.TradeStatus)
		got := h.order(o.OrderNo)
		assert.EqualValues(t, 700, got.RefundedMinor)
		assert.Equal(t, models.StatusPaid, got.Status, "a partial refund")

		res = h.postNotify(body, formType, nil) // Alipay sends it again
		assert.Equal(t, "success", res.Body)
		assert.Equal(t, models.VerdictDuplicate, lastNotification(t, h).Verdict)
		assert.EqualValues(t, 700, h.order(o.OrderNo).RefundedMinor, "refunded once")
		assert.Equal(t, "notify_verify", h.gw.lastQuery().Get("service"), "checked with notify_verify")
	})
	t.Run("failure frees the amount", func(t *testing.T) {
		h := newHarness(t, options{})
		o, r := paidWithAsyncRefund(t, h, 700)
		p := refundParams(o.OrderNo, r.OutReturnNo, "REFUND_FAIL", r.AmountMinor)
		p["error_code"] = "MERCHANT_BALANCE_NOT_ENOUGH"
		res := h.postNotify(sign(t, h.alipay, p).Encode(), formType, nil)
		assert.Equal(t, "success", res.Body)
		assert.Equal(t, models.VerdictRefundFailed, lastNotification(t, h).Verdict)
		got, err := h.db.RefundByNo(context.Background(), r.OutReturnNo)
		require.NoError(t, err)
		assert.Equal(t, models.RefundFailed, got.Status)
		assert.Equal(t, "MERCHANT_BALANCE_NOT_ENOUGH", got.ErrorCode)
		assert.Zero(t, h.order(o.OrderNo).RefundedMinor)
	})
	t.Run("unknown refund is recorded and flagged, never paid", func(t *testing.T) {
		h := newHarness(t, options{})
		o := h.createOrder() // pending: a refund's result must not pay it
		res := h.postNotify(sign(t, h.alipay, refundParams(o.OrderNo, o.OrderNo+"R01", "REFUND_SUCCESS", o.TotalMinor)).Encode(), formType, nil)
		assert.Equal(t, http.StatusOK, res.StatusCode)
		assert.Equal(t, "success", res.Body, "as for an unknown order: sending it again changes nothing")
		n := lastNotification(t, h)
		assert.Equal(t, models.VerdictUnknownRefund, n.Verdict)
		assert.True(t, n.Flagged)
		got := h.order(o.OrderNo)
		assert.Equal(t, models.StatusPending, got.Status)
		assert.Nil(t, got.TradeNo)
		assert.True(t, got.Flagged, "for a person")
	})
	t.Run("a refund result carrying a trade status cannot pay", func(t *testing.T) {
		h := newHarness(t, options{})
		o := h.createOrder()
		p := refundParams(o.OrderNo, o.OrderNo+"R01", "REFUND_SUCCESS", o.TotalMinor)
		p["trade_status"], p["trade_no"], p["total_fee"] = "TRADE_SUCCESS", tradeNo(), payment.Amount{Minor: o.TotalMinor, Currency: "USD"}.String()
		res := h.postNotify(sign(t, h.alipay, p).Encode(), formType, nil)
		assert.Equal(t, "success", res.Body)
		assert.Equal(t, models.StatusPending, h.order(o.OrderNo).Status)
	})
	t.Run("forged is counted, not stored", func(t *testing.T) {
		h := newHarness(t, options{})
		o, r := paidWithAsyncRefund(t, h, 700)
		before := len(h.notifications())
		p := sign(t, h.alipay, refundParams(o.OrderNo, r.OutReturnNo, "REFUND_SUCCESS", 700))
		p["return_amount"] = "7.01"
		res := h.postNotify(p.Encode(), formType, nil)
		assert.Equal(t, http.StatusBadRequest, res.StatusCode)
		assert.Equal(t, "fail", res.Body)
		assert.Len(t, h.notifications(), before)
		got, err := h.db.RefundByNo(context.Background(), r.OutReturnNo)
		require.NoError(t, err)
		assert.Equal(t, models.RefundPending, got.Status)
	})
	t.Run("disowned by notify_verify", func(t *testing.T) {
		h := newHarness(t, options{})
		o, r := paidWithAsyncRefund(t, h, 700)
		h.gw.set(verifyFalse)
		res := h.postNotify(sign(t, h.alipay, refundParams(o.OrderNo, r.OutReturnNo, "REFUND_SUCCESS", 700)).Encode(), formType, nil)
		assert.Equal(t, http.StatusBadRequest, res.StatusCode)
		n := lastNotification(t, h)
		assert.Equal(t, models.VerdictRejected, n.Verdict, "recorded raw")
		assert.Equal(t, r.OutReturnNo, n.OutReturnNo)
		got, err := h.db.RefundByNo(context.Background(), r.OutReturnNo)
		require.NoError(t, err)
		assert.Equal(t, models.RefundPending, got.Status)
	})
	t.Run("notify_verify unreachable: sent again", func(t *testing.T) {
		h := newHarness(t, options{})
		o, r := paidWithAsyncRefund(t, h, 700)
		h.gw.set(verify5xx)
		res := h.postNotify(sign(t, h.alipay, refundParams(o.OrderNo, r.OutReturnNo, "REFUND_SUCCESS", 700)).Encode(), formType, nil)
		assert.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
		assert.Equal(t, models.VerdictDeferred, lastNotification(t, h).Verdict)
	})
	t.Run("another merchant's", func(t *testing.T) {
		h := newHarness(t, options{})
		o, r := paidWithAsyncRefund(t, h, 700)
		p := refundParams(o.OrderNo, r.OutReturnNo, "REFUND_SUCCESS", 700)
		p["seller_id"] = "2088000000000001"
		res := h.postNotify(sign(t, h.alipay, p).Encode(), formType, nil)
		assert.Equal(t, "success", res.Body)
		assert.Equal(t, models.VerdictUnbound, lastNotification(t, h).Verdict)
		got, err := h.db.RefundByNo(context.Background(), r.OutReturnNo)
		require.NoError(t, err)
		assert.Equal(t, models.RefundPending, got.Status)
	})
	t.Run("MD5 without notify_verify needs the partner", func(t *testing.T) {
		h := newHarness(t, options{signType: payment.MD5, skipVerify: true})
		o, r := paidWithAsyncRefund(t, h, 700)
		res := h.postNotify(sign(t, h.alipay, refundParams(o.OrderNo, r.OutReturnNo, "REFUND_SUCCESS", 700)).Encode(), formType, nil)
		assert.Equal(t, "success", res.Body)
		assert.Equal(t, models.VerdictUnbound, lastNotification(t, h).Verdict, "nothing binds it to this merchant")
		p := refundParams(o.OrderNo, r.OutReturnNo, "REFUND_SUCCESS", 700)
		p["partner"] = testPartner
		res = h.postNotify(sign(t, h.alipay, p).Encode(), formType, nil)
		assert.Equal(t, "success", res.Body)
		assert.Equal(t, models.VerdictRefunded, lastNotification(t, h).Verdict)
	})
}
