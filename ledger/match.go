package ledger

import (
	"errors"
	"sort"
	"time"

	"shop/models"
	"shop/payment"
)

// Errors of a period.
var (
	ErrReversed = errors.New("the period ends before it starts")
	ErrNotPast  = errors.New("the period must end before today in Beijing")
	ErrTooLong  = errors.New("the period is too long")
)

// Kind is a kind of difference between the shop's books and Alipay's files.
type Kind string

// The kinds of difference.
const (
	// NotSettled: paid (or refunded) here, and Alipay's files, fetched
	// for the days it would be in, do not have it.
	NotSettled Kind = "not_settled"
	// NotPaidHere: in Alipay's files, but no paid order (or succeeded
	// refund) here has it.
	NotPaidHere Kind = "not_paid_here"
	// AmountDiffers: both have it, for different amounts.
	AmountDiffers Kind = "amount"
	// CurrencyDiffers: both have it, in different currencies.
	CurrencyDiffers Kind = "currency"
)

// Difference is one transaction the two sides disagree about.
type Difference struct {
	Kind    Kind
	Type    payment.RowType // P payment, R refund
	ID      string          // out_trade_no (or trade_no) of a payment, out_return_no of a refund
	OrderNo string          // the order it belongs to here, "" if none
	Here    *payment.Amount // the shop's amount; nil when the shop has none
	Alipay  *payment.Amount // the files' amount; nil when they have none
	Files   []models.SettlementFile
	At      time.Time // when it happened, by the shop or else by the file
}

// Total sums one currency of the period: what Alipay settled (the
// settlement file's payments, refunds and fees, and what is left) and what
// the shop recorded.
type Total struct {
	Currency     payment.Currency
	Settled      int64 // payments in the settlement file
	Refunded     int64 // refunds in the settlement file
	Fees         int64 // Alipay's fees on both
	Net          int64 // Settled - Refunded - Fees
	PaidHere     int64 // orders paid here in the period
	RefundedHere int64 // refunds that succeeded here in the period
}

// Report is a period's reconciliation.
type Report struct {
	Period Period
	// Matched is how many transactions both sides agree on, settled.
	Matched int
	// Awaiting is how many agree but are not settled yet, as far as the
	// files fetched tell (the settlement file of the next day is not in).
	Awaiting int
	// Unchecked is how many the shop has for days whose files were not
	// fetched.
	Unchecked   int
	Differences []Difference
	Totals      []Total
	// Missing lists the days of the period each file was not fetched for.
	MissingCompare, MissingLiquidation []string
}

// Input is what Match compares.
type Input struct {
	Period  Period
	Lines   []models.SettlementLine // see models.DB.SettlementLines
	Days    []models.SettlementDay  // fetched days of the period and the day after
	Orders  []models.LedgerOrder    // see models.DB.LedgerRecords
	Refunds []models.LedgerRefund
}

// record is a transaction as the shop has it.
type record struct {
	typ      payment.RowType
	id       string
	orderNo  string
	amount   payment.Amount
	at       time.Time
	inPeriod bool
}

// entry is everything known about one transaction.
type entry struct {
	rec         *record
	compare     []models.SettlementLine
	liquidation []models.SettlementLine
}

// Match compares the shop's payments and refunds of a period with the
// lines of Alipay's files: each line is matched to an order (by
// out_trade_no, or trade_no) or a refund (by out_return_no), and each of
// the shop's transactions of the period to its lines.
//
// Alipay settles a day's transactions on a later day (the sandbox the next
// day): a transaction in the reconciliation file whose settlement-file day
// after it was not fetched yet is awaiting, not a difference.
func Match(in Input) *Report {
	rep := &Report{Period: in.Period}
	start, end := in.Period.From, in.Period.End()
	fetched := map[models.SettlementFile]map[string]bool{models.FileCompare: {}, models.FileLiquidation: {}}
	for _, d := range in.Days {
		fetched[d.File][d.Day] = true
	}
	for _, d := range in.Period.DayList() {
		if !fetched[models.FileCompare][d] {
			rep.MissingCompare = append(rep.MissingCompare, d)
		}
		if !fetched[models.FileLiquidation][d] {
			rep.MissingLiquidation = append(rep.MissingLiquidation, d)
		}
	}

	entries := map[string]*entry{}
	get := func(key string) *entry {
		e := entries[key]
		if e == nil {
			e = &entry{}
			entries[key] = e
		}
		return e
	}
	byNo, byTradeNo := map[string]*models.LedgerOrder{}, map[string]*models.LedgerOrder{}
	for i := range in.Orders {
		o := &in.Orders[i]
		byNo[o.OrderNo] = o
		if o.TradeNo != nil {
			byTradeNo[*o.TradeNo] = o
		}
	}
	refunds := map[string]*models.LedgerRefund{}
	for i := range in.Refunds {
		refunds[in.Refunds[i].OutReturnNo] = &in.Refunds[i]
	}
	inPeriod := func(t *time.Time) bool { return t != nil && !t.Before(start) && t.Before(end) }
	for _, o := range byNo {
		if o.Status != models.StatusPaid && o.Status != models.StatusRefunded {
			continue
		}
		get("P:" + o.OrderNo).rec = &record{typ: payment.RowPayment, id: o.OrderNo, orderNo: o.OrderNo,
			amount: payment.Amount{Minor: o.TotalMinor, Currency: payment.Currency(o.Currency)}, at: timeOf(o.PaidAt), inPeriod: inPeriod(o.PaidAt)}
	}
	for _, r := range refunds {
		if r.Status != models.RefundSucceeded {
			continue
		}
		get("R:" + r.OutReturnNo).rec = &record{typ: payment.RowRefund, id: r.OutReturnNo, orderNo: r.OrderNo,
			amount: payment.Amount{Minor: r.AmountMinor, Currency: payment.Currency(r.Currency)}, at: timeOf(r.FinishedAt), inPeriod: inPeriod(r.FinishedAt)}
	}
	for _, l := range in.Lines {
		key := string(l.Type) + ":" + l.PartnerTransID
		if l.Type == string(payment.RowPayment) {
			if o := byNo[l.PartnerTransID]; o == nil {
				if o := byTradeNo[l.PartnerTransID]; o != nil {
					key = "P:" + o.OrderNo
				}
			}
		}
		e := get(key)
		if l.File == models.FileCompare {
			e.compare = append(e.compare, l)
		} else {
			e.liquidation = append(e.liquidation, l)
		}
	}

	for key, e := range entries {
		if e.rec != nil && !e.rec.inPeriod && len(e.compare)+len(e.liquidation) == 0 {
			continue // named by no line, and of another period
		}
		if d, ok := rep.judge(key, e, fetched); ok {
			rep.Differences = append(rep.Differences, d)
		}
	}
	sort.Slice(rep.Differences, func(i, j int) bool {
		a, b := rep.Differences[i], rep.Differences[j]
		if !a.At.Equal(b.At) {
			return a.At.Before(b.At)
		}
		return a.ID < b.ID
	})
	rep.Totals = totals(in, byNo, refunds, start, end)
	return rep
}

// judge decides about one transaction: a difference, or a count.
func (rep *Report) judge(key string, e *entry, fetched map[models.SettlementFile]map[string]bool) (Difference, bool) {
	lines := append(append([]models.SettlementLine{}, e.compare...), e.liquidation...)
	d := Difference{Type: payment.RowType(key[:1]), ID: key[2:]}
	if len(lines) > 0 {
		a := payment.Amount{Minor: lines[0].AmountMinor, Currency: payment.Currency(lines[0].Currency)}
		d.Alipay, d.At = &a, lines[0].TransactionAt
		d.Files = filesOf(e)
	}
	if e.rec != nil {
		a := e.rec.amount
		d.Here, d.OrderNo, d.ID = &a, e.rec.orderNo, e.rec.id
		if !e.rec.at.IsZero() {
			d.At = e.rec.at
		}
	}
	switch {
	case e.rec == nil:
		d.Kind = NotPaidHere
		return d, true
	case len(lines) == 0:
		day := Day(e.rec.at)
		if !fetched[models.FileCompare][day] && !fetched[models.FileLiquidation][nextDay(day)] {
			rep.Unchecked++
			return d, false
		}
		d.Kind = NotSettled
		return d, true
	}
	for _, l := range lines {
		if l.Currency != string(e.rec.amount.Currency) {
			a := payment.Amount{Minor: l.AmountMinor, Currency: payment.Currency(l.Currency)}
			d.Kind, d.Alipay = CurrencyDiffers, &a
			return d, true
		}
	}
	for _, l := range lines {
		if l.AmountMinor != e.rec.amount.Minor {
			a := payment.Amount{Minor: l.AmountMinor, Currency: payment.Currency(l.Currency)}
			d.Kind, d.Alipay = AmountDiffers, &a
			return d, true
		}
	}
	if len(e.liquidation) > 0 {
		rep.Matched++
		return d, false
	}
	if fetched[models.FileLiquidation][nextDay(Day(e.compare[0].TransactionAt))] {
		d.Kind = NotSettled
		return d, true
	}
	rep.Awaiting++
	return d, false
}

func filesOf(e *entry) []models.SettlementFile {
	var fs []models.SettlementFile
	if len(e.compare) > 0 {
		fs = append(fs, models.FileCompare)
	}
	if len(e.liquidation) > 0 {
		fs = append(fs, models.FileLiquidation)
	}
	return fs
}
