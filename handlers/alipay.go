package handlers

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"shop/models"
	"shop/payment"
	"shop/settle"
)

// tradeRequest describes an order to Alipay. It depends only on the stored
// order, so sending the same order twice sends the same request (Alipay
// refuses an out_trade_no reused with other parameters).
//
// Every request carries an absolute deadline, order_gmt_create plus
// order_valid_time, no later than the order's own expiry: a pay URL left in
// a browser's history cannot be paid after the shop closed the order and
// returned its stock. The relative timeout_rule counts from when the buyer
// first opens the cashier, so alone it would not do.
func (s *Server) tradeRequest(o *models.Order) payment.TradeRequest {
	svc := payment.ServicePC
	if o.Channel == models.ChannelWAP {
		svc = payment.ServiceWAP
	}
	created, valid := deadline(o)
	r := payment.TradeRequest{
		Service: svc, OutTradeNo: o.OrderNo, Subject: orderSubject(o), Body: orderBody(o),
		Currency: payment.Currency(o.Currency), TotalFee: o.TotalMinor,
		NotifyURL: s.baseURL + NotifyPath, ReturnURL: s.baseURL + "/alipay/return",
		ReferURL: s.baseURL + "/orders/" + o.OrderNo, Supplier: payment.CleanText(english.T("shop.name"), 64),
		OrderGMTCreate: created, OrderValidTime: valid, TradeInformation: goodsInformation(o),
	}
	if s.sendTimeout {
		r.TimeoutRule = s.timeout
	}
	return r
}

// deadline returns the order's creation time in whole seconds and how
// long after it the order can be paid, rounded down to whole seconds, so
// that the deadline Alipay computes is never after the order's expiry.
func deadline(o *models.Order) (created time.Time, valid time.Duration) {
	created = o.CreatedAt.Truncate(time.Second)
	valid = o.ExpiresAt.Sub(created).Truncate(time.Second)
	return created, max(valid, time.Second)
}

// Alipay's limits on what it shows the buyer, in characters. Its English
// pages allow a subject of 256; its Chinese page says 255 bytes, that is
// 128 Chinese characters, so a Chinese subject stays within 128.
const (
	subjectMax   = 256
	subjectMaxZH = 128
	bodyMax      = 400 // create_forex_trade(_wap); the app SDK's 512 is larger
	// subjectNameMax leaves the rest of the subject to "and N more".
	subjectNameMax = 60
	goodsNameMax   = 64
)

// The subject, the body and the goods list are in the order's language
// (o.Lang), never the current request's: they are part of what Alipay
// compares when an out_trade_no is sent again.

// orderSubject is the short title the buyer sees in the cashier.
func orderSubject(o *models.Order) string {
	l := orderLang(o)
	limit := subjectMax
	if l.ZH() {
		limit = subjectMaxZH
	}
	if len(o.Lines) == 0 {
		return payment.CleanText(l.Tf("order.number", "OrderNo", o.OrderNo), limit)
	}
	first := alipayName(o.Lines[0], l, subjectNameMax)
	if n := len(o.Lines) - 1; n > 0 {
		return payment.CleanText(l.Tn("alipay.subject.more", n, "Name", first), limit)
	}
	return first
}

// orderBody lists the lines, within Alipay's 400 characters.
func orderBody(o *models.Order) string {
	l := orderLang(o)
	parts := make([]string, 0, len(o.Lines))
	for _, ln := range o.Lines {
		parts = append(parts, l.Tf("alipay.body.line", "Quantity", ln.Quantity, "Name", alipayName(ln, l, bodyMax)))
	}
	return payment.CleanText(strings.Join(parts, l.T("alipay.body.separator")), bodyMax)
}

// goodsInformation is trade_information for sales of goods (type 4).
func goodsInformation(o *models.Order) *payment.TradeInformation {
	l := orderLang(o)
	goods := make([]payment.Goods, len(o.Lines))
	for i, ln := range o.Lines {
		goods[i] = payment.Goods{Name: alipayName(ln, l, goodsNameMax), Quantity: ln.Quantity}
	}
	return payment.GoodsTradeInformation(goods)
}

// alipayName is a line's name in l as Alipay may show it: without the
// characters it forbids, at most limit characters. A name made only of
// such characters leaves nothing, which Alipay refuses: the English name
// stands in for it, and a word for "item" for both.
func alipayName(ln models.OrderLine, l Lang, limit int) string {
	name, _ := lineName(ln, l)
	for _, n := range []string{name, ln.Name, l.T("alipay.item")} {
		if s := payment.CleanText(n, limit); s != "" {
			return s
		}
	}
	return "-" // only if the catalog's own word were empty
}

// alipayReturn is where the cashier sends the buyer back. It verifies the
// signature to know which order this is, but NEVER marks anything paid:
// only the notification (or a verified query) does. It shows the order's
// stored status; while that is pending after a successful payment, the
// order page asks the shopper to wait and refreshes itself.
func (s *Server) alipayReturn(c *gin.Context) {
	if c.Request.URL.RawQuery == "" {
		// The buyer cancelled in the cashier: nothing to verify.
		s.redirect(c, "/cart")
		return
	}
	n, err := s.alipay.ParseReturn(c.Request.URL.RawQuery)
	if err != nil {
		s.log.Warn("return: unverifiable", "err", err)
		s.fail(c, fmt.Errorf("%w: %v", errBadReturn, err))
		return
	}
	// A verified return only: anybody can load the page, nobody can sign.
	s.event(c, n.OutTradeNo, models.KindReturned, "shopper", "Back from the cashier: "+string(n.TradeStatus)+".", true)
	o, err := s.store.OwnedOrder(c.Request.Context(), n.OutTradeNo, ownerID(c))
	if errors.Is(err, models.ErrNotFound) {
		// Another browser, or a lost cookie: show the status without
		// personal data.
		s.publicStatus(c, n.OutTradeNo)
		return
	} else if err != nil {
		s.fail(c, err)
		return
	}
	to := "/orders/" + o.OrderNo
	if n.TradeStatus.Paid() && o.Status == models.StatusPending {
		to += "?confirming=1"
	}
	s.redirect(c, to)
}

// notifyLimit bounds a notification body; real ones are well under 2 KB.
const notifyLimit = 64 << 10

// notify receives Alipay's asynchronous notification. It answers exactly
// "success" only once the notification is recorded and its effect
// committed; otherwise "fail", with a 4xx for a forged or malformed one and
// a 5xx when the fault is ours, so that Alipay retries.
func (s *Server) notify(c *gin.Context) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, notifyLimit))
	if err != nil {
		s.notifyFail(c, fmt.Errorf("%w: %v", errTooLarge, err))
		return
	}
	_, err = s.settler.Notify(c.Request.Context(), settle.Receipt{
		Body: body, ContentType: c.GetHeader("Content-Type"), RemoteAddr: c.Request.RemoteAddr})
	if err != nil {
		s.notifyFail(c, err)
		return
	}
	// Committed: now, and only now, tell Alipay to stop.
	c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte("success"))
}
