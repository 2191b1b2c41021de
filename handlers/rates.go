package handlers

import (
	"math/big"
	"time"

	"shop/payment"
)

// Rates are Alipay's latest exchange rates (package rates): CNY per unit
// of a currency, with the time Alipay set each.
type Rates interface {
	Rate(c payment.Currency) (payment.Rate, bool)
}

// DefaultRateMaxAge is how old a rate may be before the estimates made
// with it are hidden, when Config.RateMaxAge is 0: Alipay publishes new
// rates every working day, and a day and two hours leaves room for a late
// file.
const DefaultRateMaxAge = 26 * time.Hour

// cnyRate converts a page's prices to an estimate in whole yuan. A nil
// *cnyRate shows no estimate: its methods return "".
type cnyRate struct {
	perMinor *big.Rat // yuan per minor unit of the currency
	at       time.Time
	lang     Lang
}

// cnyRate returns the rate a page in l converts prices in cur with: only
// Chinese pages show estimates, and only with a rate no older than the
// limit. Otherwise nil.
func (s *Server) cnyRate(l Lang, cur payment.Currency) *cnyRate {
	if !l.ZH() || s.rates == nil || cur == payment.CNY {
		return nil
	}
	r, ok := s.rates.Rate(cur)
	if !ok || s.now().Sub(r.Time) > s.rateMaxAge {
		return nil
	}
	exp := cur.Exponent()
	rate, ok := new(big.Rat).SetString(r.Rate)
	if exp < 0 || !ok || rate.Sign() <= 0 {
		return nil
	}
	unit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(exp)), nil)
	return &cnyRate{perMinor: rate.Quo(rate, new(big.Rat).SetInt(unit)), at: r.Time, lang: l}
}

// Of is the estimate of minor units, "≈ ¥278": exact arithmetic, rounded
// once, half up, to the yuan. "" for a nil rate or a negative amount.
func (e *cnyRate) Of(minor int64) string {
	if e == nil || minor < 0 {
		return ""
	}
	v := new(big.Rat).Mul(new(big.Rat).SetInt64(minor), e.perMinor)
	// For v ≥ 0, floor(v + 1/2) is (2·num + den) div (2·den).
	num := new(big.Int).Lsh(v.Num(), 1)
	num.Add(num, v.Denom())
	yuan := num.Quo(num, new(big.Int).Lsh(v.Denom(), 1))
	return e.lang.Tf("estimate.cny", "Amount", group(yuan.String()))
}

// Note says what the estimates are: at Alipay's rate of when, and that
// Alipay converts at its own rate when the buyer pays. "" for a nil rate.
func (e *cnyRate) Note() string {
	if e == nil {
		return ""
	}
	return e.lang.Tf("estimate.note", "Time", e.at.In(payment.Beijing()).Format("2006-01-02 15:04"))
}
