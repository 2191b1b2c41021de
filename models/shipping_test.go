package models

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/internal/testdb"
)

func TestShippingCharge(t *testing.T) {
	tests := []struct {
		name     string
		rule     Shipping
		items    int64
		wantShip int64
	}{
		{"zero value ships free", Shipping{}, 5600, 0},
		{"flat", Shipping{FlatMinor: 800}, 5600, 800},
		{"flat, never free", Shipping{FlatMinor: 800}, math.MaxInt64 / 2, 800},
		{"below the threshold by one minor unit", Shipping{FlatMinor: 800, FreeOverMinor: 10000}, 9999, 800},
		{"exactly at the threshold ships free", Shipping{FlatMinor: 800, FreeOverMinor: 10000}, 10000, 0},
		{"above the threshold", Shipping{FlatMinor: 800, FreeOverMinor: 10000}, 10001, 0},
		{"free shipping with a threshold", Shipping{FreeOverMinor: 10000}, 50, 0},
		// JPY has no minor unit: 800 is ¥800, the threshold ¥5,000.
		{"JPY below", Shipping{FlatMinor: 800, FreeOverMinor: 5000}, 4999, 800},
		{"JPY at", Shipping{FlatMinor: 800, FreeOverMinor: 5000}, 5000, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.wantShip, tt.rule.Charge(tt.items))
		})
	}
}

func TestCreateOrderShipping(t *testing.T) {
	db := openTestDB(t)
	tea, mug := product(t, db, "tea-set"), product(t, db, "ceramic-mug") // 56.00 and 18.00
	rule := Shipping{FlatMinor: 800, FreeOverMinor: 7400}

	tests := []struct {
		name      string
		items     []Item
		rule      Shipping
		wantItems int64
		wantShip  int64
	}{
		{"charged below the threshold", []Item{{tea.ID, 1}}, rule, 5600, 800},
		{"free exactly at the threshold", []Item{{tea.ID, 1}, {mug.ID, 1}}, rule, 7400, 0},
		{"free above it", []Item{{tea.ID, 2}}, rule, 11200, 0},
		{"no rule: free", []Item{{mug.ID, 1}}, Shipping{}, 1800, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newOrder("owner-ship", tt.items...)
			n.Shipping = tt.rule
			o, created, err := db.CreateOrder(context.Background(), n)
			require.NoError(t, err)
			require.True(t, created)

			assert.Equal(t, tt.wantShip, o.ShippingMinor)
			assert.Equal(t, tt.wantItems+tt.wantShip, o.TotalMinor, "the total is the items plus shipping")
			assert.Equal(t, tt.wantItems, o.ItemsMinor())
			var lines int64
			for _, l := range o.Lines {
				lines += l.TotalMinor()
			}
			assert.Equal(t, tt.wantItems, lines, "the lines stay the items")

			stored, err := db.OrderByNo(context.Background(), o.OrderNo)
			require.NoError(t, err)
			assert.Equal(t, o.TotalMinor, stored.TotalMinor)
			assert.Equal(t, tt.wantShip, stored.ShippingMinor)
		})
	}
}

func TestCreateOrderShippingJPY(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, testdb.Source(t), nil)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	require.NoError(t, db.SeedCatalog(ctx, "JPY", 0))
	notebook := product(t, db, "bamboo-notebook") // ¥1,250

	n := newOrder("owner-jpy", Item{notebook.ID, 1})
	n.Currency = "JPY"
	n.Shipping = Shipping{FlatMinor: 800, FreeOverMinor: 2500}
	o, _, err := db.CreateOrder(ctx, n)
	require.NoError(t, err)
	assert.Equal(t, int64(800), o.ShippingMinor)
	assert.Equal(t, int64(2050), o.TotalMinor, "¥1,250 + ¥800")

	n = newOrder("owner-jpy", Item{notebook.ID, 2})
	n.Currency, n.Shipping = "JPY", Shipping{FlatMinor: 800, FreeOverMinor: 2500}
	o, _, err = db.CreateOrder(ctx, n)
	require.NoError(t, err)
	assert.Zero(t, o.ShippingMinor, "¥2,500 reaches the threshold")
	assert.Equal(t, int64(2500), o.TotalMinor)
}

func TestCreateOrderShippingRejects(t *testing.T) {
	db := openTestDB(t)
	tea := product(t, db, "tea-set")
	tests := []struct {
		name string
		rule Shipping
		want error
	}{
		{"negative charge", Shipping{FlatMinor: -1}, ErrInvalid},
		{"negative threshold", Shipping{FlatMinor: 800, FreeOverMinor: -1}, ErrInvalid},
		{"a total that does not fit", Shipping{FlatMinor: math.MaxInt64}, ErrTotal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := stocks(t, db)
			n := newOrder("owner-reject", Item{tea.ID, 1})
			n.Shipping = tt.rule
			_, _, err := db.CreateOrder(context.Background(), n)
			assert.ErrorIs(t, err, tt.want)
			assert.Equal(t, before, stocks(t, db), "nothing reserved")
		})
	}
}

func TestCreateOrderKeepsTheAddressParts(t *testing.T) {
	db := openTestDB(t)
	n := newOrder("owner-addr", Item{product(t, db, "silk-scarf").ID, 1})
	n.ShipTo = PostalAddress{Country: "CN", Province: "广东省", City: "深圳市", Street: "南山区科技园路1号\n3栋", Postcode: "518000"}
	n.Address = "518000 广东省 深圳市\n南山区科技园路1号\n3栋\nChina (mainland)"
	o, _, err := db.CreateOrder(context.Background(), n)
	require.NoError(t, err)

	stored, err := db.OrderByNo(context.Background(), o.OrderNo)
	require.NoError(t, err)
	assert.Equal(t, n.ShipTo, stored.ShipTo)
	assert.Equal(t, n.Address, stored.Address, "the one-text address is kept for its readers")
	assert.False(t, stored.ShipTo.IsZero())

	old := createOrder(t, db, "owner-addr", Item{product(t, db, "silk-scarf").ID, 1})
	stored, err = db.OrderByNo(context.Background(), old.OrderNo)
	require.NoError(t, err)
	assert.True(t, stored.ShipTo.IsZero(), "an order with only a free-text address has no parts")
	assert.Equal(t, "1 Nanjing Road", stored.Address)
}

// TestShippingCheckConstraint: the database itself refuses a shipping
// charge that is negative or not smaller than the total.
func TestShippingCheckConstraint(t *testing.T) {
	db := openTestDB(t)
	o := createOrder(t, db, "owner-check", Item{product(t, db, "tea-set").ID, 1})
	for _, ship := range []int64{-1, o.TotalMinor} {
		err := db.Gorm().Model(&Order{}).Where("id = ?", o.ID).Update("shipping_minor", ship).Error
		assert.Error(t, err, "shipping %d", ship)
	}
	require.NoError(t, db.Gorm().Model(&Order{}).Where("id = ?", o.ID).Update("shipping_minor", o.TotalMinor-1).Error)
}
