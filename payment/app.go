package payment

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"
)

// AppPayRequest is a mobile.securitypay.pay payment: the merchant server
// signs an order string that the app hands to the Alipay SDK. Never sign it
// in the app: the private key must stay on the server.
type AppPayRequest struct {
	OutTradeNo string
	Subject    string // at most 256 characters
	Body       string // required by the SDK; at most 512 characters

	// Currency is the settlement currency; set exactly one of TotalFee
	// (minor units of Currency) and RMBFee (minor units of CNY).
	Currency Currency
	TotalFee int64
	RMBFee   int64

	NotifyURL   string // required for the app channel
	ReturnURL   string // rarely used (H5 fallback)
	ShowURL     string
	ReferURL    string
	ItBPay      string // unpaid timeout, "1m" to "15d" or "1c", counted from when the buyer opens it
	Appenv      string // "system=android^version=3.0.1.2"
	ExternToken string
	ProductCode string // defaults to NEW_WAP_OVERSEAS_SELLER
	PaymentInst string // "ALIPAYCN" or "ALIPAYHK"

	TradeInformation  *TradeInformation
	SplitFundInfo     []SplitFund
	SecondaryMerchant *SecondaryMerchant

	// ItBPayDeadline is an absolute deadline instead of ItBPay: sent as
	// it_b_pay "yyyy-MM-dd HH:mm:ss" in Beijing time, to the second, a form
	// Alipay documents on its domestic mobile.securitypay.pay page. Unlike
	// ItBPay it also bounds an order string nobody has opened yet. Set one
	// of the two, not both.
	ItBPayDeadline time.Time
}

// appKeys lists every parameter the app order string may hold; Alipay
// rejects order strings with others.
var appKeys = map[string]bool{
	"service": true, "partner": true, "_input_charset": true, "notify_url": true, "return_url": true,
	"appenv": true, "out_trade_no": true, "subject": true, "payment_type": true, "seller_id": true,
	"total_fee": true, "rmb_fee": true, "body": true, "currency": true, "forex_biz": true, "it_b_pay": true,
	"extern_token": true, "show_url": true, "product_code": true, "secondary_merchant_id": true,
	"secondary_merchant_name": true, "secondary_merchant_industry": true, "refer_url": true,
	"split_fund_info": true, "trade_information": true, "payment_inst": true, "sign": true, "sign_type": true,
}

func (r *AppPayRequest) params(partner string) (Params, error) {
	if r.NotifyURL == "" {
		return nil, invalid("notify_url", "is required for %s", ServiceApp)
	}
	p := Params{}
	o := order{outTradeNo: r.OutTradeNo, subject: r.Subject, body: r.Body, bodyMax: 512, bodyRequired: true,
		currency: r.Currency, totalFee: r.TotalFee, rmbFee: r.RMBFee,
		urls: [][2]string{{"notify_url", r.NotifyURL}, {"return_url", r.ReturnURL}, {"show_url", r.ShowURL}, {"refer_url", r.ReferURL}}}
	if err := o.addTo(p); err != nil {
		return nil, err
	}
	itBPay, err := r.itBPay()
	if err != nil {
		return nil, err
	}
	pc := r.ProductCode
	if pc == "" {
		pc = ProductWAP
	}
	if err := checkProductCode(ServiceApp, pc); err != nil {
		return nil, err
	}
	if err := checkOneOf("payment_inst", r.PaymentInst, "ALIPAYCN", "ALIPAYHK"); err != nil {
		return nil, err
	}
	if r.TradeInformation != nil {
		if err := r.TradeInformation.validate(); err != nil {
			return nil, err
		}
		// The app form quotes the JSON with ', so a ' in a value would end
		// the string early.
		if strings.ContainsRune(r.TradeInformation.encode(`"`), '\'') {
			return nil, invalid("trade_information", "must not contain ' in an app order string")
		}
		p["trade_information"] = r.TradeInformation.encode("'")
	}
	split, err := encodeSplits(r.SplitFundInfo, r.Currency, r.TotalFee)
	if err != nil {
		return nil, err
	}
	if err := r.SecondaryMerchant.addTo(p); err != nil {
		return nil, err
	}
	p["service"], p["partner"], p["seller_id"], p["_input_charset"] = string(ServiceApp), partner, partner, "UTF-8"
	p["payment_type"], p["forex_biz"], p["product_code"] = "1", "FP", pc
	p["it_b_pay"], p["appenv"] = itBPay, r.Appenv
	p["extern_token"], p["payment_inst"], p["split_fund_info"] = r.ExternToken, r.PaymentInst, split
	p = dropEmpty(p)
	for k, v := range p {
		// The SDK's parser is naive: a quote or an ampersand inside a value
		// ends the value early.
		if strings.ContainsAny(v, `"&`) {
			return nil, invalid(k, "must not contain \" or & in an app order string")
		}
	}
	return p, nil
}

// AppOrderString validates req and returns the signed order string for the
// Alipay SDK: key="value" pairs sorted by key, then &sign="<URL-escaped
// base64>"&sign_type="RSA" (or "RSA2"). MD5 is not allowed for the app.
func (c *Client) AppOrderString(req AppPayRequest) (string, error) {
	if c.SignType() == MD5 {
		return "", invalid("sign_type", "%s needs RSA or RSA2; MD5 is not allowed for app payments", ServiceApp)
	}
	p, err := req.params(c.partner)
	if err != nil {
		return "", err
	}
	return SignOrderString(c.signer, p.sortedPairs())
}

// SignOrderString signs pairs (in the order given) as an app order string
// and returns it with the sign and sign_type appended.
func SignOrderString(s Signer, pairs []KV) (string, error) {
	content := QuotePairs(pairs)
	sig, err := s.Sign([]byte(content))
	if err != nil {
		return "", err
	}
	return content + `&sign="` + url.QueryEscape(sig) + `"&sign_type="` + string(s.SignType()) + `"`, nil
}

// KV is one key="value" pair of an app order string.
type KV struct{ Key, Value string }

// sortedPairs returns the signed parameters of p in key order.
func (p Params) sortedPairs() []KV {
	keys := p.signedKeys()
	out := make([]KV, len(keys))
	for i, k := range keys {
		out[i] = KV{k, p[k]}
	}
	return out
}

// QuotePairs renders pairs as key="value"&key="value", the form in which
// app order strings are signed.
func QuotePairs(pairs []KV) string {
	var b strings.Builder
	for i, kv := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(kv.Key)
		b.WriteString(`="`)
		b.WriteString(kv.Value)
		b.WriteByte('"')
	}
	return b.String()
}

// OrderString is a parsed app order string.
type OrderString struct {
	Pairs    []KV     // the signed pairs, in the order received, without sign and sign_type
	Sign     string   // the signature, URL-unescaped (standard base64)
	SignType SignType // as the string claims it
}

// ParseOrderString parses key="value"&key="value"... strictly: every value
// quoted, no quote inside a value, no repeated key. Values may contain '&'.
// The sign value is URL-unescaped (a literal '+' stays a '+').
func ParseOrderString(s string) (*OrderString, error) {
	o := &OrderString{}
	seen := map[string]bool{}
	for rest := s; rest != ""; {
		eq := strings.Index(rest, `="`)
		if eq <= 0 {
			return nil, fmt.Errorf("%w: expected key=\"value\" at %q", ErrMalformed, clip(rest))
		}
		key := rest[:eq]
		if strings.ContainsAny(key, `&"= `) {
			return nil, fmt.Errorf("%w: bad key %q", ErrMalformed, clip(key))
		}
		rest = rest[eq+2:]
		end := strings.IndexByte(rest, '"')
		if end < 0 {
			return nil, fmt.Errorf("%w: value of %s has no closing quote", ErrMalformed, key)
		}
		val := rest[:end]
		rest = rest[end+1:]
		if rest != "" {
			if rest[0] != '&' {
				return nil, fmt.Errorf("%w: expected & after the value of %s", ErrMalformed, key)
			}
			rest = rest[1:]
			if rest == "" {
				return nil, fmt.Errorf("%w: trailing &", ErrMalformed)
			}
		}
		if seen[key] {
			return nil, fmt.Errorf("%w: %s appears more than once", ErrMalformed, key)
		}
		seen[key] = true
		switch key {
		case "sign":
			sig, err := url.PathUnescape(val)
			if err != nil {
				return nil, fmt.Errorf("%w: sign is not URL-escaped base64: %v", ErrMalformed, err)
			}
			o.Sign = sig
		case "sign_type":
			o.SignType = SignType(val)
		default:
			o.Pairs = append(o.Pairs, KV{key, val})
		}
	}
	if len(o.Pairs) == 0 {
		return nil, fmt.Errorf("%w: empty order string", ErrMalformed)
	}
	return o, nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// Params returns the pairs as Params.
func (o *OrderString) Params() Params {
	p := make(Params, len(o.Pairs))
	for _, kv := range o.Pairs {
		p[kv.Key] = kv.Value
	}
	return p
}

// PreSign returns the quoted string as received, without sign and sign_type
// (and without empty values).
func (o *OrderString) PreSign() string {
	pairs := make([]KV, 0, len(o.Pairs))
	for _, kv := range o.Pairs {
		if kv.Value != "" {
			pairs = append(pairs, kv)
		}
	}
	return QuotePairs(pairs)
}

// SortedPreSign returns the quoted string with the pairs sorted by key.
func (o *OrderString) SortedPreSign() string {
	pairs := o.Params().sortedPairs()
	return QuotePairs(pairs)
}

// VerifyOrderString checks an app order string's signature with v. Alipay
// accepts both the order the pairs arrived in (its Android demo signs an
// unsorted string) and key order, so both are tried. sign_type must be v's.
func VerifyOrderString(v Verifier, s string) (*OrderString, error) {
	o, err := ParseOrderString(s)
	if err != nil {
		return nil, err
	}
	if o.Sign == "" {
		return o, fmt.Errorf("%w: no sign", ErrSignature)
	}
	if o.SignType != v.SignType() {
		return o, fmt.Errorf("%w: order string says sign_type=%q, configured %s", ErrSignType, o.SignType, v.SignType())
	}
	err = v.Verify([]byte(o.PreSign()), o.Sign)
	if err != nil {
		if sorted := o.SortedPreSign(); sorted != o.PreSign() && v.Verify([]byte(sorted), o.Sign) == nil {
			return o, nil
		}
		return o, err
	}
	return o, nil
}

// UnknownAppKeys returns the keys of o that are not mobile.securitypay.pay
// parameters, sorted; Alipay refuses order strings that have any.
func (o *OrderString) UnknownAppKeys() []string {
	var out []string
	for _, kv := range o.Pairs {
		if !appKeys[kv.Key] {
			out = append(out, kv.Key)
		}
	}
	sort.Strings(out)
	return out
}
