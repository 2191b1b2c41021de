package models

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// paidFor returns the payment Alipay would report for o.
func paidFor(o *Order, tradeNo string) Payment {
	return Payment{OrderNo: o.OrderNo, TradeNo: tradeNo, Event: EventPaid,
		AmountMinor: o.TotalMinor, Currency: o.Currency, At: time.Now()}
}

// notification returns a raw notification as the HTTP layer would fill it.
func notification(p Payment) *Notification {
	return &Notification{RemoteAddr: "110.75.1.1", ContentType: "application/x-www-form-urlencoded",
		Body: "out_trade_no=" + p.OrderNo + "&trade_no=" + p.TradeNo, NotifyID: "nid-" + p.TradeNo,
		OutTradeNo: p.OrderNo, TradeNo: p.TradeNo, TradeStatus: "TRADE_FINISHED"}
}

// payCase is what one ApplyPayment table case works on: its order, another
// shopper's order, and a trade number no other case uses.
type payCase struct {
	o, other *Order
	trade    string
}

func with(p Payment, change func(*Payment)) Payment {
	change(&p)
	return p
}

func TestApplyPayment(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	mug, tote := product(t, db, "ceramic-mug"), product(t, db, "canvas-tote")

	apply := func(t *testing.T, p Payment) {
		t.Helper()
		_, _, err := db.ApplyPayment(ctx, notification(p), p)
		require.NoError(t, err)
	}
	payOrder := func(t *testing.T, c payCase) { apply(t, paidFor(c.o, c.trade)) }
	tests := []struct {
		name        string
		setup       func(t *testing.T, c payCase)
		payment     func(c payCase) Payment
		want        Verdict
		wantStatus  Status
		wantPaid    bool // order holds c.trade and a paid_at
		wantFlagged bool
		wantStock   int // mug stock change since before the order
	}{
		{"paid", nil, func(c payCase) Payment { return paidFor(c.o, c.trade) },
			VerdictPaid, StatusPaid, true, false, -2},
		{"duplicate", payOrder, func(c payCase) Payment { return paidFor(c.o, c.trade) },
			VerdictDuplicate, StatusPaid, true, false, -2},
		{"second payment", payOrder, func(c payCase) Payment { return paidFor(c.o, c.trade+"-2") },
			VerdictSecondPayment, StatusPaid, true, true, -2},
		{"amount mismatch", nil, func(c payCase) Payment {
			return with(paidFor(c.o, c.trade), func(p *Payment) { p.AmountMinor-- })
		}, VerdictMismatch, StatusPending, false, true, -2},
		{"currency mismatch", nil, func(c payCase) Payment {
			return with(paidFor(c.o, c.trade), func(p *Payment) { p.Currency = "EUR" })
		}, VerdictMismatch, StatusPending, false, true, -2},
		{"trade_no of another order", func(t *testing.T, c payCase) { apply(t, paidFor(c.other, c.trade)) },
			func(c payCase) Payment { return paidFor(c.o, c.trade) },
			VerdictMismatch, StatusPending, false, true, -2},
		{"unknown order", nil, func(c payCase) Payment {
			return with(paidFor(c.o, c.trade), func(p *Payment) { p.OrderNo = "20240101ZZZZZZZZZZZZZZZZ" })
		}, VerdictUnknownOrder, StatusPending, false, false, -2},
		{"after close", func(t *testing.T, c payCase) {
			_, err := db.CloseOrder(ctx, c.o.OrderNo, "timeout")
			require.NoError(t, err)
		}, func(c payCase) Payment { return paidFor(c.o, c.trade) },
			VerdictAfterClose, StatusClosed, false, true, 0},
		{"closed event on pending", nil, func(c payCase) Payment {
			return with(paidFor(c.o, c.trade), func(p *Payment) { p.Event = EventClosed })
		}, VerdictClosed, StatusClosed, false, false, 0},
		{"closed event on paid", payOrder, func(c payCase) Payment {
			return with(paidFor(c.o, c.trade), func(p *Payment) { p.Event = EventClosed })
		}, VerdictIgnored, StatusPaid, true, false, -2},
		{"other event", nil, func(c payCase) Payment {
			return with(paidFor(c.o, c.trade), func(p *Payment) { p.Event = EventOther })
		}, VerdictIgnored, StatusPending, false, false, -2},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := product(t, db, "ceramic-mug").Stock
			c := payCase{
				o:     createOrder(t, db, "owner-1", Item{mug.ID, 2}),
				other: createOrder(t, db, "owner-2", Item{tote.ID, 1}),
				trade: fmt.Sprintf("2024010122001%03d", i),
			}
			if tt.setup != nil {
				tt.setup(t, c)
			}
			p := tt.payment(c)
			n := notification(p)

			verdict, got, err := db.ApplyPayment(ctx, n, p)

			require.NoError(t, err)
			assert.Equal(t, tt.want, verdict)
			assert.NotZero(t, n.ID, "notification stored")
			assert.Equal(t, tt.want, n.Verdict)
			assert.NotEmpty(t, n.Detail)
			assert.Equal(t, tt.want.Flagged(), n.Flagged)
			stored, err := db.OrderByNo(ctx, c.o.OrderNo)
			require.NoError(t, err)
			if tt.want == VerdictUnknownOrder {
				assert.Nil(t, got)
				assert.Nil(t, n.OrderID)
			} else {
				require.NotNil(t, got)
				assert.Equal(t, stored.Status, got.Status, "returned order is the stored one")
				assert.Equal(t, stored.Flagged, got.Flagged, "returned order is the stored one")
				require.NotNil(t, n.OrderID)
				assert.Equal(t, c.o.ID, *n.OrderID)
			}
			assert.Equal(t, tt.wantStatus, stored.Status)
			assert.Equal(t, tt.wantFlagged, stored.Flagged)
			assert.Equal(t, tt.wantFlagged, stored.FlagReason != "", "flag reason: %q", stored.FlagReason)
			if tt.wantPaid {
				require.NotNil(t, stored.TradeNo)
				assert.Equal(t, c.trade, *stored.TradeNo)
				assert.NotNil(t, stored.PaidAt)
			} else {
				assert.Nil(t, stored.TradeNo)
				assert.Nil(t, stored.PaidAt)
			}
			assert.Equal(t, before+tt.wantStock, product(t, db, "ceramic-mug").Stock)
		})
	}
}
