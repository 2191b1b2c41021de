package sandbox_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/payment"
	"shop/payment/sandbox"
)

func (e *env) tradeRequest(svc payment.Service, outTradeNo string) payment.TradeRequest {
	return payment.TradeRequest{
		Service: svc, OutTradeNo: outTradeNo, Subject: "kids clothing", Body: "Glitter leggings",
		Currency: "USD", TotalFee: 10000, NotifyURL: e.site.notifyURL(), ReturnURL: e.site.returnURL(),
		Supplier: "company_name",
	}
}

// do sends req with the browser (no redirects followed) and returns the
// response with its body read.
func (e *env) do(req *http.Request) (*http.Response, string) {
	e.t.Helper()
	resp, err := e.browser.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return resp, string(b)
}

func (e *env) get(u string) (*http.Response, string) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	require.NoError(e.t, err)
	return e.do(req)
}

// post POSTs a form (nil for none) with the given extra headers.
func (e *env) post(u string, form url.Values, headers map[string]string) (*http.Response, string) {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(http.MethodPost, u, body)
	require.NoError(e.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return e.do(req)
}

var sameOrigin = map[string]string{"Sec-Fetch-Site": "same-origin"}

// abs resolves a Location against the sandbox server.
func (e *env) abs(loc string) string {
	e.t.Helper()
	u, err := url.Parse(e.srv.URL)
	require.NoError(e.t, err)
	l, err := u.Parse(loc)
	require.NoError(e.t, err)
	return l.String()
}

// cashierFor follows a payment URL the way a browser does: it must answer
// 303 to the cashier. It returns the cashier's absolute URL.
func (e *env) cashierFor(resp *http.Response, body string) string {
	e.t.Helper()
	require.Equalf(e.t, http.StatusSeeOther, resp.StatusCode, "want a redirect to the cashier, got: %s", clip(body))
	loc := resp.Header.Get("Location")
	require.Contains(e.t, loc, "/sandbox/cashier/")
	return e.abs(loc)
}

// createTrade sends req through PayURL and returns the cashier URL.
func (e *env) createTrade(c *payment.Client, req payment.TradeRequest) string {
	e.t.Helper()
	u, err := c.PayURL(req)
	require.NoError(e.t, err)
	return e.cashierFor(e.get(u))
}

// openCashier is the buyer opening the cashier page.
func (e *env) openCashier(cashier string) string {
	e.t.Helper()
	resp, body := e.get(cashier)
	require.Equalf(e.t, http.StatusOK, resp.StatusCode, "cashier: %s", clip(body))
	return body
}

// payCashier presses Pay on the cashier and returns where the browser is
// sent (the signed return URL).
func (e *env) payCashier(cashier string) *url.URL {
	e.t.Helper()
	resp, body := e.post(cashier+"/pay", url.Values{}, sameOrigin)
	require.Equalf(e.t, http.StatusSeeOther, resp.StatusCode, "pay: %s", clip(body))
	u, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(e.t, err)
	return u
}

// apiPay pays a trade through the control API.
func (e *env) apiPay(outTradeNo string) map[string]string {
	e.t.Helper()
	resp, body := e.post(e.srv.URL+"/sandbox/api/trades/"+outTradeNo+"/pay", nil, nil)
	require.Equalf(e.t, http.StatusOK, resp.StatusCode, "api pay: %s", body)
	var out map[string]string
	require.NoError(e.t, json.Unmarshal([]byte(body), &out))
	return out
}

// paidTrade creates a WAP trade with c and pays it through the API.
func (e *env) paidTrade(c *payment.Client, req payment.TradeRequest) map[string]string {
	e.t.Helper()
	e.createTrade(c, req)
	return e.apiPay(req.OutTradeNo)
}

func (e *env) setFaults(js string) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPut, e.srv.URL+"/sandbox/api/faults", strings.NewReader(js))
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, body := e.do(req)
	require.Equalf(e.t, http.StatusOK, resp.StatusCode, "faults: %s", body)
}

// notifications reads GET /sandbox/api/notifications.
func (e *env) notifications(outTradeNo string) []sandbox.Notification {
	e.t.Helper()
	resp, body := e.get(e.srv.URL + "/sandbox/api/notifications?out_trade_no=" + url.QueryEscape(outTradeNo))
	require.Equal(e.t, http.StatusOK, resp.StatusCode, body)
	var out struct {
		Notifications []sandbox.Notification `json:"notifications"`
	}
	require.NoError(e.t, json.Unmarshal([]byte(body), &out))
	return out.Notifications
}

// waitNotifications waits until cond holds for the notifications of
// outTradeNo, checking after each round of Run: a round records every
// delivery it makes before it ends.
func (e *env) waitNotifications(outTradeNo string, cond func([]sandbox.Notification) bool) []sandbox.Notification {
	e.t.Helper()
	var ns []sandbox.Notification
	await(e.t, e.rounds, func() bool {
		ns = e.notifications(outTradeNo)
		return cond(ns)
	}, func() string {
		b, _ := json.MarshalIndent(ns, "", " ")
		return "notifications did not reach the expected state: " + string(b)
	})
	return ns
}

// apiTrade reads one trade from GET /sandbox/api/trades.
func (e *env) apiTrade(outTradeNo string) sandbox.Trade {
	e.t.Helper()
	resp, body := e.get(e.srv.URL + "/sandbox/api/trades")
	require.Equal(e.t, http.StatusOK, resp.StatusCode, body)
	var out struct {
		Trades []sandbox.Trade `json:"trades"`
	}
	require.NoError(e.t, json.Unmarshal([]byte(body), &out))
	for _, tr := range out.Trades {
		if tr.OutTradeNo == outTradeNo {
			return tr
		}
	}
	require.FailNow(e.t, "no trade "+outTradeNo)
	return sandbox.Trade{}
}

// allRefunds reads every refund from GET /sandbox/api/refunds.
func (e *env) allRefunds() []sandbox.Refund {
	e.t.Helper()
	resp, body := e.get(e.srv.URL + "/sandbox/api/refunds")
	require.Equal(e.t, http.StatusOK, resp.StatusCode, body)
	var out struct {
		Refunds []sandbox.Refund `json:"refunds"`
	}
	require.NoError(e.t, json.Unmarshal([]byte(body), &out))
	return out.Refunds
}

// refunds returns the refunds of a trade.
func (e *env) refunds(outTradeNo string) []sandbox.Refund {
	e.t.Helper()
	var rs []sandbox.Refund
	for _, r := range e.allRefunds() {
		if r.OutTradeNo == outTradeNo {
			rs = append(rs, r)
		}
	}
	return rs
}

// signed signs p (adding partner and _input_charset unless set) by hand,
// the way a merchant who does not use package payment would.
func signed(t *testing.T, st payment.SignType, p payment.Params) payment.Params {
	t.Helper()
	p = p.Clone()
	if _, ok := p["partner"]; !ok {
		p["partner"] = partner
	}
	if _, ok := p["_input_charset"]; !ok {
		p["_input_charset"] = "utf-8"
	}
	s, err := payment.Sign(signer(t, st), p)
	require.NoError(t, err)
	return s
}

// tradeParams are the parameters of a valid WAP payment.
func (e *env) tradeParams(outTradeNo string) payment.Params {
	return payment.Params{
		"service": string(payment.ServiceWAP), "out_trade_no": outTradeNo, "subject": "kids clothing",
		"currency": "USD", "total_fee": "100.00", "notify_url": e.site.notifyURL(), "return_url": e.site.returnURL(),
		"product_code": payment.ProductWAP,
	}
}

// send GETs the gateway with p.
func (e *env) send(p payment.Params) (*http.Response, string) {
	e.t.Helper()
	return e.get(e.gateway() + "?" + p.Encode())
}

// xmlAnswer is the envelope of the sandbox's XML answers.
type xmlAnswer struct {
	IsSuccess string `xml:"is_success"`
	Error     string `xml:"error"`
}

// xmlCode returns the error code of an XML answer, or "" for is_success=T.
func xmlCode(t *testing.T, resp *http.Response, body string) string {
	t.Helper()
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Contains(t, resp.Header.Get("Content-Type"), "text/xml", body)
	var a xmlAnswer
	d := xml.NewDecoder(strings.NewReader(body))
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) { return in, nil }
	require.NoError(t, d.Decode(&a), body)
	if a.IsSuccess == "T" {
		return ""
	}
	require.Equal(t, "F", a.IsSuccess, body)
	return a.Error
}

var errorCodeRE = regexp.MustCompile(`data-testid="error-code">([A-Z0-9_]+)<`)

// pageCode returns the code shown on an HTML error page.
func pageCode(t *testing.T, resp *http.Response, body string) string {
	t.Helper()
	require.Contains(t, resp.Header.Get("Content-Type"), "text/html", body)
	m := errorCodeRE.FindStringSubmatch(body)
	require.NotNilf(t, m, "no error code on the page: %s", clip(body))
	assert.GreaterOrEqual(t, resp.StatusCode, 400, "an error page is not a success")
	return m[1]
}

func clip(s string) string {
	if len(s) > 600 {
		return s[:600] + "..."
	}
	return s
}

// gatewayCode extracts Alipay's code from an error of package payment.
func gatewayCode(err error) string {
	var ge *payment.GatewayError
	if errors.As(err, &ge) {
		return ge.Code
	}
	return ""
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), patience)
	t.Cleanup(cancel)
	return c
}
