package payment

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Sandbox credentials republished by open-source integrations (testdata/README.md).
const (
	sandboxPartner = "2088101122136241"
	sandboxMD5Key  = "760bdzec6y9goq7ctyx96ezkz78287de"
)

func sandboxSigners(t testing.TB) (rsa1, rsa2 *RSASigner) {
	t.Helper()
	b, err := os.ReadFile("testdata/merchant_private_key_pkcs8.b64")
	require.NoError(t, err)
	key, err := ParsePrivateKey(b)
	require.NoError(t, err)
	rsa1, err = NewRSASigner(RSA, key)
	require.NoError(t, err)
	rsa2, err = NewRSASigner(RSA2, key)
	require.NoError(t, err)
	return rsa1, rsa2
}

func sandboxMD5(t testing.TB) *MD5Key {
	t.Helper()
	k, err := NewMD5Key(sandboxMD5Key)
	require.NoError(t, err)
	return k
}

// a1 is the parameter set of Appendix A, vector A1.
func a1() Params {
	return Params{
		"_input_charset": "utf-8", "currency": "USD", "notify_url": "https://example.com/notify",
		"out_trade_no": "12345", "partner": sandboxPartner, "service": "create_forex_trade_wap",
		"subject": "product_name", "supplier": "company_name", "total_fee": "350.45",
	}
}

func with(p Params, kv ...string) Params {
	c := p.Clone()
	for i := 0; i < len(kv); i += 2 {
		c[kv[i]] = kv[i+1]
	}
	return c
}

func TestAppendixAVectors(t *testing.T) {
	rsa1, rsa2 := sandboxSigners(t)
	md5 := sandboxMD5(t)
	tests := []struct {
		name   string
		params Params
		signer Signer
		presig string
		want   string
	}{
		{"A1", a1(), md5, "_input_charset=utf-8&currency=USD&notify_url=https://example.com/notify&out_trade_no=12345&partner=2088101122136241&service=create_forex_trade_wap&subject=product_name&supplier=company_name&total_fee=350.45", "c19f42a597963f118c4f99f2fc7f716f"},
		{"A2", with(a1(), "service", "create_forex_trade"), md5, "", "2dd75a3023c0a3a795a83109966bbc7d"},
		{"A3", Params{"_input_charset": "utf-8", "out_trade_no": "SAMPLE_TRANSACTION_ID", "partner": sandboxPartner, "service": "single_trade_query"}, md5,
			"_input_charset=utf-8&out_trade_no=SAMPLE_TRANSACTION_ID&partner=2088101122136241&service=single_trade_query", "d4d3825356fd0799ee16829acffc1460"},
		{"A4", Params{"_input_charset": "utf-8", "currency": "USD", "gmt_return": "20150320120000", "out_return_no": "SAMPLE_REFUND_ID",
			"out_trade_no": "SAMPLE_TRANSACTION_ID", "partner": sandboxPartner, "reason": "hello", "return_rmb_amount": "200.00", "service": "forex_refund"}, md5,
			"_input_charset=utf-8&currency=USD&gmt_return=20150320120000&out_return_no=SAMPLE_REFUND_ID&out_trade_no=SAMPLE_TRANSACTION_ID&partner=2088101122136241&reason=hello&return_rmb_amount=200.00&service=forex_refund",
			"a77e894e71491f41e73ebe40319cc300"},
		{"A5", a1(), rsa1, "", "CiFX4PWS/eFNIuhTT2+iA/qePLXJcv4Flvd1IU+xHvCl4GtG6iN8Dfa35qJp2il6r7E2AfMMHZkPS2LuMutBnUDLrW3B+C3Q8WH26dQxIdebStbBJUzfEGHJjzI/OChS++2rtZbKnm44VFutUWE0fwwl/lMYPL5/s1X/XQqekQg="},
		{"A6", a1(), rsa2, "", "Evuit28DfgWF7iuUU3PYbXpBfWefw7SAnXSuq7RXB/e56UQ0cnHmL8Jxq6FCpTm2ta+bbOF2aXwcpUKVx4rHZi9wRoM6wJAgk1yCgWy1Y8oEZqDAC7eIloi8Ts3eFFbw6ITR5SfiXTKGhyiipFh9lAFBha5C/fyRnVHP8Cdkd/8="},
		{"A8", Params{"currency": "USD", "notify_id": "0123456789abcdef0123456789abcdef0a", "notify_time": "2024-01-02 10:11:12",
			"notify_type": "trade_status_sync", "out_trade_no": "12345", "total_fee": "350.45",
			"trade_no": "2024010222001300000000000001", "trade_status": "TRADE_FINISHED"}, md5,
			"currency=USD&notify_id=0123456789abcdef0123456789abcdef0a&notify_time=2024-01-02 10:11:12&notify_type=trade_status_sync&out_trade_no=12345&total_fee=350.45&trade_no=2024010222001300000000000001&trade_status=TRADE_FINISHED",
			"0d0f5ba9f487aa9c3cbb99e822f2057b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.presig != "" {
				assert.Equal(t, tt.presig, tt.params.PreSign())
			}
			signed, err := Sign(tt.signer, tt.params)
			require.NoError(t, err)
			assert.Equal(t, tt.want, signed["sign"])
			assert.Equal(t, string(tt.signer.SignType()), signed["sign_type"])
		})
	}
}
