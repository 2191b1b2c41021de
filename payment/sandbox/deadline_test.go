package sandbox_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/payment"
)

// validFor is how long the trades of these tests may be paid.
const validFor = 10 * time.Minute

// deadlinePath is one way of paying, set up before the deadline and tried
// at some instant around it.
type deadlinePath struct {
	name       string
	outTradeNo string
	opened     bool                            // the trade exists at Alipay: the buyer opened it before the deadline
	try        func() (paid bool, code string) // code is the refusal's
}

// webDeadline is a trade request paid by created + validFor.
func (e *env) webDeadline(svc payment.Service, created time.Time) payment.TradeRequest {
	req := e.tradeRequest(svc, newOutTradeNo("dl"))
	req.OrderGMTCreate, req.OrderValidTime = created, validFor
	return req
}

// appDeadline is an app order string with it_b_pay at created + validFor.
func (e *env) appDeadline(c *payment.Client, created time.Time) (outTradeNo, orderString string) {
	no := newOutTradeNo("dlapp")
	s, err := c.AppOrderString(payment.AppPayRequest{OutTradeNo: no, Subject: "coffee", Body: "test", Currency: "USD",
		TotalFee: 1234, NotifyURL: e.site.notifyURL(), ItBPayDeadline: created.Add(validFor)})
	require.NoError(e.t, err)
	return no, s
}

// pageOutcome follows a gateway or cashier answer the way the buyer does,
// to the cashier and on through Pay, and says whether the trade got paid
// or the code of the page that refused.
func (e *env) pageOutcome(resp *http.Response, body string) (bool, string) {
	e.t.Helper()
	for {
		switch {
		case resp.StatusCode == http.StatusSeeOther && strings.Contains(resp.Header.Get("Location"), "/sandbox/cashier/"):
			resp, body = e.get(e.abs(resp.Header.Get("Location")))
		case resp.StatusCode == http.StatusSeeOther:
			return true, "" // sent back to the merchant's return_url, paid
		case resp.StatusCode == http.StatusOK:
			pay := e.abs(resp.Request.URL.Path + "/pay")
			resp, body = e.post(pay, url.Values{}, sameOrigin)
		default:
			return false, pageCode(e.t, resp, body)
		}
	}
}

// apiPayOutcome pays through the control API.
func (e *env) apiPayOutcome(no string) (bool, string) {
	resp, body := e.post(e.srv.URL+"/sandbox/api/trades/"+no+"/pay", nil, nil)
	if resp.StatusCode == http.StatusOK {
		return true, ""
	}
	var out struct {
		Error struct{ Code string } `json:"error"`
	}
	require.NoError(e.t, json.Unmarshal([]byte(body), &out), body)
	return false, out.Error.Code
}

func (e *env) appOutcome(orderString string) (bool, string) {
	res := e.appPay(orderString, nil)
	code, _, _ := strings.Cut(res.Memo, ":")
	return res.ResultStatus == "9000", code
}

// deadlinePaths sets up every way of paying a trade whose deadline is
// created + validFor, as the clock stands at created.
func (e *env) deadlinePaths(c *payment.Client, created time.Time) []deadlinePath {
	var paths []deadlinePath
	add := func(name, no string, opened bool, try func() (bool, string)) {
		paths = append(paths, deadlinePath{name, no, opened, try})
	}
	notOpened := e.webDeadline(payment.ServiceWAP, created)
	cashier := e.createTrade(c, notOpened)
	add("opening the cashier", notOpened.OutTradeNo, false, func() (bool, string) { return e.pageOutcome(e.get(cashier)) })
	for _, svc := range []payment.Service{payment.ServiceWAP, payment.ServicePC} {
		req := e.webDeadline(svc, created)
		cashier := e.createTrade(c, req)
		e.openCashier(cashier)
		add("pressing Pay, "+string(svc), req.OutTradeNo, true, func() (bool, string) {
			return e.pageOutcome(e.post(cashier+"/pay", url.Values{}, sameOrigin))
		})
	}
	api := e.webDeadline(payment.ServiceWAP, created)
	e.createTrade(c, api)
	add("the control API", api.OutTradeNo, false, func() (bool, string) { return e.apiPayOutcome(api.OutTradeNo) })
	again := e.webDeadline(payment.ServiceWAP, created)
	e.createTrade(c, again)
	againURL, err := c.PayURL(again)
	require.NoError(e.t, err)
	add("the pay URL again", again.OutTradeNo, false, func() (bool, string) { return e.pageOutcome(e.get(againURL)) })
	never := e.webDeadline(payment.ServiceWAP, created)
	neverURL, err := c.PayURL(never)
	require.NoError(e.t, err)
	add("a pay URL never opened", never.OutTradeNo, false, func() (bool, string) { return e.pageOutcome(e.get(neverURL)) })
	appNo, appString := e.appDeadline(c, created)
	add("the app endpoint", appNo, false, func() (bool, string) { return e.appOutcome(appString) })

	// App trades the buyer cancelled in the SDK before the deadline.
	e.setFaults(`{"app_result":"6001"}`)
	cancelledNo, cancelled := e.appDeadline(c, created)
	require.Equal(e.t, "6001", e.appPay(cancelled, nil).ResultStatus)
	cancelledAPINo, cancelledAPI := e.appDeadline(c, created)
	require.Equal(e.t, "6001", e.appPay(cancelledAPI, nil).ResultStatus)
	e.setFaults(`{}`)
	add("the app endpoint again", cancelledNo, true, func() (bool, string) { return e.appOutcome(cancelled) })
	add("the control API on an app trade", cancelledAPINo, true, func() (bool, string) { return e.apiPayOutcome(cancelledAPINo) })
	return paths
}

// TestDeadlineEveryPath pays 1 ns before the deadline and tries at it and
// after it, on every path a payment can take. Nothing sweeps in between:
// each path must refuse by itself.
func TestDeadlineEveryPath(t *testing.T) {
	t.Parallel()
	instants := []struct {
		name    string
		offset  time.Duration // from the deadline
		payable bool
	}{
		{"1ns before the deadline", -time.Nanosecond, true},
		{"at the deadline", 0, false},
		{"an hour after the deadline", time.Hour, false},
	}
	for _, at := range instants {
		t.Run(at.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, options{noRun: true})
			c := e.client(payment.RSA2)
			created := e.clock.Now()
			deadline := created.Add(validFor)
			paths := e.deadlinePaths(c, created)
			e.clock.Set(deadline.Add(at.offset))
			for _, p := range paths {
				t.Run(p.name, func(t *testing.T) {
					paid, code := p.try()
					tr, err := c.QueryTrade(ctx(t), payment.QueryRequest{OutTradeNo: p.outTradeNo})
					if at.payable {
						assert.True(t, paid, "refused with %s", code)
						require.NoError(t, err)
						assert.True(t, tr.TradeStatus.Paid(), tr.TradeStatus)
						return
					}
					assert.False(t, paid)
					assert.Equal(t, "TRADE_HAS_CLOSE", code)
					assert.Empty(t, e.notifications(p.outTradeNo), "nothing paid, nothing notified")
					if !p.opened {
						assert.ErrorIs(t, err, payment.ErrTradeNotExist, "never opened: never existed at Alipay")
						return
					}
					require.NoError(t, err)
					assert.Equal(t, payment.TradeClosed, tr.TradeStatus)
					assert.True(t, tr.GmtClose.Equal(deadline), "gmt_close %s is the deadline %s", tr.GmtClose, deadline)
				})
			}
		})
	}
}

// TestDeadlineSweeper has the sweeper close trades at their deadline.
func TestDeadlineSweeper(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{noRun: true})
	c := e.client(payment.MD5)
	created := e.clock.Now()
	deadline := created.Add(validFor)
	opened, unopened := e.webDeadline(payment.ServiceWAP, created), e.webDeadline(payment.ServicePC, created)
	openedCashier := e.createTrade(c, opened)
	e.openCashier(openedCashier)
	unopenedCashier := e.createTrade(c, unopened)

	e.clock.Set(deadline.Add(-time.Nanosecond))
	e.round()
	assert.Equal(t, "WAIT_BUYER_PAY", e.apiTrade(opened.OutTradeNo).Status, "not yet")
	assert.Equal(t, "WAIT_BUYER_PAY", e.apiTrade(unopened.OutTradeNo).Status, "not yet")

	e.clock.Set(deadline)
	e.round()
	for _, no := range []string{opened.OutTradeNo, unopened.OutTradeNo} {
		tr := e.apiTrade(no)
		assert.Equal(t, "TRADE_CLOSED", tr.Status, no)
		require.NotNil(t, tr.ClosedAt)
		assert.True(t, tr.ClosedAt.Equal(deadline), "closed at the deadline, not when swept")
	}
	tr, err := c.QueryTrade(ctx(t), payment.QueryRequest{OutTradeNo: opened.OutTradeNo})
	require.NoError(t, err)
	assert.Equal(t, payment.TradeClosed, tr.TradeStatus)
	_, err = c.QueryTrade(ctx(t), payment.QueryRequest{OutTradeNo: unopened.OutTradeNo})
	assert.ErrorIs(t, err, payment.ErrTradeNotExist)
	for _, cashier := range []string{openedCashier, unopenedCashier} {
		resp, body := e.get(cashier)
		assert.Equal(t, "TRADE_HAS_CLOSE", pageCode(t, resp, body))
	}
	assert.Empty(t, e.notifications(opened.OutTradeNo), "no notification for a timeout")
}
