package models

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStoreSettlementReplacesDays(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	line := func(day, id string, minor int64) SettlementLine {
		return SettlementLine{Day: day, PartnerTransID: id, Type: "P", AmountMinor: minor, FeeMinor: minor * 18 / 1000,
			Currency: "USD", TransactionAt: at, Status: "SUCCESS", Line: 1}
	}
	days := []string{"2026-11-19", "2026-11-20"}
	require.NoError(t, db.StoreSettlement(ctx, FileCompare, days,
		[]SettlementLine{line("2026-11-19", "A", 1000), line("2026-11-20", "B", 2000)}, "ann", at))
	require.NoError(t, db.StoreSettlement(ctx, FileLiquidation, days[1:], []SettlementLine{line("2026-11-20", "A", 1000)}, "ann", at))
	// Fetched again: the file as it is now, no line twice.
	require.NoError(t, db.StoreSettlement(ctx, FileCompare, days[1:], []SettlementLine{line("2026-11-20", "C", 3000)}, "daily", at))

	err := db.StoreSettlement(ctx, FileCompare, days[:1], []SettlementLine{line("2026-11-21", "X", 1)}, "ann", at)
	assert.Error(t, err, "a line of a day not fetched")

	ls, err := db.SettlementLines(ctx, "2026-11-19", "2026-11-20", at.Add(-time.Hour), at.Add(time.Hour))
	require.NoError(t, err)
	var ids []string
	for _, l := range ls {
		ids = append(ids, string(l.File)+":"+l.PartnerTransID)
	}
	assert.Equal(t, []string{"compare:A", "compare:C", "liquidation:A"}, ids)
	ds, err := db.SettlementDays(ctx, "2026-11-01", "2026-11-30")
	require.NoError(t, err)
	require.Len(t, ds, 3)
	assert.Equal(t, SettlementDay{File: FileCompare, Day: "2026-11-20", Lines: 1, FetchedAt: at, FetchedBy: "daily"},
		SettlementDay{File: ds[1].File, Day: ds[1].Day, Lines: ds[1].Lines, FetchedAt: ds[1].FetchedAt.UTC(), FetchedBy: ds[1].FetchedBy})
}

func TestLedgerRecords(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	paid := paidTestOrder(t, db, "2024010122001300000000000301", Item{product(t, db, "ceramic-mug").ID, 1})
	pending := createOrder(t, db, "owner-pending", Item{product(t, db, "ceramic-mug").ID, 1})
	r, err := db.StartRefund(ctx, paid.OrderNo, 100, "dent", false, staffAudit("ann", "refund"))
	require.NoError(t, err)
	_, err = db.FinishRefund(ctx, r.OutReturnNo, true, "", "")
	require.NoError(t, err)

	now := time.Now()
	os, rs, err := db.LedgerRecords(ctx, now.Add(-time.Hour), now.Add(time.Hour), []string{pending.OrderNo, "2024010122001300000000000301", "NOPE"})
	require.NoError(t, err)
	var got []string
	for _, o := range os {
		got = append(got, o.OrderNo+":"+string(o.Status))
	}
	assert.ElementsMatch(t, []string{paid.OrderNo + ":paid", paid.OrderNo + ":paid", pending.OrderNo + ":pending"}, got,
		"paid in the period, and named by trade_no; the pending order named by its number")
	require.Len(t, rs, 1)
	assert.Equal(t, paid.OrderNo, rs[0].OrderNo)
	assert.EqualValues(t, 100, rs[0].AmountMinor)

	os, rs, err = db.LedgerRecords(ctx, now.Add(time.Hour), now.Add(2*time.Hour), nil)
	require.NoError(t, err)
	assert.Empty(t, os)
	assert.Empty(t, rs)
}
