// Package ledger reconciles the shop's books with Alipay's: it fetches the
// reconciliation file (forex_compare_file: the transactions of a day) and
// the settlement file (forex_liquidation_file: those settled on a day) in
// periods Alipay serves (at most ten days, never today), stores their lines
// by day, and matches every line to an order or a refund (Match): what was
// paid here but not settled, settled but not paid here, and amounts or
// currencies that differ, with Alipay's fees as totals. A daily worker
// fetches yesterday, in the one instance holding its lease.
package ledger

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"shop/models"
	"shop/payment"
)

// Store is what the ledger needs from the database.
type Store interface {
	StoreSettlement(ctx context.Context, file models.SettlementFile, days []string, lines []models.SettlementLine, by string, at time.Time) error
	SettlementDays(ctx context.Context, from, to string) ([]models.SettlementDay, error)
	SettlementLines(ctx context.Context, from, to string, start, end time.Time) ([]models.SettlementLine, error)
	LedgerRecords(ctx context.Context, start, end time.Time, ids []string) ([]models.LedgerOrder, []models.LedgerRefund, error)
}

// Alipay is what the ledger needs from the Alipay client.
type Alipay interface {
	CompareFile(ctx context.Context, r payment.FileRequest) ([]payment.FileRow, error)
	LiquidationFile(ctx context.Context, r payment.FileRequest) ([]payment.FileRow, error)
}

// Config configures a Ledger.
type Config struct {
	Store  Store
	Alipay Alipay
	// TryLease takes the daily fetch's lease (models.DB.TryLease); nil
	// means this instance always fetches.
	TryLease func(ctx context.Context) (*models.Lease, error)
	Logger   *slog.Logger
	Now      func() time.Time // nil means time.Now
}

// Ledger fetches Alipay's files and reconciles them.
type Ledger struct {
	store    Store
	alipay   Alipay
	tryLease func(ctx context.Context) (*models.Lease, error)
	log      *slog.Logger
	now      func() time.Time
}

// New returns a Ledger.
func New(cfg Config) *Ledger {
	l := &Ledger{store: cfg.Store, alipay: cfg.Alipay, tryLease: cfg.TryLease, log: cfg.Logger, now: cfg.Now}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	if l.now == nil {
		l.now = time.Now
	}
	return l
}

// Now is the ledger's clock: which day is today in Beijing.
func (l *Ledger) Now() time.Time { return l.now() }

// Fetched says what a fetch stored.
type Fetched struct {
	Period           Period
	Compare, Settled int // lines of each file
}

// Fetch downloads both files for every day of p, in chunks of at most
// payment.MaxFileDays days, and stores their lines, replacing what was
// stored for those days. It stops at the first chunk Alipay refuses or
// does not answer; the chunks before it stay stored.
func (l *Ledger) Fetch(ctx context.Context, p Period, by string) (Fetched, error) {
	f := Fetched{Period: p}
	for _, c := range p.Chunks() {
		req := payment.FileRequest{Start: c.From, End: c.To}
		for _, file := range []struct {
			name  models.SettlementFile
			get   func(context.Context, payment.FileRequest) ([]payment.FileRow, error)
			count *int
		}{{models.FileCompare, l.alipay.CompareFile, &f.Compare}, {models.FileLiquidation, l.alipay.LiquidationFile, &f.Settled}} {
			rows, err := file.get(ctx, req)
			if err != nil {
				return f, fmt.Errorf("fetch %s file for %s: %w", file.name, c, err)
			}
			lines := toLines(file.name, c, rows)
			if err := l.store.StoreSettlement(ctx, file.name, c.DayList(), lines, by, l.now()); err != nil {
				return f, err
			}
			*file.count += len(lines)
		}
	}
	return f, nil
}

// toLines turns the rows of a file fetched for c into lines under the day
// each belongs to: a reconciliation row its transaction's day, a
// settlement row its settlement's day (or else its transaction's), kept
// within c.
func toLines(file models.SettlementFile, c Period, rows []payment.FileRow) []models.SettlementLine {
	lines := make([]models.SettlementLine, 0, len(rows))
	for _, r := range rows {
		at := r.TransactionTime
		if file == models.FileLiquidation && !r.SettlementTime.IsZero() {
			at = r.SettlementTime
		}
		day := StartOf(at)
		if day.Before(c.From) {
			day = c.From
		}
		if day.After(c.To) {
			day = c.To
		}
		l := models.SettlementLine{File: file, Day: day.Format(DayLayout), PartnerTransID: r.PartnerTransID,
			Type: string(r.Type), AmountMinor: r.Amount.Minor, FeeMinor: r.Fee.Minor, Currency: string(r.Amount.Currency),
			TransactionAt: r.TransactionTime, Status: r.Status, Remarks: r.Remarks, Line: r.Line}
		if !r.SettlementTime.IsZero() {
			s := r.SettlementTime
			l.SettledAt = &s
		}
		lines = append(lines, l)
	}
	return lines
}

// Report reconciles the period p from what is stored.
func (l *Ledger) Report(ctx context.Context, p Period) (*Report, error) {
	from, to := p.From.Format(DayLayout), p.To.Format(DayLayout)
	lines, err := l.store.SettlementLines(ctx, from, to, p.From, p.End())
	if err != nil {
		return nil, err
	}
	days, err := l.store.SettlementDays(ctx, from, p.End().Format(DayLayout))
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var ids []string
	for _, ln := range lines {
		if !seen[ln.PartnerTransID] {
			seen[ln.PartnerTransID] = true
			ids = append(ids, ln.PartnerTransID)
		}
	}
	orders, refunds, err := l.store.LedgerRecords(ctx, p.From, p.End(), ids)
	if err != nil {
		return nil, err
	}
	return Match(Input{Period: p, Lines: lines, Days: days, Orders: orders, Refunds: refunds}), nil
}

// catchUp is how many days back the daily fetch looks for days never
// fetched: one request's worth.
const catchUp = payment.MaxFileDays

// Once fetches yesterday (Beijing) and any day of the ten before it that
// was never fetched, both files.
func (l *Ledger) Once(ctx context.Context) error {
	yesterday := StartOf(l.now()).AddDate(0, 0, -1)
	first := yesterday.AddDate(0, 0, -(catchUp - 1))
	days, err := l.store.SettlementDays(ctx, first.Format(DayLayout), yesterday.Format(DayLayout))
	if err != nil {
		return err
	}
	have := map[string]int{}
	for _, d := range days {
		have[d.Day]++
	}
	for d := first; !d.After(yesterday); d = d.AddDate(0, 0, 1) {
		if have[d.Format(DayLayout)] < 2 {
			f, err := l.Fetch(ctx, Period{From: d, To: yesterday}, "daily")
			if err == nil {
				l.log.Info("reconciliation files fetched", "period", f.Period.String(), "compare", f.Compare, "settlement", f.Settled)
			}
			return err
		}
	}
	return nil
}

// Run fetches once now and then every interval until ctx is done, in the
// instance that holds the lease; the others try to take it over every
// interval.
func (l *Ledger) Run(ctx context.Context, interval time.Duration) {
	models.RunLeased(ctx, interval, l.tryLease, l.log, "reconciliation: daily fetch", l.Once)
}
