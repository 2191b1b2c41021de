package sandbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/payment"
	"shop/payment/sandbox"
)

// TestConformance runs everything package payment signs through the
// sandbox, for each sign type, and verifies everything the sandbox signs
// back with package payment's verifier.
func TestConformance(t *testing.T) {
	t.Parallel()
	for _, st := range signTypes {
		t.Run(string(st), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, options{})
			c := e.client(st)
			verified := e.verifyDuringDelivery(c)
			no := newOutTradeNo("conf")
			req := e.tradeRequest(payment.ServiceWAP, no)
			u, err := c.PayURL(req)
			require.NoError(t, err)

			cashier := e.cashierFor(e.get(u))
			t.Run("same request twice reuses the cashier", func(t *testing.T) {
				assert.Equal(t, cashier, e.cashierFor(e.get(u)))
			})
			t.Run("query before the buyer opened the cashier", func(t *testing.T) {
				_, err := c.QueryTrade(ctx(t), payment.QueryRequest{OutTradeNo: no})
				assert.ErrorIs(t, err, payment.ErrTradeNotExist)
			})
			page := e.openCashier(cashier)
			assert.Contains(t, page, "USD 100.00")
			t.Run("query after opening", func(t *testing.T) {
				tr, err := c.QueryTrade(ctx(t), payment.QueryRequest{OutTradeNo: no})
				require.NoError(t, err)
				assert.Equal(t, payment.WaitBuyerPay, tr.TradeStatus)
			})

			ret := e.payCashier(cashier)
			var tradeNo string
			t.Run("return redirect verifies", func(t *testing.T) {
				assert.Equal(t, e.site.returnURL(), ret.Scheme+"://"+ret.Host+ret.Path)
				n, err := c.ParseReturn(ret.RawQuery)
				require.NoError(t, err)
				assert.Equal(t, no, n.OutTradeNo)
				assert.Equal(t, payment.TradeFinished, n.TradeStatus)
				assert.Equal(t, payment.Amount{Minor: 10000, Currency: "USD"}, n.Amount)
				assert.Len(t, n.TradeNo, 28)
				tradeNo = n.TradeNo
			})
			t.Run("notification verifies", func(t *testing.T) {
				d := e.site.waitDeliveries(t, no, 1)[0]
				assert.Equal(t, "/notify", d.Path)
				assert.Equal(t, "application/x-www-form-urlencoded; charset=utf-8", d.ContentType)
				n, err := c.ParseNotification(d.Body, d.ContentType)
				require.NoError(t, err)
				assert.Equal(t, no, n.OutTradeNo)
				assert.Equal(t, tradeNo, n.TradeNo)
				assert.Equal(t, "trade_status_sync", n.NotifyType)
				assert.Equal(t, payment.TradeFinished, n.TradeStatus)
				assert.Equal(t, partner, n.SellerID)
				assert.NoError(t, verified(n.NotifyID), "notify_verify while the delivery is handled")
				e.waitNotifications(no, func(ns []sandbox.Notification) bool { return ns[0].State == "delivered" })
				assert.ErrorIs(t, c.NotifyVerify(ctx(t), n.NotifyID), payment.ErrNotifyNotVerified, "spent once answered success")
				kind, err := payment.NotificationKind(d.Body, d.ContentType)
				require.NoError(t, err)
				assert.Equal(t, payment.NotifyTrade, kind)
				_, err = c.ParseRefundNotification(d.Body, d.ContentType)
				assert.ErrorIs(t, err, payment.ErrNotificationKind)
			})
			t.Run("query of the paid trade, also in GBK", func(t *testing.T) {
				for _, gbk := range []bool{false, true} {
					e.setFaults(fmt.Sprintf(`{"gbk_responses":%t}`, gbk))
					tr, err := c.QueryTrade(ctx(t), payment.QueryRequest{OutTradeNo: no})
					require.NoError(t, err, "gbk=%v", gbk)
					assert.Equal(t, payment.TradeFinished, tr.TradeStatus)
					assert.Equal(t, tradeNo, tr.TradeNo)
					assert.Equal(t, "100.00", tr.TotalFee)
					assert.Equal(t, partner, tr.SellerID)
					assert.False(t, tr.GmtPayment.IsZero())
					tr, err = c.QueryTrade(ctx(t), payment.QueryRequest{TradeNo: tradeNo})
					require.NoError(t, err)
					assert.Equal(t, no, tr.OutTradeNo)
				}
				e.setFaults(`{}`)
			})
			t.Run("the paid order sent again", func(t *testing.T) {
				resp, body := e.get(u)
				assert.Equal(t, "TRADE_HAS_SUCCESS", pageCode(t, resp, body))
			})
			t.Run("refund", func(t *testing.T) {
				res, err := c.Refund(ctx(t), payment.RefundRequest{
					OutReturnNo: "R" + no, OutTradeNo: no, Currency: "USD", Amount: 2500,
					ProductCode: payment.ProductWAP, IsSync: true, Reason: "too small",
				})
				require.NoError(t, err)
				assert.False(t, res.Accepted)
				assert.Equal(t, int64(2500), e.apiTrade(no).RefundedMinor)
				r, err := c.QueryRefund(ctx(t), payment.RefundQueryRequest{OutTradeNo: no, OutReturnNo: "R" + no})
				require.NoError(t, err)
				assert.Equal(t, payment.RefundSuccess, r.Status)
				assert.Equal(t, payment.Amount{Minor: 2500, Currency: "USD"}, r.Amount)
				assert.Equal(t, tradeNo, r.TradeNo)
				_, err = c.QueryRefund(ctx(t), payment.RefundQueryRequest{OutTradeNo: no, OutReturnNo: "nosuchrefund"})
				assert.ErrorIs(t, err, payment.ErrRefundNotFound)
				_, err = c.QueryRefund(ctx(t), payment.RefundQueryRequest{OutTradeNo: "nosuchtrade", OutReturnNo: "R" + no})
				assert.ErrorIs(t, err, payment.ErrTradeNotExist)
			})
			t.Run("asynchronous refund, its query and its notification", func(t *testing.T) {
				e.clock.Advance(3 * time.Second) // Alipay's spacing between refunds
				a := "A" + no
				res, err := c.Refund(ctx(t), payment.RefundRequest{
					OutReturnNo: a, OutTradeNo: no, Currency: "USD", Amount: 1000,
					ProductCode: payment.ProductWAP, NotifyURL: e.site.notifyURL(), Reason: "late",
				})
				require.NoError(t, err)
				assert.True(t, res.Accepted)
				q := payment.RefundQueryRequest{OutTradeNo: no, OutReturnNo: a}
				r, err := c.QueryRefund(ctx(t), q)
				require.NoError(t, err)
				assert.Equal(t, payment.RefundProcessing, r.Status)

				e.clock.Advance(time.Minute) // the default RefundDelay
				r, err = c.QueryRefund(ctx(t), q)
				require.NoError(t, err)
				assert.Equal(t, payment.RefundSuccess, r.Status)
				assert.Equal(t, int64(3500), e.apiTrade(no).RefundedMinor)

				d := e.site.waitRefundDeliveries(t, a, 1)[0]
				kind, err := payment.NotificationKind(d.Body, d.ContentType)
				require.NoError(t, err)
				assert.Equal(t, payment.NotifyRefund, kind)
				rn, err := c.ParseRefundNotification(d.Body, d.ContentType)
				require.NoError(t, err)
				assert.Equal(t, payment.RefundNotifySuccess, rn.Status)
				assert.Equal(t, no, rn.OutTradeNo)
				assert.Equal(t, a, rn.OutReturnNo)
				assert.Equal(t, payment.Amount{Minor: 1000, Currency: "USD"}, rn.Amount)
				assert.NoError(t, verified(rn.NotifyID))
				n, err := c.ParseNotification(d.Body, d.ContentType)
				assert.ErrorIs(t, err, payment.ErrNotificationKind, "a refund's result is not a payment")
				assert.False(t, n.TradeStatus.Paid())
			})
			t.Run("reconciliation and settlement files", func(t *testing.T) {
				paidOn := time.Date(2026, 3, 1, 0, 0, 0, 0, payment.Beijing())
				day := payment.FileRequest{Start: paidOn, End: paidOn}
				_, err := c.CompareFile(ctx(t), day)
				assert.ErrorIs(t, err, payment.ErrInvalid, "today is not served")
				e.clock.Advance(48 * time.Hour)
				rows, err := c.CompareFile(ctx(t), day)
				require.NoError(t, err)
				mine := map[string]payment.FileRow{}
				for _, r := range rows {
					mine[r.PartnerTransID] = r
				}
				require.Contains(t, mine, no)
				assert.Equal(t, payment.RowPayment, mine[no].Type)
				assert.Equal(t, payment.Amount{Minor: 10000, Currency: "USD"}, mine[no].Amount)
				assert.Equal(t, payment.Amount{Minor: 180, Currency: "USD"}, mine[no].Fee, "1.8%")
				assert.Equal(t, payment.RowRefund, mine["R"+no].Type)
				assert.Equal(t, payment.Amount{Minor: 2500, Currency: "USD"}, mine["R"+no].Amount)
				assert.Equal(t, payment.Amount{Minor: 45, Currency: "USD"}, mine["R"+no].Fee)
				assert.Equal(t, "too small", mine["R"+no].Remarks)
				assert.Equal(t, payment.Amount{Minor: 1000, Currency: "USD"}, mine["A"+no].Amount)

				settled, err := c.LiquidationFile(ctx(t), payment.FileRequest{Start: paidOn.AddDate(0, 0, 1), End: paidOn.AddDate(0, 0, 1)})
				require.NoError(t, err)
				assert.Len(t, settled, len(rows), "settled the day after")
				none, err := c.LiquidationFile(ctx(t), day)
				require.NoError(t, err)
				assert.Empty(t, none, "nothing was settled on the day of payment")
			})
			t.Run("rates", func(t *testing.T) {
				rates, err := c.ForexRates(ctx(t))
				require.NoError(t, err)
				found := false
				for _, r := range rates {
					if r.Currency == "USD" {
						found = true
						assert.Equal(t, "7.1234", r.Rate)
					}
				}
				assert.True(t, found, "USD in %v", rates)
			})
			t.Run("PC PayURL", func(t *testing.T) {
				pc := e.tradeRequest(payment.ServicePC, newOutTradeNo("pc"))
				cashier := e.createTrade(c, pc)
				page := e.openCashier(cashier)
				assert.Contains(t, page, "data:image/png;base64,", "desktop cashier shows a QR code")
				assert.Equal(t, string(payment.ServicePC), e.apiTrade(pc.OutTradeNo).Service)
			})
			t.Run("PayForm posted cross-site with _input_charset in the URL", func(t *testing.T) {
				for _, svc := range []payment.Service{payment.ServiceWAP, payment.ServicePC} {
					f, err := c.PayForm(e.tradeRequest(svc, newOutTradeNo("form")))
					require.NoError(t, err)
					require.Contains(t, f.Action, "?_input_charset=")
					form := url.Values{}
					for k, v := range f.Fields {
						form.Set(k, v)
					}
					// The buyer's browser posts from the merchant's page.
					cashier := e.cashierFor(e.post(f.Action, form, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://shop.example"}))
					e.openCashier(cashier)
				}
			})
			t.Run("app order string", func(t *testing.T) {
				appNo := newOutTradeNo("app")
				os, err := c.AppOrderString(payment.AppPayRequest{
					OutTradeNo: appNo, Subject: "Mika's coffee shop", Body: "test", Currency: "USD",
					TotalFee: 1234, NotifyURL: e.site.notifyURL(),
				})
				if st == payment.MD5 {
					assert.ErrorIs(t, err, payment.ErrInvalid, "payment refuses MD5 for the app")
					return
				}
				require.NoError(t, err)
				res := e.appPay(os, nil)
				require.Equal(t, "9000", res.ResultStatus, res.Memo)
				o, err := payment.VerifyOrderString(alipayVerifier(t, st), res.Result)
				require.NoError(t, err, "the SDK result is signed by Alipay")
				assert.Equal(t, "true", o.Params()["success"])
				assert.Equal(t, appNo, o.Params()["out_trade_no"])
				assert.True(t, strings.HasPrefix(res.Result, strings.Split(os, `&sign="`)[0]), "the result starts with the order content")

				d := e.site.waitDeliveries(t, appNo, 1)[0]
				n, err := c.ParseNotification(d.Body, d.ContentType)
				require.NoError(t, err)
				assert.True(t, n.TradeStatus.Paid())
				assert.Equal(t, payment.Amount{Minor: 1234, Currency: "USD"}, n.Amount)
				assert.NoError(t, verified(n.NotifyID))
			})
		})
	}
}

// verifyDuringDelivery has the merchant site ask notify_verify with c
// about every notification while handling it, as a merchant must (the id
// is spent once answered "success"), and returns what Alipay said about
// a notify_id, waiting for the notification to arrive.
func (e *env) verifyDuringDelivery(c *payment.Client) func(notifyID string) error {
	var mu sync.Mutex
	results := map[string]error{}
	e.site.setDuring(func(d delivery) {
		id := d.Form.Get("notify_id")
		err := c.NotifyVerify(ctx(e.t), id)
		mu.Lock()
		defer mu.Unlock()
		if _, seen := results[id]; !seen {
			results[id] = err
		}
	})
	return func(notifyID string) error {
		e.t.Helper()
		var err error
		found := false
		await(e.t, e.site.arrived, func() bool {
			mu.Lock()
			defer mu.Unlock()
			err, found = results[notifyID]
			return found
		}, func() string { return "no delivery of notify_id " + notifyID })
		return err
	}
}

type appResult struct {
	ResultStatus string `json:"resultStatus"`
	Result       string `json:"result"`
	Memo         string `json:"memo"`
}

// appPay posts an order string to /sandbox/app/pay as the Alipay SDK would.
func (e *env) appPay(orderString string, headers map[string]string) appResult {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/sandbox/app/pay", strings.NewReader(orderString))
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, body := e.do(req)
	require.Equal(e.t, http.StatusOK, resp.StatusCode, body)
	var r appResult
	require.NoError(e.t, json.Unmarshal([]byte(body), &r), body)
	return r
}

// TestRefusals checks that every broken request is refused with Alipay's
// code: an error page for the browser's redirect services, XML is_success=F
// for server calls.
func TestRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	for _, st := range signTypes {
		t.Run(string(st), func(t *testing.T) {
			// A merchant registered without a key of this type.
			keyless := md5OnlyPartner
			if st == payment.MD5 {
				keyless = rsaOnlyPartner
			}
			reused := newOutTradeNo("reuse")
			e.cashierFor(e.send(signed(t, st, e.tradeParams(reused))))

			wap := func(change func(p payment.Params)) func() payment.Params {
				return func() payment.Params {
					p := e.tradeParams(newOutTradeNo("bad"))
					change(p)
					return signed(t, st, p)
				}
			}
			query := func(change func(p payment.Params)) func() payment.Params {
				return func() payment.Params {
					p := payment.Params{"service": string(payment.ServiceQuery), "out_trade_no": reused}
					change(p)
					return signed(t, st, p)
				}
			}
			tamper := func(p payment.Params) payment.Params {
				sig := []byte(p["sign"])
				if sig[3] == 'a' {
					sig[3] = 'b'
				} else {
					sig[3] = 'a'
				}
				p["sign"] = string(sig)
				return p
			}
			cases := []struct {
				name   string
				params func() payment.Params
				page   bool // a browser redirect service: error page, not XML
				code   string
			}{
				{"changed signature", func() payment.Params { return tamper(wap(func(payment.Params) {})()) }, true, "ILLEGAL_SIGN"},
				{"parameter changed after signing", func() payment.Params {
					p := wap(func(payment.Params) {})()
					p["total_fee"] = "1.00"
					return p
				}, true, "ILLEGAL_SIGN"},
				{"changed signature, query", func() payment.Params { return tamper(query(func(payment.Params) {})()) }, false, "ILLEGAL_SIGN"},
				{"unknown partner", wap(func(p payment.Params) { p["partner"] = unknownPartner }), true, "ILLEGAL_PARTNER"},
				{"unknown partner, query", query(func(p payment.Params) { p["partner"] = unknownPartner }), false, "ILLEGAL_PARTNER"},
				{"merchant without a key of that type", wap(func(p payment.Params) { p["partner"] = keyless }), true, "ILLEGAL_SIGN_TYPE"},
				{"merchant without a key of that type, query", query(func(p payment.Params) { p["partner"] = keyless }), false, "ILLEGAL_SIGN_TYPE"},
				{"lowercase sign_type", func() payment.Params {
					p := wap(func(payment.Params) {})()
					p["sign_type"] = strings.ToLower(p["sign_type"])
					return p
				}, true, "ILLEGAL_SIGN_TYPE"},
				{"lowercase rsa2, query", func() payment.Params {
					p := query(func(payment.Params) {})()
					p["sign_type"] = "rsa2"
					return p
				}, false, "ILLEGAL_SIGN_TYPE"},
				{"total_fee=1.5", wap(func(p payment.Params) { p["total_fee"] = "1.5" }), true, "ILLEGAL_ARGUMENT"},
				{"total_fee=1e2", wap(func(p payment.Params) { p["total_fee"] = "1e2" }), true, "ILLEGAL_ARGUMENT"},
				{"total_fee and rmb_fee", wap(func(p payment.Params) { p["rmb_fee"] = "10.00" }), true, "ILLEGAL_ARGUMENT"},
				{"JPY with decimals", wap(func(p payment.Params) { p["currency"] = "JPY" }), true, "ILLEGAL_ARGUMENT"},
				{"unknown currency", wap(func(p payment.Params) { p["currency"] = "XYZ" }), true, "ILLEGAL_CURRENCY"},
				{"CNY is not a settlement currency", wap(func(p payment.Params) { p["currency"] = "CNY" }), true, "ILLEGAL_CURRENCY"},
				{"reused out_trade_no, other parameters", func() payment.Params {
					p := e.tradeParams(reused)
					p["total_fee"] = "99.00"
					return signed(t, st, p)
				}, true, "ALIN42282"},
				{"missing service", func() payment.Params {
					return signed(t, st, payment.Params{"out_trade_no": reused})
				}, false, "ILLEGAL_SERVICE"},
				{"unknown service", query(func(p payment.Params) { p["service"] = "create_direct_pay_by_user" }), false, "ILLEGAL_SERVICE"},
				{"timeout_rule not allowed", wap(func(p payment.Params) { p["timeout_rule"] = "7m" }), true, "ILLEGAL_TIMEOUT_RULE"},
				{"GBK on WAP", wap(func(p payment.Params) { p["_input_charset"] = "GBK" }), true, "ILLEGAL_CHARSET"},
				{"service not contracted, PC", func() payment.Params {
					p := e.tradeParams(newOutTradeNo("priv"))
					p["service"], p["product_code"], p["partner"] = string(payment.ServicePC), payment.ProductPC, limitedPartner
					return signed(t, st, p)
				}, true, "HAS_NO_PRIVILEGE"},
				{"service not contracted, refund", func() payment.Params {
					return signed(t, st, payment.Params{
						"service": string(payment.ServiceRefund), "partner": limitedPartner, "out_trade_no": reused,
						"out_return_no": "R1", "currency": "USD", "return_amount": "1.00",
						"gmt_return": "20260301120000", "product_code": payment.ProductWAP,
					})
				}, false, "HAS_NO_PRIVILEGE"},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					resp, body := e.send(tc.params())
					if tc.page {
						assert.Equal(t, tc.code, pageCode(t, resp, body))
					} else {
						assert.Equal(t, tc.code, xmlCode(t, resp, body))
					}
				})
			}
		})
	}

	// The same refusals reach package payment's callers as *GatewayError.
	t.Run("through package payment", func(t *testing.T) {
		ctx := ctx(t)
		_, err := e.clientFor(unknownPartner, payment.RSA2).QueryTrade(ctx, payment.QueryRequest{OutTradeNo: "x1"})
		assert.ErrorIs(t, err, payment.ErrIllegalPartner)
		_, err = e.clientFor(md5OnlyPartner, payment.RSA2).QueryTrade(ctx, payment.QueryRequest{OutTradeNo: "x1"})
		assert.Equal(t, "ILLEGAL_SIGN_TYPE", gatewayCode(err))
		_, err = e.clientFor(limitedPartner, payment.MD5).Refund(ctx, payment.RefundRequest{
			OutReturnNo: "R1", OutTradeNo: "x1", Currency: "USD", Amount: 100, ProductCode: payment.ProductWAP,
		})
		assert.Equal(t, "HAS_NO_PRIVILEGE", gatewayCode(err))
		_, err = e.clientFor(limitedPartner, payment.MD5).ForexRates(ctx)
		assert.Equal(t, "HAS_NO_PRIVILEGE", gatewayCode(err))
		_, err = e.clientFor(limitedPartner, payment.RSA2).QueryRefund(ctx, payment.RefundQueryRequest{OutTradeNo: "x1", OutReturnNo: "R1"})
		assert.Equal(t, "HAS_NO_PRIVILEGE", gatewayCode(err))
		yesterday := time.Date(2026, 2, 28, 0, 0, 0, 0, payment.Beijing())
		for _, svc := range []func(context.Context, payment.FileRequest) ([]payment.FileRow, error){
			e.clientFor(limitedPartner, payment.MD5).CompareFile, e.clientFor(limitedPartner, payment.MD5).LiquidationFile,
		} {
			_, err = svc(ctx, payment.FileRequest{Start: yesterday, End: yesterday})
			assert.Equal(t, "HAS_NO_PRIVILEGE", gatewayCode(err))
		}

		wrong, err := payment.NewClient(payment.Config{Gateway: e.gateway(), Partner: partner, SignType: payment.MD5,
			MD5Key: "0123456789abcdef0123456789abcdef", HTTPClient: httpClient(t)})
		require.NoError(t, err)
		_, err = wrong.QueryTrade(ctx, payment.QueryRequest{OutTradeNo: "x1"})
		assert.ErrorIs(t, err, payment.ErrIllegalSign)
		_, err = wrong.ForexRates(ctx)
		assert.ErrorIs(t, err, payment.ErrIllegalSign)
	})

	t.Run("undecodable redirect requests get an error page", func(t *testing.T) {
		cases := []struct {
			name string
			set  func(p payment.Params)
			page bool
			code string
		}{
			{"unknown charset on WAP", func(p payment.Params) { p["_input_charset"] = "ISO-8859-1" }, true, "ILLEGAL_CHARSET"},
			{"bytes that are not UTF-8 on WAP", func(p payment.Params) { p["subject"] = "caf\xe9" }, true, "ILLEGAL_CHARSET"},
			{"unknown charset on a query", func(p payment.Params) {
				p["service"], p["_input_charset"] = string(payment.ServiceQuery), "ISO-8859-1"
			}, false, "ILLEGAL_CHARSET"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				p := e.tradeParams(newOutTradeNo("enc"))
				p["partner"], p["_input_charset"], p["sign_type"], p["sign"] = partner, "utf-8", "MD5", "0123456789abcdef0123456789abcdef"
				tc.set(p)
				resp, body := e.send(p)
				if tc.page {
					assert.Equal(t, tc.code, pageCode(t, resp, body))
				} else {
					assert.Equal(t, tc.code, xmlCode(t, resp, body))
				}
			})
		}
	})

	t.Run("missing service, from a browser", func(t *testing.T) {
		req, err := http.NewRequest(http.MethodGet, e.gateway()+"?partner="+partner, nil)
		require.NoError(t, err)
		req.Header.Set("Accept", "text/html,application/xhtml+xml")
		resp, body := e.do(req)
		assert.Equal(t, "ILLEGAL_SERVICE", pageCode(t, resp, body))
	})

	t.Run("app order strings", func(t *testing.T) {
		c := e.client(payment.RSA2)
		good := func(no string) string {
			s, err := c.AppOrderString(payment.AppPayRequest{OutTradeNo: no, Subject: "coffee", Body: "test",
				Currency: "USD", TotalFee: 500, NotifyURL: e.site.notifyURL()})
			require.NoError(t, err)
			return s
		}
		s := good(newOutTradeNo("appbad"))
		cases := []struct {
			name, order, code string
		}{
			{"changed signature", strings.Replace(s, `&sign="`, `&sign="AB`, 1), "ILLEGAL_SIGN"},
			{"changed amount", strings.Replace(s, `total_fee="5.00"`, `total_fee="0.01"`, 1), "ILLEGAL_SIGN"},
			{"lowercase rsa2", strings.Replace(s, `sign_type="RSA2"`, `sign_type="rsa2"`, 1), "ILLEGAL_SIGN_TYPE"},
			{"unknown partner", strings.ReplaceAll(s, partner, unknownPartner), "ILLEGAL_PARTNER"},
			{"not an order string", "hello", "ALIN38173"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				res := e.appPay(tc.order, nil)
				assert.Equal(t, "4000", res.ResultStatus)
				assert.True(t, strings.HasPrefix(res.Memo, tc.code+":"), "memo %q, want %s", res.Memo, tc.code)
			})
		}
		t.Run("sign not URL-encoded", func(t *testing.T) {
			// Alipay's SDK URL-decodes the sign, turning a raw '+' into a
			// space: such an order string must be refused, not repaired.
			var raw string
			for i := 0; i < 50 && !strings.Contains(raw, "+"); i++ {
				raw = rawOrder(t, good(newOutTradeNo("appplus")))
			}
			require.Contains(t, raw, "+", "no signature with a '+' in 50 tries")
			res := e.appPay(raw, nil)
			assert.Equal(t, "4000", res.ResultStatus)
			assert.True(t, strings.HasPrefix(res.Memo, "ILLEGAL_SIGN:"), res.Memo)
		})
		t.Run("MD5 signed by hand", func(t *testing.T) {
			p := payment.Params{"service": string(payment.ServiceApp), "partner": partner, "seller_id": partner,
				"_input_charset": "UTF-8", "payment_type": "1", "forex_biz": "FP", "out_trade_no": newOutTradeNo("appmd5"),
				"subject": "coffee", "body": "test", "currency": "USD", "total_fee": "5.00", "notify_url": e.site.notifyURL()}
			keys := make([]payment.KV, 0, len(p))
			for _, k := range []string{"_input_charset", "body", "currency", "forex_biz", "notify_url", "out_trade_no", "partner", "payment_type", "seller_id", "service", "subject", "total_fee"} {
				keys = append(keys, payment.KV{Key: k, Value: p[k]})
			}
			md5s, err := payment.SignOrderString(signer(t, payment.MD5), keys)
			require.NoError(t, err)
			res := e.appPay(md5s, nil)
			assert.Equal(t, "4000", res.ResultStatus)
			assert.True(t, strings.HasPrefix(res.Memo, "ILLEGAL_SIGN_TYPE:"), res.Memo)
		})
	})
}

// rawOrder returns the order string with its sign URL-unescaped, as a
// careless merchant server would send it.
func rawOrder(t *testing.T, s string) string {
	t.Helper()
	i := strings.Index(s, `&sign="`) + len(`&sign="`)
	j := i + strings.IndexByte(s[i:], '"')
	sig, err := url.PathUnescape(s[i:j])
	require.NoError(t, err)
	return s[:i] + sig + s[j:]
}
