package sandbox_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/payment"
)

// TestSignedRefusals: the sandbox signs the is_success=F answers of server
// calls over error=<code> when it knows whom it answers (the call
// authenticated), as Alipay's SDK expects, and cannot sign the others;
// package payment takes both and checks a signature when there is one.
func TestSignedRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	for _, st := range signTypes {
		t.Run(string(st), func(t *testing.T) {
			c := e.client(st)
			tamper := func(p payment.Params) payment.Params {
				p["out_trade_no"] += "x"
				return p
			}
			cases := []struct {
				name   string
				params payment.Params
				code   string
				signed bool
			}{
				{"query of no trade", signed(t, st, payment.Params{"service": string(payment.ServiceQuery), "out_trade_no": "nosuchtrade"}),
					"TRADE_NOT_EXIST", true},
				{"query without a trade", signed(t, st, payment.Params{"service": string(payment.ServiceQuery)}), "ILLEGAL_ARGUMENT", true},
				{"refund of no trade", signed(t, st, payment.Params{"service": string(payment.ServiceRefund), "out_trade_no": "nosuchtrade",
					"out_return_no": "R1", "currency": "USD", "return_amount": "1.00", "gmt_return": "20260301120000",
					"product_code": payment.ProductWAP, "is_sync": "Y"}), "PURCHASE_TRADE_NOT_EXIST", true},
				{"refund query without out_return_no", signed(t, st, payment.Params{"service": string(payment.ServiceRefundQuery), "out_trade_no": "x"}),
					"ILLEGAL_ARGUMENT", true},
				{"file of today", signed(t, st, payment.Params{"service": string(payment.ServiceCompareFile), "start_date": "20260301", "end_date": "20260301"}),
					"ILLEGAL_ARGUMENT", true},
				// Privilege is checked before the signature: not signed either.
				{"not contracted", signed(t, st, payment.Params{"service": string(payment.ServiceRefundQuery), "out_trade_no": "x",
					"out_return_no": "y", "partner": limitedPartner}), "HAS_NO_PRIVILEGE", false},
				{"bad signature", tamper(signed(t, st, payment.Params{"service": string(payment.ServiceQuery), "out_trade_no": "x"})), "ILLEGAL_SIGN", false},
				{"unknown partner", signed(t, st, payment.Params{"service": string(payment.ServiceQuery), "out_trade_no": "x", "partner": unknownPartner}),
					"ILLEGAL_PARTNER", false},
				{"unknown service", signed(t, st, payment.Params{"service": "no_such_service"}), "ILLEGAL_SERVICE", false},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					resp, body := e.send(tc.params)
					assert.Equal(t, tc.code, xmlCode(t, resp, body))
					if tc.signed {
						assert.NoError(t, verifyRefusal(t, body, st))
					} else {
						assert.NotContains(t, body, "<sign>")
					}
				})
			}

			t.Run("package payment verifies them", func(t *testing.T) {
				_, err := c.QueryTrade(ctx(t), payment.QueryRequest{OutTradeNo: "nosuchtrade"})
				assert.ErrorIs(t, err, payment.ErrTradeNotExist)
				_, err = c.Refund(ctx(t), syncRefund("R1", "nosuchtrade", 100))
				assert.ErrorIs(t, err, payment.ErrPurchaseTradeNotExist)
				_, err = e.clientFor(unknownPartner, st).QueryTrade(ctx(t), payment.QueryRequest{OutTradeNo: "x"})
				assert.ErrorIs(t, err, payment.ErrIllegalPartner, "unsigned")
			})
			t.Run("in GBK", func(t *testing.T) {
				e.setFaults(`{"gbk_responses":true}`)
				defer e.setFaults(`{}`)
				resp, body := e.send(cases[0].params)
				assert.Contains(t, resp.Header.Get("Content-Type"), "GBK")
				assert.NoError(t, verifyRefusal(t, body, st))
				_, err := c.QueryTrade(ctx(t), payment.QueryRequest{OutTradeNo: "nosuchtrade"})
				assert.ErrorIs(t, err, payment.ErrTradeNotExist)
			})
			t.Run("a corrupted signature is not believed", func(t *testing.T) {
				e.setFaults(`{"corrupt_sign":true}`)
				defer e.setFaults(`{}`)
				resp, body := e.send(cases[0].params)
				require.Equal(t, "TRADE_NOT_EXIST", xmlCode(t, resp, body))
				assert.Error(t, verifyRefusal(t, body, st))
				_, err := c.QueryTrade(ctx(t), payment.QueryRequest{OutTradeNo: "nosuchtrade"})
				assert.ErrorIs(t, err, payment.ErrSignature)
				assert.NotErrorIs(t, err, payment.ErrTradeNotExist, "a refusal that does not verify says nothing")
			})
		})
	}
}
