package settle

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"shop/models"
	"shop/payment"
)

func TestPaymentOf(t *testing.T) {
	notified := time.Date(2026, 12, 2, 10, 11, 12, 0, payment.Beijing())
	paidAt := notified.Add(-time.Minute)
	tests := []struct {
		status payment.TradeStatus
		gmt    time.Time
		want   models.PaymentEvent
		wantAt time.Time
	}{
		{payment.TradeFinished, paidAt, models.EventPaid, paidAt},
		{payment.TradeSuccess, paidAt, models.EventPaid, paidAt},
		{payment.TradeSuccess, time.Time{}, models.EventPaid, notified}, // no gmt_payment: the notification's time
		{payment.TradeClosed, time.Time{}, models.EventClosed, notified},
		{payment.WaitBuyerPay, time.Time{}, models.EventOther, notified},
		{"TRADE_FAILURE", time.Time{}, models.EventOther, notified},
	}
	for _, tt := range tests {
		t.Run(string(tt.status), func(t *testing.T) {
			n := &payment.Notification{OutTradeNo: "20261202ABC", TradeNo: "2026120222001000000000000001",
				TradeStatus: tt.status, Amount: payment.Amount{Minor: 2500, Currency: "USD"}, Currency: "USD",
				NotifyTime: notified, GmtPayment: tt.gmt}
			p := PaymentOf(n)
			assert.Equal(t, models.Payment{OrderNo: "20261202ABC", TradeNo: "2026120222001000000000000001",
				Event: tt.want, AmountMinor: 2500, Currency: "USD", At: tt.wantAt}, p)
		})
	}
}
