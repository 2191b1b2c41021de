package main

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/payment"
)

const (
	privateKey = "payment/testdata/merchant_private_key_pkcs8.b64"
	publicKey  = "payment/testdata/merchant_public_key.b64"

	// a1 is vector A1 of the protocol reference, Appendix A, as a raw query.
	a1       = "_input_charset=utf-8&currency=USD&notify_url=https://example.com/notify&out_trade_no=12345&partner=2088101122136241&service=create_forex_trade_wap&subject=product_name&supplier=company_name&total_fee=350.45"
	a1Signed = "_input_charset=utf-8&currency=USD&notify_url=https%3A%2F%2Fexample.com%2Fnotify&out_trade_no=12345&partner=2088101122136241&service=create_forex_trade_wap&sign=c19f42a597963f118c4f99f2fc7f716f&sign_type=MD5&subject=product_name&supplier=company_name&total_fee=350.45"
	a5       = "CiFX4PWS/eFNIuhTT2+iA/qePLXJcv4Flvd1IU+xHvCl4GtG6iN8Dfa35qJp2il6r7E2AfMMHZkPS2LuMutBnUDLrW3B+C3Q8WH26dQxIdebStbBJUzfEGHJjzI/OChS++2rtZbKnm44VFutUWE0fwwl/lMYPL5/s1X/XQqekQg="
	a6       = "Evuit28DfgWF7iuUU3PYbXpBfWefw7SAnXSuq7RXB/e56UQ0cnHmL8Jxq6FCpTm2ta+bbOF2aXwcpUKVx4rHZi9wRoM6wJAgk1yCgWy1Y8oEZqDAC7eIloi8Ts3eFFbw6ITR5SfiXTKGhyiipFh9lAFBha5C/fyRnVHP8Cdkd/8="
)

// shop runs the program as "echo stdin | shop args..." with the environment env.
func shop(t *testing.T, env map[string]string, stdin string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(stdin), &out)
	return out.String(), err
}

func TestAlipaySign(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		stdin string
		args  []string
		want  string
	}{
		{"MD5 A1", nil, a1 + "\n", []string{"--sign-type", "MD5", "--md5-key", sandboxMD5Key},
			"presign: " + a1 + "\nsign: c19f42a597963f118c4f99f2fc7f716f\nquery: " + a1Signed + "\n"},
		{"MD5 from the environment", map[string]string{"ALIPAY_SIGN_TYPE": "MD5", "ALIPAY_MD5_KEY": sandboxMD5Key}, a1, nil,
			"presign: " + a1 + "\nsign: c19f42a597963f118c4f99f2fc7f716f\nquery: " + a1Signed + "\n"},
		{"gateway URL, old sign ignored", nil, "https://mapi.alipaydev.com/gateway.do?" + strings.Replace(a1Signed, "c19f", "0000", 1),
			[]string{"--sign-type=MD5", "--md5-key=" + sandboxMD5Key},
			"presign: " + a1 + "\nsign: c19f42a597963f118c4f99f2fc7f716f\nurl: https://mapi.alipaydev.com/gateway.do?" + a1Signed + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := shop(t, tt.env, tt.stdin, append([]string{"alipay", "sign"}, tt.args...)...)
			require.NoError(t, err)
			assert.Equal(t, tt.want, out)
		})
	}
	for _, tt := range []struct{ typ, want string }{{"RSA", a5}, {"RSA2", a6}} {
		t.Run(tt.typ+" A1", func(t *testing.T) {
			out, err := shop(t, nil, a1, "alipay", "sign", "--sign-type", tt.typ, "--private-key", privateKey)
			require.NoError(t, err)
			assert.Contains(t, out, "presign: "+a1+"\nsign: "+tt.want+"\n")
		})
	}
}

func TestAlipaySignNeedsKey(t *testing.T) {
	_, err := shop(t, nil, a1, "alipay", "sign", "--sign-type", "MD5")
	assert.ErrorContains(t, err, "sign type MD5 needs --md5-key or ALIPAY_MD5_KEY")
	_, err = shop(t, nil, a1, "alipay", "sign")
	assert.ErrorContains(t, err, "sign type RSA2 needs --private-key or ALIPAY_PRIVATE_KEY_FILE")
	_, err = shop(t, nil, a1, "alipay", "verify", "--sign-type", "RSA")
	assert.ErrorContains(t, err, "sign type RSA needs --public-key or ALIPAY_PUBLIC_KEY_FILE")
	_, err = shop(t, nil, a1, "alipay", "sign", "--sign-type", "rsa2")
	assert.ErrorContains(t, err, "unknown sign type")
}

func TestAlipayVerify(t *testing.T) {
	md5 := []string{"--sign-type", "MD5", "--md5-key", sandboxMD5Key}
	rsa := []string{"--sign-type", "RSA", "--public-key", publicKey}
	notify := "currency=USD&notify_id=0123456789abcdef0123456789abcdef0a&notify_time=2024-01-02 10:11:12&notify_type=trade_status_sync&out_trade_no=12345&total_fee=350.45&trade_no=2024010222001300000000000001&trade_status=TRADE_FINISHED&sign=0d0f5ba9f487aa9c3cbb99e822f2057b&sign_type=MD5"
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  []string // lines or parts of lines in the output
		bad   bool
	}{
		{"signed A1", a1Signed, md5, []string{"presign: " + a1 + "\nvalid\n"}, false},
		{"signed A1 as a URL", "https://mapi.alipaydev.com/gateway.do?" + a1Signed + "\n", md5, []string{"presign: " + a1 + "\nvalid\n"}, false},
		{"raw notification A8", notify, md5, []string{"notify_time=2024-01-02 10:11:12", "valid\n"}, false},
		{"raw RSA sign with '+'", a1 + "&sign_type=RSA&sign=" + a5, rsa, []string{"note: the sign contains a literal '+'", "valid\n"}, false},
		{"tampered", strings.Replace(a1Signed, "total_fee=350.45", "total_fee=1.00", 1), md5,
			[]string{"total_fee=1.00", "invalid: the MD5 digest does not match: wrong key, or a parameter changed after signing"}, true},
		{"wrong sign type", a1Signed, []string{"--sign-type", "RSA2", "--public-key", publicKey},
			[]string{`invalid: the message says sign_type="MD5" but RSA2 is configured`}, true},
		{"swapped digest", a1 + "&sign_type=RSA&sign=" + strings.ReplaceAll(a6, "+", "%2B"), rsa,
			[]string{"invalid: signed as RSA2 (SHA-256) but configured RSA (SHA-1)"}, true},
		{"no sign", a1, md5, []string{"invalid: the message has no sign parameter"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := shop(t, nil, tt.stdin, append([]string{"alipay", "verify"}, tt.args...)...)
			if tt.bad {
				assert.ErrorIs(t, err, errInvalid)
				assert.Contains(t, out, "\ninvalid: ")
			} else {
				assert.NoError(t, err)
			}
			for _, w := range tt.want {
				assert.Contains(t, out, w)
			}
		})
	}
	_, err := shop(t, nil, "a=1&a=2&sign=x", append([]string{"alipay", "verify"}, md5...)...)
	assert.ErrorContains(t, err, "more than once", "a repeated key is unreadable, not invalid")
}

// keygen runs "shop alipay keygen" into a new directory and returns the file names.
func keygen(t *testing.T) (priv, pub, out string) {
	t.Helper()
	dir := t.TempDir()
	priv, pub = filepath.Join(dir, "private.pem"), filepath.Join(dir, "public.b64")
	out, err := shop(t, nil, "", "alipay", "keygen", "--private", priv, "--public", pub)
	require.NoError(t, err)
	return priv, pub, out
}

func TestAlipayKeygen(t *testing.T) {
	priv, pub, out := keygen(t)
	privPEM, err := os.ReadFile(priv)
	require.NoError(t, err)
	pubB64, err := os.ReadFile(pub)
	require.NoError(t, err)
	key, err := payment.ParsePrivateKey(privPEM)
	require.NoError(t, err)
	assert.Equal(t, 2048, key.N.BitLen())
	pubKey, err := payment.ParsePublicKey(pubB64)
	require.NoError(t, err)
	assert.True(t, key.PublicKey.Equal(pubKey), "the files hold one key pair")
	info, err := os.Stat(priv)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	assert.Contains(t, out, priv)
	assert.Contains(t, out, strings.TrimSpace(string(pubB64)))
	assert.Contains(t, out, "Upload this public key to Alipay's merchant portal")
	assert.Contains(t, out, "keep the private key secret")

	for _, args := range [][]string{{"--private", priv, "--public", pub + ".new"}, {"--private", priv + ".new", "--public", pub}} {
		_, err = shop(t, nil, "", append([]string{"alipay", "keygen"}, args...)...)
		assert.ErrorContains(t, err, "already exists")
		assert.NoFileExists(t, pub+".new")
		assert.NoFileExists(t, priv+".new")
	}
	again, err := os.ReadFile(priv)
	require.NoError(t, err)
	assert.Equal(t, privPEM, again, "the existing key is untouched")
}

func TestAlipayOrderString(t *testing.T) {
	priv, pub, _ := keygen(t)
	// Unsorted, as Alipay's Android demo builds it; the old sign is ignored
	// and so is the empty return_url.
	order := `partner="2088101122136241"&seller_id="2088101122136241"&out_trade_no="A1B2C3"&subject="Mika's coffee"&body="test"&total_fee="0.01"&return_url=""&notify_url="https://example.com/notify"&service="mobile.securitypay.pay"&payment_type="1"&_input_charset="UTF-8"&currency="USD"&forex_biz="FP"&sign="old"&sign_type="RSA"`
	presign := `partner="2088101122136241"&seller_id="2088101122136241"&out_trade_no="A1B2C3"&subject="Mika's coffee"&body="test"&total_fee="0.01"&notify_url="https://example.com/notify"&service="mobile.securitypay.pay"&payment_type="1"&_input_charset="UTF-8"&currency="USD"&forex_biz="FP"`

	out, err := shop(t, nil, order, "alipay", "sign", "--private-key", priv)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 3, out)
	assert.Equal(t, "presign: "+presign, lines[0])
	require.True(t, strings.HasPrefix(lines[1], "sign: "), out)
	signed, ok := strings.CutPrefix(lines[2], "order_string: ")
	require.True(t, ok, out)
	assert.True(t, strings.HasPrefix(signed, presign+`&sign="`), signed)
	assert.True(t, strings.HasSuffix(signed, `"&sign_type="RSA2"`), signed)

	out, err = shop(t, map[string]string{"ALIPAY_PUBLIC_KEY_FILE": pub}, signed, "alipay", "verify")
	require.NoError(t, err, out)
	assert.Equal(t, "presign: "+presign+"\nvalid\n", out)

	out, err = shop(t, nil, strings.Replace(signed, `"0.01"`, `"0.02"`, 1), "alipay", "verify", "--public-key", pub)
	assert.ErrorIs(t, err, errInvalid)
	assert.Contains(t, out, "invalid: the signature verifies over neither the order received nor key order")

	out, err = shop(t, nil, signed, "alipay", "verify", "--sign-type", "RSA", "--public-key", pub)
	assert.ErrorIs(t, err, errInvalid)
	assert.Contains(t, out, "invalid: the order string says sign_type=RSA2 but RSA is configured")

	_, err = shop(t, nil, signed, "alipay", "sign", "--sign-type", "MD5", "--md5-key", sandboxMD5Key)
	assert.ErrorContains(t, err, "RSA or RSA2 only")
}

func TestRunCommands(t *testing.T) {
	out, err := shop(t, nil, "", "help")
	require.NoError(t, err)
	assert.Contains(t, out, "alipay sign")
	out, err = shop(t, nil, "", "alipay", "--help")
	require.NoError(t, err)
	assert.Contains(t, out, "ILLEGAL_SIGN")
	out, err = shop(t, nil, "", "alipay", "verify", "--help")
	require.NoError(t, err)
	assert.Contains(t, out, "-public-key file")

	_, err = shop(t, nil, "", "frobnicate")
	assert.ErrorContains(t, err, `unknown command "frobnicate"`)
	assert.ErrorContains(t, err, "Usage: shop")
	_, err = shop(t, nil, "", "alipay", "frobnicate")
	assert.ErrorContains(t, err, `unknown alipay command "frobnicate"`)
	_, err = shop(t, nil, "", "alipay")
	assert.ErrorContains(t, err, "alipay needs a command")
	_, err = shop(t, nil, "  \n", "alipay", "sign", "--sign-type", "MD5", "--md5-key", sandboxMD5Key)
	assert.ErrorContains(t, err, "nothing on stdin")
	_, err = shop(t, nil, a1, "alipay", "sign", "--sign-type", "MD5", "--md5-key", sandboxMD5Key, a1)
	assert.ErrorContains(t, err, "unexpected argument")
}

func TestAlipayOrderStringNotes(t *testing.T) {
	rsa := []string{"--sign-type", "RSA", "--public-key", publicKey}
	body := `body="test"&currency="USD"&forex_biz="FP"&out_trade_no="out_trade_no_20200109_175417"&partner="2088021017666931"&payment_type="1"&seller_id="2088021017666931"&service="mobile.securitypay.pay"&subject="Mika's coffee shop"&total_fee="0.01"`
	sorted := `_input_charset="UTF-8"&` + body
	out, err := shop(t, nil, sorted, "alipay", "sign", "--sign-type", "RSA", "--private-key", privateKey)
	require.NoError(t, err)
	_, rest, _ := strings.Cut(out, "\nsign: ")
	sig, rest, _ := strings.Cut(rest, "\n")
	signed := strings.TrimSpace(strings.TrimPrefix(rest, "order_string: "))
	require.Contains(t, sig, "+", "the sandbox signature has a '+' to leave unescaped")
	escaped := url.QueryEscape(sig)
	require.Contains(t, signed, `&sign="`+escaped+`"`)

	out, err = shop(t, nil, strings.Replace(signed, escaped, sig, 1), append([]string{"alipay", "verify"}, rsa...)...)
	require.NoError(t, err, out)
	assert.Contains(t, out, "note: the sign is not URL-escaped")

	// The same pairs received out of key order still verify, over key order.
	unsorted := body + `&_input_charset="UTF-8"` + strings.TrimPrefix(signed, sorted)
	out, err = shop(t, nil, unsorted, append([]string{"alipay", "verify"}, rsa...)...)
	require.NoError(t, err, out)
	assert.Contains(t, out, "note: the signature is over the pairs in key order: "+sorted+"\nvalid\n")
}
