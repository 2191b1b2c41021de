package sandbox_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/payment"
)

// TestFaultService5xx makes a service answer 502: the client sees ErrGateway.
func TestFaultService5xx(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	c := e.client(payment.MD5)
	no := newOutTradeNo("f5")
	e.paidTrade(c, e.tradeRequest(payment.ServiceWAP, no))
	e.setFaults(`{"services":{"single_trade_query":{"fail_5xx":true},"forex_refund":{"fail_5xx":true},
		"notify_verify":{"fail_5xx":true},"create_forex_trade_wap":{"fail_5xx":true}}}`)

	_, err := c.QueryTrade(ctx(t), payment.QueryRequest{OutTradeNo: no})
	assert.ErrorIs(t, err, payment.ErrGateway)
	_, err = c.Refund(ctx(t), payment.RefundRequest{OutReturnNo: "R1", OutTradeNo: no, Currency: "USD", Amount: 100, ProductCode: payment.ProductWAP})
	assert.ErrorIs(t, err, payment.ErrGateway)
	assert.Empty(t, e.refunds(no), "a 502 refunds nothing")
	assert.ErrorIs(t, c.NotifyVerify(ctx(t), "0123456789abcdef0123456789abcdef0a"), payment.ErrGateway)
	u, err := c.PayURL(e.tradeRequest(payment.ServiceWAP, newOutTradeNo("f5")))
	require.NoError(t, err)
	resp, _ := e.get(u)
	assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
	_, err = c.ForexRates(ctx(t))
	assert.NoError(t, err, "other services are unaffected")

	e.setFaults(`{}`)
	_, err = c.QueryTrade(ctx(t), payment.QueryRequest{OutTradeNo: no})
	assert.NoError(t, err, "cleared")
}

// TestFaultDelay slows a service down.
func TestFaultDelay(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	c := e.client(payment.MD5)
	e.setFaults(`{"services":{"forex_rate_file":{"delay_ms":300}}}`)
	start := time.Now()
	_, err := c.ForexRates(ctx(t))
	require.NoError(t, err)
	// A lower bound, which a slow machine can only exceed.
	assert.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond)

	// The longest delay there is: a client that gives up sooner times out
	// however fast or slow the machine, and a delay leaking into another
	// service would outlast ctx(t).
	e.setFaults(`{"services":{"forex_rate_file":{"delay_ms":120000}}}`)
	ak, mk := keys(t)
	hc := httpClient(t)
	hc.Timeout = 100 * time.Millisecond
	impatient, err := payment.NewClient(payment.Config{Gateway: e.gateway(), Partner: partner, SignType: payment.RSA2,
		PrivateKey: mk, AlipayPublicKey: &ak.PublicKey, HTTPClient: hc})
	require.NoError(t, err)
	_, err = impatient.ForexRates(ctx(t))
	assert.ErrorIs(t, err, payment.ErrGateway, "a client that times out")

	// Only the configured service is slow: another one answers.
	_, err = c.QueryTrade(ctx(t), payment.QueryRequest{OutTradeNo: "nosuchtrade"})
	assert.ErrorIs(t, err, payment.ErrTradeNotExist)
}

// TestFaultNotifications covers duplicate, out-of-order and corrupt notifications.
func TestFaultNotifications(t *testing.T) {
	t.Parallel()
	t.Run("duplicate", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, options{noRun: true})
		c := e.client(payment.RSA)
		e.setFaults(`{"duplicate_notify":true}`)
		no := newOutTradeNo("dup")
		e.paidTrade(c, e.tradeRequest(payment.ServiceWAP, no))
		e.round()
		ds := e.site.deliveries(no)
		require.Len(t, ds, 2)
		assert.Equal(t, ds[0].Form.Get("notify_id"), ds[1].Form.Get("notify_id"))
		for _, d := range ds {
			_, err := c.ParseNotification(d.Body, d.ContentType)
			assert.NoError(t, err)
		}
		ns := e.notifications(no)
		require.Len(t, ns, 1)
		assert.Equal(t, "delivered", ns[0].State)
		assert.Len(t, ns[0].Deliveries, 2, "two deliveries recorded for the one attempt")
		assert.Equal(t, 1, ns[0].Attempts)
		e.clock.Advance(30 * 24 * time.Hour) // past every retry there could be
		e.round()
		assert.Len(t, e.site.deliveries(no), 2)
	})
	t.Run("out of order", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, options{noRun: true})
		c := e.client(payment.RSA2)
		e.setFaults(`{"out_of_order_notify":true}`)
		for i := 0; i < 5; i++ { // the order must hold every time
			no := newOutTradeNo("ooo")
			e.paidTrade(c, e.tradeRequest(payment.ServiceWAP, no))
			// The second is due a second after the first: both are due
			// in the same round, which must keep their order.
			e.clock.Advance(time.Second)
			e.round()
			ds := e.site.deliveries(no)
			require.Len(t, ds, 2)
			var got []payment.TradeStatus
			ids := map[string]bool{}
			for _, d := range ds {
				n, err := c.ParseNotification(d.Body, d.ContentType)
				require.NoError(t, err)
				got = append(got, n.TradeStatus)
				ids[n.NotifyID] = true
			}
			assert.Equal(t, []payment.TradeStatus{payment.TradeFinished, payment.TradeSuccess}, got)
			assert.Len(t, ids, 2, "two notifications, two notify_ids")
		}
	})
	t.Run("corrupt signature", func(t *testing.T) {
		t.Parallel()
		for _, st := range signTypes {
			t.Run(string(st), func(t *testing.T) {
				e := newEnv(t, options{})
				c := e.client(st)
				no := newOutTradeNo("bad")
				cashier := e.createTrade(c, e.tradeRequest(payment.ServiceWAP, no))
				e.openCashier(cashier)
				e.setFaults(`{"corrupt_sign":true}`)
				ret := e.payCashier(cashier)
				_, err := c.ParseReturn(ret.RawQuery)
				assert.ErrorIs(t, err, payment.ErrSignature, "return")
				d := e.site.waitDeliveries(t, no, 1)[0]
				_, err = c.ParseNotification(d.Body, d.ContentType)
				assert.ErrorIs(t, err, payment.ErrSignature, "notification")
				_, err = c.QueryTrade(ctx(t), payment.QueryRequest{OutTradeNo: no})
				assert.ErrorIs(t, err, payment.ErrSignature, "query")

				e.setFaults(`{}`)
				_, err = c.QueryTrade(ctx(t), payment.QueryRequest{OutTradeNo: no})
				assert.NoError(t, err, "cleared")
				ds := e.site.deliveries(no)
				_, err = c.ParseNotification(ds[len(ds)-1].Body, ds[len(ds)-1].ContentType)
				assert.ErrorIs(t, err, payment.ErrSignature, "a notification keeps the signature it was created with")
			})
		}
	})
}

// TestFaultGBK answers XML in GBK, Chinese text included.
func TestFaultGBK(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	for _, st := range signTypes {
		t.Run(string(st), func(t *testing.T) {
			c := e.client(st)
			no := newOutTradeNo("gbkx")
			req := e.tradeRequest(payment.ServiceWAP, no)
			req.Subject = "儿童服装 kids"
			e.paidTrade(c, req)
			e.setFaults(`{"gbk_responses":true}`)
			defer e.setFaults(`{}`)
			p := signed(t, st, payment.Params{"service": string(payment.ServiceQuery), "out_trade_no": no})
			resp, body := e.send(p)
			assert.Contains(t, resp.Header.Get("Content-Type"), "GBK")
			assert.True(t, strings.HasPrefix(body, `<?xml version="1.0" encoding="GBK"?>`), body)
			gbk, err := payment.EncodeCharset("儿童服装", "GBK")
			require.NoError(t, err)
			assert.Contains(t, body, string(gbk), "the subject is in GBK bytes")
			assert.NotContains(t, body, "儿童服装")

			tr, err := c.QueryTrade(ctx(t), payment.QueryRequest{OutTradeNo: no})
			require.NoError(t, err)
			assert.Equal(t, "儿童服装 kids", tr.Subject)
			_, err = c.QueryTrade(ctx(t), payment.QueryRequest{OutTradeNo: "nosuchtrade"})
			assert.ErrorIs(t, err, payment.ErrTradeNotExist, "errors in GBK too")
		})
	}
}

// TestFaultAppResult makes the app SDK answer 6001 (cancelled), 4000
// (failed) or 8000 (processing): nothing is paid or notified.
func TestFaultAppResult(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	c := e.client(payment.RSA)
	for _, status := range []string{"6001", "4000", "8000"} {
		t.Run(status, func(t *testing.T) {
			e.setFaults(`{"app_result":"` + status + `"}`)
			no := newOutTradeNo("appf")
			os, err := c.AppOrderString(payment.AppPayRequest{OutTradeNo: no, Subject: "coffee", Body: "test",
				Currency: "USD", TotalFee: 500, NotifyURL: e.site.notifyURL()})
			require.NoError(t, err)
			res := e.appPay(os, nil)
			assert.Equal(t, status, res.ResultStatus)
			assert.Empty(t, res.Result)
			assert.NotEmpty(t, res.Memo)
			tr, err := c.QueryTrade(ctx(t), payment.QueryRequest{OutTradeNo: no})
			require.NoError(t, err, "the buyer logged in through the SDK: the trade exists")
			assert.Equal(t, payment.WaitBuyerPay, tr.TradeStatus)

			e.setFaults(`{}`)
			res = e.appPay(os, nil)
			assert.Equal(t, "9000", res.ResultStatus, "paying the same order string again: %s", res.Memo)
			tr, err = c.QueryTrade(ctx(t), payment.QueryRequest{OutTradeNo: no})
			require.NoError(t, err)
			assert.True(t, tr.TradeStatus.Paid())
			assert.Len(t, e.site.waitDeliveries(t, no, 1), 1)
		})
	}
	t.Run("the order string as a form field", func(t *testing.T) {
		no := newOutTradeNo("appform")
		os, err := c.AppOrderString(payment.AppPayRequest{OutTradeNo: no, Subject: "coffee", Body: "test",
			Currency: "USD", TotalFee: 500, NotifyURL: e.site.notifyURL()})
		require.NoError(t, err)
		resp, body := e.post(e.srv.URL+"/sandbox/app/pay", map[string][]string{"order_string": {os}}, map[string]string{"Sec-Fetch-Site": "cross-site"})
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Contains(t, body, `"resultStatus":"9000"`)
	})
}

// TestFaultsAPI validates PUT /sandbox/api/faults.
func TestFaultsAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	cases := []struct {
		name string
		body string
		code int
	}{
		{"empty object resets", `{}`, http.StatusOK},
		{"unknown field", `{"no_such_knob":true}`, http.StatusBadRequest},
		{"bad app_result", `{"app_result":"1234"}`, http.StatusBadRequest},
		{"bad paid_status", `{"paid_status":"WAIT_BUYER_PAY"}`, http.StatusBadRequest},
		{"negative delay", `{"services":{"single_trade_query":{"delay_ms":-1}}}`, http.StatusBadRequest},
		{"not JSON", `fail_5xx`, http.StatusBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPut, e.srv.URL+"/sandbox/api/faults", strings.NewReader(tc.body))
			require.NoError(t, err)
			resp, body := e.do(req)
			assert.Equal(t, tc.code, resp.StatusCode, body)
		})
	}
	e.setFaults(`{"gbk_responses":true}`)
	resp, body := e.get(e.srv.URL + "/sandbox/api/faults")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, `"gbk_responses": true`)
	assert.Contains(t, body, `"app_result": "9000"`, "omitted knobs take their defaults")
}
