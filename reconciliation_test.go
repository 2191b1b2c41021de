package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/ledger"
	"shop/models"
)

// offsetClock is real time moved on by what the test says: Alipay's files
// exist only for days before today, so a test that pays today looks at
// its files from a later day.
type offsetClock struct{ offset atomic.Int64 }

func (c *offsetClock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *offsetClock) Advance(d time.Duration) { c.offset.Add(int64(d)) }
func withAlipayClock(c *offsetClock) func(*config) {
	return func(cfg *config) { cfg.alipayNow = c.Now }
}

// waitRefund waits until the refund has left pending.
func waitRefund(t *testing.T, shop *testShop, outReturnNo string) *models.Refund {
	t.Helper()
	var r *models.Refund
	require.Eventually(t, func() bool {
		var err error
		r, err = shop.app.db.RefundByNo(context.Background(), outReturnNo)
		return err == nil && r.Status != models.RefundPending
	}, time.Minute, 10*time.Millisecond, "refund %s never ended", outReturnNo)
	return r
}

var diffRowRE = regexp.MustCompile(`<tr data-kind="([a-z_]+)" data-id="([^"]+)">`)

// TestReconciliationJourney pays 20 orders through the real sandbox,
// refunds 3 of them (one asynchronous, ended by its refund notification),
// has the sandbox drop one line of its files, fetches the reconciliation
// and settlement files in the admin, and finds exactly that difference and
// nothing else; fees show as totals.
func TestReconciliationJourney(t *testing.T) {
	clock := &offsetClock{}
	shop := startShop(t, map[string]string{"SANDBOX_TIME_SCALE": "3600"}, withAlipayClock(clock))
	a := moneySignIn(t, shop, "mei")
	ctx := context.Background()
	waitStartupFetch(t, shop)

	var orders []*models.Order
	var paid int64
	for i := range 20 {
		o := moneyOrder(t, shop, 1+i%4, 1, true)
		orders = append(orders, o)
		paid += o.TotalMinor
	}
	first := orders[0] // the file fault drops the earliest line: its payment

	refund := func(o *models.Order, amount int64, async bool) string {
		form := url.Values{"amount": {moneyUSD(amount)}, "reason": {"returned"}}
		if async {
			form.Set("async", "1")
		}
		status, page := a.post("/admin/orders/"+o.OrderNo+"/refunds", form)
		require.Equal(t, http.StatusSeeOther, status, page)
		return o.OrderNo + "R01"
	}
	refund(orders[3], orders[3].TotalMinor, false)
	refund(orders[7], 500, false)
	asyncNo := refund(orders[11], orders[11].TotalMinor, true)
	r := waitRefund(t, shop, asyncNo)
	assert.Equal(t, models.RefundSucceeded, r.Status)
	assert.True(t, r.IsAsync)
	assert.Equal(t, models.StatusRefunded, moneyReload(t, shop, orders[11].OrderNo).Status)
	ns, err := shop.app.db.Notifications(ctx, orders[11].ID)
	require.NoError(t, err)
	var verdicts []models.Verdict
	for _, n := range ns {
		verdicts = append(verdicts, n.Verdict)
	}
	assert.Contains(t, verdicts, models.VerdictRefunded, "ended by its refund notification")
	refunded := orders[3].TotalMinor + 500 + orders[11].TotalMinor

	putFaults(t, shop, `{"file_fault":"drop_line"}`)
	today := ledger.StartOf(clock.Now())
	from, to := today.AddDate(0, 0, -1).Format(ledger.DayLayout), today.AddDate(0, 0, 2).Format(ledger.DayLayout)
	status, page := a.post("/admin/reconciliation/fetch", url.Values{"from": {from}, "to": {to}})
	assert.Equal(t, http.StatusUnprocessableEntity, status, "today's files do not exist yet")
	assert.Contains(t, page, "The period must end before today")

	clock.Advance(3 * 24 * time.Hour)
	status, page = a.post("/admin/reconciliation/fetch", url.Values{"from": {from}, "to": {to}})
	require.Equal(t, http.StatusSeeOther, status, page)
	assert.Contains(t, page, "Alipay's files were fetched and stored.")

	rows := diffRowRE.FindAllStringSubmatch(page, -1)
	require.Len(t, rows, 1, "exactly one difference")
	assert.Equal(t, []string{"not_settled", first.OrderNo}, rows[0][1:])
	assert.Contains(t, page, "22 matched and settled, 1 differences, 0 awaiting settlement, 0 not checked")

	p, err := ledger.NewPeriod(today.AddDate(0, 0, -1), today.AddDate(0, 0, 2), clock.Now())
	require.NoError(t, err)
	rep, err := shop.app.ledger.Report(ctx, p)
	require.NoError(t, err)
	require.Len(t, rep.Differences, 1)
	d := rep.Differences[0]
	assert.Equal(t, ledger.NotSettled, d.Kind)
	assert.Equal(t, first.TotalMinor, d.Here.Minor)
	assert.Nil(t, d.Alipay)
	require.Len(t, rep.Totals, 1)
	tot := rep.Totals[0]
	assert.Equal(t, paid, tot.PaidHere)
	assert.Equal(t, refunded, tot.RefundedHere)
	assert.Equal(t, paid-first.TotalMinor, tot.Settled, "every payment settled but the dropped one")
	assert.Equal(t, refunded, tot.Refunded)
	assert.Positive(t, tot.Fees, "Alipay's fees, as a total")
	assert.Equal(t, tot.Settled-tot.Refunded-tot.Fees, tot.Net)

	res, body := a.do("GET", shop.URL+"/admin/reconciliation.csv?from="+from+"&to="+to, nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, "text/csv; charset=utf-8", res.Header.Get("Content-Type"))
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	require.NoError(t, err)
	var diffs, totals int
	for _, rec := range recs[1:] {
		switch rec[0] {
		case "difference":
			diffs++
			assert.Equal(t, []string{"difference", "not_settled", "P", first.OrderNo, first.OrderNo, "USD", moneyUSD(first.TotalMinor), ""}, rec[:8])
		case "total":
			totals++
		}
	}
	assert.Equal(t, 1, diffs)
	assert.Equal(t, 6, totals, "settled, refunded, fees, net, paid here, refunded here")
	assert.Contains(t, moneyAuditActions(t, shop, fmt.Sprintf("%s to %s", from, to)), "mei fetch_settlement")
}

// TestAsyncRefundEndedByQuery: an asynchronous refund whose notification
// cannot be applied (notify_verify answers 502, so the shop asks Alipay to
// send it again) stays pending until its check is due; then
// alipay.acquire.refund.query ends it, once.
func TestAsyncRefundEndedByQuery(t *testing.T) {
	clock := &offsetClock{}
	shop := startShop(t, nil, withAlipayClock(clock))
	a := moneySignIn(t, shop, "mei")
	ctx := context.Background()
	o := moneyOrder(t, shop, 2, 1, true)
	putFaults(t, shop, `{"services":{"notify_verify":{"fail_5xx":true}}}`)

	status, page := a.post("/admin/orders/"+o.OrderNo+"/refunds", url.Values{"amount": {moneyUSD(o.TotalMinor)},
		"reason": {"never sent"}, "async": {"1"}})
	require.Equal(t, http.StatusSeeOther, status, page)
	assert.Contains(t, page, "Alipay accepted the refund and will make it later.")
	assert.Contains(t, page, `data-testid="refund-accepted"`)
	no := o.OrderNo + "R01"
	at := moneySandboxRefunds(t, shop, o.OrderNo)
	require.Len(t, at, 1)
	assert.False(t, at[0].IsSync, "sent with is_sync=N")

	require.NoError(t, shop.app.refunds.Once(ctx))
	r, err := shop.app.db.RefundByNo(ctx, no)
	require.NoError(t, err)
	assert.Equal(t, models.RefundPending, r.Status, "not due for a check yet")
	assert.Zero(t, r.Checks)

	clock.Advance(5 * time.Minute) // the sandbox makes the refund after a minute; the check is due after two
	require.NoError(t, shop.app.refunds.Once(ctx))
	r, err = shop.app.db.RefundByNo(ctx, no)
	require.NoError(t, err)
	require.Equal(t, models.RefundSucceeded, r.Status)
	got := moneyReload(t, shop, o.OrderNo)
	assert.Equal(t, models.StatusRefunded, got.Status)
	assert.Equal(t, o.TotalMinor, got.RefundedMinor)
	require.NoError(t, shop.app.refunds.Once(ctx), "nothing left to ask")
	events, err := shop.app.db.Events(ctx, o.ID)
	require.NoError(t, err)
	var ended []string
	for _, e := range events {
		if e.Kind == models.KindRefund && strings.Contains(e.Detail, "succeeded") {
			ended = append(ended, e.Detail)
		}
	}
	assert.Equal(t, []string{fmt.Sprintf("Refund %s of %d succeeded (alipay.acquire.refund.query).", no, o.TotalMinor)}, ended)
}

// waitStartupFetch waits until the daily fetch the app runs at start has
// stored both files of yesterday (real time), so that tests moving the
// clock do not race it.
func waitStartupFetch(t *testing.T, shop *testShop) {
	t.Helper()
	yesterday := ledger.StartOf(time.Now()).AddDate(0, 0, -1).Format(ledger.DayLayout)
	require.Eventually(t, func() bool {
		ds, err := shop.app.db.SettlementDays(context.Background(), yesterday, yesterday)
		return err == nil && len(ds) == 2
	}, time.Minute, 10*time.Millisecond, "the daily fetch at start never stored yesterday")
}

// TestDailyFetch: the daily worker fetches yesterday, and the days before
// it never fetched, both files; a round with nothing new does nothing.
func TestDailyFetch(t *testing.T) {
	clock := &offsetClock{}
	shop := startShop(t, nil, withAlipayClock(clock))
	ctx := context.Background()
	payDay := ledger.StartOf(time.Now())
	moneyOrder(t, shop, 1, 1, true)
	waitStartupFetch(t, shop)
	from, to := payDay.AddDate(0, 0, -10).Format(ledger.DayLayout), payDay.AddDate(0, 0, 1).Format(ledger.DayLayout)
	days, err := shop.app.db.SettlementDays(ctx, from, to)
	require.NoError(t, err)
	assert.Len(t, days, 20, "at start: the ten days up to yesterday, two files")

	clock.Advance(48 * time.Hour) // yesterday is now payDay+1
	require.NoError(t, shop.app.ledger.Once(ctx))
	days, err = shop.app.db.SettlementDays(ctx, from, to)
	require.NoError(t, err)
	require.Len(t, days, 24, "payDay and the day after, the two days never fetched")
	lines := map[string]int{}
	for _, d := range days {
		lines[string(d.File)+" "+d.Day] = d.Lines
		assert.Equal(t, "daily", d.FetchedBy)
	}
	day, next := payDay.Format(ledger.DayLayout), payDay.AddDate(0, 0, 1).Format(ledger.DayLayout)
	assert.Equal(t, 1, lines["compare "+day], "the payment, the day it happened")
	assert.Equal(t, 1, lines["liquidation "+next], "settled the day after")

	p, err := ledger.NewPeriod(payDay, payDay, clock.Now())
	require.NoError(t, err)
	rep, err := shop.app.ledger.Report(ctx, p)
	require.NoError(t, err)
	assert.Empty(t, rep.Differences)
	assert.Equal(t, 1, rep.Matched)

	require.NoError(t, shop.app.ledger.Once(ctx))
	again, err := shop.app.db.SettlementDays(ctx, from, to)
	require.NoError(t, err)
	require.Len(t, again, len(days))
	for i := range again {
		assert.True(t, again[i].FetchedAt.Equal(days[i].FetchedAt), "%s %s not fetched again", again[i].File, again[i].Day)
	}
}
