package sandbox_test

import (
	"bytes"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/payment"
)

// TestGBKRequests accepts a desktop payment in GBK (its documented
// charsets are GBK and UTF-8) and notifies in GBK.
func TestGBKRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	c := e.client(payment.MD5)
	no := newOutTradeNo("gbk")
	p := e.tradeParams(no)
	p["service"], p["product_code"], p["_input_charset"], p["subject"] = string(payment.ServicePC), payment.ProductPC, "GBK", "儿童服装"
	s := signed(t, payment.MD5, p)
	var raw []byte
	for k, v := range s {
		b, err := payment.EncodeCharset(v, "GBK")
		require.NoError(t, err)
		if len(raw) > 0 {
			raw = append(raw, '&')
		}
		raw = append(raw, url.QueryEscape(k)+"="+url.QueryEscape(string(b))...)
	}
	t.Run("GET", func(t *testing.T) {
		cashier := e.cashierFor(e.get(e.gateway() + "?" + string(raw)))
		page := e.openCashier(cashier)
		assert.Contains(t, page, "儿童服装")
	})
	t.Run("POST with _input_charset in the URL", func(t *testing.T) {
		req, err := http.NewRequest(http.MethodPost, e.gateway()+"?_input_charset=GBK", bytes.NewReader(raw))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		cashier := e.cashierFor(e.do(req))
		ret := e.payCashier(cashier)
		_, err = c.ParseReturn(ret.RawQuery)
		assert.NoError(t, err)
	})
	t.Run("the notification is GBK and verifies", func(t *testing.T) {
		d := e.site.waitDeliveries(t, no, 1)[0]
		assert.Contains(t, d.ContentType, "charset=gbk")
		n, err := c.ParseNotification(d.Body, d.ContentType)
		require.NoError(t, err)
		assert.Equal(t, no, n.OutTradeNo)
	})
	t.Run("Params.Encode writes the GBK bytes the gateway reads", func(t *testing.T) {
		// The same request as raw, encoded by package payment.
		assert.Equal(t, sortedQuery(string(raw)), s.Encode())
		other := e.tradeParams(newOutTradeNo("gbkenc"))
		other["service"], other["product_code"], other["_input_charset"], other["subject"] = string(payment.ServicePC), payment.ProductPC, "GBK", "儿童服装"
		page := e.openCashier(e.cashierFor(e.get(e.gateway() + "?" + signed(t, payment.RSA2, other).Encode())))
		assert.Contains(t, page, "儿童服装")
	})
	t.Run("a GBK refund, reason in Chinese", func(t *testing.T) {
		p := signed(t, payment.RSA, payment.Params{"service": string(payment.ServiceRefund), "out_trade_no": no, "out_return_no": "G" + no,
			"currency": "USD", "return_amount": "1.00", "gmt_return": "20260301120000", "product_code": payment.ProductPC,
			"is_sync": "Y", "reason": "尺码不合适", "_input_charset": "GBK"})
		resp, body := e.send(p)
		require.Equal(t, "", xmlCode(t, resp, body))
		rs := e.refunds(no)
		require.Len(t, rs, 1)
		assert.Equal(t, "尺码不合适", rs[0].Reason)
	})
	t.Run("a changed GBK subject fails the signature", func(t *testing.T) {
		q := string(raw)
		enc, err := payment.EncodeCharset("儿童服装", "GBK")
		require.NoError(t, err)
		other, err := payment.EncodeCharset("儿童服饰", "GBK")
		require.NoError(t, err)
		q = strings.Replace(q, url.QueryEscape(string(enc)), url.QueryEscape(string(other)), 1)
		resp, body := e.get(e.gateway() + "?" + q)
		assert.Equal(t, "ILLEGAL_SIGN", pageCode(t, resp, body))
	})
}

// sortedQuery puts the pairs of a query string in key order, as Encode
// writes them.
func sortedQuery(q string) string {
	pairs := strings.Split(q, "&")
	sort.Strings(pairs)
	return strings.Join(pairs, "&")
}
