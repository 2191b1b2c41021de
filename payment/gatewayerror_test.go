package payment

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestErrorDescription(t *testing.T) {
	// Every code of protocol sections 5.3 and 5.4.
	codes := []string{
		"PURCHASE_TRADE_NOT_EXIST", "RETURN_AMOUNT_EXCEED", "CURRENCY_NOT_SAME", "REPEATED_REFUNDMENT_REQUEST",
		"REFUNDMENT_VALID_DATE_EXCEED", "TRADE_HAS_CLOSE", "MERCHANT_BALANCE_NOT_ENOUGH", "SYSTEM_EXCEPTION",
		"SYSTEM_ERROR", "ILLEGAL_ARGUMENT", "ILLEGAL_SIGN", "ILLEGAL_PARTNER", "ILLEGAL_SERVICE", "HAS_NO_PRIVILEGE",
		"HASH_NO_PRIVILEGE", "ILLEGAL_SIGN_TYPE", "ILLEGAL_CHARSET", "ILLEGAL_ENCODING", "ILLEGAL_CURRENCY",
		"ILLEGAL_TIMEOUT_RULE", "ILLEGAL_PARTNER_EXTERFACE", "ILLEGAL_EXTERFACE", "EXTERFACE_IS_CLOSED",
		"ILLEGAL_SECURITY_PROFILE", "ILLEGAL_DYN_MD5_KEY", "ILLEGAL_ENCRYPT", "ILLEGAL_USER", "ILLEGAL_AGENT",
		"ILLEGAL_CLIENT_IP", "ILLEGAL_EXTER_INVOKE_IP", "ILLEGAL_REQUEST_REFERER", "ILLEGAL_ANTI_PHISHING_KEY",
		"ANTI_PHISHING_KEY_TIMEOUT", "ILLEGAL_DIGEST", "ILLEGAL_DIGEST_TYPE", "ILLEGAL_FILE_FORMAT",
		"ILLEGAL_TARGET_SERVICE", "ILLEGAL_ACCESS_SWITCH_SYSTEM", "SESSION_TIMEOUT", "TRADE_NOT_EXIST",
		"ALIN10070", "ALIN10129", "ALIN38173", "ALIN42282", "ALIN43911", "ACCESS_FORBIDDEN", "BUYER_BALANCE_NOT_ENOUGH",
		"NOT_FOUND", "QUERY_FAILED", // alipay.acquire.refund.query
	}
	for _, code := range codes {
		t.Run(code, func(t *testing.T) {
			d := ErrorDescription(code)
			assert.NotEmpty(t, d)
			assert.NotContains(t, d, code, "describe the code, do not repeat it")
		})
	}
	for _, code := range []string{"", "NO_SUCH_CODE", "trade_not_exist"} {
		t.Run("unknown "+code, func(t *testing.T) {
			assert.Empty(t, ErrorDescription(code))
		})
	}
}

func TestGatewayErrorIs(t *testing.T) {
	sentinels := []error{
		ErrTradeNotExist, ErrPurchaseTradeNotExist, ErrReturnAmountExceed, ErrCurrencyNotSame, ErrRepeatedRefundment,
		ErrRefundWindowExpired, ErrTradeHasClose, ErrMerchantBalanceNotEnough, ErrSystem, ErrIllegalSign,
		ErrIllegalPartner, ErrIllegalArgument, ErrRefundNotFound, ErrAccessForbidden, ErrQueryFailed,
	}
	tests := []struct {
		code string
		want error // nil: no sentinel
	}{
		{"TRADE_NOT_EXIST", ErrTradeNotExist},
		{"PURCHASE_TRADE_NOT_EXIST", ErrPurchaseTradeNotExist},
		{"RETURN_AMOUNT_EXCEED", ErrReturnAmountExceed},
		{"CURRENCY_NOT_SAME", ErrCurrencyNotSame},
		{"REPEATED_REFUNDMENT_REQUEST", ErrRepeatedRefundment},
		{"REFUNDMENT_VALID_DATE_EXCEED", ErrRefundWindowExpired},
		{"TRADE_HAS_CLOSE", ErrTradeHasClose},
		{"MERCHANT_BALANCE_NOT_ENOUGH", ErrMerchantBalanceNotEnough},
		{"SYSTEM_EXCEPTION", ErrSystem},
		{"SYSTEM_ERROR", ErrSystem},
		{"ILLEGAL_SIGN", ErrIllegalSign},
		{"ALIN10070", ErrIllegalSign},
		{"ILLEGAL_PARTNER", ErrIllegalPartner},
		{"ILLEGAL_ARGUMENT", ErrIllegalArgument},
		{"NOT_FOUND", ErrRefundNotFound},
		{"ACCESS_FORBIDDEN", ErrAccessForbidden},
		{"QUERY_FAILED", ErrQueryFailed},
		{"HAS_NO_PRIVILEGE", nil},
		{"SOMETHING_NEW", nil},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			err := fmt.Errorf("wrapped: %w", &GatewayError{Service: ServiceRefund, Code: tt.code})
			for _, s := range sentinels {
				assert.Equal(t, s == tt.want, errors.Is(err, s), "errors.Is(%s, %v)", tt.code, s)
			}
			assert.False(t, errors.Is(err, ErrGateway), "a refusal is not a transport failure")
			var ge *GatewayError
			require.ErrorAs(t, err, &ge)
			assert.Equal(t, tt.code, ge.Code)
		})
	}
}

func TestGatewayErrorMessage(t *testing.T) {
	tests := []struct {
		err  *GatewayError
		want []string
	}{
		{&GatewayError{Service: ServiceQuery, Code: "TRADE_NOT_EXIST"}, []string{"single_trade_query", "TRADE_NOT_EXIST", ErrorDescription("TRADE_NOT_EXIST")}},
		{&GatewayError{Service: ServiceRefund, Code: "RETURN_AMOUNT_EXCEED"}, []string{"forex_refund", "RETURN_AMOUNT_EXCEED", "exceed the paid amount"}},
		{&GatewayError{Code: "SOMETHING_NEW"}, []string{"SOMETHING_NEW"}},
	}
	for _, tt := range tests {
		t.Run(tt.err.Code, func(t *testing.T) {
			for _, w := range tt.want {
				assert.Contains(t, tt.err.Error(), w)
			}
		})
	}
	assert.NotContains(t, (&GatewayError{Code: "SOMETHING_NEW"}).Error(), "()")
}

func TestGatewayErrorRetryable(t *testing.T) {
	tests := []struct {
		code  string
		async bool
		want  bool
	}{
		{"SYSTEM_EXCEPTION", false, true},
		{"SYSTEM_ERROR", false, true},
		{"SYSTEM_ERROR", true, true},
		{"MERCHANT_BALANCE_NOT_ENOUGH", true, true},
		{"MERCHANT_BALANCE_NOT_ENOUGH", false, false},
		{"RETURN_AMOUNT_EXCEED", true, false},
		{"REPEATED_REFUNDMENT_REQUEST", false, false},
		{"ILLEGAL_SIGN", false, false},
		{"TRADE_NOT_EXIST", false, false},
		{"QUERY_FAILED", false, true},
		{"NOT_FOUND", false, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s async=%v", tt.code, tt.async), func(t *testing.T) {
			assert.Equal(t, tt.want, (&GatewayError{Service: ServiceRefund, Code: tt.code, Async: tt.async}).Retryable())
		})
	}
}
