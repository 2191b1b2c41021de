package payment

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

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
// SYSTEM_EXCEPTION and SYSTEM_ERROR, and MERCHANT_BALANCE_NOT_ENOUGH on an
// asynchronous refund. Retry with a backoff, not in a tight loop.
func (e *GatewayError) Retryable() bool {
	switch e.Code {
	case "SYSTEM_EXCEPTION", "SYSTEM_ERROR":
		return true
	case "MERCHANT_BALANCE_NOT_ENOUGH":
		return e.Async
	}
	return false
}

// maxAnswer bounds what is read of a gateway answer.
const maxAnswer = 1 << 20

// call signs p (adding partner and _input_charset) and sends it to the
// gateway: as a query string, or as a form POSTed to a URL that also carries
// _input_charset, as Alipay asks of POSTs.
func (c *Client) call(ctx context.Context, p Params, post bool) (body []byte, contentType string, err error) {
	svc := Service(p["service"])
	signed, err := c.sign(p)
	if err != nil {
		return nil, "", err
	}
	var req *http.Request
	if post {
		u := c.gateway + "?_input_charset=" + url.QueryEscape(signed.Charset())
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(signed.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		}
	} else {
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, c.gateway+"?"+signed.Encode(), nil)
	}
	if err != nil {
		return nil, "", fmt.Errorf("payment: %s: %w", svc, err)
	}
	return c.do(req, svc)
}

// do sends req and returns the body of a 200 answer.
func (c *Client) do(req *http.Request, svc Service) (body []byte, contentType string, err error) {
	resp, err := c.http.Do(req)
	if err != nil {
		// url.Error repeats the URL, query and signature included; keep
		// only the cause (which may be a context error) out of the logs.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, "", fmt.Errorf("%w: %s: %w", ErrGateway, svc, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("%w: %s: HTTP status %s", ErrGateway, svc, resp.Status)
	}
	body, err = io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return nil, "", fmt.Errorf("%w: %s: reading the answer: %w", ErrGateway, svc, err)
	}
	if len(body) > maxAnswer {
		return nil, "", fmt.Errorf("%w: %s: answer is larger than %d bytes", ErrGateway, svc, maxAnswer)
	}
	return body, resp.Header.Get("Content-Type"), nil
}

// xmlElem is any element, kept with its text and children.
type xmlElem struct {
	XMLName xml.Name
	Text    string    `xml:",chardata"`
	Nodes   []xmlElem `xml:",any"`
}

// xmlAlipay is the envelope of every XML answer.
type xmlAlipay struct {
	XMLName   xml.Name `xml:"alipay"`
	IsSuccess string   `xml:"is_success"`
	Error     string   `xml:"error"`
	Response  *struct {
		Nodes []xmlElem `xml:",any"`
	} `xml:"response"`
	Sign     *string `xml:"sign"`
	SignType *string `xml:"sign_type"`
}

// answer is the business part of a verified is_success=T answer.
type answer struct {
	node   string // the element inside <response>, such as "trade"; "" if none
	fields Params // its leaf children, every one of them
}

// parseAnswer reads an XML answer of svc in any encoding it declares. An
// is_success=F answer becomes a *GatewayError. On T, the leaves of the
// business node must carry a valid signature of the configured type. A T
// without a business node is accepted only when bare is set: forex_refund
// answers that way, and there is nothing in it for a signature to cover.
func (c *Client) parseAnswer(svc Service, body []byte, bare bool) (*answer, error) {
	var doc xmlAlipay
	charset := "utf-8"
	d := xml.NewDecoder(bytes.NewReader(body))
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		enc, err := lookupCharset(label)
		if err != nil {
			return nil, err
		}
		charset = label
		if enc == nil {
			return in, nil
		}
		return enc.NewDecoder().Reader(in), nil
	}
	if err := d.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: %s: answer is not Alipay XML: %v", ErrGateway, svc, err)
	}
	if err := xmlEnd(d); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrGateway, svc, err)
	}
	a, err := businessNode(&doc)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrGateway, svc, err)
	}
	switch strings.TrimSpace(doc.IsSuccess) {
	case "T":
	case "F":
		code := strings.TrimSpace(doc.Error)
		if code == "" {
			return nil, fmt.Errorf("%w: %s: is_success=F without an error code", ErrGateway, svc)
		}
		if doc.Sign != nil {
			// Alipay's SDK signs an error answer over error=<CODE>.
			signed := a.fields
			if a.node == "" {
				signed = Params{"error": code}
			}
			if err := c.checkAnswerSign(svc, signed, doc.Sign, doc.SignType, charset); err != nil {
				return nil, err
			}
		}
		return nil, &GatewayError{Service: svc, Code: code}
	default:
		return nil, fmt.Errorf("%w: %s: is_success is %q, want T or F", ErrGateway, svc, clip(doc.IsSuccess))
	}
	if a.node == "" {
		if !bare {
			return nil, fmt.Errorf("%w: %s: answer has no business data in <response>", ErrGateway, svc)
		}
		return a, nil
	}
	if err := c.checkAnswerSign(svc, a.fields, doc.Sign, doc.SignType, charset); err != nil {
		return nil, err
	}
	return a, nil
}

// xmlEnd checks that nothing but space, comments and processing
// instructions follows the root element.
func xmlEnd(d *xml.Decoder) error {
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("after </alipay>: %v", err)
		}
		switch t := tok.(type) {
		case xml.Comment, xml.ProcInst:
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return errors.New("text after </alipay>")
			}
		default:
			return errors.New("content after </alipay>")
		}
	}
}

// businessNode extracts the single element inside <response> and its
// leaves. Nested elements are not part of the signed string.
func businessNode(doc *xmlAlipay) (*answer, error) {
	a := &answer{fields: Params{}}
	if doc.Response == nil || len(doc.Response.Nodes) == 0 {
		return a, nil
	}
	if len(doc.Response.Nodes) > 1 {
		return nil, fmt.Errorf("<response> holds %d elements, want one", len(doc.Response.Nodes))
	}
	n := doc.Response.Nodes[0]
	a.node = n.XMLName.Local
	for _, leaf := range n.Nodes {
		if len(leaf.Nodes) > 0 {
			continue
		}
		k := leaf.XMLName.Local
		if _, dup := a.fields[k]; dup {
			return nil, fmt.Errorf("<%s> appears twice in <%s>", k, a.node)
		}
		a.fields[k] = leaf.Text
	}
	return a, nil
}

// checkAnswerSign verifies sign over fields, hashed in the document's
// declared encoding: Alipay signs the bytes it sends.
func (c *Client) checkAnswerSign(svc Service, fields Params, sign, signType *string, charset string) error {
	want := c.verifier.SignType()
	if signType != nil && strings.TrimSpace(*signType) != string(want) {
		return fmt.Errorf("%w: %s: answer says sign_type=%q, configured %s", ErrSignType, svc, clip(*signType), want)
	}
	if sign == nil || strings.TrimSpace(*sign) == "" {
		return fmt.Errorf("%w: %s: answer has no <sign>", ErrSignature, svc)
	}
	msg, err := EncodeCharset(fields.PreSign(), charset)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrSignature, svc, err)
	}
	// XML does not mangle '+' as form decoding does, but a base64 encoder
	// may have wrapped the signature over lines.
	sig := strings.Join(strings.Fields(*sign), "")
	if err := c.verifier.Verify(msg, sig); err != nil {
		return fmt.Errorf("%s: %w", svc, err)
	}
	return nil
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
