package payment

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// coreMD5Client is a sandbox client signing with the published MD5 key.
func coreMD5Client(t testing.TB) *Client {
	t.Helper()
	c, err := NewClient(Config{Gateway: GatewaySandbox, Partner: sandboxPartner, SignType: MD5, MD5Key: sandboxMD5Key})
	require.NoError(t, err)
	return c
}

// coreRSAClient is a sandbox client of type RSA or RSA2: the merchant key is
// the published sandbox key, Alipay's is coreAlipayKey. It also returns the
// verifier Alipay would use for the merchant's signatures and the signer
// Alipay would use for its notifications.
func coreRSAClient(t testing.TB, typ SignType) (c *Client, merchant *RSAVerifier, alipay *RSASigner) {
	t.Helper()
	rsa1, _ := sandboxSigners(t)
	ak := coreAlipayKey(t)
	c, err := NewClient(Config{Gateway: GatewaySandbox, Partner: sandboxPartner, SignType: typ,
		PrivateKey: rsa1.key, AlipayPublicKey: &ak.PublicKey})
	require.NoError(t, err)
	merchant, err = NewRSAVerifier(typ, &rsa1.key.PublicKey)
	require.NoError(t, err)
	alipay, err = NewRSASigner(typ, ak)
	require.NoError(t, err)
	return c, merchant, alipay
}

// coreA1Request is vector A1 as a TradeRequest.
func coreA1Request() TradeRequest {
	return TradeRequest{
		OutTradeNo: "12345", Subject: "product_name", Supplier: "company_name",
		Currency: "USD", TotalFee: 35045, NotifyURL: "https://example.com/notify",
	}
}

func TestPayURLA1Vector(t *testing.T) {
	// Section 3.3: A1 signed as printed, then ordinary query encoding.
	want := "https://mapi.alipaydev.com/gateway.do?_input_charset=utf-8&currency=USD&notify_url=https%3A%2F%2Fexample.com%2Fnotify&out_trade_no=12345&partner=2088101122136241&service=create_forex_trade_wap&sign=c19f42a597963f118c4f99f2fc7f716f&sign_type=MD5&subject=product_name&supplier=company_name&total_fee=350.45"
	signed, err := Sign(sandboxMD5(t), a1())
	require.NoError(t, err)
	assert.Equal(t, want, GatewaySandbox+"?"+signed.Encode())
}

func TestPayURL(t *testing.T) {
	c := coreMD5Client(t)
	tests := []struct {
		name    string
		req     TradeRequest
		service string
		product string
	}{
		{"WAP", coreA1Request(), "create_forex_trade_wap", ProductWAP},
		{"WAP with explicit product code", func() TradeRequest { r := coreA1Request(); r.ProductCode = ProductWAP; return r }(), "create_forex_trade_wap", ProductWAP},
		{"PC", func() TradeRequest { r := coreA1Request(); r.Service = ServicePC; return r }(), "create_forex_trade", ProductPC},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The builder adds product_code, which A1 lacks; the pre-sign
			// string and the MD5 are worked out here independently.
			preSign := "_input_charset=utf-8&currency=USD&notify_url=https://example.com/notify&out_trade_no=12345&partner=2088101122136241" +
				"&product_code=" + tt.product + "&service=" + tt.service + "&subject=product_name&supplier=company_name&total_fee=350.45"
			sig := md5Hex([]byte(preSign), []byte(sandboxMD5Key))
			want := "https://mapi.alipaydev.com/gateway.do?_input_charset=utf-8&currency=USD&notify_url=https%3A%2F%2Fexample.com%2Fnotify" +
				"&out_trade_no=12345&partner=2088101122136241&product_code=" + tt.product + "&service=" + tt.service +
				"&sign=" + sig + "&sign_type=MD5&subject=product_name&supplier=company_name&total_fee=350.45"

			got, err := c.PayURL(tt.req)
			require.NoError(t, err)
			assert.Equal(t, want, got)

			u, err := url.Parse(got)
			require.NoError(t, err)
			p, err := ParseQuery([]byte(u.RawQuery), "")
			require.NoError(t, err)
			assert.NoError(t, Verify(sandboxMD5(t), p, ""))
			assert.Equal(t, with(a1(), "service", tt.service, "product_code", tt.product, "sign", sig, "sign_type", "MD5"), p)
		})
	}

	t.Run("without product_code the A2 vector for PC", func(t *testing.T) {
		signed, err := Sign(sandboxMD5(t), with(a1(), "service", "create_forex_trade"))
		require.NoError(t, err)
		assert.Equal(t, "2dd75a3023c0a3a795a83109966bbc7d", signed["sign"])
	})
}

func TestPayURLRSA(t *testing.T) {
	for _, typ := range []SignType{RSA, RSA2} {
		t.Run(string(typ), func(t *testing.T) {
			c, merchant, _ := coreRSAClient(t, typ)
			got, err := c.PayURL(coreA1Request())
			require.NoError(t, err)
			u, err := url.Parse(got)
			require.NoError(t, err)
			assert.Equal(t, "mapi.alipaydev.com", u.Host)
			p, err := ParseQuery([]byte(u.RawQuery), "")
			require.NoError(t, err)
			assert.Equal(t, string(typ), p["sign_type"])
			assert.NoError(t, Verify(merchant, p, ""), "Alipay must be able to verify with the merchant public key")
		})
	}
}

func TestPayForm(t *testing.T) {
	c := coreMD5Client(t)
	req := coreA1Request()
	req.Subject = "Mika's coffee shop"
	f, err := c.PayForm(req)
	require.NoError(t, err)
	assert.Equal(t, GatewaySandbox+"?_input_charset=utf-8", f.Action)
	assert.NoError(t, Verify(sandboxMD5(t), f.Fields, ""))

	html, err := f.HTML()
	require.NoError(t, err)
	assert.Contains(t, html, `action="https://mapi.alipaydev.com/gateway.do?_input_charset=utf-8"`)
	assert.Contains(t, html, `<input type="hidden" name="sign" value="`+f.Fields["sign"]+`">`)
	assert.Contains(t, html, `value="Mika&#39;s coffee shop"`, "values are HTML-escaped")
	assert.Equal(t, len(f.Fields), strings.Count(html, `<input type="hidden"`))
}

// coreValidRequest is a WAP request with every optional field set validly.
func coreValidRequest() TradeRequest {
	r := coreA1Request()
	r.Body = "Glitter leggings"
	r.ReturnURL = "https://example.com/return?order=12345"
	r.ReferURL = "https://example.com"
	r.TimeoutRule = "30m"
	return r
}

func TestTradeRequestValid(t *testing.T) {
	c := coreMD5Client(t)
	goods := GoodsTradeInformation([]Goods{{"iPhone", 1}, {"Case", 2}})
	beijingNoon := time.Date(2024, 1, 2, 4, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		mod   func(*TradeRequest)
		check Params // parameters the signed request must hold ("" = absent)
	}{
		{"all common fields", func(*TradeRequest) {}, Params{"body": "Glitter leggings", "return_url": "https://example.com/return?order=12345",
			"refer_url": "https://example.com", "timeout_rule": "30m", "product_code": ProductWAP}},
		{"JPY has no decimals", func(r *TradeRequest) { r.Currency, r.TotalFee = "JPY", 1500 }, Params{"currency": "JPY", "total_fee": "1500"}},
		{"KRW has no decimals", func(r *TradeRequest) { r.Currency, r.TotalFee = "KRW", 50000 }, Params{"currency": "KRW", "total_fee": "50000"}},
		{"minimum amount", func(r *TradeRequest) { r.TotalFee = 1 }, Params{"total_fee": "0.01"}},
		{"maximum amount", func(r *TradeRequest) { r.TotalFee = 100_000_000 }, Params{"total_fee": "1000000.00"}},
		{"rmb_fee instead of total_fee", func(r *TradeRequest) { r.TotalFee, r.RMBFee = 0, 10000 }, Params{"rmb_fee": "100.00", "total_fee": "", "currency": "USD"}},
		{"subject of 256 characters", func(r *TradeRequest) { r.Subject = strings.Repeat("中", 256) }, Params{"subject": strings.Repeat("中", 256)}},
		{"apostrophe in subject", func(r *TradeRequest) { r.Subject = "Mika's coffee shop" }, Params{"subject": "Mika's coffee shop"}},
		{"body of 400 characters", func(r *TradeRequest) { r.Body = strings.Repeat("b", 400) }, Params{"body": strings.Repeat("b", 400)}},
		{"out_trade_no of 64 characters", func(r *TradeRequest) { r.OutTradeNo = strings.Repeat("A", 62) + "_-" }, Params{"out_trade_no": strings.Repeat("A", 62) + "_-"}},
		{"WAP timeout 1d", func(r *TradeRequest) { r.TimeoutRule = "1d" }, Params{"timeout_rule": "1d"}},
		{"WAP timeout 15d", func(r *TradeRequest) { r.TimeoutRule = "15d" }, Params{"timeout_rule": "15d"}},
		{"WAP timeout 3d", func(r *TradeRequest) { r.TimeoutRule = "3d" }, Params{"timeout_rule": "3d"}},
		{"PC timeout 5m", func(r *TradeRequest) { r.Service, r.TimeoutRule = ServicePC, "5m" }, Params{"timeout_rule": "5m", "product_code": ProductPC}},
		{"notify_url on http", func(r *TradeRequest) { r.NotifyURL = "http://example.com/notify" }, Params{"notify_url": "http://example.com/notify"}},
		{"notify_url of 200 characters", func(r *TradeRequest) { r.NotifyURL = "https://example.com/" + strings.Repeat("n", 180) }, Params{"notify_url": "https://example.com/" + strings.Repeat("n", 180)}},
		{"secondary merchant", func(r *TradeRequest) {
			r.SecondaryMerchant = &SecondaryMerchant{ID: "A80001_b", Name: "Mika's coffee shop", Industry: "5812"}
		}, Params{"secondary_merchant_id": "A80001_b", "secondary_merchant_name": "Mika's coffee shop", "secondary_merchant_industry": "5812"}},
		{"split_fund_info", func(r *TradeRequest) {
			r.SplitFundInfo = []SplitFund{{TransIn: "2088101126708402", Amount: 10, Desc: "x"}}
		}, Params{"split_fund_info": "[{'transIn':'2088101126708402','amount':'0.10','currency':'USD','desc':'x'}]"}},
		{"split_fund_info of 10 entries summing to the amount", func(r *TradeRequest) {
			r.TotalFee = 1000
			for range 10 {
				r.SplitFundInfo = append(r.SplitFundInfo, SplitFund{TransIn: "2088101126708402", Amount: 100})
			}
		}, Params{"total_fee": "10.00"}},
		{"trade_information hotel", func(r *TradeRequest) {
			r.TradeInformation = &TradeInformation{BusinessType: "1", HotelName: "Hilton", CheckInTime: "2024-01-02", CheckOutTime: "2024-01-05"}
		}, Params{"trade_information": `{"business_type":"1","hotel_name":"Hilton","check_in_time":"2024-01-02","check_out_time":"2024-01-05"}`}},
		{"trade_information air ticket", func(r *TradeRequest) {
			r.TradeInformation = &TradeInformation{BusinessType: "2", FlightNumber: "CA123", DepartureTime: "2024-01-02 10:30"}
		}, Params{"trade_information": `{"business_type":"2","flight_number":"CA123","departure_time":"2024-01-02 10:30"}`}},
		{"trade_information tuition", func(r *TradeRequest) {
			r.TradeInformation = &TradeInformation{BusinessType: "3", AdmissionNotice: "https://example.com/letter.pdf"}
		}, Params{"trade_information": `{"business_type":"3","admission_notice_url":"https://example.com/letter.pdf"}`}},
		{"trade_information goods (protocol 2.1.1 example)", func(r *TradeRequest) { r.TradeInformation = goods },
			Params{"trade_information": `{"business_type":"4","goods_info":"iPhone^1|Case^2","total_quantity":"3"}`}},
		{"trade_information with an apostrophe (double-quoted JSON on the web)", func(r *TradeRequest) {
			r.TradeInformation = &TradeInformation{BusinessType: "1", HotelName: "Mika's Inn", CheckInTime: "2024-01-02", CheckOutTime: "2024-01-03"}
		}, Params{"trade_information": `{"business_type":"1","hotel_name":"Mika's Inn","check_in_time":"2024-01-02","check_out_time":"2024-01-03"}`}},
		{"trade_information other", func(r *TradeRequest) {
			r.TradeInformation = &TradeInformation{BusinessType: "5", OtherBusinessType: "tickets"}
		}, Params{"trade_information": `{"business_type":"5","other_business_type":"tickets"}`}},
		{"app_pay on WAP", func(r *TradeRequest) { r.AppPay = true }, Params{"app_pay": "Y"}},
		{"payment_inst", func(r *TradeRequest) { r.PaymentInst = "ALIPAYHK" }, Params{"payment_inst": "ALIPAYHK"}},
		{"PC order_gmt_create in Beijing time with order_valid_time", func(r *TradeRequest) {
			r.Service, r.OrderGMTCreate, r.OrderValidTime = ServicePC, beijingNoon, 6*time.Hour
		}, Params{"order_gmt_create": "2024-01-02 12:00:00", "order_valid_time": "21600", "service": "create_forex_trade"}},
		{"PC qr_pay_mode 4 with width", func(r *TradeRequest) { r.Service, r.QRPayMode, r.QRCodeWidth = ServicePC, "4", 200 },
			Params{"qr_pay_mode": "4", "qrcode_width": "200"}},
		{"PC qr_pay_mode 2", func(r *TradeRequest) { r.Service, r.QRPayMode = ServicePC, "2" }, Params{"qr_pay_mode": "2", "qrcode_width": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := coreValidRequest()
			tt.mod(&req)
			p, err := c.SignedTrade(req)
			require.NoError(t, err)
			assert.NoError(t, Verify(sandboxMD5(t), p, ""))
			for k, want := range tt.check {
				got, ok := p[k]
				if want == "" {
					assert.False(t, ok, "%s must be absent, is %q", k, got)
					continue
				}
				assert.Equal(t, want, got, k)
			}
			for k, v := range p {
				assert.NotEmpty(t, v, "empty parameter %s must be dropped", k)
			}
			u, err := c.PayURL(req)
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(u, GatewaySandbox+"?"))
		})
	}
}

func TestTradeRequestInvalid(t *testing.T) {
	c := coreMD5Client(t)
	split := func(n int, amount int64) []SplitFund {
		out := make([]SplitFund, n)
		for i := range out {
			out[i] = SplitFund{TransIn: "2088101126708402", Amount: amount}
		}
		return out
	}
	tests := []struct {
		name  string
		mod   func(*TradeRequest)
		field string
		code  string
	}{
		{"subject required", func(r *TradeRequest) { r.Subject = "" }, "subject", CodeIllegalArgument},
		{"subject blank", func(r *TradeRequest) { r.Subject = "   " }, "subject", CodeIllegalArgument},
		{"subject too long", func(r *TradeRequest) { r.Subject = strings.Repeat("s", 257) }, "subject", CodeIllegalArgument},
		{"subject too long in Chinese", func(r *TradeRequest) { r.Subject = strings.Repeat("中", 257) }, "subject", CodeIllegalArgument},
		{`subject with "`, func(r *TradeRequest) { r.Subject = `a"b` }, "subject", CodeIllegalArgument},
		{"subject with &", func(r *TradeRequest) { r.Subject = "a&b" }, "subject", CodeIllegalArgument},
		{"subject with =", func(r *TradeRequest) { r.Subject = "a=b" }, "subject", CodeIllegalArgument},
		{"subject with ?", func(r *TradeRequest) { r.Subject = "a?b" }, "subject", CodeIllegalArgument},
		{"subject with %", func(r *TradeRequest) { r.Subject = "100%" }, "subject", CodeIllegalArgument},
		{"subject with #", func(r *TradeRequest) { r.Subject = "#1" }, "subject", CodeIllegalArgument},
		{"subject with NUL", func(r *TradeRequest) { r.Subject = "a\x00b" }, "subject", CodeIllegalArgument},
		{"subject with newline", func(r *TradeRequest) { r.Subject = "a\nb" }, "subject", CodeIllegalArgument},
		{"subject with tab", func(r *TradeRequest) { r.Subject = "a\tb" }, "subject", CodeIllegalArgument},
		{"subject with DEL", func(r *TradeRequest) { r.Subject = "a\x7fb" }, "subject", CodeIllegalArgument},
		{"subject with C1 control", func(r *TradeRequest) { r.Subject = "a\u0085b" }, "subject", CodeIllegalArgument},
		{"subject invalid UTF-8", func(r *TradeRequest) { r.Subject = "a\xffb" }, "subject", CodeIllegalArgument},
		{"body too long", func(r *TradeRequest) { r.Body = strings.Repeat("b", 401) }, "body", CodeIllegalArgument},
		{"body with &", func(r *TradeRequest) { r.Body = "x&y" }, "body", CodeIllegalArgument},
		{"supplier with #", func(r *TradeRequest) { r.Supplier = "shop #1" }, "supplier", CodeIllegalArgument},
		{"out_trade_no empty", func(r *TradeRequest) { r.OutTradeNo = "" }, "out_trade_no", CodeIllegalArgument},
		{"out_trade_no of 65 characters", func(r *TradeRequest) { r.OutTradeNo = strings.Repeat("1", 65) }, "out_trade_no", CodeIllegalArgument},
		{"out_trade_no with a space", func(r *TradeRequest) { r.OutTradeNo = "123 45" }, "out_trade_no", CodeIllegalArgument},
		{"out_trade_no with a slash", func(r *TradeRequest) { r.OutTradeNo = "123/45" }, "out_trade_no", CodeIllegalArgument},
		{"out_trade_no with &", func(r *TradeRequest) { r.OutTradeNo = "1&sign=x" }, "out_trade_no", CodeIllegalArgument},
		{"out_trade_no in Chinese", func(r *TradeRequest) { r.OutTradeNo = "订单1" }, "out_trade_no", CodeIllegalArgument},
		{"currency missing", func(r *TradeRequest) { r.Currency = "" }, "currency", CodeIllegalArgument},
		{"currency unknown", func(r *TradeRequest) { r.Currency = "XXX" }, "currency", CodeIllegalCurrency},
		{"currency lowercase", func(r *TradeRequest) { r.Currency = "usd" }, "currency", CodeIllegalCurrency},
		{"CNY is not a settlement currency", func(r *TradeRequest) { r.Currency = CNY }, "currency", CodeIllegalCurrency},
		{"total_fee and rmb_fee both", func(r *TradeRequest) { r.RMBFee = 100 }, "total_fee", CodeIllegalArgument},
		{"neither total_fee nor rmb_fee", func(r *TradeRequest) { r.TotalFee = 0 }, "total_fee", CodeIllegalArgument},
		{"total_fee negative", func(r *TradeRequest) { r.TotalFee = -1 }, "total_fee", CodeIllegalArgument},
		{"total_fee above 1000000.00", func(r *TradeRequest) { r.TotalFee = 100_000_001 }, "total_fee", CodeIllegalArgument},
		{"JPY total_fee above 1000000", func(r *TradeRequest) { r.Currency, r.TotalFee = "JPY", 1_000_001 }, "total_fee", CodeIllegalArgument},
		{"rmb_fee above 1000000.00", func(r *TradeRequest) { r.TotalFee, r.RMBFee = 0, 100_000_001 }, "rmb_fee", CodeIllegalArgument},
		{"timeout_rule 7m", func(r *TradeRequest) { r.TimeoutRule = "7m" }, "timeout_rule", CodeIllegalTimeoutRule},
		{"timeout_rule 1.5h", func(r *TradeRequest) { r.TimeoutRule = "1.5h" }, "timeout_rule", CodeIllegalTimeoutRule},
		{"timeout_rule 24h", func(r *TradeRequest) { r.TimeoutRule = "24h" }, "timeout_rule", CodeIllegalTimeoutRule},
		{"WAP timeout_rule 16d", func(r *TradeRequest) { r.TimeoutRule = "16d" }, "timeout_rule", CodeIllegalTimeoutRule},
		{"WAP timeout_rule 03d", func(r *TradeRequest) { r.TimeoutRule = "03d" }, "timeout_rule", CodeIllegalTimeoutRule},
		{"WAP timeout_rule 0d", func(r *TradeRequest) { r.TimeoutRule = "0d" }, "timeout_rule", CodeIllegalTimeoutRule},
		{"PC timeout_rule 15d", func(r *TradeRequest) { r.Service, r.TimeoutRule = ServicePC, "15d" }, "timeout_rule", CodeIllegalTimeoutRule},
		{"PC timeout_rule 2d", func(r *TradeRequest) { r.Service, r.TimeoutRule = ServicePC, "2d" }, "timeout_rule", CodeIllegalTimeoutRule},
		{"product_code of PC on WAP", func(r *TradeRequest) { r.ProductCode = ProductPC }, "product_code", CodeIllegalArgument},
		{"product_code of WAP on PC", func(r *TradeRequest) { r.Service, r.ProductCode = ServicePC, ProductWAP }, "product_code", CodeIllegalArgument},
		{"product_code made up", func(r *TradeRequest) { r.ProductCode = "FAST_INSTANT_TRADE_PAY" }, "product_code", CodeIllegalArgument},
		{"notify_url with a query string", func(r *TradeRequest) { r.NotifyURL = "https://example.com/notify?order=1" }, "notify_url", CodeIllegalArgument},
		{"notify_url ending in a bare ?", func(r *TradeRequest) { r.NotifyURL = "https://example.com/notify?" }, "notify_url", CodeIllegalArgument},
		{"notify_url not http", func(r *TradeRequest) { r.NotifyURL = "ftp://example.com/notify" }, "notify_url", CodeIllegalArgument},
		{"notify_url relative", func(r *TradeRequest) { r.NotifyURL = "/notify" }, "notify_url", CodeIllegalArgument},
		{"notify_url without scheme", func(r *TradeRequest) { r.NotifyURL = "example.com/notify" }, "notify_url", CodeIllegalArgument},
		{"notify_url over 200 characters", func(r *TradeRequest) { r.NotifyURL = "https://example.com/" + strings.Repeat("n", 181) }, "notify_url", CodeIllegalArgument},
		{"notify_url with a fragment", func(r *TradeRequest) { r.NotifyURL = "https://example.com/notify#x" }, "notify_url", CodeIllegalArgument},
		{"notify_url with a space", func(r *TradeRequest) { r.NotifyURL = "https://example.com/a b" }, "notify_url", CodeIllegalArgument},
		{"return_url javascript", func(r *TradeRequest) { r.ReturnURL = "javascript:alert(1)" }, "return_url", CodeIllegalArgument},
		{"refer_url without host", func(r *TradeRequest) { r.ReferURL = "https://" }, "refer_url", CodeIllegalArgument},
		{"secondary_merchant_id empty", func(r *TradeRequest) { r.SecondaryMerchant = &SecondaryMerchant{Name: "Shop", Industry: "5812"} }, "secondary_merchant_id", CodeIllegalArgument},
		{"secondary_merchant_id with a hyphen", func(r *TradeRequest) {
			r.SecondaryMerchant = &SecondaryMerchant{ID: "A-1", Name: "Shop", Industry: "5812"}
		}, "secondary_merchant_id", CodeIllegalArgument},
		{"secondary_merchant_id of 65 characters", func(r *TradeRequest) {
			r.SecondaryMerchant = &SecondaryMerchant{ID: strings.Repeat("a", 65), Name: "Shop", Industry: "5812"}
		}, "secondary_merchant_id", CodeIllegalArgument},
		{"secondary_merchant_name missing", func(r *TradeRequest) { r.SecondaryMerchant = &SecondaryMerchant{ID: "A1", Industry: "5812"} }, "secondary_merchant_name", CodeIllegalArgument},
		{"secondary_merchant_name with &", func(r *TradeRequest) {
			r.SecondaryMerchant = &SecondaryMerchant{ID: "A1", Name: "A&B", Industry: "5812"}
		}, "secondary_merchant_name", CodeIllegalArgument},
		{"secondary_merchant_industry of 3 digits", func(r *TradeRequest) {
			r.SecondaryMerchant = &SecondaryMerchant{ID: "A1", Name: "Shop", Industry: "581"}
		}, "secondary_merchant_industry", CodeIllegalArgument},
		{"secondary_merchant_industry not digits", func(r *TradeRequest) {
			r.SecondaryMerchant = &SecondaryMerchant{ID: "A1", Name: "Shop", Industry: "58a2"}
		}, "secondary_merchant_industry", CodeIllegalArgument},
		{"split_fund_info of 11 entries", func(r *TradeRequest) { r.SplitFundInfo = split(11, 1) }, "split_fund_info", CodeIllegalArgument},
		{"split_fund_info over the amount", func(r *TradeRequest) { r.SplitFundInfo = split(2, 20000) }, "split_fund_info", CodeIllegalArgument},
		{"split_fund_info one cent over the amount", func(r *TradeRequest) { r.SplitFundInfo = []SplitFund{{TransIn: "2088101126708402", Amount: 35046}} }, "split_fund_info", CodeIllegalArgument},
		{"split_fund_info bad transIn", func(r *TradeRequest) { r.SplitFundInfo = []SplitFund{{TransIn: "1234", Amount: 1}} }, "split_fund_info", CodeIllegalArgument},
		{"split_fund_info zero amount", func(r *TradeRequest) { r.SplitFundInfo = split(1, 0) }, "split_fund_info", CodeIllegalArgument},
		{"split_fund_info desc with &", func(r *TradeRequest) {
			r.SplitFundInfo = []SplitFund{{TransIn: "2088101126708402", Amount: 1, Desc: "a&b"}}
		}, "split_fund_info", CodeIllegalArgument},
		{"trade_information business_type 6", func(r *TradeRequest) { r.TradeInformation = &TradeInformation{BusinessType: "6"} }, "trade_information", CodeIllegalArgument},
		{"trade_information business_type missing", func(r *TradeRequest) { r.TradeInformation = &TradeInformation{} }, "trade_information", CodeIllegalArgument},
		{"trade_information hotel without name", func(r *TradeRequest) {
			r.TradeInformation = &TradeInformation{BusinessType: "1", CheckInTime: "2024-01-02", CheckOutTime: "2024-01-05"}
		}, "trade_information", CodeIllegalArgument},
		{"trade_information hotel with a bad date", func(r *TradeRequest) {
			r.TradeInformation = &TradeInformation{BusinessType: "1", HotelName: "Hilton", CheckInTime: "02/01/2024", CheckOutTime: "2024-01-05"}
		}, "trade_information", CodeIllegalArgument},
		{"trade_information flight without number", func(r *TradeRequest) {
			r.TradeInformation = &TradeInformation{BusinessType: "2", DepartureTime: "2024-01-02 10:30"}
		}, "trade_information", CodeIllegalArgument},
		{"trade_information flight with seconds", func(r *TradeRequest) {
			r.TradeInformation = &TradeInformation{BusinessType: "2", FlightNumber: "CA123", DepartureTime: "2024-01-02 10:30:00"}
		}, "trade_information", CodeIllegalArgument},
		{"trade_information tuition without URL", func(r *TradeRequest) { r.TradeInformation = &TradeInformation{BusinessType: "3"} }, "trade_information", CodeIllegalArgument},
		{"trade_information tuition with a bad URL", func(r *TradeRequest) {
			r.TradeInformation = &TradeInformation{BusinessType: "3", AdmissionNotice: "letter.pdf"}
		}, "trade_information", CodeIllegalArgument},
		{"goods_info without quantity", func(r *TradeRequest) {
			r.TradeInformation = &TradeInformation{BusinessType: "4", GoodsInfo: "iPhone", TotalQuantity: "1"}
		}, "trade_information", CodeIllegalArgument},
		{"goods_info quantity not a number", func(r *TradeRequest) {
			r.TradeInformation = &TradeInformation{BusinessType: "4", GoodsInfo: "iPhone^x", TotalQuantity: "1"}
		}, "trade_information", CodeIllegalArgument},
		{"goods_info quantity zero", func(r *TradeRequest) {
			r.TradeInformation = &TradeInformation{BusinessType: "4", GoodsInfo: "iPhone^0", TotalQuantity: "0"}
		}, "trade_information", CodeIllegalArgument},
		{"goods_info without name", func(r *TradeRequest) {
			r.TradeInformation = &TradeInformation{BusinessType: "4", GoodsInfo: "^1", TotalQuantity: "1"}
		}, "trade_information", CodeIllegalArgument},
		{"goods_info empty item", func(r *TradeRequest) {
			r.TradeInformation = &TradeInformation{BusinessType: "4", GoodsInfo: "iPhone^1|", TotalQuantity: "1"}
		}, "trade_information", CodeIllegalArgument},
		{"goods_info total_quantity mismatch", func(r *TradeRequest) {
			r.TradeInformation = &TradeInformation{BusinessType: "4", GoodsInfo: "iPhone^1|Case^2", TotalQuantity: "2"}
		}, "trade_information", CodeIllegalArgument},
		{"goods without goods_info", func(r *TradeRequest) { r.TradeInformation = &TradeInformation{BusinessType: "4"} }, "trade_information", CodeIllegalArgument},
		{"other without description", func(r *TradeRequest) { r.TradeInformation = &TradeInformation{BusinessType: "5"} }, "trade_information", CodeIllegalArgument},
		{"app_pay on PC", func(r *TradeRequest) { r.Service, r.AppPay = ServicePC, true }, "app_pay", CodeIllegalArgument},
		{"payment_inst unknown", func(r *TradeRequest) { r.PaymentInst = "ALIPAY" }, "payment_inst", CodeIllegalArgument},
		{"service of the app", func(r *TradeRequest) { r.Service = ServiceApp }, "service", CodeIllegalArgument},
		{"qr_pay_mode on WAP", func(r *TradeRequest) { r.QRPayMode = "2" }, "qr_pay_mode", CodeIllegalArgument},
		{"qrcode_width on WAP", func(r *TradeRequest) { r.QRCodeWidth = 100 }, "qr_pay_mode", CodeIllegalArgument},
		{"PC order_valid_time without order_gmt_create", func(r *TradeRequest) { r.Service, r.OrderValidTime = ServicePC, time.Hour }, "order_valid_time", CodeIllegalArgument},
		{"PC order_valid_time over 30 days", func(r *TradeRequest) {
			r.Service, r.OrderGMTCreate, r.OrderValidTime = ServicePC, time.Now(), 2592001*time.Second
		}, "order_valid_time", CodeIllegalArgument},
		{"PC order_valid_time not whole seconds", func(r *TradeRequest) {
			r.Service, r.OrderGMTCreate, r.OrderValidTime = ServicePC, time.Now(), 1500*time.Millisecond
		}, "order_valid_time", CodeIllegalArgument},
		{"PC qr_pay_mode 5", func(r *TradeRequest) { r.Service, r.QRPayMode = ServicePC, "5" }, "qr_pay_mode", CodeIllegalArgument},
		{"PC qr_pay_mode 4 without width", func(r *TradeRequest) { r.Service, r.QRPayMode = ServicePC, "4" }, "qrcode_width", CodeIllegalArgument},
		{"PC width without qr_pay_mode 4", func(r *TradeRequest) { r.Service, r.QRPayMode, r.QRCodeWidth = ServicePC, "1", 100 }, "qrcode_width", CodeIllegalArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := coreValidRequest()
			tt.mod(&req)

			u, err := c.PayURL(req)
			assert.Empty(t, u, "nothing invalid may be signed")
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalid)
			var ve *ValidationError
			require.True(t, errors.As(err, &ve), "want a *ValidationError, got %T", err)
			assert.Equal(t, tt.field, ve.Field)
			assert.Equal(t, tt.code, ve.Code)
			assert.NotEmpty(t, ve.Reason)
			assert.Contains(t, err.Error(), tt.field)

			p, err := c.SignedTrade(req)
			assert.Nil(t, p)
			assert.ErrorIs(t, err, ErrInvalid)
			f, err := c.PayForm(req)
			assert.Nil(t, f)
			assert.ErrorIs(t, err, ErrInvalid)
		})
	}
}

func TestNewClient(t *testing.T) {
	rsa1, _ := sandboxSigners(t)
	merchant := rsa1.key
	alipay := &coreAlipayKey(t).PublicKey
	small := coreSmallRSAKey(t)
	base := func(mod func(*Config)) Config {
		cfg := Config{Gateway: GatewaySandbox, Partner: sandboxPartner, SignType: RSA2, PrivateKey: merchant, AlipayPublicKey: alipay}
		mod(&cfg)
		return cfg
	}
	tests := []struct {
		name    string
		cfg     Config
		wantErr error  // nil: any error
		says    string // the error must say this
	}{
		{"MD5 without key", base(func(c *Config) { c.SignType = MD5 }), ErrKey, "MD5 key"},
		{"MD5 with a malformed key", base(func(c *Config) { c.SignType, c.MD5Key = MD5, "SECRET" }), ErrKey, "32 characters"},
		{"RSA without keys", base(func(c *Config) { c.SignType, c.PrivateKey, c.AlipayPublicKey = RSA, nil, nil }), ErrKey, "private key"},
		{"RSA2 without Alipay's public key", base(func(c *Config) { c.AlipayPublicKey = nil }), ErrKey, "public key"},
		{"RSA2 without the private key", base(func(c *Config) { c.PrivateKey = nil }), ErrKey, "private key"},
		{"same key for both sides", base(func(c *Config) { c.AlipayPublicKey = &merchant.PublicKey }), ErrKey, "merchant's own public key"},
		{"512-bit private key", base(func(c *Config) { c.PrivateKey = small }), ErrKey, "512 bits"},
		{"partner too short", base(func(c *Config) { c.Partner = "2088101122" }), nil, "partner"},
		{"partner not 2088", base(func(c *Config) { c.Partner = "1234101122136241" }), nil, "partner"},
		{"partner with letters", base(func(c *Config) { c.Partner = "2088abc122136241" }), nil, "partner"},
		{"partner empty", base(func(c *Config) { c.Partner = "" }), nil, "partner"},
		{"gateway empty", base(func(c *Config) { c.Gateway = "" }), nil, "gateway"},
		{"gateway without scheme", base(func(c *Config) { c.Gateway = "mapi.alipaydev.com/gateway.do" }), nil, "gateway"},
		{"gateway ftp", base(func(c *Config) { c.Gateway = "ftp://mapi.alipaydev.com/gateway.do" }), nil, "gateway"},
		{"gateway with a query", base(func(c *Config) { c.Gateway = GatewaySandbox + "?_input_charset=utf-8" }), nil, "gateway"},
		{"lowercase md5", base(func(c *Config) { c.SignType, c.MD5Key = "md5", sandboxMD5Key }), nil, "uppercase"},
		{"lowercase rsa2", base(func(c *Config) { c.SignType = "rsa2" }), nil, "uppercase"},
		{"no sign type", base(func(c *Config) { c.SignType = "" }), nil, "sign type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(tt.cfg)
			assert.Nil(t, c)
			require.Error(t, err)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
			}
			assert.Contains(t, err.Error(), tt.says)
		})
	}

	t.Run("valid", func(t *testing.T) {
		c, err := NewClient(base(func(*Config) {}))
		require.NoError(t, err)
		assert.Equal(t, sandboxPartner, c.Partner())
		assert.Equal(t, RSA2, c.SignType())
		assert.Equal(t, GatewaySandbox, c.Gateway())
		m := coreMD5Client(t)
		assert.Equal(t, MD5, m.SignType())
	})
}

func TestCleanText(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want string
	}{
		{"plain", "Glitter leggings", 256, "Glitter leggings"},
		{"forbidden characters become spaces", `a&b=c?d%e#f"g`, 256, "a b c d e f g"},
		{"separators of goods_info and quotes", "a^b|c'd", 256, "a b c d"},
		{"control characters and runs of spaces", "a\t\n  b\x00c", 256, "a b c"},
		{"leading and trailing junk", "  &a#  ", 256, "a"},
		{"cut to max characters", "中文中文中文", 4, "中文中文"},
		{"no trailing space after the cut", "abc def", 4, "abc"},
		{"invalid UTF-8 dropped", "a\xffb", 256, "ab"},
		{"nothing left", "&&&", 256, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CleanText(tt.in, tt.max)
			assert.Equal(t, tt.want, got)
			if got != "" {
				assert.NoError(t, checkText("subject", got, tt.max, true), "cleaned text must pass validation")
			}
		})
	}
}

func TestGoodsTradeInformation(t *testing.T) {
	ti := GoodsTradeInformation([]Goods{{"Glitter|leggings^pink", 2}, {"Case", 1}})
	assert.Equal(t, "4", ti.BusinessType)
	assert.Equal(t, "Glitter leggings pink^2|Case^1", ti.GoodsInfo)
	assert.Equal(t, "3", ti.TotalQuantity)
	assert.NoError(t, ti.validate())
}

func TestParseTimeout(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"30m", 1800, true},
		{"2h", 7200, true},
		{"1d", 86400, true},
		{"15d", 15 * 86400, true},
		{"90m", 5400, true},
		{"1.5h", 0, false},
		{"0m", 0, false},
		{"05m", 0, false},
		{"m", 0, false},
		{"10s", 0, false},
		{"", 0, false},
		{"-1h", 0, false},
		{"999999d", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTimeout(tt.in)
			if !tt.ok {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
