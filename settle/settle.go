// Package settle decides what Alipay's word does to an order. It verifies
// an asynchronous notification (the signature, with the configured
// algorithm only, then notify_verify where configured), maps it to a
// payment event and applies that exactly once through the store, recording
// every notification with its verdict. A verified single_trade_query answer
// takes the same path.
//
// It knows nothing of HTTP: the notify handler answers "success" when
// Notify returns no error, and "fail" with a status chosen from the error.
package settle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"shop/models"
	"shop/payment"
)

// Store is what settling needs from the database.
type Store interface {
	ApplyPayment(ctx context.Context, n *models.Notification, p models.Payment) (models.Verdict, *models.Order, error)
	RecordUnapplied(ctx context.Context, n *models.Notification) error
}

// Alipay is what settling needs from the Alipay client.
type Alipay interface {
	ParseNotification(body []byte, contentType string) (*payment.Notification, error)
	NotifyVerify(ctx context.Context, notifyID string) error
}

// Errors Notify returns once the notification is recorded. Any other error
// means it could not be recorded at all.
var (
	// ErrRejected: forged, malformed or disowned by notify_verify. Sending
	// it again cannot change the answer.
	ErrRejected = errors.New("notification rejected")
	// ErrDeferred: it could not be checked yet (notify_verify unreachable);
	// nothing was applied and Alipay should send it again.
	ErrDeferred = errors.New("notification not verified yet")
)

// Config configures a Settler.
type Config struct {
	Store  Store
	Alipay Alipay
	// NotifyVerify asks Alipay, with notify_verify, whether it sent each
	// notification.
	NotifyVerify bool
	Logger       *slog.Logger
	Now          func() time.Time // nil means time.Now
}

// Settler applies what Alipay says to orders.
type Settler struct {
	store        Store
	alipay       Alipay
	notifyVerify bool
	log          *slog.Logger
	now          func() time.Time
}

// New returns a Settler.
func New(cfg Config) *Settler {
	s := &Settler{store: cfg.Store, alipay: cfg.Alipay, notifyVerify: cfg.NotifyVerify, log: cfg.Logger, now: cfg.Now}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Receipt is a notification as it arrived.
type Receipt struct {
	Body        []byte
	ContentType string
	RemoteAddr  string
}

// Notify verifies one notification and applies it, recording it raw with
// its verdict in the same transaction as its effect. A nil error means
// both are committed: only then may Alipay be told "success". Errors wrap
// ErrRejected or ErrDeferred when the notification was recorded without
// effect; any other error means nothing was written.
func (s *Settler) Notify(ctx context.Context, r Receipt) (models.Verdict, error) {
	rec := &models.Notification{ReceivedAt: s.now(), RemoteAddr: r.RemoteAddr,
		ContentType: r.ContentType, Body: string(r.Body)}
	n, err := s.alipay.ParseNotification(r.Body, r.ContentType)
	if n != nil {
		rec.NotifyID, rec.OutTradeNo, rec.TradeNo = n.NotifyID, n.OutTradeNo, n.TradeNo
		rec.TradeStatus = string(n.TradeStatus)
		if rec.TradeStatus == "" {
			rec.TradeStatus = n.Params["trade_status"]
		}
	}
	if err != nil {
		return s.unapplied(ctx, rec, models.VerdictRejected, ErrRejected, "verification failed: "+err.Error())
	}
	if s.notifyVerify {
		switch err := s.alipay.NotifyVerify(ctx, n.NotifyID); {
		case errors.Is(err, payment.ErrNotifyNotVerified):
			return s.unapplied(ctx, rec, models.VerdictRejected, ErrRejected,
				"notify_verify answered false: forged, expired or for another partner")
		case errors.Is(err, payment.ErrInvalid):
			// A notify_id Alipay could never have issued: asking again
			// later cannot help, so it is rejected, not deferred.
			return s.unapplied(ctx, rec, models.VerdictRejected, ErrRejected, "malformed notify_id: "+err.Error())
		case err != nil:
			s.log.Warn("notify: notify_verify unavailable", "err", err)
			return s.unapplied(ctx, rec, models.VerdictDeferred, ErrDeferred,
				"notify_verify unreachable; not applied, Alipay will send it again")
		}
	}
	verdict, _, err := s.store.ApplyPayment(ctx, rec, PaymentOf(n))
	if err != nil {
		return "", err
	}
	if verdict.Flagged() {
		s.log.Warn("notify: needs review", "out_trade_no", n.OutTradeNo, "trade_no", n.TradeNo, "verdict", verdict)
	} else {
		s.log.Info("notify", "out_trade_no", n.OutTradeNo, "trade_status", n.TradeStatus, "verdict", verdict)
	}
	return verdict, nil
}

// unapplied records a notification that changes nothing and returns kind
// wrapped with why, or the storage error.
func (s *Settler) unapplied(ctx context.Context, rec *models.Notification, v models.Verdict, kind error, why string) (models.Verdict, error) {
	rec.Verdict, rec.Detail = v, why
	if err := s.store.RecordUnapplied(ctx, rec); err != nil {
		return "", err
	}
	return v, fmt.Errorf("%w: %s", kind, why)
}

// ApplyTrade applies a verified single_trade_query answer about order o:
// a paid trade goes through the same exactly-once path as a notification,
// recorded as one (content type "single_trade_query") so the order's
// history shows where the payment came from. Other statuses change
// nothing here and return "".
func (s *Settler) ApplyTrade(ctx context.Context, o *models.Order, tr *payment.Trade) (models.Verdict, error) {
	if !tr.TradeStatus.Paid() {
		return "", nil
	}
	amount, err := tr.AmountIn(payment.Currency(o.Currency))
	if err != nil {
		return "", fmt.Errorf("query answer for %s: %w", o.OrderNo, err)
	}
	rec := &models.Notification{ReceivedAt: s.now(), ContentType: "single_trade_query", Body: tr.Fields.Encode(),
		OutTradeNo: tr.OutTradeNo, TradeNo: tr.TradeNo, TradeStatus: string(tr.TradeStatus)}
	v, _, err := s.store.ApplyPayment(ctx, rec, models.Payment{OrderNo: o.OrderNo, TradeNo: tr.TradeNo,
		Event: models.EventPaid, AmountMinor: amount.Minor, Currency: o.Currency, At: tr.GmtPayment})
	return v, err
}

// PaymentOf maps a verified notification to the store's payment event:
// TRADE_SUCCESS and TRADE_FINISHED both mean paid.
func PaymentOf(n *payment.Notification) models.Payment {
	p := models.Payment{OrderNo: n.OutTradeNo, TradeNo: n.TradeNo, AmountMinor: n.Amount.Minor,
		Currency: string(n.Currency), At: n.GmtPayment, Event: models.EventOther}
	switch {
	case n.TradeStatus.Paid():
		p.Event = models.EventPaid
	case n.TradeStatus == payment.TradeClosed:
		p.Event = models.EventClosed
	}
	if p.At.IsZero() {
		p.At = n.NotifyTime
	}
	return p
}
