package models

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func eventKinds(es []OrderEvent) []EventKind {
	out := make([]EventKind, len(es))
	for i, e := range es {
		out[i] = e.Kind
	}
	return out
}

func TestOrderEvents(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	o := paidTestOrder(t, db, "2024010122001300000000000301", Item{product(t, db, "ceramic-mug").ID, 1})

	require.NoError(t, db.RecordEvent(ctx, o.OrderNo, KindReturned, "shopper", "Back from the cashier: TRADE_FINISHED.", true))
	require.NoError(t, db.RecordEvent(ctx, o.OrderNo, KindReturned, "shopper", "Back from the cashier: TRADE_FINISHED.", true))
	require.NoError(t, db.RecordEvent(ctx, o.OrderNo, KindQueried, "ann", "single_trade_query: TRADE_FINISHED.", false))
	require.NoError(t, db.RecordEvent(ctx, o.OrderNo, KindQueried, "ann", "single_trade_query: TRADE_FINISHED.", false))
	_, err := db.Ship(ctx, o.OrderNo, "SF Express", "SF1234567890", staffAudit("ann", "ship"))
	require.NoError(t, err)
	r, err := db.StartRefund(ctx, o.OrderNo, 100, "scuff", false, staffAudit("ann", "refund"))
	require.NoError(t, err)
	_, err = db.FinishRefund(ctx, r.OutReturnNo, false, "SYSTEM_ERROR", "Alipay had an internal error")
	require.NoError(t, err)

	es, err := db.Events(ctx, o.ID)
	require.NoError(t, err)
	assert.Equal(t, []EventKind{KindCreated, KindPaid, KindReturned, KindQueried, KindQueried, KindShipped, KindRefund, KindRefund}, eventKinds(es),
		"oldest first; a step recorded once is not repeated, others are")
	for i := 1; i < len(es); i++ {
		assert.False(t, es[i].At.Before(es[i-1].At), "in time order")
	}
	assert.Equal(t, "query", es[1].Actor, "paidFor has no notify_time: a query answer")
	assert.Equal(t, "ann", es[5].Actor)
	assert.Equal(t, "SF Express SF1234567890", es[5].Detail)
	assert.Contains(t, es[7].Detail, "SYSTEM_ERROR")

	other := createOrder(t, db, "owner-other", Item{product(t, db, "ceramic-mug").ID, 1})
	theirs, err := db.Events(ctx, other.ID)
	require.NoError(t, err)
	assert.Equal(t, []EventKind{KindCreated}, eventKinds(theirs), "each order has its own")
}

func TestRecordEventBounds(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	err := db.RecordEvent(ctx, "20240101NOSUCHORDER00000", KindQueried, "ann", "x", false)
	assert.ErrorIs(t, err, ErrNotFound)

	o := createOrder(t, db, "owner-1", Item{product(t, db, "ceramic-mug").ID, 1})
	long := strings.Repeat("é", 800) // 1,600 bytes
	require.NoError(t, db.RecordEvent(ctx, o.OrderNo, KindQueried, strings.Repeat("a", 100), long, false))
	es, err := db.Events(ctx, o.ID)
	require.NoError(t, err)
	last := es[len(es)-1]
	assert.LessOrEqual(t, len(last.Detail), 1000)
	assert.True(t, strings.HasPrefix(long, last.Detail), "cut on a character boundary")
	assert.Len(t, last.Actor, 64)
}
