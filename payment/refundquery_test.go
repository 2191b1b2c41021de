package payment

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// refundQueryFields is a full answer about the refund of gwRefund.
func refundQueryFields(kv ...string) []string {
	base := []string{
		"response_code", "SUCCESS", "refund_result_code", "SUCCESS", "out_trade_no", "O-20240102-1",
		"out_return_no", "R-20240102-1", "trade_no", "2024010222001300000000000001",
		"gmt_create", "2024-01-02 10:11:13", "currency", "USD", "return_amount", "10.00",
	}
	for i := 0; i < len(kv); i += 2 {
		found := false
		for j := 0; j < len(base); j += 2 {
			if base[j] == kv[i] {
				base[j+1], found = kv[i+1], true
			}
		}
		if !found {
			base = append(base, kv[i], kv[i+1])
		}
	}
	return base
}

var gwRefundQuery = RefundQueryRequest{OutTradeNo: "O-20240102-1", OutReturnNo: "R-20240102-1"}

func TestQueryRefund(t *testing.T) {
	for _, st := range gwSignTypes {
		for _, enc := range []string{"utf-8", "GBK"} {
			t.Run(string(st)+" "+enc, func(t *testing.T) {
				var f *gwFixture
				f = newGW(t, st, func(w http.ResponseWriter, _ *http.Request, _ Params) {
					gwWrite(w, gwDoc{Encoding: enc, Node: "alipay", Fields: refundQueryFields(), Signer: f.alipay}.bytes(t))
				})
				r, err := f.client.QueryRefund(gwCtx(t), gwRefundQuery)
				require.NoError(t, err)
				assert.Equal(t, "O-20240102-1", r.OutTradeNo)
				assert.Equal(t, "R-20240102-1", r.OutReturnNo)
				assert.Equal(t, "2024010222001300000000000001", r.TradeNo)
				assert.Equal(t, RefundSuccess, r.Status)
				assert.True(t, r.Status.Succeeded())
				assert.False(t, r.Status.Failed())
				assert.Empty(t, r.ErrorCode)
				assert.True(t, r.GmtCreate.Equal(time.Date(2024, 1, 2, 2, 11, 13, 0, time.UTC)), r.GmtCreate)
				assert.Equal(t, Currency("USD"), r.Currency)
				assert.Equal(t, Amount{1000, "USD"}, r.Amount)
				assert.Zero(t, r.RMBAmount)
				assert.Equal(t, "SUCCESS", r.Fields["response_code"])

				s := f.last(t)
				assert.Equal(t, http.MethodGet, s.Method)
				assert.Equal(t, Params{"service": "alipay.acquire.refund.query", "partner": sandboxPartner, "_input_charset": "utf-8",
					"out_trade_no": "O-20240102-1", "out_return_no": "R-20240102-1"}, gwWithout(s.Params, "sign", "sign_type"))
			})
		}
	}
}

func TestQueryRefundStates(t *testing.T) {
	tests := []struct {
		name      string
		fields    []string
		status    RefundStatus
		succeeded bool
		failed    bool
		errorCode string
		rmb       int64
	}{
		{"processing", refundQueryFields("refund_result_code", "PROCESSING", "gmt_create", "20240102101113"), RefundProcessing, false, false, "", 0},
		{"failed for balance", refundQueryFields("refund_result_code", "FAILED", "refund_error_code", "MERCHANT_BALANCE_NOT_ENOUGH"),
			RefundFailed, false, true, "MERCHANT_BALANCE_NOT_ENOUGH", 0},
		{"canceled", refundQueryFields("refund_result_code", "CANCELED"), RefundCanceled, false, true, "", 0},
		{"priced in CNY", refundQueryFields("return_amount", "", "return_rmb_amount", "200.00"), RefundSuccess, true, false, "", 20000},
		{"no amount at all", []string{"response_code", "SUCCESS", "refund_result_code", "SUCCESS"}, RefundSuccess, true, false, "", 0},
		{"a status this package does not know", refundQueryFields("refund_result_code", "WAITING"), "WAITING", false, false, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f *gwFixture
			f = newGW(t, RSA2, func(w http.ResponseWriter, _ *http.Request, _ Params) {
				gwWrite(w, gwDoc{Node: "alipay", Fields: dropEmptyPairs(tt.fields), Signer: f.alipay}.bytes(t))
			})
			r, err := f.client.QueryRefund(gwCtx(t), gwRefundQuery)
			require.NoError(t, err)
			assert.Equal(t, tt.status, r.Status)
			assert.Equal(t, tt.succeeded, r.Status.Succeeded())
			assert.Equal(t, tt.failed, r.Status.Failed())
			assert.Equal(t, tt.errorCode, r.ErrorCode)
			assert.Equal(t, tt.rmb, r.RMBAmount)
			hasTime := slices.Contains(tt.fields, "gmt_create")
			assert.Equal(t, hasTime, !r.GmtCreate.IsZero(), "gmt_create, in either format, is read")
		})
	}
}

// dropEmptyPairs removes the key, value pairs whose value is empty.
func dropEmptyPairs(kv []string) []string {
	var out []string
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			out = append(out, kv[i], kv[i+1])
		}
	}
	return out
}

func TestQueryRefundFailures(t *testing.T) {
	tests := []struct {
		name     string
		doc      func(f *gwFixture) gwDoc
		sentinel error
		code     string // a *GatewayError
	}{
		{"NOT_FOUND", func(f *gwFixture) gwDoc {
			return gwDoc{Node: "alipay", Fields: []string{"response_code", "NOT_FOUND", "out_trade_no", "O-20240102-1", "out_return_no", "R-20240102-1"}, Signer: f.alipay}
		}, ErrRefundNotFound, "NOT_FOUND"},
		{"TRADE_NOT_EXIST", func(f *gwFixture) gwDoc {
			return gwDoc{Node: "alipay", Fields: []string{"response_code", "TRADE_NOT_EXIST"}, Signer: f.alipay}
		}, ErrTradeNotExist, "TRADE_NOT_EXIST"},
		{"ACCESS_FORBIDDEN", func(f *gwFixture) gwDoc {
			return gwDoc{Node: "alipay", Fields: []string{"response_code", "ACCESS_FORBIDDEN"}, Signer: f.alipay}
		}, ErrAccessForbidden, "ACCESS_FORBIDDEN"},
		{"QUERY_FAILED", func(f *gwFixture) gwDoc {
			return gwDoc{Node: "alipay", Fields: []string{"response_code", "QUERY_FAILED"}, Signer: f.alipay}
		}, ErrQueryFailed, "QUERY_FAILED"},
		{"is_success=F, signed", func(f *gwFixture) gwDoc {
			return gwDoc{Success: "F", Error: "ILLEGAL_PARTNER", Signer: f.alipay}
		}, ErrIllegalPartner, "ILLEGAL_PARTNER"},
		{"is_success=F, unsigned", func(*gwFixture) gwDoc { return gwDoc{Success: "F", Error: "HAS_NO_PRIVILEGE"} }, nil, "HAS_NO_PRIVILEGE"},
		{"is_success=F, badly signed", func(f *gwFixture) gwDoc {
			return gwDoc{Success: "F", Error: "ILLEGAL_PARTNER", Sign: "00112233445566778899aabbccddeeff", SignType: string(f.alipay.SignType())}
		}, ErrSignature, ""},
		{"unsigned answer", func(*gwFixture) gwDoc { return gwDoc{Node: "alipay", Fields: refundQueryFields()} }, ErrSignature, ""},
		{"tampered answer", func(f *gwFixture) gwDoc {
			return gwDoc{Node: "alipay", Fields: refundQueryFields(), Sign: "00112233445566778899aabbccddeeff", SignType: string(f.alipay.SignType())}
		}, ErrSignature, ""},
		{"another refund", func(f *gwFixture) gwDoc {
			return gwDoc{Node: "alipay", Fields: refundQueryFields("out_return_no", "R-20240102-2"), Signer: f.alipay}
		}, ErrTradeMismatch, ""},
		{"another trade", func(f *gwFixture) gwDoc {
			return gwDoc{Node: "alipay", Fields: refundQueryFields("out_trade_no", "O-20240102-2"), Signer: f.alipay}
		}, ErrTradeMismatch, ""},
		{"no response_code", func(f *gwFixture) gwDoc {
			return gwDoc{Node: "alipay", Fields: []string{"refund_result_code", "SUCCESS"}, Signer: f.alipay}
		}, ErrMalformed, ""},
		{"no refund_result_code", func(f *gwFixture) gwDoc {
			return gwDoc{Node: "alipay", Fields: []string{"response_code", "SUCCESS"}, Signer: f.alipay}
		}, ErrMalformed, ""},
		{"bad gmt_create", func(f *gwFixture) gwDoc {
			return gwDoc{Node: "alipay", Fields: refundQueryFields("gmt_create", "yesterday"), Signer: f.alipay}
		}, ErrMalformed, ""},
		{"bad amount", func(f *gwFixture) gwDoc {
			return gwDoc{Node: "alipay", Fields: refundQueryFields("return_amount", "1e3"), Signer: f.alipay}
		}, ErrMalformed, ""},
		{"no business node", func(*gwFixture) gwDoc { return gwDoc{} }, ErrGateway, ""},
	}
	for _, st := range gwSignTypes {
		for _, tt := range tests {
			t.Run(string(st)+" "+tt.name, func(t *testing.T) {
				var f *gwFixture
				f = newGW(t, st, func(w http.ResponseWriter, _ *http.Request, _ Params) { gwWrite(w, tt.doc(f).bytes(t)) })
				r, err := f.client.QueryRefund(gwCtx(t), gwRefundQuery)
				assert.Nil(t, r)
				require.Error(t, err)
				if tt.sentinel != nil {
					assert.ErrorIs(t, err, tt.sentinel)
				}
				if tt.code != "" {
					var ge *GatewayError
					require.ErrorAs(t, err, &ge)
					assert.Equal(t, tt.code, ge.Code)
					assert.Equal(t, ServiceRefundQuery, ge.Service)
					assert.Equal(t, tt.code == "QUERY_FAILED", ge.Retryable())
				}
			})
		}
	}
}

func TestQueryRefundInvalid(t *testing.T) {
	tests := []struct {
		name  string
		q     RefundQueryRequest
		field string
	}{
		{"no out_trade_no", RefundQueryRequest{OutReturnNo: "R1"}, "out_trade_no"},
		{"no out_return_no", RefundQueryRequest{OutTradeNo: "O1"}, "out_return_no"},
		{"out_return_no too long", RefundQueryRequest{OutTradeNo: "O1", OutReturnNo: strings.Repeat("R", 65)}, "out_return_no"},
		{"out_trade_no with a space", RefundQueryRequest{OutTradeNo: "O 1", OutReturnNo: "R1"}, "out_trade_no"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newGW(t, MD5, func(http.ResponseWriter, *http.Request, Params) { t.Error("an invalid query was sent") })
			_, err := f.client.QueryRefund(gwCtx(t), tt.q)
			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tt.field, ve.Field)
			assert.Zero(t, f.hits.Load())
		})
	}
}

func TestRefundStatus(t *testing.T) {
	tests := []struct {
		s                 RefundStatus
		succeeded, failed bool
	}{
		{RefundSuccess, true, false},
		{RefundNotifySuccess, true, false},
		{RefundFailed, false, true},
		{RefundCanceled, false, true},
		{RefundNotifyFail, false, true},
		{RefundProcessing, false, false},
		{"", false, false},
		{"success", false, false},
	}
	for _, tt := range tests {
		t.Run(string(tt.s), func(t *testing.T) {
			assert.Equal(t, tt.succeeded, tt.s.Succeeded())
			assert.Equal(t, tt.failed, tt.s.Failed())
		})
	}
}
