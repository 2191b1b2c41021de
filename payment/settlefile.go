package payment

import (
	"bytes"
	"context"
	"fmt"
	"time"
)

// MaxFileDays is the longest period, in days with both ends included, the
// reconciliation and settlement files cover in one request.
const MaxFileDays = 10

// FileRequest is the period of a reconciliation or settlement file:
// calendar days from Start to End, both included. The day of each is its
// date in Beijing time (build them with time.Date(y, m, d, 0, 0, 0, 0,
// payment.Beijing())). Alipay serves at most MaxFileDays days, ending
// before today in Beijing.
type FileRequest struct {
	Start time.Time
	End   time.Time
}

// beijingDay returns midnight in Beijing of t's date there.
func beijingDay(t time.Time) time.Time {
	y, m, d := t.In(beijing).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, beijing)
}

// params validates r against today (Beijing) and returns its parameters.
func (r FileRequest) params(svc Service, now time.Time) (Params, error) {
	if r.Start.IsZero() {
		return nil, invalid("start_date", "is required")
	}
	if r.End.IsZero() {
		return nil, invalid("end_date", "is required")
	}
	start, end, today := beijingDay(r.Start), beijingDay(r.End), beijingDay(now)
	for _, f := range []struct {
		name string
		day  time.Time
	}{{"start_date", start}, {"end_date", end}} {
		if y := f.day.Year(); y < 1000 || y > 9999 {
			return nil, invalid(f.name, "year %d has no yyyyMMdd form", y)
		}
	}
	if end.Before(start) {
		return nil, invalid("end_date", "%s is before start_date %s", end.Format("20060102"), start.Format("20060102"))
	}
	// Beijing has no daylight saving: every day is 24 hours.
	if days := int(end.Sub(start)/(24*time.Hour)) + 1; days > MaxFileDays {
		return nil, invalid("end_date", "the period is %d days; at most %d", days, MaxFileDays)
	}
	if !end.Before(today) {
		return nil, invalid("end_date", "%s is not before today, %s in Beijing", end.Format("20060102"), today.Format("20060102"))
	}
	return Params{"service": string(svc), "start_date": start.Format("20060102"), "end_date": end.Format("20060102")}, nil
}

// ParseFileParams reads start_date and end_date of a forex_compare_file or
// forex_liquidation_file request, as the gateway receives them, and applies
// the client's rules as of now: yyyyMMdd dates, start not after end, at
// most MaxFileDays days, end before today in Beijing. A gateway (the
// sandbox) uses it to refuse what this package would never send. Errors
// are *ValidationError with code ILLEGAL_ARGUMENT.
func ParseFileParams(p Params, now time.Time) (*FileRequest, error) {
	svc := Service(p["service"])
	if svc != ServiceCompareFile && svc != ServiceLiquidationFile {
		return nil, invalid("service", "%q is not a file service", clip(p["service"]))
	}
	r := &FileRequest{}
	for _, f := range []struct {
		key string
		dst *time.Time
	}{{"start_date", &r.Start}, {"end_date", &r.End}} {
		s := p[f.key]
		if len(s) != 8 || !isDigits(s) {
			return nil, invalid(f.key, "must be yyyyMMdd")
		}
		d, err := time.ParseInLocation("20060102", s, beijing)
		if err != nil {
			return nil, invalid(f.key, "%q is not a date", s)
		}
		*f.dst = d
	}
	if _, err := r.params(svc, now); err != nil {
		return nil, err
	}
	return r, nil
}

// CompareFile downloads the reconciliation file (forex_compare_file): the
// payments and refunds of the period, in the order of the file.
//
// r is validated first against today in Beijing (Config.Now); errors wrap
// ErrInvalid and nothing is sent. The file is plain text and unsigned.
// Alipay's "No ... data in the period" answer is zero rows and no error; a
// refusal in the XML envelope is a *GatewayError (its signature checked
// when it has one); anything else that is not rows (an empty body, another
// text, a malformed line) wraps ErrGateway: a reconciliation must never
// read an answer it does not understand as "nothing happened".
func (c *Client) CompareFile(ctx context.Context, r FileRequest) ([]FileRow, error) {
	return c.fetchFile(ctx, ServiceCompareFile, r)
}

// LiquidationFile downloads the settlement file (forex_liquidation_file):
// the payments and refunds settled in the period, with the rules and errors
// of CompareFile.
func (c *Client) LiquidationFile(ctx context.Context, r FileRequest) ([]FileRow, error) {
	return c.fetchFile(ctx, ServiceLiquidationFile, r)
}

func (c *Client) fetchFile(ctx context.Context, svc Service, r FileRequest) ([]FileRow, error) {
	p, err := r.params(svc, c.now())
	if err != nil {
		return nil, err
	}
	body, contentType, err := c.call(ctx, p, false)
	if err != nil {
		return nil, err
	}
	if bytes.HasPrefix(bytes.TrimSpace(body), []byte("<")) {
		if _, err := c.parseAnswer(svc, body, true); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %s: XML answer without a file", ErrGateway, svc)
	}
	text, err := DecodeCharset(body, charsetOf(contentType))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrGateway, svc, err)
	}
	rows, err := parseFile(text)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrGateway, svc, err)
	}
	return rows, nil
}
