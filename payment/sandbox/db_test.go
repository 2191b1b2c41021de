package sandbox_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
)

// TestOpenSQLite proves the settings of the sandbox's handle on every
// pooled connection: the DSN is easy to get subtly wrong.
func TestOpenSQLite(t *testing.T) {
	t.Parallel()
	db := openDB(t, filepath.Join(t.TempDir(), "settings.db"))
	sqlDB, err := db.DB()
	require.NoError(t, err)
	c := ctx(t)

	assert.Equal(t, time.UTC, db.Config.NowFunc().Location(), "gorm stamps times in UTC")
	assert.Positive(t, sqlDB.Stats().MaxOpenConnections, "the pool is bounded")

	// Several connections held at once are several connections.
	conns := make([]*sql.Conn, 3)
	for i := range conns {
		conns[i], err = sqlDB.Conn(c)
		require.NoError(t, err)
	}
	pragmas := []struct {
		name string
		want string
	}{
		{"journal_mode", "wal"},
		{"busy_timeout", "5000"},
		{"foreign_keys", "1"},
		{"synchronous", "2"}, // FULL
	}
	for _, p := range pragmas {
		t.Run(p.name, func(t *testing.T) {
			for i, conn := range conns {
				var got string
				require.NoError(t, conn.QueryRowContext(c, "PRAGMA "+p.name).Scan(&got))
				assert.Equalf(t, p.want, got, "connection %d", i+1)
			}
		})
	}
	for _, conn := range conns {
		require.NoError(t, conn.Close())
	}

	t.Run("a transaction takes the write lock as it begins", func(t *testing.T) {
		tx := db.Begin()
		require.NoError(t, tx.Error)
		defer tx.Rollback()
		other, err := sqlDB.Conn(c)
		require.NoError(t, err)
		defer other.Close()
		// Without the busy handler's wait, the answer is immediate: a
		// deferred BEGIN would have taken no lock, and this would succeed.
		_, err = other.ExecContext(c, "PRAGMA busy_timeout = 0")
		require.NoError(t, err)
		defer other.ExecContext(c, "PRAGMA busy_timeout = 5000")
		_, err = other.ExecContext(c, "BEGIN IMMEDIATE")
		if !assert.ErrorContains(t, err, "locked") {
			_, _ = other.ExecContext(c, "ROLLBACK")
		}
	})
}

// adoptedTrades are the trades in testdata/automigrate-schema.db, a
// database the sandbox made before it had versioned migrations, beside
// the shop's tables.
const (
	adoptedPaid     = "202612027TUW7PEFYLCMGFEY"
	adoptedPending  = "20261202LTEZWXRCCRJSFFZ2"
	adoptedNotifyID = "8fcbb2330b57a6ff1559d88ff3071f6230"
)

// TestAdoption runs the migrations on a database the sandbox made before
// it had them: nothing is lost, the schema ends up as a new database's,
// the shop's tables are left alone, and a second New changes nothing.
func TestAdoption(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "shop.db")
	b, err := os.ReadFile(filepath.Join("testdata", "automigrate-schema.db"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b, 0o600))
	before := readSchema(t, openDB(t, path))
	require.NotEmpty(t, before.sandbox, "the file holds the sandbox's tables")
	require.NotEmpty(t, before.shop, "the file holds the shop's tables")

	e := newEnv(t, options{dbPath: path, noRun: true})
	e.clock.Set(time.Date(2026, 12, 2, 0, 30, 0, 0, time.UTC)) // before the pending trade expires
	db := openDB(t, path)
	after := readSchema(t, db)
	assert.Equal(t, before.shop, after.shop, "the shop's tables are not the sandbox's business")
	fresh := newEnv(t, options{})
	assert.Equal(t, readSchema(t, openDB(t, fresh.dbPath)).sandbox, after.sandbox, "the same schema as a new database's")
	assert.Equal(t, []int64{0, 1, 2, 3, 4}, appliedVersions(t, db))

	t.Run("trades", func(t *testing.T) {
		paid := e.apiTrade(adoptedPaid)
		assert.Equal(t, "TRADE_FINISHED", paid.Status)
		if assert.NotNil(t, paid.TradeNo) {
			assert.Equal(t, "2026120222001766016065020102", *paid.TradeNo)
		}
		assert.Equal(t, "USD", paid.Currency)
		assert.Equal(t, int64(2500), paid.TotalMinor)
		assert.True(t, paid.Opened)
		assert.NotNil(t, paid.PaidAt)
		assert.WithinDuration(t, time.Date(2026, 12, 2, 0, 26, 7, 520541980, time.UTC), paid.CreatedAt, 0)
		pending := e.apiTrade(adoptedPending)
		assert.Equal(t, "WAIT_BUYER_PAY", pending.Status)
		assert.Equal(t, int64(4800), pending.TotalMinor)
	})
	t.Run("notifications", func(t *testing.T) {
		ns := e.notifications(adoptedPaid)
		require.Len(t, ns, 1)
		n := ns[0]
		assert.Equal(t, adoptedNotifyID, n.NotifyID)
		assert.Equal(t, "delivered", n.State)
		assert.Equal(t, 1, n.Attempts)
		assert.Contains(t, n.Body, "notify_id="+adoptedNotifyID)
		require.Len(t, n.Deliveries, 1)
		a := n.Deliveries[0]
		assert.Equal(t, 200, a.StatusCode)
		assert.Equal(t, "success", a.Body)
		assert.True(t, a.Success)
		assert.Nil(t, a.ScheduledAt, "recorded before the schedule was")
	})
	t.Run("the adopted trades still work", func(t *testing.T) {
		res := e.apiPay(adoptedPending)
		assert.Equal(t, "TRADE_FINISHED", res["trade_status"])
		ns := e.notifications(adoptedPending)
		require.Len(t, ns, 1)
		assert.Equal(t, "pending", ns[0].State)
	})
	t.Run("a second New changes nothing", func(t *testing.T) {
		versions := versionRows(t, db)
		_, trades := e.get(e.srv.URL + "/sandbox/api/trades")
		again := newEnv(t, options{dbPath: path, noRun: true})
		assert.Equal(t, versions, versionRows(t, db))
		assert.Equal(t, after, readSchema(t, db))
		_, tradesAgain := again.get(again.srv.URL + "/sandbox/api/trades")
		assert.JSONEq(t, trades, tradesAgain)
	})
}

// schema is the DDL in a database, the sandbox's apart from the shop's.
type schema struct {
	sandbox []string
	shop    []string
}

func readSchema(t *testing.T, db *gorm.DB) schema {
	t.Helper()
	var rows []struct{ Type, Name, TblName, SQL string }
	// Indexes SQLite makes itself have no SQL; sqlite_sequence is SQLite's.
	err := db.Raw("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name <> 'sqlite_sequence' ORDER BY type, name").
		Scan(&rows).Error
	require.NoError(t, err)
	var s schema
	for _, r := range rows {
		ddl := r.Type + " " + r.Name + ": " + r.SQL
		switch {
		case r.TblName == "sandbox_goose_db_version":
		case strings.HasPrefix(r.TblName, "sandbox_"):
			s.sandbox = append(s.sandbox, ddl)
		default:
			s.shop = append(s.shop, ddl)
		}
	}
	return s
}

// appliedVersions lists the versions the sandbox's version table records;
// goose starts it with version 0.
func appliedVersions(t *testing.T, db *gorm.DB) []int64 {
	t.Helper()
	var vs []int64
	require.NoError(t, db.Raw("SELECT version_id FROM sandbox_goose_db_version WHERE is_applied ORDER BY id").Scan(&vs).Error)
	return vs
}

// versionRows is the whole version table, as text.
func versionRows(t *testing.T, db *gorm.DB) []string {
	t.Helper()
	var rows []string
	err := db.Raw("SELECT id || ' ' || version_id || ' ' || is_applied || ' ' || tstamp FROM sandbox_goose_db_version ORDER BY id").
		Scan(&rows).Error
	require.NoError(t, err)
	return rows
}

// TestMigrationsNewDatabase migrates a new database, recording the
// migrations in a table of the sandbox's own: the shop's goose table on the
// same file keeps its own count.
func TestMigrationsNewDatabase(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{noRun: true})
	db := openDB(t, e.dbPath)
	var tables []string
	require.NoError(t, db.Raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%goose%' ORDER BY name").Scan(&tables).Error)
	assert.Equal(t, []string{"sandbox_goose_db_version"}, tables)
	assert.Equal(t, []int64{0, 1, 2, 3, 4}, appliedVersions(t, db))
}
