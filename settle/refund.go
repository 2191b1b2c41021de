package settle

import (
	"context"
	"errors"
	"fmt"

	"shop/models"
	"shop/payment"
)

// notifyRefund verifies a refund notification and applies it to its
// refund, with the rules of a trade notification: the signature with the
// configured sign type only (what does not verify is only counted), the
// partner, notify_verify where configured, a plausible notify_time; then
// the refund, its order, amount and currency. It is recorded raw with its
// verdict in the transaction that ends the refund. It can end a pending
// refund and nothing else: no path from here marks an order paid.
func (s *Settler) notifyRefund(ctx context.Context, r Receipt) (models.Verdict, error) {
	now := s.now()
	n, err := s.alipay.ParseRefundNotification(r.Body, r.ContentType)
	if err != nil && (n == nil || !n.Verified) {
		s.rejects.add(rejectReason(err), now, r.RemoteAddr, r.Body)
		return models.VerdictRejected, fmt.Errorf("%w: %v", ErrRejected, err)
	}
	rec := &models.Notification{ReceivedAt: now, RemoteAddr: r.RemoteAddr, ContentType: r.ContentType,
		Body: string(r.Body), NotifyID: n.NotifyID, OutTradeNo: n.OutTradeNo, OutReturnNo: n.OutReturnNo,
		TradeStatus: n.Params["refund_status"]}
	switch {
	case errors.Is(err, payment.ErrPartner):
		return s.flagged(ctx, rec, models.VerdictUnbound, "Refund result signed by Alipay for another merchant: "+err.Error())
	case err != nil:
		return s.flagged(ctx, rec, models.VerdictUnreadable, "The refund result's signature verified but its content could not be read: "+err.Error())
	}
	bound := n.Params["seller_id"] == s.partner || n.Params["partner"] == s.partner
	if s.notifyVerify {
		switch err := s.alipay.NotifyVerify(ctx, n.NotifyID); {
		case errors.Is(err, payment.ErrNotifyNotVerified):
			return s.unapplied(ctx, rec, models.VerdictRejected, ErrRejected,
				"notify_verify answered false: forged, expired or for another partner")
		case errors.Is(err, payment.ErrInvalid):
			return s.unapplied(ctx, rec, models.VerdictRejected, ErrRejected, "malformed notify_id: "+err.Error())
		case err != nil:
			s.log.Warn("notify: notify_verify unavailable", "err", err)
			return s.unapplied(ctx, rec, models.VerdictDeferred, ErrDeferred,
				"notify_verify unreachable; not applied, Alipay will send it again")
		}
		bound = true
	}
	if !bound {
		return s.flagged(ctx, rec, models.VerdictUnbound,
			"Nothing proves this refund result is for this merchant: no seller_id or partner, and notify_verify is off.")
	}
	if age := now.Sub(n.NotifyTime); age > maxNotifyAge || age < -clockSkew {
		return s.flagged(ctx, rec, models.VerdictStale, fmt.Sprintf("notify_time %s is not plausible at %s: a replay?",
			payment.FormatTime(n.NotifyTime), payment.FormatTime(now)))
	}
	out := models.RefundOutcome{OutTradeNo: n.OutTradeNo, OutReturnNo: n.OutReturnNo, OK: n.Status.Succeeded(),
		Code: n.ErrorCode}
	if n.Params["return_amount"] != "" {
		out.Currency, out.AmountMinor = string(n.Currency), n.Amount.Minor
	}
	v, err := s.store.ApplyRefundNotification(ctx, rec, out)
	if err != nil {
		return "", err
	}
	if v.Flagged() {
		s.log.Warn("notify: refund result needs review", "out_return_no", n.OutReturnNo, "verdict", v)
	} else {
		s.log.Info("notify: refund result", "out_return_no", n.OutReturnNo, "refund_status", n.Status, "verdict", v)
	}
	return v, nil
}
