package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ApplyPayment applies one verified notification to its order, exactly
// once, and records the notification with its verdict. Everything happens
// in one immediate transaction and the notification row is written last:
// on error nothing at all is written, so the caller can answer Alipay with
// a failure and let it retry. On success n holds the stored row, and the
// order is returned as it is after the transaction (nil for an unknown
// order).
func (db *DB) ApplyPayment(ctx context.Context, n *Notification, p Payment) (Verdict, *Order, error) {
	rec := *n
	var order *Order
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		if _, err := lockOrder(tx, p.OrderNo); err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("lock order: %w", err)
		}
		o, err := orderByNo(tx, p.OrderNo)
		if errors.Is(err, ErrNotFound) {
			rec.Verdict, rec.OrderID = VerdictUnknownOrder, nil
			rec.Detail = fmt.Sprintf("No order has out_trade_no %q.", p.OrderNo)
			return insertNotification(tx, &rec)
		}
		if err != nil {
			return fmt.Errorf("load order: %w", err)
		}
		if rec.Verdict, rec.Detail, err = applyToOrder(tx, o, p); err != nil {
			return err
		}
		rec.OrderID = &o.ID
		if order, err = orderByNo(tx, p.OrderNo); err != nil {
			return fmt.Errorf("reload order: %w", err)
		}
		return insertNotification(tx, &rec)
	})
	if err != nil {
		return "", nil, fmt.Errorf("apply payment to order %s: %w", p.OrderNo, err)
	}
	*n = rec
	return rec.Verdict, order, nil
}

// applyToOrder decides the verdict for an order that exists and makes the
// change the verdict stands for.
func applyToOrder(tx *gorm.DB, o *Order, p Payment) (Verdict, string, error) {
	if !p.NotifiedAt.IsZero() && p.NotifiedAt.Before(o.CreatedAt.Add(-clockSkew)) {
		reason := fmt.Sprintf("Notification sent at %s, before the order was created (%s): a replay.",
			p.NotifiedAt.UTC().Format(time.RFC3339), o.CreatedAt.UTC().Format(time.RFC3339))
		return VerdictStale, reason, flagOrder(tx, o.ID, reason)
	}
	switch p.Event {
	case EventPaid:
		return applyPaid(tx, o, p)
	case EventClosed:
		if o.Status != StatusPending {
			return VerdictIgnored, fmt.Sprintf("Trade reported closed while the order is %s; nothing changed.", o.Status), nil
		}
		closed, err := closeOrder(tx, o.ID, "Alipay reported the trade closed")
		if err != nil {
			return "", "", err
		}
		if !closed {
			return "", "", fmt.Errorf("close order %d: no longer pending inside its own transaction", o.ID)
		}
		return VerdictClosed, "Trade reported closed: the pending order was closed and its stock returned.", nil
	}
	return VerdictIgnored, fmt.Sprintf("Trade status reports no payment and no closing; the order stays %s.", o.Status), nil
}

// clockSkew is how far Alipay's clock and ours may disagree.
const clockSkew = 10 * time.Minute

// applyPaid marks a pending order paid. The conditional update is what
// makes the payment count once: of any number of notifications for the
// same order, one sees a row change.
func applyPaid(tx *gorm.DB, o *Order, p Payment) (Verdict, string, error) {
	conflict, err := paymentConflict(tx, o, p)
	if err != nil {
		return "", "", err
	}
	if conflict != "" {
		return VerdictMismatch, conflict, flagOrder(tx, o.ID, conflict)
	}
	now := tx.NowFunc()
	at := p.At.UTC()
	if p.At.IsZero() {
		at = now
	}
	res := tx.Model(&Order{}).Where("id = ? AND status = ?", o.ID, StatusPending).
		Updates(map[string]any{"status": StatusPaid, "trade_no": p.TradeNo, "paid_at": at, "updated_at": now})
	if res.Error != nil {
		return "", "", fmt.Errorf("mark paid: %w", res.Error)
	}
	if res.RowsAffected == 1 {
		source, actor := "a verified notification", "alipay"
		if p.NotifiedAt.IsZero() {
			source, actor = "a verified single_trade_query answer", "query"
		}
		if err := recordEvent(tx, o.ID, KindPaid, actor, fmt.Sprintf("Payment %s, from %s.", p.TradeNo, source)); err != nil {
			return "", "", err
		}
		// The confirmation e-mail exists exactly when the payment does.
		if err := enqueueMail(tx, o, MailOrderPaid); err != nil {
			return "", "", err
		}
		return VerdictPaid, fmt.Sprintf("Payment %s marked the order paid.", p.TradeNo), nil
	}
	var cur Order
	if err := tx.Select("status", "trade_no").Take(&cur, o.ID).Error; err != nil {
		return "", "", fmt.Errorf("reload order: %w", err)
	}
	sameTrade := cur.TradeNo != nil && *cur.TradeNo == p.TradeNo
	switch cur.Status {
	case StatusPaid, StatusRefunded:
		if sameTrade {
			return VerdictDuplicate, fmt.Sprintf("Payment %s was already recorded; no second effect.", p.TradeNo), nil
		}
		reason := fmt.Sprintf("Second payment %s for an order already paid by another trade.", p.TradeNo)
		return VerdictSecondPayment, reason, flagOrder(tx, o.ID, reason)
	case StatusClosed:
		reason := fmt.Sprintf("Payment %s arrived for a closed order; the order stays closed.", p.TradeNo)
		return VerdictAfterClose, reason, flagOrder(tx, o.ID, reason)
	}
	return "", "", fmt.Errorf("mark paid: order %d in unexpected status %q", o.ID, cur.Status)
}

// paymentConflict returns why a payment cannot belong to the order, or ""
// when amount, currency and trade_no agree with it.
func paymentConflict(tx *gorm.DB, o *Order, p Payment) (string, error) {
	switch {
	case p.TradeNo == "":
		return "Payment notification without a trade_no.", nil
	case p.Currency != o.Currency:
		return fmt.Sprintf("Payment %s is in %s, the order in %s.", p.TradeNo, p.Currency, o.Currency), nil
	case p.AmountMinor != o.TotalMinor:
		return fmt.Sprintf("Payment %s is for %d minor units of %s, the order total is %d.",
			p.TradeNo, p.AmountMinor, p.Currency, o.TotalMinor), nil
	}
	var other Order
	err := tx.Select("order_no").Where("trade_no = ? AND id <> ?", p.TradeNo, o.ID).Take(&other).Error
	if err == nil {
		return fmt.Sprintf("Payment %s already belongs to order %s.", p.TradeNo, other.OrderNo), nil
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return "", fmt.Errorf("look up trade_no: %w", err)
	}
	return "", nil
}

// flagOrder marks an order for review. Retries of the same notification
// carry the same reason, which is recorded once.
func flagOrder(tx *gorm.DB, orderID uint, reason string) error {
	var o Order
	if err := tx.Select("flag_reason").Take(&o, orderID).Error; err != nil {
		return fmt.Errorf("flag order: %w", err)
	}
	if !strings.Contains(o.FlagReason, reason) {
		o.FlagReason = strings.TrimSpace(o.FlagReason + " " + reason)
	}
	err := tx.Model(&Order{}).Where("id = ?", orderID).
		Updates(map[string]any{"flagged": true, "flag_reason": o.FlagReason, "updated_at": tx.NowFunc()}).Error
	if err != nil {
		return fmt.Errorf("flag order: %w", err)
	}
	return nil
}

// RecordUnapplied stores a notification that changes no money state: one
// disowned by notify_verify (VerdictRejected, the default for an empty
// verdict), one that could not be checked yet (VerdictDeferred), or one
// that verified but cannot be applied (VerdictUnbound, VerdictStale,
// VerdictUnreadable). It is linked to the order its out_trade_no names,
// if any; for the last three that order is flagged for a person.
func (db *DB) RecordUnapplied(ctx context.Context, n *Notification) error {
	switch n.Verdict {
	case "", VerdictRejected, VerdictDeferred, VerdictUnbound, VerdictStale, VerdictUnreadable:
	default:
		return fmt.Errorf("record unapplied notification: verdict is %q", n.Verdict)
	}
	rec := *n
	rec.OrderID = nil
	if rec.Verdict == "" {
		rec.Verdict = VerdictRejected
	}
	if rec.Detail == "" {
		rec.Detail = "The notification failed verification."
	}
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		if rec.OutTradeNo != "" {
			o, err := lockOrder(tx, rec.OutTradeNo)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return fmt.Errorf("look up order: %w", err)
			}
			if err == nil {
				rec.OrderID = &o.ID
				if rec.Verdict.Flagged() {
					if err := flagOrder(tx, o.ID, rec.Detail); err != nil {
						return err
					}
				}
			}
		}
		return insertNotification(tx, &rec)
	})
	if err != nil {
		return fmt.Errorf("record unapplied notification: %w", err)
	}
	*n = rec
	return nil
}

// Notifications returns the notifications linked to an order, oldest first.
func (db *DB) Notifications(ctx context.Context, orderID uint) ([]Notification, error) {
	var ns []Notification
	err := db.gorm.WithContext(ctx).Where("order_id = ?", orderID).Order("received_at, id").Find(&ns).Error
	if err != nil {
		return nil, fmt.Errorf("notifications of order %d: %w", orderID, err)
	}
	return ns, nil
}

func insertNotification(tx *gorm.DB, rec *Notification) error {
	rec.Flagged = rec.Verdict.Flagged()
	if rec.ReceivedAt.IsZero() {
		rec.ReceivedAt = tx.NowFunc()
	}
	rec.ReceivedAt = rec.ReceivedAt.UTC()
	rec.ID, rec.Order = 0, nil // each reception is a new row
	if err := tx.Omit(clause.Associations).Create(rec).Error; err != nil {
		return fmt.Errorf("insert notification: %w", err)
	}
	if rec.Flagged {
		return openReview(tx, rec.OrderID, &rec.ID, string(rec.Verdict), rec.Detail)
	}
	return nil
}
