package handlers

import (
	"context"
	"errors"
	"time"

	"shop/models"
	"shop/payment"
)

// Grace periods past an order's local expiry. Alipay creates its trade
// only when the buyer logs in to the cashier (until then a query answers
// TRADE_NOT_EXIST) and may count the timeout from then, so a buyer who
// opened the cashier just before the local expiry can still pay: closing
// too early would turn that payment into a "payment after close".
const (
	notExistGrace = 5 * time.Minute // no trade at Alipay: nobody is paying
	waitingGrace  = time.Hour       // WAIT_BUYER_PAY: the buyer is in the cashier
)

// Reconcile runs until ctx is done, every interval settling pending orders
// past their expiry with single_trade_query: paid ones become paid (a
// verified query answer counts like a notification), unpaid ones close and
// give their stock back.
func (s *Server) Reconcile(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := s.ReconcileOnce(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("reconcile", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ReconcileOnce settles the expired pending orders once.
func (s *Server) ReconcileOnce(ctx context.Context) error {
	now := s.now()
	orders, err := s.store.ExpiredPending(ctx, now, 100)
	if err != nil {
		return err
	}
	var errs []error
	for i := range orders {
		if err := s.reconcile(ctx, &orders[i], now); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (s *Server) reconcile(ctx context.Context, o *models.Order, now time.Time) error {
	tr, err := s.alipay.QueryTrade(ctx, payment.QueryRequest{OutTradeNo: o.OrderNo})
	switch {
	case errors.Is(err, payment.ErrTradeNotExist):
		if now.Before(o.ExpiresAt.Add(notExistGrace)) {
			return nil
		}
		_, err = s.store.CloseOrder(ctx, o.OrderNo, "expired; Alipay has no trade")
		return err
	case err != nil:
		return err // Alipay unreachable: try again next round
	}
	switch {
	case tr.TradeStatus.Paid():
		amount, err := tr.AmountIn(payment.Currency(o.Currency))
		if err != nil {
			return err
		}
		rec := &models.Notification{ReceivedAt: now, ContentType: "single_trade_query", Body: tr.Fields.Encode(),
			OutTradeNo: tr.OutTradeNo, TradeNo: tr.TradeNo, TradeStatus: string(tr.TradeStatus)}
		_, _, err = s.store.ApplyPayment(ctx, rec, models.Payment{OrderNo: o.OrderNo, TradeNo: tr.TradeNo,
			Event: models.EventPaid, AmountMinor: amount.Minor, Currency: o.Currency, At: tr.GmtPayment})
		return err
	case tr.TradeStatus == payment.TradeClosed || now.After(o.ExpiresAt.Add(waitingGrace)):
		_, err := s.store.CloseOrder(ctx, o.OrderNo, "expired; Alipay says "+string(tr.TradeStatus))
		return err
	}
	return nil // WAIT_BUYER_PAY within the grace period: ask again later
}
