package sandbox

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/pressly/goose/v3"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// versionTable records which of the sandbox's migrations a database has.
// The shop keeps its own goose table in the same file, so the sandbox's
// must have another name.
const versionTable = "sandbox_goose_db_version"

// maxOpenConns bounds the pool: SQLite has one writer at a time, and
// writers beyond it had better queue in Go than spin in the busy handler.
const maxOpenConns = 8

// OpenSQLite opens (creating if needed) the SQLite file at path with the
// settings the sandbox needs, for Config.DB. Every pooled connection gets
// them, as they are in the DSN. The caller closes the handle after Run has
// returned.
func OpenSQLite(path string) (*gorm.DB, error) {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "foreign_keys(1)")
	// FULL: a payment the sandbox confirmed survives a power cut, so that
	// its notification is still sent afterwards.
	q.Add("_pragma", "synchronous(FULL)")
	// BEGIN IMMEDIATE takes the write lock up front, so two read-then-write
	// transactions queue instead of failing with SQLITE_BUSY on upgrade.
	// No _time_format: some glebarez/go-sqlite versions stop reading the
	// parameters at it, which would silently drop _txlock.
	q.Add("_txlock", "immediate")
	db, err := gorm.Open(sqlite.Open(path+"?"+q.Encode()), &gorm.Config{
		Logger: logger.Default.LogMode(logger.Silent),
		// SQLite compares stored times as text, which orders instants
		// only within one offset.
		NowFunc: func() time.Time { return time.Now().UTC() },
	})
	if err != nil {
		return nil, fmt.Errorf("sandbox: open %s: %w", path, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("sandbox: open %s: %w", path, err)
	}
	sqlDB.SetMaxOpenConns(maxOpenConns)
	sqlDB.SetMaxIdleConns(maxOpenConns)
	return db, nil
}

// migrate applies the migrations db does not have yet, in order, each in
// its own transaction.
func migrate(ctx context.Context, db *gorm.DB, log *slog.Logger) error {
	sqlDB, err := db.DB()
	if err != nil {
		return fmt.Errorf("sandbox: migrate: %w", err)
	}
	files, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return fmt.Errorf("sandbox: migrate: %w", err)
	}
	// The global registry holds Go migrations other packages may have
	// registered with goose: none of them are the sandbox's.
	p, err := goose.NewProvider(goose.DialectSQLite3, sqlDB, files,
		goose.WithTableName(versionTable), goose.WithDisableGlobalRegistry(true), goose.WithSlog(log))
	if err != nil {
		return fmt.Errorf("sandbox: migrate: %w", err)
	}
	// Not p.Close: it would close the caller's database.
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("sandbox: migrate: %w", err)
	}
	return nil
}
