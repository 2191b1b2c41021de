package models

import (
	"context"
	"fmt"
)

// OrderRow returns the order with the given number without its lines, in
// one query on the order number's unique index, or ErrNotFound. The shop's
// pages ask it on every request of a shopper who has an unpaid order, and
// the order lookup asks it whether or not the order exists, so it must stay
// one cheap query whatever the answer.
func (db *DB) OrderRow(ctx context.Context, orderNo string) (*Order, error) {
	var o Order
	err := db.gorm.WithContext(ctx).Where("order_no = ?", orderNo).Take(&o).Error
	if err != nil {
		return nil, fmt.Errorf("order %s: %w", orderNo, notFound(err))
	}
	return &o, nil
}
