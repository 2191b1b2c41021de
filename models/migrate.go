package models

import (
	"context"
	"fmt"
)

// Migrate creates or updates the shop's tables, indexes and constraints.
// It is idempotent; Open calls it.
func (db *DB) Migrate(ctx context.Context) error {
	// Parents before children, so foreign keys find their tables.
	err := db.gorm.WithContext(ctx).AutoMigrate(
		&Product{},
		&Order{},
		&OrderLine{},
		&Notification{},
	)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}
