package models

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// flagWithMismatch sends o a payment of the wrong amount, which opens a
// review.
func flagWithMismatch(t *testing.T, db *DB, o *Order, trade string) {
	t.Helper()
	p := with(paidFor(o, trade), func(p *Payment) { p.AmountMinor++ })
	v, _, err := db.ApplyPayment(context.Background(), notification(p), p)
	require.NoError(t, err)
	require.Equal(t, VerdictMismatch, v)
}

func TestResolveReview(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	o := createOrder(t, db, "owner-1", Item{product(t, db, "ceramic-mug").ID, 1})
	other := createOrder(t, db, "owner-2", Item{product(t, db, "ceramic-mug").ID, 1})
	flagWithMismatch(t, db, o, "2024010122001300000000000201")
	flagWithMismatch(t, db, other, "2024010122001300000000000202")
	flagWithMismatch(t, db, o, "2024010122001300000000000203")

	open, err := db.OpenReviews(ctx, 0)
	require.NoError(t, err)
	require.Len(t, open, 3)
	assert.Equal(t, o.OrderNo, open[0].Order.OrderNo, "oldest first, with its order")
	assert.Equal(t, other.OrderNo, open[1].Order.OrderNo)
	assert.Equal(t, string(VerdictMismatch), open[0].Kind)
	assert.True(t, open[0].Open())
	assert.False(t, open[0].OffersRefund(), "a mismatch is not money to give back as it is")
	mine, err := db.ReviewsOf(ctx, o.ID)
	require.NoError(t, err)
	require.Len(t, mine, 2)
	first, second := mine[0], mine[1]

	t.Run("a note is required", func(t *testing.T) {
		_, err := db.ResolveReview(ctx, first.ID, "ann", "  \n ", staffAudit("ann", "resolve_review"))
		assert.ErrorIs(t, err, ErrInvalid)
	})
	t.Run("unknown review", func(t *testing.T) {
		_, err := db.ResolveReview(ctx, 99999, "ann", "looked", staffAudit("ann", "resolve_review"))
		assert.ErrorIs(t, err, ErrNotFound)
	})
	t.Run("one of two: the order stays flagged", func(t *testing.T) {
		r, err := db.ResolveReview(ctx, first.ID, "ann", " Called the buyer; refunded by hand. ", staffAudit("ann", "resolve_review"))
		require.NoError(t, err)
		assert.False(t, r.Open())
		assert.Equal(t, "ann", r.ResolvedBy)
		assert.Equal(t, "Called the buyer; refunded by hand.", r.Resolution)
		assert.True(t, currentOrder(t, db, o.OrderNo).Flagged)
		n, err := db.CountOpenReviews(ctx)
		require.NoError(t, err)
		assert.EqualValues(t, 2, n)
	})
	t.Run("already resolved", func(t *testing.T) {
		_, err := db.ResolveReview(ctx, first.ID, "bob", "again", staffAudit("bob", "resolve_review"))
		assert.ErrorIs(t, err, ErrResolved)
		stored, err := db.ReviewsOf(ctx, o.ID)
		require.NoError(t, err)
		assert.Equal(t, "ann", stored[0].ResolvedBy, "the first resolution stands")
	})
	t.Run("the last one clears the flag", func(t *testing.T) {
		_, err := db.ResolveReview(ctx, second.ID, "bob", "Duplicate of the first.", staffAudit("bob", "resolve_review"))
		require.NoError(t, err)
		assert.False(t, currentOrder(t, db, o.OrderNo).Flagged)
		assert.True(t, currentOrder(t, db, other.OrderNo).Flagged, "another order's flag is its own")
	})
	var audits []AuditEntry
	require.NoError(t, db.Gorm().Where("action = ?", "resolve_review").Order("id").Find(&audits).Error)
	require.Len(t, audits, 2, "each resolution audited, refusals not")
	assert.Equal(t, []string{"ann", "bob"}, []string{audits[0].Staff, audits[1].Staff})
}

func TestReviewWithoutOrder(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	p := Payment{OrderNo: "20240101ZZZZZZZZZZZZZZZZ", TradeNo: "2024010122001300000000000204", Event: EventPaid, AmountMinor: 100, Currency: "USD"}
	v, _, err := db.ApplyPayment(ctx, notification(p), p)
	require.NoError(t, err)
	require.Equal(t, VerdictUnknownOrder, v)
	open, err := db.OpenReviews(ctx, 10)
	require.NoError(t, err)
	require.Len(t, open, 1)
	assert.Nil(t, open[0].OrderID)
	_, err = db.ResolveReview(ctx, open[0].ID, "ann", "Not ours; told Alipay.", staffAudit("ann", "resolve_review"))
	require.NoError(t, err)
	n, err := db.CountOpenReviews(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
}

func TestReviewOffersRefund(t *testing.T) {
	for kind, want := range map[Verdict]bool{
		VerdictAfterClose: true, VerdictSecondPayment: true, VerdictMismatch: false, VerdictUnknownOrder: false, VerdictStale: false,
	} {
		assert.Equal(t, want, Review{Kind: string(kind)}.OffersRefund(), kind)
	}
}
