package models

import (
	"context"
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
