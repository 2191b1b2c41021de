package models

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// paidTestOrder creates an order for the items and applies its payment.
func paidTestOrder(t *testing.T, db *DB, trade string, items ...Item) *Order {
	t.Helper()
	o := createOrder(t, db, "owner-"+trade, items...)
	p := paidFor(o, trade)
	v, paid, err := db.ApplyPayment(context.Background(), notification(p), p)
	require.NoError(t, err)
	require.Equal(t, VerdictPaid, v)
	return paid
}

// staffAudit is the audit record of an action by name.
func staffAudit(name, action string) AuditEntry {
	return AuditEntry{Staff: name, Action: action, Remote: "127.0.0.1"}
}

func currentOrder(t *testing.T, db *DB, orderNo string) *Order {
	t.Helper()
	o, err := db.OrderByNo(context.Background(), orderNo)
	require.NoError(t, err)
	return o
}

func TestRefundPartialThenFull(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	o := paidTestOrder(t, db, "2024010122001300000000000101", Item{product(t, db, "ceramic-mug").ID, 2})

	first, err := db.StartRefund(ctx, o.OrderNo, 300, "chipped mug", false, staffAudit("ann", "refund"))
	require.NoError(t, err)
	assert.Equal(t, o.OrderNo+"R01", first.OutReturnNo)
	assert.Equal(t, RefundPending, first.Status)
	assert.Equal(t, "USD", first.Currency)
	assert.Equal(t, "ann", first.CreatedBy)
	assert.Zero(t, currentOrder(t, db, o.OrderNo).RefundedMinor, "a pending refund is reserved, not refunded")

	done, err := db.FinishRefund(ctx, first.OutReturnNo, true, "", "")
	require.NoError(t, err)
	assert.Equal(t, RefundSucceeded, done.Status)
	got := currentOrder(t, db, o.OrderNo)
	assert.Equal(t, StatusPaid, got.Status, "a partial refund leaves the order paid")
	assert.EqualValues(t, 300, got.RefundedMinor)

	rest, err := db.StartRefund(ctx, o.OrderNo, o.TotalMinor-300, "the rest", false, staffAudit("ann", "refund"))
	require.NoError(t, err)
	assert.Equal(t, o.OrderNo+"R02", rest.OutReturnNo)
	_, err = db.FinishRefund(ctx, rest.OutReturnNo, true, "", "")
	require.NoError(t, err)
	got = currentOrder(t, db, o.OrderNo)
	assert.Equal(t, StatusRefunded, got.Status, "refunds reached the paid total")
	assert.Equal(t, o.TotalMinor, got.RefundedMinor)

	_, err = db.StartRefund(ctx, o.OrderNo, 1, "one more", false, staffAudit("ann", "refund"))
	assert.ErrorIs(t, err, ErrState, "a refunded order takes no more refunds")

	rs, err := db.RefundsOf(ctx, o.ID)
	require.NoError(t, err)
	require.Len(t, rs, 2)
	assert.Equal(t, []string{first.OutReturnNo, rest.OutReturnNo}, []string{rs[0].OutReturnNo, rs[1].OutReturnNo})
	byNo, err := db.RefundByNo(ctx, rest.OutReturnNo)
	require.NoError(t, err)
	assert.Equal(t, RefundSucceeded, byNo.Status)
	var audits []AuditEntry
	require.NoError(t, db.Gorm().Where("action = ?", "refund").Order("id").Find(&audits).Error)
	require.Len(t, audits, 2, "each refund is audited")
	assert.Equal(t, o.OrderNo, audits[0].Target)
	assert.Contains(t, audits[0].Detail, first.OutReturnNo)
}

func TestStartRefundRefuses(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	mug := product(t, db, "ceramic-mug").ID
	paid := paidTestOrder(t, db, "2024010122001300000000000102", Item{mug, 1})
	pending := createOrder(t, db, "owner-pending", Item{mug, 1})
	closed := createOrder(t, db, "owner-closed", Item{mug, 1})
	_, err := db.CloseOrder(ctx, closed.OrderNo, "cancelled")
	require.NoError(t, err)

	tests := []struct {
		name    string
		orderNo string
		amount  int64
		want    error
	}{
		{"pending order", pending.OrderNo, 100, ErrState},
		{"closed order never paid", closed.OrderNo, 100, ErrState},
		{"zero", paid.OrderNo, 0, ErrInvalid},
		{"negative", paid.OrderNo, -100, ErrInvalid},
		{"more than paid", paid.OrderNo, paid.TotalMinor + 1, ErrRefundExceeds},
		{"unknown order", "20240101AAAAAAAAAAAAAAAA", 100, ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := db.StartRefund(ctx, tt.orderNo, tt.amount, "why", false, staffAudit("ann", "refund"))
			assert.ErrorIs(t, err, tt.want)
		})
	}
	assert.Zero(t, countRows(t, db, &Refund{}), "nothing refused is stored")
	assert.Zero(t, countRows(t, db, &AuditEntry{}), "nor audited")
}

// TestConcurrentRefundsNeverExceedTotal starts refunds of a third of the
// total plus one, all at once: exactly two fit.
func TestConcurrentRefundsNeverExceedTotal(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	o := paidTestOrder(t, db, "2024010122001300000000000103", Item{product(t, db, "tea-set").ID, 1})
	amount := o.TotalMinor/3 + 1

	const workers = 16
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			<-start
			_, err := db.StartRefund(ctx, o.OrderNo, amount, "race", false, staffAudit("ann", "refund"))
			errs <- err
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		if err == nil {
			ok++
			continue
		}
		assert.ErrorIs(t, err, ErrRefundExceeds)
	}
	assert.Equal(t, 2, ok)
	var reserved int64
	require.NoError(t, db.Gorm().Model(&Refund{}).Select("COALESCE(SUM(amount_minor), 0)").Scan(&reserved).Error)
	assert.LessOrEqual(t, reserved, o.TotalMinor)
	assert.EqualValues(t, 2, countRows(t, db, &Refund{}))
}

func TestFailedRefundReleasesItsAmount(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	o := paidTestOrder(t, db, "2024010122001300000000000104", Item{product(t, db, "ceramic-mug").ID, 1})
	r, err := db.StartRefund(ctx, o.OrderNo, o.TotalMinor, "all of it", false, staffAudit("ann", "refund"))
	require.NoError(t, err)
	_, err = db.StartRefund(ctx, o.OrderNo, 1, "more", false, staffAudit("ann", "refund"))
	require.ErrorIs(t, err, ErrRefundExceeds, "the pending refund holds the whole total")

	failed, err := db.FinishRefund(ctx, r.OutReturnNo, false, "MERCHANT_BALANCE_NOT_ENOUGH", "balance too low")
	require.NoError(t, err)
	assert.Equal(t, RefundFailed, failed.Status)
	stored, err := db.RefundByNo(ctx, r.OutReturnNo)
	require.NoError(t, err)
	assert.Equal(t, "MERCHANT_BALANCE_NOT_ENOUGH", stored.ErrorCode)
	assert.Equal(t, "balance too low", stored.ErrorMessage)
	got := currentOrder(t, db, o.OrderNo)
	assert.Equal(t, StatusPaid, got.Status)
	assert.Zero(t, got.RefundedMinor)

	again, err := db.StartRefund(ctx, o.OrderNo, o.TotalMinor, "all of it, again", false, staffAudit("ann", "refund"))
	require.NoError(t, err, "the failure released the amount")
	assert.Equal(t, o.OrderNo+"R02", again.OutReturnNo, "a new refund gets a new number")
}

func TestFinishRefundIsIdempotent(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	o := paidTestOrder(t, db, "2024010122001300000000000105", Item{product(t, db, "ceramic-mug").ID, 2})
	r, err := db.StartRefund(ctx, o.OrderNo, 250, "dent", false, staffAudit("ann", "refund"))
	require.NoError(t, err)
	for range 3 {
		got, err := db.FinishRefund(ctx, r.OutReturnNo, true, "", "")
		require.NoError(t, err)
		assert.Equal(t, RefundSucceeded, got.Status)
	}
	late, err := db.FinishRefund(ctx, r.OutReturnNo, false, "SYSTEM_ERROR", "late failure")
	require.NoError(t, err)
	assert.Equal(t, RefundSucceeded, late.Status, "a later answer changes nothing")
	assert.EqualValues(t, 250, currentOrder(t, db, o.OrderNo).RefundedMinor, "counted once")

	_, err = db.FinishRefund(ctx, "NOSUCHREFUND", true, "", "")
	assert.ErrorIs(t, err, ErrNotFound)
}

// TestRefundRestock: items go back to stock once, when refunds reach the
// total and a refund asked for it; never when none did.
func TestRefundRestock(t *testing.T) {
	for _, tt := range []struct {
		name    string
		restock []bool // per refund: two halves
		back    bool
	}{
		{"asked on the first of two", []bool{true, false}, true},
		{"asked on both", []bool{true, true}, true},
		{"never asked", []bool{false, false}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db := openTestDB(t)
			ctx := context.Background()
			mug := product(t, db, "ceramic-mug")
			o := paidTestOrder(t, db, "2024010122001300000000000106", Item{mug.ID, 2})
			afterSale := product(t, db, "ceramic-mug").Stock
			require.Equal(t, mug.Stock-2, afterSale)
			half := o.TotalMinor / 2
			for i, restock := range tt.restock {
				amount := half
				if i == 1 {
					amount = o.TotalMinor - half
				}
				r, err := db.StartRefund(ctx, o.OrderNo, amount, "return", restock, staffAudit("ann", "refund"))
				require.NoError(t, err)
				_, err = db.FinishRefund(ctx, r.OutReturnNo, true, "", "")
				require.NoError(t, err)
				_, err = db.FinishRefund(ctx, r.OutReturnNo, true, "", "")
				require.NoError(t, err)
				if i == 0 {
					assert.Equal(t, afterSale, product(t, db, "ceramic-mug").Stock, "not before the total is refunded")
				}
			}
			got := currentOrder(t, db, o.OrderNo)
			assert.Equal(t, StatusRefunded, got.Status)
			var restocked int64
			require.NoError(t, db.Gorm().Model(&OrderEvent{}).Where("order_id = ? AND kind = ?", o.ID, KindRestocked).Count(&restocked).Error)
			if tt.back {
				assert.Equal(t, mug.Stock, product(t, db, "ceramic-mug").Stock, "back to stock once")
				assert.NotNil(t, got.RestockedAt)
				assert.EqualValues(t, 1, restocked)
			} else {
				assert.Equal(t, afterSale, product(t, db, "ceramic-mug").Stock)
				assert.Nil(t, got.RestockedAt)
				assert.Zero(t, restocked)
			}
		})
	}
}

// TestRefundOfPaymentAfterClose: a payment that arrived for a closed
// order can be given back, without restock (the stock came back when the
// order closed); the order stays closed.
func TestRefundOfPaymentAfterClose(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	mug := product(t, db, "ceramic-mug")
	o := createOrder(t, db, "owner-late", Item{mug.ID, 1})
	_, err := db.CloseOrder(ctx, o.OrderNo, "expired")
	require.NoError(t, err)
	p := paidFor(o, "2024010122001300000000000107")
	v, _, err := db.ApplyPayment(ctx, notification(p), p)
	require.NoError(t, err)
	require.Equal(t, VerdictAfterClose, v)

	_, err = db.StartRefund(ctx, o.OrderNo, o.TotalMinor, "paid after close", true, staffAudit("ann", "refund"))
	assert.ErrorIs(t, err, ErrInvalid, "no second restock")
	_, err = db.StartRefund(ctx, o.OrderNo, o.TotalMinor+1, "paid after close", false, staffAudit("ann", "refund"))
	assert.ErrorIs(t, err, ErrRefundExceeds)
	r, err := db.StartRefund(ctx, o.OrderNo, o.TotalMinor, "paid after close", false, staffAudit("ann", "refund"))
	require.NoError(t, err)
	_, err = db.FinishRefund(ctx, r.OutReturnNo, true, "", "")
	require.NoError(t, err)
	got := currentOrder(t, db, o.OrderNo)
	assert.Equal(t, StatusClosed, got.Status, "the money state stays closed")
	assert.Equal(t, o.TotalMinor, got.RefundedMinor)
	assert.Equal(t, mug.Stock, product(t, db, "ceramic-mug").Stock, "stock returned once, at close")
	_, err = db.StartRefund(ctx, o.OrderNo, 1, "more", false, staffAudit("ann", "refund"))
	assert.True(t, errors.Is(err, ErrRefundExceeds), "nothing left: %v", err)
}
