package handlers

import (
	"strconv"
	"strings"

	"shop/payment"
)

// symbols are the price prefixes shoppers expect per currency.
var symbols = map[payment.Currency]string{
	"USD": "US$", "EUR": "€", "GBP": "£", "HKD": "HK$", "JPY": "JP¥", "KRW": "₩", "AUD": "A$",
	"CAD": "CA$", "CHF": "CHF ", "SGD": "S$", "NZD": "NZ$", "SEK": "SEK ", "DKK": "DKK ",
	"NOK": "NOK ", "THB": "฿", "CNY": "¥",
}

// formatPrice renders minor units for people: symbol, thousands separators
// and the currency's decimals ("US$1,234.50", "JP¥1,500"). It never goes
// through floating point.
func formatPrice(minor int64, c payment.Currency) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	exp := c.Exponent()
	unit := int64(1)
	for i := 0; i < exp; i++ {
		unit *= 10
	}
	whole := group(strconv.FormatInt(minor/unit, 10))
	sym, ok := symbols[c]
	if !ok {
		sym = string(c) + " "
	}
	if exp <= 0 {
		return sign + sym + whole
	}
	frac := strconv.FormatInt(minor%unit, 10)
	return sign + sym + whole + "." + strings.Repeat("0", exp-len(frac)) + frac
}

// group inserts thousands separators into a string of digits.
func group(digits string) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	lead := len(digits) % 3
	if lead > 0 {
		b.WriteString(digits[:lead])
	}
	for i := lead; i < len(digits); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}
