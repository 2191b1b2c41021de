package payment

import (
	"bytes"
	"context"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// Rate is one line of Alipay's exchange-rate file.
type Rate struct {
	Currency Currency
	// Rate is CNY per 1 unit of Currency, as Alipay sent it ("7.1234").
	// It stays a decimal string: money is never a float here.
	Rate string
	Time time.Time // when Alipay set the rate, in Beijing time
}

// ForexRates downloads the exchange-rate file (forex_rate_file): Alipay's
// current CNY rates, one per settlement currency, in the order of the file.
// The file is plain text and unsigned. A malformed line, an empty file or an
// unreadable answer is an error wrapping ErrGateway; Alipay's refusals come
// back as a *GatewayError.
func (c *Client) ForexRates(ctx context.Context) ([]Rate, error) {
	body, _, err := c.call(ctx, Params{"service": string(ServiceRateFile)}, false)
	if err != nil {
		return nil, err
	}
	// Errors come as the usual XML envelope, rates as text lines. The body
	// decides, not the Content-Type, which file services set carelessly.
	if bytes.HasPrefix(bytes.TrimSpace(body), []byte("<")) {
		if _, err := c.parseAnswer(ServiceRateFile, body, true); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %s: XML answer without rates", ErrGateway, ServiceRateFile)
	}
	return parseRates(body)
}

// parseRates reads lines of yyyyMMdd|HHmmss|CCY|rate, skipping blank ones.
func parseRates(body []byte) ([]Rate, error) {
	var rates []Rate
	for i, line := range strings.Split(string(body), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		r, err := parseRateLine(line)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: line %d %q: %v", ErrGateway, ServiceRateFile, i+1, clip(line), err)
		}
		rates = append(rates, r)
	}
	if len(rates) == 0 {
		return nil, fmt.Errorf("%w: %s: the file holds no rates", ErrGateway, ServiceRateFile)
	}
	return rates, nil
}

func parseRateLine(line string) (Rate, error) {
	f := strings.Split(line, "|")
	if len(f) != 4 {
		return Rate{}, fmt.Errorf("want 4 fields separated by |, got %d", len(f))
	}
	if len(f[0]) != 8 || !isDigits(f[0]) || len(f[1]) != 6 || !isDigits(f[1]) {
		return Rate{}, fmt.Errorf("date and time must be yyyyMMdd|HHmmss")
	}
	t, err := time.ParseInLocation("20060102150405", f[0]+f[1], beijing)
	if err != nil {
		return Rate{}, fmt.Errorf("date and time: %v", err)
	}
	// Alipay may list currencies this package does not know yet; only
	// ToCNY needs to know their decimals.
	ccy := f[2]
	if len(ccy) != 3 || strings.Trim(ccy, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		return Rate{}, fmt.Errorf("currency %q is not three capital letters", ccy)
	}
	if _, err := parseRate(f[3]); err != nil {
		return Rate{}, err
	}
	return Rate{Currency: Currency(ccy), Rate: f[3], Time: t}, nil
}

// parseRate reads a positive plain decimal ("7.1234", "0.0481") exactly.
func parseRate(s string) (*big.Rat, error) {
	whole, frac, dot := strings.Cut(s, ".")
	if !isDigits(whole) || (dot && !isDigits(frac)) || len(s) > 32 {
		return nil, fmt.Errorf("rate %q is not a plain decimal number", clip(s))
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok || r.Sign() <= 0 {
		return nil, fmt.Errorf("rate %q must be a positive number", clip(s))
	}
	return r, nil
}

// ToCNY converts a, which must be in r's currency, to CNY fen at r: exact
// arithmetic, rounded half up to the fen.
func (r Rate) ToCNY(a Amount) (int64, error) {
	if a.Currency != r.Currency {
		return 0, fmt.Errorf("%w: amount is in %s, rate is for %s", ErrCurrency, a.Currency, r.Currency)
	}
	exp := a.Currency.Exponent()
	if exp < 0 {
		return 0, fmt.Errorf("%w %q: its decimals are unknown", ErrCurrency, string(a.Currency))
	}
	if a.Minor < 0 {
		return 0, fmt.Errorf("%w: %d is negative", ErrAmount, a.Minor)
	}
	rate, err := parseRate(r.Rate)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrAmount, err)
	}
	v := new(big.Rat).Mul(new(big.Rat).SetInt64(a.Minor), rate)
	v.Mul(v, new(big.Rat).SetFrac(big.NewInt(100), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(exp)), nil)))
	// Half up without leaving integers: for v ≥ 0, floor(v + 1/2) is
	// (2·num + den) div (2·den).
	num := new(big.Int).Lsh(v.Num(), 1)
	num.Add(num, v.Denom())
	fen := num.Quo(num, new(big.Int).Lsh(v.Denom(), 1))
	if !fen.IsInt64() {
		return 0, fmt.Errorf("%w: %s %s at %s does not fit in int64 fen", ErrAmount, a, a.Currency, r.Rate)
	}
	return fen.Int64(), nil
}
