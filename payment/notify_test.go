package payment

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const formContentType = "application/x-www-form-urlencoded"

// coreNotification is a realistic notification: the documented core
// fields plus the extras a 2017 sandbox capture carried.
func coreNotification() Params {
	return Params{
		"notify_id": "0123456789abcdef0123456789abcdef0a", "notify_type": "trade_status_sync",
		"notify_time": "2024-01-02 10:11:12", "out_trade_no": "12345",
		"trade_no": "2024010222001300000000000001", "trade_status": "TRADE_FINISHED",
		"total_fee": "350.45", "currency": "USD",
		"buyer_id": "2088102000000001", "buyer_email": "buy***@example.com",
		"seller_id": sandboxPartner, "seller_email": "merchant@example.com",
		"gmt_create": "2024-01-02 10:00:00", "gmt_payment": "2024-01-02 10:11:00",
		"subject": "product_name", "payment_type": "1", "quantity": "1", "price": "350.45",
		"discount": "0.00", "is_total_fee_adjust": "N", "use_coupon": "N",
	}
}

// coreNotifySide is a client and the signer Alipay uses for what it sends it.
type coreNotifySide struct {
	name   string
	client *Client
	alipay Signer
}

func coreNotifySides(t *testing.T) []coreNotifySide {
	t.Helper()
	rsaC, _, rsaA := coreRSAClient(t, RSA)
	rsa2C, _, rsa2A := coreRSAClient(t, RSA2)
	return []coreNotifySide{
		{"MD5", coreMD5Client(t), sandboxMD5(t)},
		{"RSA", rsaC, rsaA},
		{"RSA2", rsa2C, rsa2A},
	}
}

func coreSignedBody(t *testing.T, s Signer, p Params) []byte {
	t.Helper()
	signed, err := Sign(s, p)
	require.NoError(t, err)
	return []byte(signed.Encode())
}

func TestParseNotification(t *testing.T) {
	for _, side := range coreNotifySides(t) {
		t.Run(side.name, func(t *testing.T) {
			body := coreSignedBody(t, side.alipay, coreNotification())
			n, err := side.client.ParseNotification(body, formContentType)
			require.NoError(t, err)

			assert.True(t, n.Verified)
			assert.Equal(t, "0123456789abcdef0123456789abcdef0a", n.NotifyID)
			assert.Equal(t, "trade_status_sync", n.NotifyType)
			assert.Equal(t, "12345", n.OutTradeNo)
			assert.Equal(t, "2024010222001300000000000001", n.TradeNo)
			assert.Equal(t, TradeFinished, n.TradeStatus)
			assert.True(t, n.TradeStatus.Paid())
			assert.Equal(t, Currency("USD"), n.Currency)
			assert.Equal(t, Amount{Minor: 35045, Currency: "USD"}, n.Amount)
			assert.Zero(t, n.RMBFee)
			assert.Equal(t, "2088102000000001", n.BuyerID)
			assert.Equal(t, "buy***@example.com", n.BuyerEmail)
			assert.Equal(t, sandboxPartner, n.SellerID)
			assert.Equal(t, "merchant@example.com", n.SellerEmail)
			// Beijing is UTC+8: 10:11:12 there is 02:11:12 UTC.
			assert.True(t, n.NotifyTime.Equal(time.Date(2024, 1, 2, 2, 11, 12, 0, time.UTC)), "notify_time %s", n.NotifyTime)
			assert.True(t, n.GmtCreate.Equal(time.Date(2024, 1, 2, 2, 0, 0, 0, time.UTC)))
			assert.True(t, n.GmtPayment.Equal(time.Date(2024, 1, 2, 2, 11, 0, 0, time.UTC)))
			assert.True(t, n.GmtClose.IsZero())
			// Nothing dropped: the extras and the signature are kept.
			assert.Equal(t, "N", n.Params["use_coupon"])
			assert.Equal(t, "350.45", n.Params["price"])
			assert.Equal(t, side.name, n.Params["sign_type"])
			assert.NotEmpty(t, n.Params["sign"])
		})
	}
}

func TestParseNotificationRejects(t *testing.T) {
	for _, side := range coreNotifySides(t) {
		t.Run(side.name, func(t *testing.T) {
			signed, err := Sign(side.alipay, coreNotification())
			require.NoError(t, err)
			body := signed.Encode()
			resign := func(mod func(Params)) string {
				p := coreNotification()
				mod(p)
				return string(coreSignedBody(t, side.alipay, p))
			}
			tests := []struct {
				name    string
				body    string
				wantErr error
			}{
				{"extra field added after signing", string(with(signed, "refund_status", "REFUND_SUCCESS").Encode()), ErrSignature},
				{"unknown extra field added after signing", body + "&zzz=1", ErrSignature},
				{"amount changed", string(with(signed, "total_fee", "0.01").Encode()), ErrSignature},
				{"status changed", string(with(signed, "trade_status", "TRADE_SUCCESS").Encode()), ErrSignature},
				{"signed field removed", func() string { p := signed.Clone(); delete(p, "buyer_email"); return p.Encode() }(), ErrSignature},
				{"sign removed", func() string { p := signed.Clone(); delete(p, "sign"); return p.Encode() }(), ErrSignature},
				{"repeated key", body + "&trade_status=TRADE_FINISHED", ErrMalformed},
				{"repeated sign", body + "&sign=" + signed["sign"], ErrMalformed},
				{"bad escape", body + "&x=%zz", ErrMalformed},
				{"semicolon", body + ";x=1", ErrMalformed},
				{"seller_id of another partner", resign(func(p Params) { p["seller_id"] = "2088000000000001" }), ErrPartner},
				{"partner of another merchant", resign(func(p Params) { p["partner"] = "2088000000000001" }), ErrPartner},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					n, err := side.client.ParseNotification([]byte(tt.body), formContentType)
					require.Error(t, err)
					assert.ErrorIs(t, err, tt.wantErr)
					assert.NotErrorIs(t, err, ErrContent, "ErrContent is for odd content of a genuine message only")
					verified := n != nil && n.Verified
					assert.Equal(t, tt.wantErr == ErrPartner, verified, "only the partner check comes after verification")
				})
			}
		})
	}

	t.Run("returns what it parsed with the error, for logging", func(t *testing.T) {
		p := coreNotification()
		p["seller_id"] = "2088000000000001"
		n, err := coreMD5Client(t).ParseNotification(coreSignedBody(t, sandboxMD5(t), p), formContentType)
		assert.ErrorIs(t, err, ErrPartner)
		require.NotNil(t, n)
		assert.True(t, n.Verified)
		assert.Equal(t, "12345", n.OutTradeNo)
		assert.Equal(t, "2088000000000001", n.SellerID)
	})
}

func TestParseNotificationSignType(t *testing.T) {
	rsaC, _, rsaA := coreRSAClient(t, RSA)
	rsa2C, _, rsa2A := coreRSAClient(t, RSA2)
	md5C, md5K := coreMD5Client(t), sandboxMD5(t)
	tests := []struct {
		name   string
		client *Client
		signer Signer
	}{
		// The MD5 key is shared, so whoever has it could otherwise forge
		// notifications to an RSA2 merchant by claiming sign_type=MD5.
		{"MD5 notification to an RSA2 client", rsa2C, md5K},
		{"MD5 notification to an RSA client", rsaC, md5K},
		{"RSA notification to an RSA2 client", rsa2C, rsaA},
		{"RSA2 notification to an RSA client", rsaC, rsa2A},
		{"RSA2 notification to an MD5 client", md5C, rsa2A},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.client.ParseNotification(coreSignedBody(t, tt.signer, coreNotification()), formContentType)
			assert.ErrorIs(t, err, ErrSignType)
		})
	}
	t.Run("MD5 notification without sign_type to an RSA2 client", func(t *testing.T) {
		signed, err := Sign(md5K, coreNotification())
		require.NoError(t, err)
		delete(signed, "sign_type")
		_, err = rsa2C.ParseNotification([]byte(signed.Encode()), formContentType)
		assert.ErrorIs(t, err, ErrSignature)
	})
}

func TestParseNotificationStatus(t *testing.T) {
	c, k := coreMD5Client(t), sandboxMD5(t)
	tests := []struct {
		status TradeStatus
		paid   bool
	}{
		{TradeFinished, true},
		{TradeSuccess, true},
		{TradeClosed, false},
		{WaitBuyerPay, false},
		{"TRADE_FAILURE", false},
	}
	for _, tt := range tests {
		t.Run(string(tt.status), func(t *testing.T) {
			n, err := c.ParseNotification(coreSignedBody(t, k, with(coreNotification(), "trade_status", string(tt.status))), formContentType)
			require.NoError(t, err)
			assert.Equal(t, tt.status, n.TradeStatus)
			assert.Equal(t, tt.paid, n.TradeStatus.Paid())
		})
	}
}

func TestParseNotificationAmounts(t *testing.T) {
	c, k := coreMD5Client(t), sandboxMD5(t)
	tests := []struct {
		name   string
		mod    func(Params)
		amount Amount
		rmb    int64
	}{
		{"USD", func(Params) {}, Amount{35045, "USD"}, 0},
		{"JPY", func(p Params) { p["currency"], p["total_fee"], p["price"] = "JPY", "1500", "1500" }, Amount{1500, "JPY"}, 0},
		{"KRW", func(p Params) { p["currency"], p["total_fee"] = "KRW", "50000" }, Amount{50000, "KRW"}, 0},
		{"rmb_fee", func(p Params) { delete(p, "total_fee"); p["rmb_fee"] = "100.00" }, Amount{0, "USD"}, 10000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := coreNotification()
			tt.mod(p)
			n, err := c.ParseNotification(coreSignedBody(t, k, p), formContentType)
			require.NoError(t, err)
			assert.Equal(t, tt.amount, n.Amount)
			assert.Equal(t, tt.rmb, n.RMBFee)
		})
	}
}

func TestParseNotificationCharsets(t *testing.T) {
	c, k := coreMD5Client(t), sandboxMD5(t)
	// subject=中文 in GBK (D6D0 CEC4), signed over the GBK bytes.
	gbkPreSign := "currency=USD&notify_id=0123456789abcdef0123456789abcdef0a&notify_time=2024-01-02 10:11:12&notify_type=trade_status_sync" +
		"&out_trade_no=12345&subject=\xd6\xd0\xce\xc4&total_fee=350.45&trade_no=2024010222001300000000000001&trade_status=TRADE_FINISHED"
	gbkSig := md5Hex([]byte(gbkPreSign), []byte(sandboxMD5Key))
	gbkBody := "currency=USD&notify_id=0123456789abcdef0123456789abcdef0a&notify_time=2024-01-02+10%3A11%3A12&notify_type=trade_status_sync" +
		"&out_trade_no=12345&sign=" + gbkSig + "&sign_type=MD5&subject=%D6%D0%CE%C4&total_fee=350.45&trade_no=2024010222001300000000000001&trade_status=TRADE_FINISHED"
	utf8Body := string(coreSignedBody(t, k, with(coreNotification(), "subject", "中文")))

	tests := []struct {
		name        string
		body        string
		contentType string
		ok          bool
	}{
		{"GBK body, charset=GBK", gbkBody, formContentType + "; charset=GBK", true},
		{"GBK body, charset=gbk quoted", gbkBody, formContentType + `; charset="gbk"`, true},
		{"GBK body read as UTF-8", gbkBody, formContentType + "; charset=utf-8", false},
		{"UTF-8 body, odd header Alipay has sent", utf8Body, "application/x-www-form-urlencoded; text/html; charset=utf-8", true},
		{"UTF-8 body, no charset", utf8Body, formContentType, true},
		{"UTF-8 body, no Content-Type", utf8Body, "", true},
		{"UTF-8 body, uppercase", utf8Body, "Application/X-WWW-Form-Urlencoded; Charset=UTF-8", true},
		{"unknown charset", utf8Body, formContentType + "; charset=latin1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := c.ParseNotification([]byte(tt.body), tt.contentType)
			if !tt.ok {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "中文", n.Params["subject"])
			assert.Equal(t, TradeFinished, n.TradeStatus)
		})
	}

	t.Run("GBK with the message's own _input_charset", func(t *testing.T) {
		// _input_charset is signed too, so the signature changes with it.
		preSign := "_input_charset=gbk&" + gbkPreSign
		body := strings.Replace("_input_charset=gbk&"+gbkBody, "sign="+gbkSig, "sign="+md5Hex([]byte(preSign), []byte(sandboxMD5Key)), 1)
		require.NotContains(t, body, gbkSig)
		n, err := c.ParseNotification([]byte(body), formContentType)
		require.NoError(t, err)
		assert.Equal(t, "中文", n.Params["subject"])
	})
}

func TestParseNotificationA8(t *testing.T) {
	body := "currency=USD&notify_id=0123456789abcdef0123456789abcdef0a&notify_time=2024-01-02+10%3A11%3A12&notify_type=trade_status_sync" +
		"&out_trade_no=12345&sign=0d0f5ba9f487aa9c3cbb99e822f2057b&sign_type=MD5&total_fee=350.45&trade_no=2024010222001300000000000001&trade_status=TRADE_FINISHED"
	n, err := coreMD5Client(t).ParseNotification([]byte(body), formContentType)
	require.NoError(t, err)
	assert.Equal(t, "12345", n.OutTradeNo)
	assert.Equal(t, Amount{35045, "USD"}, n.Amount)
	assert.True(t, n.TradeStatus.Paid())
}

func TestParseReturn(t *testing.T) {
	ret := Params{
		"out_trade_no": "12345", "trade_no": "2024010222001300000000000001", "total_fee": "350.45",
		"currency": "USD", "trade_status": "TRADE_FINISHED",
	}
	for _, side := range coreNotifySides(t) {
		t.Run(side.name, func(t *testing.T) {
			q := string(coreSignedBody(t, side.alipay, ret))
			n, err := side.client.ParseReturn(q)
			require.NoError(t, err)
			assert.Equal(t, "12345", n.OutTradeNo)
			assert.Equal(t, TradeFinished, n.TradeStatus)
			assert.Equal(t, Amount{35045, "USD"}, n.Amount)
			assert.Empty(t, n.NotifyID)

			n, err = side.client.ParseNotification([]byte(q), formContentType)
			assert.ErrorIs(t, err, ErrContent, "a return lacks notify_id and is not a notification")
			require.NotNil(t, n)
			assert.True(t, n.Verified, "it is genuine all the same")

			signed, err := Sign(side.alipay, ret)
			require.NoError(t, err)
			_, err = side.client.ParseReturn(with(signed, "total_fee", "0.01").Encode())
			assert.ErrorIs(t, err, ErrSignature)
			_, err = side.client.ParseReturn(q + "&out_trade_no=1")
			assert.ErrorIs(t, err, ErrMalformed)
		})
	}
}

func TestTimeFormat(t *testing.T) {
	tm, err := ParseTime("2024-01-02 10:11:12")
	require.NoError(t, err)
	assert.True(t, tm.Equal(time.Date(2024, 1, 2, 2, 11, 12, 0, time.UTC)))
	assert.Equal(t, "2024-01-02 10:11:12", FormatTime(time.Date(2024, 1, 2, 2, 11, 12, 0, time.UTC)))
	assert.Equal(t, "2024-01-01 00:30:00", FormatTime(time.Date(2023, 12, 31, 16, 30, 0, 0, time.UTC)), "crosses midnight into the new year")
	_, off := tm.In(Beijing()).Zone()
	assert.Equal(t, 8*3600, off)
	for _, bad := range []string{"2024-01-02", "2024-01-02T10:11:12", "2024-13-02 10:11:12", ""} {
		_, err := ParseTime(bad)
		assert.Error(t, err, bad)
	}
}

func TestCharsetOf(t *testing.T) {
	tests := []struct{ in, want string }{
		{"application/x-www-form-urlencoded", ""},
		{"application/x-www-form-urlencoded; charset=UTF-8", "utf-8"},
		{"application/x-www-form-urlencoded; text/html; charset=utf-8", "utf-8"},
		{`application/x-www-form-urlencoded; charset="GBK"`, "gbk"},
		{"application/x-www-form-urlencoded;charset=gbk; foo=bar", "gbk"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, charsetOf(tt.in))
		})
	}
}

func TestNotificationErrorsAreDistinct(t *testing.T) {
	// Each sentinel is distinct, so a handler can tell a forged message from a
	// misrouted or malformed one.
	all := []error{ErrMalformed, ErrSignature, ErrSignType, ErrPartner, ErrContent, ErrCharset, ErrInvalid, ErrKey}
	for i, a := range all {
		for j, b := range all {
			assert.Equal(t, i == j, errors.Is(a, b), "%v vs %v", a, b)
		}
	}
}
