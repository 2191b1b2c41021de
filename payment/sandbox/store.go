package sandbox

import (
	"time"
)

// Trade is a payment the sandbox gateway has accepted, keyed by partner and
// out_trade_no as Alipay keys them.
type Trade struct {
	ID          uint   `gorm:"primaryKey" json:"-"`
	Partner     string `gorm:"not null;uniqueIndex:idx_sandbox_trade_out,priority:1" json:"partner"`
	OutTradeNo  string `gorm:"not null;uniqueIndex:idx_sandbox_trade_out,priority:2" json:"out_trade_no"`
	Service     string `gorm:"not null" json:"service"`
	RequestHash string `gorm:"not null" json:"-"` // the same out_trade_no with other parameters is ALIN42282
	Token       string `gorm:"not null;uniqueIndex" json:"-"`

	Subject    string `json:"subject"`
	Body       string `json:"body,omitempty"`
	Supplier   string `json:"supplier,omitempty"`
	Currency   string `gorm:"not null" json:"currency"`
	TotalMinor int64  `json:"total_minor"` // in Currency; 0 when priced in CNY
	RMBMinor   int64  `json:"rmb_minor,omitempty"`
	NotifyURL  string `json:"notify_url,omitempty"`
	ReturnURL  string `json:"return_url,omitempty"`
	ReferURL   string `json:"refer_url,omitempty"`
	SignType   string `gorm:"not null" json:"sign_type"` // the merchant's; Alipay answers in kind
	Charset    string `gorm:"not null" json:"charset"`

	Status        string  `gorm:"not null;index" json:"trade_status"`
	TradeNo       *string `gorm:"uniqueIndex" json:"trade_no,omitempty"`
	BuyerID       string  `json:"buyer_id,omitempty"`
	BuyerEmail    string  `json:"buyer_email,omitempty"`
	Opened        bool    `json:"opened"` // the buyer opened the cashier: from then on queries find it
	RefundedMinor int64   `json:"refunded_minor"`
	// RefundPendingMinor is what asynchronous refunds still processing
	// will take: reserved, not yet refunded.
	RefundPendingMinor int64      `gorm:"not null" json:"refund_pending_minor"`
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"`
	ExpiresAt          time.Time  `gorm:"index" json:"expires_at"`
	PaidAt             *time.Time `json:"paid_at,omitempty"`
	ClosedAt           *time.Time `json:"closed_at,omitempty"`
}

// TableName keeps the sandbox's tables apart from the shop's.
func (Trade) TableName() string { return "sandbox_trades" }

// Notification is one asynchronous notification with its delivery attempts.
// Its body, notify_id included, is fixed when it is created: every retry
// sends the same bytes.
type Notification struct {
	ID            uint       `gorm:"primaryKey" json:"-"`
	NotifyID      string     `gorm:"not null;uniqueIndex" json:"notify_id"`
	Partner       string     `gorm:"not null" json:"partner"`
	TradeID       uint       `gorm:"not null;index" json:"-"`
	OutTradeNo    string     `gorm:"not null" json:"out_trade_no"`
	TradeStatus   string     `json:"trade_status"`
	Kind          string     `gorm:"not null" json:"kind"` // "trade", or "refund" for an asynchronous refund's result
	OutReturnNo   string     `json:"out_return_no,omitempty"`
	RefundStatus  string     `json:"refund_status,omitempty"` // REFUND_SUCCESS or REFUND_FAIL
	URL           string     `gorm:"not null" json:"url"`
	Body          string     `gorm:"not null" json:"body"`
	ContentType   string     `gorm:"not null" json:"content_type"`
	State         string     `gorm:"not null;index" json:"state"` // pending, delivered, gave_up
	Attempts      int        `json:"attempts"`                    // scheduled attempts made; manual ones are extra
	NextAt        *time.Time `gorm:"index" json:"next_at,omitempty"`
	LastAttemptAt *time.Time `json:"last_attempt_at,omitempty"`
	DeliveredAt   *time.Time `json:"delivered_at,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	Deliveries    []Attempt  `gorm:"foreignKey:NotificationID" json:"deliveries"`
}

// TableName keeps the sandbox's tables apart from the shop's.
func (Notification) TableName() string { return "sandbox_notifications" }

// Notification states.
const (
	statePending   = "pending"
	stateDelivered = "delivered"
	stateGaveUp    = "gave_up"
)

// Attempt is one POST of a notification to the merchant. ScheduledAt is
// when the retry schedule had it due and At when it went out, later if the
// notifier was busy or stopped; manual attempts, and those recorded before
// the sandbox kept the schedule, have no ScheduledAt.
type Attempt struct {
	ID             uint       `gorm:"primaryKey" json:"-"`
	NotificationID uint       `gorm:"not null;index" json:"-"`
	ScheduledAt    *time.Time `json:"scheduled_at,omitempty"`
	At             time.Time  `json:"at"`
	StatusCode     int        `json:"status_code"`
	Body           string     `json:"body"` // the first 200 bytes of the answer
	LatencyMS      int64      `json:"latency_ms"`
	Error          string     `json:"error,omitempty"`
	Success        bool       `json:"success"`
	Manual         bool       `json:"manual"`
}

// TableName keeps the sandbox's tables apart from the shop's.
func (Attempt) TableName() string { return "sandbox_notification_attempts" }

// Notification kinds.
const (
	kindTrade  = "trade"
	kindRefund = "refund"
)

// Refund is one forex_refund the sandbox accepted: executed at once
// (is_sync=Y) or, asynchronous, PROCESSING until DueAt and then SUCCESS or
// FAILED.
type Refund struct {
	ID          uint      `gorm:"primaryKey" json:"-"`
	Partner     string    `gorm:"not null;uniqueIndex:idx_sandbox_refund_out,priority:1" json:"partner"`
	OutReturnNo string    `gorm:"not null;uniqueIndex:idx_sandbox_refund_out,priority:2" json:"out_return_no"`
	TradeID     uint      `gorm:"not null;index" json:"-"`
	OutTradeNo  string    `gorm:"not null" json:"out_trade_no"`
	RequestHash string    `gorm:"not null" json:"-"`
	Currency    string    `json:"currency"`
	AmountMinor int64     `json:"amount_minor"` // in the trade's pricing currency
	Reason      string    `json:"reason,omitempty"`
	GmtReturn   string    `json:"gmt_return"`
	IsSync      bool      `json:"is_sync"`
	CreatedAt   time.Time `json:"created_at"` // on the sandbox's clock

	Status      string     `gorm:"not null" json:"status"` // SUCCESS, PROCESSING or FAILED (refund_result_code)
	ErrorCode   string     `json:"error_code,omitempty"`   // why it FAILED
	NotifyURL   string     `json:"notify_url,omitempty"`   // where its asynchronous result goes
	SignType    string     `json:"sign_type,omitempty"`    // of the request: the result is signed in kind
	Charset     string     `json:"charset,omitempty"`      // of the request
	DueAt       *time.Time `json:"due_at,omitempty"`       // when a PROCESSING refund completes
	CompletedAt *time.Time `json:"completed_at,omitempty"` // when it succeeded or failed
}

// Refund states, as alipay.acquire.refund.query names them.
const (
	refundSuccess    = "SUCCESS"
	refundProcessing = "PROCESSING"
	refundFailed     = "FAILED"
)

// TableName keeps the sandbox's tables apart from the shop's.
func (Refund) TableName() string { return "sandbox_refunds" }
