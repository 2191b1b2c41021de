package sandbox

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"shop/payment"
)

// payApp verifies an app order string as Alipay does (RSA or RSA2 only; in
// the order received, then sorted), creates the trade and, depending on the
// app_result knob, pays it.
func (s *Sandbox) payApp(r *http.Request, orderString string) (appResult, error) {
	o, err := payment.ParseOrderString(orderString)
	if err != nil {
		return appResult{}, fail("ALIN38173", "the order information cannot be parsed: "+err.Error())
	}
	if raw := rawSign(orderString); strings.ContainsAny(raw, "+ ") {
		// The SDK URL-decodes the sign: an unescaped '+' becomes a space.
		return appResult{}, fail("ILLEGAL_SIGN", "the sign is not URL-encoded: a '+' in it is read as a space")
	}
	p := o.Params()
	m, ok := s.merchants[p["partner"]]
	if !ok {
		return appResult{}, fail("ILLEGAL_PARTNER", "partner "+p["partner"]+" is not registered with the sandbox")
	}
	if !m.allows(payment.ServiceApp) {
		return appResult{}, fail("HAS_NO_PRIVILEGE", "partner is not contracted for mobile.securitypay.pay")
	}
	if o.SignType != payment.RSA && o.SignType != payment.RSA2 {
		return appResult{}, fail("ILLEGAL_SIGN_TYPE", "app payments are signed with RSA or RSA2")
	}
	v, err := m.verifier(o.SignType)
	if err != nil {
		return appResult{}, fail("ILLEGAL_SIGN_TYPE", err.Error())
	}
	if _, err := payment.VerifyOrderString(v, orderString); err != nil {
		return appResult{}, fail("ILLEGAL_SIGN", err.Error())
	}
	req, err := payment.ParseAppParams(p)
	if err != nil {
		return appResult{}, validationFailure(err)
	}
	now := s.now()
	tradeNo := newTradeNo(now) // the SDK logs the buyer in: the Alipay trade exists at once
	t := &Trade{
		Partner: m.Partner, OutTradeNo: req.OutTradeNo, Service: string(payment.ServiceApp),
		RequestHash: requestHash(p), Subject: req.Subject, Body: req.Body, Currency: string(req.Currency),
		TotalMinor: req.TotalFee, RMBMinor: req.RMBFee, NotifyURL: req.NotifyURL, ReturnURL: req.ReturnURL,
		SignType: string(o.SignType), Charset: "utf-8", ExpiresAt: s.appExpiry(req, now), Opened: true,
		TradeNo: &tradeNo, CreatedAt: now,
	}
	if t, err = s.openTrade(r.Context(), t); err != nil {
		return appResult{}, err
	}
	switch status := s.Faults().AppResult; status {
	case "6001":
		return appResult{ResultStatus: status, Memo: "The user cancelled the payment."}, nil
	case "4000":
		return appResult{ResultStatus: status, Memo: "The payment failed."}, nil
	case "8000":
		return appResult{ResultStatus: status, Memo: "The payment is being processed."}, nil
	}
	_, err = s.pay(r.Context(), t.ID)
	if errors.Is(err, errNotPayable) {
		return appResult{}, closedFailure()
	} else if err != nil {
		return appResult{}, err
	}
	result, err := s.signAppResult(m, o)
	if err != nil {
		return appResult{}, err
	}
	return appResult{ResultStatus: "9000", Result: result, Memo: ""}, nil
}

// signAppResult builds the SDK's result string: the order content, then
// &success="true", signed by Alipay over everything before &sign_type.
func (s *Sandbox) signAppResult(m Merchant, o *payment.OrderString) (string, error) {
	content := o.PreSign() + `&success="true"`
	signer, err := s.signer(m, o.SignType)
	if err != nil {
		return "", err
	}
	sig, err := signer.Sign([]byte(content))
	if err != nil {
		return "", err
	}
	if s.Faults().CorruptSign {
		sig = corrupt(sig)
	}
	return content + `&sign_type="` + string(o.SignType) + `"&sign="` + url.QueryEscape(sig) + `"`, nil
}

// rawSign returns the sign value of an order string as sent, before any
// unescaping.
func rawSign(orderString string) string {
	i := strings.Index(orderString, `sign="`)
	for i > 0 && orderString[i-1] != '&' {
		j := strings.Index(orderString[i+1:], `sign="`)
		if j < 0 {
			return ""
		}
		i += 1 + j
	}
	if i < 0 {
		return ""
	}
	rest := orderString[i+len(`sign="`):]
	if end := strings.IndexByte(rest, '"'); end >= 0 {
		return rest[:end]
	}
	return rest
}
