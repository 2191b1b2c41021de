package models

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOrderUnitBounds(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	// Plenty of stock, so only the bounds can refuse.
	require.NoError(t, db.Gorm().Exec("UPDATE products SET stock = 1000").Error)
	ids := []uint{product(t, db, "silk-scarf").ID, product(t, db, "tea-set").ID}
	tests := []struct {
		name  string
		items []Item
		want  error
	}{
		{"the most of one product", []Item{{ids[0], MaxQuantity}}, nil},
		{"one more than that", []Item{{ids[0], MaxQuantity + 1}}, ErrQuantity},
		{"the same product twice, over the bound together", []Item{{ids[0], MaxQuantity}, {ids[0], 1}}, ErrQuantity},
		{"the most units in an order", []Item{{ids[0], MaxQuantity}, {ids[1], MaxOrderUnits - MaxQuantity}}, nil},
		{"one unit more", []Item{{ids[0], MaxQuantity}, {ids[1], MaxOrderUnits - MaxQuantity + 1}}, ErrQuantity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := stocks(t, db)
			o := newOrder("owner-"+tt.name, tt.items...)
			_, _, err := db.CreateOrder(ctx, o)
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tt.want)
			assert.Equal(t, before, stocks(t, db), "nothing reserved")
		})
	}
}

// TestHeldUnitsPerClient: one client address cannot hold more than
// MaxHeldUnits in pending orders, even with concurrent checkouts; other
// clients are not affected, and units come back to the client's share when
// an order closes or expires.
func TestHeldUnitsPerClient(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	require.NoError(t, db.Gorm().Exec("UPDATE products SET stock = 1000").Error)
	scarf := product(t, db, "silk-scarf").ID
	order := func(client string, units int) (*Order, error) {
		n := newOrder("owner-"+client, Item{scarf, units})
		n.ClientIP = client
		o, _, err := db.CreateOrder(ctx, n)
		return o, err
	}

	// Concurrent checkouts of one client: the transaction makes the check
	// and the insert one step, so exactly MaxHeldUnits/10 succeed.
	const tries = 12
	var wg sync.WaitGroup
	errs := make([]error, tries)
	for i := range tries {
		wg.Go(func() { _, errs[i] = order("203.0.113.7", 10) })
	}
	wg.Wait()
	ok, limited := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case assert.ErrorIs(t, err, ErrHoldLimit):
			limited++
		}
	}
	assert.Equal(t, MaxHeldUnits/10, ok)
	assert.Equal(t, tries-MaxHeldUnits/10, limited)

	_, err := order("198.51.100.9", 10)
	assert.NoError(t, err, "another client has its own share")

	// Closing one order gives its units back to the client's share.
	var held []Order
	require.NoError(t, db.Gorm().Where("client_ip = ?", "203.0.113.7").Find(&held).Error)
	closed, err := db.CloseOrder(ctx, held[0].OrderNo, "shopper cancelled")
	require.NoError(t, err)
	require.True(t, closed)
	_, err = order("203.0.113.7", 10)
	assert.NoError(t, err)
	_, err = order("203.0.113.7", 1)
	assert.ErrorIs(t, err, ErrHoldLimit)

	// Expired orders no longer count, even before the reconciler closes them.
	require.NoError(t, db.Gorm().Exec("UPDATE orders SET expires_at = ? WHERE client_ip = ?",
		time.Now().Add(-time.Minute).UTC(), "203.0.113.7").Error)
	_, err = order("203.0.113.7", 10)
	assert.NoError(t, err)
}

func TestRecordRejects(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	at := time.Date(2026, 12, 2, 10, 15, 0, 0, time.UTC)
	long := strings.Repeat("é", SampleLimit) // two bytes each: the cut must not split one
	require.NoError(t, db.RecordRejects(ctx, "signature", 3, at, "203.0.113.7:4000", long))
	require.NoError(t, db.RecordRejects(ctx, "signature", 2, at.Add(20*time.Minute), "198.51.100.9:5000", "sign=x"))
	require.NoError(t, db.RecordRejects(ctx, "malformed", 1, at.Add(21*time.Minute), "198.51.100.9:5000", "%%%"))
	require.NoError(t, db.RecordRejects(ctx, "signature", 1, at.Add(time.Hour), "198.51.100.9:5000", "next hour"))
	require.NoError(t, db.RecordRejects(ctx, "signature", 0, at, "x", "counts nothing"))

	rs, err := db.Rejects(ctx, 0)
	require.NoError(t, err)
	require.Len(t, rs, 3, "one row per hour and reason")
	assert.Equal(t, "signature", rs[0].Reason)
	assert.EqualValues(t, 1, rs[0].Count)
	sig := rs[2]
	assert.Equal(t, "signature", sig.Reason)
	assert.True(t, sig.Bucket.Equal(at.Truncate(time.Hour)))
	assert.EqualValues(t, 5, sig.Count)
	assert.True(t, sig.FirstAt.Equal(at))
	assert.True(t, sig.LastAt.Equal(at.Add(20*time.Minute)))
	assert.Equal(t, "198.51.100.9:5000", sig.LastRemote)
	assert.Equal(t, "sign=x", sig.Sample, "the latest sample")

	require.NoError(t, db.RecordRejects(ctx, "long", 1, at, "x", long))
	rs, err = db.Rejects(ctx, 0)
	require.NoError(t, err)
	for _, r := range rs {
		if r.Reason == "long" {
			assert.LessOrEqual(t, len(r.Sample), SampleLimit)
			assert.Equal(t, strings.Repeat("é", SampleLimit/2), r.Sample)
		}
	}

	n, err := db.PruneRejects(ctx, at.Truncate(time.Hour).Add(time.Hour))
	require.NoError(t, err)
	assert.EqualValues(t, 3, n, "the first hour's rows")
	rs, err = db.Rejects(ctx, 0)
	require.NoError(t, err)
	assert.Len(t, rs, 1)
}

func TestStaleNotificationIsFlagged(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	o := createOrder(t, db, "owner", Item{product(t, db, "tea-set").ID, 1})
	p := Payment{OrderNo: o.OrderNo, TradeNo: "2026120222001000000000000001", Event: EventPaid,
		AmountMinor: o.TotalMinor, Currency: "USD", At: time.Now(), NotifiedAt: o.CreatedAt.Add(-time.Hour)}
	v, after, err := db.ApplyPayment(ctx, &Notification{NotifyID: "n1"}, p)
	require.NoError(t, err)
	assert.Equal(t, VerdictStale, v)
	assert.Equal(t, StatusPending, after.Status, "never paid")
	assert.True(t, after.Flagged)
	assert.Contains(t, after.FlagReason, "before the order was created")
}

func TestRecordUnappliedFlagsTheOrder(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	o := createOrder(t, db, "owner", Item{product(t, db, "tea-set").ID, 1})
	for _, v := range []Verdict{VerdictUnbound, VerdictStale, VerdictUnreadable, VerdictRejected, VerdictDeferred} {
		t.Run(string(v), func(t *testing.T) {
			n := &Notification{OutTradeNo: o.OrderNo, Verdict: v, Detail: fmt.Sprintf("because %s", v), Body: "raw"}
			require.NoError(t, db.RecordUnapplied(ctx, n))
			require.NotNil(t, n.OrderID)
			assert.Equal(t, v.Flagged(), n.Flagged)
			got, err := db.OrderByNo(ctx, o.OrderNo)
			require.NoError(t, err)
			assert.Equal(t, StatusPending, got.Status)
			assert.Equal(t, v.Flagged(), strings.Contains(got.FlagReason, "because "+string(v)))
		})
	}
	assert.Error(t, db.RecordUnapplied(ctx, &Notification{Verdict: VerdictPaid}), "a paid verdict is ApplyPayment's")
}

func TestHeartbeat(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	require.NoError(t, db.Heartbeat(ctx, time.Now()))
	require.NoError(t, db.Gorm().Exec("DELETE FROM heartbeats").Error)
	assert.ErrorContains(t, db.Heartbeat(ctx, time.Now()), "no heartbeat row")
}
