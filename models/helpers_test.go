package models

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"shop/internal/testdb"
)

// openTestDB opens a fresh database file under t.TempDir() with the USD
// catalog seeded.
func openTestDB(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), testdb.Migrated(t, migrated), nil)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	require.NoError(t, db.SeedCatalog(context.Background(), "USD", 2))
	return db
}

// migrated creates the database at path with every migration applied.
func migrated(path string) error {
	db, err := Open(context.Background(), path, nil)
	if err != nil {
		return err
	}
	return db.Close()
}

// product returns the seeded product with the given slug.
func product(t *testing.T, db *DB, slug string) Product {
	t.Helper()
	p, err := db.ProductBySlug(context.Background(), slug)
	require.NoError(t, err)
	return *p
}

// stocks returns every product's stock keyed by slug.
func stocks(t *testing.T, db *DB) map[string]int {
	t.Helper()
	ps, err := db.Products(context.Background())
	require.NoError(t, err)
	m := make(map[string]int, len(ps))
	for _, p := range ps {
		m[p.Slug] = p.Stock
	}
	return m
}

// newOrder returns a valid USD order request for owner with the items.
func newOrder(owner string, items ...Item) NewOrder {
	return NewOrder{
		OwnerID: owner, Channel: ChannelWAP, Currency: "USD", Items: items,
		Name: "Li Lei", Phone: "+86 138 0000 0000", Email: "li@example.com", Address: "1 Nanjing Road",
		ExpiresAt: time.Now().Add(30 * time.Minute),
	}
}

// createOrder creates an order for owner and fails the test on error.
func createOrder(t *testing.T, db *DB, owner string, items ...Item) *Order {
	t.Helper()
	o, created, err := db.CreateOrder(context.Background(), newOrder(owner, items...))
	require.NoError(t, err)
	require.True(t, created)
	return o
}

// countRows counts the rows of a model's table.
func countRows(t *testing.T, db *DB, model any) int64 {
	t.Helper()
	var n int64
	require.NoError(t, db.Gorm().Model(model).Count(&n).Error)
	return n
}
