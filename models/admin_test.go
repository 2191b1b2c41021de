package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// shanghai is a merchant's zone eight hours ahead of UTC, so that a local
// day and the UTC day differ for eight hours of it.
var shanghai = time.FixedZone("CST", 8*3600)

// insertOrders writes n orders straight into the table, each with one
// line of mug, for tests that need many; fill sets what the test is about.
func insertOrders(t *testing.T, db *DB, n int, fill func(i int, o *Order)) []Order {
	t.Helper()
	mug := product(t, db, "ceramic-mug")
	created := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	orders := make([]Order, n)
	for i := range orders {
		orders[i] = Order{OrderNo: newOrderNo(created), OwnerID: "owner",
			Channel: ChannelWeb, Status: StatusPending, Currency: "USD", TotalMinor: mug.PriceMinor,
			Name: "Someone", Email: "someone@example.com", Address: "1 Main Street",
			ExpiresAt: created.Add(30 * time.Minute), CreatedAt: created, UpdatedAt: created,
			Lines: []OrderLine{{ProductID: mug.ID, Name: mug.Name, UnitMinor: mug.PriceMinor, Quantity: 1}}}
		if fill != nil {
			fill(i, &orders[i])
		}
	}
	require.NoError(t, db.Gorm().CreateInBatches(&orders, 100).Error)
	return orders
}

func orderNos(os []Order) []string {
	var out []string
	for _, o := range os {
		out = append(out, o.OrderNo)
	}
	return out
}

func TestListOrders(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	at := func(day, hour, min int) time.Time { return time.Date(2027, 3, day, hour, min, 0, 0, shanghai).UTC() }
	trade := "2027030122001400000000000001"
	os := insertOrders(t, db, 5, func(i int, o *Order) {
		switch i {
		case 0:
			o.Status, o.TradeNo, o.CreatedAt = StatusPaid, &trade, at(1, 10, 0)
			o.Name, o.Phone, o.Email = "Wang Xiaoming", "+86 138 0013 8000", "wang@example.cn"
		case 1:
			o.CreatedAt, o.Name, o.Email = at(10, 23, 30), "Ann Lee", "ann@example.com"
		case 2:
			o.Status, o.CreatedAt, o.Name, o.Phone, o.Email = StatusClosed, at(11, 0, 30), "王小明", "13900139000", ""
		case 3:
			o.Status, o.CreatedAt, o.Flagged = StatusPaid, at(14, 8, 0), true
			o.Name, o.Email = "Bob 50% off_sale", "bob@example.org"
		case 4:
			o.Status, o.CreatedAt, o.Name = StatusRefunded, at(-1, 12, 0), "Eve \\ Backslash"
		}
	})
	a, b, c, d, e := os[0].OrderNo, os[1].OrderNo, os[2].OrderNo, os[3].OrderNo, os[4].OrderNo
	day := func(d int) time.Time { return time.Date(2027, 3, d, 0, 0, 0, 0, shanghai) }

	tests := []struct {
		name string
		f    OrderFilter
		want []string
	}{
		{"everything, newest first", OrderFilter{}, []string{d, c, b, a, e}},
		{"status", OrderFilter{Status: StatusPaid}, []string{d, a}},
		{"from a local midnight", OrderFilter{From: day(11)}, []string{d, c}},
		{"before a local midnight", OrderFilter{To: day(11)}, []string{b, a, e}},
		{"one local day", OrderFilter{From: day(10), To: day(11)}, []string{b}},
		{"order number", OrderFilter{Query: a}, []string{a}},
		{"order number in lower case", OrderFilter{Query: strings.ToLower(a)}, []string{a}},
		{"part of an order number does not match", OrderFilter{Query: a[:6]}, nil},
		{"trade_no", OrderFilter{Query: trade}, []string{a}},
		{"name in part, any case", OrderFilter{Query: "xiaoming"}, []string{a}},
		{"Chinese name", OrderFilter{Query: "小明"}, []string{c}},
		{"phone in part", OrderFilter{Query: "138 0013"}, []string{a}},
		{"e-mail in part", OrderFilter{Query: "example.org"}, []string{d}},
		{"spaces around the query", OrderFilter{Query: "  Ann  "}, []string{b}},
		{"percent is literal", OrderFilter{Query: "%"}, []string{d}},
		{"underscore is literal", OrderFilter{Query: "_"}, []string{d}},
		{"backslash is literal", OrderFilter{Query: `\`}, []string{e}},
		{"needs review", OrderFilter{Review: true}, []string{d}},
		{"query and status both apply", OrderFilter{Status: StatusClosed, Query: "Ann"}, nil},
		{"query and review both apply", OrderFilter{Review: true, Query: "example"}, []string{d}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, total, err := db.ListOrders(ctx, tt.f, 1, 50)
			require.NoError(t, err)
			assert.Equal(t, tt.want, orderNos(got))
			assert.EqualValues(t, len(tt.want), total)
		})
	}
}

func TestListOrdersPages(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	start := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	os := insertOrders(t, db, 120, func(i int, o *Order) {
		o.CreatedAt = start.Add(time.Duration(i) * time.Minute)
		if i%3 == 0 {
			o.Status = StatusPaid
		}
	})
	var paid []string // newest first
	for i := len(os) - 1; i >= 0; i-- {
		if os[i].Status == StatusPaid {
			paid = append(paid, os[i].OrderNo)
		}
	}
	tests := []struct {
		name          string
		page, perPage int
		want          []string
	}{
		{"first page", 1, 15, paid[:15]},
		{"second page", 2, 15, paid[15:30]},
		{"last page, short", 3, 15, paid[30:]},
		{"past the end", 4, 15, nil},
		{"page below 1 is the first", 0, 15, paid[:15]},
		{"page size above 100 is 50", 1, 1000, paid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, total, err := db.ListOrders(ctx, OrderFilter{Status: StatusPaid}, tt.page, tt.perPage)
			require.NoError(t, err)
			assert.EqualValues(t, 40, total)
			assert.Equal(t, tt.want, orderNos(got))
		})
	}
}

func TestEachOrder(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	// More than two batches of 200, all created in the same instant: the
	// batches must follow each other by id without skipping or repeating.
	os := insertOrders(t, db, 450, func(i int, o *Order) {
		if i%10 == 0 {
			o.Status = StatusPaid
		}
	})

	t.Run("every order once, newest first, with its lines", func(t *testing.T) {
		var got []string
		err := db.EachOrder(ctx, OrderFilter{}, func(o *Order) error {
			require.Len(t, o.Lines, 1)
			assert.Equal(t, "Speckled mug", o.Lines[0].Name)
			got = append(got, o.OrderNo)
			return nil
		})
		require.NoError(t, err)
		want := orderNos(os)
		for i, j := 0, len(want)-1; i < j; i, j = i+1, j-1 {
			want[i], want[j] = want[j], want[i]
		}
		assert.Equal(t, want, got)
	})
	t.Run("the filter applies", func(t *testing.T) {
		n := 0
		require.NoError(t, db.EachOrder(ctx, OrderFilter{Status: StatusPaid}, func(o *Order) error {
			assert.Equal(t, StatusPaid, o.Status)
			n++
			return nil
		}))
		assert.Equal(t, 45, n)
	})
	t.Run("stops at the first error", func(t *testing.T) {
		stop := errors.New("stop")
		n := 0
		err := db.EachOrder(ctx, OrderFilter{}, func(*Order) error {
			if n++; n == 250 {
				return stop
			}
			return nil
		})
		assert.ErrorIs(t, err, stop)
		assert.Equal(t, 250, n)
	})
}

// payAt pays o with a verified payment made at `at`.
func payAt(t *testing.T, db *DB, o *Order, trade string, at time.Time) {
	t.Helper()
	p := paidFor(o, trade)
	p.At = at
	v, _, err := db.ApplyPayment(context.Background(), notification(p), p)
	require.NoError(t, err)
	require.Equal(t, VerdictPaid, v)
}

func TestSummaryAndDailySalesInAZone(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	local := func(m time.Month, d, h, min int) time.Time { return time.Date(2027, m, d, h, min, 0, 0, shanghai) }
	now := local(3, 1, 10, 0) // the first of the month: today is the whole month so far
	mug, tote := product(t, db, "ceramic-mug"), product(t, db, "canvas-tote")

	// 23:30 on the last day of February and 00:30 on the first of March,
	// local time: both on 28 February in UTC.
	lastNight := createOrder(t, db, "o1", Item{mug.ID, 1})
	payAt(t, db, lastNight, "T1", local(2, 28, 23, 30))
	thisMorning := createOrder(t, db, "o2", Item{tote.ID, 2})
	payAt(t, db, thisMorning, "T2", local(3, 1, 0, 30))
	// Paid this morning, then refunded in full.
	refunded := createOrder(t, db, "o3", Item{mug.ID, 2})
	payAt(t, db, refunded, "T3", local(3, 1, 8, 0))
	r, err := db.StartRefund(ctx, refunded.OrderNo, refunded.TotalMinor, "test", false, AuditEntry{Staff: "ann", Action: "refund"})
	require.NoError(t, err)
	_, err = db.FinishRefund(ctx, r.OutReturnNo, true, "", "")
	require.NoError(t, err)
	require.NoError(t, db.Gorm().Model(&Refund{}).Where("id = ?", r.ID).Update("updated_at", local(3, 1, 9, 0).UTC()).Error)
	// A refund of last month does not count this month.
	old := createOrder(t, db, "o4", Item{mug.ID, 1})
	payAt(t, db, old, "T4", local(2, 20, 12, 0))
	r, err = db.StartRefund(ctx, old.OrderNo, 100, "test", false, AuditEntry{Staff: "ann", Action: "refund"})
	require.NoError(t, err)
	_, err = db.FinishRefund(ctx, r.OutReturnNo, true, "", "")
	require.NoError(t, err)
	require.NoError(t, db.Gorm().Model(&Refund{}).Where("id = ?", r.ID).Update("updated_at", local(2, 21, 9, 0).UTC()).Error)
	// Unpaid, and flagged for a person.
	createOrder(t, db, "o5", Item{mug.ID, 1})
	flagged := createOrder(t, db, "o6", Item{mug.ID, 1})
	p := paidFor(flagged, "T6")
	p.AmountMinor++
	v, _, err := db.ApplyPayment(ctx, notification(p), p)
	require.NoError(t, err)
	require.Equal(t, VerdictMismatch, v)

	t.Run("summary", func(t *testing.T) {
		d, err := db.Summary(ctx, now, shanghai)
		require.NoError(t, err)
		today := thisMorning.TotalMinor + refunded.TotalMinor
		assert.Equal(t, today, d.PaidToday)
		assert.EqualValues(t, 2, d.CountToday)
		assert.Equal(t, today, d.PaidMonth, "23:30 local on the 28th is last month")
		assert.EqualValues(t, 2, d.CountMonth)
		assert.Equal(t, refunded.TotalMinor, d.RefundedMonth)
		assert.Equal(t, map[Status]int64{StatusPaid: 3, StatusRefunded: 1, StatusPending: 2}, d.ByStatus)
		assert.EqualValues(t, 1, d.OpenReviews)
	})
	t.Run("in UTC both late sales are on one day", func(t *testing.T) {
		days, err := db.DailySales(ctx, now, time.UTC, 2) // now is 02:00 on 1 March in UTC
		require.NoError(t, err)
		assert.Equal(t, []DaySales{
			{Day: time.Date(2027, 2, 28, 0, 0, 0, 0, time.UTC), Orders: 2, Minor: lastNight.TotalMinor + thisMorning.TotalMinor},
			{Day: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC), Orders: 1, Minor: refunded.TotalMinor},
		}, days)
	})
	t.Run("daily sales", func(t *testing.T) {
		days, err := db.DailySales(ctx, now, shanghai, 10)
		require.NoError(t, err)
		require.Len(t, days, 10)
		for i, d := range days {
			assert.Equal(t, local(2, 20+i, 0, 0), d.Day, "day %d starts at local midnight", i)
		}
		byDay := map[string]DaySales{}
		for _, d := range days {
			byDay[d.Day.Format(time.DateOnly)] = d
		}
		assert.Equal(t, DaySales{Day: local(2, 28, 0, 0), Orders: 1, Minor: lastNight.TotalMinor}, byDay["2027-02-28"])
		assert.Equal(t, DaySales{Day: local(3, 1, 0, 0), Orders: 2, Minor: thisMorning.TotalMinor + refunded.TotalMinor}, byDay["2027-03-01"])
		assert.Equal(t, DaySales{Day: local(2, 20, 0, 0), Orders: 1, Minor: old.TotalMinor}, byDay["2027-02-20"])
		assert.Zero(t, byDay["2027-02-27"].Orders)
	})
}

func TestListNotifications(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	o := createOrder(t, db, "owner", Item{product(t, db, "ceramic-mug").ID, 1})
	start := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range 3 {
		p := paidFor(o, fmt.Sprintf("T%d", i))
		n := notification(p)
		n.ReceivedAt = start.Add(time.Duration(i) * time.Hour)
		_, _, err := db.ApplyPayment(ctx, n, p)
		require.NoError(t, err)
	}
	tests := []struct {
		name          string
		page, perPage int
		want          []string // trade numbers
	}{
		{"newest first", 1, 2, []string{"T2", "T1"}},
		{"second page", 2, 2, []string{"T0"}},
		{"past the end", 3, 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns, total, err := db.ListNotifications(ctx, tt.page, tt.perPage)
			require.NoError(t, err)
			assert.EqualValues(t, 3, total)
			var got []string
			for _, n := range ns {
				got = append(got, n.TradeNo)
				assert.Equal(t, o.ID, *n.OrderID)
			}
			assert.Equal(t, tt.want, got)
		})
	}
}
