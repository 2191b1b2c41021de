package sandbox

import (
	"context"
	"fmt"
	"math/big"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"shop/payment"
)

// noFileData is what Alipay answers for a period without transactions.
const noFileData = "No balance account data in the period"

// fileLine is one transaction of a reconciliation or settlement file.
type fileLine struct {
	id       string // out_trade_no of a payment, out_return_no of a refund
	typ      payment.RowType
	currency payment.Currency
	minor    int64
	fee      int64
	at       time.Time // when it happened
	remarks  string
}

// settledAt is when the sandbox settles a transaction: at midnight in
// Beijing after the day it happened (T+1), an inference.
func settledAt(at time.Time) time.Time {
	y, m, d := at.In(payment.Beijing()).Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, payment.Beijing())
}

// file answers forex_compare_file (the payments and refunds that happened
// in the period) and forex_liquidation_file (those settled in it), in the
// columns payment.FileRow reads, one line each in time order; the period
// follows payment's rules (ILLEGAL_ARGUMENT otherwise, signed), and an empty
// one gets Alipay's "no data" text. The file fault drops or alters a line.
func (s *Sandbox) file(ctx context.Context, w http.ResponseWriter, req *request) {
	now := s.now()
	fr, err := payment.ParseFileParams(req.params, now)
	if err != nil {
		s.log.Info("sandbox: refused", "service", req.service, "code", "ILLEGAL_ARGUMENT", "detail", err.Error())
		s.refuse(w, req, "ILLEGAL_ARGUMENT")
		return
	}
	// Refunds due by now are made first: the file must not depend on
	// whether Run has come round.
	if _, err := s.completeDueRefunds(ctx, now); err != nil {
		s.log.Error("sandbox: file", "service", req.service, "err", err)
		s.refuse(w, req, "SYSTEM_ERROR")
		return
	}
	from, to := fr.Start, fr.End.AddDate(0, 0, 1)
	if req.service == payment.ServiceLiquidationFile {
		// Settled the day after: the transactions of the day before.
		from, to = from.AddDate(0, 0, -1), to.AddDate(0, 0, -1)
	}
	lines, err := s.fileLines(ctx, req.merchant.Partner, from, to)
	if err != nil {
		s.log.Error("sandbox: file", "service", req.service, "err", err)
		s.refuse(w, req, "SYSTEM_ERROR")
		return
	}
	lines = applyFileFault(lines, s.Faults().FileFault)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if len(lines) == 0 {
		_, _ = w.Write([]byte(noFileData))
		return
	}
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "%s|%s|%s|%s|%s|%s|%s|SUCCESS|%s\n", l.id, formatMinor(l.minor, l.currency), l.currency,
			l.at.In(payment.Beijing()).Format("20060102150405"), settledAt(l.at).Format("20060102150405"), l.typ,
			formatMinor(l.fee, l.currency), l.remarks)
	}
	_, _ = w.Write([]byte(b.String()))
}

// fileLines lists partner's payments and completed refunds that happened
// in [from, to), with their fees.
func (s *Sandbox) fileLines(ctx context.Context, partner string, from, to time.Time) ([]fileLine, error) {
	db := s.db.WithContext(ctx)
	var paid []Trade
	if err := db.Where("partner = ? AND paid_at >= ? AND paid_at < ?", partner, from.UTC(), to.UTC()).Find(&paid).Error; err != nil {
		return nil, err
	}
	var refunds []Refund
	err := db.Where("partner = ? AND status = ? AND completed_at >= ? AND completed_at < ?", partner, refundSuccess, from.UTC(), to.UTC()).
		Find(&refunds).Error
	if err != nil {
		return nil, err
	}
	trades := map[uint]*Trade{}
	for i := range paid {
		trades[paid[i].ID] = &paid[i]
	}
	var lines []fileLine
	for _, t := range paid {
		c, minor := s.settlementAmount(&t, t.TotalMinor+t.RMBMinor)
		lines = append(lines, fileLine{id: t.OutTradeNo, typ: payment.RowPayment, currency: c, minor: minor,
			fee: s.fee(minor), at: *t.PaidAt})
	}
	for _, r := range refunds {
		t, ok := trades[r.TradeID]
		if !ok {
			t = &Trade{}
			if err := db.First(t, r.TradeID).Error; err != nil {
				return nil, err
			}
			trades[r.TradeID] = t
		}
		c, minor := s.settlementAmount(t, r.AmountMinor)
		lines = append(lines, fileLine{id: r.OutReturnNo, typ: payment.RowRefund, currency: c, minor: minor,
			fee: s.fee(minor), at: *r.CompletedAt, remarks: strings.NewReplacer("|", " ", "\r", " ", "\n", " ").Replace(r.Reason)})
	}
	sort.SliceStable(lines, func(i, j int) bool {
		a, b := lines[i], lines[j]
		if !a.at.Equal(b.at) {
			return a.at.Before(b.at)
		}
		if a.typ != b.typ {
			return a.typ == payment.RowPayment
		}
		return a.id < b.id
	})
	return lines, nil
}

// settlementAmount is amount (in t's pricing unit) in t's settlement
// currency: as it is, or, for a trade priced in CNY, converted at the
// sandbox's rate, half up to the minor unit. Without a rate for the
// currency, it stays in CNY.
func (s *Sandbox) settlementAmount(t *Trade, amount int64) (payment.Currency, int64) {
	c := payment.Currency(t.Currency)
	if t.RMBMinor == 0 {
		return c, amount
	}
	rate, ok := new(big.Rat).SetString(s.rates[c])
	if !ok || rate.Sign() <= 0 || c.Exponent() < 0 {
		return payment.CNY, amount
	}
	// fen / 100 / rate units, times 10^exponent minor units a unit.
	v := new(big.Rat).SetFrac(big.NewInt(amount), big.NewInt(100))
	v.Quo(v, rate)
	if c.Exponent() == 2 {
		v.Mul(v, big.NewRat(100, 1))
	}
	return c, halfUp(v)
}

// halfUp rounds a non-negative v to the nearest integer, halves up.
func halfUp(v *big.Rat) int64 {
	num := new(big.Int).Lsh(v.Num(), 1)
	num.Add(num, v.Denom())
	return num.Quo(num, new(big.Int).Lsh(v.Denom(), 1)).Int64()
}

// fee is Alipay's charge on minor: FeeBasisPoints of it, half up to the
// minor unit (1.8% of 0.25 USD is 0.45 cent: 0.00; of 0.28 USD, 0.504
// cent: 0.01).
func (s *Sandbox) fee(minor int64) int64 {
	bps := int64(s.cfg.FeeBasisPoints)
	if bps <= 0 || minor <= 0 {
		return 0
	}
	return (minor*bps*2 + 10000) / 20000
}

// formatMinor writes minor units of c as a decimal ("0.00" included).
func formatMinor(minor int64, c payment.Currency) string {
	if c.Exponent() == 0 {
		return strconv.FormatInt(minor, 10)
	}
	return fmt.Sprintf("%d.%02d", minor/100, minor%100)
}

// File faults: the first line of a file is dropped, or its amount is one
// minor unit more than it was, so that a reconciliation has something to find.
const (
	fileFaultDrop  = "drop_line"
	fileFaultAlter = "alter_amount"
)

func applyFileFault(lines []fileLine, fault string) []fileLine {
	if len(lines) == 0 {
		return lines
	}
	switch fault {
	case fileFaultDrop:
		return lines[1:]
	case fileFaultAlter:
		lines[0].minor++
	}
	return lines
}
