package payment

import (
	"context"
	"fmt"
	"time"
)

// RefundStatus is the state of a refund: refund_result_code in an
// alipay.acquire.refund.query answer, refund_status in a refund
// notification. The two use different words; Succeeded and Failed read both.
type RefundStatus string

// Refund states. The first four are the query's refund_result_code, the
// last two the notification's refund_status (both as Alipay documents them).
const (
	RefundSuccess    RefundStatus = "SUCCESS"    // the money went back to the buyer
	RefundFailed     RefundStatus = "FAILED"     // refused; the error code says why
	RefundCanceled   RefundStatus = "CANCELED"   // cancelled before it was made
	RefundProcessing RefundStatus = "PROCESSING" // accepted (is_sync=N), not made yet

	RefundNotifySuccess RefundStatus = "REFUND_SUCCESS" // notification: made
	RefundNotifyFail    RefundStatus = "REFUND_FAIL"    // notification: failed; error_code says why
)

// Succeeded reports whether the refund was made: SUCCESS or REFUND_SUCCESS.
func (s RefundStatus) Succeeded() bool { return s == RefundSuccess || s == RefundNotifySuccess }

// Failed reports whether the refund ended without money moving: FAILED,
// CANCELED or REFUND_FAIL. The amount it reserved can be refunded again,
// under a new out_return_no.
func (s RefundStatus) Failed() bool {
	return s == RefundFailed || s == RefundCanceled || s == RefundNotifyFail
}

// RefundQueryRequest names the refund to look up with
// alipay.acquire.refund.query: the payment's out_trade_no and the refund's
// out_return_no, as sent in the forex_refund.
type RefundQueryRequest struct {
	OutTradeNo  string
	OutReturnNo string
}

func (q RefundQueryRequest) params() (Params, error) {
	if err := checkTradeNo("out_trade_no", q.OutTradeNo); err != nil {
		return nil, err
	}
	if err := checkTradeNo("out_return_no", q.OutReturnNo); err != nil {
		return nil, err
	}
	return Params{"service": string(ServiceRefundQuery), "out_trade_no": q.OutTradeNo, "out_return_no": q.OutReturnNo}, nil
}

// RefundQueryResult is a refund as alipay.acquire.refund.query reports it,
// from a verified answer whose response_code is SUCCESS.
type RefundQueryResult struct {
	OutTradeNo  string
	OutReturnNo string
	TradeNo     string       // Alipay's id of the payment, when sent
	Status      RefundStatus // refund_result_code
	ErrorCode   string       // refund_error_code, such as MERCHANT_BALANCE_NOT_ENOUGH, when it failed
	GmtCreate   time.Time    // when Alipay took the refund, Beijing time; zero when not sent

	// Currency, Amount and RMBAmount (fen) are read from currency and
	// return_amount or return_rmb_amount when the answer carries them.
	// Alipay's page lists no amount: they are an inference (the sandbox
	// sends them), and zero when absent.
	Currency  Currency
	Amount    Amount
	RMBAmount int64

	// Fields holds every leaf of the business node, including those not above.
	Fields Params
}

// QueryRefund asks Alipay for the state of a refund
// (alipay.acquire.refund.query): PROCESSING until an asynchronous refund
// is made, then SUCCESS, FAILED or CANCELED. The answer must be signed with
// the configured sign type and be about the refund asked for (errors wrap
// ErrSignature, ErrSignType or ErrTradeMismatch).
//
// A response_code other than SUCCESS comes back as a *GatewayError with
// that code, matching ErrRefundNotFound (NOT_FOUND), ErrTradeNotExist
// (TRADE_NOT_EXIST), ErrAccessForbidden (ACCESS_FORBIDDEN) or
// ErrQueryFailed (QUERY_FAILED, Retryable); refusals of the call itself
// (is_success=F) too. Transport failures wrap ErrGateway.
func (c *Client) QueryRefund(ctx context.Context, q RefundQueryRequest) (*RefundQueryResult, error) {
	p, err := q.params()
	if err != nil {
		return nil, err
	}
	body, _, err := c.call(ctx, p, false)
	if err != nil {
		return nil, err
	}
	// The business node's name is not documented; Alipay's other
	// alipay.acquire.* service answers <response><alipay>, so any one
	// signed node is read.
	a, err := c.parseAnswer(ServiceRefundQuery, body, false)
	if err != nil {
		return nil, err
	}
	f := a.fields
	for k, want := range map[string]string{"out_trade_no": q.OutTradeNo, "out_return_no": q.OutReturnNo} {
		if got := f[k]; got != "" && got != want {
			return nil, fmt.Errorf("%w: asked for %s %s, got %s", ErrTradeMismatch, k, want, got)
		}
	}
	switch code := f["response_code"]; code {
	case "":
		return nil, fmt.Errorf("%w: %s: answer has no response_code", ErrMalformed, ServiceRefundQuery)
	case "SUCCESS":
	default:
		return nil, &GatewayError{Service: ServiceRefundQuery, Code: code}
	}
	return newRefundQueryResult(q, f)
}

func newRefundQueryResult(q RefundQueryRequest, f Params) (*RefundQueryResult, error) {
	r := &RefundQueryResult{
		OutTradeNo: q.OutTradeNo, OutReturnNo: q.OutReturnNo, TradeNo: f["trade_no"],
		Status: RefundStatus(f["refund_result_code"]), ErrorCode: f["refund_error_code"], Fields: f,
	}
	if r.Status == "" {
		return nil, fmt.Errorf("%w: %s: answer has no refund_result_code", ErrMalformed, ServiceRefundQuery)
	}
	if s := f["gmt_create"]; s != "" {
		t, err := parseEitherTime(s)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: gmt_create %q is not a time", ErrMalformed, ServiceRefundQuery, clip(s))
		}
		r.GmtCreate = t
	}
	var err error
	r.Currency, r.Amount, r.RMBAmount, err = refundAmounts(f)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMalformed, ServiceRefundQuery, err)
	}
	return r, nil
}

// refundAmounts reads the optional currency, return_amount and
// return_rmb_amount of a verified message, by value.
func refundAmounts(f Params) (Currency, Amount, int64, error) {
	c := Currency(f["currency"])
	amount := Amount{Currency: c}
	if f["currency"] != "" && !c.Valid() {
		return c, amount, 0, fmt.Errorf("unknown currency %q", clip(f["currency"]))
	}
	if s := f["return_amount"]; s != "" {
		if !c.Valid() {
			return c, amount, 0, fmt.Errorf("return_amount without a currency")
		}
		v, err := parseAmountExact(s, c)
		if err != nil {
			return c, amount, 0, fmt.Errorf("return_amount: %v", err)
		}
		amount.Minor = v
	}
	var rmb int64
	if s := f["return_rmb_amount"]; s != "" {
		v, err := parseAmountExact(s, CNY)
		if err != nil {
			return c, amount, 0, fmt.Errorf("return_rmb_amount: %v", err)
		}
		rmb = v
	}
	return c, amount, rmb, nil
}

// parseEitherTime reads a Beijing time as yyyy-MM-dd HH:mm:ss or as
// yyyyMMddHHmmss: Alipay's pages use both.
func parseEitherTime(s string) (time.Time, error) {
	if len(s) == 14 && isDigits(s) {
		return time.ParseInLocation("20060102150405", s, beijing)
	}
	return ParseTime(s)
}
