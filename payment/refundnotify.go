package payment

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// The notify_type of the notifications Alipay POSTs to a notify_url.
//
// NotifyTypeRefund is an inference: Alipay's forex_refund page lists a
// notify_type among the fields of its asynchronous refund result but not
// its value. This package does not depend on it: a notification is a
// refund's when it carries out_return_no (see NotificationKind), and the
// sandbox sends this value.
const (
	NotifyTypeTrade  = "trade_status_sync"
	NotifyTypeRefund = "forex_refund_notify"
)

// NotifyKind says what a notification is about.
type NotifyKind string

// The kinds of notification. A trade's (payment) and a refund's may arrive
// at the same notify_url; route them with NotificationKind.
const (
	NotifyUnknown NotifyKind = ""
	NotifyTrade   NotifyKind = "trade"
	NotifyRefund  NotifyKind = "refund"
)

// ErrNotificationKind is wrapped, with ErrContent, when a verified
// notification is of the other kind than the parser's: a refund
// notification given to ParseNotification, or a trade notification given
// to ParseRefundNotification. It never changes anything: a refund's
// result has no trade_status and cannot mark an order paid.
var ErrNotificationKind = errors.New("payment: notification is of another kind")

// NotificationKind says whether a notification body is about a trade or a
// refund, without verifying it: for routing only, before
// ParseNotification or ParseRefundNotification, which verify and refuse
// the other kind. notify_type decides when it is trade_status_sync or
// forex_refund_notify; otherwise a body with out_return_no (or a
// refund_status without trade_status) is a refund's, one with trade_status a
// trade's, and anything else NotifyUnknown. Errors wrap ErrMalformed or
// ErrCharset, as the parsers' would.
func NotificationKind(body []byte, contentType string) (NotifyKind, error) {
	p, _, err := parseQuery(body, charsetOf(contentType))
	if err != nil {
		return NotifyUnknown, err
	}
	return kindOf(p), nil
}

func kindOf(p Params) NotifyKind {
	switch {
	case p["notify_type"] == NotifyTypeTrade:
		return NotifyTrade
	case p["notify_type"] == NotifyTypeRefund, p["out_return_no"] != "":
		return NotifyRefund
	case p["trade_status"] != "":
		// Domestic-style trade notifications may carry a refund_status
		// beside their trade_status: still a trade's.
		return NotifyTrade
	case p["refund_status"] != "":
		return NotifyRefund
	}
	return NotifyUnknown
}

// RefundNotification is Alipay's asynchronous result of a refund sent with
// is_sync=N, POSTed to the refund's notify_url.
//
// Its fields are the ones Alipay's forex_refund page lists for the
// asynchronous result: notify_type, notify_time, notify_id, sign_type,
// sign, out_trade_no, out_return_no, refund_status (REFUND_SUCCESS or
// REFUND_FAIL) and error_code. currency with return_amount (or
// return_rmb_amount) is an inference (the sandbox sends it), read when
// present.
type RefundNotification struct {
	NotifyID    string // the same on every retry; check it with Client.NotifyVerify
	NotifyType  string
	NotifyTime  time.Time
	OutTradeNo  string       // the payment refunded
	OutReturnNo string       // the refund, as the merchant numbered it
	Status      RefundStatus // RefundNotifySuccess or RefundNotifyFail
	ErrorCode   string       // why it failed, such as MERCHANT_BALANCE_NOT_ENOUGH

	// Currency, Amount and RMBAmount (fen) are zero unless the
	// notification carries currency and return_amount or return_rmb_amount.
	Currency  Currency
	Amount    Amount
	RMBAmount int64

	// Params holds every field received, sign included, in UTF-8.
	Params Params

	// Verified reports that the signature checked out with the configured
	// key and sign type, as Notification.Verified does.
	Verified bool
}

// ParseRefundNotification verifies and parses the body of a refund
// notification, with the rules of ParseNotification: the signature over
// every field received, with the configured sign type only; then the
// fields, and the partner (partner or seller_id, when present) for being
// this one. Errors before verification wrap ErrMalformed, ErrCharset,
// ErrSignature or ErrSignType; after it ErrContent (a field missing or
// unexpected, refund_status other than REFUND_SUCCESS and REFUND_FAIL, or
// a trade notification: then with ErrNotificationKind) or ErrPartner, with
// Verified set and the notification filled as far as it could be.
func (c *Client) ParseRefundNotification(body []byte, contentType string) (*RefundNotification, error) {
	p, pairs, err := parseQuery(body, charsetOf(contentType))
	if err != nil {
		return nil, err
	}
	n := &RefundNotification{Params: p, NotifyID: p["notify_id"], OutTradeNo: p["out_trade_no"], OutReturnNo: p["out_return_no"]}
	if err := verifyPairs(c.verifier, p, pairs, contentTypeCharset(contentType, p)); err != nil {
		return n, err
	}
	n.Verified = true
	if k := kindOf(p); k != NotifyRefund {
		return n, fmt.Errorf("%w: %w: notify_type %q with trade_status %q is not a refund's result",
			ErrNotificationKind, ErrContent, clip(p["notify_type"]), clip(p["trade_status"]))
	}
	problems := n.fill(p)
	if err := checkPartnerFields(p, c.partner); err != nil {
		return n, err
	}
	if len(problems) > 0 {
		return n, fmt.Errorf("%w: %s", ErrContent, strings.Join(problems, "; "))
	}
	return n, nil
}

// checkPartnerFields refuses a genuine message that names another partner.
func checkPartnerFields(p Params, partner string) error {
	for _, k := range []string{"seller_id", "partner"} {
		if v := p[k]; v != "" && v != partner {
			return fmt.Errorf("%w: %s %s", ErrPartner, k, v)
		}
	}
	return nil
}

func (n *RefundNotification) fill(p Params) (problems []string) {
	for _, k := range [...]string{"notify_id", "notify_type", "notify_time", "out_trade_no", "out_return_no", "refund_status"} {
		if p[k] == "" {
			problems = append(problems, k+" is missing")
		}
	}
	for _, k := range [...]string{"out_trade_no", "out_return_no"} {
		if p[k] != "" {
			if err := checkTradeNo(k, p[k]); err != nil {
				problems = append(problems, err.Error())
			}
		}
	}
	n.NotifyType, n.ErrorCode = p["notify_type"], p["error_code"]
	n.Status = RefundStatus(p["refund_status"])
	if p["refund_status"] != "" && n.Status != RefundNotifySuccess && n.Status != RefundNotifyFail {
		problems = append(problems, fmt.Sprintf("refund_status %q is not REFUND_SUCCESS or REFUND_FAIL", clip(p["refund_status"])))
	}
	if s := p["notify_time"]; s != "" {
		t, err := ParseTime(s)
		if err != nil {
			problems = append(problems, fmt.Sprintf("notify_time %q is not yyyy-MM-dd HH:mm:ss", clip(s)))
		}
		n.NotifyTime = t
	}
	var err error
	if n.Currency, n.Amount, n.RMBAmount, err = refundAmounts(p); err != nil {
		problems = append(problems, err.Error())
	}
	return problems
}
