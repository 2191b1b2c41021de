package models

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"shop/internal/testdb"
)

func openBenchDB(b *testing.B) *DB {
	db, err := Open(context.Background(), testdb.Source(b), nil)
	require.NoError(b, err)
	b.Cleanup(func() { require.NoError(b, db.Close()) })
	require.NoError(b, db.SeedCatalog(context.Background(), "USD", 2))
	return db
}

// BenchmarkProducts reads the catalog the home page shows: the query, its
// preparation and the scan into structs.
func BenchmarkProducts(b *testing.B) {
	db := openBenchDB(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := db.Products(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCreateOrder creates one-item orders: a write transaction of
// several statements and a full commit.
func BenchmarkCreateOrder(b *testing.B) {
	db := openBenchDB(b)
	ctx := context.Background()
	require.NoError(b, db.Gorm().Exec("UPDATE products SET stock = 100000000").Error)
	b.ReportAllocs()
	for b.Loop() {
		_, _, err := db.CreateOrder(ctx, NewOrder{OwnerID: "bench", Channel: ChannelWAP, Currency: "USD",
			Items: []Item{{ProductID: 1, Quantity: 1}}, ExpiresAt: time.Now().Add(time.Hour)})
		if err != nil {
			b.Fatal(err)
		}
	}
}
