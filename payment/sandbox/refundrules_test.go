package sandbox_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/payment"
	"shop/payment/sandbox"
)

// syncRefund is a synchronous refund of amount cents of a USD trade.
func syncRefund(outReturnNo, outTradeNo string, amount int64) payment.RefundRequest {
	return payment.RefundRequest{OutReturnNo: outReturnNo, OutTradeNo: outTradeNo, Currency: "USD", Amount: amount,
		ProductCode: payment.ProductWAP, IsSync: true, RequestedAt: time.Date(2026, 3, 1, 18, 0, 0, 0, payment.Beijing())}
}

// TestRefundWindow refunds trades paid at t0 at instants around the end of
// the refund window, measured on the sandbox's clock from the payment.
func TestRefundWindow(t *testing.T) {
	t.Parallel()
	const day = 24 * time.Hour
	cases := []struct {
		name   string
		window time.Duration // options.refundWindow
		after  time.Duration // from payment to refund
		code   string
	}{
		{"default: a day after", 0, day, ""},
		{"default: 364 days after", 0, 364 * day, ""},
		{"default: 365 days after, the last instant", 0, 365 * day, ""},
		{"default: 365 days and a second after", 0, 365*day + time.Second, "REFUNDMENT_VALID_DATE_EXCEED"},
		{"default: two years after", 0, 730 * day, "REFUNDMENT_VALID_DATE_EXCEED"},
		{"7 days: the last instant", 7 * day, 7 * day, ""},
		{"7 days: a second later", 7 * day, 7*day + time.Second, "REFUNDMENT_VALID_DATE_EXCEED"},
		{"no window: ten years after", -1, 3650 * day, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, options{refundWindow: tc.window, noRun: true})
			c := e.client(payment.RSA2)
			no := newOutTradeNo("win")
			e.paidTrade(c, e.tradeRequest(payment.ServiceWAP, no))
			paidAt := *e.apiTrade(no).PaidAt
			e.clock.Set(paidAt.Add(tc.after))
			_, err := c.Refund(ctx(t), syncRefund("W"+no, no, 1000))
			assert.Equal(t, tc.code, gatewayCode(err), "%v", err)
			if tc.code != "" {
				assert.ErrorIs(t, err, payment.ErrRefundWindowExpired)
				assert.Empty(t, e.refunds(no))
				assert.Zero(t, e.apiTrade(no).RefundedMinor)
			} else {
				assert.Equal(t, int64(1000), e.apiTrade(no).RefundedMinor)
			}
		})
	}
}

// TestRefundInterval runs refunds of one partner at instants on the
// sandbox's clock: a new refund sooner than the interval after the last
// accepted one is SYSTEM_EXCEPTION (retryable), a retry of an accepted one
// is never held back, and another partner is not affected.
func TestRefundInterval(t *testing.T) {
	t.Parallel()
	type step struct {
		name     string
		at       time.Duration // from the first refund
		partner  string
		refund   string // out_return_no; its trade is the step's own unless retry
		tradeOf  int    // index of the step whose trade to refund; -1: a new trade
		code     string
		accepted int // refunds recorded for the partner afterwards
	}
	cases := []struct {
		name     string
		interval time.Duration
		steps    []step
	}{
		{"default 3 s", 0, []step{
			{"first", 0, partner, "I1", -1, "", 1},
			{"its retry at once", 0, partner, "I1", 0, "", 1},
			{"another trade at once", 0, partner, "I2", -1, "SYSTEM_EXCEPTION", 1},
			{"another partner at once", 0, md5OnlyPartner, "I3", -1, "", 1},
			{"just under 3 s", 3*time.Second - time.Nanosecond, partner, "I2", 2, "SYSTEM_EXCEPTION", 1},
			{"3 s after the last accepted one", 3 * time.Second, partner, "I2", 2, "", 2},
			{"the same trade 2 s later", 5 * time.Second, partner, "I4", 0, "SYSTEM_EXCEPTION", 2},
			{"the first's retry, later", 5 * time.Second, partner, "I1", 0, "", 2},
			{"6 s", 6 * time.Second, partner, "I4", 0, "", 3},
		}},
		{"10 s", 10 * time.Second, []step{
			{"first", 0, partner, "J1", -1, "", 1},
			{"9 s later", 9 * time.Second, partner, "J2", -1, "SYSTEM_EXCEPTION", 1},
			{"10 s later", 10 * time.Second, partner, "J2", 1, "", 2},
		}},
		{"off", -1, []step{
			{"first", 0, partner, "K1", -1, "", 1},
			{"at once", 0, partner, "K2", -1, "", 2},
			{"at once again", 0, partner, "K3", 0, "", 3},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, options{refundInterval: tc.interval, noRun: true})
			t0 := e.clock.Now()
			trades := make([]string, len(tc.steps))
			for i, st := range tc.steps {
				if st.tradeOf >= 0 {
					trades[i] = trades[st.tradeOf]
					continue
				}
				trades[i] = newOutTradeNo("iv")
				e.paidTrade(e.clientFor(st.partner, payment.MD5), e.tradeRequest(payment.ServiceWAP, trades[i]))
			}
			for i, st := range tc.steps {
				e.clock.Set(t0.Add(st.at))
				_, err := e.clientFor(st.partner, payment.MD5).Refund(ctx(t), syncRefund(st.refund, trades[i], 100))
				assert.Equalf(t, st.code, gatewayCode(err), "step %q: %v", st.name, err)
				if st.code != "" {
					assert.ErrorIs(t, err, payment.ErrSystem)
					var ge *payment.GatewayError
					require.ErrorAs(t, err, &ge)
					assert.True(t, ge.Retryable(), "retry later with the same out_return_no")
				}
				n := 0
				for _, r := range e.allRefunds() {
					if r.Partner == st.partner {
						n++
					}
				}
				if st.partner == partner {
					assert.Equalf(t, st.accepted, n, "step %q", st.name)
				}
			}
		})
	}
}

// TestAsyncRefund follows is_sync=N refunds through the notifier's rounds
// on the sandbox's clock: accepted at once and reserved, PROCESSING until
// due, then made (or failed for balance) and notified, signed, on the
// notification schedule.
func TestAsyncRefund(t *testing.T) {
	t.Parallel()
	const scale = 60 // RefundDelay 1 min: 1 s; retry gaps 2m, 10m: 2 s, 10 s
	async := func(outReturnNo, outTradeNo string, amount int64, notifyURL string) payment.RefundRequest {
		return payment.RefundRequest{OutReturnNo: outReturnNo, OutTradeNo: outTradeNo, Currency: "USD", Amount: amount,
			ProductCode: payment.ProductWAP, NotifyURL: notifyURL}
	}
	for _, st := range signTypes {
		t.Run(string(st), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, options{scale: scale, noRun: true, refundInterval: -1})
			c := e.client(st)
			no := newOutTradeNo("async")
			e.paidTrade(c, e.tradeRequest(payment.ServiceWAP, no)) // USD 100.00
			e.round()                                              // the payment's notification
			verified := e.verifyDuringDelivery(c)
			t0 := e.clock.Now()
			query := func(outReturnNo string) *payment.RefundQueryResult {
				t.Helper()
				r, err := c.QueryRefund(ctx(t), payment.RefundQueryRequest{OutTradeNo: no, OutReturnNo: outReturnNo})
				require.NoError(t, err)
				return r
			}

			res, err := c.Refund(ctx(t), async("A1", no, 6000, e.site.notifyURL()))
			require.NoError(t, err)
			assert.True(t, res.Accepted, "answered T at once")
			tr := e.apiTrade(no)
			assert.Equal(t, int64(0), tr.RefundedMinor, "nothing refunded yet")
			assert.Equal(t, int64(6000), tr.RefundPendingMinor, "but reserved")
			assert.Equal(t, payment.RefundProcessing, query("A1").Status)

			t.Run("reserved: no refund beyond what is left", func(t *testing.T) {
				_, err := c.Refund(ctx(t), syncRefund("S1", no, 4001))
				assert.Equal(t, "RETURN_AMOUNT_EXCEED", gatewayCode(err))
			})
			t.Run("not made a nanosecond early", func(t *testing.T) {
				e.clock.Set(t0.Add(time.Second - time.Nanosecond))
				e.round()
				assert.Equal(t, payment.RefundProcessing, query("A1").Status)
				assert.Empty(t, e.site.refundDeliveries("A1"))
			})
			t.Run("made when due, and notified", func(t *testing.T) {
				e.site.setAnswer(func(string, int) (int, string) { return http.StatusOK, "fail" })
				e.clock.Set(t0.Add(time.Second))
				e.round()
				r := query("A1")
				assert.Equal(t, payment.RefundSuccess, r.Status)
				assert.Equal(t, payment.Amount{Minor: 6000, Currency: "USD"}, r.Amount)
				tr := e.apiTrade(no)
				assert.Equal(t, int64(6000), tr.RefundedMinor)
				assert.Zero(t, tr.RefundPendingMinor)
				assert.Equal(t, "TRADE_FINISHED", tr.Status, "a partial refund leaves the trade open")

				d := e.site.refundDeliveries("A1")
				require.Len(t, d, 1)
				assert.Equal(t, "/notify", d[0].Path)
				n, err := c.ParseRefundNotification(d[0].Body, d[0].ContentType)
				require.NoError(t, err)
				assert.Equal(t, payment.RefundNotifySuccess, n.Status)
				assert.Equal(t, payment.NotifyTypeRefund, n.NotifyType)
				assert.Equal(t, no, n.OutTradeNo)
				assert.Equal(t, payment.Amount{Minor: 6000, Currency: "USD"}, n.Amount)
				assert.True(t, n.NotifyTime.Equal(t0.Add(time.Second)), "dated when it was made: %s", n.NotifyTime)
				assert.NoError(t, verified(n.NotifyID))
			})
			t.Run("retried on the notification schedule", func(t *testing.T) {
				ns := refundNotifications(e.notifications(no), "A1")
				require.Len(t, ns, 1)
				require.NotNil(t, ns[0].NextAt)
				assert.Equal(t, "refund", ns[0].Kind)
				assert.Equal(t, "REFUND_SUCCESS", ns[0].RefundStatus)
				assert.WithinDuration(t, t0.Add(time.Second+2*time.Second), *ns[0].NextAt, 0, "2 min, scaled")
				e.site.setAnswer(nil)
				e.clock.Set(*ns[0].NextAt)
				e.round()
				ds := e.site.refundDeliveries("A1")
				require.Len(t, ds, 2)
				assert.Equal(t, string(ds[0].Body), string(ds[1].Body), "the same notification")
				ns = refundNotifications(e.notifications(no), "A1")
				assert.Equal(t, "delivered", ns[0].State)
			})
			t.Run("failed for balance, notified as a failure", func(t *testing.T) {
				e.setFaults(`{"refund_balance_not_enough":true}`)
				defer e.setFaults(`{}`)
				now := e.clock.Now()
				res, err := c.Refund(ctx(t), async("A2", no, 4000, e.site.notifyURL()))
				require.NoError(t, err, "accepted whatever the balance")
				assert.True(t, res.Accepted)
				e.clock.Set(now.Add(time.Second))
				e.round()
				r := query("A2")
				assert.Equal(t, payment.RefundFailed, r.Status)
				assert.True(t, r.Status.Failed())
				assert.Equal(t, "MERCHANT_BALANCE_NOT_ENOUGH", r.ErrorCode)
				tr := e.apiTrade(no)
				assert.Equal(t, int64(6000), tr.RefundedMinor)
				assert.Zero(t, tr.RefundPendingMinor, "the reserve is released")
				d := e.site.waitRefundDeliveries(t, "A2", 1)
				n, err := c.ParseRefundNotification(d[0].Body, d[0].ContentType)
				require.NoError(t, err)
				assert.Equal(t, payment.RefundNotifyFail, n.Status)
				assert.True(t, n.Status.Failed())
				assert.Equal(t, "MERCHANT_BALANCE_NOT_ENOUGH", n.ErrorCode)
				_, err = c.ParseNotification(d[0].Body, d[0].ContentType)
				assert.ErrorIs(t, err, payment.ErrNotificationKind)
			})
			t.Run("the rest, asked about after it was due, before Run came round", func(t *testing.T) {
				now := e.clock.Now()
				_, err := c.Refund(ctx(t), async("A3", no, 4000, ""))
				require.NoError(t, err)
				e.clock.Set(now.Add(time.Hour))
				assert.Equal(t, payment.RefundSuccess, query("A3").Status, "made on the query")
				tr := e.apiTrade(no)
				assert.Equal(t, int64(10000), tr.RefundedMinor)
				assert.Equal(t, "TRADE_CLOSED", tr.Status, "the full amount refunded closes the trade")
				require.NotNil(t, tr.ClosedAt)
				assert.WithinDuration(t, now.Add(time.Second), *tr.ClosedAt, 0, "closed when the refund was due")
				e.round()
				assert.Empty(t, e.site.refundDeliveries("A3"), "no notify_url, no notification")
				_, err = c.Refund(ctx(t), syncRefund("S2", no, 1))
				assert.Equal(t, "TRADE_HAS_CLOSE", gatewayCode(err))
			})
			t.Run("the same refund sent again is answered T, made once", func(t *testing.T) {
				res, err := c.Refund(ctx(t), async("A1", no, 6000, e.site.notifyURL()))
				require.NoError(t, err)
				assert.True(t, res.Accepted)
				assert.Equal(t, int64(10000), e.apiTrade(no).RefundedMinor)
			})
		})
	}
}

// refundNotifications keeps the notifications of one refund.
func refundNotifications(ns []sandbox.Notification, outReturnNo string) []sandbox.Notification {
	var out []sandbox.Notification
	for _, n := range ns {
		if n.OutReturnNo == outReturnNo {
			out = append(out, n)
		}
	}
	return out
}
