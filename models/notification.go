package models

import "time"

// Verdict is what the shop decided about one payment notification.
type Verdict string

// The verdicts a notification can get.
const (
	// VerdictPaid: this notification marked the order paid.
	VerdictPaid Verdict = "paid"
	// VerdictDuplicate: the order was already paid with the same trade_no;
	// no second effect.
	VerdictDuplicate Verdict = "duplicate"
	// VerdictClosed: the notification closed a pending order.
	VerdictClosed Verdict = "closed"
	// VerdictIgnored: no effect (WAIT_BUYER_PAY, TRADE_CLOSED on a paid
	// order, an unknown trade status).
	VerdictIgnored Verdict = "ignored"
	// VerdictUnknownOrder: no order has this out_trade_no.
	VerdictUnknownOrder Verdict = "unknown_order"
	// VerdictMismatch: amount, currency or trade_no conflicts with the order.
	VerdictMismatch Verdict = "mismatch"
	// VerdictAfterClose: a payment for an order that was already closed.
	VerdictAfterClose Verdict = "after_close"
	// VerdictSecondPayment: a paid order paid again under another trade_no.
	VerdictSecondPayment Verdict = "second_payment"
	// VerdictRejected: the notification failed verification (signature,
	// malformed body, notify_verify answered false).
	VerdictRejected Verdict = "rejected"
	// VerdictDeferred: not applied because it could not be checked yet
	// (notify_verify unreachable); the shop answered with a 5xx and Alipay
	// sends the same notification again.
	VerdictDeferred Verdict = "deferred"
	// VerdictUnbound: the signature verified, but nothing proves the
	// notification is for this merchant (no seller_id or partner of ours,
	// no positive notify_verify), or it names another merchant.
	VerdictUnbound Verdict = "unbound"
	// VerdictStale: the signature verified but notify_time is implausible
	// (long past, in the future, or before the order existed): a replay.
	VerdictStale Verdict = "stale"
	// VerdictUnreadable: the signature verified but a field is missing or
	// in a format the shop cannot compare with the order.
	VerdictUnreadable Verdict = "unreadable"
	// VerdictRefunded: a refund notification ended a pending refund as
	// made.
	VerdictRefunded Verdict = "refunded"
	// VerdictRefundFailed: a refund notification ended a pending refund
	// as failed; its amount can be refunded again.
	VerdictRefundFailed Verdict = "refund_failed"
	// VerdictUnknownRefund: no refund has the notification's
	// out_return_no.
	VerdictUnknownRefund Verdict = "unknown_refund"
)

// Flagged reports whether a notification with this verdict needs a person.
func (v Verdict) Flagged() bool {
	switch v {
	case VerdictUnknownOrder, VerdictMismatch, VerdictAfterClose, VerdictSecondPayment,
		VerdictUnbound, VerdictStale, VerdictUnreadable, VerdictUnknownRefund:
		return true
	}
	return false
}

// Notification is one asynchronous notification as received, kept raw for
// audit and support, with the verdict the shop reached about it. The
// string fields are copied from the body as received, for search.
type Notification struct {
	ID          uint      `gorm:"primaryKey"`
	ReceivedAt  time.Time `gorm:"not null;index"`
	RemoteAddr  string    `gorm:"not null"`
	ContentType string    `gorm:"not null"`
	Body        string    `gorm:"not null"`
	NotifyID    string    `gorm:"not null;index"`
	OutTradeNo  string    `gorm:"not null;index"`
	// OutReturnNo is the refund a refund notification is about; "" for a
	// trade's.
	OutReturnNo string  `gorm:"not null"`
	TradeNo     string  `gorm:"not null"`
	TradeStatus string  `gorm:"not null"`
	Verdict     Verdict `gorm:"not null;check:chk_notifications_verdict,verdict <> ''"`
	// Detail is a sentence for the admin explaining the verdict.
	Detail  string `gorm:"not null"`
	OrderID *uint  `gorm:"index"`
	Order   *Order `gorm:"constraint:OnDelete:SET NULL"`
	Flagged bool   `gorm:"not null"`
}

// PaymentEvent is what a verified notification says happened to a trade.
type PaymentEvent int

// The payment events. The HTTP layer maps TRADE_SUCCESS and TRADE_FINISHED
// to EventPaid, TRADE_CLOSED to EventClosed and anything else to EventOther.
const (
	EventOther PaymentEvent = iota
	EventPaid
	EventClosed
)

// String names the event for logs and messages.
func (e PaymentEvent) String() string {
	switch e {
	case EventPaid:
		return "paid"
	case EventClosed:
		return "closed"
	}
	return "other"
}

// Payment is the verified content of a notification that ApplyPayment acts
// on. AmountMinor is in minor units of Currency.
type Payment struct {
	OrderNo     string
	TradeNo     string
	Event       PaymentEvent
	AmountMinor int64
	Currency    string
	At          time.Time
	// NotifiedAt is when Alipay says it sent the notification (zero for a
	// query answer). A payment notified before its order existed is a
	// replay and is flagged, not applied.
	NotifiedAt time.Time
}
