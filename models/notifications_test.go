package models

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
)

func TestApplyPaymentFaultWritesNothing(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	errInjected := errors.New("injected disk fault")
	// Fail the notification INSERT, the last write of ApplyPayment.
	err := db.Gorm().Callback().Create().Before("gorm:create").Register("test:fail_notification", func(tx *gorm.DB) {
		if tx.Statement.Table == "notifications" {
			_ = tx.AddError(errInjected)
		}
	})
	require.NoError(t, err)
	mug := product(t, db, "ceramic-mug")

	tests := []struct {
		name   string
		change func(*Payment)
	}{
		{"paid", func(*Payment) {}},
		{"closed", func(p *Payment) { p.Event = EventClosed }},
		{"mismatch flags", func(p *Payment) { p.AmountMinor++ }},
		{"unknown order", func(p *Payment) { p.OrderNo = "nope" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := createOrder(t, db, "owner-1", Item{mug.ID, 3})
			stockBefore := product(t, db, "ceramic-mug").Stock
			p := paidFor(o, "T-"+tt.name)
			tt.change(&p)
			n := notification(p)

			verdict, got, err := db.ApplyPayment(ctx, n, p)

			assert.ErrorIs(t, err, errInjected)
			assert.Empty(t, verdict)
			assert.Nil(t, got)
			assert.Zero(t, n.ID)
			assert.Empty(t, n.Verdict, "caller's notification untouched")
			stored, err := db.OrderByNo(ctx, o.OrderNo)
			require.NoError(t, err)
			assert.Equal(t, StatusPending, stored.Status)
			assert.Nil(t, stored.TradeNo)
			assert.Nil(t, stored.PaidAt)
			assert.False(t, stored.Flagged)
			assert.Empty(t, stored.FlagReason)
			assert.Equal(t, stockBefore, product(t, db, "ceramic-mug").Stock)
			assert.Zero(t, countRows(t, db, &Notification{}))
		})
	}
}

func TestRecordUnapplied(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	o := createOrder(t, db, "owner-1", Item{product(t, db, "ceramic-mug").ID, 1})

	tests := []struct {
		name       string
		outTradeNo string
		verdict    Verdict
		wantErr    bool
		wantOrder  bool
	}{
		{"links the named order", o.OrderNo, "", false, true},
		{"verdict already rejected", o.OrderNo, VerdictRejected, false, true},
		{"unknown order", "20240101AAAAAAAAAAAAAAAA", "", false, false},
		{"no out_trade_no", "", "", false, false},
		{"other verdict refused", o.OrderNo, VerdictPaid, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := countRows(t, db, &Notification{})
			n := &Notification{Body: "sign=forged", OutTradeNo: tt.outTradeNo, TradeStatus: "TRADE_FINISHED",
				Verdict: tt.verdict, Detail: "bad signature"}

			err := db.RecordUnapplied(ctx, n)

			if tt.wantErr {
				assert.Error(t, err)
				assert.Equal(t, before, countRows(t, db, &Notification{}))
				return
			}
			require.NoError(t, err)
			assert.NotZero(t, n.ID)
			assert.Equal(t, VerdictRejected, n.Verdict)
			assert.False(t, n.Flagged)
			assert.Equal(t, tt.wantOrder, n.OrderID != nil)
			stored, err := db.OrderByNo(ctx, o.OrderNo)
			require.NoError(t, err)
			assert.Equal(t, StatusPending, stored.Status, "a rejected notification changes nothing")
			assert.Nil(t, stored.TradeNo)
		})
	}
}

func TestNotificationsOfOrder(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	mug := product(t, db, "ceramic-mug")
	o := createOrder(t, db, "owner-1", Item{mug.ID, 1})
	other := createOrder(t, db, "owner-2", Item{mug.ID, 1})

	require.NoError(t, db.RecordUnapplied(ctx, &Notification{OutTradeNo: o.OrderNo, Body: "forged"}))
	for _, p := range []Payment{paidFor(o, "T1"), paidFor(o, "T1"), paidFor(other, "T2")} {
		_, _, err := db.ApplyPayment(ctx, notification(p), p)
		require.NoError(t, err)
	}

	ns, err := db.Notifications(ctx, o.ID)
	require.NoError(t, err)
	var verdicts []Verdict
	for _, n := range ns {
		verdicts = append(verdicts, n.Verdict)
		assert.False(t, n.ReceivedAt.IsZero())
	}
	assert.Equal(t, []Verdict{VerdictRejected, VerdictPaid, VerdictDuplicate}, verdicts)
}

func TestVerdictFlagged(t *testing.T) {
	flagged := map[Verdict]bool{VerdictUnknownOrder: true, VerdictMismatch: true, VerdictAfterClose: true, VerdictSecondPayment: true}
	for _, v := range []Verdict{VerdictPaid, VerdictDuplicate, VerdictClosed, VerdictIgnored, VerdictUnknownOrder,
		VerdictMismatch, VerdictAfterClose, VerdictSecondPayment, VerdictRejected} {
		assert.Equal(t, flagged[v], v.Flagged(), string(v))
	}
}
