package models

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

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
			d := strings.Replace(dsn(path, busyTimeout), "_txlock=immediate", "_txlock="+tt.txlock, 1)
			g, err := openGorm(d, nil)
			require.NoError(t, err)
			db := &DB{gorm: g}
			t.Cleanup(func() { require.NoError(t, db.Close()) })
			require.NoError(t, db.Migrate(ctx))

			a := db.Gorm().Begin()
			require.NoError(t, a.Error)
			defer a.Rollback()

			noWait := dsn(path, 0)
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

// TestWritersQueueInProcess shows that writers in one process wait for
// each other in Go, not in SQLite's busy handler: with a busy_timeout of
// 20 ms, a writer that arrives while another holds the lock far longer
// still succeeds, and so does every writer of a burst.
func TestWritersQueueInProcess(t *testing.T) {
	testdb.SkipOnPostgres(t, "SQLite's single writer")
	ctx := context.Background()
	db, err := openSQLite(ctx, filepath.Join(t.TempDir(), "queue.db"), 20*time.Millisecond, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	beat := func(tx *gorm.DB) error {
		return tx.Exec("UPDATE heartbeats SET at = ? WHERE id = 1", time.Now().UTC()).Error
	}

	t.Run("a long holder", func(t *testing.T) {
		entered, secondDone := make(chan struct{}), make(chan error, 1)
		first := make(chan error, 1)
		go func() {
			first <- db.transaction(ctx, func(tx *gorm.DB) error {
				close(entered)
				// Hold the lock until the second writer gives up (which
				// it does after 20 ms if it waits in SQLite) or, when it
				// waits in Go, for 50 times its busy_timeout.
				select {
				case err := <-secondDone:
					secondDone <- err
				case <-time.After(time.Second):
				}
				return beat(tx)
			})
		}()
		<-entered
		go func() { secondDone <- db.transaction(ctx, beat) }()
		require.NoError(t, <-first)
		assert.NoError(t, <-secondDone, "the second writer waited its turn")
	})

	t.Run("a burst", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for range 64 {
			wg.Go(func() { errs <- db.transaction(ctx, beat) })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			assert.NoError(t, err)
		}
	})

	t.Run("a writer whose context ends while it waits", func(t *testing.T) {
		entered, release := make(chan struct{}), make(chan struct{})
		first := make(chan error, 1)
		go func() {
			first <- db.transaction(ctx, func(tx *gorm.DB) error {
				close(entered)
				<-release
				return nil
			})
		}()
		<-entered
		waiting, cancel := context.WithCancel(ctx)
		cancel()
		err := db.transaction(waiting, func(tx *gorm.DB) error {
			t.Error("ran without the writer")
			return nil
		})
		assert.ErrorIs(t, err, context.Canceled)
		close(release)
		require.NoError(t, <-first)
	})
}
