package models

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/internal/testdb"
)

func TestSeedCatalog(t *testing.T) {
	tests := []struct {
		currency string
		exponent int
		slug     string
		want     int64
	}{
		{"USD", 2, "bamboo-notebook", 1250},
		{"EUR", 2, "tea-set", 5600},
		{"JPY", 0, "bamboo-notebook", 1250},
		{"KRW", 0, "enamel-pin", 650},
		{"KWD", 3, "postcard-set", 8000},
	}
	for _, tt := range tests {
		t.Run(tt.currency, func(t *testing.T) {
			ctx := context.Background()
			db, err := Open(context.Background(), testdb.Source(t), nil)
			require.NoError(t, err)
			defer db.Close()

			require.NoError(t, db.SeedCatalog(ctx, tt.currency, tt.exponent))
			first, err := db.Products(ctx)
			require.NoError(t, err)
			// Seeding again, even in another currency, changes nothing.
			require.NoError(t, db.SeedCatalog(ctx, "GBP", 2))
			again, err := db.Products(ctx)
			require.NoError(t, err)
			assert.Equal(t, first, again)

			require.Len(t, first, 12)
			for i, p := range first {
				if i > 0 {
					assert.Less(t, first[i-1].ID, p.ID, "ordered by ID")
				}
				assert.Equal(t, tt.currency, p.Currency)
				assert.Equal(t, "/assets/img/"+p.Slug+".svg", p.Image)
				assert.GreaterOrEqual(t, p.Stock, 3, p.Slug)
				assert.LessOrEqual(t, p.Stock, 25, p.Slug)
				for _, s := range []string{p.Name, p.NameZH, p.Description, p.DescriptionZH} {
					assert.NotEmpty(t, s, p.Slug)
					assert.False(t, strings.ContainsAny(s, `"'&=?%#^|`), "%s: %q has a character Alipay rejects", p.Slug, s)
				}
			}
			assert.Equal(t, tt.want, product(t, db, tt.slug).PriceMinor)
			assert.Equal(t, 3, product(t, db, "enamel-pin").Stock)
		})
	}
}

func TestSeedCatalogRejectsBadInput(t *testing.T) {
	tests := []struct {
		currency string
		exponent int
	}{
		{"usd", 2},
		{"", 2},
		{"USD", 1},
		{"USD", -1},
	}
	for _, tt := range tests {
		t.Run(tt.currency, func(t *testing.T) {
			db, err := Open(context.Background(), testdb.Source(t), nil)
			require.NoError(t, err)
			defer db.Close()
			assert.Error(t, db.SeedCatalog(context.Background(), tt.currency, tt.exponent))
			assert.Zero(t, countRows(t, db, &Product{}))
		})
	}
}

func TestProductLookups(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()

	p, err := db.ProductBySlug(ctx, "tea-set")
	require.NoError(t, err)
	assert.Equal(t, "Celadon tea set", p.Name)
	assert.Equal(t, "青瓷茶具", p.NameZH)

	_, err = db.ProductBySlug(ctx, "no-such-thing")
	assert.ErrorIs(t, err, ErrNotFound)

	scarf := product(t, db, "silk-scarf")
	m, err := db.ProductsByID(ctx, []uint{p.ID, scarf.ID, 9999})
	require.NoError(t, err)
	assert.Len(t, m, 2)
	assert.Equal(t, "tea-set", m[p.ID].Slug)
	assert.Equal(t, "silk-scarf", m[scarf.ID].Slug)

	m, err = db.ProductsByID(ctx, nil)
	require.NoError(t, err)
	assert.Empty(t, m)
}

// TestSeedDemo: the first start files every demo product in a category,
// in both languages; later starts change nothing, even once the merchant
// has deleted a category.
func TestSeedDemo(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, testdb.Source(t), nil)
	require.NoError(t, err)
	defer db.Close()

	require.NoError(t, db.SeedDemo(ctx, "USD", 2))
	cats, err := db.Categories(ctx)
	require.NoError(t, err)
	require.Len(t, cats, 4)
	assert.Equal(t, []string{"tea-kitchen", "accessories", "stationery", "home-travel"},
		[]string{cats[0].Slug, cats[1].Slug, cats[2].Slug, cats[3].Slug}, "in order")
	products, err := db.Products(ctx)
	require.NoError(t, err)
	require.Len(t, products, 12)
	for _, p := range products {
		if assert.NotNil(t, p.Category, p.Slug) {
			assert.NotEmpty(t, p.Category.NameZH, p.Slug)
		}
	}
	assert.Equal(t, "accessories", product(t, db, "silk-scarf").Category.Slug)

	require.NoError(t, db.DeleteCategory(ctx, cats[2].ID, staffEntry()))
	require.NoError(t, db.SeedDemo(ctx, "USD", 2))
	cats, err = db.Categories(ctx)
	require.NoError(t, err)
	assert.Len(t, cats, 3, "a deleted category stays deleted")
	assert.Nil(t, product(t, db, "postcard-set").Category)
}
