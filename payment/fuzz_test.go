package payment

import (
	"bytes"
	"errors"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzPreSignVerify feeds raw query bodies through ParseQuery and Verify.
// Nothing may panic; parse errors are ErrMalformed or ErrCharset; and
// whatever parses must sign and then verify with every algorithm, and (in
// UTF-8) survive form encoding unchanged.
func FuzzPreSignVerify(f *testing.F) {
	md5k := sandboxMD5(f)
	_, rsa2 := sandboxSigners(f)
	a1md5, err := Sign(md5k, a1())
	require.NoError(f, err)
	a1rsa2, err := Sign(rsa2, a1())
	require.NoError(f, err)
	f.Add([]byte(a1md5.Encode()))
	f.Add([]byte(a1rsa2.Encode()))
	f.Add([]byte("currency=USD&notify_id=0123456789abcdef0123456789abcdef0a&notify_time=2024-01-02+10%3A11%3A12&notify_type=trade_status_sync&out_trade_no=12345&sign=0d0f5ba9f487aa9c3cbb99e822f2057b&sign_type=MD5&total_fee=350.45&trade_no=2024010222001300000000000001&trade_status=TRADE_FINISHED"))
	f.Add([]byte("_input_charset=gbk&subject=%D6%D0%CE%C4&sign=x&sign_type=MD5"))
	f.Add([]byte("_input_charset=utf-8&subject=%E4%B8%AD%E6%96%87+%F0%9F%98%80&a=%2B"))
	f.Add([]byte("a=1&a=2"))
	f.Add([]byte("a=%zz;b"))
	f.Add([]byte("=&&=x&sign_type=RSA2&sign=ab+cd"))
	f.Add([]byte(""))

	type pair struct {
		s Signer
		v Verifier
	}
	pairs := []pair{{md5k, md5k}, {rsa2, rsa2.Public()}}
	f.Fuzz(func(t *testing.T, raw []byte) {
		// Read as UTF-8, the result must agree with net/url wherever the
		// body has no semicolons and no repeated keys.
		if u, uerr := url.ParseQuery(string(raw)); !bytes.Contains(raw, []byte(";")) {
			pu, err := ParseQuery(raw, "utf-8")
			if uerr != nil {
				require.Error(t, err, "net/url refuses %q", raw)
			} else if err == nil {
				require.Len(t, pu, len(u))
				for k, vs := range u {
					require.Equal(t, []string{pu[k]}, vs, "key %q", k)
				}
			}
		}

		p, err := ParseQuery(raw, "")
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrCharset) {
				t.Fatalf("ParseQuery error wraps neither ErrMalformed nor ErrCharset: %v", err)
			}
			return
		}
		for _, sp := range pairs {
			err := Verify(sp.v, p, "")
			if p["sign"] == "" {
				require.ErrorIs(t, err, ErrSignature)
			}
			signed, err := Sign(sp.s, p)
			require.NoError(t, err, "sign %q", p)
			require.NoError(t, Verify(sp.v, signed, ""), "verify what was just signed: %q", signed)
			if cs := strings.ToLower(strings.TrimSpace(signed.Charset())); cs == "utf-8" || cs == "utf8" {
				back, err := ParseQuery([]byte(signed.Encode()), "")
				require.NoError(t, err)
				require.Equal(t, signed, back, "form encoding must round-trip")
			}
		}
	})
}

var (
	coreAmount2 = regexp.MustCompile(`^(0|[1-9][0-9]{0,6})\.[0-9]{2}$`)
	coreAmount0 = regexp.MustCompile(`^[1-9][0-9]{0,6}$`)
	coreFuzzCur = []Currency{"USD", "JPY", "KRW", CNY, "EUR", "XXX"}
)

// FuzzParseAmount checks ParseAmount against an independent oracle (a
// regular expression and a range check): nothing panics, it accepts exactly
// the canonical strings in range, and what it accepts formats back to the
// same string.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"350.45", "0.01", "1000000.00", "1000000.01", "1500", "1500.00", "1e2", "+1", "-1",
		" 1.00", "1.001", "01.00", ".50", "1.", "１.00", "NaN", "0x10", "1,000.00", "9999999.99", "0", "0.00", ""} {
		for i := range coreFuzzCur {
			f.Add(s, uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, s string, ci uint8) {
		c := coreFuzzCur[int(ci)%len(coreFuzzCur)]
		n, err := ParseAmount(s, c)

		want := false
		if c.Valid() {
			re := coreAmount2
			if c.Exponent() == 0 {
				re = coreAmount0
			}
			if re.MatchString(s) {
				v, perr := strconv.ParseInt(strings.Replace(s, ".", "", 1), 10, 64)
				want = perr == nil && v >= c.MinAmount() && v <= c.MaxAmount()
			}
		}
		if !want {
			require.Error(t, err, "%q %s accepted as %d", s, c, n)
			if !c.Valid() {
				assert.ErrorIs(t, err, ErrCurrency)
			} else {
				assert.ErrorIs(t, err, ErrAmount)
			}
			return
		}
		require.NoError(t, err, "%q %s refused", s, c)
		require.True(t, n >= c.MinAmount() && n <= c.MaxAmount(), "%q %s out of range: %d", s, c, n)
		back, err := FormatAmount(n, c)
		require.NoError(t, err)
		require.Equal(t, s, back, "accepted amounts must round-trip exactly")
	})
}

// FuzzParseOrderString checks that ParseOrderString never panics, fails
// only with ErrMalformed, and that what it parses re-renders with
// QuotePairs to a string that parses back to the same pairs.
func FuzzParseOrderString(f *testing.F) {
	_, rsa2 := sandboxSigners(f)
	s, err := SignOrderString(rsa2, coreAndroidDemoPairs("20240101123456"))
	require.NoError(f, err)
	f.Add(s)
	f.Add(`_input_charset="UTF-8"&appenv="system=android^version=3.0.1.2"&body="test"&currency="USD"&forex_biz="FP"&out_trade_no="out_trade_no_20200109_175417"&partner="2088021017666931"&payment_type="1"&product_code="NEW_WAP_OVERSEAS_SELLER"&seller_id="2088021017666931"&service="mobile.securitypay.pay"&subject="Mika's coffee shop"&total_fee="0.01"`)
	f.Add(`a="x&y=z"&b=""&sign="ab+c%2F%3D"&sign_type="RSA2"`)
	f.Add(`a="1"&`)
	f.Add(`a=1`)
	f.Add(`a="1"&a="2"`)
	f.Add(`sign="%zz"&a="1"`)
	f.Add(`中文="支付宝"`)
	f.Add("")

	v := rsa2.Public()
	f.Fuzz(func(t *testing.T, s string) {
		o, err := ParseOrderString(s)
		_, verr := VerifyOrderString(v, s)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformed)
			require.Error(t, verr)
			return
		}
		require.NotEmpty(t, o.Pairs)
		for _, kv := range o.Pairs {
			require.NotEmpty(t, kv.Key)
			require.NotContains(t, kv.Key, `"`)
			require.NotContains(t, kv.Value, `"`)
			require.NotEqual(t, "sign", kv.Key)
			require.NotEqual(t, "sign_type", kv.Key)
		}
		re := QuotePairs(o.Pairs)
		o2, err := ParseOrderString(re)
		require.NoError(t, err, "re-rendered %q", re)
		require.Equal(t, o.Pairs, o2.Pairs)
		require.Empty(t, o2.Sign)
		_ = o.UnknownAppKeys()
		_ = o.SortedPreSign()
	})
}

// FuzzParseFile checks that the reader of the reconciliation and
// settlement files never panics, and that every row it returns is whole:
// a P or R row with an id, a known currency for amount and fee alike, a
// transaction time and its line number, and that an amount read back from
// its decimal form is the same number of minor units.
func FuzzParseFile(f *testing.F) {
	for _, s := range []string{fileVector, "No balance account data in the period", "", "\n\n",
		"A|1.00|USD|20240102101112||P||SUCCESS", "A|-0.5|USD|20240102101112||R|0|S|x|||",
		"A|1|JPY|2024-01-02 10:11:12|20240103000000|P|0|S|", "h|a|c|t|s|type|f|st|r\nA|1.00|USD|20240102101112||P|0|S|"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		rows, err := parseFile(body)
		if err != nil {
			require.Nil(t, rows)
			return
		}
		for _, r := range rows {
			require.NotEmpty(t, r.PartnerTransID)
			require.Contains(t, []RowType{RowPayment, RowRefund}, r.Type)
			require.True(t, r.Amount.Currency.Valid())
			require.Equal(t, r.Amount.Currency, r.Fee.Currency)
			require.False(t, r.TransactionTime.IsZero())
			require.Positive(t, r.Line)
			back, err := parseFileAmount(signedMinor(r.Amount), r.Amount.Currency)
			require.NoError(t, err)
			require.Equal(t, r.Amount.Minor, back)
		}
	})
}

// signedMinor writes a possibly negative amount as a plain decimal.
func signedMinor(a Amount) string {
	if a.Minor < 0 {
		return "-" + formatMinor(-a.Minor, a.Currency)
	}
	return formatMinor(a.Minor, a.Currency)
}
