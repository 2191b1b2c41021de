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

// TestRetrySchedule watches notifications answered "fail" come back with
// the same notify_id on the scaled schedule, stop at "success", and stop
// for good after eight attempts.
func TestRetrySchedule(t *testing.T) {
	t.Parallel()
	const scale = 36000 // 15h becomes 1.5s: the whole schedule takes about 2.4s
	e := newEnv(t, options{scale: scale})
	c := e.client(payment.MD5)
	scaled := func(d time.Duration) time.Duration { return time.Duration(float64(d) / scale) }

	neverNo, laterNo := newOutTradeNo("never"), newOutTradeNo("later")
	e.site.setAnswer(func(no string, n int) (int, string, time.Duration) {
		switch {
		case no == laterNo && n > 3:
			return http.StatusOK, "success", 0
		case no == neverNo && n == 2:
			return http.StatusOK, "fail", 30 * time.Millisecond // a slow answer, to see the latency recorded
		}
		return http.StatusOK, "fail", 0
	})
	for _, no := range []string{neverNo, laterNo} {
		req := e.tradeRequest(payment.ServiceWAP, no)
		req.TimeoutRule = "15d" // 36s at this scale, time enough to pay
		e.paidTrade(c, req)
	}

	// checkGaps asserts lower bounds only: attempts may come late, never
	// early. Arrivals at the site carry one loopback transit each, hence the
	// tolerance; the sandbox's own record of when it sent is held to 1ms.
	checkGaps := func(t *testing.T, ds []delivery, ns sandbox.Notification) {
		t.Helper()
		const tolerance = 10 * time.Millisecond
		for i := 1; i < len(ds); i++ {
			want := scaled(retryGaps[i-1])
			got := ds[i].At.Sub(ds[i-1].At)
			assert.GreaterOrEqualf(t, got, want-tolerance, "received gap before attempt %d", i+1)
			rec := ns.Deliveries[i].At.Sub(ns.Deliveries[i-1].At)
			assert.GreaterOrEqualf(t, rec, want-time.Millisecond, "recorded gap before attempt %d", i+1)
		}
		for i, d := range ds {
			assert.Equalf(t, ds[0].Form.Get("notify_id"), d.Form.Get("notify_id"), "attempt %d has the same notify_id", i+1)
			assert.Equalf(t, string(ds[0].Body), string(d.Body), "attempt %d sends the same body", i+1)
			n, err := c.ParseNotification(d.Body, d.ContentType)
			if assert.NoError(t, err) {
				assert.Equal(t, ns.NotifyID, n.NotifyID)
			}
		}
	}

	t.Run("answered fail three times, then success", func(t *testing.T) {
		ns := e.waitNotifications(laterNo, 10*time.Second, func(ns []sandbox.Notification) bool {
			return len(ns) == 1 && ns[0].State != "pending"
		})
		n := ns[0]
		assert.Equal(t, "delivered", n.State)
		assert.Equal(t, 4, n.Attempts, "attempts counts the successful one")
		assert.NotNil(t, n.DeliveredAt)
		assert.Nil(t, n.NextAt)
		require.Len(t, n.Deliveries, 4)
		for i, a := range n.Deliveries {
			assert.Equal(t, http.StatusOK, a.StatusCode)
			assert.Equal(t, i == 3, a.Success)
			assert.Equal(t, map[bool]string{false: "fail", true: "success"}[i == 3], a.Body)
		}
		time.Sleep(scaled(retryGaps[4]) + 100*time.Millisecond) // longer than a fifth attempt would have taken to come
		ds := e.site.deliveries(laterNo)
		require.Len(t, ds, 4, "no attempt after success")
		checkGaps(t, ds, n)
	})

	t.Run("never answered success", func(t *testing.T) {
		ns := e.waitNotifications(neverNo, 15*time.Second, func(ns []sandbox.Notification) bool {
			return len(ns) == 1 && ns[0].State != "pending"
		})
		n := ns[0]
		assert.Equal(t, "gave_up", n.State)
		assert.Equal(t, sandbox.MaxAttempts, n.Attempts)
		assert.Equal(t, 8, n.Attempts)
		assert.Nil(t, n.NextAt)
		require.Len(t, n.Deliveries, 8)
		for _, a := range n.Deliveries {
			assert.Equal(t, http.StatusOK, a.StatusCode)
			assert.Equal(t, "fail", a.Body)
			assert.False(t, a.Success)
			assert.False(t, a.Manual)
			assert.GreaterOrEqual(t, a.LatencyMS, int64(0))
		}
		assert.GreaterOrEqual(t, n.Deliveries[1].LatencyMS, int64(30), "latency of the slow answer")
		// Longer than the longest scaled gap (1.5s): a ninth would have come.
		time.Sleep(2 * time.Second)
		ds := e.site.deliveries(neverNo)
		require.Len(t, ds, 8, "no ninth attempt")
		checkGaps(t, ds, n)
		assert.Len(t, e.notifications(neverNo)[0].Deliveries, 8)
	})
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
	e.site.setAnswer(func(no string, n int) (int, string, time.Duration) {
		tc := cases[byNo[no]]
		return tc.status, tc.body, 0
	})
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.paidTrade(c, e.tradeRequest(payment.ServiceWAP, nos[i]))
			ns := e.waitNotifications(nos[i], 5*time.Second, func(ns []sandbox.Notification) bool {
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
				if assert.NotNil(t, n.NextAt) && assert.NotNil(t, n.LastAttemptAt) {
					assert.GreaterOrEqual(t, n.NextAt.Sub(*n.LastAttemptAt), 2*time.Minute-time.Second, "the retry waits 2 minutes")
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
	first := newEnv(t, options{dbPath: dbPath, noRun: true})
	stopFirst := first.run(first.sb)
	c := first.client(payment.MD5)
	no := newOutTradeNo("restart")
	first.site.setAnswer(func(string, int) (int, string, time.Duration) { return http.StatusOK, "fail", 0 })
	first.paidTrade(c, first.tradeRequest(payment.ServiceWAP, no))
	firstTry := first.site.waitDeliveries(t, no, 1, 5*time.Second)[0]
	first.waitNotifications(no, 5*time.Second, func(ns []sandbox.Notification) bool {
		return len(ns) == 1 && ns[0].Attempts == 1
	})
	stopFirst() // asserts that Run returns
	// A second paid trade while nothing runs: queued, not delivered.
	queuedNo := newOutTradeNo("queued")
	first.paidTrade(c, first.tradeRequest(payment.ServiceWAP, queuedNo))
	time.Sleep(100 * time.Millisecond)
	assert.Empty(t, first.site.deliveries(queuedNo), "nothing delivers while no Run runs")

	// The new instance runs three minutes later: the retry is due.
	later := func() time.Time { return time.Now().Add(3 * time.Minute) }
	second := newEnv(t, options{dbPath: dbPath, now: later, noRun: true})
	// notify_url is part of the trade: deliveries still go to the first site.
	first.site.setAnswer(func(string, int) (int, string, time.Duration) { return http.StatusOK, "success", 0 })
	second.run(second.sb)

	ds := first.site.waitDeliveries(t, no, 2, 5*time.Second)
	assert.Equal(t, firstTry.Form.Get("notify_id"), ds[1].Form.Get("notify_id"))
	first.site.waitDeliveries(t, queuedNo, 1, 5*time.Second)
	for _, n := range []string{no, queuedNo} {
		ns := second.waitNotifications(n, 5*time.Second, func(ns []sandbox.Notification) bool {
			return len(ns) == 1 && ns[0].State == "delivered"
		})
		assert.Equal(t, "delivered", ns[0].State)
	}
	assert.Equal(t, 2, second.notifications(no)[0].Attempts)
}

// TestManualDelivery delivers through POST /sandbox/api/notifications/{id}/deliver.
func TestManualDelivery(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	c := e.client(payment.MD5)
	no := newOutTradeNo("manual")
	e.site.setAnswer(func(_ string, n int) (int, string, time.Duration) {
		if n == 1 {
			return http.StatusServiceUnavailable, "busy", 0
		}
		return http.StatusOK, "success", 0
	})
	e.paidTrade(c, e.tradeRequest(payment.ServiceWAP, no))
	ns := e.waitNotifications(no, 5*time.Second, func(ns []sandbox.Notification) bool {
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
