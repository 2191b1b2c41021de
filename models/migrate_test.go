package models

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/internal/testdb"
)

// legacyDB is a database written by the shop's first release, whose schema
// GORM's automatic migration made: five orders (one paid, with its notification)
// and the sandbox's tables beside the shop's.
const legacyDB = "testdata/automigrate-schema.db"

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	require.NoError(t, err)
	defer src.Close()
	dst, err := os.Create(to)
	require.NoError(t, err)
	_, err = io.Copy(dst, src)
	require.NoError(t, err)
	require.NoError(t, dst.Close())
}

func TestMigrationsAdoptFirstReleaseDatabase(t *testing.T) {
	testdb.SkipOnPostgres(t, "the first release ran on SQLite only")
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "shop.db")
	copyFile(t, legacyDB, path)

	db, err := Open(ctx, path, nil)
	require.NoError(t, err)
	defer db.Close()

	v, err := db.SchemaVersion(ctx)
	require.NoError(t, err)
	assert.Equal(t, latestMigration(t), v, "every migration is recorded")

	var orders []Order
	require.NoError(t, db.Gorm().Preload("Lines").Order("id").Find(&orders).Error)
	require.Len(t, orders, 5, "no order lost")
	paid := 0
	for _, o := range orders {
		assert.NotEmpty(t, o.Lines, o.OrderNo)
		assert.Equal(t, "USD", o.Currency)
		if o.Status == StatusPaid {
			paid++
			require.NotNil(t, o.TradeNo)
			ns, err := db.Notifications(ctx, o.ID)
			require.NoError(t, err)
			require.Len(t, ns, 1)
			assert.Equal(t, VerdictPaid, ns[0].Verdict)
		}
	}
	assert.Equal(t, 1, paid)
	assert.EqualValues(t, len(catalog), countRows(t, db, &Product{}))

	// The adopted database works like a new one: an order can be created
	// and paid.
	o := createOrder(t, db, "after-adoption", Item{ProductID: product(t, db, "tea-set").ID, Quantity: 1})
	v2, _, err := db.ApplyPayment(ctx, &Notification{NotifyID: "n1"}, Payment{OrderNo: o.OrderNo, TradeNo: "2026120222001000000000000009",
		Event: EventPaid, AmountMinor: o.TotalMinor, Currency: "USD", At: time.Now()})
	require.NoError(t, err)
	assert.Equal(t, VerdictPaid, v2)

	// The sandbox's tables are the sandbox's business: untouched.
	var sandboxTrades int64
	require.NoError(t, db.Gorm().Raw("SELECT COUNT(*) FROM sandbox_trades").Scan(&sandboxTrades).Error)
	assert.EqualValues(t, 2, sandboxTrades)
}

func TestMigrateTwiceIsANoOp(t *testing.T) {
	ctx := context.Background()
	path := testdb.Source(t)
	db, err := Open(ctx, path, nil)
	require.NoError(t, err)
	require.NoError(t, db.SeedCatalog(ctx, "USD", 2))
	require.NoError(t, db.Migrate(ctx))
	require.NoError(t, db.Close())

	db, err = Open(ctx, path, nil)
	require.NoError(t, err)
	defer db.Close()
	var rows int64
	require.NoError(t, db.Gorm().Raw("SELECT COUNT(*) FROM "+migrationTable+" WHERE version_id > 0").Scan(&rows).Error)
	assert.Equal(t, latestMigration(t), rows, "one row per migration, however often it runs")
}

// TestConcurrentStarts opens one new file from several goroutines at once,
// each with its own connection pool, as several processes starting
// together would: the start-up lock lets exactly one apply the migrations.
func TestConcurrentStarts(t *testing.T) {
	ctx := context.Background()
	path := testdb.Source(t)
	const n = 6
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := Open(ctx, path, nil)
			if err == nil {
				err = db.SeedCatalog(ctx, "USD", 2)
				db.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		assert.NoError(t, err, "start %d", i)
	}
	db, err := Open(ctx, path, nil)
	require.NoError(t, err)
	defer db.Close()
	assert.EqualValues(t, len(catalog), countRows(t, db, &Product{}), "seeded once")
	var rows int64
	require.NoError(t, db.Gorm().Raw("SELECT COUNT(*) FROM "+migrationTable+" WHERE version_id > 0").Scan(&rows).Error)
	assert.Equal(t, latestMigration(t), rows)
}

func TestOpenRefusesADirectory(t *testing.T) {
	testdb.SkipOnPostgres(t, "DB_PATH names a SQLite file")
	_, err := Open(context.Background(), t.TempDir(), nil)
	assert.ErrorContains(t, err, "is a directory")
}

func TestCheckCatalogCurrency(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, testdb.Source(t), nil)
	require.NoError(t, err)
	defer db.Close()
	assert.NoError(t, db.CheckCatalogCurrency(ctx, "EUR"), "an empty catalog suits any currency")
	require.NoError(t, db.SeedCatalog(ctx, "USD", 2))
	assert.NoError(t, db.CheckCatalogCurrency(ctx, "USD"))
	err = db.CheckCatalogCurrency(ctx, "EUR")
	var ce *CurrencyError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "EUR", ce.Want)
	assert.Equal(t, []string{"USD"}, ce.Stored)
	assert.ErrorIs(t, err, ErrCurrency)
}

// latestMigration is the number of the newest embedded migration file.
func latestMigration(t *testing.T) int64 {
	t.Helper()
	names, err := filepath.Glob("migrations/sqlite/*.sql")
	require.NoError(t, err)
	require.NotEmpty(t, names)
	return int64(len(names))
}
