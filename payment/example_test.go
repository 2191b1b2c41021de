package payment_test

import (
	"errors"
	"fmt"
	"log"
	"os"

	"shop/payment"
)

// The examples use the published sandbox credentials (testdata/README.md):
// partner 2088101122136241, its MD5 key and its RSA key pair.
const (
	examplePartner = "2088101122136241"
	exampleMD5Key  = "760bdzec6y9goq7ctyx96ezkz78287de"
)

func ExampleParams_PreSign() {
	p := payment.Params{
		"service": "create_forex_trade_wap", "partner": examplePartner, "_input_charset": "utf-8",
		"out_trade_no": "12345", "subject": "product_name", "currency": "USD", "total_fee": "350.45",
		"notify_url": "https://example.com/notify",
		"body":       "",    // empty: left out
		"sign_type":  "MD5", // never signed
	}
	fmt.Println(p.PreSign())
	// Output:
	// _input_charset=utf-8&currency=USD&notify_url=https://example.com/notify&out_trade_no=12345&partner=2088101122136241&service=create_forex_trade_wap&subject=product_name&total_fee=350.45
}

func ExampleSign() {
	key, err := payment.NewMD5Key(exampleMD5Key)
	if err != nil {
		log.Fatal(err)
	}
	// Vector A1 of the protocol notes.
	signed, err := payment.Sign(key, payment.Params{
		"_input_charset": "utf-8", "currency": "USD", "notify_url": "https://example.com/notify",
		"out_trade_no": "12345", "partner": examplePartner, "service": "create_forex_trade_wap",
		"subject": "product_name", "supplier": "company_name", "total_fee": "350.45",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(signed["sign_type"], signed["sign"])
	// Output:
	// MD5 c19f42a597963f118c4f99f2fc7f716f
}

func ExampleFormatAmount() {
	usd, err := payment.FormatAmount(35045, "USD") // cents
	if err != nil {
		log.Fatal(err)
	}
	jpy, err := payment.FormatAmount(1500, "JPY") // yen: no decimals
	if err != nil {
		log.Fatal(err)
	}
	_, err = payment.FormatAmount(0, "USD")
	fmt.Println(usd, jpy, errors.Is(err, payment.ErrAmount))
	// Output:
	// 350.45 1500 true
}

func ExampleParseAmount() {
	for _, in := range []struct {
		s string
		c payment.Currency
	}{{"350.45", "USD"}, {"1500", "JPY"}, {"1500.00", "JPY"}, {"350.4", "USD"}, {"1e2", "USD"}} {
		minor, err := payment.ParseAmount(in.s, in.c)
		if err != nil {
			fmt.Printf("%s %s: refused (%v)\n", in.s, in.c, errors.Is(err, payment.ErrAmount))
			continue
		}
		fmt.Printf("%s %s: %d minor units\n", in.s, in.c, minor)
	}
	// Output:
	// 350.45 USD: 35045 minor units
	// 1500 JPY: 1500 minor units
	// 1500.00 JPY: refused (true)
	// 350.4 USD: refused (true)
	// 1e2 USD: refused (true)
}

func ExampleClient_PayURL() {
	c, err := payment.NewClient(payment.Config{
		Gateway: payment.GatewaySandbox, Partner: examplePartner, SignType: payment.MD5, MD5Key: exampleMD5Key,
	})
	if err != nil {
		log.Fatal(err)
	}
	u, err := c.PayURL(payment.TradeRequest{
		Service:    payment.ServiceWAP,
		OutTradeNo: "12345",
		Subject:    "product_name",
		Supplier:   "company_name",
		Currency:   "USD",
		TotalFee:   35045, // 350.45
		NotifyURL:  "https://example.com/notify",
		ReturnURL:  "https://example.com/return",
	})
	if err != nil {
		log.Fatal(err)
	}
	// Redirect the buyer's browser here (303 See Other).
	fmt.Println(u)

	// Invalid requests are refused before anything is signed.
	_, err = c.PayURL(payment.TradeRequest{OutTradeNo: "12345", Subject: "a & b", Currency: "USD", TotalFee: 100})
	var ve *payment.ValidationError
	if errors.As(err, &ve) {
		fmt.Println(ve.Field, ve.Code)
	}
	// Output:
	// https://mapi.alipaydev.com/gateway.do?_input_charset=utf-8&currency=USD&notify_url=https%3A%2F%2Fexample.com%2Fnotify&out_trade_no=12345&partner=2088101122136241&product_code=NEW_WAP_OVERSEAS_SELLER&return_url=https%3A%2F%2Fexample.com%2Freturn&service=create_forex_trade_wap&sign=6ab7030fa00dddea6891af6e01d4c2a8&sign_type=MD5&subject=product_name&supplier=company_name&total_fee=350.45
	// subject ILLEGAL_ARGUMENT
}

func ExampleClient_AppOrderString() {
	// The merchant's private key, as the sandbox publishes it (PKCS #8, bare base64).
	privText, err := os.ReadFile("testdata/merchant_private_key_pkcs8.b64")
	if err != nil {
		log.Fatal(err)
	}
	priv, err := payment.ParsePrivateKey(privText)
	if err != nil {
		log.Fatal(err)
	}
	// Alipay's public key comes from the merchant portal; a generated key
	// stands in for it here. It only checks what Alipay sends.
	_, alipayText, err := payment.GenerateKey(2048)
	if err != nil {
		log.Fatal(err)
	}
	alipayPub, err := payment.ParsePublicKey(alipayText)
	if err != nil {
		log.Fatal(err)
	}

	c, err := payment.NewClient(payment.Config{
		Gateway: payment.GatewaySandbox, Partner: examplePartner, SignType: payment.RSA,
		PrivateKey: priv, AlipayPublicKey: alipayPub,
	})
	if err != nil {
		log.Fatal(err)
	}
	s, err := c.AppOrderString(payment.AppPayRequest{
		OutTradeNo: "12345",
		Subject:    "Mika's coffee shop",
		Body:       "test",
		Currency:   "USD",
		TotalFee:   1, // 0.01
		NotifyURL:  "https://example.com/notify",
		ItBPay:     "30m",
	})
	if err != nil {
		log.Fatal(err)
	}
	// Hand s to the app, which passes it to the Alipay SDK.
	fmt.Println(s)

	// Alipay checks it with the merchant public key uploaded to the portal.
	pubText, err := os.ReadFile("testdata/merchant_public_key.b64")
	if err != nil {
		log.Fatal(err)
	}
	pub, err := payment.ParsePublicKey(pubText)
	if err != nil {
		log.Fatal(err)
	}
	v, err := payment.NewRSAVerifier(payment.RSA, pub)
	if err != nil {
		log.Fatal(err)
	}
	_, err = payment.VerifyOrderString(v, s)
	fmt.Println("verifies:", err == nil)
	// Output:
	// _input_charset="UTF-8"&body="test"&currency="USD"&forex_biz="FP"&it_b_pay="30m"&notify_url="https://example.com/notify"&out_trade_no="12345"&partner="2088101122136241"&payment_type="1"&product_code="NEW_WAP_OVERSEAS_SELLER"&seller_id="2088101122136241"&service="mobile.securitypay.pay"&subject="Mika's coffee shop"&total_fee="0.01"&sign="MimXy8ZyVMRGGX4UPCNruILXtjDKvdvUWHJ5%2BRx4DiLrP5Gd8DDOu7ibbxPIU%2FcaG8O6f4dHSeWvZCvcIclE%2FYbetaXcLptgOP4q3zhzcDcaXmE9%2BAaSKiZDTTk8SWqXXTSKAveTXNPMByDXgjaCjDjHDjoQhg78K896JxpfixA%3D"&sign_type="RSA"
	// verifies: true
}

func ExampleClient_ParseNotification() {
	c, err := payment.NewClient(payment.Config{
		Gateway: payment.GatewaySandbox, Partner: examplePartner, SignType: payment.MD5, MD5Key: exampleMD5Key,
	})
	if err != nil {
		log.Fatal(err)
	}
	// The body Alipay POSTs to notify_url (vector A8); in a handler, read
	// r.Body and r.Header.Get("Content-Type").
	body := []byte("currency=USD&notify_id=0123456789abcdef0123456789abcdef0a&notify_time=2024-01-02+10%3A11%3A12" +
		"&notify_type=trade_status_sync&out_trade_no=12345&sign=0d0f5ba9f487aa9c3cbb99e822f2057b&sign_type=MD5" +
		"&total_fee=350.45&trade_no=2024010222001300000000000001&trade_status=TRADE_FINISHED")
	n, err := c.ParseNotification(body, "application/x-www-form-urlencoded; charset=utf-8")
	if err != nil {
		// Answer anything but "success" and Alipay retries later.
		log.Fatal(err)
	}
	// Check out_trade_no, amount and currency against the stored order,
	// mark it paid once if n.TradeStatus.Paid(), then answer "success".
	fmt.Println(n.OutTradeNo, n.TradeStatus, n.Amount, n.Amount.Currency, n.TradeStatus.Paid())
	fmt.Println(n.NotifyTime.UTC())
	// Output:
	// 12345 TRADE_FINISHED 350.45 USD true
	// 2024-01-02 02:11:12 +0000 UTC
}

func ExampleNotificationKind() {
	c, err := payment.NewClient(payment.Config{
		Gateway: payment.GatewaySandbox, Partner: examplePartner, SignType: payment.MD5, MD5Key: exampleMD5Key,
	})
	if err != nil {
		log.Fatal(err)
	}
	// The result of an is_sync=N refund, POSTed to the refund's notify_url,
	// which may be the payments' own.
	body := []byte("currency=USD&notify_id=0123456789abcdef0123456789abcdef0b&notify_time=2024-01-02+10%3A20%3A00" +
		"&notify_type=forex_refund_notify&out_return_no=12345R01&out_trade_no=12345&refund_status=REFUND_SUCCESS" +
		"&return_amount=25.00&sign=8749fea94a09770b5b4efd8502d949d9&sign_type=MD5")
	contentType := "application/x-www-form-urlencoded; charset=utf-8"
	kind, err := payment.NotificationKind(body, contentType)
	if err != nil {
		log.Fatal(err)
	}
	switch kind {
	case payment.NotifyRefund:
		n, err := c.ParseRefundNotification(body, contentType)
		if err != nil {
			log.Fatal(err)
		}
		// Record the refund's outcome once, then answer "success".
		fmt.Println(kind, n.OutReturnNo, n.Status, n.Status.Succeeded(), n.Amount, n.Amount.Currency)
	case payment.NotifyTrade:
		// c.ParseNotification, as above.
	}
	// A trade's parser refuses it: a refund's result never pays an order.
	_, err = c.ParseNotification(body, contentType)
	fmt.Println(errors.Is(err, payment.ErrNotificationKind))
	// Output:
	// refund 12345R01 REFUND_SUCCESS true 25.00 USD
	// true
}
