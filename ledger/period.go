package ledger

import (
	"fmt"
	"time"

	"shop/payment"
)

// DayLayout is how a day is written: the Beijing date, which is the day of
// Alipay's files.
const DayLayout = "2006-01-02"

// MaxDays bounds the period one fetch or report covers.
const MaxDays = 93

// Day is the Beijing date of t.
func Day(t time.Time) string { return t.In(payment.Beijing()).Format(DayLayout) }

// StartOf is midnight in Beijing of t's date there.
func StartOf(t time.Time) time.Time {
	y, m, d := t.In(payment.Beijing()).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, payment.Beijing())
}

// ParseDay reads a yyyy-mm-dd day as midnight in Beijing.
func ParseDay(s string) (time.Time, error) {
	t, err := time.ParseInLocation(DayLayout, s, payment.Beijing())
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a yyyy-mm-dd date", s)
	}
	return t, nil
}

// Period is a range of Beijing days, both ends included, each the
// midnight that starts it.
type Period struct {
	From, To time.Time
}

// NewPeriod is the days from from to to, checked against now: from not
// after to, to before today in Beijing (Alipay serves no file for today),
// at most MaxDays days. Errors name which rule failed.
func NewPeriod(from, to, now time.Time) (Period, error) {
	p := Period{From: StartOf(from), To: StartOf(to)}
	switch {
	case p.To.Before(p.From):
		return p, ErrReversed
	case !p.To.Before(StartOf(now)):
		return p, ErrNotPast
	case p.Days() > MaxDays:
		return p, ErrTooLong
	}
	return p, nil
}

// Days is how many days p covers.
func (p Period) Days() int {
	// Beijing has no daylight saving: every day is 24 hours.
	return int(p.To.Sub(p.From)/(24*time.Hour)) + 1
}

// End is the midnight after the last day.
func (p Period) End() time.Time { return p.To.AddDate(0, 0, 1) }

// DayList lists p's days as yyyy-mm-dd.
func (p Period) DayList() []string {
	var ds []string
	for d := p.From; !d.After(p.To); d = d.AddDate(0, 0, 1) {
		ds = append(ds, d.Format(DayLayout))
	}
	return ds
}

// Chunks splits p into the periods Alipay serves in one request, at most
// payment.MaxFileDays days each.
func (p Period) Chunks() []Period {
	var cs []Period
	for from := p.From; !from.After(p.To); from = from.AddDate(0, 0, payment.MaxFileDays) {
		to := from.AddDate(0, 0, payment.MaxFileDays-1)
		if to.After(p.To) {
			to = p.To
		}
		cs = append(cs, Period{From: from, To: to})
	}
	return cs
}

// String writes p as "from to to".
func (p Period) String() string {
	return p.From.Format(DayLayout) + " to " + p.To.Format(DayLayout)
}
