package sandbox_test

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/payment"
	"shop/payment/sandbox"
)

// retryGaps is Alipay's documented schedule: after the first attempt,
// retries 2m, 10m, 10m, 1h, 2h, 6h and 15h apart; eight attempts in all.
var retryGaps = []time.Duration{
	2 * time.Minute, 10 * time.Minute, 10 * time.Minute, time.Hour, 2 * time.Hour, 6 * time.Hour, 15 * time.Hour,
}

// TestRetrySchedule moves the sandbox's clock through the retry schedule
// of a notification answered "fail", one round of the notifier at a time:
// each attempt is scheduled exactly its gap after the previous one went
// out, is not sent a nanosecond early, carries the same notify_id and body,
// and the attempts stop at "success" or after the eighth.
func TestRetrySchedule(t *testing.T) {
	t.Parallel()
	require.Equal(t, 8, sandbox.MaxAttempts)
	require.Len(t, retryGaps, sandbox.MaxAttempts-1)
	const slow = 30 * time.Millisecond // how long the second answer takes, on the sandbox's clock
	cases := []struct {
		name      string
		scale     float64
		successAt int // the attempt answered "success"; 0 for none
		state     string
		attempts  int // the successful one included
	}{
		{"answered fail three times, then success", 1, 4, "delivered", 4},
		{"never answered success", 1, 0, "gave_up", 8},
		{"never answered success, on a clock 3600 times faster", 3600, 0, "gave_up", 8},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, options{scale: tc.scale, noRun: true})
			c := e.client(payment.MD5)
			scaled := func(d time.Duration) time.Duration { return time.Duration(float64(d) / tc.scale) }
			no := newOutTradeNo("retry")
			e.site.setAnswer(func(_ string, n int) (int, string) {
				switch n {
				case tc.successAt:
					return http.StatusOK, "success"
				case 2:
					e.clock.Advance(slow)
				}
				return http.StatusOK, "fail"
			})
			e.paidTrade(c, e.tradeRequest(payment.ServiceWAP, no))

			due := e.clock.Now() // the first attempt goes out at once
			for i := range tc.attempts {
				e.clock.Set(due.Add(-time.Nanosecond))
				e.round()
				require.Equalf(t, i, len(e.site.deliveries(no)), "attempt %d is not sent before it is due", i+1)
				e.clock.Set(due)
				e.round()
				ns := e.notifications(no)
				require.Len(t, ns, 1)
				require.Lenf(t, ns[0].Deliveries, i+1, "attempt %d is sent when it is due", i+1)
				if ns[0].NextAt != nil {
					due = *ns[0].NextAt
				}
			}

			n := e.notifications(no)[0]
			assert.Equal(t, tc.state, n.State)
			assert.Equal(t, tc.attempts, n.Attempts)
			assert.Nil(t, n.NextAt)
			assert.Equal(t, tc.successAt != 0, n.DeliveredAt != nil)
			for i, a := range n.Deliveries {
				success := i+1 == tc.successAt
				assert.Equal(t, http.StatusOK, a.StatusCode)
				assert.Equal(t, success, a.Success)
				assert.Equal(t, map[bool]string{false: "fail", true: "success"}[success], a.Body)
				assert.False(t, a.Manual)
				assert.Equalf(t, map[bool]int64{false: 0, true: slow.Milliseconds()}[i == 1], a.LatencyMS, "latency of attempt %d", i+1)
				if !assert.NotNilf(t, a.ScheduledAt, "attempt %d", i+1) {
					continue
				}
				assert.WithinDurationf(t, *a.ScheduledAt, a.At, 0, "attempt %d went out when it was due", i+1)
				if i > 0 {
					prev := n.Deliveries[i-1].At
					assert.WithinDurationf(t, prev.Add(scaled(retryGaps[i-1])), *a.ScheduledAt, 0,
						"attempt %d is scheduled %s after attempt %d", i+1, scaled(retryGaps[i-1]), i)
				}
			}

			// Far past when another attempt would be due, the notifier
			// has nothing to send.
			e.clock.Advance(30 * 24 * time.Hour)
			e.round()
			ds := e.site.deliveries(no)
			require.Equal(t, tc.attempts, len(ds), "no attempt after success or after the eighth")
			assert.Len(t, e.notifications(no)[0].Deliveries, tc.attempts)
			for i, d := range ds {
				assert.Equalf(t, ds[0].Form.Get("notify_id"), d.Form.Get("notify_id"), "attempt %d has the same notify_id", i+1)
				assert.Equalf(t, string(ds[0].Body), string(d.Body), "attempt %d sends the same body", i+1)
				pn, err := c.ParseNotification(d.Body, d.ContentType)
				if assert.NoError(t, err) {
					assert.Equal(t, n.NotifyID, pn.NotifyID)
				}
			}
		})
	}
}

// TestNotificationAnswers checks what counts as the merchant's "success".
func TestNotificationAnswers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	c := e.client(payment.RSA2)
	cases := []struct {
		name    string
		status  int
		body    string
		success bool
	}{
		{"success", http.StatusOK, "success", true},
		{"success with a newline", http.StatusOK, "success\n", true},
		{"fail", http.StatusOK, "fail", false},
		{"success on an error status", http.StatusInternalServerError, "success", false},
		{"an HTML page", http.StatusOK, "<html><body>success</body></html>", false},
		{"redirect", http.StatusFound, "", false},
		{"a long answer", http.StatusOK, strings.Repeat("x", 1000), false},
		{"a long answer in Chinese", http.StatusOK, strings.Repeat("成功", 100), false},
	}
	answers := map[string]int{}
	for i, tc := range cases {
		answers[tc.name] = i
	}
	byNo := map[string]int{}
	nos := make([]string, len(cases))
	for i := range cases {
		nos[i] = newOutTradeNo("ans")
		byNo[nos[i]] = i
	}
	e.site.setAnswer(func(no string, n int) (int, string) {
		tc := cases[byNo[no]]
		return tc.status, tc.body
	})
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.paidTrade(c, e.tradeRequest(payment.ServiceWAP, nos[i]))
			ns := e.waitNotifications(nos[i], func(ns []sandbox.Notification) bool {
				return len(ns) == 1 && len(ns[0].Deliveries) == 1
			})
			n := ns[0]
			a := n.Deliveries[0]
			assert.Equal(t, tc.status, a.StatusCode)
			assert.True(t, utf8.ValidString(a.Body), "the excerpt is text: %q", a.Body)
			assert.True(t, strings.HasPrefix(tc.body, a.Body), "the excerpt is the start of the answer")
			assert.LessOrEqual(t, len(a.Body), 200)
			assert.GreaterOrEqual(t, len(a.Body), min(len(tc.body), 198))
			assert.Equal(t, tc.success, a.Success)
			if tc.success {
				assert.Equal(t, "delivered", n.State)
			} else {
				assert.Equal(t, "pending", n.State)
				assert.Equal(t, 1, n.Attempts)
				if assert.NotNil(t, n.NextAt) {
					assert.WithinDuration(t, a.At.Add(2*time.Minute), *n.NextAt, 0, "the retry is due 2 minutes after the attempt")
				}
			}
		})
	}
	t.Run("redirects are not followed", func(t *testing.T) {
		// The redirect case above: Alipay does not follow a notify_url that
		// redirects, so the sandbox must not report it delivered.
		assert.Len(t, e.site.deliveries(nos[answers["redirect"]]), 1)
	})
}

// TestRestart queues a notification with one Sandbox and has a new Sandbox
// on the same database file deliver it.
func TestRestart(t *testing.T) {
	t.Parallel()
	dbPath := filepath.Join(t.TempDir(), "restart.db")
	clk := newClock()
	first := newEnv(t, options{dbPath: dbPath, now: clk.Now, noRun: true})
	stopFirst := first.run(first.sb)
	c := first.client(payment.MD5)
	no := newOutTradeNo("restart")
	first.site.setAnswer(func(string, int) (int, string) { return http.StatusOK, "fail" })
	first.paidTrade(c, first.tradeRequest(payment.ServiceWAP, no))
	firstTry := first.site.waitDeliveries(t, no, 1)[0]
	first.waitNotifications(no, func(ns []sandbox.Notification) bool {
		return len(ns) == 1 && ns[0].Attempts == 1
	})
	stopFirst() // asserts that Run returns
	// A second paid trade while nothing runs: queued, not delivered. Run
	// has returned and paying does not deliver by itself, so nothing
	// could deliver it later either.
	queuedNo := newOutTradeNo("queued")
	first.paidTrade(c, first.tradeRequest(payment.ServiceWAP, queuedNo))
	assert.Empty(t, first.site.deliveries(queuedNo), "nothing delivers while no Run runs")
	if ns := first.notifications(queuedNo); assert.Len(t, ns, 1) {
		assert.Equal(t, "pending", ns[0].State)
		assert.Empty(t, ns[0].Deliveries)
	}

	// The new instance runs three minutes later: the retry is due.
	clk.Advance(3 * time.Minute)
	second := newEnv(t, options{dbPath: dbPath, now: clk.Now, noRun: true})
	// notify_url is part of the trade: deliveries still go to the first site.
	first.site.setAnswer(func(string, int) (int, string) { return http.StatusOK, "success" })
	second.run(second.sb)

	ds := first.site.waitDeliveries(t, no, 2)
	assert.Equal(t, firstTry.Form.Get("notify_id"), ds[1].Form.Get("notify_id"))
	first.site.waitDeliveries(t, queuedNo, 1)
	for _, n := range []string{no, queuedNo} {
		ns := second.waitNotifications(n, func(ns []sandbox.Notification) bool {
			return len(ns) == 1 && ns[0].State == "delivered"
		})
		assert.Equal(t, "delivered", ns[0].State)
	}
	n := second.notifications(no)[0]
	assert.Equal(t, 2, n.Attempts)
	require.Len(t, n.Deliveries, 2)
	retry := n.Deliveries[1]
	if assert.NotNil(t, retry.ScheduledAt) {
		assert.WithinDuration(t, n.Deliveries[0].At.Add(2*time.Minute), *retry.ScheduledAt, 0, "due 2 minutes after the first attempt")
	}
	assert.WithinDuration(t, clk.Now(), retry.At, 0, "sent when the new instance ran, a minute late")
}

// TestManualDelivery delivers through POST /sandbox/api/notifications/{id}/deliver.
func TestManualDelivery(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	c := e.client(payment.MD5)
	no := newOutTradeNo("manual")
	e.site.setAnswer(func(_ string, n int) (int, string) {
		if n == 1 {
			return http.StatusServiceUnavailable, "busy"
		}
		return http.StatusOK, "success"
	})
	e.paidTrade(c, e.tradeRequest(payment.ServiceWAP, no))
	ns := e.waitNotifications(no, func(ns []sandbox.Notification) bool {
		return len(ns) == 1 && len(ns[0].Deliveries) == 1
	})
	assert.Equal(t, "pending", ns[0].State)
	assert.Equal(t, http.StatusServiceUnavailable, ns[0].Deliveries[0].StatusCode)
	assert.Equal(t, "busy", ns[0].Deliveries[0].Body)

	resp, body := e.post(e.srv.URL+"/sandbox/api/notifications/"+ns[0].NotifyID+"/deliver", nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, `"success": true`)
	assert.Contains(t, body, `"manual": true`)
	n := e.notifications(no)[0]
	assert.Equal(t, "delivered", n.State)
	require.Len(t, n.Deliveries, 2)
	assert.True(t, n.Deliveries[1].Manual)
	ds := e.site.deliveries(no)
	require.Len(t, ds, 2)
	assert.Equal(t, string(ds[0].Body), string(ds[1].Body), "a manual delivery sends the same notification")

	resp, body = e.post(e.srv.URL+"/sandbox/api/notifications/nosuchid/deliver", nil, nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, body)
}
