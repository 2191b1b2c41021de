package payment

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Alipay's error codes for requests it refuses. A ValidationError carries
// the one the gateway would answer.
const (
	CodeIllegalArgument    = "ILLEGAL_ARGUMENT"
	CodeIllegalCurrency    = "ILLEGAL_CURRENCY"
	CodeIllegalTimeoutRule = "ILLEGAL_TIMEOUT_RULE"
)

// ErrInvalid is wrapped by every ValidationError.
var ErrInvalid = errors.New("payment: invalid request")

// ValidationError says which parameter broke which rule. Nothing that fails
// validation is ever signed.
type ValidationError struct {
	Field  string // the Alipay parameter name, such as "total_fee"
	Reason string // what is wrong, for a person
	Code   string // the Alipay error code the gateway answers for it
}

// Error says which parameter broke which rule.
func (e *ValidationError) Error() string {
	return fmt.Sprintf("payment: %s: %s", e.Field, e.Reason)
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

func invalid(field, format string, args ...any) *ValidationError {
	return &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...), Code: CodeIllegalArgument}
}

// forbiddenText are the characters Alipay's pages tell merchants to keep out
// of subject and body: they break its naive parsers. The apostrophe is not
// among them: Alipay's own examples use it ("Mika's coffee shop").
const forbiddenText = `"&=?%#`

// checkText validates a free-text field: length in characters, no
// forbidden or control characters, valid UTF-8.
func checkText(field, s string, max int, required bool) error {
	if s == "" {
		if required {
			return invalid(field, "is required")
		}
		return nil
	}
	if !utf8.ValidString(s) {
		return invalid(field, "is not valid UTF-8")
	}
	if strings.TrimSpace(s) == "" {
		return invalid(field, "is blank")
	}
	if n := utf8.RuneCountInString(s); n > max {
		return invalid(field, "is %d characters; at most %d", n, max)
	}
	for _, r := range s {
		if strings.ContainsRune(forbiddenText, r) {
			return invalid(field, "contains %q; Alipay forbids %s in text", r, forbiddenText)
		}
		if unicode.IsControl(r) {
			return invalid(field, "contains a control character")
		}
	}
	return nil
}

// CleanText makes s safe for subject, body or supplier: forbidden and
// control characters become spaces, runs of spaces collapse, and the result
// is cut to max characters. Use it on product names before building requests.
func CleanText(s string, max int) string {
	var b strings.Builder
	space := false
	n := 0
	for _, r := range strings.ToValidUTF8(s, "") {
		if strings.ContainsRune(forbiddenText, r) || unicode.IsControl(r) || unicode.IsSpace(r) || r == '^' || r == '|' || r == '\'' {
			space = b.Len() > 0
			continue
		}
		if n >= max {
			break
		}
		if space {
			if n+1 >= max {
				break
			}
			b.WriteByte(' ')
			n++
			space = false
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// checkTradeNo validates out_trade_no and out_return_no: 1 to 64 ASCII
// letters, digits, underscores or hyphens.
func checkTradeNo(field, s string) error {
	if s == "" {
		return invalid(field, "is required")
	}
	if len(s) > 64 {
		return invalid(field, "is %d characters; at most 64", len(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-') {
			return invalid(field, "may hold only letters, digits, '_' and '-'")
		}
	}
	return nil
}

// checkURL validates notify_url, return_url, refer_url and show_url:
// absolute http(s), at most 200 characters, no fragment. notify_url must
// not carry a query string: Alipay posts the notification as a form, and
// query parameters on top of it are a classic cause of failed verification.
func checkURL(field, s string) error {
	if s == "" {
		return nil
	}
	if len(s) > 200 {
		return invalid(field, "is %d characters; at most 200", len(s))
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return invalid(field, "must be an absolute http or https URL")
	}
	if u.Fragment != "" || strings.Contains(s, "#") {
		return invalid(field, "must not have a #fragment")
	}
	if field == "notify_url" && (u.RawQuery != "" || u.ForceQuery) {
		return invalid(field, "must not have a query string")
	}
	if strings.ContainsAny(s, "\"' \t\r\n") {
		return invalid(field, "contains quotes or spaces")
	}
	return nil
}

// checkPartner validates a PID: 16 digits starting with 2088.
func checkPartner(field, s string) error {
	if len(s) != 16 || !strings.HasPrefix(s, "2088") || !isDigits(s) {
		return invalid(field, "must be 16 digits starting with 2088")
	}
	return nil
}

// checkCurrency validates a settlement currency.
func checkCurrency(field string, c Currency) error {
	if c == "" {
		return invalid(field, "is required")
	}
	if !c.Valid() || c == CNY {
		return &ValidationError{Field: field, Reason: fmt.Sprintf("%q is not a settlement currency Alipay accepts", string(c)), Code: CodeIllegalCurrency}
	}
	return nil
}

// checkFees validates that exactly one of totalFee (in c) and rmbFee (in
// CNY) is set and in range, and returns their wire strings.
func checkFees(c Currency, totalFee, rmbFee int64, totalField, rmbField string) (total, rmb string, err error) {
	switch {
	case totalFee != 0 && rmbFee != 0:
		return "", "", invalid(totalField, "and %s are mutually exclusive", rmbField)
	case totalFee == 0 && rmbFee == 0:
		return "", "", invalid(totalField, "or %s is required", rmbField)
	case totalFee != 0:
		s, err := FormatAmount(totalFee, c)
		if err != nil {
			return "", "", invalid(totalField, "%v", err)
		}
		return s, "", nil
	default:
		s, err := FormatAmount(rmbFee, CNY)
		if err != nil {
			return "", "", invalid(rmbField, "%v", err)
		}
		return "", s, nil
	}
}

// TimeoutRules lists the timeout_rule values create_forex_trade accepts.
// create_forex_trade_wap also accepts whole days up to 15d.
var TimeoutRules = []string{"5m", "10m", "15m", "30m", "1h", "2h", "3h", "5h", "10h", "12h", "1d"}

func checkTimeoutRule(service Service, s string) error {
	if s == "" {
		return nil
	}
	for _, r := range TimeoutRules {
		if s == r {
			return nil
		}
	}
	if service == ServiceWAP && strings.HasSuffix(s, "d") {
		if n, err := strconv.Atoi(strings.TrimSuffix(s, "d")); err == nil && n >= 2 && n <= 15 && strconv.Itoa(n)+"d" == s {
			return nil
		}
	}
	return &ValidationError{Field: "timeout_rule", Reason: fmt.Sprintf("%q is not an allowed value (%s)", s, strings.Join(TimeoutRules, " ")), Code: CodeIllegalTimeoutRule}
}

// checkItBPay validates a relative it_b_pay: a whole number of minutes,
// hours or days from 1m to 15d, or "1c" (close at midnight). The absolute
// form is AppPayRequest.ItBPayDeadline.
func checkItBPay(s string) error {
	if s == "" || s == "1c" {
		return nil
	}
	d, err := ParseTimeout(s)
	if err != nil || d < 60 || d > 15*24*3600 {
		return &ValidationError{Field: "it_b_pay", Reason: fmt.Sprintf("%q must be 1m to 15d in whole m, h or d, 1c, or a time yyyy-MM-dd HH:mm:ss", s), Code: CodeIllegalTimeoutRule}
	}
	return nil
}

// ParseTimeout converts a timeout_rule or it_b_pay value ("30m", "2h",
// "1d") to seconds.
func ParseTimeout(s string) (seconds int64, err error) {
	if len(s) < 2 {
		return 0, fmt.Errorf("payment: timeout %q: want a number and m, h or d", s)
	}
	unit := map[byte]int64{'m': 60, 'h': 3600, 'd': 86400}[s[len(s)-1]]
	num := s[:len(s)-1]
	if unit == 0 || !isDigits(num) || num[0] == '0' || len(num) > 5 {
		return 0, fmt.Errorf("payment: timeout %q: want a number and m, h or d", s)
	}
	n, _ := strconv.ParseInt(num, 10, 64)
	return n * unit, nil
}

func checkProductCode(service Service, s string) error {
	if s == "" {
		return nil
	}
	if want := service.productCode(); s != want {
		return invalid("product_code", "must be %s for %s", want, service)
	}
	return nil
}

// checkOneOf validates an optional enumerated parameter.
func checkOneOf(field, s string, allowed ...string) error {
	if s == "" {
		return nil
	}
	for _, a := range allowed {
		if s == a {
			return nil
		}
	}
	return invalid(field, "must be one of %s", strings.Join(allowed, ", "))
}
