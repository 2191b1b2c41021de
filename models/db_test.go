package models

import (
	"context"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/internal/testdb"
)

func TestOpenSetsPragmasOnEveryConnection(t *testing.T) {
	testdb.SkipOnPostgres(t, "SQLite's pragmas")
	db := openTestDB(t)
	sqlDB, err := db.Gorm().DB()
	require.NoError(t, err)
	ctx := context.Background()

	// Hold several connections at once so the pool must hand out distinct ones.
	const conns = 4
	for i := range conns {
		c, err := sqlDB.Conn(ctx)
		require.NoError(t, err)
		defer c.Close()
		tests := []struct {
			pragma string
			want   string
		}{
			{"journal_mode", "wal"},
			{"busy_timeout", "5000"},
			{"foreign_keys", "1"},
			{"synchronous", "2"}, // FULL
		}
		for _, tt := range tests {
			var got string
			require.NoError(t, c.QueryRowContext(ctx, "PRAGMA "+tt.pragma).Scan(&got))
			assert.Equal(t, tt.want, strings.ToLower(got), "connection %d: PRAGMA %s", i, tt.pragma)
		}
	}
}

// TestWriteTransactionsAreImmediate shows that a transaction takes the
// write lock when it begins: while it is open, another connection that
// will not wait (busy_timeout 0) cannot begin a write. Nothing is timed.
func TestWriteTransactionsAreImmediate(t *testing.T) {
	testdb.SkipOnPostgres(t, "SQLite's BEGIN IMMEDIATE")
	tests := []struct {
		name       string
		txlock     string
		wantLocked bool
	}{
		{"immediate (production DSN)", "immediate", true},
		// Control: shows the check can tell a deferred transaction apart.
		{"deferred control", "deferred", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "lock.db")
			d := strings.Replace(dsn(path), "_txlock=immediate", "_txlock="+tt.txlock, 1)
			g, err := openGorm(d, nil)
			require.NoError(t, err)
			db := &DB{gorm: g}
			t.Cleanup(func() { require.NoError(t, db.Close()) })
			require.NoError(t, db.Migrate(ctx))

			a := db.Gorm().Begin()
			require.NoError(t, a.Error)
			defer a.Rollback()

			noWait := strings.Replace(dsn(path), url.QueryEscape("busy_timeout(5000)"), url.QueryEscape("busy_timeout(0)"), 1)
			require.NotEqual(t, dsn(path), noWait)
			other, err := openGorm(noWait, nil)
			require.NoError(t, err)
			otherDB := &DB{gorm: other}
			defer otherDB.Close()
			b := otherDB.Gorm().WithContext(ctx).Begin()
			if b.Error == nil {
				b.Rollback()
			}
			if tt.wantLocked {
				assert.ErrorContains(t, b.Error, "locked", "A holds the write lock from BEGIN on")
			} else {
				assert.NoError(t, b.Error, "a deferred BEGIN takes no lock")
			}
		})
	}
}

func TestOpenAgainKeepsDataAndConstraints(t *testing.T) {
	path := testdb.Source(t)
	db, err := Open(context.Background(), path, nil)
	require.NoError(t, err)
	require.NoError(t, db.SeedCatalog(context.Background(), "USD", 2))
	require.NoError(t, db.Close())

	db, err = Open(context.Background(), path, nil)
	require.NoError(t, err)
	defer db.Close()
	assert.NoError(t, db.Ping(context.Background()))
	assert.EqualValues(t, len(catalog), countRows(t, db, &Product{}))

	tests := []struct {
		name string
		sql  string
	}{
		{"stock never negative", "UPDATE products SET stock = -1 WHERE slug = 'silk-scarf'"},
		{"price positive", "UPDATE products SET price_minor = 0 WHERE slug = 'silk-scarf'"},
		{"duplicate slug", "UPDATE products SET slug = 'tea-set' WHERE slug = 'silk-scarf'"},
		{"line needs an existing order", "INSERT INTO order_lines (order_id, product_id, name, unit_minor, quantity) VALUES (999, 1, 'x', 1, 1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Error(t, db.Gorm().Exec(tt.sql).Error)
		})
	}
}
