package payment

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// coreRefundNotification is the result of an asynchronous refund with the
// fields Alipay's forex_refund page lists, plus the amount the sandbox adds.
func coreRefundNotification() Params {
	return Params{
		"notify_id": "0123456789abcdef0123456789abcdef0b", "notify_type": NotifyTypeRefund,
		"notify_time": "2024-01-02 10:20:00", "out_trade_no": "12345", "out_return_no": "12345R01",
		"refund_status": "REFUND_SUCCESS", "currency": "USD", "return_amount": "25.00",
	}
}

func TestParseRefundNotification(t *testing.T) {
	for _, side := range coreNotifySides(t) {
		t.Run(side.name, func(t *testing.T) {
			n, err := side.client.ParseRefundNotification(coreSignedBody(t, side.alipay, coreRefundNotification()), formContentType)
			require.NoError(t, err)
			assert.True(t, n.Verified)
			assert.Equal(t, "0123456789abcdef0123456789abcdef0b", n.NotifyID)
			assert.Equal(t, "forex_refund_notify", n.NotifyType)
			assert.True(t, n.NotifyTime.Equal(time.Date(2024, 1, 2, 2, 20, 0, 0, time.UTC)), n.NotifyTime)
			assert.Equal(t, "12345", n.OutTradeNo)
			assert.Equal(t, "12345R01", n.OutReturnNo)
			assert.Equal(t, RefundNotifySuccess, n.Status)
			assert.True(t, n.Status.Succeeded())
			assert.Empty(t, n.ErrorCode)
			assert.Equal(t, Currency("USD"), n.Currency)
			assert.Equal(t, Amount{2500, "USD"}, n.Amount)
			assert.Equal(t, side.name, n.Params["sign_type"])
		})
	}
}

func TestParseRefundNotificationContent(t *testing.T) {
	c, k := coreMD5Client(t), sandboxMD5(t)
	tests := []struct {
		name   string
		mod    func(Params)
		err    error // nil: accepted
		status RefundStatus
	}{
		{"failed for balance", set("refund_status", "REFUND_FAIL", "error_code", "MERCHANT_BALANCE_NOT_ENOUGH"), nil, RefundNotifyFail},
		{"only the documented fields", set("currency", "", "return_amount", ""), nil, RefundNotifySuccess},
		{"priced in CNY", set("return_amount", "", "return_rmb_amount", "180.00"), nil, RefundNotifySuccess},
		{"notify_type left out", set("notify_type", ""), ErrContent, RefundNotifySuccess},
		{"unknown notify_type, but out_return_no", set("notify_type", "refund_sync"), nil, RefundNotifySuccess},
		{"our partner", set("partner", sandboxPartner), nil, RefundNotifySuccess},
		{"unknown refund_status", set("refund_status", "SUCCESS"), ErrContent, "SUCCESS"},
		{"missing refund_status", set("refund_status", ""), ErrContent, ""},
		{"missing notify_id", set("notify_id", ""), ErrContent, RefundNotifySuccess},
		{"missing notify_time", set("notify_time", ""), ErrContent, RefundNotifySuccess},
		{"notify_time in another format", set("notify_time", "20240102102000"), ErrContent, RefundNotifySuccess},
		{"missing out_trade_no", set("out_trade_no", ""), ErrContent, RefundNotifySuccess},
		{"out_return_no with a space", set("out_return_no", "12345 R01"), ErrContent, RefundNotifySuccess},
		{"amount without a currency", set("currency", ""), ErrContent, RefundNotifySuccess},
		{"amount with an exponent", set("return_amount", "2.5e1"), ErrContent, RefundNotifySuccess},
		{"another partner", set("partner", "2088000000000001"), ErrPartner, RefundNotifySuccess},
		{"another seller", set("seller_id", "2088000000000001"), ErrPartner, RefundNotifySuccess},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := coreRefundNotification()
			tt.mod(p)
			n, err := c.ParseRefundNotification(coreSignedBody(t, k, p), formContentType)
			require.NotNil(t, n)
			assert.True(t, n.Verified, "every case is signed by Alipay")
			assert.Equal(t, tt.status, n.Status)
			if tt.err == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tt.err)
			assert.NotErrorIs(t, err, ErrNotificationKind)
		})
	}
}

func TestParseRefundNotificationRejects(t *testing.T) {
	for _, side := range coreNotifySides(t) {
		t.Run(side.name, func(t *testing.T) {
			signed, err := Sign(side.alipay, coreRefundNotification())
			require.NoError(t, err)
			tests := []struct {
				name string
				body string
				want error
			}{
				{"status changed after signing", with(signed, "refund_status", "REFUND_FAIL").Encode(), ErrSignature},
				{"amount changed after signing", with(signed, "return_amount", "250.00").Encode(), ErrSignature},
				{"field added after signing", with(signed, "trade_status", "TRADE_FINISHED").Encode(), ErrSignature},
				{"sign removed", func() string { p := signed.Clone(); delete(p, "sign"); return p.Encode() }(), ErrSignature},
				{"other sign_type", with(signed, "sign_type", gwOtherSignType(side.alipay.SignType())).Encode(), ErrSignType},
				{"repeated key", signed.Encode() + "&refund_status=REFUND_SUCCESS", ErrMalformed},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					n, err := side.client.ParseRefundNotification([]byte(tt.body), formContentType)
					assert.ErrorIs(t, err, tt.want)
					assert.False(t, n != nil && n.Verified)
				})
			}
		})
	}
}

// TestNotificationKinds: a refund's result and a trade's may reach the same
// endpoint; each parser takes its own kind only, and a refund's result can
// never read as a payment.
func TestNotificationKinds(t *testing.T) {
	refund := coreRefundNotification()
	trade := coreNotification()
	kinds := []struct {
		name string
		p    Params
		want NotifyKind
	}{
		{"refund", refund, NotifyRefund},
		{"trade", trade, NotifyTrade},
		{"A8 trade vector", Params{"notify_type": "trade_status_sync", "trade_status": "TRADE_FINISHED", "out_trade_no": "12345"}, NotifyTrade},
		{"refund without notify_type", with(gwWithout(refund, "notify_type")), NotifyRefund},
		{"refund with an unknown notify_type", with(refund, "notify_type", "batch_refund_notify"), NotifyRefund},
		{"refund_status alone", Params{"refund_status": "REFUND_SUCCESS", "out_trade_no": "1"}, NotifyRefund},
		{"trade carrying a domestic refund_status", with(trade, "refund_status", "REFUND_SUCCESS"), NotifyTrade},
		{"trade notify_type wins over out_return_no", with(trade, "out_return_no", "R1"), NotifyTrade},
		{"refund notify_type wins over trade_status", with(refund, "trade_status", "TRADE_FINISHED"), NotifyRefund},
		{"trade without notify_type", gwWithout(trade, "notify_type"), NotifyTrade},
		{"neither", Params{"notify_id": "x", "out_trade_no": "1"}, NotifyUnknown},
	}
	for _, tt := range kinds {
		t.Run("kind of "+tt.name, func(t *testing.T) {
			got, err := NotificationKind([]byte(tt.p.Encode()), formContentType)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	t.Run("kind of a malformed body", func(t *testing.T) {
		_, err := NotificationKind([]byte("a=%zz"), formContentType)
		assert.ErrorIs(t, err, ErrMalformed)
		_, err = NotificationKind([]byte("a=%ff"), "application/x-www-form-urlencoded; charset=utf-8")
		assert.ErrorIs(t, err, ErrCharset)
	})

	for _, side := range coreNotifySides(t) {
		t.Run(side.name+" ParseNotification refuses a refund's result", func(t *testing.T) {
			for _, p := range []Params{
				refund,
				// Even one that also says TRADE_FINISHED and carries an amount.
				with(refund, "trade_status", "TRADE_FINISHED", "trade_no", "2024010222001300000000000001", "total_fee", "25.00"),
				with(gwWithout(refund, "notify_type"), "trade_status", "TRADE_SUCCESS", "total_fee", "25.00"),
			} {
				n, err := side.client.ParseNotification(coreSignedBody(t, side.alipay, p), formContentType)
				assert.ErrorIs(t, err, ErrNotificationKind)
				assert.ErrorIs(t, err, ErrContent)
				require.NotNil(t, n)
				assert.True(t, n.Verified)
				assert.False(t, n.TradeStatus.Paid(), "a refund's result is never a payment")
				assert.Zero(t, n.Amount.Minor)

				_, err = side.client.ParseReturn(string(coreSignedBody(t, side.alipay, p)))
				assert.ErrorIs(t, err, ErrNotificationKind)
			}
		})
		t.Run(side.name+" ParseRefundNotification refuses a trade's", func(t *testing.T) {
			for _, p := range []Params{trade, with(trade, "refund_status", "REFUND_SUCCESS")} {
				n, err := side.client.ParseRefundNotification(coreSignedBody(t, side.alipay, p), formContentType)
				assert.ErrorIs(t, err, ErrNotificationKind)
				assert.ErrorIs(t, err, ErrContent)
				require.NotNil(t, n)
				assert.True(t, n.Verified)
				assert.Empty(t, n.Status)
			}
		})
	}
}
