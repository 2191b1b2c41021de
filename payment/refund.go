package payment

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// RefundRequest is a forex_refund: money of a paid trade given back to the
// buyer, in full or in parts.
type RefundRequest struct {
	// OutReturnNo is the merchant's id of this refund and Alipay's
	// idempotency key: a retry must reuse it, or the buyer may be refunded
	// twice. Letters, digits, '_' and '-', at most 64.
	OutReturnNo string
	OutTradeNo  string // the payment's out_trade_no

	// Currency is the payment's settlement currency. Set exactly one of
	// Amount (minor units of Currency) and RMBAmount (fen), matching how
	// the payment was priced (total_fee or rmb_fee).
	Currency  Currency
	Amount    int64
	RMBAmount int64

	Reason string // free text, at most 100 characters

	// RequestedAt is sent as gmt_return, yyyyMMddHHmmss in Beijing time.
	// Zero means now, which differs on every attempt: set it once and keep
	// it on retries, so that a retry is the same refund in every field.
	RequestedAt time.Time

	ProductCode string // required: ProductWAP or ProductPC, as for the payment

	// IsSync asks Alipay to refund before answering (is_sync=Y). Otherwise
	// it only accepts the refund and reports the outcome later.
	IsSync    bool
	NotifyURL string // where Alipay reports an asynchronous refund

	// Splits takes the refund back from accounts that received part of
	// the payment: TransIn names such an account (sent as transOut), Amount
	// is in Currency. With Amount set, the splits may not exceed it.
	Splits []SplitFund
}

// RefundResult is Alipay's acceptance of a refund.
type RefundResult struct {
	OutReturnNo string
	// Accepted is true when Alipay has only accepted the refund (is_sync=N)
	// and the outcome comes later; false when the refund was executed.
	Accepted bool
}

// params validates r and returns its unsigned parameters.
func (r *RefundRequest) params() (Params, error) {
	if err := checkTradeNo("out_return_no", r.OutReturnNo); err != nil {
		return nil, err
	}
	if err := checkTradeNo("out_trade_no", r.OutTradeNo); err != nil {
		return nil, err
	}
	if err := checkCurrency("currency", r.Currency); err != nil {
		return nil, err
	}
	amount, rmb, err := checkFees(r.Currency, r.Amount, r.RMBAmount, "return_amount", "return_rmb_amount")
	if err != nil {
		return nil, err
	}
	if err := checkText("reason", r.Reason, 100, false); err != nil {
		return nil, err
	}
	if r.ProductCode == "" {
		return nil, invalid("product_code", "is required: %s or %s, as for the payment", ProductWAP, ProductPC)
	}
	if err := checkOneOf("product_code", r.ProductCode, ProductWAP, ProductPC); err != nil {
		return nil, err
	}
	if err := checkURL("notify_url", r.NotifyURL); err != nil {
		return nil, err
	}
	splits, err := encodeSplits(r.Splits, r.Currency, r.Amount)
	if err != nil {
		return nil, err
	}
	// Refund splits are the payment's with the money flowing back: the
	// same JSON with transOut for transIn (the quoted key cannot occur in
	// a description, whose quotes encodeSplits removes).
	splits = strings.ReplaceAll(splits, "'transIn':", "'transOut':")
	at := r.RequestedAt
	if at.IsZero() {
		at = time.Now()
	}
	p := Params{
		"service": string(ServiceRefund), "out_return_no": r.OutReturnNo, "out_trade_no": r.OutTradeNo,
		"currency": string(r.Currency), "return_amount": amount, "return_rmb_amount": rmb,
		"reason": r.Reason, "gmt_return": at.In(beijing).Format("20060102150405"),
		"product_code": r.ProductCode, "notify_url": r.NotifyURL, "split_fund_info": splits,
	}
	if r.IsSync {
		p["is_sync"] = "Y"
	}
	return dropEmpty(p), nil
}

// Refund asks Alipay to refund (part of) a paid trade. The request is
// validated (errors wrap ErrInvalid) before anything is signed, and POSTed.
//
// Retrying is safe only with the same OutReturnNo (and the same data):
// Alipay treats it as the same refund. Retry on ErrGateway, whose outcome is
// unknown, and on a *GatewayError whose Retryable reports true. Other
// refusals come back as a *GatewayError matching ErrPurchaseTradeNotExist,
// ErrReturnAmountExceed, ErrCurrencyNotSame, ErrRepeatedRefundment,
// ErrRefundWindowExpired, ErrTradeHasClose, ErrMerchantBalanceNotEnough and
// the like.
func (c *Client) Refund(ctx context.Context, r RefundRequest) (*RefundResult, error) {
	p, err := r.params()
	if err != nil {
		return nil, err
	}
	body, _, err := c.call(ctx, p, true)
	if err != nil {
		return nil, err
	}
	a, err := c.parseAnswer(ServiceRefund, body, true)
	if err != nil {
		var ge *GatewayError
		if errors.As(err, &ge) {
			ge.Async = !r.IsSync
		}
		return nil, err
	}
	for k, want := range map[string]string{"out_return_no": r.OutReturnNo, "out_trade_no": r.OutTradeNo} {
		if got := a.fields[k]; got != "" && got != want {
			return nil, fmt.Errorf("%w: asked for %s %s, got %s", ErrTradeMismatch, k, want, got)
		}
	}
	return &RefundResult{OutReturnNo: r.OutReturnNo, Accepted: !r.IsSync}, nil
}
