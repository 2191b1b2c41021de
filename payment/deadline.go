package payment

import (
	"fmt"
	"strconv"
	"time"
)

// Alipay counts timeout_rule and a relative it_b_pay from the moment the
// buyer first opens the cashier, which is when it creates its trade. A pay
// URL or order string that nobody opened therefore stays payable for ever,
// even after the shop has cancelled the order and returned its stock. An
// absolute deadline closes that gap: order_gmt_create + order_valid_time on
// the web services, an it_b_pay of the form yyyy-MM-dd HH:mm:ss in the app.

// Deadline returns the instant after which Alipay refuses to take payment
// for r: OrderGMTCreate, to the second as it is sent, plus OrderValidTime.
// ok is false when r sets no OrderValidTime. A shop can close its order
// (and return its stock) at that instant, knowing that no pay URL it signed
// for r can still be paid.
func (r *TradeRequest) Deadline() (deadline time.Time, ok bool) {
	if r.OrderGMTCreate.IsZero() || r.OrderValidTime <= 0 {
		return time.Time{}, false
	}
	return r.OrderGMTCreate.Truncate(time.Second).Add(r.OrderValidTime), true
}

// Deadline returns ItBPayDeadline to the second, as it is sent; ok is
// false when r sets none.
func (r *AppPayRequest) Deadline() (deadline time.Time, ok bool) {
	if r.ItBPayDeadline.IsZero() {
		return time.Time{}, false
	}
	return r.ItBPayDeadline.Truncate(time.Second), true
}

// maxOrderValidTime is the largest order_valid_time, 30 days, that
// Alipay's Chinese create_forex_trade page quotes.
const maxOrderValidTime = 2592000

// deadlineParams adds order_gmt_create and order_valid_time, for either
// service.
func (r *TradeRequest) deadlineParams(p Params) error {
	if r.OrderValidTime != 0 {
		secs := int64(r.OrderValidTime / time.Second)
		if r.OrderGMTCreate.IsZero() || secs < 1 || secs > maxOrderValidTime || r.OrderValidTime%time.Second != 0 {
			return invalid("order_valid_time", "needs order_gmt_create and whole seconds from 1 to %d", maxOrderValidTime)
		}
		p["order_valid_time"] = strconv.FormatInt(secs, 10)
	}
	if !r.OrderGMTCreate.IsZero() {
		s, err := formatWireTime("order_gmt_create", r.OrderGMTCreate, CodeIllegalArgument)
		if err != nil {
			return err
		}
		p["order_gmt_create"] = s
	}
	return nil
}

// itBPay returns the it_b_pay value of r: the relative ItBPay or the
// absolute ItBPayDeadline, which exclude each other.
func (r *AppPayRequest) itBPay() (string, error) {
	if r.ItBPayDeadline.IsZero() {
		return r.ItBPay, checkItBPay(r.ItBPay)
	}
	if r.ItBPay != "" {
		return "", invalid("it_b_pay", "set ItBPay (relative) or ItBPayDeadline (absolute), not both")
	}
	return formatWireTime("it_b_pay", r.ItBPayDeadline, CodeIllegalTimeoutRule)
}

// formatWireTime renders t as Alipay's "yyyy-MM-dd HH:mm:ss" in Beijing
// time, refusing years that do not have four digits there: they would not
// read back as the same instant.
func formatWireTime(field string, t time.Time, code string) (string, error) {
	if y := t.In(beijing).Year(); y < 1000 || y > 9999 {
		return "", &ValidationError{Field: field, Reason: fmt.Sprintf("year %d has no four-digit yyyy-MM-dd HH:mm:ss form", y), Code: code}
	}
	return FormatTime(t), nil
}

// parseWireTime parses "yyyy-MM-dd HH:mm:ss" in Beijing time exactly:
// unlike ParseTime it refuses a fractional second, which time.Parse
// accepts after the seconds whatever the layout, so that what a gateway
// reads is what this package would have sent.
func parseWireTime(s string) (time.Time, error) {
	t, err := ParseTime(s)
	if err != nil {
		return time.Time{}, err
	}
	if FormatTime(t) != s {
		return time.Time{}, fmt.Errorf("payment: time %q is not exactly yyyy-MM-dd HH:mm:ss", s)
	}
	return t, nil
}
