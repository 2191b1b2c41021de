package models

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// MailKind names the e-mail an outbox row stands for.
type MailKind string

// The e-mails the shop sends.
const (
	// MailOrderPaid confirms a paid order to the shopper.
	MailOrderPaid MailKind = "order_paid"
)

// MailStatus is where an outbox row is: waiting to be sent (again), sent,
// or given up.
type MailStatus string

// The outbox states.
const (
	MailPending MailStatus = "pending"
	MailSent    MailStatus = "sent"
	MailFailed  MailStatus = "failed"
)

// ErrLeaseLost: the outbox row is no longer claimed by the caller (its
// lease ran out and another worker took it), so the caller's result is not
// recorded.
var ErrLeaseLost = errors.New("outbox lease lost")

// Mail is one e-mail in the outbox. The row is written in the transaction
// that makes the change it reports (the paid transition), so the e-mail
// exists exactly when the change does; a worker sends it later, outside
// that transaction. The message itself is rendered when it is sent, from
// the order as it is then.
type Mail struct {
	ID        uint     `gorm:"primaryKey"`
	Kind      MailKind `gorm:"not null"`
	OrderID   uint     `gorm:"not null"`
	Order     *Order
	Recipient string     `gorm:"not null"`
	Status    MailStatus `gorm:"not null"`
	// Attempts counts the claims: a claim is an attempt even when the
	// process dies before recording its result.
	Attempts int       `gorm:"not null"`
	NextAt   time.Time `gorm:"not null"` // due from then, while pending
	// LeaseToken and LeasedUntil mark a row claimed by one worker: no
	// other claims it before LeasedUntil, and only the holder of the
	// token records its result.
	LeaseToken  string `gorm:"not null"`
	LeasedUntil *time.Time
	LastError   string `gorm:"not null"`
	SentAt      *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// TableName is the table the migrations create.
func (Mail) TableName() string { return "outbox" }

// enqueueMail writes the outbox row for kind about the order o, due at
// once, if the shopper gave an e-mail address. It runs inside the
// transaction that makes the change; the unique (order_id, kind) index
// makes a second row for the same e-mail impossible, and a conflict is
// skipped rather than allowed to fail that transaction.
func enqueueMail(tx *gorm.DB, o *Order, kind MailKind) error {
	if o.Email == "" {
		return nil
	}
	now := tx.NowFunc().UTC()
	m := Mail{Kind: kind, OrderID: o.ID, Recipient: o.Email, Status: MailPending, NextAt: now, CreatedAt: now, UpdatedAt: now}
	err := tx.Omit(clause.Associations).
		Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "order_id"}, {Name: "kind"}}, DoNothing: true}).
		Create(&m).Error
	if err != nil {
		return fmt.Errorf("queue %s e-mail: %w", kind, err)
	}
	return nil
}

// ClaimMail claims up to limit outbox rows due at now (pending, next_at
// reached, not leased to another worker), counts an attempt on each and
// leases them until now+lease; it returns them with their orders and
// lines. The caller must record each result (MailSent, MailFailed)
// before the lease ends.
//
// Several instances claim at once on PostgreSQL: the rows are read with
// FOR UPDATE SKIP LOCKED, so each goes to one claimer and the others pass
// over it instead of waiting. On SQLite the immediate transaction holds
// the database's only write lock, which serializes claims.
func (db *DB) ClaimMail(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Mail, error) {
	now = now.UTC()
	token := rand.Text()
	until := now.Add(lease)
	var claimed []Mail
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		claimed = nil // a transaction run again starts afresh
		var due []Mail
		q := tx.Select("id").
			Where("status = ? AND next_at <= ? AND (leased_until IS NULL OR leased_until <= ?)", MailPending, now, now).
			Order("next_at, id").Limit(limit)
		if tx.Dialector.Name() == "postgres" {
			q = q.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
		}
		if err := q.Find(&due).Error; err != nil {
			return fmt.Errorf("find due e-mails: %w", err)
		}
		if len(due) == 0 {
			return nil
		}
		ids := make([]uint, len(due))
		for i, m := range due {
			ids[i] = m.ID
		}
		err := tx.Model(&Mail{}).Where("id IN ? AND status = ?", ids, MailPending).Updates(map[string]any{
			"attempts": gorm.Expr("attempts + 1"), "lease_token": token, "leased_until": until, "updated_at": now,
		}).Error
		if err != nil {
			return fmt.Errorf("lease e-mails: %w", err)
		}
		return tx.Preload("Order.Lines", orderLinesByID).Where("id IN ? AND lease_token = ?", ids, token).
			Order("next_at, id").Find(&claimed).Error
	})
	if err != nil {
		return nil, fmt.Errorf("claim e-mails: %w", err)
	}
	return claimed, nil
}

// MailSent records that the claimed row m went out at at. It returns
// ErrLeaseLost if m's lease is no longer the caller's.
func (db *DB) MailSent(ctx context.Context, m *Mail, at time.Time) error {
	return db.finishMail(ctx, m, map[string]any{"status": MailSent, "sent_at": at.UTC(), "last_error": ""})
}

// MailFailed records that sending the claimed row m failed with reason:
// it is due again at retryAt, or, with a zero retryAt, given up (kept
// with its last error). It returns ErrLeaseLost if m's lease is no longer
// the caller's.
func (db *DB) MailFailed(ctx context.Context, m *Mail, reason string, retryAt time.Time) error {
	change := map[string]any{"last_error": clip(reason, 1000)}
	if retryAt.IsZero() {
		change["status"] = MailFailed
	} else {
		change["next_at"] = retryAt.UTC()
	}
	return db.finishMail(ctx, m, change)
}

// finishMail applies change to m and ends its lease, if the lease is
// still the caller's.
func (db *DB) finishMail(ctx context.Context, m *Mail, change map[string]any) error {
	change["lease_token"], change["leased_until"], change["updated_at"] = "", nil, db.gorm.NowFunc().UTC()
	var affected int64
	err := db.write(ctx, func(g *gorm.DB) error {
		res := g.Model(&Mail{}).
			Where("id = ? AND status = ? AND lease_token = ?", m.ID, MailPending, m.LeaseToken).Updates(change)
		affected = res.RowsAffected
		return res.Error
	})
	if err != nil {
		return fmt.Errorf("record e-mail %d: %w", m.ID, err)
	}
	if affected != 1 {
		return fmt.Errorf("record e-mail %d: %w", m.ID, ErrLeaseLost)
	}
	return nil
}

// MailOf returns the outbox rows of an order, oldest first.
func (db *DB) MailOf(ctx context.Context, orderID uint) ([]Mail, error) {
	var ms []Mail
	if err := db.gorm.WithContext(ctx).Where("order_id = ?", orderID).Order("id").Find(&ms).Error; err != nil {
		return nil, fmt.Errorf("e-mails of order %d: %w", orderID, err)
	}
	return ms, nil
}
