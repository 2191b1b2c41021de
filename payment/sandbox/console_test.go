package sandbox_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/payment"
	"shop/payment/sandbox"
)

// TestControlAPI covers the JSON control API.
func TestControlAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	c := e.client(payment.MD5)
	no, other := newOutTradeNo("api"), newOutTradeNo("api")
	e.createTrade(c, e.tradeRequest(payment.ServiceWAP, no))
	e.createTrade(c, e.tradeRequest(payment.ServiceWAP, other))

	var tradeNo string
	t.Run("pay", func(t *testing.T) {
		res := e.apiPay(no)
		assert.Equal(t, no, res["out_trade_no"])
		assert.Regexp(t, regexp.MustCompile(`^\d{8}22001\d{15}$`), res["trade_no"], "28 digits: date, 22001, random")
		assert.Equal(t, "TRADE_FINISHED", res["trade_status"])
		tradeNo = res["trade_no"]
		again := e.apiPay(no)
		assert.Equal(t, tradeNo, again["trade_no"], "paying again changes nothing")
		d := e.site.waitDeliveries(t, no, 1)
		n, err := c.ParseNotification(d[0].Body, d[0].ContentType)
		require.NoError(t, err)
		assert.Equal(t, tradeNo, n.TradeNo)
	})
	t.Run("close", func(t *testing.T) {
		resp, body := e.post(e.srv.URL+"/sandbox/api/trades/"+other+"/close", nil, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		var res map[string]string
		require.NoError(t, json.Unmarshal([]byte(body), &res))
		assert.Equal(t, "TRADE_CLOSED", res["trade_status"])
		resp, body = e.post(e.srv.URL+"/sandbox/api/trades/"+other+"/pay", nil, nil)
		assert.Equal(t, http.StatusConflict, resp.StatusCode, "a closed trade cannot be paid: %s", body)
		resp, body = e.post(e.srv.URL+"/sandbox/api/trades/"+no+"/close", nil, nil)
		assert.Equal(t, http.StatusConflict, resp.StatusCode, "a paid trade cannot be closed: %s", body)
	})
	t.Run("unknown trade", func(t *testing.T) {
		for _, action := range []string{"pay", "close"} {
			resp, body := e.post(e.srv.URL+"/sandbox/api/trades/nosuchtrade/"+action, nil, nil)
			assert.Equal(t, http.StatusNotFound, resp.StatusCode, body)
			assert.Contains(t, body, "TRADE_NOT_EXIST")
		}
	})
	t.Run("two partners, one out_trade_no", func(t *testing.T) {
		shared := newOutTradeNo("shared")
		e.createTrade(c, e.tradeRequest(payment.ServiceWAP, shared))
		e.createTrade(e.clientFor(md5OnlyPartner, payment.MD5), e.tradeRequest(payment.ServiceWAP, shared))
		resp, body := e.post(e.srv.URL+"/sandbox/api/trades/"+shared+"/pay", nil, nil)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, body)
		resp, body = e.post(e.srv.URL+"/sandbox/api/trades/"+shared+"/pay?partner="+md5OnlyPartner, nil, nil)
		assert.Equal(t, http.StatusOK, resp.StatusCode, body)
	})
	t.Run("notifications", func(t *testing.T) {
		ns := e.waitNotifications(no, func(ns []sandbox.Notification) bool {
			return len(ns) == 1 && ns[0].State == "delivered"
		})
		n := ns[0]
		assert.Equal(t, partner, n.Partner)
		assert.Equal(t, no, n.OutTradeNo)
		assert.Equal(t, "TRADE_FINISHED", n.TradeStatus)
		assert.Equal(t, e.site.notifyURL(), n.URL)
		require.Len(t, n.Deliveries, 1)
		assert.Equal(t, http.StatusOK, n.Deliveries[0].StatusCode)
		assert.Equal(t, "success", n.Deliveries[0].Body)
		resp, body := e.post(e.srv.URL+"/sandbox/api/notifications/"+n.NotifyID+"/deliver", nil, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		var a sandbox.Attempt
		require.NoError(t, json.Unmarshal([]byte(body), &a))
		assert.True(t, a.Success)
		assert.True(t, a.Manual)
		assert.Len(t, e.notifications(no)[0].Deliveries, 2)
		assert.Len(t, e.site.deliveries(no), 2)
	})
}

// TestConsole renders the console, uses its forms as a browser does, and
// checks that only same-origin posts reach it while the gateway and the
// app endpoint take cross-site posts.
func TestConsole(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	c := e.client(payment.MD5)
	paid, open, toClose := newOutTradeNo("con"), newOutTradeNo("con"), newOutTradeNo("con")
	e.site.setAnswer(func(string, int) (int, string) { return http.StatusOK, "fail" })
	e.paidTrade(c, e.tradeRequest(payment.ServiceWAP, paid))
	e.createTrade(c, e.tradeRequest(payment.ServiceWAP, open))
	e.createTrade(c, e.tradeRequest(payment.ServiceWAP, toClose))
	_, err := c.Refund(ctx(t), payment.RefundRequest{OutReturnNo: "CONR1", OutTradeNo: paid, Currency: "USD", Amount: 100, ProductCode: payment.ProductWAP})
	require.NoError(t, err)
	ns := e.waitNotifications(paid, func(ns []sandbox.Notification) bool { return len(ns) == 1 && len(ns[0].Deliveries) == 1 })

	console := e.srv.URL + "/sandbox/"
	t.Run("renders", func(t *testing.T) {
		resp, body := e.get(console)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Contains(t, resp.Header.Get("Content-Type"), "text/html")
		for _, s := range []string{paid, open, ns[0].NotifyID, "CONR1", "PROCESSING", "HTTP 200", "<code>fail</code>", "1 / 8", "Fault injection",
			`name="file_fault"`, "forex_compare_file", "alipay.acquire.refund.query"} {
			assert.Contains(t, body, s)
		}
		assert.Contains(t, body, `action="/sandbox/console/pay"`)
	})

	form := func(kv ...string) url.Values {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	cases := []struct {
		name   string
		action string
		form   url.Values
		check  func(t *testing.T)
	}{
		{"pay", "pay", form("partner", partner, "out_trade_no", open), func(t *testing.T) {
			assert.Equal(t, "TRADE_FINISHED", e.apiTrade(open).Status)
		}},
		{"close", "close", form("partner", partner, "out_trade_no", toClose), func(t *testing.T) {
			assert.Equal(t, "TRADE_CLOSED", e.apiTrade(toClose).Status)
		}},
		{"deliver", "deliver", form("notify_id", ns[0].NotifyID), func(t *testing.T) {
			n := e.notifications(paid)[0]
			require.Len(t, n.Deliveries, 2)
			assert.True(t, n.Deliveries[1].Manual)
		}},
		{"faults", "faults", form("gbk_responses", "on", "app_result", "6001", "paid_status", "TRADE_SUCCESS",
			"fail_5xx", "single_trade_query", "delay_service", "forex_rate_file", "delay_ms", "5", "file_fault", "alter_amount"), func(t *testing.T) {
			f := e.sb.Faults()
			assert.Equal(t, "alter_amount", f.FileFault)
			assert.True(t, f.GBKResponses)
			assert.Equal(t, "6001", f.AppResult)
			assert.Equal(t, payment.TradeSuccess, f.PaidStatus)
			assert.True(t, f.Services["single_trade_query"].Fail5xx)
			assert.Equal(t, 5, f.Services["forex_rate_file"].DelayMS)
			assert.False(t, f.DuplicateNotify)
		}},
	}
	for _, tc := range cases {
		t.Run("form "+tc.name, func(t *testing.T) {
			u := e.srv.URL + "/sandbox/console/" + tc.action
			resp, body := e.post(u, tc.form, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"})
			assert.Equal(t, http.StatusForbidden, resp.StatusCode, "cross-site post refused: %s", body)
			resp, body = e.post(u, tc.form, map[string]string{"Origin": "https://evil.example"})
			assert.Equal(t, http.StatusForbidden, resp.StatusCode, "post from another origin refused: %s", body)

			resp, body = e.post(u, tc.form, map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": e.srv.URL})
			require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
			loc := resp.Header.Get("Location")
			assert.True(t, strings.HasPrefix(loc, "/sandbox/?msg="), loc)
			assert.NotContains(t, loc, "Error")
			tc.check(t)
			resp, body = e.get(e.abs(loc))
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			msg, _ := url.QueryUnescape(strings.TrimPrefix(loc, "/sandbox/?msg="))
			assert.Contains(t, body, msg, "the console shows what happened")
		})
	}
	t.Run("form error is shown", func(t *testing.T) {
		resp, _ := e.post(e.srv.URL+"/sandbox/console/pay", form("out_trade_no", "nosuchtrade"), sameOrigin)
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		assert.Contains(t, resp.Header.Get("Location"), "Error")
	})
	e.setFaults(`{}`)

	t.Run("cashier buttons are same-origin only", func(t *testing.T) {
		cashier := e.createTrade(c, e.tradeRequest(payment.ServiceWAP, newOutTradeNo("csrf")))
		resp, body := e.post(cashier+"/pay", url.Values{}, map[string]string{"Sec-Fetch-Site": "cross-site"})
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, body)
	})
	t.Run("the gateway takes cross-site posts", func(t *testing.T) {
		f, err := c.PayForm(e.tradeRequest(payment.ServiceWAP, newOutTradeNo("xs")))
		require.NoError(t, err)
		v := url.Values{}
		for k, val := range f.Fields {
			v.Set(k, val)
		}
		e.cashierFor(e.post(f.Action, v, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://shop.example"}))
		q := signed(t, payment.MD5, payment.Params{"service": string(payment.ServiceQuery), "out_trade_no": paid})
		resp, body := e.post(e.gateway(), url.Values(mapValues(q)), map[string]string{"Sec-Fetch-Site": "cross-site"})
		assert.Equal(t, "", xmlCode(t, resp, body))
	})
	t.Run("the app endpoint takes cross-site posts", func(t *testing.T) {
		r, err := e.client(payment.RSA2).AppOrderString(payment.AppPayRequest{OutTradeNo: newOutTradeNo("xsapp"),
			Subject: "coffee", Body: "test", Currency: "USD", TotalFee: 500, NotifyURL: e.site.notifyURL()})
		require.NoError(t, err)
		res := e.appPay(r, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://app.example"})
		assert.Equal(t, "9000", res.ResultStatus, res.Memo)
	})
	t.Run("the control API refuses cross-site posts", func(t *testing.T) {
		resp, _ := e.post(e.srv.URL+"/sandbox/api/trades/"+paid+"/pay", nil, map[string]string{"Sec-Fetch-Site": "cross-site"})
		assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	})
}

func mapValues(p payment.Params) map[string][]string {
	v := map[string][]string{}
	for k, s := range p {
		v[k] = []string{s}
	}
	return v
}

// TestImports checks that the sandbox imports nothing of the shop.
func TestImports(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	require.NoError(t, err, string(out))
	deps := strings.Fields(string(out))
	require.Contains(t, deps, "shop/payment", "the list is the sandbox's dependencies")
	for _, forbidden := range []string{"shop/models", "shop/handlers", "shop", "github.com/gin-gonic/gin"} {
		assert.NotContains(t, deps, forbidden)
	}
	for _, d := range deps {
		assert.False(t, strings.HasPrefix(d, "shop/") && d != "shop/payment" && d != "shop/payment/sandbox", "imports %s", d)
	}
}
