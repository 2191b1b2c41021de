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
	"testing"

	"strings"

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
