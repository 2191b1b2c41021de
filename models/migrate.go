package models

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// migrations are the shop's schema changes, numbered SQL files applied in
// order and recorded in the goose_db_version table, one directory per
// database: the same numbers make the same change in each. A change to the
// schema is a new file in both; an applied file is never edited.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// migrationTable records which migrations a database has had. The sandbox
// keeps its own table, so the two sets never mix.
const migrationTable = "goose_db_version"

// Migrate applies the migrations the database has not had yet. It is
// idempotent; Open calls it while holding the database's start-up lock.
func (db *DB) Migrate(ctx context.Context) error {
	sqlDB, err := db.gorm.DB()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	dir, dialect := "migrations/sqlite", goose.DialectSQLite3
	opts := []goose.ProviderOption{goose.WithTableName(migrationTable), goose.WithDisableGlobalRegistry(true)}
	if db.postgres {
		dir, dialect = "migrations/postgres", goose.DialectPostgres
		// Instances starting together wait for each other's migrations.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	fsys, err := fs.Sub(migrations, dir)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	p, err := goose.NewProvider(dialect, sqlDB, fsys, opts...)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, r := range results {
		if db.log == nil {
			break
		}
		db.log.LogAttrs(ctx, slog.LevelInfo, "migrated", slog.Int64("version", r.Source.Version),
			slog.String("file", r.Source.Path), slog.Duration("took", r.Duration))
	}
	return nil
}

// SchemaVersion returns the newest migration applied to the database.
func (db *DB) SchemaVersion(ctx context.Context) (int64, error) {
	var v int64
	err := db.gorm.WithContext(ctx).Raw("SELECT COALESCE(MAX(version_id), 0) FROM " + migrationTable + " WHERE is_applied").Scan(&v).Error
	if err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return v, nil
}
