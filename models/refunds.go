package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// RefundStatus is where a refund stands.
type RefundStatus string

// The refund states. A pending refund has its out_return_no stored and
// its amount reserved; sending it again (same out_return_no) is the same
// refund to Alipay, never a second one.
const (
	RefundPending   RefundStatus = "pending"
	RefundSucceeded RefundStatus = "succeeded"
	RefundFailed    RefundStatus = "failed"
)

// Refund is money given back for a paid order through forex_refund.
type Refund struct {
	ID           uint
	OrderID      uint
	OutReturnNo  string
	AmountMinor  int64
	Currency     string
	Reason       string
	Restock      bool // return the order's items to stock when refunds reach the paid total
	Status       RefundStatus
	ErrorCode    string
	ErrorMessage string
	CreatedBy    string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// IsAsync refunds are sent with is_sync=N: Alipay accepts them and
	// makes them later, reporting the result by a refund notification; the
	// shop also asks alipay.acquire.refund.query from NextCheckAt on.
	IsAsync    bool
	AcceptedAt *time.Time // when Alipay accepted it (asynchronous refunds)
	// NextCheckAt is when to send it again, if Alipay's answer has not been
	// recorded by then, or, once Alipay accepted it, when to ask about it
	// next; nil once it ended.
	NextCheckAt *time.Time
	Checks      int        // how often it was sent again or asked about
	FinishedAt  *time.Time // when it succeeded or failed
}

// RefundAnswerWait is how long a stored refund waits for Alipay's answer
// to be recorded before the refund checker sends it again.
const RefundAnswerWait = 2 * time.Minute

// Errors of refunds.
var (
	// ErrRefundExceeds: the amount is more than what is left to refund.
	ErrRefundExceeds = errors.New("more than what is left to refund")
)

// lockOrder reads the order and locks its row for the rest of the
// transaction (SELECT … FOR UPDATE on PostgreSQL): every money transition
// starts here, so two instances changing one order take turns. On SQLite
// the immediate transaction already holds the database's write lock.
func lockOrder(tx *gorm.DB, orderNo string) (*Order, error) {
	var o Order
	if err := forUpdate(tx).Where("order_no = ?", orderNo).Take(&o).Error; err != nil {
		return nil, notFound(err)
	}
	return &o, nil
}

// refundable returns what is left to refund of o: its total less the
// refunds that succeeded or are still pending.
func refundable(tx *gorm.DB, o *Order) (int64, error) {
	var reserved int64
	err := tx.Model(&Refund{}).Select("COALESCE(SUM(amount_minor), 0)").
		Where("order_id = ? AND status <> ?", o.ID, RefundFailed).Scan(&reserved).Error
	if err != nil {
		return 0, err
	}
	return o.TotalMinor - reserved, nil
}

// paidAfterClose reports whether o is closed and a verified payment for it
// arrived afterwards (a notification or query answer with the verdict
// after_close). Such a payment passed the amount and currency checks, so
// it is for the order's total.
func paidAfterClose(tx *gorm.DB, o *Order) (bool, error) {
	if o.Status != StatusClosed {
		return false, nil
	}
	var n int64
	err := tx.Model(&Notification{}).Where("order_id = ? AND verdict = ?", o.ID, VerdictAfterClose).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("look up payments after close: %w", err)
	}
	return n > 0, nil
}

// StartRefund reserves a refund of amount for the paid order orderNo (or a
// closed one that was paid after it closed, without restock) and
// stores it, with its out_return_no, before anything is sent to Alipay: a
// retry after a crash or a timeout sends the same out_return_no. Unless an
// answer is recorded first, the refund checker sends it again from
// RefundAnswerWait on. Refunds
// started together cannot exceed the paid total: the reservation is made
// in the order's write transaction.
func (db *DB) StartRefund(ctx context.Context, orderNo string, amount int64, reason string, restock bool, a AuditEntry) (*Refund, error) {
	return db.startRefund(ctx, orderNo, amount, reason, restock, false, a)
}

// StartAsyncRefund is StartRefund for a refund sent with is_sync=N: Alipay
// only accepts it, and it stays pending until its notification or
// alipay.acquire.refund.query says how it ended.
func (db *DB) StartAsyncRefund(ctx context.Context, orderNo string, amount int64, reason string, restock bool, a AuditEntry) (*Refund, error) {
	return db.startRefund(ctx, orderNo, amount, reason, restock, true, a)
}

func (db *DB) startRefund(ctx context.Context, orderNo string, amount int64, reason string, restock, async bool, a AuditEntry) (*Refund, error) {
	var r *Refund
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		o, err := lockOrder(tx, orderNo)
		if err != nil {
			return err
		}
		if o.Status != StatusPaid {
			// A payment that arrived after the order closed is the buyer's
			// money all the same: it can only be given back. The stock
			// came back when the order closed, so not a second time.
			late, err := paidAfterClose(tx, o)
			if err != nil {
				return err
			}
			if !late {
				return fmt.Errorf("refund of a %s order: %w", o.Status, ErrState)
			}
			if restock {
				return fmt.Errorf("restock a closed order, whose items came back when it closed: %w", ErrInvalid)
			}
		}
		left, err := refundable(tx, o)
		if err != nil {
			return err
		}
		if amount <= 0 {
			return fmt.Errorf("refund amount %d: %w", amount, ErrInvalid)
		}
		if amount > left {
			return fmt.Errorf("%d asked, %d left: %w", amount, left, ErrRefundExceeds)
		}
		var n int64
		if err := tx.Model(&Refund{}).Where("order_id = ?", o.ID).Count(&n).Error; err != nil {
			return err
		}
		now := tx.NowFunc()
		resend := now.Add(RefundAnswerWait)
		r = &Refund{OrderID: o.ID, OutReturnNo: fmt.Sprintf("%sR%02d", o.OrderNo, n+1), AmountMinor: amount,
			Currency: o.Currency, Reason: clip(reason, 100), Restock: restock, Status: RefundPending,
			CreatedBy: a.Staff, CreatedAt: now, UpdatedAt: now, IsAsync: async, NextCheckAt: &resend}
		if err := tx.Create(r).Error; err != nil {
			return fmt.Errorf("insert refund: %w", err)
		}
		if err := recordEvent(tx, o.ID, KindRefund, a.Staff, fmt.Sprintf("Refund %s of %d asked for: %s", r.OutReturnNo, amount, reason)); err != nil {
			return err
		}
		a.Target, a.Detail = o.OrderNo, fmt.Sprintf("refund %s of %d %s (restock: %t): %s", r.OutReturnNo, amount, o.Currency, restock, reason)
		return audit(tx, a)
	})
	if err != nil {
		return nil, fmt.Errorf("start refund of %s: %w", orderNo, err)
	}
	return r, nil
}

// RefundByNo returns the refund with the given out_return_no.
func (db *DB) RefundByNo(ctx context.Context, outReturnNo string) (*Refund, error) {
	var r Refund
	if err := db.gorm.WithContext(ctx).Where("out_return_no = ?", outReturnNo).Take(&r).Error; err != nil {
		return nil, fmt.Errorf("refund %s: %w", outReturnNo, notFound(err))
	}
	return &r, nil
}

// RefundsOf returns an order's refunds, oldest first.
func (db *DB) RefundsOf(ctx context.Context, orderID uint) ([]Refund, error) {
	var rs []Refund
	if err := db.gorm.WithContext(ctx).Where("order_id = ?", orderID).Order("id").Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("refunds of order %d: %w", orderID, err)
	}
	return rs, nil
}

// FinishRefund records Alipay's final answer about a pending refund. A
// success adds the amount to the order's refunded total, makes the order
// refunded when that reaches the paid total, and then returns the items
// to stock if the merchant asked. A failure releases the amount. An
// answer for a refund that is no longer pending changes nothing.
func (db *DB) FinishRefund(ctx context.Context, outReturnNo string, ok bool, code, message string) (*Refund, error) {
	return db.FinishRefundFrom(ctx, outReturnNo, ok, code, message, "")
}

// FinishRefundFrom is FinishRefund with the source of the answer (such as
// "alipay.acquire.refund.query") named on the order's timeline.
func (db *DB) FinishRefundFrom(ctx context.Context, outReturnNo string, ok bool, code, message, source string) (*Refund, error) {
	var r Refund
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("out_return_no = ?", outReturnNo).Take(&r).Error; err != nil {
			return notFound(err)
		}
		if r.Status != RefundPending {
			return nil
		}
		o, err := lockOrderByID(tx, r.OrderID)
		if err != nil {
			return err
		}
		_, err = finishRefund(tx, o, &r, ok, code, message, source)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("finish refund %s: %w", outReturnNo, err)
	}
	return &r, nil
}

// lockOrderByID is lockOrder by the order's id.
func lockOrderByID(tx *gorm.DB, id uint) (*Order, error) {
	var o Order
	if err := forUpdate(tx).Take(&o, id).Error; err != nil {
		return nil, notFound(err)
	}
	return &o, nil
}

// finishRefund ends the pending refund r of the locked order o, once: the
// conditional update on its status is what makes two answers (a
// notification and a query racing) count once. It reports whether this
// call ended it.
func finishRefund(tx *gorm.DB, o *Order, r *Refund, ok bool, code, message, source string) (bool, error) {
	now := tx.NowFunc()
	status := RefundFailed
	if ok {
		status = RefundSucceeded
	}
	res := tx.Model(&Refund{}).Where("id = ? AND status = ?", r.ID, RefundPending).Updates(map[string]any{
		"status": status, "error_code": clip(code, 64), "error_message": clip(message, 500), "updated_at": now,
		"finished_at": now, "next_check_at": nil})
	if res.Error != nil {
		return false, res.Error
	}
	if res.RowsAffected == 0 {
		return false, nil
	}
	r.Status, r.ErrorCode, r.ErrorMessage, r.FinishedAt, r.NextCheckAt = status, code, message, &now, nil
	from := ""
	if source != "" {
		from = " (" + source + ")"
	}
	if !ok {
		return true, recordEvent(tx, o.ID, KindRefund, "alipay", fmt.Sprintf("Refund %s failed%s: %s %s", r.OutReturnNo, from, code, message))
	}
	if err := recordEvent(tx, o.ID, KindRefund, "alipay", fmt.Sprintf("Refund %s of %d succeeded%s.", r.OutReturnNo, r.AmountMinor, from)); err != nil {
		return true, err
	}
	return true, applyRefund(tx, o, r, now)
}

// applyRefund adds a succeeded refund to its order.
func applyRefund(tx *gorm.DB, o *Order, r *Refund, now time.Time) error {
	res := tx.Model(&Order{}).Where("id = ? AND refunded_minor + ? <= total_minor", o.ID, r.AmountMinor).
		Updates(map[string]any{"refunded_minor": gorm.Expr("refunded_minor + ?", r.AmountMinor), "updated_at": now})
	if res.Error != nil {
		return fmt.Errorf("add refund to order: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("refund %s would exceed order %s's total: %w", r.OutReturnNo, o.OrderNo, ErrRefundExceeds)
	}
	if o.RefundedMinor+r.AmountMinor < o.TotalMinor {
		return nil
	}
	if err := tx.Model(&Order{}).Where("id = ? AND status = ?", o.ID, StatusPaid).
		Updates(map[string]any{"status": StatusRefunded, "updated_at": now}).Error; err != nil {
		return fmt.Errorf("mark refunded: %w", err)
	}
	var restock int64
	if err := tx.Model(&Refund{}).Where("order_id = ? AND status = ? AND restock", o.ID, RefundSucceeded).Count(&restock).Error; err != nil {
		return err
	}
	if restock == 0 || o.RestockedAt != nil {
		return nil
	}
	var lines []OrderLine
	if err := tx.Where("order_id = ?", o.ID).Order("product_id").Find(&lines).Error; err != nil {
		return err
	}
	for _, l := range lines {
		if err := tx.Exec("UPDATE products SET stock = stock + ?, updated_at = ? WHERE id = ?", l.Quantity, now, l.ProductID).Error; err != nil {
			return fmt.Errorf("restock product %d: %w", l.ProductID, err)
		}
	}
	if err := tx.Model(&Order{}).Where("id = ?", o.ID).Update("restocked_at", now).Error; err != nil {
		return err
	}
	return recordEvent(tx, o.ID, KindRestocked, r.CreatedBy, "The items went back to stock.")
}
