package payment

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// coreSigner pairs a signer with the verifier for its signatures.
type coreSigner struct {
	name string
	s    Signer
	v    Verifier
}

// coreSigners returns the three sandbox signers: MD5 and the 1024-bit
// sandbox RSA key as RSA and RSA2.
func coreSigners(t testing.TB) []coreSigner {
	t.Helper()
	rsa1, rsa2 := sandboxSigners(t)
	md5k := sandboxMD5(t)
	return []coreSigner{
		{"MD5", md5k, md5k},
		{"RSA", rsa1, rsa1.Public()},
		{"RSA2", rsa2, rsa2.Public()},
	}
}

func md5Hex(b ...[]byte) string {
	h := md5.New()
	for _, p := range b {
		h.Write(p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// coreRecordingVerifier fails the test if it is ever asked to verify.
type coreRecordingVerifier struct {
	typ   SignType
	calls int
}

func (v *coreRecordingVerifier) SignType() SignType { return v.typ }
func (v *coreRecordingVerifier) Verify([]byte, string) error {
	v.calls++
	return nil
}

func TestSignVerifyRoundTrip(t *testing.T) {
	for _, cs := range coreSigners(t) {
		t.Run(cs.name, func(t *testing.T) {
			signed, err := Sign(cs.s, a1())
			require.NoError(t, err)
			assert.Equal(t, cs.name, signed["sign_type"])
			assert.NotEmpty(t, signed["sign"])
			assert.NotContains(t, a1(), "sign", "Sign must not modify its input")
			assert.NoError(t, Verify(cs.v, signed, ""))

			tampered := with(signed, "total_fee", "350.46")
			assert.ErrorIs(t, Verify(cs.v, tampered, ""), ErrSignature)
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	rsa1, rsa2 := sandboxSigners(t)
	md5k := sandboxMD5(t)
	sign := func(s Signer, p Params) Params {
		out, err := Sign(s, p)
		require.NoError(t, err)
		return out
	}
	md5Signed := sign(md5k, a1())
	rsaSigned := sign(rsa1, a1())
	rsa2Signed := sign(rsa2, a1())
	otherMD5, err := NewMD5Key("0123456789abcdefghijklmnopqrstuv")
	require.NoError(t, err)

	tests := []struct {
		name    string
		v       Verifier
		p       Params
		wantErr error
	}{
		{"MD5 message to an RSA2 verifier", rsa2.Public(), md5Signed, ErrSignType},
		{"MD5 message to an RSA verifier", rsa1.Public(), md5Signed, ErrSignType},
		{"RSA2 message to an MD5 verifier", md5k, rsa2Signed, ErrSignType},
		{"RSA message to an RSA2 verifier", rsa2.Public(), rsaSigned, ErrSignType},
		{"RSA2 message to an RSA verifier", rsa1.Public(), rsa2Signed, ErrSignType},
		{"lowercase sign_type", md5k, with(md5Signed, "sign_type", "md5"), ErrSignType},
		{"unknown sign_type", md5k, with(md5Signed, "sign_type", "DSA"), ErrSignType},
		{"MD5 message without sign_type is still checked as RSA2", rsa2.Public(), func() Params { p := md5Signed.Clone(); delete(p, "sign_type"); return p }(), ErrSignature},
		{"empty sign_type", md5k, with(md5Signed, "sign_type", ""), ErrSignType},
		{"missing sign", md5k, func() Params { p := md5Signed.Clone(); delete(p, "sign"); return p }(), ErrSignature},
		{"empty sign", md5k, with(md5Signed, "sign", ""), ErrSignature},
		{"MD5 with another key", otherMD5, md5Signed, ErrSignature},
		{"MD5 signature truncated", md5k, with(md5Signed, "sign", md5Signed["sign"][:31]), ErrSignature},
		{"RSA signature as RSA2", rsa2.Public(), with(rsaSigned, "sign_type", "RSA2"), ErrSignature},
		{"RSA2 signature as RSA", rsa1.Public(), with(rsa2Signed, "sign_type", "RSA"), ErrSignature},
		{"RSA signature not base64", rsa2.Public(), with(rsa2Signed, "sign", "!!!"), ErrSignature},
		{"RSA signature of the wrong length", rsa2.Public(), with(rsa2Signed, "sign", rsa2Signed["sign"][4:]), ErrSignature},
		{"RSA2 signed field changed", rsa2.Public(), with(rsa2Signed, "out_trade_no", "12346"), ErrSignature},
		{"RSA2 field added", rsa2.Public(), with(rsa2Signed, "extra", "x"), ErrSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(tt.v, tt.p, "")
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.wantErr)
		})
	}

	t.Run("a claimed sign_type never reaches another algorithm", func(t *testing.T) {
		spy := &coreRecordingVerifier{typ: RSA2}
		assert.ErrorIs(t, Verify(spy, md5Signed, ""), ErrSignType)
		assert.Zero(t, spy.calls, "an MD5 message must not be checked at all by an RSA2 configuration")
	})
}

func TestVerifyAccepts(t *testing.T) {
	rsa1, rsa2 := sandboxSigners(t)
	md5k := sandboxMD5(t)
	md5Signed, err := Sign(md5k, a1())
	require.NoError(t, err)

	t.Run("MD5 uppercase hex", func(t *testing.T) {
		up := strings.ToUpper(md5Signed["sign"])
		require.NotEqual(t, md5Signed["sign"], up)
		assert.NoError(t, Verify(md5k, with(md5Signed, "sign", up), ""))
	})
	t.Run("without sign_type the configured type is used", func(t *testing.T) {
		p := md5Signed.Clone()
		delete(p, "sign_type")
		assert.NoError(t, Verify(md5k, p, ""))
	})
	for _, s := range []*RSASigner{rsa1, rsa2} {
		t.Run(string(s.SignType())+" with + turned into spaces", func(t *testing.T) {
			signed, err := Sign(s, a1())
			require.NoError(t, err)
			require.Contains(t, signed["sign"], "+", "vector must contain a + to test the repair")
			assert.NoError(t, Verify(s.Public(), with(signed, "sign", strings.ReplaceAll(signed["sign"], "+", " ")), ""))

			// The same corruption through a form body whose sender forgot to escape the +.
			esc := url.QueryEscape(signed["sign"])
			raw := strings.Replace(signed.Encode(), "sign="+esc, "sign="+strings.ReplaceAll(esc, "%2B", "+"), 1)
			require.NotContains(t, raw, "%2B")
			p, err := ParseQuery([]byte(raw), "")
			require.NoError(t, err)
			assert.Contains(t, p["sign"], " ")
			assert.NoError(t, Verify(s.Public(), p, ""))
		})
	}
}

func TestRSADigestsNotInterchangeable(t *testing.T) {
	rsa1, rsa2 := sandboxSigners(t)
	msg := []byte(a1().PreSign())
	sig1, err := rsa1.Sign(msg)
	require.NoError(t, err)
	sig2, err := rsa2.Sign(msg)
	require.NoError(t, err)
	assert.NotEqual(t, sig1, sig2)

	assert.NoError(t, rsa1.Public().Verify(msg, sig1))
	assert.NoError(t, rsa2.Public().Verify(msg, sig2))
	assert.ErrorIs(t, rsa2.Public().Verify(msg, sig1), ErrSignature, "an RSA (SHA-1) signature must not verify as RSA2")
	assert.ErrorIs(t, rsa1.Public().Verify(msg, sig2), ErrSignature, "an RSA2 (SHA-256) signature must not verify as RSA")
}

func TestSignGBK(t *testing.T) {
	md5k := sandboxMD5(t)
	p := Params{
		"_input_charset": "gbk", "out_trade_no": "12345", "partner": sandboxPartner,
		"service": "create_forex_trade", "subject": "中文", "total_fee": "1.00", "currency": "USD",
	}
	signed, err := Sign(md5k, p)
	require.NoError(t, err)

	// 中 is D6 D0 and 文 is CE C4 in GBK; written out by hand so the test
	// does not share the encoder it checks.
	gbkPreSign := "_input_charset=gbk&currency=USD&out_trade_no=12345&partner=2088101122136241&service=create_forex_trade&subject=\xd6\xd0\xce\xc4&total_fee=1.00"
	want := md5Hex([]byte(gbkPreSign), []byte(sandboxMD5Key))
	assert.Equal(t, want, signed["sign"], "MD5 must be taken over the GBK bytes")
	utf8Sum := md5Hex([]byte(p.PreSign()), []byte(sandboxMD5Key))
	assert.NotEqual(t, utf8Sum, signed["sign"])
	assert.NoError(t, Verify(md5k, signed, ""))

	t.Run("GBK percent-encoded body parses to UTF-8 and verifies", func(t *testing.T) {
		body := "_input_charset=gbk&currency=USD&out_trade_no=12345&partner=2088101122136241&service=create_forex_trade" +
			"&sign=" + want + "&sign_type=MD5&subject=%D6%D0%CE%C4&total_fee=1.00"
		for _, charset := range []string{"", "GBK", "gbk", "GB2312"} {
			got, err := ParseQuery([]byte(body), charset)
			require.NoError(t, err, "charset %q", charset)
			assert.Equal(t, "中文", got["subject"])
			assert.NoError(t, Verify(md5k, got, charset), "charset %q", charset)
		}
		// Hashed as UTF-8 the same message fails: the charset matters.
		got, err := ParseQuery([]byte(body), "")
		require.NoError(t, err)
		assert.ErrorIs(t, Verify(md5k, got, "utf-8"), ErrSignature)
	})

	t.Run("text GBK cannot hold is an error, not a silent substitution", func(t *testing.T) {
		_, err := Sign(md5k, with(p, "subject", "emoji 😀"))
		assert.ErrorIs(t, err, ErrCharset)
	})
}

func TestParseSignType(t *testing.T) {
	tests := []struct {
		in   string
		want SignType
		ok   bool
	}{
		{"MD5", MD5, true},
		{"RSA", RSA, true},
		{"RSA2", RSA2, true},
		{"md5", "", false},
		{"rsa2", "", false},
		{"Rsa", "", false},
		{"DSA", "", false},
		{"", "", false},
		{" MD5", "", false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.in), func(t *testing.T) {
			got, err := ParseSignType(tt.in)
			if !tt.ok {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestRepairSign(t *testing.T) {
	tests := []struct {
		typ      SignType
		in, want string
	}{
		{RSA, "ab c d=", "ab+c+d="},
		{RSA2, "a b", "a+b"},
		{RSA2, "a+b", "a+b"},
		{MD5, "a b", "a b"},
	}
	for _, tt := range tests {
		t.Run(string(tt.typ)+" "+tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, RepairSign(tt.typ, tt.in))
		})
	}
}
