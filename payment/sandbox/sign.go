package sandbox

import (
	"fmt"
	"strings"

	"shop/payment"
)

// signer returns what the sandbox, as Alipay, signs its messages to m with:
// the shared MD5 key, or its own RSA key with the digest of t.
func (s *Sandbox) signer(m Merchant, t payment.SignType) (payment.Signer, error) {
	if t == payment.MD5 {
		return payment.NewMD5Key(m.MD5Key)
	}
	return payment.NewRSASigner(t, s.alipayKey)
}

// returnURL is where the cashier sends the buyer after paying: return_url
// with the signed trade fields, as Alipay's synchronous return.
func (s *Sandbox) returnURL(t *Trade) (string, error) {
	if t.ReturnURL == "" {
		return "", nil
	}
	p := tradeFields(t)
	signed, err := s.signFor(t, p, s.Faults().CorruptSign)
	if err != nil {
		return "", err
	}
	sep := "?"
	if strings.Contains(t.ReturnURL, "?") {
		sep = "&"
	}
	return t.ReturnURL + sep + signed.Encode(), nil
}

// tradeFields are the fields every return and notification carries.
func tradeFields(t *Trade) payment.Params {
	p := payment.Params{"out_trade_no": t.OutTradeNo, "trade_status": t.Status, "currency": t.Currency}
	if t.TradeNo != nil {
		p["trade_no"] = *t.TradeNo
	}
	if t.TotalMinor > 0 {
		p["total_fee"] = payment.Amount{Minor: t.TotalMinor, Currency: payment.Currency(t.Currency)}.String()
	} else {
		p["rmb_fee"] = payment.Amount{Minor: t.RMBMinor, Currency: payment.CNY}.String()
	}
	return p
}

// signFor signs p as Alipay signs messages to the trade's merchant.
func (s *Sandbox) signFor(t *Trade, p payment.Params, corruptSign bool) (payment.Params, error) {
	return s.signAs(t.Partner, payment.SignType(t.SignType), t.Charset, p, corruptSign)
}

// signAs signs p as Alipay signs messages to partner with sign type st,
// over its pre-sign string in charset.
func (s *Sandbox) signAs(partner string, st payment.SignType, charset string, p payment.Params, corruptSign bool) (payment.Params, error) {
	m, ok := s.merchants[partner]
	if !ok {
		return nil, fmt.Errorf("sandbox: merchant %s is no longer registered", partner)
	}
	signer, err := s.signer(m, st)
	if err != nil {
		return nil, err
	}
	signed, err := signCharset(signer, p, charset)
	if err != nil {
		return nil, err
	}
	if corruptSign {
		signed["sign"] = corrupt(signed["sign"])
	}
	return signed, nil
}

// signCharset signs p over its pre-sign string encoded in charset. Messages
// from Alipay carry no _input_charset, so the charset comes from the trade.
func signCharset(signer payment.Signer, p payment.Params, charset string) (payment.Params, error) {
	msg, err := payment.EncodeCharset(p.PreSign(), charset)
	if err != nil {
		return nil, err
	}
	sig, err := signer.Sign(msg)
	if err != nil {
		return nil, err
	}
	out := p.Clone()
	out["sign"], out["sign_type"] = sig, string(signer.SignType())
	return out, nil
}
