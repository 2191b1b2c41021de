package sandbox_test

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/payment"
)

var (
	styleRE   = regexp.MustCompile(`(?s)<style>(.*?)</style>`)
	formRE    = regexp.MustCompile(`<form [^>]*action="([^"]*)"`)
	handlerRE = regexp.MustCompile(`(?i)\son[a-z]+\s*=`)
)

// cspDirectives splits a Content-Security-Policy into its directives.
func cspDirectives(t *testing.T, csp string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, d := range strings.Split(csp, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		require.NotContains(t, out, name, "directive %s twice in %q", name, csp)
		out[name] = value
	}
	return out
}

// TestSecurityHeaders checks the headers of every kind of answer the
// sandbox gives, and for pages that their Content-Security-Policy lets them
// work: the stylesheet matches its hash, every form posts where
// form-action allows, and there is no script for the policy to block.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{noRun: true})
	c := e.client(payment.MD5)
	wap := e.createTrade(c, e.tradeRequest(payment.ServiceWAP, newOutTradeNo("hdr")))
	pcReq := e.tradeRequest(payment.ServicePC, newOutTradeNo("hdr"))
	pcReq.ReferURL = "https://shop.example:8443/orders"
	pc := e.createTrade(c, pcReq)
	noReturn := e.tradeRequest(payment.ServiceWAP, newOutTradeNo("hdr"))
	noReturn.ReturnURL = ""
	done := e.createTrade(c, noReturn)
	bad := e.tradeParams(newOutTradeNo("hdr"))
	bad["sign"], bad["sign_type"], bad["partner"], bad["_input_charset"] = "0123", "MD5", partner, "utf-8"
	siteOrigin := e.site.srv.URL

	tests := []struct {
		name       string
		do         func() (*http.Response, string)
		page       bool     // an HTML page from the templates
		formAction []string // its form-action sources; nil: 'none'
		dataImage  bool     // it shows a data: image
	}{
		{"WAP cashier", func() (*http.Response, string) { return e.get(wap) }, true, []string{"'self'", siteOrigin}, false},
		{"PC cashier with QR code", func() (*http.Response, string) { return e.get(pc) }, true, []string{"'self'", siteOrigin, "https://shop.example:8443"}, true},
		{"cashier after a failed payment", func() (*http.Response, string) { return e.post(wap+"/fail", url.Values{}, sameOrigin) }, true, []string{"'self'", siteOrigin}, false},
		{"done page", func() (*http.Response, string) { return e.post(done+"/cancel", url.Values{}, sameOrigin) }, true, []string{"'self'"}, false},
		{"gateway error page", func() (*http.Response, string) { return e.send(bad) }, true, nil, false},
		{"cashier error page", func() (*http.Response, string) { return e.get(e.srv.URL + "/sandbox/cashier/nosuchtoken") }, true, nil, false},
		{"console", func() (*http.Response, string) { return e.get(e.srv.URL + "/sandbox/") }, true, []string{"'self'"}, false},
		{"console action", func() (*http.Response, string) {
			return e.post(e.srv.URL+"/sandbox/console/faults", url.Values{"app_result": {"9000"}}, sameOrigin)
		}, false, nil, false},
		{"gateway redirect to the cashier", func() (*http.Response, string) {
			u, err := c.PayURL(e.tradeRequest(payment.ServiceWAP, newOutTradeNo("hdr")))
			require.NoError(t, err)
			return e.get(u)
		}, false, nil, false},
		{"gateway XML", func() (*http.Response, string) {
			return e.send(signed(t, payment.MD5, payment.Params{"service": string(payment.ServiceQuery), "out_trade_no": "nosuchtrade"}))
		}, false, nil, false},
		{"app endpoint JSON", func() (*http.Response, string) {
			return e.post(e.srv.URL+"/sandbox/app/pay", url.Values{"order_string": {"not an order string"}}, nil)
		}, false, nil, false},
		{"control API JSON", func() (*http.Response, string) { return e.get(e.srv.URL + "/sandbox/api/trades") }, false, nil, false},
		{"cross-origin refusal", func() (*http.Response, string) {
			return e.post(wap+"/pay", url.Values{}, map[string]string{"Sec-Fetch-Site": "cross-site"})
		}, false, nil, false},
		{"not found", func() (*http.Response, string) { return e.get(e.srv.URL + "/sandbox/nosuchpage") }, false, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := tt.do()
			h := resp.Header
			assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
			assert.Equal(t, "same-origin", h.Get("Referrer-Policy"))
			require.Len(t, h.Values("Content-Security-Policy"), 1)
			csp := cspDirectives(t, h.Get("Content-Security-Policy"))
			assert.Equal(t, "'none'", csp["default-src"], "no script, font, frame or fetch from anywhere")
			assert.Equal(t, "'none'", csp["frame-ancestors"])
			assert.Equal(t, "'none'", csp["base-uri"])
			assert.Equal(t, "'self' data:", csp["img-src"])
			assert.NotContains(t, h.Get("Content-Security-Policy"), "unsafe")
			assert.NotContains(t, csp, "script-src", "default-src 'none' covers scripts")
			want := "'none'"
			if tt.formAction != nil {
				want = strings.Join(tt.formAction, " ")
			}
			assert.Equal(t, want, csp["form-action"])
			if !tt.page {
				return
			}

			require.Contains(t, h.Get("Content-Type"), "text/html")
			styles := styleRE.FindAllStringSubmatch(body, -1)
			require.Len(t, styles, 1, "one stylesheet")
			sum := sha256.Sum256([]byte(styles[0][1]))
			assert.Equal(t, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'", csp["style-src"], "the hash of the stylesheet as served")
			assert.NotContains(t, body, "<script", "no script for the policy to block")
			assert.NotRegexp(t, handlerRE, body, "no inline event handlers")
			assert.NotContains(t, body, "style=", "no style attributes: the hash does not cover them")
			for _, m := range formRE.FindAllStringSubmatch(body, -1) {
				assert.True(t, strings.HasPrefix(m[1], "/sandbox/"), "form posts to the sandbox itself: %s", m[1])
			}
			assert.Equal(t, tt.dataImage, strings.Contains(body, `src="data:image/png;base64,`))
		})
	}
}
