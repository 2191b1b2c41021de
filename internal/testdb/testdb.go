// Package testdb gives each test a database of its own: a SQLite file in
// the test's temporary directory, or, when TEST_DATABASE_URL names a
// PostgreSQL database, a fresh schema in it, dropped when the test ends.
// The same tests thus run on both databases: go test ./... on SQLite, and
// TEST_DATABASE_URL=postgres://… go test ./... on PostgreSQL.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the pgx driver for database/sql
)

// Env is the variable that names the PostgreSQL database tests use.
const Env = "TEST_DATABASE_URL"

// Postgres reports whether the tests run on PostgreSQL.
func Postgres() bool { return isPostgres(os.Getenv(Env)) }

func isPostgres(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// SkipOnPostgres skips a test that is about SQLite by nature, saying why.
func SkipOnPostgres(t testing.TB, why string) {
	t.Helper()
	if Postgres() {
		t.Skip("SQLite only: " + why)
	}
}

// Source returns where a test's database lives: a SQLite file path in its
// temporary directory, or a PostgreSQL URL whose search_path is a new,
// empty schema, dropped at the end of the test. (It does not import the
// shop's packages, so that their own tests can use it.)
func Source(t testing.TB) string {
	t.Helper()
	base := os.Getenv(Env)
	if !isPostgres(base) {
		return filepath.Join(t.TempDir(), "shop.db")
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	schema := "test_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	t.Cleanup(func() { admin.Close() })
	if _, err := admin.ExecContext(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("testdb: create schema: %v", err)
	}
	t.Cleanup(func() {
		_, _ = admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("testdb: %s: %v", Env, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// template is a SQLite database file brought up to date once per test
// binary, kept in memory: the main file and its write-ahead log, if any.
var template struct {
	once      sync.Once
	main, wal []byte
	err       error
}

// Migrated is Source for a test that opens its database with migrate
// (which creates the file at path and applies the migrations, then closes
// it). On SQLite the first call runs migrate once in a temporary
// directory and every call returns a fresh copy of the resulting file: a
// full run of the migrations costs half a second under the race detector,
// a copy a millisecond. The copy is a real, separate file; opening it runs
// the migrations again, which find nothing to do. On PostgreSQL it is
// Source: a new, empty schema.
func Migrated(t testing.TB, migrate func(path string) error) string {
	t.Helper()
	if Postgres() {
		return Source(t)
	}
	template.once.Do(func() {
		dir, err := os.MkdirTemp("", "testdb-template-")
		if err != nil {
			template.err = err
			return
		}
		defer os.RemoveAll(dir)
		path := filepath.Join(dir, "shop.db")
		if template.err = migrate(path); template.err != nil {
			return
		}
		if template.main, template.err = os.ReadFile(path); template.err != nil {
			return
		}
		if wal, err := os.ReadFile(path + "-wal"); err == nil {
			template.wal = wal
		}
	})
	if template.err != nil {
		t.Fatalf("testdb: prepare the template database: %v", template.err)
	}
	path := Source(t)
	if err := os.WriteFile(path, template.main, 0o600); err != nil {
		t.Fatalf("testdb: %v", err)
	}
	if template.wal != nil {
		if err := os.WriteFile(path+"-wal", template.wal, 0o600); err != nil {
			t.Fatalf("testdb: %v", err)
		}
	}
	return path
}
