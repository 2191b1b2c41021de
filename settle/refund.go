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
	if ok, v, err := s.admit(ctx, rec, n.NotifyID, bound, n.NotifyTime, now, "refund result"); !ok {
		return v, err
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
