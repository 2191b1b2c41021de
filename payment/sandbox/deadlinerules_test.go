package sandbox_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/payment"
)

// TestDeadlineScale checks that the time scale shrinks timeout_rule and a
// relative it_b_pay but not an absolute deadline, and that the earlier of
// the two wins.
func TestDeadlineScale(t *testing.T) {
	t.Parallel()
	const scale = 3600 // an hour becomes a second
	e := newEnv(t, options{scale: scale, noRun: true})
	c := e.client(payment.RSA2)
	created := e.clock.Now()
	web := []struct {
		name  string
		rule  string
		valid time.Duration
		want  time.Duration // expires_at - created
	}{
		{"deadline alone is not scaled", "", 600 * time.Second, 600 * time.Second},
		{"1d scaled is earlier than the deadline", "1d", 600 * time.Second, 24 * time.Second},
		{"the deadline is earlier than 1d scaled", "1d", 10 * time.Second, 10 * time.Second},
		{"5m scaled", "5m", 600 * time.Second, 5 * time.Minute / scale},
		{"no deadline: 12h scaled", "", 0, 12 * time.Second},
	}
	for _, tt := range web {
		t.Run(tt.name, func(t *testing.T) {
			req := e.tradeRequest(payment.ServiceWAP, newOutTradeNo("dlscale"))
			req.TimeoutRule = tt.rule
			if tt.valid > 0 {
				req.OrderGMTCreate, req.OrderValidTime = created, tt.valid
			}
			e.createTrade(c, req)
			tr := e.apiTrade(req.OutTradeNo)
			assert.Equal(t, tt.want, tr.ExpiresAt.Sub(created))
		})
	}
	app := []struct {
		name string
		mod  func(*payment.AppPayRequest)
		want time.Duration
	}{
		{"absolute it_b_pay is not scaled", func(r *payment.AppPayRequest) { r.ItBPayDeadline = created.Add(600 * time.Second) }, 600 * time.Second},
		{"relative it_b_pay is", func(r *payment.AppPayRequest) { r.ItBPay = "30m" }, 30 * time.Minute / scale},
	}
	e.setFaults(`{"app_result":"6001"}`) // leave the app trades unpaid
	for _, tt := range app {
		t.Run(tt.name, func(t *testing.T) {
			req := payment.AppPayRequest{OutTradeNo: newOutTradeNo("dlscaleapp"), Subject: "coffee", Body: "test",
				Currency: "USD", TotalFee: 1234, NotifyURL: e.site.notifyURL()}
			tt.mod(&req)
			s, err := c.AppOrderString(req)
			require.NoError(t, err)
			require.Equal(t, "6001", e.appPay(s, nil).ResultStatus)
			assert.Equal(t, tt.want, e.apiTrade(req.OutTradeNo).ExpiresAt.Sub(created))
		})
	}

	t.Run("the sweeper keeps to the unscaled deadline", func(t *testing.T) {
		req := e.webDeadline(payment.ServiceWAP, created) // 10 minutes, 1/6 s if it were scaled
		e.openCashier(e.createTrade(c, req))
		e.clock.Set(created.Add(validFor - time.Nanosecond))
		e.round()
		assert.Equal(t, "WAIT_BUYER_PAY", e.apiTrade(req.OutTradeNo).Status)
		e.clock.Set(created.Add(validFor))
		e.round()
		assert.Equal(t, "TRADE_CLOSED", e.apiTrade(req.OutTradeNo).Status)
	})
}

// TestDeadlineIllegal refuses deadlines Alipay would not take, with
// ILLEGAL_ARGUMENT (ILLEGAL_TIMEOUT_RULE for it_b_pay).
func TestDeadlineIllegal(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{noRun: true})
	now := e.clock.Now()
	web := []struct {
		name  string
		kv    []string
		code  string // "" = accepted
		field string // in the detail
	}{
		{"created 5 minutes ahead (clock skew)", []string{"order_gmt_create", payment.FormatTime(now.Add(5 * time.Minute)), "order_valid_time", "600"}, "", ""},
		{"created more than 5 minutes ahead", []string{"order_gmt_create", payment.FormatTime(now.Add(5*time.Minute + time.Second)), "order_valid_time", "600"}, "ILLEGAL_ARGUMENT", "order_gmt_create"},
		{"created tomorrow, without order_valid_time", []string{"order_gmt_create", payment.FormatTime(now.Add(24 * time.Hour))}, "ILLEGAL_ARGUMENT", "order_gmt_create"},
		{"created in ISO 8601", []string{"order_gmt_create", now.Format(time.RFC3339), "order_valid_time", "600"}, "ILLEGAL_ARGUMENT", "order_gmt_create"},
		{"created with a fraction of a second", []string{"order_gmt_create", payment.FormatTime(now) + ".5", "order_valid_time", "600"}, "ILLEGAL_ARGUMENT", "order_gmt_create"},
		{"valid for 0 seconds", []string{"order_gmt_create", payment.FormatTime(now), "order_valid_time", "0"}, "ILLEGAL_ARGUMENT", "order_valid_time"},
		{"valid for over 30 days", []string{"order_gmt_create", payment.FormatTime(now), "order_valid_time", "2592001"}, "ILLEGAL_ARGUMENT", "order_valid_time"},
		{"valid for a huge number of seconds", []string{"order_gmt_create", payment.FormatTime(now), "order_valid_time", "9223372036854775807"}, "ILLEGAL_ARGUMENT", "order_valid_time"},
		{"valid for an hour and a half", []string{"order_gmt_create", payment.FormatTime(now), "order_valid_time", "1.5h"}, "ILLEGAL_ARGUMENT", "order_valid_time"},
		{"order_valid_time alone", []string{"order_valid_time", "600"}, "ILLEGAL_ARGUMENT", "order_valid_time"},
	}
	for _, svc := range []payment.Service{payment.ServiceWAP, payment.ServicePC} {
		for _, tt := range web {
			t.Run(string(svc)+" "+tt.name, func(t *testing.T) {
				p := e.tradeParams(newOutTradeNo("dlill"))
				p["service"], p["product_code"] = string(svc), ""
				for i := 0; i < len(tt.kv); i += 2 {
					p[tt.kv[i]] = tt.kv[i+1]
				}
				resp, body := e.send(signed(t, payment.MD5, p))
				if tt.code == "" {
					e.cashierFor(resp, body)
					return
				}
				assert.Equal(t, tt.code, pageCode(t, resp, body))
				assert.Contains(t, body, tt.field)
			})
		}
	}

	_, mk := keys(t)
	rsa2, err := payment.NewRSASigner(payment.RSA2, mk)
	require.NoError(t, err)
	for _, v := range []string{"2026-03-01 18:00", "2026-03-01 18:00:00.5", "2026-03-01T18:00:00+08:00"} {
		t.Run("it_b_pay "+v, func(t *testing.T) {
			pairs := []payment.KV{
				{Key: "_input_charset", Value: "UTF-8"}, {Key: "body", Value: "test"}, {Key: "currency", Value: "USD"},
				{Key: "forex_biz", Value: "FP"}, {Key: "it_b_pay", Value: v}, {Key: "notify_url", Value: e.site.notifyURL()},
				{Key: "out_trade_no", Value: newOutTradeNo("dlill")}, {Key: "partner", Value: partner}, {Key: "payment_type", Value: "1"},
				{Key: "seller_id", Value: partner}, {Key: "service", Value: string(payment.ServiceApp)}, {Key: "subject", Value: "coffee"},
				{Key: "total_fee", Value: "12.34"},
			}
			s, err := payment.SignOrderString(rsa2, pairs)
			require.NoError(t, err)
			res := e.appPay(s, nil)
			assert.Equal(t, "4000", res.ResultStatus)
			assert.Contains(t, res.Memo, "ILLEGAL_TIMEOUT_RULE")
		})
	}
}
