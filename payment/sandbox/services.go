package sandbox

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"

	"gorm.io/gorm"

	"shop/payment"
)

// query answers single_trade_query. A trade the buyer has not opened in the
// cashier does not exist yet at Alipay, so it is TRADE_NOT_EXIST.
func (s *Sandbox) query(ctx context.Context, w http.ResponseWriter, req *request) {
	p := req.params
	q := s.db.Where("partner = ?", req.merchant.Partner)
	switch {
	case p["trade_no"] != "":
		q = q.Where("trade_no = ?", p["trade_no"])
	case p["out_trade_no"] != "":
		q = q.Where("out_trade_no = ?", p["out_trade_no"])
	default:
		s.writeXML(w, xmlReply{Error: "ILLEGAL_ARGUMENT", Request: p})
		return
	}
	var found Trade
	err := q.WithContext(ctx).First(&found).Error
	t := &found
	if err == nil {
		// Past its expiry a trade is closed, whether or not the sweeper
		// has come round yet.
		t, err = s.closeIfExpired(ctx, t)
	}
	if errors.Is(err, gorm.ErrRecordNotFound) || err == nil && !t.Opened {
		s.writeXML(w, xmlReply{Error: "TRADE_NOT_EXIST", Request: p})
		return
	}
	if err != nil {
		s.log.Error("sandbox: query", "err", err)
		s.writeXML(w, xmlReply{Error: "SYSTEM_ERROR", Request: p})
		return
	}
	f := tradeFields(t)
	delete(f, "currency") // the cross-border query documents no currency field
	f["subject"] = t.Subject
	f["seller_id"] = t.Partner
	f["buyer_id"], f["buyer_email"] = t.BuyerID, t.BuyerEmail
	f["gmt_create"] = payment.FormatTime(t.CreatedAt)
	f["gmt_last_modified_time"] = payment.FormatTime(t.UpdatedAt)
	if t.PaidAt != nil {
		f["gmt_payment"] = payment.FormatTime(*t.PaidAt)
	}
	if t.ClosedAt != nil {
		f["gmt_close"] = payment.FormatTime(*t.ClosedAt)
	}
	s.writeXML(w, xmlReply{Request: p, Node: "trade", Fields: f, Merchant: &req.merchant, SignType: req.signType})
}

var gmtReturnRE = regexp.MustCompile(`^\d{14}$`)

// refund answers forex_refund: same currency, paid trade, cumulative refunds
// within the paid amount, out_return_no idempotent; a full refund closes
// the trade.
func (s *Sandbox) refund(ctx context.Context, w http.ResponseWriter, req *request) {
	p := req.params
	if err := s.doRefund(ctx, req); err != nil {
		var ge *gatewayError
		if !errors.As(err, &ge) {
			s.log.Error("sandbox: refund", "err", err)
			ge = fail("SYSTEM_ERROR", "internal error")
		}
		s.writeXML(w, xmlReply{Error: ge.Code, Request: p})
		return
	}
	s.writeXML(w, xmlReply{Request: p})
}

func (s *Sandbox) doRefund(ctx context.Context, req *request) error {
	p := req.params
	for _, k := range []string{"out_return_no", "out_trade_no", "currency", "gmt_return", "product_code"} {
		if p[k] == "" {
			return fail("ILLEGAL_ARGUMENT", k+" is required")
		}
	}
	if !gmtReturnRE.MatchString(p["gmt_return"]) {
		return fail("ILLEGAL_ARGUMENT", "gmt_return must be yyyyMMddHHmmss")
	}
	if p["product_code"] != payment.ProductWAP && p["product_code"] != payment.ProductPC {
		return fail("ILLEGAL_ARGUMENT", "product_code must be NEW_OVERSEAS_SELLER or NEW_WAP_OVERSEAS_SELLER")
	}
	if p["is_sync"] != "" && p["is_sync"] != "Y" && p["is_sync"] != "N" {
		return fail("ILLEGAL_ARGUMENT", "is_sync must be Y or N")
	}
	if len([]rune(p["reason"])) > 100 || len(p["out_return_no"]) > 64 {
		return fail("ILLEGAL_ARGUMENT", "reason or out_return_no too long")
	}
	if (p["return_amount"] == "") == (p["return_rmb_amount"] == "") {
		return fail("ILLEGAL_ARGUMENT", "exactly one of return_amount and return_rmb_amount is required")
	}
	if s.Faults().RefundBalanceNotEnough {
		return fail("MERCHANT_BALANCE_NOT_ENOUGH", "injected fault")
	}
	hash := refundHash(p)
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var prior Refund
		err := tx.Where("partner = ? AND out_return_no = ?", req.merchant.Partner, p["out_return_no"]).First(&prior).Error
		if err == nil {
			if prior.RequestHash != hash {
				return fail("REPEATED_REFUNDMENT_REQUEST", "out_return_no was used for another refund")
			}
			return nil // the same refund again: answered T, nothing done twice
		}
		if !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		var t Trade
		err = tx.Where("partner = ? AND out_trade_no = ?", req.merchant.Partner, p["out_trade_no"]).First(&t).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return fail("PURCHASE_TRADE_NOT_EXIST", "no such trade")
		} else if err != nil {
			return err
		}
		if t.Status == string(payment.WaitBuyerPay) {
			return fail("PURCHASE_TRADE_NOT_EXIST", "the trade has not been paid")
		}
		if t.Status == string(payment.TradeClosed) {
			return fail("TRADE_HAS_CLOSE", "the trade is closed")
		}
		if p["currency"] != t.Currency {
			return fail("CURRENCY_NOT_SAME", "refund currency differs from the payment's")
		}
		amount, err := refundAmount(p, &t)
		if err != nil {
			return err
		}
		paid := t.TotalMinor + t.RMBMinor // exactly one is non-zero
		if t.RefundedMinor+amount > paid {
			return fail("RETURN_AMOUNT_EXCEED", "refunds would exceed the paid amount")
		}
		r := &Refund{
			Partner: t.Partner, OutReturnNo: p["out_return_no"], TradeID: t.ID, OutTradeNo: t.OutTradeNo,
			RequestHash: hash, Currency: t.Currency, AmountMinor: amount, Reason: p["reason"],
			GmtReturn: p["gmt_return"], IsSync: p["is_sync"] == "Y",
		}
		if err := tx.Create(r).Error; err != nil {
			return err
		}
		updates := map[string]any{"refunded_minor": gorm.Expr("refunded_minor + ?", amount)}
		if t.RefundedMinor+amount == paid {
			updates["status"], updates["closed_at"] = string(payment.TradeClosed), s.now()
		}
		res := tx.Model(&Trade{}).Where("id = ? AND refunded_minor = ?", t.ID, t.RefundedMinor).Updates(updates)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			// Another refund of this trade committed since it was read:
			// roll back rather than record a refund the total misses.
			return fail("SYSTEM_ERROR", "concurrent refund of the same trade; retry with the same out_return_no")
		}
		return nil
	})
}

// refundHash identifies a refund by what it asks for, so that a retry with
// the same out_return_no but a fresh gmt_return is the same refund.
func refundHash(p payment.Params) string {
	c := p.Clone()
	delete(c, "gmt_return")
	return requestHash(c)
}

// refundAmount parses the refund amount in the unit the trade was priced in.
func refundAmount(p payment.Params, t *Trade) (int64, error) {
	if t.RMBMinor > 0 {
		if p["return_rmb_amount"] == "" {
			return 0, fail("ILLEGAL_ARGUMENT", "the trade was priced in CNY: use return_rmb_amount")
		}
		v, err := payment.ParseAmount(p["return_rmb_amount"], payment.CNY)
		if err != nil {
			return 0, fail("ILLEGAL_ARGUMENT", err.Error())
		}
		return v, nil
	}
	if p["return_amount"] == "" {
		return 0, fail("ILLEGAL_ARGUMENT", "the trade was priced in "+t.Currency+": use return_amount")
	}
	v, err := payment.ParseAmount(p["return_amount"], payment.Currency(t.Currency))
	if err != nil {
		return 0, fail("ILLEGAL_ARGUMENT", err.Error())
	}
	return v, nil
}

// rateFile answers forex_rate_file with one line per currency.
func (s *Sandbox) rateFile(w http.ResponseWriter, _ *request) {
	now := s.now().In(payment.Beijing())
	codes := make([]string, 0, len(s.rates))
	for c := range s.rates {
		codes = append(codes, string(c))
	}
	sort.Strings(codes)
	var b strings.Builder
	for _, c := range codes {
		fmt.Fprintf(&b, "%s|%s|%s|%s\n", now.Format("20060102"), now.Format("150405"), c, s.rates[payment.Currency(c)])
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(b.String()))
}

// xmlReply is an answer of a server-to-server service.
type xmlReply struct {
	Error    string         // is_success=F with this code when set
	Request  payment.Params // echoed in <request>
	Node     string         // business node inside <response>, e.g. "trade"
	Fields   payment.Params // its leaf elements, signed
	Merchant *Merchant
	SignType payment.SignType
}

// writeXML renders the reply, signing the business node's fields as Alipay
// does, in GBK when that fault is on.
func (s *Sandbox) writeXML(w http.ResponseWriter, r xmlReply) {
	f := s.Faults()
	charset := "utf-8"
	if f.GBKResponses {
		charset = "GBK"
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="%s"?>`+"\n<alipay>", charset)
	if r.Error != "" {
		fmt.Fprintf(&b, "<is_success>F</is_success><error>%s</error>", esc(r.Error))
	} else {
		b.WriteString("<is_success>T</is_success>")
	}
	if len(r.Request) > 0 {
		b.WriteString("<request>")
		for _, k := range sortedKeys(r.Request) {
			fmt.Fprintf(&b, `<param name="%s">%s</param>`, esc(k), esc(r.Request[k]))
		}
		b.WriteString("</request>")
	}
	if r.Error == "" && r.Node != "" {
		fmt.Fprintf(&b, "<response><%s>", r.Node)
		for _, k := range sortedKeys(r.Fields) {
			if r.Fields[k] != "" {
				fmt.Fprintf(&b, "<%s>%s</%s>", k, esc(r.Fields[k]), k)
			}
		}
		fmt.Fprintf(&b, "</%s></response>", r.Node)
		signer, err := s.signer(*r.Merchant, r.SignType)
		if err == nil {
			var signed payment.Params
			signed, err = signCharset(signer, r.Fields, charset)
			if err == nil {
				sig := signed["sign"]
				if f.CorruptSign {
					sig = corrupt(sig)
				}
				fmt.Fprintf(&b, "<sign>%s</sign><sign_type>%s</sign_type>", esc(sig), r.SignType)
			}
		}
		if err != nil {
			s.log.Error("sandbox: signing response", "err", err)
		}
	}
	b.WriteString("</alipay>\n")
	out, err := payment.EncodeCharset(b.String(), charset)
	if err != nil {
		out = []byte(b.String()) // unencodable text: fall back to UTF-8 bytes
	}
	w.Header().Set("Content-Type", "text/xml; charset="+charset)
	_, _ = w.Write(out)
}

func sortedKeys(p payment.Params) []string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
