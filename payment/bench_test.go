package payment

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// The protocol benchmarks come in pairs with the bare RSA operation on the
// same 2048-bit key and message, so the cost of the protocol work (building,
// validating, pre-sign string, encoding, parsing) can be read off directly.

var (
	coreBenchKeysOnce sync.Once
	coreBenchMerchant *rsa.PrivateKey
	coreBenchAlipay   *rsa.PrivateKey
	coreBenchKeysErr  error
)

// coreBenchKeys generates two 2048-bit keys once per test binary.
func coreBenchKeys(b *testing.B) (merchant, alipay *rsa.PrivateKey) {
	b.Helper()
	coreBenchKeysOnce.Do(func() {
		if coreBenchMerchant, coreBenchKeysErr = rsa.GenerateKey(rand.Reader, 2048); coreBenchKeysErr == nil {
			coreBenchAlipay, coreBenchKeysErr = rsa.GenerateKey(rand.Reader, 2048)
		}
	})
	require.NoError(b, coreBenchKeysErr)
	return coreBenchMerchant, coreBenchAlipay
}

func coreBenchRSA2Client(b *testing.B) (*Client, *RSASigner) {
	b.Helper()
	merchant, alipay := coreBenchKeys(b)
	c, err := NewClient(Config{Gateway: GatewayProduction, Partner: sandboxPartner, SignType: RSA2,
		PrivateKey: merchant, AlipayPublicKey: &alipay.PublicKey})
	require.NoError(b, err)
	s, err := NewRSASigner(RSA2, alipay)
	require.NoError(b, err)
	return c, s
}

// coreBenchTradeRequest is a realistic H5 checkout.
func coreBenchTradeRequest() TradeRequest {
	return TradeRequest{
		OutTradeNo: "7f3a9c2e1b4d4e6f8a0b1c2d3e4f5a6b", Subject: "Glitter leggings and 2 more items",
		Body: "Glitter leggings x1, Phone case x2", Currency: "USD", TotalFee: 35045,
		NotifyURL: "https://shop.example.com/alipay/notify", ReturnURL: "https://shop.example.com/alipay/return",
		ReferURL: "https://shop.example.com", Supplier: "Example Shop", TimeoutRule: "30m",
		TradeInformation: GoodsTradeInformation([]Goods{{"Glitter leggings", 1}, {"Phone case", 2}}),
	}
}

func coreBenchAppRequest() AppPayRequest {
	return AppPayRequest{
		OutTradeNo: "7f3a9c2e1b4d4e6f8a0b1c2d3e4f5a6b", Subject: "Glitter leggings and 2 more items",
		Body: "Glitter leggings x1, Phone case x2", Currency: "USD", TotalFee: 35045,
		NotifyURL: "https://shop.example.com/alipay/notify", ItBPay: "30m",
		Appenv: "system=android^version=3.0.1.2",
	}
}

func BenchmarkPayURLRSA2(b *testing.B) {
	c, _ := coreBenchRSA2Client(b)
	req := coreBenchTradeRequest()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.PayURL(req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBareSignPKCS1v15RSA2 signs the pre-sign string of the
// BenchmarkPayURLRSA2 request, digest computed once.
func BenchmarkBareSignPKCS1v15RSA2(b *testing.B) {
	c, _ := coreBenchRSA2Client(b)
	merchant, _ := coreBenchKeys(b)
	p, err := c.SignedTrade(coreBenchTradeRequest())
	require.NoError(b, err)
	digest := sha256.Sum256([]byte(p.PreSign()))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rsa.SignPKCS1v15(nil, merchant, crypto.SHA256, digest[:]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppOrderStringRSA2(b *testing.B) {
	c, _ := coreBenchRSA2Client(b)
	req := coreBenchAppRequest()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.AppOrderString(req); err != nil {
			b.Fatal(err)
		}
	}
}

// coreBenchNotification is a realistic RSA2 notification body signed with
// the benchmark Alipay key, and the pieces the bare verify needs.
func coreBenchNotification(b *testing.B, s Signer) (body []byte, digest [32]byte, sig []byte) {
	b.Helper()
	p := coreNotification()
	p["out_trade_no"] = "7f3a9c2e1b4d4e6f8a0b1c2d3e4f5a6b"
	p["subject"] = "Glitter leggings and 2 more items"
	signed, err := Sign(s, p)
	require.NoError(b, err)
	digest = sha256.Sum256([]byte(signed.PreSign()))
	if s.SignType() != MD5 {
		sig, err = base64.StdEncoding.DecodeString(signed["sign"])
		require.NoError(b, err)
	}
	return []byte(signed.Encode()), digest, sig
}

func BenchmarkVerifyNotificationRSA2(b *testing.B) {
	c, alipay := coreBenchRSA2Client(b)
	body, _, _ := coreBenchNotification(b, alipay)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.ParseNotification(body, "application/x-www-form-urlencoded; charset=utf-8"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBareVerifyPKCS1v15RSA2 verifies the signature of the
// BenchmarkVerifyNotificationRSA2 body, digest computed once.
func BenchmarkBareVerifyPKCS1v15RSA2(b *testing.B) {
	_, alipay := coreBenchKeys(b)
	_, s := coreBenchRSA2Client(b)
	_, digest, sig := coreBenchNotification(b, s)
	b.ReportAllocs()
	for b.Loop() {
		if err := rsa.VerifyPKCS1v15(&alipay.PublicKey, crypto.SHA256, digest[:], sig); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMD5Sign signs the parameters of the realistic H5 request.
func BenchmarkMD5Sign(b *testing.B) {
	c := coreMD5Client(b)
	k := sandboxMD5(b)
	p, err := c.SignedTrade(coreBenchTradeRequest())
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Sign(k, p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMD5PayURL is the whole H5 request with MD5: validation,
// signing and URL encoding.
func BenchmarkMD5PayURL(b *testing.B) {
	c := coreMD5Client(b)
	req := coreBenchTradeRequest()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.PayURL(req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMD5VerifyNotification(b *testing.B) {
	c := coreMD5Client(b)
	body, _, _ := coreBenchNotification(b, sandboxMD5(b))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.ParseNotification(body, "application/x-www-form-urlencoded; charset=utf-8"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMD5Verify is the MD5 verification alone: Verify over the
// parsed parameters of the same 22-field notification, without parsing the
// body or filling the typed Notification.
func BenchmarkMD5Verify(b *testing.B) {
	k := sandboxMD5(b)
	body, _, _ := coreBenchNotification(b, k)
	p, err := ParseQuery(body, "utf-8")
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		if err := Verify(k, p, "utf-8"); err != nil {
			b.Fatal(err)
		}
	}
}
