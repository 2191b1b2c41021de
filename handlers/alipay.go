package handlers

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"shop/models"
	"shop/payment"
)

// tradeRequest describes an order to Alipay. It depends only on the stored
// order, so sending the same order twice sends the same request (Alipay
// refuses an out_trade_no reused with other parameters).
func (s *Server) tradeRequest(o *models.Order) payment.TradeRequest {
	svc := payment.ServicePC
	if o.Channel == "wap" {
		svc = payment.ServiceWAP
	}
	return payment.TradeRequest{
		Service: svc, OutTradeNo: o.OrderNo, Subject: orderSubject(o), Body: orderBody(o),
		Currency: payment.Currency(o.Currency), TotalFee: o.TotalMinor,
		NotifyURL: s.baseURL + "/alipay/notify", ReturnURL: s.baseURL + "/alipay/return",
		ReferURL: s.baseURL + "/orders/" + o.OrderNo, Supplier: payment.CleanText(english.T("shop.name"), 64),
		TimeoutRule: s.timeout, TradeInformation: goodsInformation(o),
	}
}

// orderSubject is the short title the buyer sees in the cashier.
func orderSubject(o *models.Order) string {
	if len(o.Lines) == 0 {
		return "Order " + o.OrderNo
	}
	first := payment.CleanText(o.Lines[0].Name, 60)
	if n := len(o.Lines) - 1; n > 0 {
		return fmt.Sprintf("%s and %d more", first, n)
	}
	return first
}

// orderBody lists the lines, within Alipay's 400 characters.
func orderBody(o *models.Order) string {
	parts := make([]string, 0, len(o.Lines))
	for _, l := range o.Lines {
		parts = append(parts, fmt.Sprintf("%d x %s", l.Quantity, l.Name))
	}
	return payment.CleanText(strings.Join(parts, ", "), 400)
}

// goodsInformation is trade_information for sales of goods (type 4).
func goodsInformation(o *models.Order) *payment.TradeInformation {
	goods := make([]payment.Goods, len(o.Lines))
	for i, l := range o.Lines {
		goods[i] = payment.Goods{Name: l.Name, Quantity: l.Quantity}
	}
	return payment.GoodsTradeInformation(goods)
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
		s.fail(c, http.StatusBadRequest, "error.return", nil)
		return
	}
	o, err := s.store.OwnedOrder(c.Request.Context(), n.OutTradeNo, ownerID(c))
	if errors.Is(err, models.ErrNotFound) {
		// Another browser, or a lost cookie: show the status without
		// personal data.
		s.publicStatus(c, n.OutTradeNo)
		return
	} else if err != nil {
		s.fail(c, http.StatusInternalServerError, "error.internal", err)
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
// "success" only after the notification is recorded and its effect
// committed; "fail" with a 4xx for a forged or malformed one (recorded as
// rejected), and with a 5xx when the fault is ours, so that Alipay retries.
func (s *Server) notify(c *gin.Context) {
	ctx := c.Request.Context()
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, notifyLimit))
	if err != nil {
		s.notifyAnswer(c, http.StatusRequestEntityTooLarge, "body too large or unreadable", err)
		return
	}
	rec := &models.Notification{ReceivedAt: s.now(), RemoteAddr: c.Request.RemoteAddr,
		ContentType: c.GetHeader("Content-Type"), Body: string(body)}
	n, err := s.alipay.ParseNotification(body, c.GetHeader("Content-Type"))
	if n != nil {
		rec.NotifyID, rec.OutTradeNo, rec.TradeNo = n.NotifyID, n.OutTradeNo, n.TradeNo
		rec.TradeStatus = string(n.TradeStatus)
		if rec.TradeStatus == "" {
			rec.TradeStatus = n.Params["trade_status"]
		}
	}
	if err != nil {
		s.record(c, rec, models.VerdictRejected, http.StatusBadRequest, "verification failed: "+err.Error())
		return
	}
	if s.notifyVerify {
		switch err := s.alipay.NotifyVerify(ctx, n.NotifyID); {
		case errors.Is(err, payment.ErrNotifyNotVerified):
			s.record(c, rec, models.VerdictRejected, http.StatusBadRequest, "notify_verify answered false: forged, expired or for another partner")
			return
		case errors.Is(err, payment.ErrInvalid):
			// A notify_id Alipay could never have issued: asking again
			// later cannot help, so it is rejected, not deferred.
			s.record(c, rec, models.VerdictRejected, http.StatusBadRequest, "malformed notify_id: "+err.Error())
			return
		case err != nil:
			// Alipay unreachable: no verdict yet. Record it and answer a
			// 5xx so that Alipay sends it again.
			s.log.Warn("notify: notify_verify unavailable", "err", err)
			s.record(c, rec, models.VerdictDeferred, http.StatusServiceUnavailable, "notify_verify unreachable; not applied, Alipay will send it again")
			return
		}
	}
	verdict, _, err := s.store.ApplyPayment(ctx, rec, paymentOf(n))
	if err != nil {
		s.notifyAnswer(c, http.StatusInternalServerError, "could not record the notification", err)
		return
	}
	if verdict.Flagged() {
		s.log.Warn("notify: needs review", "out_trade_no", n.OutTradeNo, "trade_no", n.TradeNo, "verdict", verdict)
	} else {
		s.log.Info("notify", "out_trade_no", n.OutTradeNo, "trade_status", n.TradeStatus, "verdict", verdict)
	}
	// Committed: now, and only now, tell Alipay to stop.
	c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte("success"))
}

// paymentOf maps a verified notification to the store's payment event.
func paymentOf(n *payment.Notification) models.Payment {
	p := models.Payment{OrderNo: n.OutTradeNo, TradeNo: n.TradeNo, AmountMinor: n.Amount.Minor,
		Currency: string(n.Currency), At: n.GmtPayment, Event: models.EventOther}
	switch {
	case n.TradeStatus.Paid():
		p.Event = models.EventPaid
	case n.TradeStatus == payment.TradeClosed:
		p.Event = models.EventClosed
	}
	if p.At.IsZero() {
		p.At = n.NotifyTime
	}
	return p
}

// record stores a notification that changes nothing (rejected or deferred)
// and answers fail with status.
func (s *Server) record(c *gin.Context, rec *models.Notification, v models.Verdict, status int, detail string) {
	rec.Verdict, rec.Detail = v, detail
	if err := s.store.RecordUnapplied(c.Request.Context(), rec); err != nil {
		s.notifyAnswer(c, http.StatusInternalServerError, "could not record the notification", err)
		return
	}
	s.notifyAnswer(c, status, detail, nil)
}

// notifyAnswer answers "fail" (plain text) and logs why.
func (s *Server) notifyAnswer(c *gin.Context, status int, why string, err error) {
	if status >= 500 {
		s.log.Error("notify: fail", "status", status, "why", why, "err", err)
	} else {
		s.log.Warn("notify: fail", "status", status, "why", why)
	}
	c.Data(status, "text/plain; charset=utf-8", []byte("fail"))
}
