// Package reconcile settles the orders Alipay never told the shop about:
// pending orders past their expiry are asked about with single_trade_query;
// paid ones become paid through package settle (a verified query answer
// counts like a notification), unpaid ones close and give their stock back.
package reconcile

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"shop/models"
	"shop/payment"
	"shop/settle"
)

// Grace periods past an order's local expiry. Alipay creates its trade
// only when the buyer logs in to the cashier (until then a query answers
// TRADE_NOT_EXIST) and may count the timeout from then, so a buyer who
// opened the cashier just before the local expiry can still pay: closing
// too early would turn that payment into a "payment after close".
const (
	NotExistGrace = 5 * time.Minute // no trade at Alipay: nobody is paying
	WaitingGrace  = time.Hour       // WAIT_BUYER_PAY: the buyer is in the cashier
)

// batch is how many expired orders one round looks at.
const batch = 100

// Store is what the reconciler needs from the database.
type Store interface {
	ExpiredPending(ctx context.Context, now time.Time, limit int) ([]models.Order, error)
	CloseOrder(ctx context.Context, orderNo, reason string) (bool, error)
}

// Alipay is what the reconciler needs from the Alipay client.
type Alipay interface {
	QueryTrade(ctx context.Context, q payment.QueryRequest) (*payment.Trade, error)
}

// Config configures a Reconciler.
type Config struct {
	Store   Store
	Alipay  Alipay
	Settler *settle.Settler
	Logger  *slog.Logger
	Now     func() time.Time // nil means time.Now
}

// Reconciler settles expired pending orders.
type Reconciler struct {
	store   Store
	alipay  Alipay
	settler *settle.Settler
	log     *slog.Logger
	now     func() time.Time
}

// New returns a Reconciler.
func New(cfg Config) *Reconciler {
	r := &Reconciler{store: cfg.Store, alipay: cfg.Alipay, settler: cfg.Settler, log: cfg.Logger, now: cfg.Now}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.now == nil {
		r.now = time.Now
	}
	return r
}

// Run reconciles every interval until ctx is done.
func (r *Reconciler) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := r.Once(ctx); err != nil && ctx.Err() == nil {
			r.log.Error("reconcile", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Once settles the expired pending orders once.
func (r *Reconciler) Once(ctx context.Context) error {
	now := r.now()
	orders, err := r.store.ExpiredPending(ctx, now, batch)
	if err != nil {
		return err
	}
	var errs []error
	for i := range orders {
		if err := r.order(ctx, &orders[i], now); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (r *Reconciler) order(ctx context.Context, o *models.Order, now time.Time) error {
	tr, err := r.alipay.QueryTrade(ctx, payment.QueryRequest{OutTradeNo: o.OrderNo})
	switch {
	case errors.Is(err, payment.ErrTradeNotExist):
		if now.Before(o.ExpiresAt.Add(NotExistGrace)) {
			return nil
		}
		_, err = r.store.CloseOrder(ctx, o.OrderNo, "expired; Alipay has no trade")
		return err
	case err != nil:
		return err // Alipay unreachable: try again next round
	}
	switch {
	case tr.TradeStatus.Paid():
		_, err := r.settler.ApplyTrade(ctx, o, tr)
		return err
	case tr.TradeStatus == payment.TradeClosed || now.After(o.ExpiresAt.Add(WaitingGrace)):
		_, err := r.store.CloseOrder(ctx, o.OrderNo, "expired; Alipay says "+string(tr.TradeStatus))
		return err
	}
	return nil // WAIT_BUYER_PAY within the grace period: ask again later
}
