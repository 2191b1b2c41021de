package payment

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// TradeStatus is the trade_status Alipay reports.
type TradeStatus string

// Trade states of the cross-border services.
const (
	WaitBuyerPay  TradeStatus = "WAIT_BUYER_PAY" // created, not paid (query only)
	TradeSuccess  TradeStatus = "TRADE_SUCCESS"  // paid (seen from the sandbox and in-store products)
	TradeFinished TradeStatus = "TRADE_FINISHED" // paid: the documented success value
	TradeClosed   TradeStatus = "TRADE_CLOSED"   // closed unpaid after the timeout, or fully refunded
)

// Paid reports whether s means the buyer has paid: TRADE_SUCCESS and
// TRADE_FINISHED both do.
func (s TradeStatus) Paid() bool { return s == TradeSuccess || s == TradeFinished }

// ErrContent is wrapped when a message's signature verified but a field is
// missing or not in the expected format. The message is Alipay's, so
// answering a notification with "fail" only makes Alipay send the same
// bytes again for 25 hours: record it for a person to look at and answer
// "success". Notification.Verified is true with it.
var ErrContent = errors.New("payment: the message verified but a field is missing or not in the expected format")

// Notification is a message from Alipay about a trade: the asynchronous
// notification POSTed to notify_url, or the synchronous return redirect to
// return_url (which carries only the trade fields).
type Notification struct {
	NotifyID    string // the same on every retry; check it with Client.NotifyVerify
	NotifyType  string // "trade_status_sync"
	NotifyTime  time.Time
	OutTradeNo  string
	TradeNo     string
	TradeStatus TradeStatus
	Currency    Currency
	// Amount is total_fee in Currency. When the payment was priced with
	// rmb_fee it is zero and RMBFee holds fen.
	Amount      Amount
	RMBFee      int64
	BuyerID     string
	BuyerEmail  string
	SellerID    string
	SellerEmail string
	GmtCreate   time.Time
	GmtPayment  time.Time
	GmtClose    time.Time

	// Params holds every field received, sign included, in UTF-8. Fields
	// Alipay adds in future are here too: nothing is dropped.
	Params Params

	// Verified reports that the signature checked out with the configured
	// key and sign type: the message is Alipay's. It is true on success
	// and also with the errors that come after verification (ErrContent,
	// ErrPartner), false with every other error.
	Verified bool
}

// ParseNotification verifies and parses the body of an asynchronous
// notification. contentType is the request's Content-Type, whose charset
// (if any) says how the body is encoded (GBK bodies are decoded). The
// signature is checked over every field received with the configured sign
// type only; then the fields are read and the seller checked for being
// this partner.
//
// Errors before the signature verified wrap ErrMalformed (the body cannot
// be parsed), ErrCharset, ErrSignature or ErrSignType: the message may be
// forged. Errors after it wrap ErrContent (a field missing or in an
// unexpected format; with ErrNotificationKind for a refund's result, which
// goes to ParseRefundNotification) or ErrPartner (a genuine message about
// another merchant's trade), and come with Verified set. Whenever the body parsed,
// the Notification is returned with the error, filled as far as its fields
// allowed, Params included.
//
// Amounts are read by value: a total_fee that is not in its currency's
// canonical form but is an exact number of minor units ("1500.00" JPY,
// "39.0" USD) is accepted.
func (c *Client) ParseNotification(body []byte, contentType string) (*Notification, error) {
	p, pairs, err := parseQuery(body, charsetOf(contentType))
	if err != nil {
		return nil, err
	}
	return c.verifyTrade(p, pairs, contentTypeCharset(contentType, p), true)
}

// ParseReturn verifies and parses the query string of the return redirect
// (r.URL.RawQuery), with the errors and the leniency of ParseNotification.
// Show the buyer what it says, but never mark an order paid from it: only
// the notification (or a query) is authoritative.
func (c *Client) ParseReturn(rawQuery string) (*Notification, error) {
	p, pairs, err := parseQuery([]byte(rawQuery), "")
	if err != nil {
		return nil, err
	}
	return c.verifyTrade(p, pairs, p.Charset(), false)
}

func (c *Client) verifyTrade(p Params, pairs []KV, charset string, isNotify bool) (*Notification, error) {
	n := &Notification{Params: p, OutTradeNo: p["out_trade_no"], TradeNo: p["trade_no"], NotifyID: p["notify_id"]}
	if err := verifyPairs(c.verifier, p, pairs, charset); err != nil {
		return n, err
	}
	n.Verified = true
	if kindOf(p) == NotifyRefund {
		// A refund's result has no trade_status: it must never read as a
		// payment, however its other fields look.
		n.NotifyType = p["notify_type"]
		return n, fmt.Errorf("%w: %w: notify_type %q with out_return_no %q is a refund's result; use ParseRefundNotification",
			ErrNotificationKind, ErrContent, clip(p["notify_type"]), clip(p["out_return_no"]))
	}
	problems := n.fill(p, isNotify)
	// Another merchant's trade first: however odd its fields, acting on it
	// would be the worse mistake.
	if n.SellerID != "" && n.SellerID != c.partner {
		return n, fmt.Errorf("%w: seller_id %s", ErrPartner, n.SellerID)
	}
	if pid := p["partner"]; pid != "" && pid != c.partner {
		return n, fmt.Errorf("%w: partner %s", ErrPartner, pid)
	}
	if len(problems) > 0 {
		return n, fmt.Errorf("%w: %s", ErrContent, strings.Join(problems, "; "))
	}
	return n, nil
}

// fill reads the fields of a verified message into n, as many as it can,
// and returns what it found missing or malformed.
func (n *Notification) fill(p Params, isNotify bool) (problems []string) {
	required := notifyRequired[:]
	if !isNotify {
		required = required[:4]
	}
	for _, k := range required {
		if p[k] == "" {
			problems = append(problems, k+" is missing")
		}
	}
	if n.OutTradeNo != "" {
		if err := checkTradeNo("out_trade_no", n.OutTradeNo); err != nil {
			problems = append(problems, err.Error())
		}
	}
	n.NotifyType = p["notify_type"]
	n.TradeStatus = TradeStatus(p["trade_status"])
	n.Currency = Currency(p["currency"])
	n.BuyerID, n.BuyerEmail = p["buyer_id"], p["buyer_email"]
	n.SellerID, n.SellerEmail = p["seller_id"], p["seller_email"]
	if p["currency"] != "" && !n.Currency.Valid() {
		problems = append(problems, fmt.Sprintf("unknown currency %q", clip(p["currency"])))
	}
	switch fee, rmb := p["total_fee"], p["rmb_fee"]; {
	case fee != "":
		// Without a known currency there is no exponent to read it by.
		if n.Currency.Valid() {
			v, err := parseAmountExact(fee, n.Currency)
			if err != nil {
				problems = append(problems, "total_fee: "+err.Error())
			}
			n.Amount = Amount{Minor: v, Currency: n.Currency}
		}
	case rmb != "":
		v, err := parseAmountExact(rmb, CNY)
		if err != nil {
			problems = append(problems, "rmb_fee: "+err.Error())
		}
		n.RMBFee, n.Amount.Currency = v, n.Currency
	default:
		problems = append(problems, "total_fee is missing")
	}
	times := [...]struct {
		key string
		dst *time.Time
	}{{"notify_time", &n.NotifyTime}, {"gmt_create", &n.GmtCreate}, {"gmt_payment", &n.GmtPayment}, {"gmt_close", &n.GmtClose}}
	for _, f := range times {
		if p[f.key] == "" {
			continue
		}
		t, err := ParseTime(p[f.key])
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s %q is not yyyy-MM-dd HH:mm:ss", f.key, clip(p[f.key])))
			continue
		}
		*f.dst = t
	}
	return problems
}

// notifyRequired lists the fields every trade message carries; the last
// three only notifications (not return redirects).
var notifyRequired = [...]string{"out_trade_no", "trade_no", "trade_status", "currency", "notify_id", "notify_type", "notify_time"}

// ParseTime parses Alipay's "yyyy-MM-dd HH:mm:ss" timestamps, which are
// Beijing time (UTC+8).
func ParseTime(s string) (time.Time, error) {
	return time.ParseInLocation("2006-01-02 15:04:05", s, beijing)
}

// FormatTime renders t as Alipay's "yyyy-MM-dd HH:mm:ss" in Beijing time.
func FormatTime(t time.Time) string {
	return t.In(beijing).Format("2006-01-02 15:04:05")
}

// charsetOf returns the charset parameter of a Content-Type header. It is
// lenient: Alipay's notifications have been seen with headers such as
// "application/x-www-form-urlencoded; text/html; charset=utf-8".
func charsetOf(contentType string) string {
	ct := strings.ToLower(contentType)
	i := strings.Index(ct, "charset=")
	if i < 0 {
		return ""
	}
	cs := ct[i+len("charset="):]
	if j := strings.IndexAny(cs, "; "); j >= 0 {
		cs = cs[:j]
	}
	return strings.Trim(cs, `"`)
}

// contentTypeCharset is the charset to hash a notification in: the header's,
// else the message's own _input_charset, else UTF-8.
func contentTypeCharset(contentType string, p Params) string {
	if cs := charsetOf(contentType); cs != "" {
		return cs
	}
	return p.Charset()
}
