package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// maxList caps the number of orders a listing returns.
const maxList = 100

// OrderByNo returns the order with the given order number, lines included,
// or ErrNotFound.
func (db *DB) OrderByNo(ctx context.Context, orderNo string) (*Order, error) {
	o, err := orderByNo(db.gorm.WithContext(ctx), orderNo)
	if err != nil {
		return nil, fmt.Errorf("order %s: %w", orderNo, err)
	}
	return o, nil
}

// OwnedOrder returns the order with the given number if it belongs to
// ownerID. Another owner's order is reported as ErrNotFound, so nobody
// learns that it exists.
func (db *DB) OwnedOrder(ctx context.Context, orderNo, ownerID string) (*Order, error) {
	o, err := orderByNo(db.gorm.WithContext(ctx), orderNo)
	if err == nil && (ownerID == "" || o.OwnerID != ownerID) {
		err = ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("order %s: %w", orderNo, err)
	}
	return o, nil
}

// OrdersByOwner returns ownerID's orders, newest first, lines included.
// limit is capped at 100; zero or less means 100. An empty ownerID owns
// nothing.
func (db *DB) OrdersByOwner(ctx context.Context, ownerID string, limit int) ([]Order, error) {
	if ownerID == "" {
		return nil, nil
	}
	if limit <= 0 || limit > maxList {
		limit = maxList
	}
	var orders []Order
	err := db.gorm.WithContext(ctx).Preload("Lines", orderLinesByID).
		Where("owner_id = ?", ownerID).Order("created_at DESC, id DESC").Limit(limit).
		Find(&orders).Error
	if err != nil {
		return nil, fmt.Errorf("orders of owner: %w", err)
	}
	return orders, nil
}

// CloseOrder closes a pending order (timeout, shopper cancelled) and gives
// its stock back, in one transaction. It returns false when the order was
// no longer pending, so stock is returned at most once.
func (db *DB) CloseOrder(ctx context.Context, orderNo, reason string) (bool, error) {
	var closed bool
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		o, err := lockOrder(tx, orderNo)
		if err != nil {
			return err
		}
		closed, err = closeOrder(tx, o.ID, reason)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("close order %s: %w", orderNo, err)
	}
	return closed, nil
}

// ExpiredPending returns up to limit pending orders whose expiry is at or
// before now, oldest expiry first.
func (db *DB) ExpiredPending(ctx context.Context, now time.Time, limit int) ([]Order, error) {
	if limit <= 0 || limit > maxList {
		limit = maxList
	}
	var orders []Order
	// Times are stored as UTC text, so comparing text compares instants;
	// now must be UTC too.
	err := db.gorm.WithContext(ctx).
		Where("status = ? AND expires_at <= ?", StatusPending, now.UTC()).
		Order("expires_at, id").Limit(limit).Find(&orders).Error
	if err != nil {
		return nil, fmt.Errorf("expired pending orders: %w", err)
	}
	return orders, nil
}

func orderByNo(tx *gorm.DB, orderNo string) (*Order, error) {
	var o Order
	err := tx.Preload("Lines", orderLinesByID).Where("order_no = ?", orderNo).Take(&o).Error
	if err != nil {
		return nil, notFound(err)
	}
	return &o, nil
}

func orderByCheckoutKey(tx *gorm.DB, ownerID, key string) (*Order, error) {
	var o Order
	err := tx.Preload("Lines", orderLinesByID).
		Where("owner_id = ? AND checkout_key = ?", ownerID, key).Take(&o).Error
	if err != nil {
		return nil, notFound(err)
	}
	return &o, nil
}

func orderLinesByID(tx *gorm.DB) *gorm.DB {
	return tx.Order("id")
}
