package sandbox_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/payment"
)

// TestQueryRules covers single_trade_query through a trade's life.
func TestQueryRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	c := e.client(payment.RSA)
	unopened, opened, paid, closed := newOutTradeNo("q"), newOutTradeNo("q"), newOutTradeNo("q"), newOutTradeNo("q")
	e.createTrade(c, e.tradeRequest(payment.ServiceWAP, unopened))
	e.openCashier(e.createTrade(c, e.tradeRequest(payment.ServiceWAP, opened)))
	paidTradeNo := e.paidTrade(c, e.tradeRequest(payment.ServiceWAP, paid))["trade_no"]
	e.openCashier(e.createTrade(c, e.tradeRequest(payment.ServiceWAP, closed)))
	resp, body := e.post(e.srv.URL+"/sandbox/api/trades/"+closed+"/close", nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	openedTradeNo := e.apiTrade(opened).TradeNo
	require.NotNil(t, openedTradeNo, "opening the cashier creates the Alipay trade")

	cases := []struct {
		name    string
		q       payment.QueryRequest
		code    string
		status  payment.TradeStatus
		outNo   string
		tradeNo string
	}{
		{"before the buyer opened the cashier", payment.QueryRequest{OutTradeNo: unopened}, "TRADE_NOT_EXIST", "", "", ""},
		{"unknown out_trade_no", payment.QueryRequest{OutTradeNo: "nosuchtrade"}, "TRADE_NOT_EXIST", "", "", ""},
		{"unknown trade_no", payment.QueryRequest{TradeNo: "2026030122001999999999999999"}, "TRADE_NOT_EXIST", "", "", ""},
		{"after opening", payment.QueryRequest{OutTradeNo: opened}, "", payment.WaitBuyerPay, opened, *openedTradeNo},
		{"after opening, by trade_no", payment.QueryRequest{TradeNo: *openedTradeNo}, "", payment.WaitBuyerPay, opened, *openedTradeNo},
		{"paid, by out_trade_no", payment.QueryRequest{OutTradeNo: paid}, "", payment.TradeFinished, paid, paidTradeNo},
		{"paid, by trade_no", payment.QueryRequest{TradeNo: paidTradeNo}, "", payment.TradeFinished, paid, paidTradeNo},
		{"paid, by both", payment.QueryRequest{TradeNo: paidTradeNo, OutTradeNo: paid}, "", payment.TradeFinished, paid, paidTradeNo},
		{"closed", payment.QueryRequest{OutTradeNo: closed}, "", payment.TradeClosed, closed, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := c.QueryTrade(ctx(t), tc.q)
			if tc.code != "" {
				assert.Equal(t, tc.code, gatewayCode(err), "%v", err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.status, tr.TradeStatus)
			assert.Equal(t, tc.outNo, tr.OutTradeNo)
			if tc.tradeNo != "" {
				assert.Equal(t, tc.tradeNo, tr.TradeNo)
			}
			assert.Equal(t, "100.00", tr.TotalFee)
			assert.Equal(t, "kids clothing", tr.Subject)
		})
	}

	t.Run("trade_no wins over out_trade_no", func(t *testing.T) {
		p := signed(t, payment.MD5, payment.Params{"service": string(payment.ServiceQuery), "trade_no": paidTradeNo, "out_trade_no": opened})
		resp, body := e.send(p)
		require.Equal(t, "", xmlCode(t, resp, body))
		assert.Contains(t, body, "<out_trade_no>"+paid+"</out_trade_no>")
		assert.Contains(t, body, "<trade_status>TRADE_FINISHED</trade_status>")
	})
	t.Run("neither trade_no nor out_trade_no", func(t *testing.T) {
		p := signed(t, payment.MD5, payment.Params{"service": string(payment.ServiceQuery)})
		resp, body := e.send(p)
		assert.Equal(t, "ILLEGAL_ARGUMENT", xmlCode(t, resp, body))
	})
	t.Run("another partner's trade", func(t *testing.T) {
		_, err := e.clientFor(md5OnlyPartner, payment.MD5).QueryTrade(ctx(t), payment.QueryRequest{OutTradeNo: paid})
		assert.ErrorIs(t, err, payment.ErrTradeNotExist)
	})
	t.Run("paid status TRADE_SUCCESS", func(t *testing.T) {
		e.setFaults(`{"paid_status":"TRADE_SUCCESS"}`)
		defer e.setFaults(`{}`)
		no := newOutTradeNo("succ")
		res := e.paidTrade(c, e.tradeRequest(payment.ServiceWAP, no))
		assert.Equal(t, "TRADE_SUCCESS", res["trade_status"])
		tr, err := c.QueryTrade(ctx(t), payment.QueryRequest{OutTradeNo: no})
		require.NoError(t, err)
		assert.Equal(t, payment.TradeSuccess, tr.TradeStatus)
	})
}

// TestNotifyVerify covers notify_verify's answers, the TTL on an injected clock.
func TestNotifyVerify(t *testing.T) {
	t.Parallel()
	clk := newClock()
	e := newEnv(t, options{now: clk.Now})
	c := e.client(payment.MD5)
	// Unanswered, the notify_ids stay alive; "success" spends them (below).
	e.site.setAnswer(func(string, int) (int, string) { return http.StatusOK, "fail" })
	no, other := newOutTradeNo("nv"), newOutTradeNo("nv")
	e.paidTrade(c, e.tradeRequest(payment.ServiceWAP, no))
	e.paidTrade(e.clientFor(md5OnlyPartner, payment.MD5), e.tradeRequest(payment.ServiceWAP, other))
	id := e.site.waitDeliveries(t, no, 1)[0].Form.Get("notify_id")
	otherID := e.site.waitDeliveries(t, other, 1)[0].Form.Get("notify_id")
	require.Len(t, id, 34)

	verify := func(q url.Values) string {
		t.Helper()
		resp, body := e.get(e.gateway() + "?" + q.Encode())
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Contains(t, resp.Header.Get("Content-Type"), "text/plain")
		return body
	}
	q := func(pid, nid string) url.Values {
		v := url.Values{"service": {"notify_verify"}}
		if pid != "" {
			v.Set("partner", pid)
		}
		if nid != "" {
			v.Set("notify_id", nid)
		}
		return v
	}
	cases := []struct {
		name    string
		q       url.Values
		advance time.Duration // moved on the clock before asking
		want    string
	}{
		{"issued to that partner", q(partner, id), 0, "true"},
		{"the other partner's own id", q(md5OnlyPartner, otherID), 0, "true"},
		{"unknown id", q(partner, "0123456789abcdef0123456789abcdef0a"), 0, "false"},
		{"another partner's id", q(md5OnlyPartner, id), 0, "false"},
		{"unknown partner", q(unknownPartner, id), 0, "false"},
		{"no notify_id", q(partner, ""), 0, "invalid"},
		{"no partner", q("", id), 0, "invalid"},
		{"no parameters", q("", ""), 0, "invalid"},
		{"just within the TTL", q(partner, id), 60 * time.Second, "true"},
		{"latest attempt older than the TTL", q(partner, id), time.Second, "false"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk.Advance(tc.advance)
			assert.Equal(t, tc.want, verify(tc.q))
		})
	}
	t.Run("through package payment", func(t *testing.T) {
		assert.ErrorIs(t, c.NotifyVerify(ctx(t), id), payment.ErrNotifyNotVerified, "expired")
		assert.ErrorIs(t, c.NotifyVerify(ctx(t), "0123456789abcdef0123456789abcdef0a"), payment.ErrNotifyNotVerified)
	})
	t.Run("a negative TTL is forever", func(t *testing.T) {
		clk := newClock()
		e := newEnv(t, options{now: clk.Now, ttl: -1})
		e.site.setAnswer(func(string, int) (int, string) { return http.StatusOK, "fail" })
		no := newOutTradeNo("nvf")
		e.paidTrade(e.client(payment.MD5), e.tradeRequest(payment.ServiceWAP, no))
		id := e.site.waitDeliveries(t, no, 1)[0].Form.Get("notify_id")
		clk.Advance(30 * 24 * time.Hour)
		resp, body := e.get(e.gateway() + "?" + q(partner, id).Encode())
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "true", body)
	})
	t.Run("a new attempt renews the TTL", func(t *testing.T) {
		resp, body := e.post(e.srv.URL+"/sandbox/api/notifications/"+id+"/deliver", nil, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		assert.Equal(t, "true", verify(q(partner, id)))
		assert.NoError(t, c.NotifyVerify(ctx(t), id))
	})
	t.Run("answered success, the notify_id is spent", func(t *testing.T) {
		answered := make(chan string, 4)
		e.site.setDuring(func(d delivery) {
			// While the merchant handles the delivery, the id verifies.
			answered <- verify(q(partner, d.Form.Get("notify_id")))
		})
		defer e.site.setDuring(nil)
		e.site.setAnswer(nil) // success
		resp, body := e.post(e.srv.URL+"/sandbox/api/notifications/"+id+"/deliver", nil, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		assert.Equal(t, "true", <-answered, "during the delivery")
		assert.Equal(t, "false", verify(q(partner, id)), "once answered success")
		assert.ErrorIs(t, c.NotifyVerify(ctx(t), id), payment.ErrNotifyNotVerified)

		// A replay, sent by hand, does not revive it.
		resp, body = e.post(e.srv.URL+"/sandbox/api/notifications/"+id+"/deliver", nil, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		assert.Equal(t, "false", <-answered, "during a replay")
		assert.Equal(t, "false", verify(q(partner, id)))
	})
}
