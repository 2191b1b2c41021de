package payment

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Currency is an ISO 4217 code of a settlement currency Alipay's
// cross-border services accept, such as "USD" or "JPY".
type Currency string

// currencies maps each settlement currency Alipay documents to the number of
// decimals Alipay uses for it. JPY and KRW amounts are whole numbers; every
// other currency has two decimals. CNY is listed so that rmb_fee and
// return_rmb_amount can be formatted, but it is not a settlement currency.
var currencies = map[Currency]int{
	"USD": 2, "EUR": 2, "GBP": 2, "HKD": 2, "JPY": 0, "KRW": 0,
	"AUD": 2, "CAD": 2, "CHF": 2, "SGD": 2, "NZD": 2, "SEK": 2,
	"DKK": 2, "NOK": 2, "THB": 2, "MYR": 2, "IDR": 2, "PHP": 2,
	"MUR": 2, "ILS": 2, "LKR": 2, "RUB": 2, "AED": 2, "CZK": 2,
	"ZAR": 2, "CNY": 2,
}

// CNY is the currency of rmb_fee and return_rmb_amount.
const CNY Currency = "CNY"

// Currencies returns the settlement currencies this package knows, CNY excluded.
func Currencies() []Currency {
	out := make([]Currency, 0, len(currencies))
	for c := range currencies {
		if c != CNY {
			out = append(out, c)
		}
	}
	return out
}

// ErrCurrency is returned for a currency code this package does not know.
var ErrCurrency = errors.New("payment: unknown currency")

// ErrAmount is returned for an amount that is malformed or out of Alipay's range.
var ErrAmount = errors.New("payment: invalid amount")

// Valid reports whether c is a currency Alipay accepts.
func (c Currency) Valid() bool {
	_, ok := currencies[c]
	return ok
}

// Exponent returns the number of decimals Alipay uses for c (0 for JPY and
// KRW, 2 otherwise), or -1 if c is unknown.
func (c Currency) Exponent() int {
	e, ok := currencies[c]
	if !ok {
		return -1
	}
	return e
}

// unit returns 10^Exponent.
func (c Currency) unit() int64 {
	if c.Exponent() == 0 {
		return 1
	}
	return 100
}

// MinAmount and MaxAmount return the range Alipay accepts for an amount in c,
// in minor units: 0.01 to 1,000,000.00 (1 to 1,000,000 for JPY and KRW).
func (c Currency) MinAmount() int64 { return 1 }

// MaxAmount returns 1,000,000 major units of c in minor units.
func (c Currency) MaxAmount() int64 { return 1_000_000 * c.unit() }

// Amount is a sum of money in minor units (cents; yen for JPY) of a currency.
// It is never a float.
type Amount struct {
	Minor    int64
	Currency Currency
}

// String formats a as Alipay expects on the wire ("350.45", "1500" for JPY).
// It returns a descriptive placeholder for an unknown currency.
func (a Amount) String() string {
	s, err := FormatAmount(a.Minor, a.Currency)
	if err != nil {
		return fmt.Sprintf("%d(minor %s)", a.Minor, a.Currency)
	}
	return s
}

// FormatAmount renders minor units of c as Alipay's decimal string: exactly
// two decimals, or none for JPY and KRW. It checks Alipay's range.
func FormatAmount(minor int64, c Currency) (string, error) {
	if !c.Valid() {
		return "", fmt.Errorf("%w %q", ErrCurrency, string(c))
	}
	if minor < c.MinAmount() || minor > c.MaxAmount() {
		return "", fmt.Errorf("%w: %d minor units of %s is outside 0.01 to 1,000,000.00", ErrAmount, minor, c)
	}
	return formatMinor(minor, c), nil
}

// formatMinor formats a non-negative amount without range checks.
func formatMinor(minor int64, c Currency) string {
	if c.Exponent() == 0 {
		return strconv.FormatInt(minor, 10)
	}
	return fmt.Sprintf("%d.%02d", minor/100, minor%100)
}

// ParseAmount strictly parses an amount Alipay sends or accepts for c and
// returns it in minor units. Only the canonical form is accepted: ASCII
// digits without sign, exponent, spaces, separators or leading zeros, a dot
// and exactly two decimals (no dot for JPY and KRW), within 0.01 to
// 1,000,000.00. Everything else, "1e2", "+1", " 1.00", "1.001", "NaN",
// "0x10" and "1,000.00" among it, is ErrAmount.
func ParseAmount(s string, c Currency) (int64, error) {
	exp := c.Exponent()
	if exp < 0 {
		return 0, fmt.Errorf("%w %q", ErrCurrency, string(c))
	}
	whole, frac := s, ""
	if exp > 0 {
		i := strings.IndexByte(s, '.')
		if i < 0 || len(s)-i-1 != exp {
			return 0, fmt.Errorf("%w %q: %s needs exactly %d decimals", ErrAmount, s, c, exp)
		}
		whole, frac = s[:i], s[i+1:]
	}
	if !isDigits(whole) || (exp > 0 && !isDigits(frac)) || len(whole) > 7 {
		return 0, fmt.Errorf("%w %q: not a plain decimal number", ErrAmount, s)
	}
	if len(whole) > 1 && whole[0] == '0' {
		return 0, fmt.Errorf("%w %q: leading zero", ErrAmount, s)
	}
	n, _ := strconv.ParseInt(whole+frac, 10, 64) // at most 9 digits: cannot fail
	if n < c.MinAmount() || n > c.MaxAmount() {
		return 0, fmt.Errorf("%w %q: outside 0.01 to 1,000,000.00", ErrAmount, s)
	}
	return n, nil
}

// ParseAmountOf parses s as an amount of c and returns it as an Amount.
func ParseAmountOf(s string, c Currency) (Amount, error) {
	n, err := ParseAmount(s, c)
	return Amount{Minor: n, Currency: c}, err
}

// parseAmountExact parses an amount by value rather than by form: the
// canonical form, or any plain decimal (digits, optionally a dot and more
// digits) that is a whole number of minor units of c, within Alipay's
// range. "1500.00" JPY is 1500 and "39.0" USD is 3900; "1500.50" JPY, "1e3"
// and "-1" are errors. It reads amounts in messages whose signature has
// verified, where what Alipay says counts, not how it wrote it.
func parseAmountExact(s string, c Currency) (int64, error) {
	n, strictErr := ParseAmount(s, c)
	if strictErr == nil {
		return n, nil
	}
	exp := c.Exponent()
	if exp < 0 {
		return 0, strictErr
	}
	whole, frac, dot := strings.Cut(s, ".")
	if !isDigits(whole) || dot && !isDigits(frac) {
		return 0, fmt.Errorf("%w %q: not a plain decimal number", ErrAmount, clip(s))
	}
	if len(frac) > exp {
		if strings.Trim(frac[exp:], "0") != "" {
			return 0, fmt.Errorf("%w %q: not a whole number of minor units of %s", ErrAmount, clip(s), c)
		}
		frac = frac[:exp]
	}
	frac += strings.Repeat("0", exp-len(frac))
	whole = strings.TrimLeft(whole, "0")
	// More than 7 digits is beyond 1,000,000 whatever they are, and
	// could overflow the parse below.
	if len(whole) > 7 {
		return 0, fmt.Errorf("%w %q: outside 0.01 to 1,000,000.00", ErrAmount, clip(s))
	}
	n, _ = strconv.ParseInt("0"+whole+frac, 10, 64) // digits only, at most 10: cannot fail
	if n < c.MinAmount() || n > c.MaxAmount() {
		return 0, fmt.Errorf("%w %q: outside 0.01 to 1,000,000.00", ErrAmount, clip(s))
	}
	return n, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
