package sandbox_test

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/payment"
	"shop/payment/sandbox"
)

// fileBody fetches a file by hand (signed as a merchant would) and returns
// the raw answer.
func (e *env) fileBody(svc payment.Service, start, end string) (*http.Response, string) {
	e.t.Helper()
	return e.send(signed(e.t, payment.MD5, payment.Params{"service": string(svc), "start_date": start, "end_date": end}))
}

// TestFiles builds trades and refunds over three days on the sandbox's
// clock and reads them back from both files, to the byte.
func TestFiles(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{noRun: true, refundInterval: -1})
	c := e.client(payment.MD5)
	bj := func(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, payment.Beijing()) }

	// 1 March, 18:00 in Beijing: three payments, and one of another partner.
	e.clock.Set(bj(1, 18, 0))
	usd, jpy, rmb := newOutTradeNo("fa"), newOutTradeNo("fb"), newOutTradeNo("fc")
	e.paidTrade(c, e.tradeRequest(payment.ServiceWAP, usd)) // USD 100.00
	jreq := e.tradeRequest(payment.ServiceWAP, jpy)
	jreq.Currency, jreq.TotalFee = "JPY", 1500
	e.paidTrade(c, jreq)
	rreq := e.tradeRequest(payment.ServiceWAP, rmb)
	rreq.TotalFee, rreq.RMBFee = 0, 50000 // CNY 500.00: USD 70.19 at 7.1234
	e.paidTrade(c, rreq)
	e.paidTrade(e.clientFor(md5OnlyPartner, payment.MD5), e.tradeRequest(payment.ServiceWAP, newOutTradeNo("other")))
	e.createTrade(c, e.tradeRequest(payment.ServiceWAP, newOutTradeNo("unpaid")))

	// 2 March, 09:00: a refund at once, one made a minute later, one that fails.
	e.clock.Set(bj(2, 9, 0))
	_, err := c.Refund(ctx(t), payment.RefundRequest{OutReturnNo: "R" + usd, OutTradeNo: usd, Currency: "USD", Amount: 2500,
		ProductCode: payment.ProductWAP, IsSync: true, Reason: "too small"})
	require.NoError(t, err)
	_, err = c.Refund(ctx(t), payment.RefundRequest{OutReturnNo: "A" + usd, OutTradeNo: usd, Currency: "USD", Amount: 1000,
		ProductCode: payment.ProductWAP})
	require.NoError(t, err)
	e.clock.Set(bj(2, 9, 1))
	e.round()
	// The balance is short when this one is made.
	e.setFaults(`{"refund_balance_not_enough":true}`)
	_, err = c.Refund(ctx(t), payment.RefundRequest{OutReturnNo: "F" + jpy, OutTradeNo: jpy, Currency: "JPY", Amount: 100,
		ProductCode: payment.ProductWAP})
	require.NoError(t, err)
	e.clock.Set(bj(2, 9, 2))
	e.round()
	e.setFaults(`{}`)
	require.Equal(t, "FAILED", e.refunds(jpy)[0].Status)

	// 3 March: one more payment.
	e.clock.Set(bj(3, 10, 0))
	late := newOutTradeNo("fd")
	e.paidTrade(c, e.tradeRequest(payment.ServiceWAP, late))

	e.clock.Set(bj(4, 18, 0))
	day1 := fmt.Sprintf("%s|100.00|USD|20260301180000|20260302000000|P|1.80|SUCCESS|\n", usd) +
		fmt.Sprintf("%s|1500|JPY|20260301180000|20260302000000|P|27|SUCCESS|\n", jpy) +
		fmt.Sprintf("%s|70.19|USD|20260301180000|20260302000000|P|1.26|SUCCESS|\n", rmb)
	day2 := fmt.Sprintf("R%s|25.00|USD|20260302090000|20260303000000|R|0.45|SUCCESS|too small\n", usd) +
		fmt.Sprintf("A%s|10.00|USD|20260302090100|20260303000000|R|0.18|SUCCESS|\n", usd)
	day3 := fmt.Sprintf("%s|100.00|USD|20260303100000|20260304000000|P|1.80|SUCCESS|\n", late)
	cases := []struct {
		name       string
		svc        payment.Service
		start, end string
		want       string
	}{
		{"payments of 1 March", payment.ServiceCompareFile, "20260301", "20260301", day1},
		{"refunds of 2 March, the failed one left out", payment.ServiceCompareFile, "20260302", "20260302", day2},
		{"three days", payment.ServiceCompareFile, "20260301", "20260303", day1 + day2 + day3},
		{"ten days up to yesterday", payment.ServiceCompareFile, "20260222", "20260303", day1 + day2 + day3},
		{"nothing on 28 February", payment.ServiceCompareFile, "20260228", "20260228", "No balance account data in the period"},
		{"settled on 2 March: 1 March's", payment.ServiceLiquidationFile, "20260302", "20260302", day1},
		{"settled on 2 and 3 March", payment.ServiceLiquidationFile, "20260302", "20260303", day1 + day2},
		{"nothing settled on 1 March", payment.ServiceLiquidationFile, "20260301", "20260301", "No balance account data in the period"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := e.fileBody(tc.svc, tc.start, tc.end)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, "text/plain; charset=utf-8", resp.Header.Get("Content-Type"))
			assert.Equal(t, tc.want, body)
		})
	}

	t.Run("through package payment", func(t *testing.T) {
		rows, err := c.CompareFile(ctx(t), payment.FileRequest{Start: bj(1, 0, 0), End: bj(3, 0, 0)})
		require.NoError(t, err)
		require.Len(t, rows, 6)
		assert.Equal(t, payment.FileRow{PartnerTransID: rmb, Type: payment.RowPayment, Amount: payment.Amount{Minor: 7019, Currency: "USD"},
			Fee: payment.Amount{Minor: 126, Currency: "USD"}, TransactionTime: rows[2].TransactionTime, SettlementTime: rows[2].SettlementTime,
			Status: "SUCCESS", Line: 3}, rows[2])
		assert.True(t, rows[2].TransactionTime.Equal(bj(1, 18, 0)))
		assert.True(t, rows[2].SettlementTime.Equal(bj(2, 0, 0)))
		assert.Equal(t, payment.RowRefund, rows[3].Type)
		assert.Equal(t, "R"+usd, rows[3].PartnerTransID)
		assert.Equal(t, "too small", rows[3].Remarks)

		settled, err := c.LiquidationFile(ctx(t), payment.FileRequest{Start: bj(1, 0, 0), End: bj(1, 0, 0)})
		require.NoError(t, err)
		assert.Empty(t, settled)
	})
	t.Run("faults drop or alter the first line", func(t *testing.T) {
		period := payment.FileRequest{Start: bj(1, 0, 0), End: bj(1, 0, 0)}
		e.setFaults(`{"file_fault":"drop_line"}`)
		rows, err := c.CompareFile(ctx(t), period)
		require.NoError(t, err)
		require.Len(t, rows, 2)
		assert.Equal(t, jpy, rows[0].PartnerTransID)

		e.setFaults(`{"file_fault":"alter_amount"}`)
		rows, err = c.LiquidationFile(ctx(t), payment.FileRequest{Start: bj(2, 0, 0), End: bj(2, 0, 0)})
		require.NoError(t, err)
		require.Len(t, rows, 3)
		assert.Equal(t, payment.Amount{Minor: 10001, Currency: "USD"}, rows[0].Amount, "one cent more")
		assert.Equal(t, payment.Amount{Minor: 1500, Currency: "JPY"}, rows[1].Amount, "the others unchanged")

		e.setFaults(`{"file_fault":"alter_amount"}`)
		rows, err = c.CompareFile(ctx(t), payment.FileRequest{Start: bj(2, 0, 0), End: bj(2, 0, 0)})
		require.NoError(t, err)
		assert.Equal(t, payment.Amount{Minor: 2501, Currency: "USD"}, rows[0].Amount, "on a refund line too")

		resp, body := e.put("/sandbox/api/faults", `{"file_fault":"shuffle"}`)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, body)
		e.setFaults(`{}`)
		rows, err = c.CompareFile(ctx(t), period)
		require.NoError(t, err)
		assert.Len(t, rows, 3, "cleared")
	})
}

// put sends a JSON body with PUT.
func (e *env) put(path, js string) (*http.Response, string) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPut, e.srv.URL+path, strings.NewReader(js))
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", "application/json")
	return e.do(req)
}

// TestFileLimits: the period rules of package payment, on the sandbox's
// clock (1 March 2026, 18:00 in Beijing), refused with a signed
// ILLEGAL_ARGUMENT.
func TestFileLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	cases := []struct {
		name, start, end, code string
	}{
		{"yesterday", "20260228", "20260228", ""},
		{"ten days up to yesterday", "20260219", "20260228", ""},
		{"eleven days", "20260218", "20260228", "ILLEGAL_ARGUMENT"},
		{"today", "20260301", "20260301", "ILLEGAL_ARGUMENT"},
		{"ending today", "20260227", "20260301", "ILLEGAL_ARGUMENT"},
		{"in the future", "20260310", "20260311", "ILLEGAL_ARGUMENT"},
		{"end before start", "20260227", "20260226", "ILLEGAL_ARGUMENT"},
		{"dates with separators", "2026-02-27", "2026-02-27", "ILLEGAL_ARGUMENT"},
		{"impossible date", "20260230", "20260230", "ILLEGAL_ARGUMENT"},
		{"no end", "20260227", "", "ILLEGAL_ARGUMENT"},
	}
	for _, svc := range []payment.Service{payment.ServiceCompareFile, payment.ServiceLiquidationFile} {
		for _, tc := range cases {
			t.Run(string(svc)+" "+tc.name, func(t *testing.T) {
				resp, body := e.fileBody(svc, tc.start, tc.end)
				if tc.code == "" {
					assert.Equal(t, "No balance account data in the period", body)
					return
				}
				assert.Equal(t, tc.code, xmlCode(t, resp, body))
				assert.NoError(t, verifyRefusal(t, body, payment.MD5), "signed over error=<code>")
			})
		}
	}
}

// TestFees: Alipay's charge in the files, half up to the minor unit.
func TestFees(t *testing.T) {
	t.Parallel()
	cases := []struct {
		bps   int // options.feeBasisPoints; 0 is the default 180
		minor int64
		want  int64
	}{
		{0, 10000, 180},
		{0, 25, 0}, // 0.45
		{0, 28, 1}, // 0.504
		{0, 1500, 27},
		{0, 7019, 126}, // 126.342
		{200, 25, 1},   // 0.5: half up
		{200, 75, 2},   // 1.5: half up, not to even
		{250, 10000, 250},
		{-1, 10000, 0},
		{0, 0, 0},
		{0, 100_000_000, 1_800_000},
	}
	envs := map[int]*sandbox.Sandbox{}
	for _, tc := range cases {
		if envs[tc.bps] == nil {
			envs[tc.bps] = newEnv(t, options{feeBasisPoints: tc.bps, noRun: true}).sb
		}
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%d bp of %d", tc.bps, tc.minor), func(t *testing.T) {
			assert.Equal(t, tc.want, envs[tc.bps].Fee(tc.minor))
		})
	}
}

// xmlSigned is the signature part of an XML answer.
type xmlSigned struct {
	Error    string `xml:"error"`
	Sign     string `xml:"sign"`
	SignType string `xml:"sign_type"`
}

// verifyRefusal checks the signature of an is_success=F answer over
// error=<code>, with payment's verifier for sign type st.
func verifyRefusal(t *testing.T, body string, st payment.SignType) error {
	t.Helper()
	var a xmlSigned
	d := xml.NewDecoder(strings.NewReader(body))
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) { return in, nil }
	require.NoError(t, d.Decode(&a), body)
	if a.Sign == "" {
		return fmt.Errorf("no <sign> in %s", body)
	}
	assert.Equal(t, string(st), a.SignType)
	return alipayVerifier(t, st).Verify([]byte("error="+a.Error), a.Sign)
}
