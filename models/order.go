package models

import (
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Status is an order's state; see the order state machine in the
// architecture notes (pending -> paid -> refunded, pending -> closed).
type Status string

// The order states.
const (
	StatusPending  Status = "pending"
	StatusPaid     Status = "paid"
	StatusClosed   Status = "closed"
	StatusRefunded Status = "refunded"
)

// Channel is how an order is paid: the mobile web cashier, the desktop
// cashier, or the native app SDK.
type Channel string

// The channels.
const (
	ChannelWAP Channel = "wap"
	ChannelWeb Channel = "web"
	ChannelApp Channel = "app"
)

// Valid reports whether c is one of the channels.
func (c Channel) Valid() bool {
	return c == ChannelWAP || c == ChannelWeb || c == ChannelApp
}

// Order is a shopper's order. OrderNo is the out_trade_no sent to Alipay;
// TradeNo is Alipay's trade id, set once the order is paid.
type Order struct {
	ID      uint   `gorm:"primaryKey"`
	OrderNo string `gorm:"not null;size:64;uniqueIndex"`
	// OwnerID is the opaque id of the shopper's session.
	OwnerID string `gorm:"not null;index:idx_orders_owner_created,priority:1;uniqueIndex:idx_orders_owner_checkout_key,priority:1"`
	// CheckoutKey is the idempotency key of the checkout submit that created
	// the order; nil when the client sent none.
	CheckoutKey   *string `gorm:"uniqueIndex:idx_orders_owner_checkout_key,priority:2"`
	Channel       Channel `gorm:"not null;check:chk_orders_channel,channel IN ('wap','web','app')"`
	Status        Status  `gorm:"not null;index:idx_orders_status_expires,priority:1;check:chk_orders_status,status IN ('pending','paid','closed','refunded')"`
	Currency      string  `gorm:"not null;size:3"`
	TotalMinor    int64   `gorm:"not null;check:chk_orders_total,total_minor > 0"`
	RefundedMinor int64   `gorm:"not null;check:chk_orders_refunded,refunded_minor >= 0 AND refunded_minor <= total_minor"`
	Name          string  `gorm:"not null"`
	Phone         string  `gorm:"not null"`
	Email         string  `gorm:"not null"`
	// Address is the delivery address as one text: what the shopper typed
	// (older orders, API clients that send no parts), or ShipTo formatted.
	// The admin, receipts and e-mails read it.
	Address string `gorm:"not null"`
	// ShipTo is the delivery address in parts; empty for orders that gave
	// only Address.
	ShipTo PostalAddress `gorm:"embedded"`
	// ShippingMinor is the shipping charge, part of TotalMinor: the total
	// sent to Alipay is the items (ItemsMinor) plus shipping.
	ShippingMinor int64   `gorm:"not null;default:0;check:chk_orders_shipping,shipping_minor >= 0 AND shipping_minor < total_minor"`
	TradeNo       *string `gorm:"size:64;uniqueIndex"`
	PaidAt        *time.Time
	ClosedAt      *time.Time
	CloseReason   string    `gorm:"not null"`
	ExpiresAt     time.Time `gorm:"not null;index:idx_orders_status_expires,priority:2"`
	// Flagged orders need a person: amount mismatch, payment after close,
	// second payment. FlagReason says why.
	Flagged    bool   `gorm:"not null;index"`
	FlagReason string `gorm:"not null"`
	// Lang is the shopper's language at checkout ("en" or "zh"): the order's
	// pages, e-mails and the subject Alipay shows speak it.
	Lang string
	// ClientIP is the address the order came from: the units it holds
	// count against that client's share of the stock while it is pending.
	ClientIP string `gorm:"not null"`
	// Fulfilment, recorded beside the money state.
	ShippedAt   *time.Time
	Carrier     string
	TrackingNo  string
	RestockedAt *time.Time  // items returned to stock after a full refund
	Lines       []OrderLine `gorm:"constraint:OnDelete:CASCADE"`
	CreatedAt   time.Time   `gorm:"index:idx_orders_owner_created,priority:2"`
	UpdatedAt   time.Time
}

// ItemsMinor is what the order's lines cost together: the total without
// shipping.
func (o *Order) ItemsMinor() int64 {
	return o.TotalMinor - o.ShippingMinor
}

// OrderLine is one product in an order, with the name and unit price
// copied at order time so later catalog edits do not rewrite history.
type OrderLine struct {
	ID        uint     `gorm:"primaryKey"`
	OrderID   uint     `gorm:"not null;index"`
	ProductID uint     `gorm:"not null;index"`
	Product   *Product `gorm:"constraint:OnDelete:RESTRICT"`
	Name      string   `gorm:"not null"`
	NameZH    string   // the Chinese name at order time, "" when there was none
	UnitMinor int64    `gorm:"not null;check:chk_order_lines_unit,unit_minor > 0"`
	Quantity  int      `gorm:"not null;check:chk_order_lines_quantity,quantity > 0"`
}

// TotalMinor is the line's price: unit price times quantity.
func (l OrderLine) TotalMinor() int64 {
	return l.UnitMinor * int64(l.Quantity)
}

// Item is one product and quantity requested at checkout.
type Item struct {
	ProductID uint
	Quantity  int
}

// NewOrder is what CreateOrder needs to create an order. Prices are never
// taken from the client: they come from the stored products.
type NewOrder struct {
	OwnerID, CheckoutKey, Currency string
	Channel                        Channel
	Items                          []Item
	Name, Phone, Email, Address    string
	// ShipTo is the delivery address in parts, if the shopper gave them;
	// Address is then its formatted text.
	ShipTo PostalAddress
	// Shipping prices the delivery from the items' total; the zero value
	// ships free.
	Shipping  Shipping
	ExpiresAt time.Time
	// ClientIP is the client's address; when set, the order is refused if
	// that client's pending orders would hold more than MaxHeldUnits.
	ClientIP string
	// Lang is the shopper's language ("en" or "zh"; "" means "en").
	Lang string
}

// Bounds on what one order and one client can hold, so that an anonymous
// client cannot take the catalog off sale by reserving it: stock is held
// from checkout until the order is paid or closed.
const (
	// MaxQuantity is the largest quantity of one product in an order.
	MaxQuantity = 20
	// MaxOrderUnits is the most units, all products together, in one order.
	MaxOrderUnits = 30
	// MaxHeldUnits is the most units one client address may hold in
	// pending, unexpired orders at once.
	MaxHeldUnits = 60
)

// Errors returned by order operations. Callers match them with errors.Is.
var (
	ErrNotFound       = errors.New("not found")
	ErrEmptyOrder     = errors.New("order has no items")
	ErrQuantity       = fmt.Errorf("quantity must be between 1 and %d per product, and at most %d units in all", MaxQuantity, MaxOrderUnits)
	ErrHoldLimit      = fmt.Errorf("this client's unpaid orders already hold %d units or more", MaxHeldUnits)
	ErrCurrency       = errors.New("currency does not match")
	ErrUnknownProduct = errors.New("unknown product")
	ErrChannel        = errors.New("unknown channel")
	ErrOutOfStock     = errors.New("out of stock")
	ErrTotal          = errors.New("order total out of range")
	// ErrInvalid: an admin action's input is not acceptable.
	ErrInvalid = errors.New("invalid input")
	// ErrState: the order is not in a state that allows the action.
	ErrState = errors.New("not allowed in the order's state")
)

// StockError reports a product that has fewer units left than requested.
// errors.Is(err, ErrOutOfStock) is true for it.
type StockError struct {
	ProductID uint
	Name      string
	Available int
}

// Error says which product ran short and how many units are left.
func (e *StockError) Error() string {
	return fmt.Sprintf("%s (product %d): only %d left", e.Name, e.ProductID, e.Available)
}

// Is makes errors.Is(err, ErrOutOfStock) true.
func (e *StockError) Is(target error) bool {
	return target == ErrOutOfStock
}

// notFound turns GORM's not-found error into ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNotFound
	}
	return err
}
