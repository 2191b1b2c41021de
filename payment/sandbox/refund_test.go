package sandbox_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/payment"
)

// TestRefundRules runs forex_refund through its rules in order: each step
// sees the state the ones before it left.
func TestRefundRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{refundInterval: -1}) // spacing has its own test
	c := e.client(payment.MD5)
	paid, unpaid := newOutTradeNo("refund"), newOutTradeNo("unpaid")
	e.paidTrade(c, e.tradeRequest(payment.ServiceWAP, paid)) // USD 100.00
	e.openCashier(e.createTrade(c, e.tradeRequest(payment.ServiceWAP, unpaid)))
	jpy := newOutTradeNo("jpy")
	jreq := e.tradeRequest(payment.ServiceWAP, jpy)
	jreq.Currency, jreq.TotalFee = "JPY", 1500
	e.paidTrade(c, jreq)
	rmb := newOutTradeNo("rmb")
	rreq := e.tradeRequest(payment.ServiceWAP, rmb)
	rreq.TotalFee, rreq.RMBFee = 0, 50000
	e.paidTrade(c, rreq)

	refund := func(outReturnNo, outTradeNo string, currency payment.Currency, amount int64, at time.Time) payment.RefundRequest {
		return payment.RefundRequest{OutReturnNo: outReturnNo, OutTradeNo: outTradeNo, Currency: currency,
			Amount: amount, ProductCode: payment.ProductWAP, IsSync: true, RequestedAt: at}
	}
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, payment.Beijing())
	steps := []struct {
		name     string
		req      payment.RefundRequest
		faults   string // set before the step; "" keeps them
		code     string // "" for success
		refunded int64  // the trade's refunded total afterwards
		status   payment.TradeStatus
	}{
		{"currency must match", refund("R1", paid, "EUR", 1000, t0), "", "CURRENCY_NOT_SAME", 0, payment.TradeFinished},
		{"unknown trade", refund("R1", "nosuchtrade", "USD", 1000, t0), "", "PURCHASE_TRADE_NOT_EXIST", 0, payment.TradeFinished},
		{"unpaid trade", refund("R1", unpaid, "USD", 1000, t0), "", "PURCHASE_TRADE_NOT_EXIST", 0, payment.TradeFinished},
		{"balance knob", refund("R1", paid, "USD", 3000, t0), `{"refund_balance_not_enough":true}`, "MERCHANT_BALANCE_NOT_ENOUGH", 0, payment.TradeFinished},
		{"partial refund", refund("R1", paid, "USD", 3000, t0), `{}`, "", 3000, payment.TradeFinished},
		{"same out_return_no, same data, later gmt_return", refund("R1", paid, "USD", 3000, t0.Add(time.Hour)), "", "", 3000, payment.TradeFinished},
		{"same out_return_no, other amount", refund("R1", paid, "USD", 2000, t0), "", "REPEATED_REFUNDMENT_REQUEST", 3000, payment.TradeFinished},
		{"same out_return_no, other trade", refund("R1", jpy, "JPY", 100, t0), "", "REPEATED_REFUNDMENT_REQUEST", 3000, payment.TradeFinished},
		{"cumulative refunds exceed the payment", refund("R2", paid, "USD", 7001, t0), "", "RETURN_AMOUNT_EXCEED", 3000, payment.TradeFinished},
		{"second partial refund", refund("R2", paid, "USD", 2000, t0), "", "", 5000, payment.TradeFinished},
		{"the rest closes the trade", refund("R3", paid, "USD", 5000, t0), "", "", 10000, payment.TradeClosed},
		{"closed trade", refund("R4", paid, "USD", 1, t0), "", "TRADE_HAS_CLOSE", 10000, payment.TradeClosed},
		{"retry of an executed refund after the close", refund("R3", paid, "USD", 5000, t0), "", "", 10000, payment.TradeClosed},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.faults != "" {
				e.setFaults(st.faults)
			}
			_, err := c.Refund(ctx(t), st.req)
			if st.code == "" {
				assert.NoError(t, err)
			} else {
				assert.Equal(t, st.code, gatewayCode(err), "%v", err)
			}
			tr := e.apiTrade(paid)
			assert.Equal(t, st.refunded, tr.RefundedMinor)
			assert.Equal(t, string(st.status), tr.Status)
			var sum int64
			for _, r := range e.refunds(paid) {
				sum += r.AmountMinor
			}
			assert.Equal(t, st.refunded, sum, "refunds recorded, none twice")
		})
	}
	t.Run("closed by a full refund, the query says TRADE_CLOSED", func(t *testing.T) {
		tr, err := c.QueryTrade(ctx(t), payment.QueryRequest{OutTradeNo: paid})
		require.NoError(t, err)
		assert.Equal(t, payment.TradeClosed, tr.TradeStatus)
		assert.False(t, tr.GmtClose.IsZero())
	})
	t.Run("JPY in whole yen", func(t *testing.T) {
		_, err := c.Refund(ctx(t), refund("J1", jpy, "JPY", 1500, t0))
		assert.NoError(t, err)
		assert.Equal(t, payment.TradeClosed, payment.TradeStatus(e.apiTrade(jpy).Status))
	})
	t.Run("priced in CNY: return_rmb_amount", func(t *testing.T) {
		_, err := c.Refund(ctx(t), refund("C1", rmb, "USD", 100, t0))
		assert.Equal(t, "ILLEGAL_ARGUMENT", gatewayCode(err), "return_amount on a trade priced in CNY")
		r := refund("C1", rmb, "USD", 0, t0)
		r.RMBAmount = 20000
		_, err = c.Refund(ctx(t), r)
		assert.NoError(t, err)
		assert.Equal(t, int64(20000), e.apiTrade(rmb).RefundedMinor)
		r.OutReturnNo, r.RMBAmount = "C2", 30001
		_, err = c.Refund(ctx(t), r)
		assert.Equal(t, "RETURN_AMOUNT_EXCEED", gatewayCode(err))
	})

	// What package payment would never send, signed by hand.
	jpy2 := newOutTradeNo("jpy")
	jreq.OutTradeNo = jpy2
	e.paidTrade(c, jreq)
	hand := func(change func(payment.Params)) payment.Params {
		p := payment.Params{"service": string(payment.ServiceRefund), "out_trade_no": jpy2, "out_return_no": "H1",
			"currency": "JPY", "return_amount": "1", "gmt_return": "20260301120000", "product_code": payment.ProductWAP, "is_sync": "Y"}
		change(p)
		return signed(t, payment.MD5, p)
	}
	cases := []struct {
		name   string
		params payment.Params
		code   string
	}{
		{"gmt_return with separators", hand(func(p payment.Params) { p["gmt_return"] = "2026-03-01 12:00:00" }), "ILLEGAL_ARGUMENT"},
		{"gmt_return too short", hand(func(p payment.Params) { p["gmt_return"] = "202603011200" }), "ILLEGAL_ARGUMENT"},
		{"gmt_return missing", hand(func(p payment.Params) { delete(p, "gmt_return") }), "ILLEGAL_ARGUMENT"},
		{"amount with decimals for JPY", hand(func(p payment.Params) { p["return_amount"] = "1.00" }), "ILLEGAL_ARGUMENT"},
		{"both amounts", hand(func(p payment.Params) { p["return_rmb_amount"] = "1.00" }), "ILLEGAL_ARGUMENT"},
		{"product_code missing", hand(func(p payment.Params) { delete(p, "product_code") }), "ILLEGAL_ARGUMENT"},
		{"is_sync not Y or N", hand(func(p payment.Params) { p["is_sync"] = "yes" }), "ILLEGAL_ARGUMENT"},
		{"notify_url not absolute", hand(func(p payment.Params) { p["notify_url"] = "/refund/notify" }), "ILLEGAL_ARGUMENT"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := e.send(tc.params)
			assert.Equal(t, tc.code, xmlCode(t, resp, body))
		})
	}
	t.Run("the control case is accepted", func(t *testing.T) {
		resp, body := e.send(hand(func(payment.Params) {}))
		assert.Equal(t, "", xmlCode(t, resp, body))
		assert.Equal(t, int64(1), e.apiTrade(jpy2).RefundedMinor)
	})
}

// TestConcurrentRefunds fires refunds of one trade at once: the trade is
// never refunded beyond what was paid, and every refund recorded counts.
func TestConcurrentRefunds(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{refundInterval: -1})
	c := e.client(payment.MD5)
	no := newOutTradeNo("conc")
	e.paidTrade(c, e.tradeRequest(payment.ServiceWAP, no)) // 100.00
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = c.Refund(ctx(t), payment.RefundRequest{OutReturnNo: "C" + string(rune('A'+i)), OutTradeNo: no,
				Currency: "USD", Amount: 2000, ProductCode: payment.ProductWAP, IsSync: true})
		}(i)
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else {
			assert.Contains(t, []string{"RETURN_AMOUNT_EXCEED", "TRADE_HAS_CLOSE", "SYSTEM_ERROR"}, gatewayCode(err), "%v", err)
		}
	}
	assert.Equal(t, 5, ok)
	tr := e.apiTrade(no)
	assert.Equal(t, int64(10000), tr.RefundedMinor)
	assert.Equal(t, "TRADE_CLOSED", tr.Status)
	var sum int64
	for _, r := range e.refunds(no) {
		sum += r.AmountMinor
	}
	assert.Equal(t, tr.RefundedMinor, sum)
}
