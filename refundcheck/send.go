package refundcheck

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"shop/models"
	"shop/payment"
)

// Outcome is what became of a refund sent to Alipay.
type Outcome int

const (
	// Unanswered: no answer that can be trusted (none, a 5xx, one that
	// cannot be read or verified, or SYSTEM_ERROR). Alipay may have made
	// the refund, so it stays pending with its amount reserved, and it is
	// sent again later: forex_refund treats the same out_return_no with the
	// same data as the same refund.
	Unanswered Outcome = iota
	// Done: Alipay made the refund (is_sync=Y).
	Done
	// Accepted: Alipay accepted an is_sync=N refund and makes it later.
	Accepted
	// Refused: Alipay refused it for good, or the request could not be
	// made; the amount is released.
	Refused
)

// SendStore is what sending needs from the database.
type SendStore interface {
	AcceptRefund(ctx context.Context, outReturnNo string, nextCheck time.Time) (*models.Refund, error)
	FinishRefund(ctx context.Context, outReturnNo string, ok bool, code, message string) (*models.Refund, error)
}

// SendAlipay is what sending needs from the Alipay client.
type SendAlipay interface {
	Refund(ctx context.Context, r payment.RefundRequest) (*payment.RefundResult, error)
}

// SenderConfig configures a Sender.
type SenderConfig struct {
	Store  SendStore
	Alipay SendAlipay
	// NotifyURL is where Alipay sends the result of an asynchronous refund
	// (the shop's /alipay/notify).
	NotifyURL string
	Logger    *slog.Logger
	Now       func() time.Time // nil means time.Now
}

// Sender sends stored refunds to Alipay and records the answers. The admin
// sends a refund when a person asks for it; the Checker sends again the
// refunds Alipay has not answered.
type Sender struct {
	store     SendStore
	alipay    SendAlipay
	notifyURL string
	log       *slog.Logger
	now       func() time.Time
}

// NewSender returns a Sender.
func NewSender(cfg SenderConfig) *Sender {
	s := &Sender{store: cfg.Store, alipay: cfg.Alipay, notifyURL: cfg.NotifyURL, log: cfg.Logger, now: cfg.Now}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Send sends the stored refund r of the order orderNo, paid on channel,
// and records Alipay's answer. The error is only for an answer that could
// not be recorded; the refund then stays pending, and sending it again
// records it.
//
// Only a definite answer finishes a refund: success, or a refusal that
// sending the same again would not change (a *payment.GatewayError that is
// not Retryable), which releases the amount. Anything else is Unanswered.
func (s *Sender) Send(ctx context.Context, r *models.Refund, orderNo string, channel models.Channel) (Outcome, error) {
	res, err := s.alipay.Refund(ctx, Request(r, orderNo, channel, s.notifyURL))
	var ge *payment.GatewayError
	switch {
	case err == nil && res.Accepted:
		_, err = s.store.AcceptRefund(ctx, r.OutReturnNo, s.now().Add(FirstCheck))
		return Accepted, err
	case err == nil:
		_, err = s.store.FinishRefund(ctx, r.OutReturnNo, true, "", "")
		return Done, err
	case errors.As(err, &ge) && !ge.Retryable():
		s.log.Warn("refund refused by Alipay", "out_return_no", r.OutReturnNo, "code", ge.Code)
		_, err = s.store.FinishRefund(ctx, r.OutReturnNo, false, ge.Code, payment.ErrorDescription(ge.Code))
		return Refused, err
	case errors.Is(err, payment.ErrInvalid):
		// Refused before anything was sent: the same request would be
		// refused again, so the amount is released.
		s.log.Error("refund not sent: invalid request", "out_return_no", r.OutReturnNo, "err", err)
		_, err = s.store.FinishRefund(ctx, r.OutReturnNo, false, "INVALID_REQUEST", err.Error())
		return Refused, err
	}
	s.log.Warn("refund outcome unknown; left pending", "out_return_no", r.OutReturnNo, "err", err)
	return Unanswered, nil
}

// Request is the forex_refund for a stored refund, the same on every
// attempt: gmt_return is the time the refund was stored, and an
// asynchronous one names notifyURL for its result.
func Request(r *models.Refund, orderNo string, channel models.Channel, notifyURL string) payment.RefundRequest {
	product := payment.ProductWAP // wap and app payments
	if channel == models.ChannelWeb {
		product = payment.ProductPC
	}
	req := payment.RefundRequest{
		OutReturnNo: r.OutReturnNo, OutTradeNo: orderNo, Currency: payment.Currency(r.Currency),
		Amount: r.AmountMinor, Reason: r.Reason, RequestedAt: r.CreatedAt, ProductCode: product, IsSync: !r.IsAsync,
	}
	if r.IsAsync {
		req.NotifyURL = notifyURL
	}
	return req
}
