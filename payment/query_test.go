package payment

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// vector51 is the document of protocol section 5.1, whose <sign> is the
// sandbox MD5 key's signature of its <trade>.
const vector51 = `<?xml version="1.0" encoding="utf-8"?>
<alipay>
  <is_success>T</is_success>
  <request>
    <param name="service">single_trade_query</param>
    <param name="partner">2088101122136241</param>
    <param name="_input_charset">utf-8</param>
    <param name="out_trade_no">12345</param>
  </request>
  <response>
    <trade>
      <out_trade_no>12345</out_trade_no>
      <total_fee>350.45</total_fee>
      <trade_no>2024010222001300000000000001</trade_no>
      <trade_status>TRADE_FINISHED</trade_status>
    </trade>
  </response>
  <sign>f52bd7078c20f9fccbefbf9a1f4c6938</sign>
  <sign_type>MD5</sign_type>
</alipay>
`

func TestQueryTradeVector51(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want error
	}{
		{"as published", vector51, nil},
		{"one digit of the amount changed", strings.Replace(vector51, "350.45", "350.46", 1), ErrSignature},
		{"one digit of the sign changed", strings.Replace(vector51, "f52bd707", "f52bd708", 1), ErrSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newGW(t, MD5, func(w http.ResponseWriter, _ *http.Request, _ Params) { gwWrite(w, []byte(tt.doc)) })
			tr, err := f.client.QueryTrade(gwCtx(t), QueryRequest{OutTradeNo: "12345"})
			if tt.want != nil {
				assert.ErrorIs(t, err, tt.want)
				assert.Nil(t, tr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "12345", tr.OutTradeNo)
			assert.Equal(t, "2024010222001300000000000001", tr.TradeNo)
			assert.Equal(t, TradeFinished, tr.TradeStatus)
			assert.True(t, tr.TradeStatus.Paid())
			assert.Equal(t, "350.45", tr.TotalFee)
			assert.Len(t, tr.Fields, 4)
			assert.Equal(t, Params{"service": "single_trade_query", "out_trade_no": "12345", "partner": sandboxPartner, "_input_charset": "utf-8"},
				gwWithout(f.last(t).Params, "sign", "sign_type"))
		})
	}
}

func TestQueryTrade(t *testing.T) {
	fields := []string{
		"body", "", "buyer_email", "tes***@alipay.com", "buyer_id", "2088002007274897", "discount", "0.00",
		"flag_trade_locked", "0", "gmt_create", "2024-01-02 10:00:01", "gmt_last_modified_time", "2024-01-02 10:11:13",
		"gmt_payment", "2024-01-02 10:11:12", "is_total_fee_adjust", "F", "operator_role", "B",
		"out_trade_no", "20240102-5", "payment_type", "1", "seller_email", "shop@example.com",
		"seller_id", sandboxPartner, "subject", "测试商品 Mika's", "total_fee", "350.45",
		"trade_no", "2024010222001300000000000001", "trade_status", "TRADE_SUCCESS",
	}
	for _, st := range gwSignTypes {
		for _, enc := range []string{"utf-8", "GBK", "GB2312"} {
			t.Run(string(st)+" "+enc, func(t *testing.T) {
				var f *gwFixture
				f = newGW(t, st, func(w http.ResponseWriter, _ *http.Request, _ Params) {
					gwWrite(w, gwDoc{Encoding: enc, Node: "trade", Fields: fields, Signer: f.alipay}.bytes(t))
				})
				tr, err := f.client.QueryTrade(gwCtx(t), QueryRequest{OutTradeNo: "20240102-5"})
				require.NoError(t, err)

				assert.Equal(t, "20240102-5", tr.OutTradeNo)
				assert.Equal(t, "2024010222001300000000000001", tr.TradeNo)
				assert.Equal(t, TradeSuccess, tr.TradeStatus)
				assert.Equal(t, "350.45", tr.TotalFee)
				assert.Equal(t, "测试商品 Mika's", tr.Subject)
				assert.Equal(t, "2088002007274897", tr.BuyerID)
				assert.Equal(t, "tes***@alipay.com", tr.BuyerEmail)
				assert.Equal(t, sandboxPartner, tr.SellerID)
				assert.Equal(t, "shop@example.com", tr.SellerEmail)
				bj := func(h, m, s int) time.Time { return time.Date(2024, 1, 2, h, m, s, 0, Beijing()) }
				assert.True(t, tr.GmtCreate.Equal(bj(10, 0, 1)), tr.GmtCreate)
				assert.True(t, tr.GmtPayment.Equal(bj(10, 11, 12)), tr.GmtPayment)
				assert.True(t, tr.GmtLastModified.Equal(bj(10, 11, 13)), tr.GmtLastModified)
				assert.Equal(t, "2024-01-02T02:11:12Z", tr.GmtPayment.UTC().Format(time.RFC3339))
				assert.True(t, tr.GmtClose.IsZero())
				assert.Len(t, tr.Fields, len(fields)/2, "every leaf is kept")
				assert.Equal(t, "B", tr.Fields["operator_role"])

				s := f.last(t)
				assert.Equal(t, http.MethodGet, s.Method)
				assert.Equal(t, string(st), s.Params["sign_type"])
				assert.Equal(t, "20240102-5", s.Params["out_trade_no"])
			})
		}
	}
}

func TestQueryTradeRequest(t *testing.T) {
	tradeNo := "2024010222001300000000000001"
	tests := []struct {
		name string
		q    QueryRequest
		sent Params
	}{
		{"by out_trade_no", QueryRequest{OutTradeNo: "12345"}, Params{"out_trade_no": "12345"}},
		{"by trade_no", QueryRequest{TradeNo: tradeNo}, Params{"trade_no": tradeNo}},
		{"trade_no wins", QueryRequest{TradeNo: tradeNo, OutTradeNo: "12345"}, Params{"trade_no": tradeNo}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f *gwFixture
			f = newGW(t, RSA2, func(w http.ResponseWriter, _ *http.Request, _ Params) {
				gwWrite(w, gwDoc{Node: "trade", Fields: []string{"out_trade_no", "12345", "trade_no", tradeNo, "trade_status", "WAIT_BUYER_PAY"}, Signer: f.alipay}.bytes(t))
			})
			tr, err := f.client.QueryTrade(gwCtx(t), tt.q)
			require.NoError(t, err)
			assert.Equal(t, WaitBuyerPay, tr.TradeStatus)
			assert.False(t, tr.TradeStatus.Paid())
			sent := gwWithout(f.last(t).Params, "sign", "sign_type", "partner", "_input_charset", "service")
			assert.Equal(t, tt.sent, sent)
		})
	}
}

func TestQueryTradeFailures(t *testing.T) {
	trade := func(kv ...string) []string {
		base := []string{"out_trade_no", "12345", "trade_no", "2024010222001300000000000001", "trade_status", "TRADE_FINISHED", "total_fee", "350.45"}
		for i := 0; i < len(kv); i += 2 {
			replaced := false
			for j := 0; j < len(base); j += 2 {
				if base[j] == kv[i] {
					base[j+1], replaced = kv[i+1], true
				}
			}
			if !replaced {
				base = append(base, kv[i], kv[i+1])
			}
		}
		return base
	}
	side := gwSides(t, MD5)
	rsa1, _ := sandboxSigners(t)
	status := func(code int) gwAnswer {
		return func(w http.ResponseWriter, _ *http.Request, _ Params) { http.Error(w, "down", code) }
	}
	text := func(s string) gwAnswer {
		return func(w http.ResponseWriter, _ *http.Request, _ Params) { _, _ = io.WriteString(w, s) }
	}
	tests := []struct {
		name   string
		answer gwAnswer
		want   error
		code   string
	}{
		{"TRADE_NOT_EXIST", gwAnswerDoc(t, gwDoc{Encoding: "GBK", Success: "F", Error: "TRADE_NOT_EXIST"}), ErrTradeNotExist, "TRADE_NOT_EXIST"},
		{"ILLEGAL_PARTNER", gwAnswerDoc(t, gwDoc{Success: "F", Error: "ILLEGAL_PARTNER"}), ErrIllegalPartner, "ILLEGAL_PARTNER"},
		{"ILLEGAL_SIGN", gwAnswerDoc(t, gwDoc{Success: "F", Error: "ILLEGAL_SIGN"}), ErrIllegalSign, "ILLEGAL_SIGN"},
		{"ILLEGAL_ARGUMENT", gwAnswerDoc(t, gwDoc{Success: "F", Error: "ILLEGAL_ARGUMENT"}), ErrIllegalArgument, "ILLEGAL_ARGUMENT"},
		{"SYSTEM_ERROR signed", gwAnswerDoc(t, gwDoc{Success: "F", Error: "SYSTEM_ERROR", Signer: side.alipay}), ErrSystem, "SYSTEM_ERROR"},
		{"HAS_NO_PRIVILEGE", gwAnswerDoc(t, gwDoc{Success: "F", Error: "HAS_NO_PRIVILEGE"}), nil, "HAS_NO_PRIVILEGE"},
		{"tampered signature", gwAnswerDoc(t, gwDoc{Node: "trade", Fields: trade(), Sign: "f52bd7078c20f9fccbefbf9a1f4c6939", SignType: "MD5"}), ErrSignature, ""},
		{"unsigned trade", gwAnswerDoc(t, gwDoc{Node: "trade", Fields: trade()}), ErrSignature, ""},
		{"wrong sign_type", gwAnswerDoc(t, gwDoc{Node: "trade", Fields: trade(), Signer: rsa1}), ErrSignType, ""},
		{"GBK signed over UTF-8", gwAnswerDoc(t, gwDoc{Encoding: "GBK", Node: "trade", Fields: trade("subject", "测试商品"), Signer: side.alipay, SignIn: "utf-8"}), ErrSignature, ""},
		{"another order", gwAnswerDoc(t, gwDoc{Node: "trade", Fields: trade("out_trade_no", "12346"), Signer: side.alipay}), ErrTradeMismatch, ""},
		{"another seller", gwAnswerDoc(t, gwDoc{Node: "trade", Fields: trade("seller_id", "2088000000000001"), Signer: side.alipay}), ErrPartner, ""},
		{"no trade_status", gwAnswerDoc(t, gwDoc{Node: "trade", Fields: trade("trade_status", ""), Signer: side.alipay}), ErrMalformed, ""},
		{"bad gmt_payment", gwAnswerDoc(t, gwDoc{Node: "trade", Fields: trade("gmt_payment", "2024/01/02 10:11:12"), Signer: side.alipay}), ErrMalformed, ""},
		{"T without trade", gwAnswerDoc(t, gwDoc{Signer: side.alipay}), ErrGateway, ""},
		{"other business node", gwAnswerDoc(t, gwDoc{Node: "refund", Fields: trade(), Signer: side.alipay}), ErrGateway, ""},
		{"malformed XML", text(`<?xml version="1.0"?><alipay><is_success>T</is_success><response><trade><trade_no>1</trade`), ErrGateway, ""},
		{"HTML error page", text("<!DOCTYPE html><html><body>502 Bad Gateway</body></html>"), ErrGateway, ""},
		{"empty body", text(""), ErrGateway, ""},
		{"500", status(http.StatusInternalServerError), ErrGateway, ""},
		{"502", status(http.StatusBadGateway), ErrGateway, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newGW(t, MD5, tt.answer)
			tr, err := f.client.QueryTrade(gwCtx(t), QueryRequest{OutTradeNo: "12345"})
			require.Error(t, err)
			assert.Nil(t, tr)
			if tt.want != nil {
				assert.ErrorIs(t, err, tt.want)
			}
			assert.Equal(t, tt.want == ErrGateway, errors.Is(err, ErrGateway), "only transport and parse failures are ErrGateway: %v", err)
			var ge *GatewayError
			if assert.Equal(t, tt.code != "", errors.As(err, &ge), "GatewayError: %v", err) && ge != nil {
				assert.Equal(t, tt.code, ge.Code)
				assert.Equal(t, ServiceQuery, ge.Service)
			}
		})
	}
}

func TestQueryTradeDeadline(t *testing.T) {
	f := newGW(t, RSA2, gwSlow)
	ctx, cancel := context.WithTimeout(gwCtx(t), 150*time.Millisecond)
	defer cancel()
	_, err := f.client.QueryTrade(ctx, QueryRequest{OutTradeNo: "12345"})
	assert.ErrorIs(t, err, ErrGateway)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestQueryTradeValidation(t *testing.T) {
	tests := []struct {
		name  string
		q     QueryRequest
		field string
	}{
		{"nothing", QueryRequest{}, "out_trade_no"},
		{"short trade_no", QueryRequest{TradeNo: "123456789012345"}, "trade_no"},
		{"long trade_no", QueryRequest{TradeNo: strings.Repeat("1", 65)}, "trade_no"},
		{"trade_no with a space", QueryRequest{TradeNo: "2024010222001300 00000001"}, "trade_no"},
		{"out_trade_no with &", QueryRequest{OutTradeNo: "a&service=forex_refund"}, "out_trade_no"},
		{"long out_trade_no", QueryRequest{OutTradeNo: strings.Repeat("a", 65)}, "out_trade_no"},
		{"good trade_no, bad out_trade_no", QueryRequest{TradeNo: "2024010222001300000000000001", OutTradeNo: "a b"}, "out_trade_no"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newGW(t, MD5, func(w http.ResponseWriter, _ *http.Request, _ Params) { t.Error("an invalid query was sent") })
			_, err := f.client.QueryTrade(gwCtx(t), tt.q)
			require.ErrorIs(t, err, ErrInvalid)
			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tt.field, ve.Field)
			assert.Zero(t, f.hits.Load())
		})
	}
}

func TestTradeAmountIn(t *testing.T) {
	tests := []struct {
		fee  string
		c    Currency
		want int64
		err  error
	}{
		{"350.45", "USD", 35045, nil},
		{"350.45", CNY, 35045, nil},
		{"1500", "JPY", 1500, nil},
		{"1500.00", "JPY", 0, ErrAmount},
		{"350.4", "USD", 0, ErrAmount},
		{"", "USD", 0, ErrAmount},
		{"1.00", "XXX", 0, ErrCurrency},
	}
	for _, tt := range tests {
		t.Run(tt.fee+" "+string(tt.c), func(t *testing.T) {
			a, err := (&Trade{TotalFee: tt.fee}).AmountIn(tt.c)
			if tt.err != nil {
				assert.ErrorIs(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, Amount{Minor: tt.want, Currency: tt.c}, a)
		})
	}
}
