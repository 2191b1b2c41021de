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

// Grace is how long past an order's expiry the reconciler waits before it
// asks. Every payment request carries the order's expiry as an absolute
// deadline, so Alipay takes no payment after it; the grace covers the two
// clocks disagreeing and a payment made at the last second whose
// notification is still on its way. Stock held by an abandoned order is
// back on sale within Grace plus one reconciler interval of its expiry.
const Grace = 2 * time.Minute

// batch is how many expired orders one round looks at.
const batch = 100

// Store is what the reconciler needs from the database.
type Store interface {
	ExpiredPending(ctx context.Context, now time.Time, limit int) ([]models.Order, error)
	CloseOrder(ctx context.Context, orderNo, reason string) (bool, error)
	RecordEvent(ctx context.Context, orderNo string, kind models.EventKind, actor, detail string, once bool) error
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
	// TryLease takes the reconciler's lease (models.DB.TryLease): with
	// several instances, only the one holding it reconciles, so no order is
	// queried twice in one interval. nil means this instance always may.
	TryLease func(ctx context.Context) (*models.Lease, error)
	Logger   *slog.Logger
	Now      func() time.Time // nil means time.Now
}

// Reconciler settles expired pending orders.
type Reconciler struct {
	tryLease func(ctx context.Context) (*models.Lease, error)
	store    Store
	alipay   Alipay
	settler  *settle.Settler
	log      *slog.Logger
	now      func() time.Time
}

// New returns a Reconciler.
func New(cfg Config) *Reconciler {
	r := &Reconciler{store: cfg.Store, alipay: cfg.Alipay, settler: cfg.Settler, log: cfg.Logger, now: cfg.Now,
		tryLease: cfg.TryLease}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.now == nil {
		r.now = time.Now
	}
	return r
}

// Run reconciles every interval until ctx is done, in the one instance
// that holds the lease; the others try to take it over every interval, so
// a killed leader is replaced within one.
func (r *Reconciler) Run(ctx context.Context, interval time.Duration) {
	models.RunLeased(ctx, interval, r.tryLease, r.log, "reconcile", r.Once)
}

// Once settles the expired pending orders once.
func (r *Reconciler) Once(ctx context.Context) error {
	now := r.now()
	orders, err := r.store.ExpiredPending(ctx, now.Add(-Grace), batch)
	if err != nil {
		return err
	}
	var errs []error
	for i := range orders {
		if err := r.order(ctx, &orders[i]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (r *Reconciler) order(ctx context.Context, o *models.Order) error {
	tr, err := r.alipay.QueryTrade(ctx, payment.QueryRequest{OutTradeNo: o.OrderNo})
	r.event(ctx, o.OrderNo, tr, err)
	switch {
	case errors.Is(err, payment.ErrTradeNotExist):
		_, err = r.store.CloseOrder(ctx, o.OrderNo, "expired; Alipay has no trade")
		return err
	case err != nil:
		return err // Alipay unreachable: try again next round
	}
	if tr.TradeStatus.Paid() {
		_, err := r.settler.ApplyTrade(ctx, o, tr)
		return err
	}
	// Closed, or still waiting past the deadline Alipay was given: it
	// will not take a payment for this trade any more.
	_, err = r.store.CloseOrder(ctx, o.OrderNo, "expired; Alipay says "+string(tr.TradeStatus))
	return err
}

// event adds the query and its answer to the order's timeline.
func (r *Reconciler) event(ctx context.Context, orderNo string, tr *payment.Trade, err error) {
	detail := "single_trade_query: "
	switch {
	case err != nil:
		detail += err.Error()
	default:
		detail += string(tr.TradeStatus)
	}
	if err := r.store.RecordEvent(ctx, orderNo, models.KindQueried, "reconciler", detail, false); err != nil {
		r.log.Error("reconcile: order event", "order_no", orderNo, "err", err)
	}
}
