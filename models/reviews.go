package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Review is something that needs a person: a payment after close, a
// mismatch, a second payment, a notification for an unknown order or not
// provably for this merchant. It stays open until someone resolves it with
// a note.
type Review struct {
	ID             uint
	OrderID        *uint
	Order          *Order `gorm:"foreignKey:OrderID"`
	NotificationID *uint
	Kind           string // the notification's verdict
	Reason         string
	CreatedAt      time.Time
	ResolvedAt     *time.Time
	ResolvedBy     string
	Resolution     string
}

// Open reports whether nobody has resolved the review yet.
func (r Review) Open() bool { return r.ResolvedAt == nil }

// OffersRefund reports whether the review is about money the merchant may
// have to give back: a payment for a closed order, or a second payment.
func (r Review) OffersRefund() bool {
	return r.Kind == string(VerdictAfterClose) || r.Kind == string(VerdictSecondPayment)
}

// ErrResolved is returned when a review was already resolved.
var ErrResolved = errors.New("already resolved")

func openReview(tx *gorm.DB, orderID, notificationID *uint, kind, reason string) error {
	r := Review{OrderID: orderID, NotificationID: notificationID, Kind: kind, Reason: clip(reason, 2000), CreatedAt: tx.NowFunc()}
	if err := tx.Omit("Order").Create(&r).Error; err != nil {
		return fmt.Errorf("open review: %w", err)
	}
	return nil
}

// OpenReviews returns the reviews nobody has resolved, oldest first, with
// their orders, at most limit (capped at 100).
func (db *DB) OpenReviews(ctx context.Context, limit int) ([]Review, error) {
	if limit <= 0 || limit > maxList {
		limit = maxList
	}
	var rs []Review
	err := db.gorm.WithContext(ctx).Preload("Order").Where("resolved_at IS NULL").
		Order("created_at, id").Limit(limit).Find(&rs).Error
	if err != nil {
		return nil, fmt.Errorf("open reviews: %w", err)
	}
	return rs, nil
}

// CountOpenReviews returns how many reviews are open.
func (db *DB) CountOpenReviews(ctx context.Context) (int64, error) {
	var n int64
	if err := db.gorm.WithContext(ctx).Model(&Review{}).Where("resolved_at IS NULL").Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count reviews: %w", err)
	}
	return n, nil
}

// ReviewsOf returns an order's reviews, oldest first.
func (db *DB) ReviewsOf(ctx context.Context, orderID uint) ([]Review, error) {
	var rs []Review
	if err := db.gorm.WithContext(ctx).Where("order_id = ?", orderID).Order("created_at, id").Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("reviews of order %d: %w", orderID, err)
	}
	return rs, nil
}

// ResolveReview closes a review with a person's note, and clears the
// order's flag when no open review is left on it. The action is audited
// in the same transaction.
func (db *DB) ResolveReview(ctx context.Context, id uint, by, note string, a AuditEntry) (*Review, error) {
	note = strings.TrimSpace(note)
	if note == "" {
		return nil, fmt.Errorf("resolve review %d: a note is required: %w", id, ErrInvalid)
	}
	var r Review
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		if err := tx.Take(&r, id).Error; err != nil {
			return notFound(err)
		}
		now := tx.NowFunc()
		res := tx.Model(&Review{}).Where("id = ? AND resolved_at IS NULL", id).
			Updates(map[string]any{"resolved_at": now, "resolved_by": by, "resolution": clip(note, 2000)})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrResolved
		}
		r.ResolvedAt, r.ResolvedBy, r.Resolution = &now, by, note
		if r.OrderID != nil {
			var open int64
			if err := tx.Model(&Review{}).Where("order_id = ? AND resolved_at IS NULL", *r.OrderID).Count(&open).Error; err != nil {
				return err
			}
			if open == 0 {
				if err := tx.Model(&Order{}).Where("id = ?", *r.OrderID).
					Updates(map[string]any{"flagged": false, "updated_at": now}).Error; err != nil {
					return err
				}
			}
		}
		return audit(tx, a)
	})
	if err != nil {
		return nil, fmt.Errorf("resolve review %d: %w", id, err)
	}
	return &r, nil
}
