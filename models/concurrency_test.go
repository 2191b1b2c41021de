package models

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestApplyPaymentConcurrentlyPaysOnce(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	o := createOrder(t, db, "owner-1", Item{product(t, db, "tea-set").ID, 1})
	p := paidFor(o, "2024010122001332950500389138")

	const workers = 64
	verdicts := make(chan Verdict, workers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range workers {
		wg.Go(func() {
			<-start
			v, _, err := db.ApplyPayment(ctx, notification(p), p)
			assert.NoError(t, err)
			verdicts <- v
		})
	}
	close(start)
	wg.Wait()
	close(verdicts)

	count := map[Verdict]int{}
	for v := range verdicts {
		count[v]++
	}
	assert.Equal(t, map[Verdict]int{VerdictPaid: 1, VerdictDuplicate: workers - 1}, count)
	assert.EqualValues(t, workers, countRows(t, db, &Notification{}))
	stored, err := db.OrderByNo(ctx, o.OrderNo)
	require.NoError(t, err)
	assert.Equal(t, StatusPaid, stored.Status)
	assert.False(t, stored.Flagged)
}

func TestLastUnitSellsOnce(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	pin := product(t, db, "enamel-pin")
	require.NoError(t, db.Gorm().Model(&Product{}).Where("id = ?", pin.ID).Update("stock", 1).Error)

	const buyers = 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	var created, outOfStock int
	start := make(chan struct{})
	for range buyers {
		wg.Go(func() {
			<-start
			_, ok, err := db.CreateOrder(ctx, newOrder("buyer", Item{pin.ID, 1}))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil && ok:
				created++
			case assert.ErrorIs(t, err, ErrOutOfStock):
				outOfStock++
			}
		})
	}
	close(start)
	wg.Wait()

	assert.Equal(t, 1, created)
	assert.Equal(t, buyers-1, outOfStock)
	assert.EqualValues(t, 1, countRows(t, db, &Order{}))
	assert.Equal(t, 0, product(t, db, "enamel-pin").Stock)
}

// TestSameCheckoutSubmittedAtOnce: one checkout form submitted several
// times at once creates one order. On PostgreSQL the submissions race to
// the unique (owner, checkout key) index; the losers find the winner's
// order instead of failing.
func TestSameCheckoutSubmittedAtOnce(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	scarf := product(t, db, "silk-scarf")
	n := newOrder("owner-1", Item{scarf.ID, 2})
	n.CheckoutKey = "0123456789abcdef0123456789abcdef"
	const submits = 8
	orders := make([]*Order, submits)
	created := make([]bool, submits)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range submits {
		wg.Go(func() {
			<-start
			var err error
			orders[i], created[i], err = db.CreateOrder(ctx, n)
			assert.NoError(t, err)
		})
	}
	close(start)
	wg.Wait()
	made := 0
	for i := range submits {
		if created[i] {
			made++
		}
		if orders[i] != nil && orders[0] != nil {
			assert.Equal(t, orders[0].OrderNo, orders[i].OrderNo, "every submit gets the same order")
		}
	}
	assert.Equal(t, 1, made)
	assert.EqualValues(t, 1, countRows(t, db, &Order{}))
	assert.Equal(t, scarf.Stock-2, product(t, db, "silk-scarf").Stock, "stock taken once")
}

// TestOppositeOrdersDoNotDeadlock: workers create orders listing the same
// two products in opposite orders. Stock is always taken in product-id
// order, so on PostgreSQL no two transactions wait for each other in a
// circle; every order is created, and the stock adds up.
func TestOppositeOrdersDoNotDeadlock(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	require.NoError(t, db.Gorm().Exec("UPDATE products SET stock = 1000").Error)
	a, b := product(t, db, "silk-scarf").ID, product(t, db, "tea-set").ID
	const workers, each = 8, 10
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				items := []Item{{a, 1}, {b, 1}}
				if (w+i)%2 == 1 {
					items = []Item{{b, 1}, {a, 1}}
				}
				_, _, err := db.CreateOrder(ctx, newOrder("owner", items...))
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
	assert.EqualValues(t, workers*each, countRows(t, db, &Order{}))
	assert.Equal(t, 1000-workers*each, product(t, db, "silk-scarf").Stock)
	assert.Equal(t, 1000-workers*each, product(t, db, "tea-set").Stock)
}

// TestConcurrentFlagsAreAllKept: several notifications that each flag one
// order at once (mismatched amounts) all leave their reason: the flag is
// written under the order's row lock, so none overwrites another.
func TestConcurrentFlagsAreAllKept(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	o := createOrder(t, db, "owner-1", Item{product(t, db, "tea-set").ID, 1})
	const flags = 6
	var wg sync.WaitGroup
	for i := range flags {
		wg.Go(func() {
			p := paidFor(o, fmt.Sprintf("20240101220013329505003891%02d", i))
			p.AmountMinor = int64(i + 1) // never the order's total
			v, _, err := db.ApplyPayment(ctx, notification(p), p)
			assert.NoError(t, err)
			assert.Equal(t, VerdictMismatch, v)
		})
	}
	wg.Wait()
	stored, err := db.OrderByNo(ctx, o.OrderNo)
	require.NoError(t, err)
	assert.True(t, stored.Flagged)
	for i := range flags {
		assert.Contains(t, stored.FlagReason, fmt.Sprintf("20240101220013329505003891%02d", i))
	}
	reviews, err := db.ReviewsOf(ctx, o.ID)
	require.NoError(t, err)
	assert.Len(t, reviews, flags, "one review per flag")
}
