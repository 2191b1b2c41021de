package models

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// staffEntry is the audit entry a handler passes: who and from where.
func staffEntry() AuditEntry { return AuditEntry{Staff: "ann", Remote: "127.0.0.1"} }

// auditRows returns the audit log, oldest first.
func auditRows(t *testing.T, db *DB) []AuditEntry {
	t.Helper()
	var es []AuditEntry
	require.NoError(t, db.Gorm().Order("id").Find(&es).Error)
	return es
}

func scarfInput() ProductInput {
	return ProductInput{Slug: "wool-scarf", Name: "Wool scarf", NameZH: "羊毛围巾", Description: "Warm.\nSoft.",
		PriceMinor: 4200, Currency: "USD", SortOrder: 5}
}

func TestCreateProduct(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	cat, err := db.SaveCategory(ctx, 0, CategoryInput{Slug: "scarves", Name: "Scarves", NameZH: "围巾"}, staffEntry())
	require.NoError(t, err)

	in := scarfInput()
	in.Name, in.CategoryID = "  Wool scarf ", &cat.ID
	p, err := db.CreateProduct(ctx, in, 7, staffEntry())
	require.NoError(t, err)
	got := product(t, db, "wool-scarf")
	assert.Equal(t, p.ID, got.ID)
	assert.Equal(t, "Wool scarf", got.Name, "spaces trimmed")
	assert.Equal(t, "Warm.\nSoft.", got.Description, "line breaks kept")
	assert.Equal(t, int64(4200), got.PriceMinor)
	assert.Equal(t, 7, got.Stock)
	assert.Equal(t, 5, got.SortOrder)
	require.NotNil(t, got.Category)
	assert.Equal(t, "scarves", got.Category.Slug)
	assert.Equal(t, placeholderImage, got.Image)

	es := auditRows(t, db)
	last := es[len(es)-1]
	assert.Equal(t, "product_create", last.Action)
	assert.Equal(t, "product wool-scarf", last.Target)
	assert.Equal(t, "ann", last.Staff)
	assert.Contains(t, last.Detail, "stock 7")
}

func TestProductInputRefused(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	unknown := uint(999)
	tests := []struct {
		name   string
		change func(*ProductInput)
		stock  int
		field  string
		reason string
	}{
		{"no slug", func(in *ProductInput) { in.Slug = " " }, 0, "slug", ReasonRequired},
		{"capitals in the slug", func(in *ProductInput) { in.Slug = "Wool-Scarf" }, 0, "slug", ReasonFormat},
		{"space in the slug", func(in *ProductInput) { in.Slug = "wool scarf" }, 0, "slug", ReasonFormat},
		{"slug starting with a dash", func(in *ProductInput) { in.Slug = "-scarf" }, 0, "slug", ReasonFormat},
		{"double dash", func(in *ProductInput) { in.Slug = "wool--scarf" }, 0, "slug", ReasonFormat},
		{"underscore", func(in *ProductInput) { in.Slug = "wool_scarf" }, 0, "slug", ReasonFormat},
		{"slug too long", func(in *ProductInput) { in.Slug = strings.Repeat("a", MaxSlugLen+1) }, 0, "slug", ReasonFormat},
		{"slug taken", func(in *ProductInput) { in.Slug = "silk-scarf" }, 0, "slug", ReasonTaken},
		{"no name", func(in *ProductInput) { in.Name = "" }, 0, "name", ReasonRequired},
		{"name too long", func(in *ProductInput) { in.Name = strings.Repeat("名", MaxNameLen+1) }, 0, "name", ReasonTooLong},
		{"control character", func(in *ProductInput) { in.Name = "Wool\x07scarf" }, 0, "name", ReasonControl},
		{"line break in a name", func(in *ProductInput) { in.Name = "Wool\nscarf" }, 0, "name", ReasonControl},
		{"Chinese name with a forbidden character", func(in *ProductInput) { in.NameZH = "羊毛&围巾" }, 0, "name_zh", ReasonAlipay},
		{"description with a control character", func(in *ProductInput) { in.Description = "a\x00b" }, 0, "description", ReasonControl},
		{"description too long", func(in *ProductInput) { in.DescriptionZH = strings.Repeat("长", MaxDescriptionLen+1) }, 0, "description_zh", ReasonTooLong},
		{"free", func(in *ProductInput) { in.PriceMinor = 0 }, 0, "price", ReasonRange},
		{"no currency", func(in *ProductInput) { in.Currency = "usd" }, 0, "currency", ReasonCurrency},
		{"sort order out of range", func(in *ProductInput) { in.SortOrder = MaxSortOrder + 1 }, 0, "sort_order", ReasonRange},
		{"unknown category", func(in *ProductInput) { in.CategoryID = &unknown }, 0, "category", ReasonUnknown},
		{"negative stock", func(*ProductInput) {}, -1, "stock", ReasonRange},
	}
	for _, c := range alipayRefuses {
		tests = append(tests, struct {
			name   string
			change func(*ProductInput)
			stock  int
			field  string
			reason string
		}{"name with " + string(c), func(in *ProductInput) { in.Name = "Wool " + string(c) + " silk" }, 0, "name", ReasonAlipay})
	}
	before := countRows(t, db, &Product{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := scarfInput()
			tt.change(&in)
			_, err := db.CreateProduct(ctx, in, tt.stock, staffEntry())
			var ie *InputError
			require.ErrorAs(t, err, &ie)
			assert.ErrorIs(t, err, ErrInvalid)
			assert.Equal(t, map[string]string{tt.field: tt.reason}, ie.Fields)
		})
	}
	assert.Equal(t, before, countRows(t, db, &Product{}), "nothing created")
	assert.Empty(t, auditRows(t, db), "nothing audited")
}

func TestPriceChangeKeepsOrders(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	scarf := product(t, db, "silk-scarf")
	old := createOrder(t, db, "owner-1", Item{scarf.ID, 2})

	in := ProductInput{Slug: scarf.Slug, Name: "Silk shawl", NameZH: scarf.NameZH, Description: scarf.Description,
		DescriptionZH: scarf.DescriptionZH, PriceMinor: 4500, Currency: "USD"}
	_, err := db.UpdateProduct(ctx, scarf.ID, in, staffEntry())
	require.NoError(t, err)

	kept, err := db.OrderByNo(ctx, old.OrderNo)
	require.NoError(t, err)
	require.Len(t, kept.Lines, 1)
	assert.Equal(t, int64(3900), kept.Lines[0].UnitMinor, "the order keeps its price")
	assert.Equal(t, "Silk scarf", kept.Lines[0].Name, "and its name")
	assert.Equal(t, int64(7800), kept.TotalMinor)

	fresh := createOrder(t, db, "owner-2", Item{scarf.ID, 1})
	assert.Equal(t, int64(4500), fresh.Lines[0].UnitMinor, "a new order has the new price")
	assert.Equal(t, "Silk shawl", fresh.Lines[0].Name)

	es := auditRows(t, db)
	require.Len(t, es, 1)
	assert.Equal(t, "product_update", es[0].Action)
	assert.Equal(t, `name "Silk scarf" → "Silk shawl"; price 3900 USD → 4500 USD (minor units)`, es[0].Detail)

	_, err = db.UpdateProduct(ctx, scarf.ID, in, staffEntry())
	require.NoError(t, err)
	assert.Len(t, auditRows(t, db), 1, "saving without a change writes nothing")

	in.Slug = "tea-set"
	_, err = db.UpdateProduct(ctx, scarf.ID, in, staffEntry())
	var ie *InputError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, map[string]string{"slug": ReasonTaken}, ie.Fields)
	_, err = db.UpdateProduct(ctx, 9999, scarfInput(), staffEntry())
	assert.ErrorIs(t, err, ErrNotFound)
}

func TestHiddenProduct(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	mug := product(t, db, "ceramic-mug")
	pending := createOrder(t, db, "owner-1", Item{mug.ID, 1})

	_, err := db.SetHidden(ctx, mug.ID, true, staffEntry())
	require.NoError(t, err)
	_, err = db.SetHidden(ctx, mug.ID, true, staffEntry())
	require.NoError(t, err)
	_, ok := stocks(t, db)["ceramic-mug"]
	assert.False(t, ok, "the shop no longer lists it")
	all, err := db.AllProducts(ctx)
	require.NoError(t, err)
	assert.Len(t, all, 12, "the admin still does")
	_, _, err = db.CreateOrder(ctx, newOrder("owner-2", Item{mug.ID, 1}))
	assert.ErrorIs(t, err, ErrUnknownProduct, "it cannot be ordered")
	stored, err := db.OrderByNo(ctx, pending.OrderNo)
	require.NoError(t, err)
	assert.Equal(t, StatusPending, stored.Status, "orders made before keep it")

	_, err = db.SetHidden(ctx, mug.ID, false, staffEntry())
	require.NoError(t, err)
	assert.Contains(t, stocks(t, db), "ceramic-mug")
	createOrder(t, db, "owner-3", Item{mug.ID, 1})

	var actions []string
	for _, e := range auditRows(t, db) {
		actions = append(actions, e.Action+" "+e.Target)
	}
	assert.Equal(t, []string{"product_hide product ceramic-mug", "product_show product ceramic-mug"}, actions, "hiding twice is audited once")
	_, err = db.SetHidden(ctx, 9999, true, staffEntry())
	assert.ErrorIs(t, err, ErrNotFound)
}

func TestDeleteProduct(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	mug, pin := product(t, db, "ceramic-mug"), product(t, db, "enamel-pin")
	o := createOrder(t, db, "owner-1", Item{mug.ID, 1})
	_, err := db.CloseOrder(ctx, o.OrderNo, "expired")
	require.NoError(t, err)

	err = db.DeleteProduct(ctx, mug.ID, staffEntry())
	assert.ErrorIs(t, err, ErrOrdered, "a closed order still refers to it")
	assert.Equal(t, mug.ID, product(t, db, "ceramic-mug").ID)

	require.NoError(t, db.DeleteProduct(ctx, pin.ID, staffEntry()))
	_, err = db.ProductBySlug(ctx, "enamel-pin")
	assert.ErrorIs(t, err, ErrNotFound)
	assert.ErrorIs(t, db.DeleteProduct(ctx, pin.ID, staffEntry()), ErrNotFound)

	es := auditRows(t, db)
	require.Len(t, es, 1, "only the deletion that happened")
	assert.Equal(t, "product_delete", es[0].Action)
	assert.Equal(t, "product enamel-pin", es[0].Target)
}

func TestAdjustStock(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	pin := product(t, db, "enamel-pin") // 3 units
	createOrder(t, db, "owner-1", Item{pin.ID, 2})

	sp, err := db.CatalogProduct(ctx, pin.ID)
	require.NoError(t, err)
	assert.Equal(t, 1, sp.Stock, "available")
	assert.Equal(t, 2, sp.Held, "held by the pending order")
	assert.Equal(t, 3, sp.OnHand())

	ch, err := db.AdjustStock(ctx, pin.ID, 10, " delivery from the workshop ", staffEntry())
	require.NoError(t, err)
	assert.Equal(t, StockChange{Delta: 10, Before: 1, After: 11, Held: 2}, *ch)

	ch, err = db.AdjustStock(ctx, pin.ID, -11, "stocktake", staffEntry())
	require.NoError(t, err)
	assert.Equal(t, 0, ch.After)

	_, err = db.AdjustStock(ctx, pin.ID, -1, "broken", staffEntry())
	assert.ErrorIs(t, err, ErrStockShort, "the 2 units on hand are the pending order's")
	assert.Equal(t, 0, product(t, db, "enamel-pin").Stock)

	for _, tt := range []struct {
		delta  int
		reason string
		fields map[string]string
	}{
		{0, "nothing", map[string]string{"delta": ReasonRange}},
		{MaxStock + 1, "too many", map[string]string{"delta": ReasonRange}},
		{5, "  ", map[string]string{"reason": ReasonRequired}},
		{5, "tab\tin it", map[string]string{"reason": ReasonControl}},
		{5, strings.Repeat("x", MaxReasonLen+1), map[string]string{"reason": ReasonTooLong}},
	} {
		_, err := db.AdjustStock(ctx, pin.ID, tt.delta, tt.reason, staffEntry())
		var ie *InputError
		require.ErrorAs(t, err, &ie, "%d %q", tt.delta, tt.reason)
		assert.Equal(t, tt.fields, ie.Fields)
	}
	_, err = db.AdjustStock(ctx, 9999, 1, "nothing there", staffEntry())
	assert.ErrorIs(t, err, ErrNotFound)

	es := auditRows(t, db)
	require.Len(t, es, 2, "the two adjustments made")
	assert.Equal(t, "stock_adjust", es[0].Action)
	assert.Equal(t, "product enamel-pin", es[0].Target)
	assert.Equal(t, "ann", es[0].Staff)
	assert.Equal(t, "stock +10 (delivery from the workshop): available 1 → 11, on hand 3 → 13, held by pending orders 2", es[0].Detail)
	assert.Equal(t, "stock -11 (stocktake): available 11 → 0, on hand 13 → 2, held by pending orders 2", es[1].Detail)
}

// TestAdjustStockWithCheckouts runs adjustments that take units away and
// add them, and checkouts, all at once on one product: the stock never
// goes below zero (the database's check would refuse it) and the final
// stock is the start plus what succeeded.
func TestAdjustStockWithCheckouts(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	pin := product(t, db, "enamel-pin")
	require.NoError(t, db.Gorm().Model(&Product{}).Where("id = ?", pin.ID).Update("stock", 10).Error)

	const takers, adders, buyers = 16, 8, 24
	var taken, added, sold, refused atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range takers + adders + buyers {
		wg.Go(func() {
			<-start
			switch {
			case i < takers:
				_, err := db.AdjustStock(ctx, pin.ID, -2, "breakage", staffEntry())
				if err == nil {
					taken.Add(2)
				} else if assert.ErrorIs(t, err, ErrStockShort) {
					refused.Add(1)
				}
			case i < takers+adders:
				_, err := db.AdjustStock(ctx, pin.ID, 1, "found one", staffEntry())
				if assert.NoError(t, err) {
					added.Add(1)
				}
			default:
				_, _, err := db.CreateOrder(ctx, newOrder("buyer", Item{pin.ID, 1}))
				if err == nil {
					sold.Add(1)
				} else if assert.ErrorIs(t, err, ErrOutOfStock) {
					refused.Add(1)
				}
			}
		})
	}
	close(start)
	wg.Wait()

	sp, err := db.CatalogProduct(ctx, pin.ID)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, sp.Stock, 0)
	assert.Equal(t, int(10-taken.Load()+added.Load()-sold.Load()), sp.Stock, "the final stock adds up")
	assert.Equal(t, int(sold.Load()), sp.Held, "each order holds its unit")
	assert.EqualValues(t, sold.Load(), countRows(t, db, &Order{}))
	assert.Positive(t, refused.Load(), "more was asked than there was")
	var adjustments int64
	require.NoError(t, db.Gorm().Model(&AuditEntry{}).Where("action = ?", "stock_adjust").Count(&adjustments).Error)
	assert.Equal(t, taken.Load()/2+added.Load(), adjustments, "each adjustment made is audited, and only those")
}

func TestCategories(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	c, err := db.SaveCategory(ctx, 0, CategoryInput{Slug: "kitchen", Name: " Kitchen ", NameZH: "厨房", SortOrder: 2}, staffEntry())
	require.NoError(t, err)
	assert.Equal(t, "Kitchen", c.Name)

	_, err = db.SaveCategory(ctx, 0, CategoryInput{Slug: "kitchen", Name: "Other"}, staffEntry())
	var ie *InputError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, map[string]string{"slug": ReasonTaken}, ie.Fields)
	_, err = db.SaveCategory(ctx, 0, CategoryInput{Slug: "Bad Slug", Name: ""}, staffEntry())
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, map[string]string{"slug": ReasonFormat, "name": ReasonRequired}, ie.Fields)

	c, err = db.SaveCategory(ctx, c.ID, CategoryInput{Slug: "kitchenware", Name: "Kitchenware", NameZH: "厨具", SortOrder: 2}, staffEntry())
	require.NoError(t, err)
	assert.Equal(t, "kitchenware", c.Slug)

	mug, tea := product(t, db, "ceramic-mug"), product(t, db, "tea-set")
	for _, p := range []Product{mug, tea} {
		in := ProductInput{Slug: p.Slug, Name: p.Name, NameZH: p.NameZH, Description: p.Description,
			DescriptionZH: p.DescriptionZH, PriceMinor: p.PriceMinor, Currency: p.Currency, CategoryID: &c.ID}
		_, err := db.UpdateProduct(ctx, p.ID, in, staffEntry())
		require.NoError(t, err)
	}
	counts, err := db.CategoriesWithCounts(ctx)
	require.NoError(t, err)
	require.Len(t, counts, 1)
	assert.Equal(t, 2, counts[0].Products)

	require.NoError(t, db.DeleteCategory(ctx, c.ID, staffEntry()))
	got := product(t, db, "ceramic-mug")
	assert.Nil(t, got.CategoryID, "the product stays, without a category")
	assert.Nil(t, got.Category)
	assert.ErrorIs(t, db.DeleteCategory(ctx, c.ID, staffEntry()), ErrNotFound)
	_, err = db.CategoryByID(ctx, c.ID)
	assert.ErrorIs(t, err, ErrNotFound)

	var actions []string
	for _, e := range auditRows(t, db) {
		if strings.HasPrefix(e.Action, "category_") {
			actions = append(actions, e.Action+": "+e.Detail)
		}
	}
	assert.Equal(t, []string{
		`category_create: "Kitchen" / "厨房", sort order 2`,
		`category_update: slug "kitchen" → "kitchenware"; name "Kitchen" → "Kitchenware"; name_zh "厨房" → "厨具"`,
		`category_delete: "Kitchenware"; 2 products left without a category`,
	}, actions)
}

func TestInputErrorIsInvalid(t *testing.T) {
	err := error(&InputError{Fields: map[string]string{"slug": ReasonFormat, "name": ReasonRequired}})
	assert.True(t, errors.Is(err, ErrInvalid))
	assert.Equal(t, "invalid name: required, slug: format", err.Error())
}
