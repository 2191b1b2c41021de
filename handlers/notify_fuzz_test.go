package handlers

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/models"
	"shop/payment"
)

// FuzzNotify sends whatever the fuzzer makes to POST /alipay/notify,
// through the real router and store, with any Content-Type, and checks
// what may come of it: a plain-text "success" or "fail" with a status the
// error table allows, never a panic or another body; "success" only once
// the notification is recorded; and an order paid only by a notification
// whose signature verifies. Run it with:
//
//	go test -run '^$' -fuzz FuzzNotify ./handlers/
func FuzzNotify(f *testing.F) {
	h := newHarness(f, options{skipVerify: true})
	o := h.createOrder()
	valid := sign(f, h.alipay, paidParams(o))
	valid["seller_id"] = testPartner
	valid = sign(f, h.alipay, valid)
	f.Add([]byte(valid.Encode()), formType)
	f.Add([]byte(valid.Encode()), formType+"; charset=gbk")
	f.Add([]byte(strings.Replace(valid.Encode(), "total_fee=", "total_fee=1", 1)), formType)
	f.Add([]byte("notify_id=1&sign=abc&sign_type=RSA2"), formType)
	f.Add([]byte("%zz&&==;;"), "text/plain")
	f.Add([]byte{}, "")
	f.Add([]byte(strings.Repeat("a=b&", 1000)), formType)

	allowed := map[int]bool{http.StatusOK: true, http.StatusBadRequest: true, http.StatusRequestEntityTooLarge: true,
		http.StatusServiceUnavailable: true}
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		h := *h // the harness's helpers report to this run's t, not to f
		h.t = t
		before := len(h.notifications())
		req := httptest.NewRequest(http.MethodPost, "/alipay/notify", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", contentType)
		rec := httptest.NewRecorder()
		h.handler.ServeHTTP(rec, req)

		require.True(t, allowed[rec.Code], "status %d for %q", rec.Code, body)
		assert.Equal(t, "text/plain; charset=utf-8", rec.Header().Get("Content-Type"))
		switch rec.Body.String() {
		case "success":
			require.Equal(t, http.StatusOK, rec.Code)
			ns := h.notifications()
			require.Len(t, ns, before+1, "success only once recorded")
			assert.NotEmpty(t, ns[len(ns)-1].Verdict)
		case "fail":
			assert.NotEqual(t, http.StatusOK, rec.Code)
		default:
			t.Fatalf("answered %q", rec.Body.String())
		}

		// Whatever happened, the order is paid only by a notification that
		// verifies.
		if got := h.order(o.OrderNo); got.Status == models.StatusPaid {
			var paidBy *models.Notification
			for _, n := range h.notifications() {
				if n.Verdict == models.VerdictPaid {
					paidBy = &n
				}
			}
			require.NotNil(t, paidBy, "paid without a notification that says so")
			n, err := h.client.ParseNotification([]byte(paidBy.Body), paidBy.ContentType)
			require.NoError(t, err, "paid by a notification that does not verify")
			assert.Equal(t, o.OrderNo, n.OutTradeNo)
			assert.True(t, n.TradeStatus.Paid())
			assert.Equal(t, payment.Amount{Minor: o.TotalMinor, Currency: "USD"}, n.Amount)
		}
	})
}
