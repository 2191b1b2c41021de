package payment

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// diagOtherKey is a 2048-bit key, unlike the 1024-bit sandbox key.
var diagOtherKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })

func diagSign(t *testing.T, s Signer, presign string) string {
	t.Helper()
	sig, err := s.Sign([]byte(presign))
	require.NoError(t, err)
	return sig
}

// diagSigned returns p with sign and sign_type set to the given values.
func diagSigned(p Params, sig, st string) Params {
	return with(p, "sign", sig, "sign_type", st)
}

func TestDiagnose(t *testing.T) {
	rsa1, rsa2 := sandboxSigners(t)
	md5k := sandboxMD5(t)
	other, err := diagOtherKey()
	require.NoError(t, err)
	otherRSA2, err := NewRSASigner(RSA2, other)
	require.NoError(t, err)

	a5 := diagSign(t, rsa1, a1().PreSign())
	require.Contains(t, a5, "+", "A5 has a '+' to lose")
	withEmpty := with(a1(), "body", "")
	plus := with(a1(), "subject", "a+b")
	gbk := with(a1(), "_input_charset", "gbk", "subject", "咖啡")
	sum := md5.Sum([]byte(a1().PreSign() + "&key=" + sandboxMD5Key))

	tests := []struct {
		name string
		v    Verifier
		p    Params
		want []string
	}{
		{"valid", md5k, diagSigned(a1(), "c19f42a597963f118c4f99f2fc7f716f", "MD5"), []string{"is valid"}},
		{"no sign", md5k, with(a1(), "sign_type", "MD5"), []string{"no sign"}},
		{"sign_type differs", md5k, diagSigned(a1(), "c19f42a597963f118c4f99f2fc7f716f", "RSA"), []string{`sign_type="RSA"`, "MD5 is configured"}},
		{"sign_type lowercase", md5k, diagSigned(a1(), "c19f42a597963f118c4f99f2fc7f716f", "md5"), []string{"uppercase"}},
		{"sign_type names the digest used", rsa1.Public(), diagSigned(a1(), diagSign(t, rsa2, a1().PreSign()), "RSA2"),
			[]string{"sign_type=RSA2 but RSA is configured", "valid RSA2 (SHA-256) signature"}},
		{"swapped digest", rsa2.Public(), diagSigned(a1(), a5, "RSA2"), []string{"signed as RSA (SHA-1) but configured RSA2 (SHA-256)"}},
		{"another key", rsa2.Public(), diagSigned(a1(), diagSign(t, otherRSA2, a1().PreSign()), "RSA2"), []string{"256 bytes", "1024-bit", "another key"}},
		{"space for plus in sign", rsa1.Public(), diagSigned(a1(), strings.ReplaceAll(a5, "+", " "), "RSA"), []string{"spaces where its base64 has '+'"}},
		{"space for plus in a value", md5k, diagSigned(with(a1(), "subject", "a b"), diagSign(t, md5k, plus.PreSign()), "MD5"), []string{"value of subject", "%2B"}},
		{"empty values signed", md5k, diagSigned(withEmpty, diagSign(t, md5k, "_input_charset=utf-8&body=&"+strings.TrimPrefix(a1().PreSign(), "_input_charset=utf-8&")), "MD5"),
			[]string{"empty values (body)"}},
		{"sign_type signed", rsa2.Public(), diagSigned(a1(), diagSign(t, rsa2, strings.Replace(a1().PreSign(), "&subject=", "&sign_type=RSA2&subject=", 1)), "RSA2"), []string{"included sign_type"}},
		{"values URL-encoded", md5k, diagSigned(a1(), diagSign(t, md5k, strings.Replace(a1().PreSign(), "https://example.com/notify", url.QueryEscape("https://example.com/notify"), 1)), "MD5"),
			[]string{"URL-encoded the values"}},
		{"wrong charset", md5k, diagSigned(gbk, diagSign(t, md5k, gbk.PreSign()), "MD5"), []string{"in utf-8", "charset is gbk"}},
		{"MD5 key joined with &key=", md5k, diagSigned(a1(), hex.EncodeToString(sum[:]), "MD5"), []string{`"&key="`}},
		{"MD5 wrong key or changed", md5k, diagSigned(with(a1(), "total_fee", "1.00"), "c19f42a597963f118c4f99f2fc7f716f", "MD5"),
			[]string{"wrong key, or a parameter changed after signing", "no '&'"}},
		{"RSA wrong key or changed", rsa1.Public(), diagSigned(with(a1(), "total_fee", "1.00"), a5, "RSA"), []string{"wrong key", "parameter changed after signing"}},
		{"sign escaped twice", rsa1.Public(), diagSigned(a1(), url.QueryEscape(a5), "RSA"), []string{"escaped twice"}},
		{"MD5 sign, RSA configured", rsa1.Public(), with(a1(), "sign", "c19f42a597963f118c4f99f2fc7f716f"), []string{"an MD5 signature, but RSA is configured"}},
		{"RSA sign, MD5 configured", md5k, with(a1(), "sign", a5), []string{"not an MD5 signature"}},
		{"sign not base64", rsa1.Public(), diagSigned(a1(), "not*base64", "RSA"), []string{"not standard base64"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Diagnose(tt.v, tt.p, "")
			for _, w := range tt.want {
				assert.Contains(t, got, w)
			}
			assert.NotContains(t, got, "\n", "one sentence")
		})
	}
}

// diagPairs are the fields of the pre_sign example of the protocol reference
// (section 3.5), in key order.
func diagPairs(kv ...string) []KV {
	pairs := []KV{{"_input_charset", "UTF-8"}, {"body", "test"}, {"currency", "USD"}, {"forex_biz", "FP"},
		{"out_trade_no", "out_trade_no_20200109_175417"}, {"partner", "2088021017666931"}, {"payment_type", "1"},
		{"product_code", "NEW_WAP_OVERSEAS_SELLER"}, {"seller_id", "2088021017666931"},
		{"service", "mobile.securitypay.pay"}, {"subject", "Mika's coffee shop"}, {"total_fee", "0.01"}}
	for i := 0; i < len(kv); i += 2 {
		pairs = append(pairs, KV{kv[i], kv[i+1]})
	}
	return pairs
}

// diagOrder renders pairs with a sign (already escaped, or not) and a sign_type.
func diagOrder(pairs []KV, sign, st string) string {
	s := QuotePairs(pairs)
	if sign != "" {
		s += `&sign="` + sign + `"`
	}
	if st != "" {
		s += `&sign_type="` + st + `"`
	}
	return s
}

func TestDiagnoseOrderString(t *testing.T) {
	rsa1, rsa2 := sandboxSigners(t)
	other, err := diagOtherKey()
	require.NoError(t, err)
	otherRSA2, err := NewRSASigner(RSA2, other)
	require.NoError(t, err)

	sorted := diagPairs()
	content := QuotePairs(sorted)
	sig2 := diagSign(t, rsa2, content)
	sig1 := diagSign(t, rsa1, content)
	require.Contains(t, sig2, "+", "the RSA2 signature has a '+' to lose")
	// An unsorted string, as Alipay's Android demo builds, with a changed amount.
	unsorted := append([]KV{{"total_fee", "0.02"}}, sorted[:len(sorted)-1]...)
	changed := append([]KV{}, sorted...)
	changed[len(changed)-1] = KV{"total_fee", "0.02"}
	withEmpty := diagPairs("return_url", "")

	tests := []struct {
		name  string
		order string
		want  []string
	}{
		{"valid", diagOrder(sorted, url.QueryEscape(sig2), "RSA2"), []string{"is valid"}},
		{"unparseable", "partner=2088021017666931&sign=x", []string{"cannot be parsed"}},
		{"no sign", diagOrder(sorted, "", "RSA2"), []string{"no sign"}},
		{"no sign_type", diagOrder(sorted, url.QueryEscape(sig2), ""), []string{"no sign_type"}},
		{"sign_type differs", diagOrder(sorted, url.QueryEscape(sig1), "RSA"), []string{"sign_type=RSA but RSA2 is configured", "valid RSA (SHA-1) signature"}},
		{"swapped digest", diagOrder(sorted, url.QueryEscape(sig1), "RSA2"), []string{"signed as RSA (SHA-1) but configured RSA2 (SHA-256)"}},
		{"another key", diagOrder(sorted, url.QueryEscape(diagSign(t, otherRSA2, content)), "RSA2"), []string{"another key"}},
		{"sign not URL-escaped", diagOrder(sorted, strings.ReplaceAll(sig2, "+", " "), "RSA2"), []string{"not URL-escaped"}},
		{"sign escaped twice", diagOrder(sorted, url.QueryEscape(url.QueryEscape(sig2)), "RSA2"), []string{"escaped twice"}},
		{"signed without quotes", diagOrder(sorted, url.QueryEscape(diagSign(t, rsa2, strings.ReplaceAll(content, `"`, ""))), "RSA2"), []string{"without the quotes"}},
		{"sign_type signed", diagOrder(sorted, url.QueryEscape(diagSign(t, rsa2, content+`&sign_type="RSA2"`)), "RSA2"), []string{"included sign_type"}},
		{"empty values signed", diagOrder(withEmpty, url.QueryEscape(diagSign(t, rsa2, QuotePairs(withEmpty))), "RSA2"), []string{"empty values (return_url)"}},
		{"changed, unsorted", diagOrder(unsorted, url.QueryEscape(sig2), "RSA2"), []string{"neither the order received nor key order", "wrong key"}},
		{"changed, sorted", diagOrder(changed, url.QueryEscape(sig2), "RSA2"), []string{"does not verify", "wrong key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DiagnoseOrderString(rsa2.Public(), tt.order)
			for _, w := range tt.want {
				assert.Contains(t, got, w)
			}
			assert.NotContains(t, got, "\n", "one sentence")
		})
	}
}
