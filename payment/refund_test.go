package payment

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRefundVectorA4(t *testing.T) {
	// A4 predates the mandatory product_code: the builder's parameters
	// without it must sign to the published value.
	tests := []struct {
		name string
		at   time.Time
	}{
		{"Beijing time", time.Date(2015, 3, 20, 12, 0, 0, 0, Beijing())},
		{"same instant in UTC", time.Date(2015, 3, 20, 4, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := gwOffline(t, MD5)
			r := RefundRequest{
				OutReturnNo: "SAMPLE_REFUND_ID", OutTradeNo: "SAMPLE_TRANSACTION_ID", Currency: "USD",
				RMBAmount: 20000, Reason: "hello", RequestedAt: tt.at, ProductCode: ProductPC,
			}
			p, err := r.params()
			require.NoError(t, err)
			assert.Equal(t, ProductPC, p["product_code"])
			delete(p, "product_code")
			signed, err := c.sign(p)
			require.NoError(t, err)
			assert.Equal(t, "a77e894e71491f41e73ebe40319cc300", signed["sign"])
		})
	}
}

func gwRefund() RefundRequest {
	return RefundRequest{
		OutReturnNo: "R-20240102-1", OutTradeNo: "O-20240102-1", Currency: "USD", Amount: 1000,
		Reason: "damaged in transit", RequestedAt: time.Date(2024, 1, 2, 10, 11, 12, 0, Beijing()),
		ProductCode: ProductWAP, NotifyURL: "https://shop.example.com/alipay/refund",
	}
}

func TestRefund(t *testing.T) {
	for _, st := range gwSignTypes {
		for _, sync := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s is_sync=%v", st, sync), func(t *testing.T) {
				f := newGW(t, st, gwAnswerDoc(t, gwDoc{}))
				r := gwRefund()
				r.IsSync = sync
				res, err := f.client.Refund(gwCtx(t), r)
				require.NoError(t, err)
				assert.Equal(t, &RefundResult{OutReturnNo: "R-20240102-1", Accepted: !sync}, res)

				s := f.last(t)
				assert.Equal(t, http.MethodPost, s.Method)
				assert.Equal(t, Params{"_input_charset": "utf-8"}, s.Query)
				want := Params{
					"service": "forex_refund", "partner": sandboxPartner, "_input_charset": "utf-8",
					"out_return_no": "R-20240102-1", "out_trade_no": "O-20240102-1", "currency": "USD",
					"return_amount": "10.00", "reason": "damaged in transit", "gmt_return": "20240102101112",
					"product_code": "NEW_WAP_OVERSEAS_SELLER", "notify_url": "https://shop.example.com/alipay/refund",
				}
				if sync {
					want["is_sync"] = "Y"
				}
				assert.Equal(t, want, gwWithout(s.Params, "sign", "sign_type"))
				assert.Equal(t, string(st), s.Params["sign_type"])
				// Where each parameter went: _input_charset in the URL only
				// (yet signed: the fixture verified over both, merged),
				// everything else in the body only.
				assert.NoError(t, s.VerifyErr)
				for k := range s.Params {
					inURL, inBody := s.Query[k] != "", s.Form[k] != ""
					assert.Equal(t, k == "_input_charset", inURL, "%s in the URL", k)
					assert.Equal(t, k != "_input_charset", inBody, "%s in the body", k)
				}
			})
		}
	}
}

func TestRefundParams(t *testing.T) {
	tests := []struct {
		name string
		edit func(*RefundRequest)
		want Params // expected values; "" means absent
	}{
		{"JPY has no decimals", func(r *RefundRequest) { r.Currency, r.Amount = "JPY", 1500 },
			Params{"currency": "JPY", "return_amount": "1500", "return_rmb_amount": ""}},
		{"in CNY", func(r *RefundRequest) { r.Amount, r.RMBAmount = 0, 20000 },
			Params{"currency": "USD", "return_amount": "", "return_rmb_amount": "200.00"}},
		{"PC product", func(r *RefundRequest) { r.ProductCode = ProductPC },
			Params{"product_code": "NEW_OVERSEAS_SELLER"}},
		{"optional fields left out", func(r *RefundRequest) { r.Reason, r.NotifyURL = "", "" },
			Params{"reason": "", "notify_url": "", "is_sync": "", "split_fund_info": ""}},
		{"splits go out with transOut", func(r *RefundRequest) {
			r.Splits = []SplitFund{{TransIn: "2088101126708402", Amount: 100, Desc: "fee share"}, {TransIn: "2088101126708403", Amount: 900}}
		}, Params{"split_fund_info": "[{'transOut':'2088101126708402','amount':'1.00','currency':'USD','desc':'fee share'}," +
			"{'transOut':'2088101126708403','amount':'9.00','currency':'USD','desc':''}]"}},
		{"gmt_return in Beijing time", func(r *RefundRequest) { r.RequestedAt = time.Date(2024, 1, 1, 23, 30, 0, 0, time.UTC) },
			Params{"gmt_return": "20240102073000"}},
		{"Chinese reason", func(r *RefundRequest) { r.Reason = strings.Repeat("退", 100) },
			Params{"reason": strings.Repeat("退", 100)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := gwRefund()
			tt.edit(&r)
			p, err := r.params()
			require.NoError(t, err)
			for k, v := range tt.want {
				got, ok := p[k]
				assert.Equal(t, v != "", ok, "presence of %s", k)
				assert.Equal(t, v, got, k)
			}
		})
	}
}

func TestRefundDefaultTime(t *testing.T) {
	r := gwRefund()
	r.RequestedAt = time.Time{}
	before := time.Now().Truncate(time.Second)
	p, err := r.params()
	require.NoError(t, err)
	after := time.Now()
	got, err := time.ParseInLocation("20060102150405", p["gmt_return"], Beijing())
	require.NoError(t, err)
	assert.False(t, got.Before(before), "%s before %s", got, before)
	assert.False(t, got.After(after), "%s after %s", got, after)
}

func TestRefundValidation(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*RefundRequest)
		field string
	}{
		{"no out_return_no", func(r *RefundRequest) { r.OutReturnNo = "" }, "out_return_no"},
		{"out_return_no with space", func(r *RefundRequest) { r.OutReturnNo = "R 1" }, "out_return_no"},
		{"out_return_no too long", func(r *RefundRequest) { r.OutReturnNo = strings.Repeat("R", 65) }, "out_return_no"},
		{"no out_trade_no", func(r *RefundRequest) { r.OutTradeNo = "" }, "out_trade_no"},
		{"no currency", func(r *RefundRequest) { r.Currency = "" }, "currency"},
		{"CNY is not a settlement currency", func(r *RefundRequest) { r.Currency = CNY }, "currency"},
		{"unknown currency", func(r *RefundRequest) { r.Currency = "usd" }, "currency"},
		{"no amount", func(r *RefundRequest) { r.Amount = 0 }, "return_amount"},
		{"both amounts", func(r *RefundRequest) { r.RMBAmount = 100 }, "return_amount"},
		{"negative amount", func(r *RefundRequest) { r.Amount = -1 }, "return_amount"},
		{"amount over 1,000,000.00", func(r *RefundRequest) { r.Amount = 100_000_001 }, "return_amount"},
		{"negative CNY amount", func(r *RefundRequest) { r.Amount, r.RMBAmount = 0, -5 }, "return_rmb_amount"},
		{"reason of 101 characters", func(r *RefundRequest) { r.Reason = strings.Repeat("x", 101) }, "reason"},
		{"reason with &", func(r *RefundRequest) { r.Reason = "a&b=c" }, "reason"},
		{"reason with newline", func(r *RefundRequest) { r.Reason = "a\nb" }, "reason"},
		{"no product_code", func(r *RefundRequest) { r.ProductCode = "" }, "product_code"},
		{"wrong product_code", func(r *RefundRequest) { r.ProductCode = "FAST_INSTANT_TRADE_PAY" }, "product_code"},
		{"notify_url with query", func(r *RefundRequest) { r.NotifyURL = "https://shop.example.com/n?x=1" }, "notify_url"},
		{"notify_url not absolute", func(r *RefundRequest) { r.NotifyURL = "/alipay/refund" }, "notify_url"},
		{"splits over the amount", func(r *RefundRequest) { r.Splits = []SplitFund{{TransIn: "2088101126708402", Amount: 1001}} }, "split_fund_info"},
		{"split to a bad PID", func(r *RefundRequest) { r.Splits = []SplitFund{{TransIn: "1234", Amount: 1}} }, "split_fund_info"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newGW(t, MD5, func(w http.ResponseWriter, _ *http.Request, _ Params) { t.Error("an invalid refund was sent") })
			r := gwRefund()
			tt.edit(&r)
			res, err := f.client.Refund(gwCtx(t), r)
			assert.Nil(t, res)
			require.ErrorIs(t, err, ErrInvalid)
			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tt.field, ve.Field)
			assert.Zero(t, f.hits.Load())
		})
	}
}

func TestRefundRefused(t *testing.T) {
	tests := []struct {
		code      string
		sentinel  error
		sync      bool
		retryable bool
	}{
		{"PURCHASE_TRADE_NOT_EXIST", ErrPurchaseTradeNotExist, true, false},
		{"RETURN_AMOUNT_EXCEED", ErrReturnAmountExceed, true, false},
		{"CURRENCY_NOT_SAME", ErrCurrencyNotSame, true, false},
		{"REPEATED_REFUNDMENT_REQUEST", ErrRepeatedRefundment, false, false},
		{"REFUNDMENT_VALID_DATE_EXCEED", ErrRefundWindowExpired, true, false},
		{"TRADE_HAS_CLOSE", ErrTradeHasClose, false, false},
		{"MERCHANT_BALANCE_NOT_ENOUGH", ErrMerchantBalanceNotEnough, true, false},
		{"MERCHANT_BALANCE_NOT_ENOUGH", ErrMerchantBalanceNotEnough, false, true},
		{"SYSTEM_EXCEPTION", ErrSystem, true, true},
		{"SYSTEM_ERROR", ErrSystem, false, true},
		{"ILLEGAL_SIGN", ErrIllegalSign, true, false},
		{"ILLEGAL_PARTNER", ErrIllegalPartner, true, false},
		{"ILLEGAL_ARGUMENT", ErrIllegalArgument, false, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s is_sync=%v", tt.code, tt.sync), func(t *testing.T) {
			f := newGW(t, RSA2, gwAnswerDoc(t, gwDoc{Encoding: "GBK", Success: "F", Error: tt.code}))
			r := gwRefund()
			r.IsSync = tt.sync
			res, err := f.client.Refund(gwCtx(t), r)
			assert.Nil(t, res)
			assert.ErrorIs(t, err, tt.sentinel)
			assert.NotErrorIs(t, err, ErrGateway)
			var ge *GatewayError
			require.ErrorAs(t, err, &ge)
			assert.Equal(t, ServiceRefund, ge.Service)
			assert.Equal(t, tt.code, ge.Code)
			assert.Equal(t, !tt.sync, ge.Async)
			assert.Equal(t, tt.retryable, ge.Retryable())
		})
	}
}

func TestRefundRetryReusesOutReturnNo(t *testing.T) {
	// The documented retry: same request, same out_return_no, until
	// Alipay answers something that is not retryable.
	var calls atomic.Int32
	var f *gwFixture
	f = newGW(t, MD5, func(w http.ResponseWriter, _ *http.Request, _ Params) {
		if calls.Add(1) == 1 {
			gwWrite(w, gwDoc{Success: "F", Error: "SYSTEM_ERROR", Signer: f.alipay}.bytes(t))
			return
		}
		gwWrite(w, gwDoc{}.bytes(t))
	})
	r := gwRefund()
	r.IsSync = true
	var res *RefundResult
	var err error
	for range 3 {
		res, err = f.client.Refund(gwCtx(t), r)
		var ge *GatewayError
		if !errors.As(err, &ge) || !ge.Retryable() {
			break
		}
	}
	require.NoError(t, err)
	assert.False(t, res.Accepted)
	f.mu.Lock()
	defer f.mu.Unlock()
	require.Len(t, f.seen, 2)
	assert.Equal(t, f.seen[0].Params, f.seen[1].Params, "a retry sends the very same refund")
}

func TestRefundAnswerMismatch(t *testing.T) {
	tests := []struct {
		name   string
		fields []string
		want   error
	}{
		{"same refund", []string{"out_return_no", "R-20240102-1", "out_trade_no", "O-20240102-1"}, nil},
		{"another refund", []string{"out_return_no", "R-20240102-2"}, ErrTradeMismatch},
		{"another trade", []string{"out_trade_no", "O-20240102-2"}, ErrTradeMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f *gwFixture
			f = newGW(t, RSA2, func(w http.ResponseWriter, _ *http.Request, _ Params) {
				gwWrite(w, gwDoc{Node: "refund", Fields: tt.fields, Signer: f.alipay}.bytes(t))
			})
			res, err := f.client.Refund(gwCtx(t), gwRefund())
			if tt.want != nil {
				assert.ErrorIs(t, err, tt.want)
				assert.Nil(t, res)
				return
			}
			require.NoError(t, err)
			assert.True(t, res.Accepted)
		})
	}
}
