package models

import (
	"context"
	"math"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCreateOrderPricesFromStore(t *testing.T) {
	db := openTestDB(t)
	tea, mug, pin := product(t, db, "tea-set"), product(t, db, "ceramic-mug"), product(t, db, "enamel-pin")

	tests := []struct {
		name      string
		items     []Item
		wantTotal int64
		wantLines map[uint]int // product -> quantity
	}{
		{"one line", []Item{{tea.ID, 1}}, 5600, map[uint]int{tea.ID: 1}},
		{"two lines", []Item{{tea.ID, 2}, {mug.ID, 3}}, 2*5600 + 3*1800, map[uint]int{tea.ID: 2, mug.ID: 3}},
		{"duplicates merged", []Item{{pin.ID, 1}, {mug.ID, 1}, {pin.ID, 2}}, 3*650 + 1800, map[uint]int{pin.ID: 3, mug.ID: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := stocks(t, db)
			o := createOrder(t, db, "owner-1", tt.items...)

			assert.Equal(t, tt.wantTotal, o.TotalMinor)
			assert.Equal(t, StatusPending, o.Status)
			assert.Equal(t, "USD", o.Currency)
			got := map[uint]int{}
			var sum int64
			for _, l := range o.Lines {
				got[l.ProductID] += l.Quantity
				sum += l.TotalMinor()
			}
			assert.Equal(t, tt.wantLines, got)
			assert.Len(t, o.Lines, len(tt.wantLines), "one line per product")
			assert.Equal(t, tt.wantTotal, sum)

			stored, err := db.OrderByNo(context.Background(), o.OrderNo)
			require.NoError(t, err)
			assert.Equal(t, tt.wantTotal, stored.TotalMinor)
			assert.Len(t, stored.Lines, len(tt.wantLines))
			after := stocks(t, db)
			for _, p := range []Product{tea, mug, pin} {
				assert.Equal(t, before[p.Slug]-tt.wantLines[p.ID], after[p.Slug], p.Slug)
			}
		})
	}
}

func TestCreateOrderRejects(t *testing.T) {
	db := openTestDB(t)
	tea, mug := product(t, db, "tea-set"), product(t, db, "ceramic-mug")

	tests := []struct {
		name   string
		change func(n *NewOrder)
		want   error
	}{
		{"no items", func(n *NewOrder) { n.Items = nil }, ErrEmptyOrder},
		{"quantity zero", func(n *NewOrder) { n.Items = []Item{{tea.ID, 0}} }, ErrQuantity},
		{"quantity negative", func(n *NewOrder) { n.Items = []Item{{tea.ID, -1}} }, ErrQuantity},
		{"quantity 100", func(n *NewOrder) { n.Items = []Item{{mug.ID, 100}} }, ErrQuantity},
		{"merged quantity over 99", func(n *NewOrder) { n.Items = []Item{{mug.ID, 50}, {mug.ID, 50}} }, ErrQuantity},
		{"currency mismatch", func(n *NewOrder) { n.Currency = "EUR" }, ErrCurrency},
		{"malformed currency", func(n *NewOrder) { n.Currency = "usd" }, ErrCurrency},
		{"unknown product", func(n *NewOrder) { n.Items = append(n.Items, Item{9999, 1}) }, ErrUnknownProduct},
		{"unknown channel", func(n *NewOrder) { n.Channel = "pos" }, ErrChannel},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := stocks(t, db)
			n := newOrder("owner-1", Item{tea.ID, 1}, Item{mug.ID, 2})
			tt.change(&n)
			o, created, err := db.CreateOrder(context.Background(), n)
			assert.ErrorIs(t, err, tt.want)
			assert.Nil(t, o)
			assert.False(t, created)
			assert.Equal(t, before, stocks(t, db))
			assert.Zero(t, countRows(t, db, &Order{}))
		})
	}
}

func TestCreateOrderStockErrorLeavesStockUnchanged(t *testing.T) {
	db := openTestDB(t)
	scarf, pin := product(t, db, "silk-scarf"), product(t, db, "enamel-pin")
	before := stocks(t, db)

	// The first line can be reserved; the second cannot, so the first's
	// decrement must be rolled back too.
	_, _, err := db.CreateOrder(context.Background(), newOrder("owner-1", Item{scarf.ID, 2}, Item{pin.ID, 4}))

	require.Error(t, err)
	assert.ErrorIs(t, err, ErrOutOfStock)
	var se *StockError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, StockError{ProductID: pin.ID, Name: "Panda enamel pin", Available: 3}, *se)
	assert.Contains(t, err.Error(), "Panda enamel pin")
	assert.Contains(t, err.Error(), "only 3 left")
	assert.Equal(t, before, stocks(t, db))
	assert.Zero(t, countRows(t, db, &Order{}))
	assert.Zero(t, countRows(t, db, &OrderLine{}))
}

func TestCreateOrderCheckoutKeyIsIdempotent(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	mug := product(t, db, "ceramic-mug")

	n := newOrder("owner-1", Item{mug.ID, 2})
	n.CheckoutKey = "key-123"
	first, created, err := db.CreateOrder(ctx, n)
	require.NoError(t, err)
	require.True(t, created)

	second, created, err := db.CreateOrder(ctx, n)
	require.NoError(t, err)
	assert.False(t, created, "a double submit creates no second order")
	assert.Equal(t, first.OrderNo, second.OrderNo)
	assert.Len(t, second.Lines, 1)
	assert.Equal(t, mug.Stock-2, product(t, db, "ceramic-mug").Stock, "stock taken once")

	// A resubmit after the first emptied the cart still finds the order.
	empty := n
	empty.Items = nil
	again, created, err := db.CreateOrder(ctx, empty)
	require.NoError(t, err)
	assert.False(t, created)
	assert.Equal(t, first.OrderNo, again.OrderNo)

	// The key is scoped to its owner: another owner gets their own order.
	n.OwnerID = "owner-2"
	third, created, err := db.CreateOrder(ctx, n)
	require.NoError(t, err)
	assert.True(t, created)
	assert.NotEqual(t, first.OrderNo, third.OrderNo)

	// Without a key every submit is a new order.
	createOrder(t, db, "owner-1", Item{mug.ID, 1})
	createOrder(t, db, "owner-1", Item{mug.ID, 1})
	assert.EqualValues(t, 4, countRows(t, db, &Order{}))
	assert.Equal(t, mug.Stock-6, product(t, db, "ceramic-mug").Stock)
}

func TestOrderNoFormat(t *testing.T) {
	db := openTestDB(t)
	format := regexp.MustCompile(`^[0-9]{8}[A-Z2-7]{16}$`)

	o := createOrder(t, db, "owner-1", Item{product(t, db, "ceramic-mug").ID, 1})
	assert.Regexp(t, format, o.OrderNo)
	assert.Equal(t, time.Now().UTC().Format("20060102"), o.OrderNo[:8])

	seen := map[string]bool{}
	now := time.Now()
	for range 10000 {
		no := newOrderNo(now)
		require.Regexp(t, format, no)
		require.False(t, seen[no], "duplicate order number %s", no)
		seen[no] = true
	}
}

func TestOwnedOrder(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	mug := product(t, db, "ceramic-mug")
	mine := createOrder(t, db, "alice", Item{mug.ID, 1})
	createOrder(t, db, "bob", Item{mug.ID, 1})

	tests := []struct {
		name, orderNo, owner string
		wantErr              error
	}{
		{"owner sees it", mine.OrderNo, "alice", nil},
		{"other owner gets not found", mine.OrderNo, "bob", ErrNotFound},
		{"empty owner gets not found", mine.OrderNo, "", ErrNotFound},
		{"unknown order", "20240101AAAAAAAAAAAAAAAA", "alice", ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := db.OwnedOrder(ctx, tt.orderNo, tt.owner)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				assert.Nil(t, o)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, mine.ID, o.ID)
			assert.Len(t, o.Lines, 1)
		})
	}

	list, err := db.OrdersByOwner(ctx, "alice", 10)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, mine.OrderNo, list[0].OrderNo)
}

func TestCloseOrderReturnsStockOnce(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	scarf, mug := product(t, db, "silk-scarf"), product(t, db, "ceramic-mug")
	o := createOrder(t, db, "owner-1", Item{scarf.ID, 2}, Item{mug.ID, 5})

	for i, want := range []bool{true, false} {
		closed, err := db.CloseOrder(ctx, o.OrderNo, "shopper cancelled")
		require.NoError(t, err)
		assert.Equal(t, want, closed, "call %d", i+1)
		assert.Equal(t, scarf.Stock, product(t, db, "silk-scarf").Stock, "call %d", i+1)
		assert.Equal(t, mug.Stock, product(t, db, "ceramic-mug").Stock, "call %d", i+1)
	}
	got, err := db.OrderByNo(ctx, o.OrderNo)
	require.NoError(t, err)
	assert.Equal(t, StatusClosed, got.Status)
	assert.NotNil(t, got.ClosedAt)
	assert.Equal(t, "shopper cancelled", got.CloseReason)

	_, err = db.CloseOrder(ctx, "nope", "x")
	assert.ErrorIs(t, err, ErrNotFound)
}

func TestExpiredPending(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	mug := product(t, db, "ceramic-mug")
	now := time.Now()
	mk := func(expires time.Time) *Order {
		n := newOrder("owner-1", Item{mug.ID, 1})
		n.ExpiresAt = expires
		o, _, err := db.CreateOrder(ctx, n)
		require.NoError(t, err)
		return o
	}
	old := mk(now.Add(-time.Hour))
	// A non-UTC location must compare the same as UTC.
	justNow := mk(now.Add(-time.Second).In(time.FixedZone("CST", 8*3600)))
	mk(now.Add(time.Hour))
	closed := mk(now.Add(-2 * time.Hour))
	_, err := db.CloseOrder(ctx, closed.OrderNo, "test")
	require.NoError(t, err)

	got, err := db.ExpiredPending(ctx, now, 10)
	require.NoError(t, err)
	var nos []string
	for _, o := range got {
		nos = append(nos, o.OrderNo)
	}
	assert.Equal(t, []string{old.OrderNo, justNow.OrderNo}, nos)

	got, err = db.ExpiredPending(ctx, now, 1)
	require.NoError(t, err)
	assert.Len(t, got, 1)
}

func TestAddLine(t *testing.T) {
	tests := []struct {
		name        string
		total, unit int64
		qty         int
		want        int64
		wantErr     bool
	}{
		{"simple", 100, 250, 3, 850, false},
		{"unit times quantity overflows", 0, math.MaxInt64/2 + 1, 2, 0, true},
		{"sum overflows", math.MaxInt64 - 10, 11, 1, 0, true},
		{"largest sum fits", math.MaxInt64 - 10, 10, 1, math.MaxInt64, false},
		{"zero price", 0, 0, 1, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := addLine(tt.total, tt.unit, tt.qty)
			if tt.wantErr {
				assert.ErrorIs(t, err, ErrTotal)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
