// Package refundcheck sends refunds to Alipay and follows each to its end.
//
// A refund is stored, with its out_return_no, before it is sent (package
// models); the Sender sends it and records the answer. Alipay's answer can
// be lost (a timeout, a 5xx, a crash before it was recorded): such a
// refund stays pending, its amount reserved, and the Checker sends it
// again, the same out_return_no with the same data, which Alipay treats as
// the same refund, until an answer ends it.
//
// A refund sent with is_sync=N that Alipay accepted stays pending until
// its refund notification arrives (package settle) or
// alipay.acquire.refund.query says it succeeded or failed; the Checker asks.
//
// The Checker works on a growing interval, in the one instance that holds
// its lease. Whichever answer comes first ends the refund; the store's
// conditional update makes the others no-ops.
package refundcheck

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"shop/models"
	"shop/payment"
)

// FirstCheck is how long after Alipay accepted a refund it is first asked
// about it: time for the refund notification to come first. A refund left
// unanswered is first sent again after the same time (models.RefundAnswerWait).
const FirstCheck = models.RefundAnswerWait

// maxBackoff bounds the interval between two checks of one refund.
// Alipay retries a refund held up by the merchant's balance every 6 hours.
const maxBackoff = 6 * time.Hour

// batch is how many refunds one round asks about.
const batch = 50

// source names the query on the order's timeline.
const source = "alipay.acquire.refund.query"

// Backoff is how long to wait before the next check of a refund asked
// about checks times already: FirstCheck, doubling each time, at most six
// hours.
func Backoff(checks int) time.Duration {
	d := FirstCheck
	for range min(checks, 16) {
		d *= 2
		if d >= maxBackoff {
			return maxBackoff
		}
	}
	return d
}

// Store is what the checker needs from the database.
type Store interface {
	SendStore
	DueRefundChecks(ctx context.Context, now time.Time, limit int) ([]models.RefundCheck, error)
	RefundChecked(ctx context.Context, outReturnNo string, next time.Time) error
	FinishRefundFrom(ctx context.Context, outReturnNo string, ok bool, code, message, source string) (*models.Refund, error)
}

// Alipay is what the checker needs from the Alipay client.
type Alipay interface {
	SendAlipay
	QueryRefund(ctx context.Context, q payment.RefundQueryRequest) (*payment.RefundQueryResult, error)
}

// Config configures a Checker.
type Config struct {
	Store  Store
	Alipay Alipay
	// TryLease takes the checker's lease (models.DB.TryLease): with several
	// instances only the one holding it asks. nil means this one always may.
	TryLease func(ctx context.Context) (*models.Lease, error)
	// NotifyURL is where Alipay sends the result of an asynchronous
	// refund sent again (the shop's /alipay/notify).
	NotifyURL string
	Logger    *slog.Logger
	Now       func() time.Time // nil means time.Now
}

// Checker sends again the refunds Alipay has not answered, and asks about
// the asynchronous ones it accepted.
type Checker struct {
	sender   *Sender
	store    Store
	alipay   Alipay
	tryLease func(ctx context.Context) (*models.Lease, error)
	log      *slog.Logger
	now      func() time.Time
}

// New returns a Checker.
func New(cfg Config) *Checker {
	c := &Checker{store: cfg.Store, alipay: cfg.Alipay, tryLease: cfg.TryLease, log: cfg.Logger, now: cfg.Now}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	c.sender = NewSender(SenderConfig{Store: cfg.Store, Alipay: cfg.Alipay, NotifyURL: cfg.NotifyURL, Logger: c.log, Now: c.now})
	return c
}

// Run checks every interval until ctx is done, in the instance that holds
// the lease; the others try to take it over every interval.
func (c *Checker) Run(ctx context.Context, interval time.Duration) {
	models.RunLeased(ctx, interval, c.tryLease, c.log, "refund check", c.Once)
}

// Once sends again, or asks about, every refund whose check is due now.
func (c *Checker) Once(ctx context.Context) error {
	now := c.now()
	due, err := c.store.DueRefundChecks(ctx, now, batch)
	if err != nil {
		return err
	}
	var errs []error
	for i := range due {
		if err := c.check(ctx, &due[i], now); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// check sends one unanswered refund again, or asks about one accepted
// asynchronous refund, and records the answer: an end (success, failure
// or cancellation) ends the refund, an acceptance schedules the first
// question; anything else (no answer again, processing, not found yet)
// schedules the next check.
func (c *Checker) check(ctx context.Context, r *models.RefundCheck, now time.Time) error {
	if r.AcceptedAt == nil {
		out, err := c.sender.Send(ctx, &r.Refund, r.OrderNo, r.Channel)
		if err != nil || out != Unanswered {
			return err
		}
		return c.store.RefundChecked(ctx, r.OutReturnNo, now.Add(Backoff(r.Checks)))
	}
	res, err := c.alipay.QueryRefund(ctx, payment.RefundQueryRequest{OutTradeNo: r.OrderNo, OutReturnNo: r.OutReturnNo})
	if err == nil {
		err = sameRefund(r, res)
	}
	switch {
	case err == nil && res.Status.Succeeded():
		_, err = c.store.FinishRefundFrom(ctx, r.OutReturnNo, true, "", "", source)
		return err
	case err == nil && res.Status.Failed():
		code := res.ErrorCode
		if code == "" {
			code = string(res.Status)
		}
		_, err = c.store.FinishRefundFrom(ctx, r.OutReturnNo, false, code, payment.ErrorDescription(code), source)
		return err
	case err != nil:
		c.log.Warn("refund check: no usable answer", "out_return_no", r.OutReturnNo, "err", err)
	}
	return c.store.RefundChecked(ctx, r.OutReturnNo, now.Add(Backoff(r.Checks)))
}

// sameRefund refuses an answer whose amount or currency, when it has them,
// is not the refund's: such an answer ends nothing.
func sameRefund(r *models.RefundCheck, res *payment.RefundQueryResult) error {
	if res.Currency == "" || res.Amount.Minor == 0 {
		return nil
	}
	if string(res.Currency) != r.Currency || res.Amount.Minor != r.AmountMinor {
		return fmt.Errorf("refund %s: Alipay reports %s, the shop asked for %d %s",
			r.OutReturnNo, res.Amount, r.AmountMinor, r.Currency)
	}
	return nil
}
