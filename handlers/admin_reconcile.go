package handlers

// Reconciliation: Alipay's reconciliation and settlement files fetched for
// a period and matched against the shop's payments and refunds; the
// differences on a page and as CSV.

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"shop/ledger"
	"shop/models"
	"shop/payment"
)

// Ledger fetches Alipay's files and reconciles a period (package ledger).
type Ledger interface {
	Fetch(ctx context.Context, p ledger.Period, by string) (ledger.Fetched, error)
	Report(ctx context.Context, p ledger.Period) (*ledger.Report, error)
	Now() time.Time
}

// reconDefaultDays is the period the page shows when none is asked for:
// the week up to yesterday.
const reconDefaultDays = 7

// reconKindKeys explain each kind of difference.
var reconKindKeys = map[ledger.Kind]string{
	ledger.NotSettled: "recon.kind.notsettled", ledger.NotPaidHere: "recon.kind.notpaidhere",
	ledger.AmountDiffers: "recon.kind.amount", ledger.CurrencyDiffers: "recon.kind.currency",
}

// reconPeriodKeys word what is wrong with a period.
var reconPeriodKeys = map[error]string{
	ledger.ErrReversed: "recon.err.reversed", ledger.ErrNotPast: "recon.err.notpast", ledger.ErrTooLong: "recon.err.toolong",
}

type reconDiffRow struct {
	Kind, KindText, Type, TypeText, ID, OrderNo, OrderLink string
	Here, Alipay, Files, At                                string
}

type reconTotalRow struct {
	Currency, Settled, Refunded, Fees, Net, PaidHere, RefundedHere string
}

type reconPage struct {
	adminPage
	From, To string
	Error    string
	Report   *ledger.Report
	Diffs    []reconDiffRow
	Totals   []reconTotalRow
	CSV      string
	Missing  bool
}

// reconPeriod reads ?from= and ?to= (or the form's), yyyy-mm-dd Beijing
// days, defaulting to the week up to yesterday. On error the page shows
// what was typed and why it was refused.
func (s *Server) reconPeriod(from, to string) (ledger.Period, error) {
	now := s.ledger.Now()
	yesterday := ledger.StartOf(now).AddDate(0, 0, -1)
	fields := map[string]string{}
	parse := func(field, v string, def time.Time) time.Time {
		if v == "" {
			return def
		}
		d, err := ledger.ParseDay(v)
		if err != nil {
			fields[field] = "recon.err.date"
		}
		return d
	}
	f := parse("from", from, yesterday.AddDate(0, 0, 1-reconDefaultDays))
	t := parse("to", to, yesterday)
	if len(fields) > 0 {
		return ledger.Period{}, &ValidationError{Fields: fields}
	}
	p, err := ledger.NewPeriod(f, t, now)
	if err != nil {
		return p, &ValidationError{Fields: map[string]string{"period": reconPeriodKeys[err]}}
	}
	return p, nil
}

// adminReconciliation shows the reconciliation of a period.
func (s *Server) adminReconciliation(c *gin.Context) {
	if s.ledger == nil {
		s.fail(c, errNoLedger)
		return
	}
	p := s.newReconPage(c, c.Query("from"), c.Query("to"))
	period, err := s.reconPeriod(c.Query("from"), c.Query("to"))
	if err != nil {
		s.reconFailed(c, p, err)
		return
	}
	p.From, p.To = period.From.Format(ledger.DayLayout), period.To.Format(ledger.DayLayout)
	rep, err := s.ledger.Report(c.Request.Context(), period)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.fillRecon(&p, rep)
	s.render(c, http.StatusOK, "admin/reconciliation", p)
}

// adminFetchSettlement fetches Alipay's two files for a period and shows
// its reconciliation.
func (s *Server) adminFetchSettlement(c *gin.Context) {
	if s.ledger == nil {
		s.fail(c, errNoLedger)
		return
	}
	from, to := c.PostForm("from"), c.PostForm("to")
	p := s.newReconPage(c, from, to)
	period, err := s.reconPeriod(from, to)
	if err != nil {
		s.reconFailed(c, p, err)
		return
	}
	if err := s.audit(c, "fetch_settlement", period.String(), "forex_compare_file and forex_liquidation_file"); err != nil {
		s.fail(c, err)
		return
	}
	ctx, cancel := alipayCallContext(c)
	defer cancel()
	f, err := s.ledger.Fetch(ctx, period, staffName(c))
	if err != nil {
		s.log.Warn("reconciliation: fetch failed", "period", period.String(), "err", err)
		p.Error = p.Lang.Tf("recon.fetch.failed", "Detail", err.Error())
		s.render(c, http.StatusBadGateway, "admin/reconciliation", p)
		return
	}
	s.log.Info("reconciliation: fetched", "period", period.String(), "compare", f.Compare, "settlement", f.Settled)
	flash(c, "recon.fetch.done")
	s.redirect(c, reconURL("/admin/reconciliation", period))
}

// adminReconciliationCSV exports a period's differences and totals.
func (s *Server) adminReconciliationCSV(c *gin.Context) {
	if s.ledger == nil {
		s.fail(c, errNoLedger)
		return
	}
	period, err := s.reconPeriod(c.Query("from"), c.Query("to"))
	if err != nil {
		s.fail(c, err)
		return
	}
	rep, err := s.ledger.Report(c.Request.Context(), period)
	if err != nil {
		s.fail(c, err)
		return
	}
	name := "reconciliation-" + period.From.Format(ledger.DayLayout) + "-" + period.To.Format(ledger.DayLayout) + ".csv"
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Status(http.StatusOK)
	_, _ = c.Writer.WriteString("\ufeff")
	w := csv.NewWriter(c.Writer)
	_ = w.Write([]string{"section", "kind", "type", "id", "order_no", "currency", "here", "alipay", "files", "at"})
	for _, d := range rep.Differences {
		row := []string{"difference", string(d.Kind), string(d.Type), d.ID, d.OrderNo, "", "", "",
			ledger.FileNames(d.Files), d.At.In(payment.Beijing()).Format(time.RFC3339)}
		if d.Here != nil {
			row[5], row[6] = string(d.Here.Currency), csvAmount(d.Here.Minor, d.Here.Currency)
		}
		if d.Alipay != nil {
			if row[5] == "" {
				row[5] = string(d.Alipay.Currency)
			}
			row[7] = csvAmount(d.Alipay.Minor, d.Alipay.Currency)
		}
		if d.At.IsZero() {
			row[9] = ""
		}
		writeSafe(w, row)
	}
	for _, t := range rep.Totals {
		for _, v := range []struct {
			kind  string
			here  bool // the shop's sum, not Alipay's
			minor int64
		}{{"settled", false, t.Settled}, {"refunded", false, t.Refunded}, {"fees", false, t.Fees},
			{"net", false, t.Net}, {"paid_here", true, t.PaidHere}, {"refunded_here", true, t.RefundedHere}} {
			row := []string{"total", v.kind, "", "", "", string(t.Currency), "", "", "", ""}
			if v.here {
				row[6] = csvAmount(v.minor, t.Currency)
			} else {
				row[7] = csvAmount(v.minor, t.Currency)
			}
			writeSafe(w, row)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		s.log.Info("reconciliation export: stopped", "err", err)
	}
}

func writeSafe(w *csv.Writer, row []string) {
	for i := range row {
		row[i] = csvSafe(row[i])
	}
	_ = w.Write(row)
}

// errNoLedger: the shop was built without reconciliation.
var errNoLedger = fmt.Errorf("reconciliation is not configured: %w", models.ErrNotFound)

func (s *Server) newReconPage(c *gin.Context, from, to string) reconPage {
	return reconPage{adminPage: s.newAdminPage(c, "recon.title"), From: from, To: to}
}

// reconFailed shows the page with why the period was refused.
func (s *Server) reconFailed(c *gin.Context, p reconPage, err error) {
	k := kindOf(err)
	s.logFailure(c, k, err)
	fe := newFormError(p.Lang, k, err)
	p.Error = fe.Message
	for _, f := range []string{"from", "to", "period"} {
		if m := fe.Fields[f]; m != "" {
			p.Error += " " + m
		}
	}
	s.render(c, k.status, "admin/reconciliation", p)
}

// fillRecon words a report for the page.
func (s *Server) fillRecon(p *reconPage, rep *ledger.Report) {
	p.Report = rep
	p.CSV = reconURL("/admin/reconciliation.csv", rep.Period)
	p.Missing = len(rep.MissingCompare)+len(rep.MissingLiquidation) > 0
	l := p.Lang
	for _, d := range rep.Differences {
		row := reconDiffRow{Kind: string(d.Kind), KindText: translated(l, reconKindKeys, d.Kind, string(d.Kind)),
			Type: string(d.Type), ID: d.ID, OrderNo: d.OrderNo, Files: ledger.FileNames(d.Files)}
		row.TypeText = l.T("recon.type.payment")
		if d.Type == payment.RowRefund {
			row.TypeText = l.T("recon.type.refund")
		}
		if d.OrderNo != "" {
			row.OrderLink = adminOrderURL(d.OrderNo)
		}
		if d.Here != nil {
			row.Here = formatPrice(d.Here.Minor, d.Here.Currency)
		}
		if d.Alipay != nil {
			row.Alipay = formatPrice(d.Alipay.Minor, d.Alipay.Currency)
		}
		if !d.At.IsZero() {
			row.At = d.At.In(payment.Beijing()).Format("2006-01-02 15:04:05")
		}
		p.Diffs = append(p.Diffs, row)
	}
	for _, t := range rep.Totals {
		cur := t.Currency
		p.Totals = append(p.Totals, reconTotalRow{Currency: string(cur), Settled: formatPrice(t.Settled, cur),
			Refunded: formatPrice(t.Refunded, cur), Fees: formatPrice(t.Fees, cur), Net: formatPrice(t.Net, cur),
			PaidHere: formatPrice(t.PaidHere, cur), RefundedHere: formatPrice(t.RefundedHere, cur)})
	}
}

// reconURL is path with the period as its query.
func reconURL(path string, p ledger.Period) string {
	return path + "?" + url.Values{"from": {p.From.Format(ledger.DayLayout)}, "to": {p.To.Format(ledger.DayLayout)}}.Encode()
}
