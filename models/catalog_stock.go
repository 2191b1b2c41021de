package models

// Stock adjustments: the merchant adds or takes units, never below what
// pending orders hold.

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// StockChange is what an adjustment did to a product's stock.
type StockChange struct {
	Delta         int
	Before, After int // available
	Held          int // units pending orders hold
}

// CheckAdjustment returns an *InputError for a delta or reason that no
// product's stock could take, or nil.
func CheckAdjustment(delta int, reason string) error {
	f := fieldErrors{}
	if delta == 0 || delta < -MaxStock || delta > MaxStock {
		f.add("delta", ReasonRange)
	}
	checkName(f, "reason", strings.TrimSpace(reason), true, MaxReasonLen, false)
	return f.err()
}

// AdjustStock adds delta (negative to take away) to the units of product
// id, and audits it with reason. The check and the change are one
// conditional UPDATE: whatever checkouts run at the same time, the
// available stock never goes below zero, that is the units on hand never
// below what pending orders hold. A delta that would gives ErrStockShort
// and changes nothing.
func (db *DB) AdjustStock(ctx context.Context, id uint, delta int, reason string, a AuditEntry) (*StockChange, error) {
	reason = strings.TrimSpace(reason)
	if err := CheckAdjustment(delta, reason); err != nil {
		return nil, fmt.Errorf("adjust stock of product %d: %w", id, err)
	}
	var ch *StockChange
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		var err error
		var slug string
		if ch, slug, err = adjustStock(tx, id, delta); err != nil {
			return err
		}
		a.Action, a.Target, a.Detail = "stock_adjust", "product "+slug, stockDetail(ch, reason)
		return audit(tx, a)
	})
	if err != nil {
		return nil, fmt.Errorf("adjust stock of product %d: %w", id, err)
	}
	return ch, nil
}

// adjustStock applies delta in one conditional UPDATE and returns what it
// did and the product's slug.
func adjustStock(tx *gorm.DB, id uint, delta int) (*StockChange, string, error) {
	var rows []struct {
		Stock int
		Slug  string
	}
	err := tx.Raw(`UPDATE products SET stock = stock + ?, updated_at = ?
		WHERE id = ? AND stock + ? >= 0 AND stock + ? <= ? RETURNING stock, slug`,
		delta, tx.NowFunc(), id, delta, delta, MaxStock).Scan(&rows).Error
	if err != nil {
		return nil, "", err
	}
	held, err := heldUnits(tx, []uint{id})
	if err != nil {
		return nil, "", err
	}
	if len(rows) == 0 {
		var p Product
		if err := tx.Select("stock").Take(&p, id).Error; err != nil {
			return nil, "", fmt.Errorf("product %d: %w", id, notFound(err))
		}
		if delta > 0 {
			return nil, "", &InputError{Fields: map[string]string{"delta": ReasonRange}}
		}
		return nil, "", fmt.Errorf("%d available, %d held, %+d asked: %w", p.Stock, held[id], delta, ErrStockShort)
	}
	after := rows[0].Stock
	return &StockChange{Delta: delta, Before: after - delta, After: after, Held: held[id]}, rows[0].Slug, nil
}

// stockDetail is the audit log's line for a stock change.
func stockDetail(ch *StockChange, reason string) string {
	return fmt.Sprintf("stock %+d (%s): available %d → %d, on hand %d → %d, held by pending orders %d",
		ch.Delta, reason, ch.Before, ch.After, ch.Before+ch.Held, ch.After+ch.Held, ch.Held)
}
