package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/gofrs/flock"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// IsPostgres reports whether source is a PostgreSQL URL rather than a
// SQLite path.
func IsPostgres(source string) bool {
	return strings.HasPrefix(source, "postgres://") || strings.HasPrefix(source, "postgresql://")
}

// pgMaxOpenConns bounds each instance's pool on PostgreSQL, whose
// connections are processes: instances × this must stay under the server's
// max_connections.
const pgMaxOpenConns = 20

func openPostgres(ctx context.Context, url string, log *slog.Logger) (*DB, error) {
	g, err := gorm.Open(postgres.Open(url), &gorm.Config{
		Logger:         gormLogger(log),
		TranslateError: true,
		NowFunc:        func() time.Time { return time.Now().UTC() },
	})
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	sqlDB.SetMaxOpenConns(pgMaxOpenConns)
	sqlDB.SetMaxIdleConns(pgMaxOpenConns)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	db := &DB{gorm: g, log: log, postgres: true}
	if err := db.Migrate(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	return db, nil
}

// Postgres reports whether db is a PostgreSQL database.
func (db *DB) Postgres() bool { return db.postgres }

// forUpdate makes tx's next query lock the rows it reads until the end of
// the transaction. On SQLite the immediate transaction already holds the
// whole database's write lock, and the clause does not exist.
func forUpdate(tx *gorm.DB) *gorm.DB {
	if tx.Dialector.Name() == "postgres" {
		return tx.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	return tx
}

// lockKey serializes, across instances, transactions about one key (a
// client address) that no row stands for, until the transaction ends: a
// PostgreSQL advisory transaction lock. SQLite needs none.
func lockKey(tx *gorm.DB, key string) error {
	if tx.Dialector.Name() != "postgres" {
		return nil
	}
	return tx.Exec("SELECT pg_advisory_xact_lock("+advisoryKey("?")+")", key).Error
}

// advisoryKey is the SQL for the advisory lock key of the name bound to
// placeholder. Advisory locks are per database, not per schema: the key
// includes the schema, so that shops (or tests) in schemas of one database
// do not share locks.
func advisoryKey(placeholder string) string {
	return "hashtextextended(current_schema() || ':' || " + placeholder + "::text, 0)"
}

// maxAttempts bounds how often a transaction is run again after a
// deadlock or a serialization failure.
const maxAttempts = 5

// transaction runs fn in a transaction, again (with a fresh transaction)
// when PostgreSQL aborted it for a deadlock or a serialization failure,
// which only running it again resolves. fn must have no effect outside
// the transaction.
//
// On SQLite it first waits its turn for the writer (see DB.writer): every
// transaction begins IMMEDIATE there, so every one of them is a writer.
func (db *DB) transaction(ctx context.Context, fn func(tx *gorm.DB) error) error {
	release, err := db.takeWriter(ctx)
	if err != nil {
		return err
	}
	defer release()
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		err = db.gorm.WithContext(ctx).Transaction(fn)
		if !retryable(err) || ctx.Err() != nil {
			return err
		}
		db.log.Warn("transaction run again", "attempt", attempt, "err", err)
		// Back off a little, more each time, so the transactions that
		// collided do not collide again at once.
		t := time.NewTimer(time.Duration(attempt*attempt) * 5 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
	return err
}

// write runs fn, statements outside any transaction, on SQLite after
// waiting its turn for the writer like a transaction does.
func (db *DB) write(ctx context.Context, fn func(g *gorm.DB) error) error {
	release, err := db.takeWriter(ctx)
	if err != nil {
		return err
	}
	defer release()
	return fn(db.gorm.WithContext(ctx))
}

// takeWriter waits for the writer on SQLite (see DB.writer), for as long
// as ctx allows, and returns the function that lets the next one in.
// Writers are served in the order they came: goroutines waiting to send
// on a channel are queued.
func (db *DB) takeWriter(ctx context.Context) (release func(), err error) {
	if db.writer == nil {
		return func() {}, nil
	}
	select {
	case db.writer <- struct{}{}:
		return func() { <-db.writer }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for the database writer: %w", context.Cause(ctx))
	}
}

// retryable reports a PostgreSQL deadlock (40P01) or serialization
// failure (40001).
func retryable(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (pg.Code == "40P01" || pg.Code == "40001")
}

// Lease is a named lock one instance holds while it does background work
// that must run in one instance at a time (the reconciler, the sandbox).
// On PostgreSQL it is a session advisory lock, held by one connection and
// released when that connection ends: an instance killed mid-work frees it
// at once. On SQLite it is a lock file beside the database.
type Lease struct {
	conn *sql.Conn
	name string
	file *flock.Flock
}

// TryLease takes the lease named name if nobody holds it, and returns nil
// (and no error) when another instance does.
func (db *DB) TryLease(ctx context.Context, name string) (*Lease, error) {
	if !db.postgres {
		f := flock.New(db.path + ".lease-" + name)
		ok, err := f.TryLock()
		if err != nil || !ok {
			return nil, err
		}
		return &Lease{file: f}, nil
	}
	sqlDB, err := db.gorm.DB()
	if err != nil {
		return nil, err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("lease %s: %w", name, err)
	}
	l := &Lease{conn: conn, name: "lease:" + name}
	var ok bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock("+advisoryKey("$1")+")", l.name).Scan(&ok); err != nil || !ok {
		conn.Close()
		if err != nil {
			return nil, fmt.Errorf("lease %s: %w", name, err)
		}
		return nil, nil
	}
	return l, nil
}

// Held reports whether the lease is still this instance's: on PostgreSQL,
// whether its connection still answers (the server drops the lock with
// the connection).
func (l *Lease) Held(ctx context.Context) bool {
	if l.conn == nil {
		return true
	}
	return l.conn.PingContext(ctx) == nil
}

// Release gives the lease up.
func (l *Lease) Release() {
	if l.file != nil {
		_ = l.file.Unlock()
		return
	}
	// Unlock on the same connection; if it is broken, the server has
	// released the lock already.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = l.conn.ExecContext(ctx, "SELECT pg_advisory_unlock("+advisoryKey("$1")+")", l.name)
	_ = l.conn.Close()
}

// RunLeased runs once now and then every interval until ctx is done, in
// the one instance that holds the lease tryLease takes; the others try to
// take it over every interval, so a killed holder is replaced within one.
// A nil tryLease means this instance always runs. Errors are logged as
// what, unless ctx ended.
func RunLeased(ctx context.Context, interval time.Duration, tryLease func(context.Context) (*Lease, error),
	log *slog.Logger, what string, once func(context.Context) error) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var lease *Lease
	defer func() {
		if lease != nil {
			lease.Release()
		}
	}()
	for {
		if lease != nil && !lease.Held(ctx) {
			lease.Release()
			lease = nil
		}
		if lease == nil && tryLease != nil {
			var err error
			if lease, err = tryLease(ctx); err != nil && ctx.Err() == nil {
				log.Error(what+": lease", "err", err)
			}
		}
		if lease != nil || tryLease == nil {
			if err := once(ctx); err != nil && ctx.Err() == nil && !errors.Is(err, context.Canceled) {
				log.Error(what, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
