package models

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// usd reads and writes prices as the handlers do for USD: two decimals,
// nothing else.
type usd struct{}

var usdPrice = regexp.MustCompile(`^([0-9]{1,7})\.([0-9]{2})$`)

func (usd) Currency() string { return "USD" }

func (usd) Parse(s string) (int64, bool) {
	m := usdPrice.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	whole, _ := strconv.ParseInt(m[1], 10, 64)
	cents, _ := strconv.ParseInt(m[2], 10, 64)
	return whole*100 + cents, whole*100+cents > 0
}

func (usd) Format(minor int64) string { return fmt.Sprintf("%d.%02d", minor/100, minor%100) }

// catalogState is what an import may change, by slug.
func catalogState(t *testing.T, db *DB) map[string]StockedProduct {
	t.Helper()
	ps, err := db.CatalogProducts(context.Background())
	require.NoError(t, err)
	m := map[string]StockedProduct{}
	for _, p := range ps {
		p.UpdatedAt, p.CreatedAt = p.UpdatedAt.UTC().Truncate(0), p.CreatedAt.UTC().Truncate(0)
		if p.Category != nil {
			p.Category.CreatedAt, p.Category.UpdatedAt = p.Category.CreatedAt.UTC(), p.Category.UpdatedAt.UTC()
		}
		m[p.Slug] = p
	}
	return m
}

func exportRows(t *testing.T, db *DB) []CatalogRow {
	t.Helper()
	rows, err := db.CatalogRows(context.Background(), usd{})
	require.NoError(t, err)
	for i := range rows {
		rows[i].Line = i + 2 // after the header
	}
	return rows
}

func TestCatalogRoundTrip(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	cat, err := db.SaveCategory(ctx, 0, CategoryInput{Slug: "tea", Name: "Tea", NameZH: "茶"}, staffEntry())
	require.NoError(t, err)
	tea := product(t, db, "tea-set")
	createOrder(t, db, "owner-1", Item{tea.ID, 2}) // 4 available, 2 held, 6 on hand
	in := ProductInput{Slug: tea.Slug, Name: tea.Name, NameZH: tea.NameZH, Description: "Line one.\nLine two, with a comma.",
		PriceMinor: tea.PriceMinor, Currency: "USD", CategoryID: &cat.ID, SortOrder: -3, Hidden: true}
	_, err = db.UpdateProduct(ctx, tea.ID, in, staffEntry())
	require.NoError(t, err)

	rows := exportRows(t, db)
	require.Len(t, rows, 12)
	assert.Equal(t, CatalogRow{Line: 2, Slug: "tea-set", Name: "Celadon tea set", NameZH: "青瓷茶具", Description: "Line one.\nLine two, with a comma.",
		Price: "56.00", Currency: "USD", Stock: "6", Category: "tea", SortOrder: "-3", Hidden: "true"}, rows[0], "sorted first, stock on hand")
	assert.Equal(t, rows[1], NewCatalogRow(rows[1].Line, rows[1].Cells()))

	before := catalogState(t, db)
	audits := len(auditRows(t, db))
	res, err := db.ImportCatalog(ctx, rows, usd{}, staffEntry())
	require.NoError(t, err)
	assert.Equal(t, ImportResult{Unchanged: 12}, *res)
	assert.Equal(t, before, catalogState(t, db), "the same catalog")
	es := auditRows(t, db)
	require.Len(t, es, audits+1, "only the import itself")
	assert.Equal(t, "catalog_import", es[audits].Action)
	assert.Equal(t, "12 rows: 0 new, 0 changed, 0 with only their stock changed, 12 unchanged", es[audits].Detail)
}

func TestImportCatalogChanges(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	_, err := db.SaveCategory(ctx, 0, CategoryInput{Slug: "gifts", Name: "Gifts"}, staffEntry())
	require.NoError(t, err)
	pin := product(t, db, "enamel-pin") // 3 units
	createOrder(t, db, "owner-1", Item{pin.ID, 2})

	rows := exportRows(t, db)
	for i := range rows {
		switch rows[i].Slug {
		case "silk-scarf":
			rows[i].Price, rows[i].Category = "41.50", "gifts"
		case "enamel-pin":
			rows[i].Stock = "10" // on hand: 3 → 10
		case "ceramic-mug":
			rows[i].Stock, rows[i].Hidden = "2", "TRUE" // 20 → 2, and hidden
		}
	}
	rows = append(rows, NewCatalogRow(14, []string{"paper-fan", "Paper fan", "", "", "", "8.00", "USD", "30", "gifts", "", "false"}))
	res, err := db.ImportCatalog(ctx, rows, usd{}, staffEntry())
	require.NoError(t, err)
	assert.Equal(t, ImportResult{Created: 1, Updated: 2, Restocked: 1, Unchanged: 9}, *res)

	after := catalogState(t, db)
	assert.Equal(t, int64(4150), after["silk-scarf"].PriceMinor)
	assert.Equal(t, "gifts", after["silk-scarf"].Category.Slug)
	assert.Equal(t, 8, after["enamel-pin"].Stock, "available: 10 on hand less the 2 held")
	assert.Equal(t, 2, after["enamel-pin"].Held)
	assert.Equal(t, 2, after["ceramic-mug"].Stock)
	assert.True(t, after["ceramic-mug"].Hidden)
	assert.Equal(t, 30, after["paper-fan"].Stock, "a new product's stock is set as it is")
	assert.Equal(t, "Paper fan", after["paper-fan"].Name)

	var lines []string
	for _, e := range auditRows(t, db) {
		if e.Action != "category_create" {
			lines = append(lines, e.Action+" "+e.Target+": "+e.Detail)
		}
	}
	assert.Equal(t, []string{
		"product_update product silk-scarf: CSV import: price 3900 USD → 4150 USD (minor units); category none → 1",
		"product_update product ceramic-mug: CSV import: hidden false → true",
		"stock_adjust product ceramic-mug: stock -18 (CSV import): available 20 → 2, on hand 20 → 2, held by pending orders 0",
		"stock_adjust product enamel-pin: stock +7 (CSV import): available 1 → 8, on hand 3 → 10, held by pending orders 2",
		`product_create product paper-fan: CSV import: "Paper fan", price 800 USD (minor units), stock 30, hidden false`,
		"catalog_import catalog: 13 rows: 1 new, 2 changed, 1 with only their stock changed, 9 unchanged",
	}, lines)
}

func TestImportCatalogRefused(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	pin := product(t, db, "enamel-pin")
	createOrder(t, db, "owner-1", Item{pin.ID, 2})
	good := exportRows(t, db)
	good[0].Price = "99.00" // would change, if the file were good

	tests := []struct {
		name   string
		change func(*CatalogRow)
		column string
		reason string
	}{
		{"unknown category", func(r *CatalogRow) { r.Category = "no-such-category" }, "category", ReasonUnknown},
		{"another currency", func(r *CatalogRow) { r.Currency = "EUR" }, "currency", ReasonCurrency},
		{"negative stock", func(r *CatalogRow) { r.Stock = "-1" }, "stock", ReasonRange},
		{"stock not a number", func(r *CatalogRow) { r.Stock = "ten" }, "stock", ReasonFormat},
		{"stock below what pending orders hold", func(r *CatalogRow) { r.Slug, r.Stock = "enamel-pin", "1" }, "stock", ReasonBelowHeld},
		{"malformed price", func(r *CatalogRow) { r.Price = "12,50" }, "price", ReasonFormat},
		{"price with a float's exponent", func(r *CatalogRow) { r.Price = "1e3" }, "price", ReasonFormat},
		{"zero price", func(r *CatalogRow) { r.Price = "0.00" }, "price", ReasonFormat},
		{"bad slug", func(r *CatalogRow) { r.Slug = "Paper Fan" }, "slug", ReasonFormat},
		{"duplicate slug", func(r *CatalogRow) { r.Slug = "silk-scarf" }, "slug", ReasonDuplicate},
		{"name Alipay refuses", func(r *CatalogRow) { r.Name = "Fan & co" }, "name", ReasonAlipay},
		{"no name", func(r *CatalogRow) { r.Name = "" }, "name", ReasonRequired},
		{"hidden neither true nor false", func(r *CatalogRow) { r.Hidden = "maybe" }, "hidden", ReasonFormat},
		{"sort order not a number", func(r *CatalogRow) { r.SortOrder = "first" }, "sort_order", ReasonFormat},
	}
	before := catalogState(t, db)
	audits := len(auditRows(t, db))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := append([]CatalogRow(nil), good...)
			bad := NewCatalogRow(len(rows)+2, []string{"paper-fan", "Paper fan", "纸扇", "", "", "8.00", "USD", "30", "", "0", "false"})
			tt.change(&bad)
			if tt.reason == ReasonBelowHeld {
				// The pin's own line is the bad one.
				rows = slices.DeleteFunc(rows, func(r CatalogRow) bool { return r.Slug == bad.Slug })
			}
			// The bad row among good ones, then a good new one.
			rows = append(rows, bad, NewCatalogRow(bad.Line+1, []string{"ink-stone", "Ink stone", "", "", "", "20.00", "USD", "5", "", "", ""}))
			_, err := db.ImportCatalog(ctx, rows, usd{}, staffEntry())
			var ie *ImportError
			require.ErrorAs(t, err, &ie)
			assert.ErrorIs(t, err, ErrInvalid)
			assert.Equal(t, []Problem{{Line: bad.Line, Column: tt.column, Reason: tt.reason}}, ie.Problems)
			assert.Equal(t, before, catalogState(t, db), "nothing imported")
			assert.Len(t, auditRows(t, db), audits, "nothing audited")
		})
	}

	t.Run("every problem, in file order", func(t *testing.T) {
		rows := append([]CatalogRow(nil), good...)
		rows[3].Price, rows[3].Slug = "", "BAD"
		rows[1].Currency = "JPY"
		_, err := db.ImportCatalog(ctx, rows, usd{}, staffEntry())
		var ie *ImportError
		require.ErrorAs(t, err, &ie)
		assert.Equal(t, []Problem{{rows[1].Line, "currency", ReasonCurrency}, {rows[3].Line, "slug", ReasonFormat},
			{rows[3].Line, "price", ReasonFormat}}, ie.Problems)
		assert.True(t, strings.HasPrefix(err.Error(), "import catalog: import refused: 3 problems, the first on line 3, currency"), err.Error())
	})
	t.Run("too many rows", func(t *testing.T) {
		rows := make([]CatalogRow, MaxImportRows+1)
		for i := range rows {
			rows[i] = NewCatalogRow(i+2, nil)
		}
		_, err := db.ImportCatalog(ctx, rows, usd{}, staffEntry())
		var ie *ImportError
		require.ErrorAs(t, err, &ie)
		assert.Equal(t, []Problem{{Line: MaxImportRows + 2, Reason: ReasonRange}}, ie.Problems)
	})
}
