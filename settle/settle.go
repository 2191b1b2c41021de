// Package settle decides what Alipay's word does to an order. It verifies
// an asynchronous notification (the signature, with the configured
// algorithm only, then notify_verify where configured), checks that it is
// provably for this merchant and recent, maps it to a payment event and
// applies that exactly once through the store, recording every genuine
// notification raw with its verdict. A verified single_trade_query answer
// takes the same path.
//
// The rule for applying a notification: its signature verifies, and either
// its seller_id or partner is this merchant's PID, or notify_verify says
// Alipay issued it to this merchant. Anything else that verifies (another
// merchant's notification, none of those proofs, a notify_time more than a
// day old or in the future, a field the shop cannot read) is recorded and
// flagged for a person, never paid, and answered "success" so that Alipay
// stops resending it. What does not verify is only counted (see rejects),
// since anybody can send it.
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
	ApplyRefundNotification(ctx context.Context, n *models.Notification, out models.RefundOutcome) (models.Verdict, error)
	RecordUnapplied(ctx context.Context, n *models.Notification) error
	RecordRejects(ctx context.Context, reason string, count int64, at time.Time, remote, sample string) error
	PruneRejects(ctx context.Context, before time.Time) (int64, error)
}

// Alipay is what settling needs from the Alipay client.
type Alipay interface {
	ParseNotification(body []byte, contentType string) (*payment.Notification, error)
	ParseRefundNotification(body []byte, contentType string) (*payment.RefundNotification, error)
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
	// Partner is this merchant's PID: a notification naming it (seller_id
	// or partner) is bound to this merchant.
	Partner string
	// NotifyVerify asks Alipay, with notify_verify, whether it sent each
	// notification; a positive answer also binds it to this merchant.
	NotifyVerify bool
	Logger       *slog.Logger
	Now          func() time.Time // nil means time.Now
}

// Settler applies what Alipay says to orders.
type Settler struct {
	store        Store
	alipay       Alipay
	partner      string
	notifyVerify bool
	log          *slog.Logger
	now          func() time.Time
	rejects      rejects
}

// New returns a Settler.
func New(cfg Config) *Settler {
	s := &Settler{store: cfg.Store, alipay: cfg.Alipay, partner: cfg.Partner, notifyVerify: cfg.NotifyVerify,
		log: cfg.Logger, now: cfg.Now}
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

// How old a notification may be: Alipay resends the same body (the same
// notify_time) for about 24h22m, and the two clocks may differ a little.
const (
	maxNotifyAge = 26 * time.Hour
	clockSkew    = 10 * time.Minute
)

// Notify verifies one notification and applies it, recording it raw with
// its verdict in the same transaction as its effect. A nil error means
// both are committed: only then may Alipay be told "success". Errors wrap
// ErrRejected (forged or disowned: counted or recorded, never applied) or
// ErrDeferred (recorded, to be sent again); any other error means nothing
// was written.
func (s *Settler) Notify(ctx context.Context, r Receipt) (models.Verdict, error) {
	// A refund's result arrives at the same notify_url: it goes its own
	// way (see notifyRefund), and cannot reach ApplyPayment. What cannot
	// be told apart goes to the trade parser, which refuses it.
	if kind, err := payment.NotificationKind(r.Body, r.ContentType); err == nil && kind == payment.NotifyRefund {
		return s.notifyRefund(ctx, r)
	}
	now := s.now()
	n, err := s.alipay.ParseNotification(r.Body, r.ContentType)
	if err != nil && (n == nil || !n.Verified) {
		// Anybody can send this: count it, keep a short sample, store
		// nothing more.
		s.rejects.add(rejectReason(err), now, r.RemoteAddr, r.Body)
		return models.VerdictRejected, fmt.Errorf("%w: %v", ErrRejected, err)
	}
	rec := &models.Notification{ReceivedAt: now, RemoteAddr: r.RemoteAddr, ContentType: r.ContentType,
		Body: string(r.Body), NotifyID: n.NotifyID, OutTradeNo: n.OutTradeNo, TradeNo: n.TradeNo,
		TradeStatus: string(n.TradeStatus)}
	if rec.TradeStatus == "" {
		rec.TradeStatus = n.Params["trade_status"]
	}
	switch {
	case errors.Is(err, payment.ErrPartner):
		return s.flagged(ctx, rec, models.VerdictUnbound, "Signed by Alipay for another merchant: "+err.Error())
	case err != nil:
		return s.flagged(ctx, rec, models.VerdictUnreadable, "The signature verified but the content could not be read: "+err.Error())
	}
	bound := n.SellerID == s.partner || n.Params["partner"] == s.partner
	if ok, v, err := s.admit(ctx, rec, n.NotifyID, bound, n.NotifyTime, now, "notification"); !ok {
		return v, err
	}
	p := PaymentOf(n)
	p.NotifiedAt = n.NotifyTime
	verdict, _, err := s.store.ApplyPayment(ctx, rec, p)
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

// admit makes the checks every verified notification, of a trade or of a
// refund, must pass before it may change anything: it is provably for this
// merchant (bound: its seller_id or partner is ours; or notify_verify,
// where configured, says Alipay issued its notify_id to us) and its
// notify_time is plausible. A notification that fails is recorded with its
// verdict, and admit returns false with the answer for Alipay. what names
// the notification in the record's detail.
func (s *Settler) admit(ctx context.Context, rec *models.Notification, notifyID string, bound bool,
	notifyTime, now time.Time, what string) (bool, models.Verdict, error) {
	if s.notifyVerify {
		switch err := s.alipay.NotifyVerify(ctx, notifyID); {
		case errors.Is(err, payment.ErrNotifyNotVerified):
			v, err := s.unapplied(ctx, rec, models.VerdictRejected, ErrRejected,
				"notify_verify answered false: forged, expired or for another partner")
			return false, v, err
		case errors.Is(err, payment.ErrInvalid):
			// A notify_id Alipay could never have issued: asking again
			// later cannot help, so it is rejected, not deferred.
			v, err := s.unapplied(ctx, rec, models.VerdictRejected, ErrRejected, "malformed notify_id: "+err.Error())
			return false, v, err
		case err != nil:
			s.log.Warn("notify: notify_verify unavailable", "err", err)
			v, err := s.unapplied(ctx, rec, models.VerdictDeferred, ErrDeferred,
				"notify_verify unreachable; not applied, Alipay will send it again")
			return false, v, err
		}
		bound = true // Alipay issued this notify_id to this partner
	}
	if !bound {
		v, err := s.flagged(ctx, rec, models.VerdictUnbound,
			"Nothing proves this "+what+" is for this merchant: no seller_id or partner, and notify_verify is off.")
		return false, v, err
	}
	if age := now.Sub(notifyTime); age > maxNotifyAge || age < -clockSkew {
		v, err := s.flagged(ctx, rec, models.VerdictStale, fmt.Sprintf("notify_time %s is not plausible at %s: a replay?",
			payment.FormatTime(notifyTime), payment.FormatTime(now)))
		return false, v, err
	}
	return true, "", nil
}

// flagged records a genuine notification that cannot be applied, for a
// person, and answers success: sending it again would not change that.
func (s *Settler) flagged(ctx context.Context, rec *models.Notification, v models.Verdict, why string) (models.Verdict, error) {
	rec.Verdict, rec.Detail = v, why
	if err := s.store.RecordUnapplied(ctx, rec); err != nil {
		return "", err
	}
	s.log.Warn("notify: needs review", "out_trade_no", rec.OutTradeNo, "verdict", v, "why", why)
	return v, nil
}

// rejectReason names the kind of failure for the tally.
func rejectReason(err error) string {
	switch {
	case errors.Is(err, payment.ErrSignType):
		return "sign_type"
	case errors.Is(err, payment.ErrSignature):
		return "signature"
	case errors.Is(err, payment.ErrMalformed):
		return "malformed"
	}
	return "unverifiable"
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
