package payment

import (
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

// Notification is a verified message from Alipay about a trade: the
// asynchronous notification POSTed to notify_url, or the synchronous return
// redirect to return_url (which carries only the trade fields).
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
}

// ParseNotification verifies and parses the body of an asynchronous
// notification. contentType is the request's Content-Type, whose charset
// (if any) says how the body is encoded (GBK bodies are decoded). The
// signature is checked over every field received with the configured sign
// type only; then the fields are checked for shape and the seller for being
// this partner. The errors wrap ErrMalformed, ErrSignature, ErrSignType or
// ErrPartner. When the body parsed but failed a later check, the partly
// filled Notification is returned with the error, for logging.
func (c *Client) ParseNotification(body []byte, contentType string) (*Notification, error) {
	p, pairs, err := parseQuery(body, charsetOf(contentType))
	if err != nil {
		return nil, err
	}
	return c.verifyTrade(p, pairs, contentTypeCharset(contentType, p), true)
}

// ParseReturn verifies and parses the query string of the return redirect
// (r.URL.RawQuery). Show the buyer what it says, but never mark an order
// paid from it: only the notification (or a query) is authoritative.
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
	if err := n.fill(p, isNotify); err != nil {
		return n, err
	}
	if n.SellerID != "" && n.SellerID != c.partner {
		return n, fmt.Errorf("%w: seller_id %s", ErrPartner, n.SellerID)
	}
	if pid := p["partner"]; pid != "" && pid != c.partner {
		return n, fmt.Errorf("%w: partner %s", ErrPartner, pid)
	}
	return n, nil
}

func (n *Notification) fill(p Params, isNotify bool) error {
	required := notifyRequired[:]
	if !isNotify {
		required = required[:4]
	}
	for _, k := range required {
		if p[k] == "" {
			return fmt.Errorf("%w: %s is missing", ErrMalformed, k)
		}
	}
	if err := checkTradeNo("out_trade_no", n.OutTradeNo); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	n.NotifyType = p["notify_type"]
	n.TradeStatus = TradeStatus(p["trade_status"])
	n.Currency = Currency(p["currency"])
	if !n.Currency.Valid() {
		return fmt.Errorf("%w: unknown currency %q", ErrMalformed, p["currency"])
	}
	switch fee, rmb := p["total_fee"], p["rmb_fee"]; {
	case fee != "":
		a, err := ParseAmountOf(fee, n.Currency)
		if err != nil {
			return fmt.Errorf("%w: total_fee: %v", ErrMalformed, err)
		}
		n.Amount = a
	case rmb != "":
		v, err := ParseAmount(rmb, CNY)
		if err != nil {
			return fmt.Errorf("%w: rmb_fee: %v", ErrMalformed, err)
		}
		n.RMBFee, n.Amount.Currency = v, n.Currency
	default:
		return fmt.Errorf("%w: total_fee is missing", ErrMalformed)
	}
	n.BuyerID, n.BuyerEmail = p["buyer_id"], p["buyer_email"]
	n.SellerID, n.SellerEmail = p["seller_id"], p["seller_email"]
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
			return fmt.Errorf("%w: %s: %v", ErrMalformed, f.key, err)
		}
		*f.dst = t
	}
	return nil
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
