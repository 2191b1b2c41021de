package payment

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// notifySentinels are the errors ParseNotification and
// ParseRefundNotification may wrap.
var notifySentinels = []error{ErrMalformed, ErrCharset, ErrSignature, ErrSignType, ErrContent, ErrPartner, ErrNotificationKind}

func wrapsOneOf(err error, sentinels ...error) bool {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// FuzzParseNotification feeds bodies and content types to an MD5 client's
// ParseNotification: nothing panics, every error wraps a documented
// sentinel, Verified is set exactly when the signature checked out, and a
// notification accepted without error is whole (a paid or known status, a
// valid currency, an amount or an RMB fee) and verifies again from its own
// Params.
func FuzzParseNotification(f *testing.F) {
	md5k := sandboxMD5(f)
	c := coreMD5Client(f)
	signed, err := Sign(md5k, coreNotification())
	require.NoError(f, err)
	f.Add([]byte(signed.Encode()), formContentType)
	f.Add([]byte(signed.Encode()), formContentType+"; charset=gbk")
	rmb := coreNotification()
	delete(rmb, "total_fee")
	rmb["rmb_fee"] = "2500.00"
	if s, err := Sign(md5k, rmb); err == nil {
		f.Add([]byte(s.Encode()), formContentType)
	}
	refund, err := Sign(md5k, coreRefundNotification())
	require.NoError(f, err)
	f.Add([]byte(refund.Encode()), formContentType)
	f.Add([]byte("notify_id=1&sign=x&sign_type=MD5"), "")
	f.Add([]byte("a=1&a=2&sign_type=RSA2"), "text/plain; charset=utf-8")
	f.Add([]byte("_input_charset=gbk&subject=%D6%D0&sign=0&sign_type=MD5"), formContentType)
	f.Add([]byte(""), "")

	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		n, err := c.ParseNotification(body, contentType)
		if err != nil {
			require.True(t, wrapsOneOf(err, notifySentinels...), "unexpected error: %v", err)
			if wrapsOneOf(err, ErrContent, ErrPartner) {
				require.NotNil(t, n)
				require.True(t, n.Verified, "%v comes after verification", err)
			} else if n != nil {
				require.False(t, n.Verified, "%v comes before verification", err)
			}
			return
		}
		require.True(t, n.Verified)
		require.NotEmpty(t, n.OutTradeNo)
		require.NoError(t, Verify(md5k, n.Params, ""), "accepted params verify again")
		if n.Amount.Minor != 0 {
			require.True(t, n.Amount.Currency.Valid())
			require.Positive(t, n.Amount.Minor)
		} else {
			require.Positive(t, n.RMBFee)
		}
	})
}

// FuzzParseRefundNotification does the same for refund notifications.
func FuzzParseRefundNotification(f *testing.F) {
	md5k := sandboxMD5(f)
	c := coreMD5Client(f)
	signed, err := Sign(md5k, coreRefundNotification())
	require.NoError(f, err)
	f.Add([]byte(signed.Encode()), formContentType)
	trade, err := Sign(md5k, coreNotification())
	require.NoError(f, err)
	f.Add([]byte(trade.Encode()), formContentType)
	f.Add([]byte("out_return_no=1&sign=x&sign_type=MD5"), "")
	f.Add([]byte("refund_status=REFUND_SUCCESS&return_amount=1e3"), formContentType)

	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		_, _ = NotificationKind(body, contentType)
		r, err := c.ParseRefundNotification(body, contentType)
		if err != nil {
			require.True(t, wrapsOneOf(err, notifySentinels...), "unexpected error: %v", err)
			return
		}
		require.NotNil(t, r)
		require.NotEmpty(t, r.OutReturnNo)
	})
}

// FuzzParseAnswer feeds XML answers to the reader of every gateway
// service: nothing panics; an answer is refused with ErrGateway, a
// signature error or a *GatewayError; an accepted one with a business
// node verifies.
func FuzzParseAnswer(f *testing.F) {
	md5k := sandboxMD5(f)
	c := coreMD5Client(f)
	f.Add(gwDoc{Node: "trade", Fields: []string{"out_trade_no", "12345", "trade_status", "TRADE_FINISHED", "total_fee", "350.45"}, Signer: md5k}.bytes(f), false)
	f.Add(gwDoc{Encoding: "GBK", Node: "trade", Fields: []string{"subject", "中文"}, Signer: md5k}.bytes(f), false)
	f.Add(gwDoc{Success: "F", Error: "TRADE_NOT_EXIST"}.bytes(f), false)
	f.Add(gwDoc{Success: "F", Error: "ILLEGAL_SIGN", Signer: md5k}.bytes(f), false)
	f.Add(gwDoc{}.bytes(f), true)
	f.Add([]byte(`<alipay><is_success>T</is_success><response><trade><a>1</a><a>2</a></trade></response></alipay>`), false)
	f.Add([]byte(`<?xml version="1.0" encoding="x-unknown"?><alipay/>`), false)
	f.Add([]byte(`<alipay><is_success>T</is_success></alipay>trailing`), true)

	services := []Service{ServiceQuery, ServiceRefund, ServiceRefundQuery}
	f.Fuzz(func(t *testing.T, body []byte, bare bool) {
		for _, svc := range services {
			a, err := c.parseAnswer(svc, body, bare)
			if err != nil {
				var ge *GatewayError
				require.True(t, errors.As(err, &ge) || wrapsOneOf(err, ErrGateway, ErrSignature, ErrSignType),
					"unexpected error: %v", err)
				require.Nil(t, a)
				continue
			}
			require.NotNil(t, a)
			if a.node == "" {
				require.True(t, bare, "no business node is accepted only when bare")
			}
		}
	})
}

// FuzzParseRates checks the forex_rate_file reader: nothing panics, errors
// wrap ErrGateway, and every rate read is a positive decimal for a
// three-letter code, which converts an amount without panicking.
func FuzzParseRates(f *testing.F) {
	for _, s := range []string{"20240102|101112|USD|7.1234\n20240102|101112|JPY|0.0481\n", "", "\n\n",
		"20240102|101112|usd|7.1", "20240102|101112|USD|-1", "20240102|101112|USD|1e3", "20241302|101112|USD|1",
		"20240102|101112|USD|7.1234|x", "20240102|251112|EUR|0.0000000000000000000000000000001"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		rates, err := parseRates(body)
		if err != nil {
			require.ErrorIs(t, err, ErrGateway)
			require.Nil(t, rates)
			return
		}
		require.NotEmpty(t, rates)
		for _, r := range rates {
			require.Len(t, string(r.Currency), 3)
			require.Equal(t, strings.ToUpper(string(r.Currency)), string(r.Currency))
			require.False(t, r.Time.IsZero())
			if r.Currency.Valid() {
				_, _ = r.ToCNY(Amount{Minor: 12345, Currency: r.Currency})
			}
		}
	})
}

// FuzzParseQueryCharset reads bodies in every charset the protocol knows
// (and unknown ones): nothing panics, errors wrap ErrMalformed or
// ErrCharset, and what is read is valid UTF-8 that encodes back into the
// charset it came in (a GBK body holds only what GBK can say).
func FuzzParseQueryCharset(f *testing.F) {
	charsets := []string{"", "utf-8", "UTF8", "gbk", "GB2312", "gb18030", "latin1", "x-bogus"}
	for _, s := range []string{"subject=%D6%D0%CE%C4&a=1", "_input_charset=gbk&subject=%D6%D0", "subject=%E4%B8%AD&_input_charset=utf-8",
		"_input_charset=big5&a=1", "a=%FF%FE", "a=%80", "a=1;b=2", ""} {
		for i := range charsets {
			f.Add([]byte(s), uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte, ci uint8) {
		cs := charsets[int(ci)%len(charsets)]
		p, err := ParseQuery(raw, cs)
		if err != nil {
			require.True(t, wrapsOneOf(err, ErrMalformed, ErrCharset), "unexpected error: %v", err)
			return
		}
		enc := p.Charset()
		if enc == "" {
			enc = cs
		}
		for k, v := range p {
			require.True(t, utf8.ValidString(k) && utf8.ValidString(v), "%q=%q is not UTF-8", k, v)
			if _, err := lookupCharset(enc); err == nil && enc != "" {
				_, err := EncodeCharset(v, enc)
				require.NoError(t, err, "%q read as %s encodes back", v, enc)
			}
		}
	})
}

// FuzzParseTimeout checks timeout_rule / it_b_pay parsing: nothing
// panics, and what it accepts is a positive number of seconds.
func FuzzParseTimeout(f *testing.F) {
	for _, s := range []string{"30m", "2h", "1d", "15d", "1c", "0m", "-1m", "1.5h", "m", "", "99999999999999999999m", "1H"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		secs, err := ParseTimeout(s)
		if err != nil {
			return
		}
		require.Positive(t, secs, "%q", s)
	})
}
