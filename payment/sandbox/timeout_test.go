package sandbox_test

import (
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/payment"
)

// TestTimeouts closes trades past their timeout_rule on an injected clock,
// one round of the sweeper at a time.
func TestTimeouts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{noRun: true})
	clk := e.clock
	c := e.client(payment.MD5)
	short, long, unopened := newOutTradeNo("to"), newOutTradeNo("to"), newOutTradeNo("to")
	sreq := e.tradeRequest(payment.ServiceWAP, short)
	sreq.TimeoutRule = "5m"
	shortCashier := e.createTrade(c, sreq)
	e.openCashier(shortCashier)
	longCashier := e.createTrade(c, e.tradeRequest(payment.ServiceWAP, long)) // default 12h
	e.openCashier(longCashier)
	unopenedCashier := e.createTrade(c, e.tradeRequest(payment.ServiceWAP, unopened))

	clk.Advance(5*time.Minute - time.Nanosecond)
	e.round()
	assert.Equal(t, "WAIT_BUYER_PAY", e.apiTrade(short).Status, "not yet")

	clk.Advance(time.Nanosecond)
	e.round()
	require.Equal(t, "TRADE_CLOSED", e.apiTrade(short).Status, "the sweeper closes a trade at its timeout_rule")
	assert.Equal(t, "WAIT_BUYER_PAY", e.apiTrade(long).Status)
	tr, err := c.QueryTrade(ctx(t), payment.QueryRequest{OutTradeNo: short})
	require.NoError(t, err)
	assert.Equal(t, payment.TradeClosed, tr.TradeStatus)
	assert.Equal(t, clk.Now().Add(-5*time.Minute).Unix(), tr.GmtCreate.Unix(), "gmt_create on the sandbox clock")
	assert.Equal(t, clk.Now().Unix(), tr.GmtClose.Unix(), "gmt_close on the sandbox clock")

	t.Run("the cashier of an expired trade", func(t *testing.T) {
		resp, body := e.get(shortCashier)
		assert.Equal(t, "TRADE_HAS_CLOSE", pageCode(t, resp, body))
		resp, body = e.post(shortCashier+"/pay", url.Values{}, sameOrigin)
		assert.Equal(t, "TRADE_HAS_CLOSE", pageCode(t, resp, body))
	})
	t.Run("paying an expired trade through the API", func(t *testing.T) {
		resp, body := e.post(e.srv.URL+"/sandbox/api/trades/"+short+"/pay", nil, nil)
		assert.Equal(t, http.StatusConflict, resp.StatusCode, body)
	})
	t.Run("the same request again", func(t *testing.T) {
		u, err := c.PayURL(sreq)
		require.NoError(t, err)
		resp, body := e.get(u)
		assert.Equal(t, "TRADE_HAS_CLOSE", pageCode(t, resp, body))
	})
	t.Run("default 12h", func(t *testing.T) {
		clk.Advance(12 * time.Hour)
		e.round()
		require.Equal(t, "TRADE_CLOSED", e.apiTrade(long).Status)
		resp, body := e.get(longCashier)
		assert.Equal(t, "TRADE_HAS_CLOSE", pageCode(t, resp, body))
		resp, body = e.get(unopenedCashier)
		assert.Equal(t, "TRADE_HAS_CLOSE", pageCode(t, resp, body))
		_, err := c.QueryTrade(ctx(t), payment.QueryRequest{OutTradeNo: unopened})
		assert.ErrorIs(t, err, payment.ErrTradeNotExist, "never opened: never existed at Alipay")
	})
	t.Run("no notification for a timeout", func(t *testing.T) {
		assert.Empty(t, e.notifications(short))
	})
}

// TestTimeoutScale has Run close a trade on the scaled clock.
func TestTimeoutScale(t *testing.T) {
	t.Parallel()
	const scale = 3600
	e := newEnv(t, options{scale: scale}) // 5m becomes 83ms
	c := e.client(payment.MD5)
	no := newOutTradeNo("scale")
	req := e.tradeRequest(payment.ServiceWAP, no)
	req.TimeoutRule = "5m"
	cashier := e.createTrade(c, req)
	tr := e.apiTrade(no)
	assert.Equal(t, 5*time.Minute/scale, tr.ExpiresAt.Sub(tr.CreatedAt))
	e.clock.Advance(5 * time.Minute / scale)
	await(t, e.rounds, func() bool { return e.apiTrade(no).Status == "TRADE_CLOSED" },
		func() string { return "Run did not close the trade at its scaled timeout" })
	resp, body := e.get(cashier)
	assert.Equal(t, "TRADE_HAS_CLOSE", pageCode(t, resp, body))
}

// TestTimeoutAcrossZones has the clock change its zone (as local time does
// at a daylight-saving switch): expiry compares instants, not wall clocks.
func TestTimeoutAcrossZones(t *testing.T) {
	t.Parallel()
	clk := newClock()
	east := time.FixedZone("east", 8*3600)
	west := time.FixedZone("west", -10*3600)
	var mu sync.Mutex
	zone := east
	now := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return clk.Now().In(zone)
	}
	setZone := func(z *time.Location) {
		mu.Lock()
		defer mu.Unlock()
		zone = z
	}
	e := newEnv(t, options{now: now, noRun: true})
	c := e.client(payment.MD5)
	no := newOutTradeNo("zone")
	req := e.tradeRequest(payment.ServiceWAP, no)
	req.TimeoutRule = "5m"
	e.openCashier(e.createTrade(c, req))
	// In the west zone the wall clock reads 18 hours earlier than the
	// trade's expiry was written: only a comparison of instants closes it.
	setZone(west)
	clk.Advance(5*time.Minute - time.Nanosecond)
	e.round()
	assert.Equal(t, "WAIT_BUYER_PAY", e.apiTrade(no).Status, "not yet")
	clk.Advance(time.Nanosecond)
	e.round()
	assert.Equal(t, "TRADE_CLOSED", e.apiTrade(no).Status)

	// Notifications are due by instant too.
	setZone(east)
	paid := newOutTradeNo("zonepay")
	e.site.setAnswer(func(string, int) (int, string) { return http.StatusOK, "fail" })
	e.paidTrade(c, e.tradeRequest(payment.ServiceWAP, paid))
	e.round()
	require.Equal(t, 1, len(e.site.deliveries(paid)))
	setZone(west)
	clk.Advance(2*time.Minute - time.Nanosecond)
	e.round()
	assert.Equal(t, 1, len(e.site.deliveries(paid)), "the retry is not due yet")
	clk.Advance(time.Nanosecond)
	e.round()
	assert.Equal(t, 2, len(e.site.deliveries(paid)), "the retry is due 2 minutes later")
}

// TestCashierExpiry has no sweeper running: the cashier itself refuses an
// expired trade, and closes it.
func TestCashierExpiry(t *testing.T) {
	t.Parallel()
	clk := newClock()
	e := newEnv(t, options{now: clk.Now, noRun: true})
	c := e.client(payment.MD5)
	no := newOutTradeNo("cx")
	req := e.tradeRequest(payment.ServiceWAP, no)
	req.TimeoutRule = "30m"
	cashier := e.createTrade(c, req)
	clk.Advance(29 * time.Minute)
	e.openCashier(cashier)
	clk.Advance(time.Minute)
	resp, body := e.get(cashier)
	assert.Equal(t, "TRADE_HAS_CLOSE", pageCode(t, resp, body))
	assert.Equal(t, http.StatusGone, resp.StatusCode)
	assert.Equal(t, "TRADE_CLOSED", e.apiTrade(no).Status)
	resp, body = e.post(cashier+"/pay", url.Values{}, sameOrigin)
	assert.Equal(t, "TRADE_HAS_CLOSE", pageCode(t, resp, body))
	assert.Empty(t, e.notifications(no))
}

// TestPCOrderValidTime closes a desktop trade order_valid_time seconds after
// order_gmt_create.
func TestPCOrderValidTime(t *testing.T) {
	t.Parallel()
	clk := newClock()
	e := newEnv(t, options{now: clk.Now, noRun: true})
	c := e.client(payment.MD5)
	pc := func(created time.Time, valid time.Duration) string {
		req := e.tradeRequest(payment.ServicePC, newOutTradeNo("ovt"))
		req.OrderGMTCreate, req.OrderValidTime = created, valid
		u, err := c.PayURL(req)
		require.NoError(t, err)
		return u
	}
	resp, body := e.get(pc(clk.Now().Add(-10*time.Minute), 10*time.Minute))
	assert.Equal(t, "TRADE_HAS_CLOSE", pageCode(t, resp, body), "valid until the moment it was sent: the gateway refuses it")
	fresh := e.cashierFor(e.get(pc(clk.Now().Add(-10*time.Minute), 15*time.Minute)))
	e.openCashier(fresh)
	clk.Advance(5 * time.Minute)
	resp, body = e.get(fresh)
	assert.Equal(t, "TRADE_HAS_CLOSE", pageCode(t, resp, body), "15 minutes after order_gmt_create")
}
