package sandbox

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"gorm.io/gorm"

	"shop/payment"
)

// completeDueRefunds makes the asynchronous refunds that are due as of now
// and returns when the next one is (zero if none is processing).
func (s *Sandbox) completeDueRefunds(ctx context.Context, now time.Time) (time.Time, error) {
	db := s.db.WithContext(ctx)
	var due []Refund
	if err := db.Select("id").Where("status = ? AND due_at <= ?", refundProcessing, now).Order("due_at, id").Limit(50).Find(&due).Error; err != nil {
		return time.Time{}, err
	}
	var errs []error
	for _, r := range due {
		if _, err := s.completeRefund(ctx, r.ID, now); err != nil {
			errs = append(errs, err)
		}
	}
	var next []Refund
	if err := db.Select("due_at").Where("status = ? AND due_at IS NOT NULL", refundProcessing).Order("due_at").Limit(1).Find(&next).Error; err != nil {
		errs = append(errs, err)
	}
	if len(next) == 0 || next[0].DueAt == nil {
		return time.Time{}, errors.Join(errs...)
	}
	return *next[0].DueAt, errors.Join(errs...)
}

// completeRefund makes the refund id if it is processing and due at now:
// it succeeds, or fails with MERCHANT_BALANCE_NOT_ENOUGH while that fault
// is on (Alipay would retry such a refund every 6 h for 180 days; the
// sandbox ends it, so that the failure can be seen). The trade's reserved
// amount is released, and refunded on success (a full refund closes the
// trade). The result is queued for the refund's notify_url in the same
// transaction. Everything is dated DueAt, not when the sandbox got round
// to it: what the merchant sees must not depend on when Run last ran.
// It returns the refund as it is afterwards.
func (s *Sandbox) completeRefund(ctx context.Context, id uint, now time.Time) (*Refund, error) {
	f := s.Faults()
	var r Refund
	queued := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.First(&r, id).Error; err != nil {
			return err
		}
		if r.Status != refundProcessing || r.DueAt == nil || now.Before(*r.DueAt) {
			return nil
		}
		at := *r.DueAt
		var t Trade
		if err := tx.First(&t, r.TradeID).Error; err != nil {
			return err
		}
		status, code := refundSuccess, ""
		if f.RefundBalanceNotEnough {
			status, code = refundFailed, "MERCHANT_BALANCE_NOT_ENOUGH"
		}
		res := tx.Model(&Refund{}).Where("id = ? AND status = ?", r.ID, refundProcessing).
			Updates(map[string]any{"status": status, "error_code": code, "completed_at": at})
		if res.Error != nil || res.RowsAffected != 1 {
			return res.Error
		}
		r.Status, r.ErrorCode, r.CompletedAt = status, code, &at
		updates := map[string]any{"refund_pending_minor": gorm.Expr("refund_pending_minor - ?", r.AmountMinor)}
		if status == refundSuccess {
			updates["refunded_minor"] = gorm.Expr("refunded_minor + ?", r.AmountMinor)
			if t.RefundedMinor+r.AmountMinor == t.TotalMinor+t.RMBMinor {
				updates["status"], updates["closed_at"] = string(payment.TradeClosed), at
			}
		}
		if err := tx.Model(&Trade{}).Where("id = ?", t.ID).Updates(updates).Error; err != nil {
			return err
		}
		if r.NotifyURL == "" {
			return nil
		}
		queued = true
		return s.queueRefundNotification(tx, &t, &r, at, f.CorruptSign)
	})
	if err != nil {
		return nil, err
	}
	if queued {
		s.poke()
	}
	return &r, nil
}

// queueRefundNotification creates the notification of a completed refund,
// due at, signed now with the refund request's sign type and charset so
// that every retry sends the same body. Its fields are those Alipay's
// forex_refund page lists for the asynchronous result, and currency with
// return_amount (or return_rmb_amount) besides, an inference; notify_type
// is payment.NotifyTypeRefund, also an inference.
func (s *Sandbox) queueRefundNotification(tx *gorm.DB, t *Trade, r *Refund, at time.Time, corruptSign bool) error {
	status := string(payment.RefundNotifySuccess)
	if r.Status != refundSuccess {
		status = string(payment.RefundNotifyFail)
	}
	p := payment.Params{
		"notify_id": newNotifyID(), "notify_type": payment.NotifyTypeRefund, "notify_time": payment.FormatTime(at),
		"out_trade_no": r.OutTradeNo, "out_return_no": r.OutReturnNo, "refund_status": status, "currency": r.Currency,
	}
	if r.ErrorCode != "" {
		p["error_code"] = r.ErrorCode
	}
	key, value := refundAmountField(t, r)
	p[key] = value
	charset := r.Charset
	if charset == "" {
		charset = "utf-8"
	}
	signed, err := s.signAs(r.Partner, payment.SignType(r.SignType), charset, p, corruptSign)
	if err != nil {
		return err
	}
	body, err := encodeForm(signed, charset)
	if err != nil {
		return err
	}
	n := &Notification{
		NotifyID: p["notify_id"], Partner: r.Partner, TradeID: t.ID, OutTradeNo: r.OutTradeNo,
		Kind: kindRefund, OutReturnNo: r.OutReturnNo, RefundStatus: status, URL: r.NotifyURL, Body: body,
		ContentType: "application/x-www-form-urlencoded; charset=" + strings.ToLower(charset),
		State:       statePending, NextAt: &at,
	}
	return tx.Create(n).Error
}

// refundAmountField is the refund's amount as forex_refund took it:
// return_rmb_amount for a trade priced in CNY, return_amount otherwise.
func refundAmountField(t *Trade, r *Refund) (key, value string) {
	if t.RMBMinor > 0 {
		return "return_rmb_amount", payment.Amount{Minor: r.AmountMinor, Currency: payment.CNY}.String()
	}
	return "return_amount", payment.Amount{Minor: r.AmountMinor, Currency: payment.Currency(t.Currency)}.String()
}

// refundQuery answers alipay.acquire.refund.query: the refund of
// out_return_no on the trade out_trade_no, with response_code SUCCESS,
// NOT_FOUND (no such refund on that trade) or TRADE_NOT_EXIST (no such
// trade, or not yet opened by the buyer), in a signed <response><alipay>
// node (named after Alipay's other alipay.acquire.* service: an inference).
// A refund past its due time is made first, so the answer does not depend
// on whether Run has come round.
func (s *Sandbox) refundQuery(ctx context.Context, w http.ResponseWriter, req *request) {
	p := req.params
	if p["out_trade_no"] == "" || p["out_return_no"] == "" {
		s.refuse(w, req, "ILLEGAL_ARGUMENT")
		return
	}
	f := payment.Params{"out_trade_no": p["out_trade_no"], "out_return_no": p["out_return_no"]}
	answer := func(code string) {
		f["response_code"] = code
		s.writeXML(w, xmlReply{Request: p, Node: "alipay", Fields: f, Merchant: &req.merchant, SignType: req.signType})
	}
	db := s.db.WithContext(ctx)
	var t Trade
	err := db.Where("partner = ? AND out_trade_no = ?", req.merchant.Partner, p["out_trade_no"]).First(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || err == nil && !t.Opened {
		answer("TRADE_NOT_EXIST")
		return
	}
	var r Refund
	if err == nil {
		err = db.Where("partner = ? AND out_return_no = ? AND trade_id = ?", req.merchant.Partner, p["out_return_no"], t.ID).First(&r).Error
	}
	if errors.Is(err, gorm.ErrRecordNotFound) {
		answer("NOT_FOUND")
		return
	}
	if err == nil && r.Status == refundProcessing {
		var done *Refund
		if done, err = s.completeRefund(ctx, r.ID, s.now()); err == nil {
			r = *done
		}
	}
	if err != nil {
		s.log.Error("sandbox: refund query", "err", err)
		s.refuse(w, req, "SYSTEM_ERROR")
		return
	}
	if t.TradeNo != nil {
		f["trade_no"] = *t.TradeNo
	}
	f["refund_result_code"], f["refund_error_code"] = r.Status, r.ErrorCode
	f["gmt_create"], f["currency"] = payment.FormatTime(r.CreatedAt), r.Currency
	key, value := refundAmountField(&t, &r)
	f[key] = value
	answer("SUCCESS")
}
