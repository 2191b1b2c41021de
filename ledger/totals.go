package ledger

import (
	"sort"
	"strings"
	"time"

	"shop/models"
	"shop/payment"
)

// totals sums the settlement file's lines and the shop's transactions of
// the period, by currency.
func totals(in Input, orders map[string]*models.LedgerOrder, refunds map[string]*models.LedgerRefund, start, end time.Time) []Total {
	by := map[payment.Currency]*Total{}
	get := func(c string) *Total {
		t := by[payment.Currency(c)]
		if t == nil {
			t = &Total{Currency: payment.Currency(c)}
			by[t.Currency] = t
		}
		return t
	}
	for _, l := range in.Lines {
		if l.File != models.FileLiquidation {
			continue
		}
		t := get(l.Currency)
		if l.Type == string(payment.RowRefund) {
			t.Refunded += l.AmountMinor
		} else {
			t.Settled += l.AmountMinor
		}
		t.Fees += l.FeeMinor
	}
	within := func(at *time.Time) bool { return at != nil && !at.Before(start) && at.Before(end) }
	for _, o := range orders {
		if (o.Status == models.StatusPaid || o.Status == models.StatusRefunded) && within(o.PaidAt) {
			get(o.Currency).PaidHere += o.TotalMinor
		}
	}
	for _, r := range refunds {
		if r.Status == models.RefundSucceeded && within(r.FinishedAt) {
			get(r.Currency).RefundedHere += r.AmountMinor
		}
	}
	ts := make([]Total, 0, len(by))
	for _, t := range by {
		t.Net = t.Settled - t.Refunded - t.Fees
		ts = append(ts, *t)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].Currency < ts[j].Currency })
	return ts
}

func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// nextDay is the day after day (yyyy-mm-dd).
func nextDay(day string) string {
	t, err := ParseDay(day)
	if err != nil {
		return ""
	}
	return t.AddDate(0, 0, 1).Format(DayLayout)
}

// FileNames joins files for a person.
func FileNames(fs []models.SettlementFile) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = string(f)
	}
	return strings.Join(s, ", ")
}
