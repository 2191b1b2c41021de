package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/models"
	"shop/payment"
)

// TestNotifyVerifyCall checks what the shop asks Alipay, and that it does
// not ask when notify_verify is turned off.
func TestNotifyVerifyCall(t *testing.T) {
	for _, tt := range []struct {
		name      string
		skip      bool
		wantCalls int32
	}{{"on", false, 1}, {"off", true, 0}} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, options{skipVerify: tt.skip})
			h.gw.set(verifyFalse) // would reject, if asked
			o := h.createOrder()
			p := sign(t, h.alipay, paidParams(o))

			res := h.postNotify(p.Encode(), formType, nil)

			assert.Equal(t, tt.wantCalls, h.gw.calls.Load())
			if tt.skip {
				assert.Equal(t, "success", res.Body)
				return
			}
			assert.Equal(t, "fail", res.Body)
			q := h.gw.lastQuery()
			assert.Equal(t, "notify_verify", q.Get("service"))
			assert.Equal(t, testPartner, q.Get("partner"))
			assert.Equal(t, p["notify_id"], q.Get("notify_id"))
		})
	}
}

// TestNotifyValidAnswer pins the exact answer Alipay needs, and that the
// endpoint lives outside the session and CSRF middleware.
func TestNotifyValidAnswer(t *testing.T) {
	tests := []struct {
		name   string
		header http.Header
	}{
		{"no cookie, no browser headers", nil},
		{"cross-site Sec-Fetch-Site", http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://intlmapi.alipay.com"}}},
		{"a stray cookie", http.Header{"Cookie": {"shop=garbage"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, options{})
			o := h.createOrder()

			res := h.postNotify(sign(t, h.alipay, paidParams(o)).Encode(), formType, tt.header)

			assert.Equal(t, http.StatusOK, res.StatusCode)
			assert.Equal(t, "success", res.Body)
			assert.Len(t, res.Body, 7)
			assert.Equal(t, "text/plain; charset=utf-8", res.Header.Get("Content-Type"))
			assert.Empty(t, res.Header.Values("Set-Cookie"))
			assert.Equal(t, models.StatusPaid, h.order(o.OrderNo).Status)
		})
	}
}

func TestNotifyDuplicate(t *testing.T) {
	for _, st := range []payment.SignType{payment.RSA2, payment.MD5} {
		t.Run(string(st), func(t *testing.T) {
			h := newHarness(t, options{signType: st})
			o := h.createOrder()
			body := sign(t, h.alipay, paidParams(o)).Encode()

			first := h.postNotify(body, formType, nil)
			paid := h.order(o.OrderNo)
			second := h.postNotify(body, formType, nil)

			assert.Equal(t, "success", first.Body)
			assert.Equal(t, http.StatusOK, second.StatusCode)
			assert.Equal(t, "success", second.Body)
			ns := h.notifications()
			require.Len(t, ns, 2)
			assert.Equal(t, models.VerdictPaid, ns[0].Verdict)
			assert.Equal(t, models.VerdictDuplicate, ns[1].Verdict)
			again := h.order(o.OrderNo)
			assert.Equal(t, models.StatusPaid, again.Status)
			assert.Equal(t, paid.PaidAt, again.PaidAt, "no second effect")
			assert.Equal(t, paid.UpdatedAt, again.UpdatedAt, "no second effect")
			assert.False(t, again.Flagged)
		})
	}
}

// TestNotifyDeferredThenRetried: a notification that could not be checked
// is applied when Alipay sends it again.
func TestNotifyDeferredThenRetried(t *testing.T) {
	h := newHarness(t, options{})
	o := h.createOrder()
	body := sign(t, h.alipay, paidParams(o)).Encode()

	h.gw.set(verify5xx)
	first := h.postNotify(body, formType, nil)
	h.gw.set(verifyTrue)
	retry := h.postNotify(body, formType, nil)

	assert.Equal(t, http.StatusServiceUnavailable, first.StatusCode)
	assert.Equal(t, "success", retry.Body)
	ns := h.notifications()
	require.Len(t, ns, 2)
	assert.Equal(t, models.VerdictDeferred, ns[0].Verdict)
	assert.Equal(t, models.VerdictPaid, ns[1].Verdict)
	assert.Equal(t, models.StatusPaid, h.order(o.OrderNo).Status)
}

func TestNotifyGBK(t *testing.T) {
	for _, ct := range []string{formType + "; charset=GBK", formType + "; charset=gbk", formType + "; text/html; charset=GBK"} {
		t.Run(ct, func(t *testing.T) {
			h := newHarness(t, options{})
			o := h.createOrder()
			p := paidParams(o)
			p["subject"] = "真丝围巾"
			p["body"] = "2 x 真丝围巾"
			p["buyer_email"] = "买家@example.com"
			msg, err := payment.EncodeCharset(p.PreSign(), "GBK")
			require.NoError(t, err)
			sig, err := h.alipay.Sign(msg)
			require.NoError(t, err)
			p["sign"], p["sign_type"] = sig, string(h.alipay.SignType())
			body := encodeIn(t, p, "GBK")
			require.NotContains(t, body, url.QueryEscape("真丝围巾"), "the body must be GBK, not UTF-8")

			res := h.postNotify(body, ct, nil)

			assert.Equal(t, http.StatusOK, res.StatusCode)
			assert.Equal(t, "success", res.Body)
			assert.Equal(t, models.StatusPaid, h.order(o.OrderNo).Status)
		})
	}
}

// encodeIn form-encodes p with its values in charset.
func encodeIn(t *testing.T, p payment.Params, charset string) string {
	var parts []string
	for k, v := range p {
		b, err := payment.EncodeCharset(v, charset)
		require.NoError(t, err)
		parts = append(parts, url.QueryEscape(k)+"="+url.QueryEscape(string(b)))
	}
	return strings.Join(parts, "&")
}
