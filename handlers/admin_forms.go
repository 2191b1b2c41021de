package handlers

// The admin's order forms as typed, their parsing (money typed as a
// decimal, never a float), and why one was refused.

import (
	"errors"
	"strings"

	"shop/payment"
)

// refundForm is the refund form as typed.
type refundForm struct {
	Amount, Reason string
	Restock        bool
	Async          bool // sent with is_sync=N: Alipay accepts it and makes it later
	Err            formError
}

// shipForm is the fulfilment form as typed.
type shipForm struct {
	Carrier, TrackingNo string
	Err                 formError
}

// formError is why a form was refused: a sentence, and a sentence per
// field.
type formError struct {
	Message string
	Fields  map[string]string
}

// newFormError words err, of kind k, in l.
func newFormError(l Lang, k errorKind, err error) formError {
	e := formError{Message: message(l, k.msgKey), Fields: map[string]string{}}
	var ve *ValidationError
	if errors.As(err, &ve) {
		for f, key := range ve.Fields {
			e.Fields[f] = message(l, key)
		}
	}
	return e
}

// parse checks the form: the amount as a decimal of cur turned into minor
// units, and a reason Alipay accepts (its forbidden characters become
// spaces).
func (f refundForm) parse(cur payment.Currency) (int64, string, error) {
	fields := map[string]string{}
	amount, ok := parseMoney(f.Amount, cur)
	if !ok {
		fields["amount"] = "money.refund.badamount"
	}
	reason := payment.CleanText(f.Reason, 100)
	if reason == "" {
		fields["reason"] = "money.refund.noreason"
	}
	if len(fields) > 0 {
		return 0, "", &ValidationError{Fields: fields}
	}
	return amount, reason, nil
}

// parseMoney parses an amount a person typed in cur: digits with at most
// the currency's decimals ("12", "12.5", "12.50"; "1500" for JPY), padded
// to Alipay's canonical form and parsed strictly into minor units. No
// floating point, no signs, exponents, separators or spaces inside.
func parseMoney(s string, cur payment.Currency) (int64, bool) {
	s = strings.TrimSpace(s)
	if exp := cur.Exponent(); exp > 0 {
		whole, frac, dot := strings.Cut(s, ".")
		if len(frac) > exp || dot && frac == "" {
			return 0, false
		}
		s = whole + "." + frac + strings.Repeat("0", exp-len(frac))
	}
	a, err := payment.ParseAmountOf(s, cur)
	return a.Minor, err == nil
}
