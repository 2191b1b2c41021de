package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"shop/payment"
)

// defaultShippingFlat is SHIPPING_FLAT when unset, in the settlement
// currency.
const defaultShippingFlat = "8.00"

// parseShipping reads SHIPPING_FLAT, SHIPPING_FREE_OVER and
// CNY_ESTIMATE_MAX_AGE. The amounts are decimals in ALIPAY_CURRENCY, which
// must be valid already.
func (c *config) parseShipping() error {
	flat, err := parseMoney("SHIPPING_FLAT", c.raw["SHIPPING_FLAT"], c.Currency, "or 0 for free shipping")
	if err != nil {
		return err
	}
	c.Shipping.FlatMinor = flat
	if s := c.raw["SHIPPING_FREE_OVER"]; s != "" {
		over, err := parseMoney("SHIPPING_FREE_OVER", s, c.Currency, "or unset it so that shipping is always charged")
		if err != nil {
			return err
		}
		if over == 0 {
			return fmt.Errorf("SHIPPING_FREE_OVER=%s would make every order ship free: set SHIPPING_FLAT=0 for that, "+
				"or unset SHIPPING_FREE_OVER so that shipping is always charged", s)
		}
		c.Shipping.FreeOverMinor = over
		if flat == 0 {
			c.warn("SHIPPING_FREE_OVER is set but SHIPPING_FLAT is 0: every order ships free anyway")
		}
	}
	if c.Currency.Exponent() == 0 && flat > 0 && flat < 100 {
		c.warn("SHIPPING_FLAT is %s, that is %d %s per order (%s has no decimals): set it in %s, like SHIPPING_FLAT=800, or 0 for free shipping",
			c.raw["SHIPPING_FLAT"], flat, c.Currency, c.Currency, c.Currency)
	}
	age, err := time.ParseDuration(c.raw["CNY_ESTIMATE_MAX_AGE"])
	if err != nil || age < time.Minute {
		return fmt.Errorf("CNY_ESTIMATE_MAX_AGE must be a duration of a minute or more, like 26h (Alipay publishes rates once a working day)")
	}
	c.RateMaxAge = age
	return nil
}

// parseMoney reads a non-negative amount of cur written as a plain decimal
// ("8", "8.5", "8.00"; "800" for JPY), exactly, into minor units: no sign,
// no exponent, no thousands separator, and no more decimals than cur has
// (beyond them, zeros only). fix ends the error message.
func parseMoney(env, s string, cur payment.Currency, fix string) (int64, error) {
	exp := cur.Exponent()
	example := "8.00"
	if exp == 0 {
		example = "800"
	}
	whole, frac, dot := strings.Cut(s, ".")
	if !allDigits(whole) || (dot && !allDigits(frac)) || len(whole) > 7 {
		return 0, fmt.Errorf("%s %q must be an amount in %s written like %s (digits, a dot before the decimals), %s", env, s, cur, example, fix)
	}
	if len(frac) > exp {
		if strings.Trim(frac[exp:], "0") != "" {
			if exp == 0 {
				return 0, fmt.Errorf("%s %q is not a whole number of %s, which has no decimals: write it like %s, %s", env, s, cur, example, fix)
			}
			return 0, fmt.Errorf("%s %q has more decimals than %s (%d): write it like %s, %s", env, s, cur, exp, example, fix)
		}
		frac = frac[:exp]
	}
	frac += strings.Repeat("0", exp-len(frac))
	n, err := strconv.ParseInt(whole+frac, 10, 64) // at most 7+exp digits
	if err != nil {
		return 0, fmt.Errorf("%s %q: %v", env, s, err)
	}
	if n > cur.MaxAmount() {
		return 0, fmt.Errorf("%s %q is more than Alipay's largest amount, 1,000,000 %s: %s", env, s, cur, fix)
	}
	return n, nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
