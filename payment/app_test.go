package payment

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// coreAppRequest mirrors the fields of Alipay's pre_sign page example.
func coreAppRequest() AppPayRequest {
	return AppPayRequest{
		OutTradeNo: "out_trade_no_20200109_175417", Subject: "Mika's coffee shop", Body: "test",
		Currency: "USD", TotalFee: 1, NotifyURL: "https://example.com/notify",
		Appenv: "system=android^version=3.0.1.2",
	}
}

func TestAppOrderString(t *testing.T) {
	wantPreSign := `_input_charset="UTF-8"&appenv="system=android^version=3.0.1.2"&body="test"&currency="USD"&forex_biz="FP"` +
		`&notify_url="https://example.com/notify"&out_trade_no="out_trade_no_20200109_175417"&partner="2088101122136241"` +
		`&payment_type="1"&product_code="NEW_WAP_OVERSEAS_SELLER"&seller_id="2088101122136241"&service="mobile.securitypay.pay"` +
		`&subject="Mika's coffee shop"&total_fee="0.01"`
	rsa1, _ := sandboxSigners(t)
	for _, tc := range []struct {
		typ  SignType
		hash crypto.Hash
	}{{RSA, crypto.SHA1}, {RSA2, crypto.SHA256}} {
		t.Run(string(tc.typ), func(t *testing.T) {
			c, merchant, _ := coreRSAClient(t, tc.typ)
			s, err := c.AppOrderString(coreAppRequest())
			require.NoError(t, err)

			// The signature, computed here without the package's signer.
			h := tc.hash.New()
			h.Write([]byte(wantPreSign))
			raw, err := rsa.SignPKCS1v15(nil, rsa1.key, tc.hash, h.Sum(nil))
			require.NoError(t, err)
			sig := base64.StdEncoding.EncodeToString(raw)

			assert.True(t, strings.HasPrefix(s, wantPreSign+"&sign="), "starts with the sorted quoted pairs")
			wantTail := `&sign="` + url.QueryEscape(sig) + `"&sign_type="` + string(tc.typ) + `"`
			assert.True(t, strings.HasSuffix(s, wantTail), "ends with the URL-escaped sign and sign_type")
			assert.Equal(t, wantPreSign+wantTail, s)
			assert.NotContains(t, s[len(wantPreSign):], "+", "the base64 sign must be URL-escaped")

			o, err := VerifyOrderString(merchant, s)
			require.NoError(t, err)
			assert.Equal(t, sig, o.Sign)
			assert.Equal(t, tc.typ, o.SignType)
			assert.Empty(t, o.UnknownAppKeys())
			assert.Equal(t, "mobile.securitypay.pay", o.Params()["service"])
		})
	}

	t.Run("MD5 client refused", func(t *testing.T) {
		s, err := coreMD5Client(t).AppOrderString(coreAppRequest())
		assert.Empty(t, s)
		assert.ErrorIs(t, err, ErrInvalid)
		var ve *ValidationError
		require.True(t, errors.As(err, &ve))
		assert.Equal(t, "sign_type", ve.Field)
	})

	t.Run("RSA verifier refuses RSA2 string and another key fails", func(t *testing.T) {
		c, _, _ := coreRSAClient(t, RSA2)
		s, err := c.AppOrderString(coreAppRequest())
		require.NoError(t, err)
		rsa1, _ := sandboxSigners(t)
		_, err = VerifyOrderString(rsa1.Public(), s)
		assert.ErrorIs(t, err, ErrSignType)
		other, err := NewRSAVerifier(RSA2, &coreAlipayKey(t).PublicKey)
		require.NoError(t, err)
		_, err = VerifyOrderString(other, s)
		assert.ErrorIs(t, err, ErrSignature)
	})
}

func TestPreSignPageExample(t *testing.T) {
	// Protocol section 3.5, built by hand from the pre_sign page's fields.
	p := Params{
		"_input_charset": "UTF-8", "appenv": "system=android^version=3.0.1.2", "body": "test", "currency": "USD",
		"forex_biz": "FP", "out_trade_no": "out_trade_no_20200109_175417", "partner": "2088021017666931",
		"payment_type": "1", "product_code": "NEW_WAP_OVERSEAS_SELLER", "seller_id": "2088021017666931",
		"service": "mobile.securitypay.pay", "subject": "Mika's coffee shop", "total_fee": "0.01",
		"sign": "ignored", "sign_type": "RSA", "return_url": "",
	}
	want := `_input_charset="UTF-8"&appenv="system=android^version=3.0.1.2"&body="test"&currency="USD"&forex_biz="FP"&out_trade_no="out_trade_no_20200109_175417"&partner="2088021017666931"&payment_type="1"&product_code="NEW_WAP_OVERSEAS_SELLER"&seller_id="2088021017666931"&service="mobile.securitypay.pay"&subject="Mika's coffee shop"&total_fee="0.01"`
	assert.Equal(t, want, QuotePairs(p.sortedPairs()))
}

// coreAndroidDemoPairs is an order string in the fixed, unsorted order of
// Alipay's Android demo.
func coreAndroidDemoPairs(outTradeNo string) []KV {
	return []KV{
		{"partner", sandboxPartner}, {"seller_id", sandboxPartner}, {"out_trade_no", outTradeNo},
		{"subject", "Mika's coffee shop"}, {"body", "test"}, {"total_fee", "0.01"}, {"currency", "USD"},
		{"notify_url", "https://example.com/notify"}, {"service", "mobile.securitypay.pay"},
		{"payment_type", "1"}, {"_input_charset", "UTF-8"}, {"it_b_pay", "30m"}, {"forex_biz", "FP"},
	}
}

func TestVerifyOrderStringOrders(t *testing.T) {
	_, rsa2 := sandboxSigners(t)
	v := rsa2.Public()

	t.Run("unsorted string signed as-is", func(t *testing.T) {
		pairs := coreAndroidDemoPairs("20240101123456")
		s, err := SignOrderString(rsa2, pairs)
		require.NoError(t, err)
		o, err := VerifyOrderString(v, s)
		require.NoError(t, err)
		assert.Equal(t, pairs, o.Pairs, "pairs keep the order received")
		assert.Equal(t, QuotePairs(pairs), o.PreSign())
		assert.NotEqual(t, o.PreSign(), o.SortedPreSign())
		assert.Empty(t, o.UnknownAppKeys())
	})

	t.Run("sorted signature, pairs sent in another order", func(t *testing.T) {
		pairs := coreAndroidDemoPairs("20240101123456")
		p := Params{}
		for _, kv := range pairs {
			p[kv.Key] = kv.Value
		}
		sig, err := rsa2.Sign([]byte(QuotePairs(p.sortedPairs())))
		require.NoError(t, err)
		s := QuotePairs(pairs) + `&sign="` + url.QueryEscape(sig) + `"&sign_type="RSA2"`
		_, err = VerifyOrderString(v, s)
		assert.NoError(t, err)
	})

	t.Run("sign and sign_type sorted in among the pairs", func(t *testing.T) {
		pairs := coreAndroidDemoPairs("20240101123456")
		p := Params{}
		for _, kv := range pairs {
			p[kv.Key] = kv.Value
		}
		sig, err := rsa2.Sign([]byte(QuotePairs(p.sortedPairs())))
		require.NoError(t, err)
		p["sign"], p["sign_type"] = url.QueryEscape(sig), "RSA2"
		all := make([]KV, 0, len(p))
		for _, k := range slices.Sorted(maps.Keys(p)) {
			all = append(all, KV{k, p[k]})
		}
		_, err = VerifyOrderString(v, QuotePairs(all))
		assert.NoError(t, err)
	})

	t.Run("sign with a raw +", func(t *testing.T) {
		// RSA signatures are deterministic: find an order number whose
		// signature has a '+' to leave unescaped.
		var s, sig string
		for i := 0; i < 200 && !strings.Contains(sig, "+"); i++ {
			pairs := coreAndroidDemoPairs(fmt.Sprintf("order%d", i))
			var err error
			sig, err = rsa2.Sign([]byte(QuotePairs(pairs)))
			require.NoError(t, err)
			s = QuotePairs(pairs) + `&sign="` + sig + `"&sign_type="RSA2"`
		}
		require.Contains(t, sig, "+")
		o, err := VerifyOrderString(v, s)
		require.NoError(t, err)
		assert.Equal(t, sig, o.Sign, "a literal + stays a +")
	})

	t.Run("tampered value fails", func(t *testing.T) {
		s, err := SignOrderString(rsa2, coreAndroidDemoPairs("20240101123456"))
		require.NoError(t, err)
		_, err = VerifyOrderString(v, strings.Replace(s, `total_fee="0.01"`, `total_fee="0.02"`, 1))
		assert.ErrorIs(t, err, ErrSignature)
	})

	t.Run("no sign", func(t *testing.T) {
		_, err := VerifyOrderString(v, QuotePairs(coreAndroidDemoPairs("1"))+`&sign_type="RSA2"`)
		assert.ErrorIs(t, err, ErrSignature)
	})

	t.Run("sign_type missing or other", func(t *testing.T) {
		s, err := SignOrderString(rsa2, coreAndroidDemoPairs("1"))
		require.NoError(t, err)
		_, err = VerifyOrderString(v, strings.Replace(s, `&sign_type="RSA2"`, "", 1))
		assert.ErrorIs(t, err, ErrSignType)
		_, err = VerifyOrderString(v, strings.Replace(s, `&sign_type="RSA2"`, `&sign_type="RSA"`, 1))
		assert.ErrorIs(t, err, ErrSignType)
	})
}

func TestParseOrderString(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		pairs []KV
		sign  string
		typ   SignType
	}{
		{"simple", `a="1"&b="2"`, []KV{{"a", "1"}, {"b", "2"}}, "", ""},
		{"value containing & and =", `appenv="x&y=z"&b="2"`, []KV{{"appenv", "x&y=z"}, {"b", "2"}}, "", ""},
		{"value containing &b=\"", `a="1&b="`, []KV{{"a", "1&b="}}, "", ""},
		{"empty value", `a=""&b="2"`, []KV{{"a", ""}, {"b", "2"}}, "", ""},
		{"sign unescaped", `a="1"&sign="ab%2Bc%2F%3D"&sign_type="RSA"`, []KV{{"a", "1"}}, "ab+c/=", RSA},
		{"sign with a raw +", `a="1"&sign="ab+c="&sign_type="RSA2"`, []KV{{"a", "1"}}, "ab+c=", RSA2},
		{"sign first", `sign="x"&a="1"`, []KV{{"a", "1"}}, "x", ""},
		{"unicode", `subject="中文"`, []KV{{"subject", "中文"}}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := ParseOrderString(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.pairs, o.Pairs)
			assert.Equal(t, tt.sign, o.Sign)
			assert.Equal(t, tt.typ, o.SignType)
		})
	}
}

func TestParseOrderStringRejects(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"empty", ""},
		{"unquoted value", `a=1&b="2"`},
		{"unquoted value later", `a="1"&b=2`},
		{"missing closing quote", `a="1&b="2`},
		{"missing closing quote at the end", `a="1`},
		{"duplicate key", `a="1"&a="2"`},
		{"duplicate sign", `a="1"&sign="x"&sign="y"`},
		{"trailing &", `a="1"&`},
		{"leading &", `&a="1"`},
		{"no & between pairs", `a="1"b="2"`},
		{"missing key", `="1"`},
		{"key with a space", `a b="1"`},
		{"only sign fields", `sign="x"&sign_type="RSA"`},
		{"bad escape in sign", `a="1"&sign="%zz"`},
		{"double &", `a="1"&&b="2"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := ParseOrderString(tt.in)
			assert.Nil(t, o)
			assert.ErrorIs(t, err, ErrMalformed)
		})
	}
}

func TestAppPayRequestInvalid(t *testing.T) {
	c, _, _ := coreRSAClient(t, RSA2)
	tests := []struct {
		name  string
		mod   func(*AppPayRequest)
		field string
		code  string
	}{
		{"quote in appenv", func(r *AppPayRequest) { r.Appenv = `system="android"` }, "appenv", CodeIllegalArgument},
		{"& in appenv", func(r *AppPayRequest) { r.Appenv = "system=android&version=1" }, "appenv", CodeIllegalArgument},
		{"& in extern_token", func(r *AppPayRequest) { r.ExternToken = "a&b" }, "extern_token", CodeIllegalArgument},
		{"quote in extern_token", func(r *AppPayRequest) { r.ExternToken = `a"b` }, "extern_token", CodeIllegalArgument},
		{"quote in subject", func(r *AppPayRequest) { r.Subject = `a"b` }, "subject", CodeIllegalArgument},
		{"& in body", func(r *AppPayRequest) { r.Body = "a&b" }, "body", CodeIllegalArgument},
		{"body required", func(r *AppPayRequest) { r.Body = "" }, "body", CodeIllegalArgument},
		{"body too long", func(r *AppPayRequest) { r.Body = strings.Repeat("b", 513) }, "body", CodeIllegalArgument},
		{"subject required", func(r *AppPayRequest) { r.Subject = "" }, "subject", CodeIllegalArgument},
		{"notify_url required", func(r *AppPayRequest) { r.NotifyURL = "" }, "notify_url", CodeIllegalArgument},
		{"notify_url with query", func(r *AppPayRequest) { r.NotifyURL = "https://example.com/n?a=1" }, "notify_url", CodeIllegalArgument},
		{"show_url not a URL", func(r *AppPayRequest) { r.ShowURL = "goods" }, "show_url", CodeIllegalArgument},
		{"out_trade_no missing", func(r *AppPayRequest) { r.OutTradeNo = "" }, "out_trade_no", CodeIllegalArgument},
		{"currency unknown", func(r *AppPayRequest) { r.Currency = "XXX" }, "currency", CodeIllegalCurrency},
		{"both fees", func(r *AppPayRequest) { r.RMBFee = 1 }, "total_fee", CodeIllegalArgument},
		{"it_b_pay 0m", func(r *AppPayRequest) { r.ItBPay = "0m" }, "it_b_pay", CodeIllegalTimeoutRule},
		{"it_b_pay 16d", func(r *AppPayRequest) { r.ItBPay = "16d" }, "it_b_pay", CodeIllegalTimeoutRule},
		{"it_b_pay 1.5h", func(r *AppPayRequest) { r.ItBPay = "1.5h" }, "it_b_pay", CodeIllegalTimeoutRule},
		{"it_b_pay 30s", func(r *AppPayRequest) { r.ItBPay = "30s" }, "it_b_pay", CodeIllegalTimeoutRule},
		{"product_code of PC", func(r *AppPayRequest) { r.ProductCode = ProductPC }, "product_code", CodeIllegalArgument},
		{"payment_inst unknown", func(r *AppPayRequest) { r.PaymentInst = "X" }, "payment_inst", CodeIllegalArgument},
		{"split over the amount", func(r *AppPayRequest) {
			r.SplitFundInfo = []SplitFund{{TransIn: "2088101126708402", Amount: 2}}
		}, "split_fund_info", CodeIllegalArgument},
		{"bad trade_information", func(r *AppPayRequest) { r.TradeInformation = &TradeInformation{BusinessType: "9"} }, "trade_information", CodeIllegalArgument},
		{"apostrophe in trade_information, which the app form quotes with '", func(r *AppPayRequest) {
			r.TradeInformation = &TradeInformation{BusinessType: "1", HotelName: "Mika's Inn", CheckInTime: "2024-01-02", CheckOutTime: "2024-01-03"}
		}, "trade_information", CodeIllegalArgument},
		{"bad secondary merchant", func(r *AppPayRequest) { r.SecondaryMerchant = &SecondaryMerchant{ID: "x"} }, "secondary_merchant_name", CodeIllegalArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := coreAppRequest()
			tt.mod(&req)
			s, err := c.AppOrderString(req)
			assert.Empty(t, s, "nothing invalid may be signed")
			assert.ErrorIs(t, err, ErrInvalid)
			var ve *ValidationError
			require.True(t, errors.As(err, &ve), "want a *ValidationError, got %T", err)
			assert.Equal(t, tt.field, ve.Field)
			assert.Equal(t, tt.code, ve.Code)
		})
	}
}

func TestAppPayRequestValid(t *testing.T) {
	c, merchant, _ := coreRSAClient(t, RSA2)
	tests := []struct {
		name  string
		mod   func(*AppPayRequest)
		check map[string]string
	}{
		{"it_b_pay 1c", func(r *AppPayRequest) { r.ItBPay = "1c" }, map[string]string{"it_b_pay": "1c"}},
		{"it_b_pay 90m", func(r *AppPayRequest) { r.ItBPay = "90m" }, map[string]string{"it_b_pay": "90m"}},
		{"it_b_pay 15d", func(r *AppPayRequest) { r.ItBPay = "15d" }, map[string]string{"it_b_pay": "15d"}},
		{"JPY", func(r *AppPayRequest) { r.Currency, r.TotalFee = "JPY", 1500 }, map[string]string{"total_fee": "1500", "currency": "JPY"}},
		{"rmb_fee", func(r *AppPayRequest) { r.TotalFee, r.RMBFee = 0, 100 }, map[string]string{"rmb_fee": "1.00"}},
		{"trade_information with single quotes", func(r *AppPayRequest) {
			r.TradeInformation = GoodsTradeInformation([]Goods{{"iPhone", 1}, {"Case", 2}})
		}, map[string]string{"trade_information": "{'business_type':'4','goods_info':'iPhone^1|Case^2','total_quantity':'3'}"}},
		{"secondary merchant", func(r *AppPayRequest) {
			r.SecondaryMerchant = &SecondaryMerchant{ID: "A80001", Name: "Mika's coffee shop", Industry: "5812"}
		}, map[string]string{"secondary_merchant_id": "A80001", "secondary_merchant_industry": "5812"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := coreAppRequest()
			tt.mod(&req)
			s, err := c.AppOrderString(req)
			require.NoError(t, err)
			o, err := VerifyOrderString(merchant, s)
			require.NoError(t, err)
			p := o.Params()
			for k, want := range tt.check {
				assert.Equal(t, want, p[k], k)
			}
			assert.Empty(t, o.UnknownAppKeys())
			assert.Equal(t, o.PreSign(), o.SortedPreSign(), "the builder sorts")
		})
	}
}

func TestUnknownAppKeys(t *testing.T) {
	o, err := ParseOrderString(`service="mobile.securitypay.pay"&zeta="1"&partner="2088101122136241"&alpha="2"&sign="x"&sign_type="RSA"`)
	require.NoError(t, err)
	assert.Equal(t, []string{"alpha", "zeta"}, o.UnknownAppKeys())

	o, err = ParseOrderString(QuotePairs(coreAndroidDemoPairs("1")))
	require.NoError(t, err)
	assert.Empty(t, o.UnknownAppKeys())
}

func TestSignOrderStringIndependent(t *testing.T) {
	// SignOrderString signs exactly QuotePairs(pairs), in UTF-8.
	_, rsa2 := sandboxSigners(t)
	pairs := []KV{{"subject", "中文"}, {"a", "1"}}
	s, err := SignOrderString(rsa2, pairs)
	require.NoError(t, err)
	d := sha256.Sum256([]byte(`subject="中文"&a="1"`))
	raw, err := rsa.SignPKCS1v15(nil, rsa2.key, crypto.SHA256, d[:])
	require.NoError(t, err)
	assert.Equal(t, `subject="中文"&a="1"&sign="`+url.QueryEscape(base64.StdEncoding.EncodeToString(raw))+`"&sign_type="RSA2"`, s)
}
