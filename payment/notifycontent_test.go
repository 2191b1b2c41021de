package payment

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// contentCase is a notification, validly signed, whose content departs from
// the documented form.
type contentCase struct {
	name   string
	mod    func(Params)
	err    error  // nil: accepted
	amount Amount // what Amount holds, with or without the error
	rmb    int64
}

func usd(minor int64) Amount { return Amount{Minor: minor, Currency: "USD"} }

func set(kv ...string) func(Params) {
	return func(p Params) {
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "" {
				delete(p, kv[i])
				continue
			}
			p[kv[i]] = kv[i+1]
		}
	}
}

var contentCases = []contentCase{
	// Tolerated: the value is exact, only its form is not the documented one.
	{"JPY total_fee with .00", set("currency", "JPY", "total_fee", "1500.00"), nil, Amount{1500, "JPY"}, 0},
	{"JPY total_fee with .0", set("currency", "JPY", "total_fee", "1500.0"), nil, Amount{1500, "JPY"}, 0},
	{"KRW total_fee with .00", set("currency", "KRW", "total_fee", "50000.00"), nil, Amount{50000, "KRW"}, 0},
	{"USD total_fee with one decimal", set("total_fee", "39.0"), nil, usd(3900), 0},
	{"USD total_fee without decimals", set("total_fee", "39"), nil, usd(3900), 0},
	{"USD total_fee with three decimals", set("total_fee", "350.450"), nil, usd(35045), 0},
	{"USD total_fee with a leading zero", set("total_fee", "0350.45"), nil, usd(35045), 0},
	{"rmb_fee without decimals", set("total_fee", "", "rmb_fee", "100"), nil, usd(0), 10000},

	// Genuine but unreadable: ErrContent, filled as far as possible.
	{"JPY total_fee with a fraction of a yen", set("currency", "JPY", "total_fee", "1500.50"), ErrContent, Amount{0, "JPY"}, 0},
	{"USD total_fee with a fraction of a cent", set("total_fee", "350.455"), ErrContent, usd(0), 0},
	{"total_fee with an exponent", set("total_fee", "1e2"), ErrContent, usd(0), 0},
	{"negative total_fee", set("total_fee", "-1.00"), ErrContent, usd(0), 0},
	{"total_fee with a thousands separator", set("total_fee", "1,000.00"), ErrContent, usd(0), 0},
	{"total_fee of zero", set("total_fee", "0.00"), ErrContent, usd(0), 0},
	{"total_fee over the maximum", set("total_fee", "1000000.01"), ErrContent, usd(0), 0},
	{"total_fee of many digits", set("total_fee", "123456789012345678901234567890"), ErrContent, usd(0), 0},
	{"bad rmb_fee", set("total_fee", "", "rmb_fee", "1e2"), ErrContent, usd(0), 0},
	{"missing currency", set("currency", ""), ErrContent, Amount{}, 0},
	{"unknown currency", set("currency", "XXX"), ErrContent, Amount{}, 0},
	{"lowercase currency", set("currency", "usd"), ErrContent, Amount{}, 0},
	{"missing total_fee and rmb_fee", set("total_fee", ""), ErrContent, Amount{}, 0},
	{"missing notify_id", set("notify_id", ""), ErrContent, usd(35045), 0},
	{"missing notify_type", set("notify_type", ""), ErrContent, usd(35045), 0},
	{"missing notify_time", set("notify_time", ""), ErrContent, usd(35045), 0},
	{"missing trade_no", set("trade_no", ""), ErrContent, usd(35045), 0},
	{"missing trade_status", set("trade_status", ""), ErrContent, usd(35045), 0},
	{"missing out_trade_no", set("out_trade_no", ""), ErrContent, usd(35045), 0},
	{"out_trade_no with a space", set("out_trade_no", "123 45"), ErrContent, usd(35045), 0},
	{"notify_time in another format", set("notify_time", "2024-01-02T10:11:12Z"), ErrContent, usd(35045), 0},
	{"gmt_payment malformed", set("gmt_payment", "yesterday"), ErrContent, usd(35045), 0},

	// Genuine, but about another merchant: verified, and not ErrContent.
	{"seller_id of another partner", set("seller_id", "2088000000000001"), ErrPartner, usd(35045), 0},
	{"another partner and an odd amount", set("seller_id", "2088000000000001", "total_fee", "1e2"), ErrPartner, usd(0), 0},
}

func TestParseNotificationContent(t *testing.T) {
	for _, side := range coreNotifySides(t) {
		t.Run(side.name, func(t *testing.T) {
			for _, tt := range contentCases {
				t.Run(tt.name, func(t *testing.T) {
					p := coreNotification()
					tt.mod(p)
					n, err := side.client.ParseNotification(coreSignedBody(t, side.alipay, p), formContentType)
					require.NotNil(t, n, "a verified message is returned, with or without an error")
					assert.True(t, n.Verified)
					if tt.err == nil {
						assert.NoError(t, err)
					} else {
						assert.ErrorIs(t, err, tt.err)
					}
					assert.Equal(t, tt.err == ErrContent, errors.Is(err, ErrContent), "ErrContent exactly when the content is at fault")
					assert.NotErrorIs(t, err, ErrMalformed, "the message parsed and verified")
					assert.NotErrorIs(t, err, ErrSignature)
					assert.Equal(t, tt.amount, n.Amount)
					assert.Equal(t, tt.rmb, n.RMBFee)
					assert.Equal(t, p["trade_status"], n.Params["trade_status"], "Params are available for logging")
				})
			}
		})
	}
}

func TestParseReturnContent(t *testing.T) {
	ret := func(kv ...string) Params {
		p := Params{"out_trade_no": "12345", "trade_no": "2024010222001300000000000001", "total_fee": "350.45",
			"currency": "USD", "trade_status": "TRADE_FINISHED"}
		set(kv...)(p)
		return p
	}
	tests := []struct {
		name   string
		params Params
		err    error
		amount Amount
	}{
		{"JPY with .00", ret("currency", "JPY", "total_fee", "1500.00"), nil, Amount{1500, "JPY"}},
		{"USD with one decimal", ret("total_fee", "39.0"), nil, usd(3900)},
		{"JPY with a fraction of a yen", ret("currency", "JPY", "total_fee", "1500.50"), ErrContent, Amount{0, "JPY"}},
		{"missing currency", ret("currency", ""), ErrContent, Amount{}},
		{"missing trade_no", ret("trade_no", ""), ErrContent, usd(35045)},
	}
	for _, side := range coreNotifySides(t) {
		for _, tt := range tests {
			t.Run(side.name+" "+tt.name, func(t *testing.T) {
				n, err := side.client.ParseReturn(string(coreSignedBody(t, side.alipay, tt.params)))
				require.NotNil(t, n)
				assert.True(t, n.Verified)
				if tt.err == nil {
					assert.NoError(t, err)
				} else {
					assert.ErrorIs(t, err, tt.err)
				}
				assert.Equal(t, tt.amount, n.Amount)
			})
		}
	}
}

// TestParseNotificationForgedContent checks that leniency comes only after
// the signature: a forged or unsigned message with tolerable or odd
// content is still a signature failure, never verified.
func TestParseNotificationForgedContent(t *testing.T) {
	for _, side := range coreNotifySides(t) {
		t.Run(side.name, func(t *testing.T) {
			jpy := coreNotification()
			set("currency", "JPY", "total_fee", "1500")(jpy)
			signed, err := Sign(side.alipay, jpy)
			require.NoError(t, err)
			unsigned := func(mod func(Params)) string {
				p := coreNotification()
				mod(p)
				return p.Encode()
			}
			tests := []struct {
				name string
				body string
				err  error
			}{
				{"amount reformatted after signing", with(signed, "total_fee", "1500.00").Encode(), ErrSignature},
				{"currency removed after signing", func() string { p := signed.Clone(); delete(p, "currency"); return p.Encode() }(), ErrSignature},
				{"unsigned, tolerable amount", unsigned(set("currency", "JPY", "total_fee", "1500.00")), ErrSignature},
				{"unsigned, missing currency", unsigned(set("currency", "")), ErrSignature},
				{"sign of the wrong type", with(signed, "sign_type", "DSA").Encode(), ErrSignType},
				{"unparseable body", signed.Encode() + "&x=%zz", ErrMalformed},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					n, err := side.client.ParseNotification([]byte(tt.body), formContentType)
					assert.ErrorIs(t, err, tt.err)
					assert.NotErrorIs(t, err, ErrContent)
					assert.False(t, n != nil && n.Verified, "not verified")
					if n != nil {
						assert.Zero(t, n.Amount, "nothing is read from an unverified message")
					}
				})
			}
		})
	}
}
