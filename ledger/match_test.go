package ledger

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/models"
	"shop/payment"
)

func day(s string) time.Time {
	d, err := ParseDay(s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestPeriod(t *testing.T) {
	now := day("2026-11-30").Add(3 * time.Hour)
	p, err := NewPeriod(day("2026-11-01"), day("2026-11-29"), now)
	require.NoError(t, err)
	assert.Equal(t, 29, p.Days())
	cs := p.Chunks()
	require.Len(t, cs, 3)
	assert.Equal(t, "2026-11-01 to 2026-11-10", cs[0].String())
	assert.Equal(t, "2026-11-21 to 2026-11-29", cs[2].String())
	for _, c := range cs {
		assert.LessOrEqual(t, c.Days(), payment.MaxFileDays)
	}
	_, err = NewPeriod(day("2026-11-29"), day("2026-11-30"), now)
	assert.ErrorIs(t, err, ErrNotPast, "today has no file")
	_, err = NewPeriod(day("2026-11-20"), day("2026-11-19"), now)
	assert.ErrorIs(t, err, ErrReversed)
	_, err = NewPeriod(day("2026-01-01"), day("2026-11-29"), now)
	assert.ErrorIs(t, err, ErrTooLong)
	// A UTC evening is the next day in Beijing.
	assert.Equal(t, "2026-11-30", Day(time.Date(2026, 11, 29, 17, 0, 0, 0, time.UTC)))
}

func TestMatch(t *testing.T) {
	p := Period{From: day("2026-11-20"), To: day("2026-11-20")}
	at := day("2026-11-20").Add(10 * time.Hour)
	settled := day("2026-11-21")
	tradeNo := "2026112022001000000000000007"
	line := func(file models.SettlementFile, id, typ string, minor int64, cur string) models.SettlementLine {
		l := models.SettlementLine{File: file, Day: "2026-11-20", PartnerTransID: id, Type: typ, AmountMinor: minor,
			FeeMinor: minor * 18 / 1000, Currency: cur, TransactionAt: at, Status: "SUCCESS"}
		if file == models.FileLiquidation {
			l.Day, l.SettledAt = "2026-11-21", &settled
		}
		return l
	}
	both := func(id, typ string, minor int64, cur string) []models.SettlementLine {
		return []models.SettlementLine{line(models.FileCompare, id, typ, minor, cur), line(models.FileLiquidation, id, typ, minor, cur)}
	}
	order := func(no string, minor int64, st models.Status) models.LedgerOrder {
		return models.LedgerOrder{OrderNo: no, Status: st, Currency: "USD", TotalMinor: minor, PaidAt: &at}
	}
	var lines []models.SettlementLine
	lines = append(lines, both("OK1", "P", 1000, "USD")...)
	lines = append(lines, both(tradeNo, "P", 700, "USD")...) // named by trade_no
	lines = append(lines, both("OK1R01", "R", 300, "USD")...)
	lines = append(lines, both("AMOUNT", "P", 999, "USD")...)
	lines = append(lines, both("CUR", "P", 500, "EUR")...)
	lines = append(lines, both("STRANGER", "P", 100, "USD")...)
	lines = append(lines, both("PENDING", "P", 200, "USD")...)
	lines = append(lines, line(models.FileCompare, "UNSETTLED", "P", 400, "USD"))
	byTrade := order("TRADE", 700, models.StatusPaid)
	byTrade.TradeNo = &tradeNo
	pending := order("PENDING", 200, models.StatusPending)
	pending.PaidAt = nil
	in := Input{
		Period: p, Lines: lines,
		Days: []models.SettlementDay{{File: models.FileCompare, Day: "2026-11-20"}, {File: models.FileLiquidation, Day: "2026-11-20"},
			{File: models.FileLiquidation, Day: "2026-11-21"}},
		Orders: []models.LedgerOrder{order("OK1", 1000, models.StatusPaid), byTrade, order("AMOUNT", 1000, models.StatusPaid),
			order("CUR", 500, models.StatusPaid), pending, order("UNSETTLED", 400, models.StatusPaid), order("MISSING", 600, models.StatusRefunded)},
		Refunds: []models.LedgerRefund{{OutReturnNo: "OK1R01", OrderNo: "OK1", Status: models.RefundSucceeded, Currency: "USD", AmountMinor: 300, FinishedAt: &at}},
	}
	rep := Match(in)
	got := map[string]Kind{}
	for _, d := range rep.Differences {
		got[d.ID] = d.Kind
	}
	assert.Equal(t, map[string]Kind{
		"AMOUNT": AmountDiffers, "CUR": CurrencyDiffers, "STRANGER": NotPaidHere, "PENDING": NotPaidHere,
		"UNSETTLED": NotSettled, "MISSING": NotSettled,
	}, got)
	assert.Equal(t, 3, rep.Matched, "OK1, its refund, and the order named by trade_no")
	assert.Zero(t, rep.Awaiting)
	assert.Empty(t, rep.MissingCompare)
	require.Len(t, rep.Totals, 2)
	usd := rep.Totals[1]
	assert.Equal(t, payment.Currency("USD"), usd.Currency)
	assert.EqualValues(t, 1000+700+999+100+200, usd.Settled)
	assert.EqualValues(t, 300, usd.Refunded)
	assert.EqualValues(t, 18+12+5+17+1+3, usd.Fees, "1.8%, rounded down here")
	assert.EqualValues(t, usd.Settled-usd.Refunded-usd.Fees, usd.Net)
	assert.EqualValues(t, 1000+700+1000+500+400+600, usd.PaidHere, "CUR is a USD order")
	assert.EqualValues(t, 300, usd.RefundedHere)

	// Without the next day's settlement file, a reconciled payment awaits.
	in.Days = in.Days[:2]
	rep = Match(in)
	assert.Equal(t, 1, rep.Awaiting, "UNSETTLED waits for its settlement file")
	assert.Equal(t, []string(nil), rep.MissingLiquidation)
	// Without any file, nothing is a difference of the shop's.
	in.Days, in.Lines = nil, nil
	rep = Match(in)
	assert.Empty(t, rep.Differences)
	assert.Equal(t, 7, rep.Unchecked, "six payments and a refund")
	assert.Equal(t, []string{"2026-11-20"}, rep.MissingCompare)
}
