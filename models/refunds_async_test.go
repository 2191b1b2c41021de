package models

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func refundNotice(outReturnNo string) *Notification {
	return &Notification{ReceivedAt: time.Now(), RemoteAddr: "127.0.0.1", ContentType: "application/x-www-form-urlencoded",
		Body: "out_return_no=" + outReturnNo + "&refund_status=REFUND_SUCCESS", NotifyID: "n-" + outReturnNo}
}

func TestAsyncRefundAcceptedThenChecked(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	o := paidTestOrder(t, db, "2024010122001300000000000201", Item{product(t, db, "ceramic-mug").ID, 1})
	r, err := db.StartAsyncRefund(ctx, o.OrderNo, o.TotalMinor, "broken", false, staffAudit("ann", "refund"))
	require.NoError(t, err)
	assert.True(t, r.IsAsync)

	now := time.Now().UTC().Truncate(time.Second)
	due, err := db.DueRefundChecks(ctx, now, 10)
	require.NoError(t, err)
	assert.Empty(t, due, "its answer may still come")
	due, err = db.DueRefundChecks(ctx, now.Add(time.Hour), 10)
	require.NoError(t, err)
	require.Len(t, due, 1, "unanswered an hour later: due to be sent again")
	assert.Nil(t, due[0].AcceptedAt)
	assert.Equal(t, ChannelWAP, due[0].Channel)

	_, err = db.AcceptRefund(ctx, r.OutReturnNo, now.Add(2*time.Minute))
	require.NoError(t, err)
	_, err = db.AcceptRefund(ctx, r.OutReturnNo, now.Add(2*time.Minute))
	require.NoError(t, err, "accepted again by a retry")
	due, err = db.DueRefundChecks(ctx, now.Add(time.Minute), 10)
	require.NoError(t, err)
	assert.Empty(t, due, "not due before its next check")
	due, err = db.DueRefundChecks(ctx, now.Add(2*time.Minute), 10)
	require.NoError(t, err)
	require.Len(t, due, 1)
	assert.Equal(t, o.OrderNo, due[0].OrderNo)
	assert.Equal(t, r.OutReturnNo, due[0].OutReturnNo)

	require.NoError(t, db.RefundChecked(ctx, r.OutReturnNo, now.Add(10*time.Minute)))
	got, err := db.RefundByNo(ctx, r.OutReturnNo)
	require.NoError(t, err)
	assert.Equal(t, 1, got.Checks)
	assert.Equal(t, RefundPending, got.Status)
	assert.Equal(t, StatusPaid, currentOrder(t, db, o.OrderNo).Status, "still paid while the refund is processing")

	_, err = db.FinishRefundFrom(ctx, r.OutReturnNo, true, "", "", "alipay.acquire.refund.query")
	require.NoError(t, err)
	got, err = db.RefundByNo(ctx, r.OutReturnNo)
	require.NoError(t, err)
	assert.Equal(t, RefundSucceeded, got.Status)
	assert.NotNil(t, got.FinishedAt)
	assert.Nil(t, got.NextCheckAt, "nothing left to ask")
	assert.Equal(t, StatusRefunded, currentOrder(t, db, o.OrderNo).Status)
	due, err = db.DueRefundChecks(ctx, now.Add(24*time.Hour), 10)
	require.NoError(t, err)
	assert.Empty(t, due)

	events, err := db.Events(ctx, o.ID)
	require.NoError(t, err)
	var details []string
	for _, e := range events {
		if e.Kind == KindRefund {
			details = append(details, e.Detail)
		}
	}
	require.Len(t, details, 3, "asked for, accepted once, succeeded")
	assert.Contains(t, details[1], "accepted by Alipay")
	assert.Contains(t, details[2], "succeeded (alipay.acquire.refund.query)")
}

func TestRefundNotificationVerdicts(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	o := paidTestOrder(t, db, "2024010122001300000000000202", Item{product(t, db, "ceramic-mug").ID, 2})
	other := paidTestOrder(t, db, "2024010122001300000000000203", Item{product(t, db, "ceramic-mug").ID, 1})
	r, err := db.StartAsyncRefund(ctx, o.OrderNo, 500, "late", false, staffAudit("ann", "refund"))
	require.NoError(t, err)

	apply := func(out RefundOutcome) (Verdict, *Notification) {
		t.Helper()
		n := refundNotice(out.OutReturnNo)
		v, err := db.ApplyRefundNotification(ctx, n, out)
		require.NoError(t, err)
		return v, n
	}
	v, n := apply(RefundOutcome{OutTradeNo: o.OrderNo, OutReturnNo: "NOSUCHREFUND", OK: true})
	assert.Equal(t, VerdictUnknownRefund, v)
	assert.True(t, n.Flagged)
	assert.Equal(t, "NOSUCHREFUND", n.OutReturnNo)

	v, _ = apply(RefundOutcome{OutTradeNo: other.OrderNo, OutReturnNo: r.OutReturnNo, OK: true})
	assert.Equal(t, VerdictMismatch, v, "another order's refund")
	v, _ = apply(RefundOutcome{OutTradeNo: o.OrderNo, OutReturnNo: r.OutReturnNo, OK: true, Currency: "USD", AmountMinor: 501})
	assert.Equal(t, VerdictMismatch, v, "another amount")
	got, err := db.RefundByNo(ctx, r.OutReturnNo)
	require.NoError(t, err)
	assert.Equal(t, RefundPending, got.Status, "a mismatch ends nothing")

	v, _ = apply(RefundOutcome{OutTradeNo: o.OrderNo, OutReturnNo: r.OutReturnNo, OK: true, Currency: "USD", AmountMinor: 500})
	assert.Equal(t, VerdictRefunded, v)
	v, _ = apply(RefundOutcome{OutTradeNo: o.OrderNo, OutReturnNo: r.OutReturnNo, OK: true, Currency: "USD", AmountMinor: 500})
	assert.Equal(t, VerdictDuplicate, v, "the same notification again")
	v, _ = apply(RefundOutcome{OutTradeNo: o.OrderNo, OutReturnNo: r.OutReturnNo, OK: false, Code: "MERCHANT_BALANCE_NOT_ENOUGH"})
	assert.Equal(t, VerdictMismatch, v, "contradicts how it ended")
	cur := currentOrder(t, db, o.OrderNo)
	assert.EqualValues(t, 500, cur.RefundedMinor, "refunded once")
	assert.Equal(t, StatusPaid, cur.Status)
	assert.True(t, cur.Flagged, "the mismatches need a person")
	assert.EqualValues(t, 6, countRows(t, db, &Notification{})-2, "every refund notification is recorded, beside the two payments")

	// A failure frees the amount.
	r2, err := db.StartAsyncRefund(ctx, o.OrderNo, 300, "again", false, staffAudit("ann", "refund"))
	require.NoError(t, err)
	v, _ = apply(RefundOutcome{OutTradeNo: o.OrderNo, OutReturnNo: r2.OutReturnNo, OK: false, Code: "MERCHANT_BALANCE_NOT_ENOUGH"})
	assert.Equal(t, VerdictRefundFailed, v)
	got, err = db.RefundByNo(ctx, r2.OutReturnNo)
	require.NoError(t, err)
	assert.Equal(t, RefundFailed, got.Status)
	_, err = db.StartRefund(ctx, o.OrderNo, o.TotalMinor-500, "the rest", false, staffAudit("ann", "refund"))
	assert.NoError(t, err, "the failed refund's amount is free again")
}

// TestRefundNotificationAndQueryRace: a refund's notification and a query
// answer arriving together end it once.
func TestRefundNotificationAndQueryRace(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	o := paidTestOrder(t, db, "2024010122001300000000000204", Item{product(t, db, "ceramic-mug").ID, 1})
	r, err := db.StartAsyncRefund(ctx, o.OrderNo, o.TotalMinor, "all", true, staffAudit("ann", "refund"))
	require.NoError(t, err)
	var wg sync.WaitGroup
	verdicts := make([]Verdict, 8)
	for i := range 8 {
		wg.Go(func() {
			if i%2 == 0 {
				_, err := db.FinishRefundFrom(ctx, r.OutReturnNo, true, "", "", "alipay.acquire.refund.query")
				assert.NoError(t, err)
				return
			}
			v, err := db.ApplyRefundNotification(ctx, refundNotice(r.OutReturnNo),
				RefundOutcome{OutTradeNo: o.OrderNo, OutReturnNo: r.OutReturnNo, OK: true})
			assert.NoError(t, err)
			verdicts[i] = v
		})
	}
	wg.Wait()
	cur := currentOrder(t, db, o.OrderNo)
	assert.Equal(t, o.TotalMinor, cur.RefundedMinor, "refunded exactly once")
	assert.Equal(t, StatusRefunded, cur.Status)
	assert.NotNil(t, cur.RestockedAt, "restocked once")
	var succeeded int64
	require.NoError(t, db.Gorm().Model(&OrderEvent{}).Where("order_id = ? AND detail LIKE ?", o.ID, "%succeeded%").Count(&succeeded).Error)
	assert.EqualValues(t, 1, succeeded, "one success on the timeline")
	for i, v := range verdicts {
		if i%2 == 1 {
			assert.Contains(t, []Verdict{VerdictRefunded, VerdictDuplicate}, v)
		}
	}
}

// TestMigrationDuesUnansweredRefunds: refunds left pending without an
// answer before the checker sent them again become due at once; accepted
// and ended ones are left alone.
func TestMigrationDuesUnansweredRefunds(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	o := paidTestOrder(t, db, "2024010122001300000000000211", Item{product(t, db, "ceramic-mug").ID, 3})
	start := func(async bool) *Refund {
		start := db.StartRefund
		if async {
			start = db.StartAsyncRefund
		}
		r, err := start(ctx, o.OrderNo, 100, "old", false, staffAudit("ann", "refund"))
		require.NoError(t, err)
		return r
	}
	unanswered, accepted, ended := start(false), start(true), start(false)
	ask := time.Now().Add(time.Hour)
	_, err := db.AcceptRefund(ctx, accepted.OutReturnNo, ask)
	require.NoError(t, err)
	_, err = db.FinishRefund(ctx, ended.OutReturnNo, true, "", "")
	require.NoError(t, err)
	// As the release before left them: no next check for unanswered ones.
	g := db.Gorm().WithContext(ctx)
	require.NoError(t, g.Model(&Refund{}).Where("out_return_no = ?", unanswered.OutReturnNo).Update("next_check_at", nil).Error)
	left, err := db.RefundByNo(ctx, unanswered.OutReturnNo)
	require.NoError(t, err)
	require.Nil(t, left.NextCheckAt)
	require.NoError(t, g.Exec("DELETE FROM "+migrationTable+" WHERE version_id = 8").Error)

	require.NoError(t, db.Migrate(ctx))
	v, err := db.SchemaVersion(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 8, v)
	got := map[string]*time.Time{}
	for _, r := range []*Refund{unanswered, accepted, ended} {
		cur, err := db.RefundByNo(ctx, r.OutReturnNo)
		require.NoError(t, err)
		got[r.OutReturnNo] = cur.NextCheckAt
	}
	if assert.NotNil(t, got[unanswered.OutReturnNo]) {
		assert.True(t, left.UpdatedAt.Equal(*got[unanswered.OutReturnNo]), "due since it was last touched: %v, not %v",
			left.UpdatedAt, *got[unanswered.OutReturnNo])
	}
	if assert.NotNil(t, got[accepted.OutReturnNo]) {
		// PostgreSQL keeps microseconds.
		assert.WithinDuration(t, ask, *got[accepted.OutReturnNo], time.Microsecond, "its question keeps its time")
	}
	assert.Nil(t, got[ended.OutReturnNo])
}
