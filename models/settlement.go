package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// SettlementFile names one of Alipay's two files about past days.
type SettlementFile string

// The files: forex_compare_file lists the transactions that happened on a
// day, forex_liquidation_file those settled on it.
const (
	FileCompare     SettlementFile = "compare"
	FileLiquidation SettlementFile = "liquidation"
)

// SettlementLine is one line of a file as fetched, under the Beijing day
// (yyyy-mm-dd) of the file it belongs to: for the reconciliation file the
// day of the transaction, for the settlement file the day of settlement.
type SettlementLine struct {
	ID             uint
	File           SettlementFile
	Day            string
	PartnerTransID string // out_trade_no of a payment, out_return_no of a refund
	Type           string // "P" or "R"
	AmountMinor    int64
	FeeMinor       int64
	Currency       string
	TransactionAt  time.Time
	SettledAt      *time.Time
	Status         string
	Remarks        string
	Line           int
	FetchedAt      time.Time
}

// SettlementDay records that a file was fetched for a day, and how many
// lines it had: a day fetched with no line is not a day never fetched.
type SettlementDay struct {
	File      SettlementFile `gorm:"primaryKey"`
	Day       string         `gorm:"primaryKey"`
	Lines     int
	FetchedAt time.Time
	FetchedBy string
}

// StoreSettlement replaces what is stored of file for days with lines, in
// one transaction: fetching a day again gives the file as Alipay serves it
// now, never a line twice. Every line's Day must be one of days.
func (db *DB) StoreSettlement(ctx context.Context, file SettlementFile, days []string, lines []SettlementLine, by string, at time.Time) error {
	in := map[string]int{}
	for _, d := range days {
		in[d] = 0
	}
	for _, l := range lines {
		n, ok := in[l.Day]
		if !ok {
			return fmt.Errorf("store %s file: line %d is of day %s, not fetched", file, l.Line, l.Day)
		}
		in[l.Day] = n + 1
	}
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		// The daily fetch and a person's may store the same days at once:
		// on PostgreSQL both deletes would see nothing to delete and both
		// inserts would land, unless they take turns.
		if err := lockKey(tx, "settlement:"+string(file)); err != nil {
			return err
		}
		if err := tx.Where("file = ? AND day IN ?", file, days).Delete(&SettlementLine{}).Error; err != nil {
			return err
		}
		if len(lines) > 0 {
			rows := make([]SettlementLine, len(lines))
			for i, l := range lines {
				l.ID, l.File, l.FetchedAt = 0, file, at.UTC()
				l.TransactionAt = l.TransactionAt.UTC()
				if l.SettledAt != nil {
					s := l.SettledAt.UTC()
					l.SettledAt = &s
				}
				rows[i] = l
			}
			if err := tx.CreateInBatches(rows, 200).Error; err != nil {
				return err
			}
		}
		for _, d := range days {
			row := SettlementDay{File: file, Day: d, Lines: in[d], FetchedAt: at.UTC(), FetchedBy: clip(by, 64)}
			err := tx.Clauses(clause.OnConflict{
				Columns:   []clause.Column{{Name: "file"}, {Name: "day"}},
				DoUpdates: clause.AssignmentColumns([]string{"lines", "fetched_at", "fetched_by"}),
			}).Create(&row).Error
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store %s file: %w", file, err)
	}
	return nil
}

// SettlementDays returns the days fetched between from and to (yyyy-mm-dd,
// both included), by file and day.
func (db *DB) SettlementDays(ctx context.Context, from, to string) ([]SettlementDay, error) {
	var ds []SettlementDay
	err := db.gorm.WithContext(ctx).Where("day >= ? AND day <= ?", from, to).Order("file, day").Find(&ds).Error
	if err != nil {
		return nil, fmt.Errorf("settlement days: %w", err)
	}
	return ds, nil
}

// SettlementLines returns the lines of the reconciliation file of the days
// from to to, and the lines of the settlement file whose transaction
// happened in [start, end), in file order.
func (db *DB) SettlementLines(ctx context.Context, from, to string, start, end time.Time) ([]SettlementLine, error) {
	var ls []SettlementLine
	err := db.gorm.WithContext(ctx).
		Where("(file = ? AND day >= ? AND day <= ?) OR (file = ? AND transaction_at >= ? AND transaction_at < ?)",
			FileCompare, from, to, FileLiquidation, start.UTC(), end.UTC()).
		Order("file, day, line, id").Find(&ls).Error
	if err != nil {
		return nil, fmt.Errorf("settlement lines: %w", err)
	}
	return ls, nil
}

// LedgerOrder is an order as reconciliation sees it.
type LedgerOrder struct {
	OrderNo     string
	TradeNo     *string
	Status      Status
	Currency    string
	TotalMinor  int64
	PaidAt      *time.Time
	RefundTotal int64 `gorm:"column:refunded_minor"`
}

// LedgerRefund is a refund as reconciliation sees it.
type LedgerRefund struct {
	OutReturnNo string
	OrderNo     string
	Status      RefundStatus
	Currency    string
	AmountMinor int64
	FinishedAt  *time.Time
}

const ledgerOrderColumns = "order_no, trade_no, status, currency, total_minor, paid_at, refunded_minor"

// LedgerRecords returns the shop's side of a reconciliation: the orders
// paid in [start, end) and the refunds that succeeded in it, and besides
// them the orders and refunds the files name (ids: out_trade_no, trade_no
// or out_return_no), whatever their state.
func (db *DB) LedgerRecords(ctx context.Context, start, end time.Time, ids []string) ([]LedgerOrder, []LedgerRefund, error) {
	g := db.gorm.WithContext(ctx)
	var os []LedgerOrder
	err := g.Table("orders").Select(ledgerOrderColumns).
		Where("paid_at >= ? AND paid_at < ? AND status IN ?", start.UTC(), end.UTC(), []Status{StatusPaid, StatusRefunded}).
		Order("paid_at, id").Scan(&os).Error
	if err != nil {
		return nil, nil, fmt.Errorf("ledger orders: %w", err)
	}
	var rs []LedgerRefund
	refundQuery := func(where string, args ...any) error {
		var got []LedgerRefund
		err := g.Table("refunds").Select("refunds.out_return_no, orders.order_no, refunds.status, refunds.currency, refunds.amount_minor, refunds.finished_at").
			Joins("JOIN orders ON orders.id = refunds.order_id").Where(where, args...).Order("refunds.id").Scan(&got).Error
		rs = append(rs, got...)
		return err
	}
	if err := refundQuery("refunds.status = ? AND refunds.finished_at >= ? AND refunds.finished_at < ?", RefundSucceeded, start.UTC(), end.UTC()); err != nil {
		return nil, nil, fmt.Errorf("ledger refunds: %w", err)
	}
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), 500)]
		ids = ids[len(chunk):]
		var more []LedgerOrder
		if err := g.Table("orders").Select(ledgerOrderColumns).Where("order_no IN ? OR trade_no IN ?", chunk, chunk).Scan(&more).Error; err != nil {
			return nil, nil, fmt.Errorf("ledger orders: %w", err)
		}
		os = append(os, more...)
		if err := refundQuery("refunds.out_return_no IN ?", chunk); err != nil {
			return nil, nil, fmt.Errorf("ledger refunds: %w", err)
		}
	}
	return os, rs, nil
}
