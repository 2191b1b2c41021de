package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"shop/models"
	"shop/payment"
	"shop/refundcheck"
)

// One order's page and what a person does to it: refund through
// forex_refund, send a pending refund again, query Alipay now, ship; and
// what needs a person, each resolved with a note. The pages' data and the
// order's timeline are built in admin_timeline.go.

// alipayCallWait bounds an admin action's call to Alipay together with the
// writes that record its answer.
const alipayCallWait = time.Minute

// alipayCallContext returns the context of a call to Alipay and of the
// writes that record its answer. It outlives the request: a refund Alipay
// made must be recorded even if the merchant's browser has gone away.
func alipayCallContext(c *gin.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(c.Request.Context()), alipayCallWait)
}

// adminOrderURL is the admin page of an order.
func adminOrderURL(orderNo string) string { return "/admin/orders/" + url.PathEscape(orderNo) }

// adminOrder shows one order with its amounts, forms and timeline. The
// "needs a person" page links here with ?refund= the amount of a payment
// to give back, which prefills the refund form.
func (s *Server) adminOrder(c *gin.Context) {
	o, err := s.admin.OrderByNo(c.Request.Context(), c.Param("order_no"))
	if err != nil {
		s.fail(c, err)
		return
	}
	p, err := s.adminOrderPage(c, o)
	if err != nil {
		s.fail(c, err)
		return
	}
	if v := c.Query("refund"); v != "" {
		if _, ok := parseMoney(v, payment.Currency(o.Currency)); ok {
			p.Refund.Amount = v
		}
	}
	s.render(c, http.StatusOK, "admin/order", p)
}

// adminRefund reserves a refund (stored with its out_return_no before any
// call) and sends it to Alipay synchronously.
func (s *Server) adminRefund(c *gin.Context) {
	ctx := c.Request.Context()
	o, err := s.admin.OrderByNo(ctx, c.Param("order_no"))
	if err != nil {
		s.fail(c, err)
		return
	}
	form := refundForm{Amount: strings.TrimSpace(c.PostForm("amount")), Reason: c.PostForm("reason"), Restock: c.PostForm("restock") != "",
		Async: c.PostForm("async") != ""}
	keep := func(p *adminOrderPage, e formError) { form.Err = e; p.Refund = form }
	amount, reason, err := form.parse(payment.Currency(o.Currency))
	if err != nil {
		s.orderFormFailed(c, o.OrderNo, err, keep)
		return
	}
	start := s.admin.StartRefund
	if form.Async {
		start = s.admin.StartAsyncRefund
	}
	r, err := start(ctx, o.OrderNo, amount, reason, form.Restock, s.auditEntry(c, "refund", o.OrderNo, ""))
	if err != nil {
		s.orderFormFailed(c, o.OrderNo, err, keep)
		return
	}
	s.sendAndAnswer(c, o, r)
}

// adminRefundRetry sends a pending refund again: the same out_return_no,
// amount, reason and gmt_return, which Alipay treats as the same refund.
func (s *Server) adminRefundRetry(c *gin.Context) {
	ctx := c.Request.Context()
	o, err := s.admin.OrderByNo(ctx, c.Param("order_no"))
	if err != nil {
		s.fail(c, err)
		return
	}
	r, err := s.admin.RefundByNo(ctx, c.Param("out_return_no"))
	if err == nil && r.OrderID != o.ID {
		err = fmt.Errorf("refund %s is not of order %s: %w", r.OutReturnNo, o.OrderNo, models.ErrNotFound)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	if r.Status != models.RefundPending {
		// A second click, or a page out of date: Alipay's answer is
		// already recorded.
		flash(c, "money.refund.notpending")
		s.redirect(c, adminOrderURL(o.OrderNo)+"#refunds")
		return
	}
	detail := fmt.Sprintf("refund %s of %s sent again", r.OutReturnNo, payment.Amount{Minor: r.AmountMinor, Currency: payment.Currency(r.Currency)})
	if err := s.audit(c, "refund_retry", o.OrderNo, detail); err != nil {
		s.fail(c, err)
		return
	}
	s.sendAndAnswer(c, o, r)
}

// sendAndAnswer sends a stored refund, then redirects to the order page
// saying what became of it.
func (s *Server) sendAndAnswer(c *gin.Context, o *models.Order, r *models.Refund) {
	ctx, cancel := alipayCallContext(c)
	defer cancel()
	key, err := s.sendRefund(ctx, o, r)
	if err != nil {
		s.fail(c, err)
		return
	}
	flash(c, key)
	s.redirect(c, adminOrderURL(o.OrderNo)+"#refunds")
}

// sendRefund sends a stored refund to Alipay and records the answer (see
// refundcheck.Sender). It returns the message key for what happened, and
// an error only when the answer could not be recorded (the refund then
// stays pending, and the refund checker sends it again).
func (s *Server) sendRefund(ctx context.Context, o *models.Order, r *models.Refund) (string, error) {
	out, err := s.refunds.Send(ctx, r, o.OrderNo, o.Channel)
	if err != nil {
		return "", err
	}
	switch out {
	case refundcheck.Accepted:
		return "money.refund.accepted", nil
	case refundcheck.Done:
		return "money.refund.done", nil
	case refundcheck.Refused:
		return "money.refund.refused", nil
	}
	return "money.refund.pending", nil
}

// adminQuery asks Alipay about the order now (single_trade_query). A paid
// answer goes through the settler, the exactly-once path notifications
// take; every answer is recorded on the order's timeline.
func (s *Server) adminQuery(c *gin.Context) {
	o, err := s.admin.OrderByNo(c.Request.Context(), c.Param("order_no"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.audit(c, "query", o.OrderNo, "single_trade_query"); err != nil {
		s.fail(c, err)
		return
	}
	ctx, cancel := alipayCallContext(c)
	defer cancel()
	tr, err := s.alipay.QueryTrade(ctx, payment.QueryRequest{OutTradeNo: o.OrderNo})
	var verdict models.Verdict
	var applyErr error
	if err == nil && tr.TradeStatus.Paid() {
		verdict, applyErr = s.settler.ApplyTrade(ctx, o, tr)
		if applyErr != nil {
			s.log.Error("query: answer not applied", "order_no", o.OrderNo, "err", applyErr)
		}
	}
	key, detail := queryOutcome(tr, err, verdict, applyErr)
	if err := s.admin.RecordEvent(ctx, o.OrderNo, models.KindQueried, staffName(c), detail, false); err != nil {
		s.fail(c, err)
		return
	}
	flash(c, key)
	s.redirect(c, adminOrderURL(o.OrderNo)+"#timeline")
}

// queryOutcome is the message key and the timeline's sentence for a query
// answer (or error) and, for a paid answer, what applying it gave.
func queryOutcome(tr *payment.Trade, err error, v models.Verdict, applyErr error) (key, detail string) {
	switch {
	case errors.Is(err, payment.ErrTradeNotExist):
		return "money.query.notrade", "single_trade_query: TRADE_NOT_EXIST (no trade until the buyer logs in to the cashier)."
	case errors.Is(err, payment.ErrGateway):
		return "money.query.unreachable", "single_trade_query: no usable answer: " + err.Error()
	case err != nil:
		return "money.query.refused", "single_trade_query: " + err.Error()
	}
	detail = fmt.Sprintf("single_trade_query: %s", tr.TradeStatus)
	if tr.TradeNo != "" {
		detail += fmt.Sprintf(", trade_no %s, total_fee %s", tr.TradeNo, tr.TotalFee)
	}
	switch {
	case applyErr != nil:
		return "money.query.failed", detail + "; not applied: " + applyErr.Error()
	case v == models.VerdictPaid:
		key = "money.query.paid"
	case v == models.VerdictDuplicate:
		key = "money.query.already"
	case v != "":
		key = "money.query.flagged"
	case tr.TradeStatus == payment.WaitBuyerPay:
		key = "money.query.waiting"
	case tr.TradeStatus == payment.TradeClosed:
		key = "money.query.closed"
	default:
		key = "money.query.other"
	}
	if v != "" {
		detail += "; verdict " + string(v)
	}
	return key, detail + "."
}

// adminShip records that a paid order was handed to a carrier.
func (s *Server) adminShip(c *gin.Context) {
	orderNo := c.Param("order_no")
	form := shipForm{Carrier: strings.TrimSpace(c.PostForm("carrier")), TrackingNo: strings.TrimSpace(c.PostForm("tracking_no"))}
	keep := func(p *adminOrderPage, e formError) { form.Err = e; p.Ship = form }
	if hasControl(form.Carrier) || hasControl(form.TrackingNo) {
		s.orderFormFailed(c, orderNo, &ValidationError{Fields: map[string]string{"tracking_no": "money.ship.invalid"}}, keep)
		return
	}
	o, err := s.admin.Ship(c.Request.Context(), orderNo, form.Carrier, form.TrackingNo, s.auditEntry(c, "ship", orderNo, ""))
	if err != nil {
		s.orderFormFailed(c, orderNo, err, keep)
		return
	}
	flash(c, "money.ship.done")
	s.redirect(c, adminOrderURL(o.OrderNo))
}

// orderFormFailed answers a form of the order page that was refused: the
// page again, under the status the error table gives, with the message
// beside the form and what was typed kept. Errors that are not the
// form's (an unknown order, a failure of ours) get the error page.
func (s *Server) orderFormFailed(c *gin.Context, orderNo string, err error, keep func(*adminOrderPage, formError)) {
	k := kindOf(err)
	if k.status >= http.StatusInternalServerError || errors.Is(err, models.ErrNotFound) {
		s.fail(c, err)
		return
	}
	s.logFailure(c, k, err)
	o, oerr := s.admin.OrderByNo(c.Request.Context(), orderNo)
	if oerr != nil {
		s.fail(c, oerr)
		return
	}
	p, perr := s.adminOrderPage(c, o)
	if perr != nil {
		s.fail(c, perr)
		return
	}
	keep(&p, newFormError(p.Lang, k, err))
	s.render(c, k.status, "admin/order", p)
}

// adminReviews lists what needs a person, oldest first.
func (s *Server) adminReviews(c *gin.Context) {
	p, err := s.reviewsPage(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "admin/reviews", p)
}

// adminResolve closes a review with the person's note.
func (s *Server) adminResolve(c *gin.Context) {
	id, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil || id == 0 {
		s.fail(c, models.ErrNotFound)
		return
	}
	note := strings.TrimSpace(c.PostForm("note"))
	target := "review " + strconv.FormatUint(id, 10)
	_, err = s.admin.ResolveReview(c.Request.Context(), uint(id), staffName(c), note, s.auditEntry(c, "resolve_review", target, note))
	if err != nil {
		k := kindOf(err)
		if k.status >= http.StatusInternalServerError || errors.Is(err, models.ErrNotFound) {
			s.fail(c, err)
			return
		}
		s.logFailure(c, k, err)
		p, perr := s.reviewsPage(c)
		if perr != nil {
			s.fail(c, perr)
			return
		}
		p.Failed, p.Note, p.Error = uint(id), note, newFormError(p.Lang, k, err).Message
		s.render(c, k.status, "admin/reviews", p)
		return
	}
	flash(c, "money.review.resolved")
	s.redirect(c, "/admin/reviews")
}
