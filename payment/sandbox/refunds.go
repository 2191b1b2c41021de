package sandbox

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"gorm.io/gorm"

	"shop/payment"
)

var gmtReturnRE = regexp.MustCompile(`^\d{14}$`)

// refund answers forex_refund: same currency, paid trade within the refund
// window, refunds of the partner spaced apart, cumulative refunds within
// the paid amount, out_return_no idempotent. is_sync=Y refunds at once (a
// full refund closes the trade); otherwise the refund is accepted and
// completes later (see completeRefund).
func (s *Sandbox) refund(ctx context.Context, w http.ResponseWriter, req *request) {
	if err := s.doRefund(ctx, req); err != nil {
		var ge *gatewayError
		if !errors.As(err, &ge) {
			s.log.Error("sandbox: refund", "err", err)
			ge = fail("SYSTEM_ERROR", "internal error")
		}
		s.log.Info("sandbox: refund refused", "out_return_no", req.params["out_return_no"], "code", ge.Code, "detail", ge.Detail)
		s.refuse(w, req, ge.Code)
		return
	}
	s.writeXML(w, xmlReply{Request: req.params})
}

// checkRefundParams applies forex_refund's format rules.
func checkRefundParams(p payment.Params) error {
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
	if u := p["notify_url"]; u != "" {
		pu, err := url.Parse(u)
		if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" || len(u) > 200 {
			return fail("ILLEGAL_ARGUMENT", "notify_url must be an absolute http(s) URL of at most 200 characters")
		}
	}
	return nil
}

func (s *Sandbox) doRefund(ctx context.Context, req *request) error {
	p := req.params
	if err := checkRefundParams(p); err != nil {
		return err
	}
	sync := p["is_sync"] == "Y"
	// An asynchronous refund is accepted whatever the balance; it fails
	// later, when it is made (completeRefund).
	if sync && s.Faults().RefundBalanceNotEnough {
		return fail("MERCHANT_BALANCE_NOT_ENOUGH", "injected fault")
	}
	hash := refundHash(p)
	now := s.now()
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
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
		if err := s.checkRefundInterval(tx, req.merchant.Partner, now); err != nil {
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
		if w := s.cfg.RefundWindow; w > 0 && t.PaidAt != nil && now.Sub(*t.PaidAt) > w {
			return fail("REFUNDMENT_VALID_DATE_EXCEED", "the trade was paid "+payment.FormatTime(*t.PaidAt)+
				", more than "+w.String()+" ago")
		}
		if p["currency"] != t.Currency {
			return fail("CURRENCY_NOT_SAME", "refund currency differs from the payment's")
		}
		amount, err := refundAmount(p, &t)
		if err != nil {
			return err
		}
		paid := t.TotalMinor + t.RMBMinor // exactly one is non-zero
		if t.RefundedMinor+t.RefundPendingMinor+amount > paid {
			return fail("RETURN_AMOUNT_EXCEED", "refunds would exceed the paid amount")
		}
		r := &Refund{
			Partner: t.Partner, OutReturnNo: p["out_return_no"], TradeID: t.ID, OutTradeNo: t.OutTradeNo,
			RequestHash: hash, Currency: t.Currency, AmountMinor: amount, Reason: p["reason"],
			GmtReturn: p["gmt_return"], IsSync: sync, CreatedAt: now, NotifyURL: p["notify_url"],
			SignType: string(req.signType), Charset: req.charset,
		}
		updates := map[string]any{}
		if sync {
			r.Status, r.CompletedAt = refundSuccess, &now
			updates["refunded_minor"] = gorm.Expr("refunded_minor + ?", amount)
			if t.RefundedMinor+amount == paid {
				updates["status"], updates["closed_at"] = string(payment.TradeClosed), now
			}
		} else {
			due := now.Add(max(s.scaled(s.cfg.RefundDelay), 0))
			r.Status, r.DueAt = refundProcessing, &due
			updates["refund_pending_minor"] = gorm.Expr("refund_pending_minor + ?", amount)
		}
		if err := tx.Create(r).Error; err != nil {
			return err
		}
		res := tx.Model(&Trade{}).Where("id = ? AND refunded_minor = ? AND refund_pending_minor = ?", t.ID, t.RefundedMinor, t.RefundPendingMinor).
			Updates(updates)
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
	if err == nil && !sync {
		s.poke() // Run sleeps until the next deadline, which may now be this refund's
	}
	return err
}

// checkRefundInterval refuses a new refund of partner sooner than
// RefundInterval after its previous one was accepted. Only accepted
// refunds count: a refused call does not push the next one back.
func (s *Sandbox) checkRefundInterval(tx *gorm.DB, partner string, now time.Time) error {
	iv := s.cfg.RefundInterval
	if iv <= 0 {
		return nil
	}
	var last []Refund
	if err := tx.Select("created_at").Where("partner = ?", partner).Order("created_at DESC").Limit(1).Find(&last).Error; err != nil {
		return err
	}
	if len(last) == 1 && now.Sub(last[0].CreatedAt) < iv {
		return fail("SYSTEM_EXCEPTION", "refunds of one partner must be at least "+iv.String()+
			" apart (the previous one at "+payment.FormatTime(last[0].CreatedAt)+"); retry with the same out_return_no")
	}
	return nil
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
