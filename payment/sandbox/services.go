package sandbox

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
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
		s.refuse(w, req, "ILLEGAL_ARGUMENT")
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
		s.refuse(w, req, "TRADE_NOT_EXIST")
		return
	}
	if err != nil {
		s.log.Error("sandbox: query", "err", err)
		s.refuse(w, req, "SYSTEM_ERROR")
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
	Merchant *Merchant      // nil: unsigned (the caller was not authenticated)
	SignType payment.SignType
}

// refuse answers an authenticated server call with Alipay's refusal,
// signed over error=<code>: what Alipay's SDK verifies an error answer
// against. Refusals of calls that did not authenticate (unknown partner,
// bad signature) cannot be signed for anyone and go out unsigned.
func (s *Sandbox) refuse(w http.ResponseWriter, req *request, code string) {
	s.writeXML(w, xmlReply{Error: code, Request: req.params, Merchant: &req.merchant, SignType: req.signType})
}

// writeXML renders the reply, signing the business node's fields (or, for
// a refusal to a known merchant, error=<code>) as Alipay does, in GBK when
// that fault is on.
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
	covered := r.Fields
	if r.Error != "" {
		covered = payment.Params{"error": r.Error}
	} else if r.Node != "" {
		fmt.Fprintf(&b, "<response><%s>", r.Node)
		for _, k := range sortedKeys(r.Fields) {
			if r.Fields[k] != "" {
				fmt.Fprintf(&b, "<%s>%s</%s>", k, esc(r.Fields[k]), k)
			}
		}
		fmt.Fprintf(&b, "</%s></response>", r.Node)
	}
	if r.Merchant != nil && (r.Error != "" || r.Node != "") {
		signer, err := s.signer(*r.Merchant, r.SignType)
		if err == nil {
			var signed payment.Params
			signed, err = signCharset(signer, covered, charset)
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
