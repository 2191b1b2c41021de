package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// AuditEntry is one admin action: who did what to what, when, from where.
type AuditEntry struct {
	ID     uint
	At     time.Time
	Staff  string
	Action string // e.g. "refund", "ship", "resolve_review", "sign_in"
	Target string // e.g. the order number
	Detail string
	Remote string
}

// TableName is the table the migrations create.
func (AuditEntry) TableName() string { return "audit_log" }

// Audit writes an entry.
func (db *DB) Audit(ctx context.Context, e AuditEntry) error {
	return db.write(ctx, func(g *gorm.DB) error { return audit(g, e) })
}

func audit(tx *gorm.DB, e AuditEntry) error {
	if e.At.IsZero() {
		e.At = tx.NowFunc()
	}
	e.At, e.Remote, e.Detail = e.At.UTC(), clip(e.Remote, 100), clip(e.Detail, 2000)
	if err := tx.Create(&e).Error; err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// AuditLog returns a page of the audit log, newest first, and how many
// entries there are.
func (db *DB) AuditLog(ctx context.Context, page, perPage int) ([]AuditEntry, int64, error) {
	page, perPage = pageBounds(page, perPage)
	g := db.gorm.WithContext(ctx).Model(&AuditEntry{})
	var total int64
	if err := g.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("audit log: %w", err)
	}
	var es []AuditEntry
	err := db.gorm.WithContext(ctx).Order("at DESC, id DESC").Offset((page - 1) * perPage).Limit(perPage).Find(&es).Error
	if err != nil {
		return nil, 0, fmt.Errorf("audit log: %w", err)
	}
	return es, total, nil
}

// pageBounds returns a page number from 1 and a page size from 1 to 100.
func pageBounds(page, perPage int) (int, int) {
	if page < 1 {
		page = 1
	}
	if perPage < 1 || perPage > maxList {
		perPage = 50
	}
	return page, perPage
}
