package models

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/internal/testdb"
)

// TestPaidOrderQueuesOneMail: of 64 copies of the notification applied at
// once, one pays the order, and the order gets exactly one confirmation
// in the outbox, due at once, for the address given at checkout.
func TestPaidOrderQueuesOneMail(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	o := createOrder(t, db, "owner-1", Item{product(t, db, "tea-set").ID, 1})
	p := paidFor(o, "2024010122001332950500389139")
	before := time.Now().UTC()

	const copies = 64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range copies {
		wg.Go(func() {
			<-start
			_, _, err := db.ApplyPayment(ctx, notification(p), p)
			assert.NoError(t, err)
		})
	}
	close(start)
	wg.Wait()

	ms, err := db.MailOf(ctx, o.ID)
	require.NoError(t, err)
	require.Len(t, ms, 1, "one e-mail per paid order")
	m := ms[0]
	assert.Equal(t, MailOrderPaid, m.Kind)
	assert.Equal(t, "li@example.com", m.Recipient)
	assert.Equal(t, MailPending, m.Status)
	assert.Zero(t, m.Attempts)
	assert.False(t, m.NextAt.Before(before.Truncate(time.Second)), "due at once: %s", m.NextAt)
	assert.EqualValues(t, 1, countRows(t, db, &Mail{}))
}

// TestMailOnlyForPaidOrdersWithAnAddress: an order without an e-mail
// address gets no row; notifications that pay nothing (a mismatch, a
// closed trade) queue nothing either.
func TestMailOnlyForPaidOrdersWithAnAddress(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	mug := product(t, db, "ceramic-mug").ID

	n := newOrder("no-mail", Item{mug, 1})
	n.Email = ""
	noMail, _, err := db.CreateOrder(ctx, n)
	require.NoError(t, err)
	p := paidFor(noMail, "2024010122001332950500389140")
	v, _, err := db.ApplyPayment(ctx, notification(p), p)
	require.NoError(t, err)
	require.Equal(t, VerdictPaid, v)

	wrong := createOrder(t, db, "mismatch", Item{mug, 1})
	p = paidFor(wrong, "2024010122001332950500389141")
	p.AmountMinor++
	v, _, err = db.ApplyPayment(ctx, notification(p), p)
	require.NoError(t, err)
	require.Equal(t, VerdictMismatch, v)

	closed := createOrder(t, db, "closed", Item{mug, 1})
	p = paidFor(closed, "2024010122001332950500389142")
	p.Event = EventClosed
	v, _, err = db.ApplyPayment(ctx, notification(p), p)
	require.NoError(t, err)
	require.Equal(t, VerdictClosed, v)

	assert.Zero(t, countRows(t, db, &Mail{}))
}

// paidOrderMail pays a new order and returns its outbox row.
func paidOrderMail(t *testing.T, db *DB, owner, tradeNo string) Mail {
	t.Helper()
	ctx := context.Background()
	o := createOrder(t, db, owner, Item{product(t, db, "postcard-set").ID, 1})
	p := paidFor(o, tradeNo)
	_, _, err := db.ApplyPayment(ctx, notification(p), p)
	require.NoError(t, err)
	ms, err := db.MailOf(ctx, o.ID)
	require.NoError(t, err)
	require.Len(t, ms, 1)
	return ms[0]
}

// TestClaimMail walks one row through its life: claimed with its order
// and lines, not claimable again while leased, failed and due later,
// claimable again when its lease ran out without a result, and only the
// lease's holder can record the result.
func TestClaimMail(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	queued := paidOrderMail(t, db, "claim", "2024010122001332950500389143")
	now := queued.NextAt.Add(time.Second)
	const lease = 10 * time.Minute

	ms, err := db.ClaimMail(ctx, now, lease, 10)
	require.NoError(t, err)
	require.Len(t, ms, 1)
	m := ms[0]
	assert.Equal(t, queued.ID, m.ID)
	assert.Equal(t, 1, m.Attempts)
	assert.NotEmpty(t, m.LeaseToken)
	require.NotNil(t, m.Order)
	assert.Equal(t, StatusPaid, m.Order.Status)
	assert.Len(t, m.Order.Lines, 1)

	again, err := db.ClaimMail(ctx, now, lease, 10)
	require.NoError(t, err)
	assert.Empty(t, again, "leased to the first claimer")

	retryAt := now.Add(time.Minute)
	require.NoError(t, db.MailFailed(ctx, &m, "451 try later", retryAt))
	assert.ErrorIs(t, db.MailSent(ctx, &m, now), ErrLeaseLost, "a result is recorded once per claim")
	again, err = db.ClaimMail(ctx, retryAt.Add(-time.Nanosecond), lease, 10)
	require.NoError(t, err)
	assert.Empty(t, again, "not due before its retry time")

	first, err := db.ClaimMail(ctx, retryAt, lease, 10)
	require.NoError(t, err)
	require.Len(t, first, 1)
	assert.Equal(t, 2, first[0].Attempts)
	// The first claimer never records a result (it died): after the
	// lease the row is claimed again, and the late result of the first
	// claim is refused.
	second, err := db.ClaimMail(ctx, retryAt.Add(lease), lease, 10)
	require.NoError(t, err)
	require.Len(t, second, 1)
	assert.Equal(t, 3, second[0].Attempts)
	assert.ErrorIs(t, db.MailSent(ctx, &first[0], retryAt), ErrLeaseLost)
	require.NoError(t, db.MailSent(ctx, &second[0], retryAt.Add(lease)))

	stored, err := db.MailOf(ctx, m.OrderID)
	require.NoError(t, err)
	require.Len(t, stored, 1)
	assert.Equal(t, MailSent, stored[0].Status)
	require.NotNil(t, stored[0].SentAt)
	assert.True(t, stored[0].SentAt.Equal(retryAt.Add(lease)))
	assert.Empty(t, stored[0].LastError)
	assert.Empty(t, stored[0].LeaseToken)
	assert.Nil(t, stored[0].LeasedUntil)

	later, err := db.ClaimMail(ctx, now.Add(48*time.Hour), lease, 10)
	require.NoError(t, err)
	assert.Empty(t, later, "a sent e-mail is never claimed again")
}

// TestMailGivenUp: a row given up keeps its last error and is never due
// again.
func TestMailGivenUp(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	queued := paidOrderMail(t, db, "give-up", "2024010122001332950500389144")
	ms, err := db.ClaimMail(ctx, queued.NextAt, time.Minute, 1)
	require.NoError(t, err)
	require.Len(t, ms, 1)
	require.NoError(t, db.MailFailed(ctx, &ms[0], "550 no such user", time.Time{}))

	stored, err := db.MailOf(ctx, queued.OrderID)
	require.NoError(t, err)
	assert.Equal(t, MailFailed, stored[0].Status)
	assert.Equal(t, "550 no such user", stored[0].LastError)
	assert.Equal(t, 1, stored[0].Attempts)
	later, err := db.ClaimMail(ctx, queued.NextAt.Add(1000*time.Hour), time.Minute, 10)
	require.NoError(t, err)
	assert.Empty(t, later)
}

// TestClaimMailConcurrently: several claimers at once, each with a
// connection pool of its own as instances have, claim every due row, and
// no row twice.
func TestClaimMailConcurrently(t *testing.T) {
	ctx := context.Background()
	src := testdb.Source(t)
	open := func() *DB {
		db, err := Open(ctx, src, nil)
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, db.Close()) })
		return db
	}
	dbs := []*DB{open(), open()}
	require.NoError(t, dbs[0].SeedCatalog(ctx, "USD", 2))
	o := createOrder(t, dbs[0], "many", Item{product(t, dbs[0], "postcard-set").ID, 1})
	const rows = 40
	now := time.Now().UTC()
	for i := range rows {
		// One order, many kinds: the claim does not care what the e-mail is.
		m := Mail{Kind: MailKind(fmt.Sprintf("test-%02d", i)), OrderID: o.ID, Recipient: "li@example.com",
			Status: MailPending, NextAt: now, CreatedAt: now, UpdatedAt: now}
		require.NoError(t, dbs[0].Gorm().Omit("Order").Create(&m).Error)
	}

	const claimers = 8
	var mu sync.Mutex
	seen := map[uint]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range claimers {
		db := dbs[i%len(dbs)]
		wg.Go(func() {
			<-start
			for {
				ms, err := db.ClaimMail(ctx, now, time.Hour, 3)
				if !assert.NoError(t, err) || len(ms) == 0 {
					return
				}
				mu.Lock()
				for _, m := range ms {
					seen[m.ID]++
				}
				mu.Unlock()
				for _, m := range ms {
					assert.NoError(t, db.MailSent(ctx, &m, now))
				}
			}
		})
	}
	close(start)
	wg.Wait()

	assert.Len(t, seen, rows, "every row claimed")
	for id, n := range seen {
		assert.Equal(t, 1, n, "row %d claimed %d times", id, n)
	}
	var sent int64
	require.NoError(t, dbs[0].Gorm().Model(&Mail{}).Where("status = ? AND attempts = 1", MailSent).Count(&sent).Error)
	assert.EqualValues(t, rows, sent)
}
