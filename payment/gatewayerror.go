package payment

import "errors"

// ErrGateway is wrapped when a server call gets no usable answer: transport
// failure, timeout or cancellation, an HTTP status other than 200, or a body
// that cannot be parsed. It is transient: the caller may retry (a refund
// with the same OutReturnNo).
var ErrGateway = errors.New("payment: gateway unavailable or answer unreadable")

// Sentinels that GatewayError.Is matches, one per Alipay error code a caller
// is likely to act on.
var (
	// ErrTradeNotExist is TRADE_NOT_EXIST: no such trade. Alipay also answers
	// it for real orders until the buyer has logged in to the cashier.
	ErrTradeNotExist = errors.New("payment: trade does not exist")
	// ErrPurchaseTradeNotExist is PURCHASE_TRADE_NOT_EXIST: the payment to
	// refund was not found or never paid.
	ErrPurchaseTradeNotExist = errors.New("payment: payment to refund does not exist")
	// ErrReturnAmountExceed is RETURN_AMOUNT_EXCEED: refunds would exceed the payment.
	ErrReturnAmountExceed = errors.New("payment: refunds exceed the paid amount")
	// ErrCurrencyNotSame is CURRENCY_NOT_SAME: the refund currency is not the payment's.
	ErrCurrencyNotSame = errors.New("payment: refund currency differs from the payment's")
	// ErrRepeatedRefundment is REPEATED_REFUNDMENT_REQUEST: the out_return_no
	// was used before with different data.
	ErrRepeatedRefundment = errors.New("payment: out_return_no reused with different data")
	// ErrRefundWindowExpired is REFUNDMENT_VALID_DATE_EXCEED: the contracted
	// refund window is over.
	ErrRefundWindowExpired = errors.New("payment: refund window expired")
	// ErrTradeHasClose is TRADE_HAS_CLOSE: the trade is closed (unpaid or fully refunded).
	ErrTradeHasClose = errors.New("payment: trade is closed")
	// ErrMerchantBalanceNotEnough is MERCHANT_BALANCE_NOT_ENOUGH: the
	// merchant's Alipay balance cannot cover the refund.
	ErrMerchantBalanceNotEnough = errors.New("payment: merchant balance not enough")
	// ErrSystem is SYSTEM_EXCEPTION or SYSTEM_ERROR: Alipay failed internally.
	ErrSystem = errors.New("payment: Alipay system error")
	// ErrIllegalSign is ILLEGAL_SIGN: Alipay did not accept the signature.
	ErrIllegalSign = errors.New("payment: Alipay rejected the signature")
	// ErrIllegalPartner is ILLEGAL_PARTNER: Alipay does not know the partner.
	ErrIllegalPartner = errors.New("payment: Alipay does not know the partner")
	// ErrIllegalArgument is ILLEGAL_ARGUMENT: a parameter is missing or malformed.
	ErrIllegalArgument = errors.New("payment: Alipay rejected a parameter")
	// ErrRefundNotFound is NOT_FOUND, a response_code of
	// alipay.acquire.refund.query: the trade has no refund of that
	// out_return_no.
	ErrRefundNotFound = errors.New("payment: refund does not exist")
	// ErrAccessForbidden is ACCESS_FORBIDDEN: the partner may not see this.
	ErrAccessForbidden = errors.New("payment: access forbidden")
	// ErrQueryFailed is QUERY_FAILED, a response_code of
	// alipay.acquire.refund.query: Alipay could not answer; ask again later.
	ErrQueryFailed = errors.New("payment: Alipay could not answer the query")
)

var codeSentinels = map[string]error{
	"TRADE_NOT_EXIST":              ErrTradeNotExist,
	"PURCHASE_TRADE_NOT_EXIST":     ErrPurchaseTradeNotExist,
	"RETURN_AMOUNT_EXCEED":         ErrReturnAmountExceed,
	"CURRENCY_NOT_SAME":            ErrCurrencyNotSame,
	"REPEATED_REFUNDMENT_REQUEST":  ErrRepeatedRefundment,
	"REFUNDMENT_VALID_DATE_EXCEED": ErrRefundWindowExpired,
	"TRADE_HAS_CLOSE":              ErrTradeHasClose,
	"MERCHANT_BALANCE_NOT_ENOUGH":  ErrMerchantBalanceNotEnough,
	"SYSTEM_EXCEPTION":             ErrSystem,
	"SYSTEM_ERROR":                 ErrSystem,
	"ILLEGAL_SIGN":                 ErrIllegalSign,
	"ALIN10070":                    ErrIllegalSign,
	"ILLEGAL_PARTNER":              ErrIllegalPartner,
	"ILLEGAL_ARGUMENT":             ErrIllegalArgument,
	"NOT_FOUND":                    ErrRefundNotFound,
	"ACCESS_FORBIDDEN":             ErrAccessForbidden,
	"QUERY_FAILED":                 ErrQueryFailed,
}

// GatewayError is Alipay's refusal of a server call: an answer with
// is_success=F and an error code. Match it with errors.Is against the
// sentinels above, or read Code.
type GatewayError struct {
	Service Service // the service called
	Code    string  // Alipay's error code, such as TRADE_NOT_EXIST
	// Async is set on refunds sent with is_sync=N. Alipay keeps retrying an
	// accepted asynchronous refund that lacks balance, so for those
	// MERCHANT_BALANCE_NOT_ENOUGH is a passing state; for a synchronous
	// refund it needs a person to top up the account.
	Async bool
}

// Error gives the service, the code and, for known codes, what it means.
func (e *GatewayError) Error() string {
	msg := "payment: " + string(e.Service) + ": Alipay answered " + e.Code
	if e.Service == "" {
		msg = "payment: Alipay answered " + e.Code
	}
	if d := ErrorDescription(e.Code); d != "" {
		msg += " (" + d + ")"
	}
	return msg
}

// Is reports whether target is the sentinel for e's code.
func (e *GatewayError) Is(target error) bool {
	s, ok := codeSentinels[e.Code]
	return ok && s == target
}

// Retryable reports whether sending the same request again (a refund with
// the same OutReturnNo) may succeed without anyone changing anything:
// SYSTEM_EXCEPTION and SYSTEM_ERROR, QUERY_FAILED, and
// MERCHANT_BALANCE_NOT_ENOUGH on an asynchronous refund. Retry with a
// backoff, not in a tight loop.
func (e *GatewayError) Retryable() bool {
	switch e.Code {
	case "SYSTEM_EXCEPTION", "SYSTEM_ERROR", "QUERY_FAILED":
		return true
	case "MERCHANT_BALANCE_NOT_ENOUGH":
		return e.Async
	}
	return false
}

// ErrorDescription returns a short English description of an Alipay error
// code, or "" for a code it does not know.
func ErrorDescription(code string) string {
	return errorDescriptions[code]
}

var errorDescriptions = map[string]string{
	// forex_refund
	"PURCHASE_TRADE_NOT_EXIST":     "the payment to refund was not found or was never paid",
	"RETURN_AMOUNT_EXCEED":         "this refund and the earlier ones would exceed the paid amount",
	"CURRENCY_NOT_SAME":            "the refund currency differs from the payment currency",
	"REPEATED_REFUNDMENT_REQUEST":  "the refund number was already used with different data",
	"REFUNDMENT_VALID_DATE_EXCEED": "the refund window of the contract has passed",
	"TRADE_HAS_CLOSE":              "the trade is closed (unpaid, or already fully refunded)",
	"TRADE_HAS_SUCCESS":            "the trade has already been paid",
	"MERCHANT_BALANCE_NOT_ENOUGH":  "the merchant's Alipay balance cannot cover the refund",
	"SYSTEM_EXCEPTION":             "Alipay had an internal error; retry with the same refund number",
	// alipay.acquire.refund.query (response_code)
	"NOT_FOUND":    "the trade has no refund with that refund number",
	"QUERY_FAILED": "Alipay could not answer the query; ask again later",
	// common
	"SYSTEM_ERROR":                 "Alipay had an internal error; retry later",
	"ILLEGAL_SIGN":                 "the signature does not match (wrong key, charset or parameter set)",
	"ILLEGAL_PARTNER":              "the partner ID is unknown or malformed",
	"ILLEGAL_SERVICE":              "the service name is unknown",
	"HAS_NO_PRIVILEGE":             "the partner is not contracted for this service",
	"HASH_NO_PRIVILEGE":            "the partner is not contracted for this service",
	"ILLEGAL_SIGN_TYPE":            "the sign type is unsupported, not uppercase, or has no key uploaded",
	"ILLEGAL_CHARSET":              "the _input_charset is not supported",
	"ILLEGAL_ENCODING":             "the request bytes cannot be decoded in its charset",
	"ILLEGAL_ARGUMENT":             "a parameter is missing or malformed",
	"ILLEGAL_CURRENCY":             "the currency is not contracted or not supported",
	"ILLEGAL_TIMEOUT_RULE":         "the timeout value is not allowed",
	"ILLEGAL_PARTNER_EXTERFACE":    "the interface is not enabled for this partner",
	"ILLEGAL_EXTERFACE":            "the interface is not enabled for this partner",
	"EXTERFACE_IS_CLOSED":          "the interface is closed for this partner",
	"ILLEGAL_SECURITY_PROFILE":     "the partner's key configuration is not valid",
	"ILLEGAL_DYN_MD5_KEY":          "the partner's dynamic MD5 key is not valid",
	"ILLEGAL_ENCRYPT":              "the encryption settings are not valid",
	"ILLEGAL_USER":                 "the Alipay account has a problem",
	"ILLEGAL_AGENT":                "the agent account has a problem",
	"ILLEGAL_CLIENT_IP":            "the calling IP address is not whitelisted",
	"ILLEGAL_EXTER_INVOKE_IP":      "the calling IP address is not whitelisted",
	"ILLEGAL_REQUEST_REFERER":      "the request referer failed the anti-phishing check",
	"ILLEGAL_ANTI_PHISHING_KEY":    "the anti-phishing key is not valid",
	"ANTI_PHISHING_KEY_TIMEOUT":    "the anti-phishing key has expired",
	"ILLEGAL_DIGEST":               "the file digest does not match",
	"ILLEGAL_DIGEST_TYPE":          "the file digest type is not supported",
	"ILLEGAL_FILE_FORMAT":          "the file format is not valid",
	"ILLEGAL_TARGET_SERVICE":       "the request could not be routed to its service",
	"ILLEGAL_ACCESS_SWITCH_SYSTEM": "the request went to the wrong gateway (domestic or international, sandbox or production)",
	"SESSION_TIMEOUT":              "the cashier session has expired",
	"TRADE_NOT_EXIST":              "no such trade (also until the buyer has logged in to the cashier)",
	"ALIN10070":                    "the signature check failed",
	"ALIN10129":                    "the partner ID is not valid in this environment (sandbox and production mixed up)",
	"ALIN38173":                    "the order information cannot be parsed",
	"ALIN42282":                    "the same out_trade_no was submitted with different parameters",
	"ALIN43911":                    "the payment was rejected by risk control",
	"ACCESS_FORBIDDEN":             "access to this service is forbidden",
	"BUYER_BALANCE_NOT_ENOUGH":     "the buyer's balance is not enough",
}
