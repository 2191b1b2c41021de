package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// EventKind names a step in an order's life, for its timeline.
type EventKind string

// The kinds of order events. Notifications and review flags have their
// own tables and join the timeline from there.
const (
	KindCreated      EventKind = "created"        // checkout or API
	KindSentToAlipay EventKind = "sent_to_alipay" // a pay URL or order string was handed out
	KindReturned     EventKind = "returned"       // the buyer came back from the cashier
	KindPaid         EventKind = "paid"
	KindQueried      EventKind = "queried"   // single_trade_query asked about it
	KindRefund       EventKind = "refund"    // a refund was asked for, succeeded or failed
	KindShipped      EventKind = "shipped"   // handed to a carrier
	KindClosed       EventKind = "closed"    // closed unpaid, stock returned
	KindRestocked    EventKind = "restocked" // items returned to stock after a refund
)

// OrderEvent is one step in an order's life.
type OrderEvent struct {
	ID      uint
	OrderID uint
	At      time.Time
	Kind    EventKind
	Detail  string
	Actor   string // "shopper", "alipay", "reconciler", or a staff name
}

// TableName is the table the migrations create.
func (OrderEvent) TableName() string { return "order_events" }

func recordEvent(tx *gorm.DB, orderID uint, kind EventKind, actor, detail string) error {
	e := OrderEvent{OrderID: orderID, At: tx.NowFunc(), Kind: kind, Detail: clip(detail, 1000), Actor: clip(actor, 64)}
	if err := tx.Create(&e).Error; err != nil {
		return fmt.Errorf("record %s event: %w", kind, err)
	}
	return nil
}

// RecordEvent adds a step to the timeline of the order orderNo. With once
// set, a step of the same kind and detail already recorded is not
// recorded again (a buyer reloading the return page).
func (db *DB) RecordEvent(ctx context.Context, orderNo string, kind EventKind, actor, detail string, once bool) error {
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		var o Order
		if err := tx.Select("id").Where("order_no = ?", orderNo).Take(&o).Error; err != nil {
			return notFound(err)
		}
		if once {
			var dup OrderEvent
			err := tx.Select("id").Where("order_id = ? AND kind = ? AND detail = ?", o.ID, kind, clip(detail, 1000)).Take(&dup).Error
			if err == nil {
				return nil
			}
			if !errors.Is(err, gorm.ErrRecordNotFound) {
				return err
			}
		}
		return recordEvent(tx, o.ID, kind, actor, detail)
	})
	if err != nil {
		return fmt.Errorf("order %s: %w", orderNo, err)
	}
	return nil
}

// Events returns the steps of an order, oldest first.
func (db *DB) Events(ctx context.Context, orderID uint) ([]OrderEvent, error) {
	var es []OrderEvent
	if err := db.gorm.WithContext(ctx).Where("order_id = ?", orderID).Order("at, id").Find(&es).Error; err != nil {
		return nil, fmt.Errorf("events of order %d: %w", orderID, err)
	}
	return es, nil
}
