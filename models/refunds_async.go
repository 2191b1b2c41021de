package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Asynchronous refunds (is_sync=N): Alipay accepts them, makes them later
// and says how they ended in a refund notification. Until then they stay
// pending with their amount reserved, and the refund checker asks
// alipay.acquire.refund.query from NextCheckAt on, with a growing interval,
// in case the notification never comes.

// AcceptRefund records that Alipay accepted the pending asynchronous
// refund outReturnNo, and when to ask about it first. Accepting it again
// (a retry answered the same) only moves the next check.
func (db *DB) AcceptRefund(ctx context.Context, outReturnNo string, nextCheck time.Time) (*Refund, error) {
	var r Refund
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("out_return_no = ?", outReturnNo).Take(&r).Error; err != nil {
			return notFound(err)
		}
		if r.Status != RefundPending {
			return nil
		}
		now := tx.NowFunc()
		first := r.AcceptedAt == nil
		updates := map[string]any{"next_check_at": nextCheck.UTC(), "updated_at": now}
		if first {
			updates["accepted_at"] = now
		}
		res := tx.Model(&Refund{}).Where("id = ? AND status = ?", r.ID, RefundPending).Updates(updates)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		next := nextCheck.UTC()
		r.NextCheckAt = &next
		if !first {
			return nil
		}
		r.AcceptedAt = &now
		return recordEvent(tx, r.OrderID, KindRefund, "alipay",
			fmt.Sprintf("Refund %s accepted by Alipay; it is made later and its result notified.", r.OutReturnNo))
	})
	if err != nil {
		return nil, fmt.Errorf("accept refund %s: %w", outReturnNo, err)
	}
	return &r, nil
}

// RefundCheck is a pending refund due to be sent again or asked about,
// with its order's number (out_trade_no) and channel.
type RefundCheck struct {
	Refund
	OrderNo string
	Channel Channel
}

// DueRefundChecks returns up to limit pending refunds whose next check is
// due at now, the most overdue first: unanswered ones to send again,
// accepted asynchronous ones to ask about.
func (db *DB) DueRefundChecks(ctx context.Context, now time.Time, limit int) ([]RefundCheck, error) {
	var rs []RefundCheck
	err := db.gorm.WithContext(ctx).Table("refunds").Select("refunds.*, orders.order_no, orders.channel").
		Joins("JOIN orders ON orders.id = refunds.order_id").
		Where("refunds.status = ? AND refunds.next_check_at IS NOT NULL AND refunds.next_check_at <= ?", RefundPending, now.UTC()).
		Order("refunds.next_check_at, refunds.id").Limit(limit).Scan(&rs).Error
	if err != nil {
		return nil, fmt.Errorf("refunds due for a check: %w", err)
	}
	return rs, nil
}

// RefundChecked records a check that did not end the refund (Alipay still
// processing it, or not answering) and when to check next. It changes
// nothing once the refund has ended.
func (db *DB) RefundChecked(ctx context.Context, outReturnNo string, next time.Time) error {
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		return tx.Model(&Refund{}).Where("out_return_no = ? AND status = ?", outReturnNo, RefundPending).
			Updates(map[string]any{"checks": gorm.Expr("checks + 1"), "next_check_at": next.UTC(), "updated_at": tx.NowFunc()}).Error
	})
	if err != nil {
		return fmt.Errorf("refund %s checked: %w", outReturnNo, err)
	}
	return nil
}

// RefundOutcome is what a verified refund notification says about one
// refund. AmountMinor and Currency are zero when it does not carry them.
type RefundOutcome struct {
	OutTradeNo  string
	OutReturnNo string
	OK          bool   // REFUND_SUCCESS
	Code        string // why it failed
	AmountMinor int64
	Currency    string
}

// ApplyRefundNotification applies a verified refund notification to its
// refund exactly once and records the notification raw with its verdict,
// in one transaction (the notification row last: on error nothing is
// written). It never touches an order's payment: a refund's result can end
// a pending refund, nothing else. A notification for a refund the shop does
// not know, for another order's refund, with another amount or currency,
// or contradicting how the refund already ended is flagged for a person.
func (db *DB) ApplyRefundNotification(ctx context.Context, n *Notification, out RefundOutcome) (Verdict, error) {
	rec := *n
	rec.OutTradeNo, rec.OutReturnNo = out.OutTradeNo, out.OutReturnNo
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		o, err := lockOrder(tx, out.OutTradeNo)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("lock order: %w", err)
		}
		rec.OrderID = nil
		if o != nil {
			rec.OrderID = &o.ID
		}
		rec.Verdict, rec.Detail, err = refundVerdict(tx, o, out)
		if err != nil {
			return err
		}
		if rec.Verdict.Flagged() && o != nil {
			if err := flagOrder(tx, o.ID, rec.Detail); err != nil {
				return err
			}
		}
		return insertNotification(tx, &rec)
	})
	if err != nil {
		return "", fmt.Errorf("apply refund notification %s: %w", out.OutReturnNo, err)
	}
	*n = rec
	return rec.Verdict, nil
}

// refundVerdict decides about a refund notification for the locked order
// o (nil if unknown) and makes the change the verdict stands for.
func refundVerdict(tx *gorm.DB, o *Order, out RefundOutcome) (Verdict, string, error) {
	var r Refund
	err := tx.Where("out_return_no = ?", out.OutReturnNo).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return VerdictUnknownRefund, fmt.Sprintf("No refund has out_return_no %q.", out.OutReturnNo), nil
	}
	if err != nil {
		return "", "", fmt.Errorf("load refund: %w", err)
	}
	switch {
	case o == nil || r.OrderID != o.ID:
		return VerdictMismatch, fmt.Sprintf("Refund %s is not of order %q.", r.OutReturnNo, out.OutTradeNo), nil
	case out.Currency != "" && out.Currency != r.Currency:
		return VerdictMismatch, fmt.Sprintf("Refund %s notified in %s, asked for in %s.", r.OutReturnNo, out.Currency, r.Currency), nil
	case out.Currency != "" && out.AmountMinor != r.AmountMinor:
		return VerdictMismatch, fmt.Sprintf("Refund %s notified for %d minor units, asked for %d.", r.OutReturnNo, out.AmountMinor, r.AmountMinor), nil
	}
	if r.Status == RefundPending {
		ended, err := finishRefund(tx, o, &r, out.OK, out.Code, errorText(out.Code), "its notification")
		if err != nil {
			return "", "", err
		}
		if ended && out.OK {
			return VerdictRefunded, fmt.Sprintf("Refund %s succeeded.", r.OutReturnNo), nil
		}
		if ended {
			return VerdictRefundFailed, fmt.Sprintf("Refund %s failed: %s.", r.OutReturnNo, out.Code), nil
		}
		if err := tx.Take(&r, r.ID).Error; err != nil {
			return "", "", err
		}
	}
	if (r.Status == RefundSucceeded) == out.OK {
		return VerdictDuplicate, fmt.Sprintf("Refund %s already recorded as %s; no second effect.", r.OutReturnNo, r.Status), nil
	}
	return VerdictMismatch, fmt.Sprintf("Alipay says refund %s %s, the shop recorded it %s.", r.OutReturnNo, outcomeWord(out.OK), r.Status), nil
}

func outcomeWord(ok bool) string {
	if ok {
		return "succeeded"
	}
	return "failed"
}

// errorText is the message stored with a failure code from a notification.
func errorText(code string) string {
	if code == "" {
		return ""
	}
	return "reported by Alipay's refund notification"
}
