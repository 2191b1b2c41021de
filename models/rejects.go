package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Reject is a count of notifications that failed verification, for one
// hour and one reason. Their bodies are not stored: anyone can POST to
// the notify endpoint, so only a short sample of the latest is kept.
type Reject struct {
	ID         uint      `gorm:"primaryKey"`
	Bucket     time.Time // the start of the hour, UTC
	Reason     string
	Count      int64
	FirstAt    time.Time
	LastAt     time.Time
	LastRemote string
	Sample     string
}

// TableName is the table the migrations create.
func (Reject) TableName() string { return "notification_rejects" }

// SampleLimit is how much of a rejected body a Reject keeps.
const SampleLimit = 512

// RecordRejects adds count rejected notifications with reason, the latest
// at `at` from remote, to the hour's tally. sample is cut to SampleLimit
// bytes (on a UTF-8 boundary).
func (db *DB) RecordRejects(ctx context.Context, reason string, count int64, at time.Time, remote, sample string) error {
	if count <= 0 {
		return nil
	}
	at = at.UTC()
	r := Reject{Bucket: at.Truncate(time.Hour), Reason: reason, Count: count, FirstAt: at, LastAt: at,
		LastRemote: clip(remote, 100), Sample: clip(sample, SampleLimit)}
	err := db.write(ctx, func(g *gorm.DB) error {
		return g.Clauses(clause.OnConflict{
			Columns: []clause.Column{{Name: "bucket"}, {Name: "reason"}},
			DoUpdates: clause.Assignments(map[string]any{
				"count":       clause.Expr{SQL: "notification_rejects.count + ?", Vars: []any{count}},
				"last_at":     at,
				"last_remote": r.LastRemote,
				"sample":      r.Sample,
			}),
		}).Create(&r).Error
	})
	if err != nil {
		return fmt.Errorf("record rejected notifications: %w", err)
	}
	return nil
}

// Rejects returns the tallies of rejected notifications, newest hour
// first, at most limit (capped at 100).
func (db *DB) Rejects(ctx context.Context, limit int) ([]Reject, error) {
	if limit <= 0 || limit > maxList {
		limit = maxList
	}
	var rs []Reject
	if err := db.gorm.WithContext(ctx).Order("bucket DESC, reason").Limit(limit).Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("rejected notifications: %w", err)
	}
	return rs, nil
}

// PruneRejects deletes the tallies of hours before `before` and returns
// how many it deleted.
func (db *DB) PruneRejects(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := db.write(ctx, func(g *gorm.DB) error {
		res := g.Where("bucket < ?", before.UTC()).Delete(&Reject{})
		n = res.RowsAffected
		return res.Error
	})
	if err != nil {
		return 0, fmt.Errorf("prune rejected notifications: %w", err)
	}
	return n, nil
}

// clip cuts s to at most n bytes without splitting a UTF-8 sequence.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// Heartbeat writes the heartbeat row, proving the database takes writes
// (and that its disk is not full or read-only).
func (db *DB) Heartbeat(ctx context.Context, at time.Time) error {
	var n int64
	err := db.write(ctx, func(g *gorm.DB) error {
		res := g.Exec("UPDATE heartbeats SET at = ? WHERE id = 1", at.UTC())
		n = res.RowsAffected
		return res.Error
	})
	if err != nil {
		return fmt.Errorf("heartbeat: %w", err)
	}
	if n != 1 {
		return fmt.Errorf("heartbeat: no heartbeat row")
	}
	return nil
}
