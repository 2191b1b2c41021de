// Package models holds the shop's nouns (products, orders, order lines,
// payment notifications) and every database access. It is a leaf package:
// it knows SQLite, PostgreSQL and GORM, but nothing of HTTP or of the Alipay
// wire format.
//
// One process runs on a SQLite file; several processes share one
// PostgreSQL database with the same guarantees: every money transition
// locks its order's row first, stock is taken and given back in product-id
// order, inserts that may race on a unique key are retried as lookups,
// transactions that meet a deadlock or a serialization failure are run
// again, and migrations and background work take locks that every
// instance sees.
// Amounts are int64 minor units with an ISO 4217 currency code; formatting
// them is someone else's job.
package models

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/gofrs/flock"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// maxOpenConns bounds the pool: readers run side by side in WAL mode, and
// per-connection page caches stay in check.
const maxOpenConns = 8

// busyTimeout is how long a statement waits for a lock another process
// holds. Within one process writers queue in Go (DB.writer), so this only
// covers other processes on the same file and the migrations.
const busyTimeout = 5 * time.Second

// preparedStatements bounds the cache of prepared statements (SQLite).
const preparedStatements = 256

// DB is the shop's database: a SQLite file or a PostgreSQL database,
// accessed through GORM.
type DB struct {
	gorm     *gorm.DB
	log      *slog.Logger
	postgres bool
	path     string // the SQLite file; "" on PostgreSQL

	// writer admits one write transaction at a time into SQLite. Writers
	// that find it taken wait here, in arrival order and for as long as
	// their context allows, instead of polling in SQLite's busy handler,
	// which serves no queue: under a burst of writers, one of them could
	// lose every race for the lock until busy_timeout failed it with
	// SQLITE_BUSY. nil on PostgreSQL, whose row locks queue by themselves.
	writer chan struct{}
}

// Open opens the database at source: a postgres:// (or postgresql://) URL,
// or else the path of a SQLite file, created if needed. It applies the
// connection settings every connection needs and runs the migrations.
// log receives the migrations applied and GORM's warnings and errors; nil
// discards them.
//
// Several processes may start on one database at once: the migrations
// run under a lock (an advisory lock on PostgreSQL, a lock file
// path+".lock" beside a SQLite file), so each is applied once.
func Open(ctx context.Context, source string, log *slog.Logger) (*DB, error) {
	if IsPostgres(source) {
		return openPostgres(ctx, source, log)
	}
	path := source
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("open database %s: it is a directory; DB_PATH must name a file", path)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return openSQLite(ctx, path, busyTimeout, log)
}

// openSQLite opens the SQLite file at path; busy is its busy_timeout.
func openSQLite(ctx context.Context, path string, busy time.Duration, log *slog.Logger) (*DB, error) {
	db := &DB{log: log, path: path, writer: make(chan struct{}, 1)}
	// The first connection, which may turn a new file to WAL, is made
	// under the lock too: processes starting together take turns.
	err := withFileLock(ctx, path+".lock", func() error {
		g, err := openGorm(dsn(path, busy), log)
		if err != nil {
			return err
		}
		db.gorm = g
		return db.Migrate(ctx)
	})
	if err != nil {
		if db.gorm != nil {
			_ = db.Close()
		}
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return db, nil
}

// withFileLock runs fn holding an exclusive lock on the file at path,
// waiting for another process to release it.
func withFileLock(ctx context.Context, path string, fn func() error) error {
	l := flock.New(path)
	locked, err := l.TryLockContext(ctx, 50*time.Millisecond)
	if err != nil {
		return fmt.Errorf("lock %s: %w", path, err)
	}
	if !locked {
		return fmt.Errorf("lock %s: %w", path, errors.New("not acquired"))
	}
	defer l.Unlock()
	return fn()
}

// dsn builds the data source name. Every parameter is applied by the driver
// to each new pooled connection. _time_format is deliberately absent: some
// glebarez/go-sqlite versions stop reading parameters after it, which would
// silently drop _txlock.
func dsn(path string, busy time.Duration) string {
	q := url.Values{}
	// busy_timeout first: switching a new file to WAL takes a lock, and
	// several processes opening it at once must wait for it, not fail.
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	// FULL: a committed payment survives a power cut, not only a crash.
	q.Add("_pragma", "synchronous(FULL)")
	// BEGIN IMMEDIATE takes the write lock up front, so two read-then-write
	// transactions queue instead of failing with SQLITE_BUSY on upgrade.
	q.Add("_txlock", "immediate")
	return path + "?" + q.Encode()
}

// openGorm opens a GORM handle on a DSN with the shop's GORM settings.
func openGorm(dsn string, log *slog.Logger) (*gorm.DB, error) {
	g, err := gorm.Open(sqlite.Open(dsn), &gorm.Config{
		Logger:         gormLogger(log),
		TranslateError: true,
		NowFunc:        func() time.Time { return time.Now().UTC() },
		// Preparing a statement is a third of the work of a short query in
		// SQLite, and in a write transaction it is done while every other
		// writer waits: keep prepared statements (pgx does the same on
		// PostgreSQL by itself). The cache is bounded: queries with IN
		// lists of many lengths must not grow it without end.
		PrepareStmt:        true,
		PrepareStmtMaxSize: preparedStatements,
	})
	if err != nil {
		return nil, err
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, err
	}
	sqlDB.SetMaxOpenConns(maxOpenConns)
	sqlDB.SetMaxIdleConns(maxOpenConns)
	return g, nil
}

// gormLogger routes GORM's warnings (slow queries) and errors to log.
// Queries are logged without their parameters: they hold shoppers' contact
// details.
func gormLogger(log *slog.Logger) logger.Interface {
	if log == nil {
		return logger.Discard
	}
	return logger.NewSlogLogger(log, logger.Config{
		SlowThreshold:             500 * time.Millisecond,
		LogLevel:                  logger.Warn,
		IgnoreRecordNotFoundError: true,
		ParameterizedQueries:      true,
	})
}

// Gorm returns the underlying GORM handle, for tests and tools that need
// to reach the tables directly.
func (db *DB) Gorm() *gorm.DB {
	return db.gorm
}

// Close closes every pooled connection.
func (db *DB) Close() error {
	sqlDB, err := db.gorm.DB()
	if err != nil {
		return fmt.Errorf("close database: %w", err)
	}
	if err := sqlDB.Close(); err != nil {
		return fmt.Errorf("close database: %w", err)
	}
	return nil
}

// Ping checks that the database answers a query.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.gorm.WithContext(ctx).Raw("SELECT 1").Scan(&one).Error; err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}
