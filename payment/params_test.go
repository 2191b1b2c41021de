package payment

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPreSign(t *testing.T) {
	tests := []struct {
		name string
		p    Params
		want string
	}{
		{"A1", a1(), "_input_charset=utf-8&currency=USD&notify_url=https://example.com/notify&out_trade_no=12345&partner=2088101122136241&service=create_forex_trade_wap&subject=product_name&supplier=company_name&total_fee=350.45"},
		{"drops sign, sign_type and empty values",
			Params{"b": "2", "a": "1", "sign": "abc", "sign_type": "MD5", "empty": "", "c": "3"},
			"a=1&b=2&c=3"},
		{"byte order: uppercase, then _, then lowercase",
			Params{"b": "1", "a": "1", "_input_charset": "utf-8", "Z": "1", "A_b": "1", "a_b": "1", "ab": "1", "_": "1"},
			"A_b=1&Z=1&_=1&_input_charset=utf-8&a=1&a_b=1&ab=1&b=1"},
		{"byte order, not length or locale: é after z",
			Params{"é": "1", "z": "1", "aa": "1", "a": "1"},
			"a=1&aa=1&z=1&é=1"},
		{"values are raw: not encoded, not decoded, not trimmed",
			Params{"notify_url": "https://example.com/n?x=1&y=2", "subject": " a b+c%41 中文 ", "email": "test@msn.com"},
			"email=test@msn.com&notify_url=https://example.com/n?x=1&y=2&subject= a b+c%41 中文 "},
		{"empty", Params{}, ""},
		{"only sign fields", Params{"sign": "x", "sign_type": "MD5"}, ""},
		{"nil", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.p.PreSign())
		})
	}
}

func TestParseQuery(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		charset string
		want    Params
	}{
		{"simple", "a=1&b=2", "", Params{"a": "1", "b": "2"}},
		{"plus is a space", "subject=a+b", "", Params{"subject": "a b"}},
		{"%2B is a plus", "sign=a%2Bb", "", Params{"sign": "a+b"}},
		{"percent-encoded UTF-8", "subject=%E4%B8%AD%E6%96%87", "", Params{"subject": "中文"}},
		{"raw UTF-8", "subject=中文", "utf-8", Params{"subject": "中文"}},
		{"encoded key", "%5Finput_charset=utf-8", "", Params{"_input_charset": "utf-8"}},
		{"empty pairs are skipped", "a=1&&b=2&", "", Params{"a": "1", "b": "2"}},
		{"key without = has an empty value", "a&b=2", "", Params{"a": "", "b": "2"}},
		{"value may contain =", "a=x=y", "", Params{"a": "x=y"}},
		{"empty body", "", "", Params{}},
		{"uppercase UTF-8 charset name", "a=%C3%A9", "UTF-8", Params{"a": "é"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseQuery([]byte(tt.raw), tt.charset)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseQueryRejects(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		charset string
		wantErr error
	}{
		{"duplicate key", "a=1&a=2", "", ErrMalformed},
		{"duplicate key with the same value", "a=1&a=1", "", ErrMalformed},
		{"duplicate key after decoding", "a=1&%61=2", "", ErrMalformed},
		{"duplicate sign", "sign=x&a=1&sign=y", "", ErrMalformed},
		{"bad escape in value", "a=%zz", "", ErrMalformed},
		{"truncated escape", "a=%4", "", ErrMalformed},
		{"lone percent", "a=%", "", ErrMalformed},
		{"bad escape in key", "%zz=1", "", ErrMalformed},
		{"semicolon separator", "a=1;b=2", "", ErrMalformed},
		{"semicolon in value", "a=x;y", "", ErrMalformed},
		{"invalid UTF-8 with charset utf-8", "a=%FF%FE", "utf-8", ErrCharset},
		{"invalid UTF-8 by default", "a=%C3", "", ErrCharset},
		{"invalid UTF-8 in a key", "%FF=1", "", ErrCharset},
		{"raw invalid UTF-8", "a=1&b=\xff", "", ErrCharset},
		{"invalid UTF-8 with the message's own charset", "_input_charset=utf-8&a=%E4%B8", "", ErrCharset},
		{"invalid GBK", "a=%81%20", "gbk", ErrCharset},
		{"unknown charset argument", "a=1", "latin1", ErrCharset},
		{"unknown _input_charset", "_input_charset=ebcdic&a=1", "", ErrCharset},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseQuery([]byte(tt.raw), tt.charset)
			assert.ErrorIs(t, err, tt.wantErr)
			assert.Nil(t, got)
		})
	}
}

func TestParamsEncode(t *testing.T) {
	p := Params{"b": "x y", "a": "1&2", "sign": "ab+/=", "subject": "中文"}
	enc := p.Encode()
	assert.Equal(t, "a=1%262&b=x+y&sign=ab%2B%2F%3D&subject=%E4%B8%AD%E6%96%87", enc)
	back, err := ParseQuery([]byte(enc), "")
	require.NoError(t, err)
	assert.Equal(t, p, back)
}

// TestParamsEncodeCharset: values are percent-encoded in the bytes of the
// declared _input_charset, so that the gateway, which decodes them in it,
// reads what was signed.
func TestParamsEncodeCharset(t *testing.T) {
	tests := []struct {
		charset string
		want    string // the subject as encoded
	}{
		{"", "%E4%B8%AD%E6%96%87"},
		{"utf-8", "%E4%B8%AD%E6%96%87"},
		{"UTF-8", "%E4%B8%AD%E6%96%87"},
		{"GBK", "%D6%D0%CE%C4"},
		{"gbk", "%D6%D0%CE%C4"},
		{"GB2312", "%D6%D0%CE%C4"},
		{"ISO-8859-1", "%E4%B8%AD%E6%96%87"}, // unknown: UTF-8, which Sign would have refused anyway
	}
	for _, tt := range tests {
		t.Run(tt.charset, func(t *testing.T) {
			p := Params{"subject": "中文", "a": "1&2", "sign": "ab+/="}
			if tt.charset != "" {
				p["_input_charset"] = tt.charset
			}
			enc := p.Encode()
			assert.Contains(t, enc, "&subject="+tt.want)
			assert.Contains(t, enc, "a=1%262&")
			assert.Contains(t, enc, "sign=ab%2B%2F%3D")
			if tt.charset == "ISO-8859-1" {
				return
			}
			back, err := ParseQuery([]byte(enc), "")
			require.NoError(t, err, "read back in the charset it declares")
			assert.Equal(t, p, back)
		})
	}
	t.Run("ASCII is the same in every charset", func(t *testing.T) {
		p := a1()
		gbk := with(p, "_input_charset", "GBK")
		assert.Equal(t, strings.Replace(p.Encode(), "utf-8", "GBK", 1), gbk.Encode())
	})
	t.Run("text GBK cannot hold stays UTF-8", func(t *testing.T) {
		p := Params{"_input_charset": "GBK", "subject": "😀"}
		assert.Equal(t, "_input_charset=GBK&subject=%F0%9F%98%80", p.Encode())
		_, err := Sign(sandboxMD5(t), p)
		assert.ErrorIs(t, err, ErrCharset, "which Sign refuses to sign")
	})
	t.Run("a signed GBK request verifies as the gateway reads it", func(t *testing.T) {
		p := with(a1(), "_input_charset", "GBK", "service", "create_forex_trade", "subject", "儿童服装")
		signed, err := Sign(sandboxMD5(t), p)
		require.NoError(t, err)
		back, err := ParseQuery([]byte(signed.Encode()), "")
		require.NoError(t, err)
		assert.Equal(t, "儿童服装", back["subject"])
		assert.NoError(t, Verify(sandboxMD5(t), back, ""))
	})
}

func TestFromValues(t *testing.T) {
	got, err := FromValues(url.Values{"a": {"1"}, "b": {""}})
	require.NoError(t, err)
	assert.Equal(t, Params{"a": "1", "b": ""}, got)

	_, err = FromValues(url.Values{"a": {"1", "2"}})
	assert.ErrorIs(t, err, ErrMalformed)
	_, err = FromValues(url.Values{"a": {}})
	assert.ErrorIs(t, err, ErrMalformed)
}

func TestParamsCloneAndCharset(t *testing.T) {
	p := a1()
	c := p.Clone()
	c["subject"] = "changed"
	assert.Equal(t, "product_name", p["subject"], "Clone must copy")
	var none Params
	assert.NotNil(t, none.Clone(), "Clone of nil is writable")
	signed, err := Sign(sandboxMD5(t), none)
	require.NoError(t, err)
	assert.Equal(t, "MD5", signed["sign_type"])

	assert.Equal(t, "utf-8", Params{}.Charset())
	assert.Equal(t, "utf-8", Params{"_input_charset": ""}.Charset())
	assert.Equal(t, "GBK", Params{"_input_charset": "GBK"}.Charset())
}

func TestQueryUnescapeMatchesNetURL(t *testing.T) {
	cases := []string{"", "a", "a+b", "%41", "%4a%4A", "%", "%4", "%zz", "a%2", "%2B%2F%3D", "100%", "+%2B+",
		"%E4%B8%AD", "%ff", "a b", "%%41", "x%4gy", "CiFX4PWS%2FeFNIuhTT2%2BiA%2FqePLX%3D"}
	rng := rand.New(rand.NewPCG(3, 4))
	const alphabet = "%+aZ09fF- =&G\xff中"
	for range 2000 {
		b := make([]byte, rng.IntN(12))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		want, wantErr := url.QueryUnescape(s)
		got, err := queryUnescape(s)
		if wantErr != nil {
			require.Error(t, err, "%q", s)
			assert.Equal(t, wantErr.Error(), err.Error(), "%q", s)
			continue
		}
		require.NoError(t, err, "%q", s)
		assert.Equal(t, want, got, "%q", s)
	}
}

func TestParseQueryManyPairs(t *testing.T) {
	// Past 64 pairs the parser stops tracking which ones were unescaped and
	// checks them all; the results must not change.
	var b strings.Builder
	want := Params{}
	for i := range 100 {
		k := fmt.Sprintf("k%03d", i)
		want[k] = fmt.Sprintf("v %d 中", i)
		fmt.Fprintf(&b, "%s=%s&", k, url.QueryEscape(want[k]))
	}
	got, err := ParseQuery([]byte(b.String()), "")
	require.NoError(t, err)
	assert.Equal(t, want, got)

	for _, i := range []int{3, 70} {
		bad := strings.Replace(b.String(), fmt.Sprintf("k%03d=", i), fmt.Sprintf("k%03d=%%FF", i), 1)
		_, err = ParseQuery([]byte(bad), "")
		assert.ErrorIs(t, err, ErrCharset, "invalid UTF-8 in pair %d", i)
		dup := b.String() + fmt.Sprintf("k%03d=x", i)
		_, err = ParseQuery([]byte(dup), "")
		assert.ErrorIs(t, err, ErrMalformed, "repeated key %d", i)
	}
}
