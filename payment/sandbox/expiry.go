package sandbox

import (
	"context"
	"time"

	"gorm.io/gorm"

	"shop/payment"
)

// maxClockSkew is how far in the sandbox's future an order_gmt_create may
// lie: a merchant's clock a little ahead is normal, an order created
// tomorrow is a bug (a local time sent as Beijing time, say) that would
// also push its deadline out. Alipay documents no limit; this is the
// sandbox's choice.
const maxClockSkew = 5 * time.Minute

// tradeExpiry is when an unpaid web trade closes. timeout_rule (12h when
// absent) counts from now, divided by the time scale. An absolute deadline,
// order_gmt_create + order_valid_time, is an instant on the merchant's
// clock and is never scaled: it applies alone when there is no
// timeout_rule, and the earlier of the two wins when there are both.
func (s *Sandbox) tradeExpiry(tr *payment.TradeRequest, now time.Time) (time.Time, error) {
	if !tr.OrderGMTCreate.IsZero() && tr.OrderGMTCreate.After(now.Add(maxClockSkew)) {
		return time.Time{}, fail("ILLEGAL_ARGUMENT", "order_gmt_create "+payment.FormatTime(tr.OrderGMTCreate)+
			" is in the future (Beijing time now: "+payment.FormatTime(now)+")")
	}
	deadline, hasDeadline := tr.Deadline()
	// In UTC like the sandbox's clock: SQLite compares expires_at as text.
	deadline = deadline.UTC()
	if hasDeadline && tr.TimeoutRule == "" {
		return deadline, nil
	}
	rule := tr.TimeoutRule
	if rule == "" {
		rule = "12h"
	}
	secs, _ := payment.ParseTimeout(rule) // validated by ParseTradeParams
	relative := now.Add(s.scaled(time.Duration(secs) * time.Second))
	if hasDeadline && deadline.Before(relative) {
		return deadline, nil
	}
	return relative, nil
}

// appExpiry is when an unpaid app trade closes: at an absolute it_b_pay as
// it is, or after a relative one (30 minutes when absent, as in Alipay's
// domestic docs), scaled.
func (s *Sandbox) appExpiry(req *payment.AppPayRequest, now time.Time) time.Time {
	if deadline, ok := req.Deadline(); ok {
		return deadline.UTC()
	}
	timeout := 30 * time.Minute
	if req.ItBPay != "" && req.ItBPay != "1c" {
		secs, _ := payment.ParseTimeout(req.ItBPay) // validated by ParseAppParams
		timeout = time.Duration(secs) * time.Second
	}
	return now.Add(s.scaled(timeout))
}

// closedFailure is what the buyer is shown for a trade that can no longer
// be paid, on every path: TRADE_HAS_CLOSE, Alipay's code for a closed
// trade, which its cashier shows for an expired order too.
func closedFailure() *gatewayError {
	return fail("TRADE_HAS_CLOSE", "This order has expired or been closed. Go back to the merchant to order again.")
}

// expiredUpdates close a trade at its expiry: gmt_close is the instant it
// expired, not when the sandbox noticed.
func expiredUpdates() map[string]any {
	return map[string]any{"status": string(payment.TradeClosed), "closed_at": gorm.Expr("expires_at")}
}

// closeIfExpired closes t if it is unpaid and past its expiry, as the
// sweeper would have at that instant: what the buyer and the merchant see
// must not depend on whether the sweeper has run yet.
func (s *Sandbox) closeIfExpired(ctx context.Context, t *Trade) (*Trade, error) {
	if t.Status != string(payment.WaitBuyerPay) || s.now().Before(t.ExpiresAt) {
		return t, nil
	}
	db := s.db.WithContext(ctx)
	if err := db.Model(&Trade{}).Where("id = ? AND status = ?", t.ID, payment.WaitBuyerPay).Updates(expiredUpdates()).Error; err != nil {
		return nil, err
	}
	var ct Trade
	if err := db.First(&ct, t.ID).Error; err != nil {
		return nil, err
	}
	return &ct, nil
}
