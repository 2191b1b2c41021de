package models

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"gorm.io/gorm"
)

// CreateOrder creates a pending order, reserving stock, in one immediate
// transaction: either the order, its lines and every stock decrement are
// written, or nothing is. When n.CheckoutKey is set and the same owner
// already has an order with that key, that order is returned with
// created=false, so a double-submitted checkout creates one order.
//
// The key is looked up before the items are checked: a repeated submit
// finds its order even after the first one emptied the cart.
func (db *DB) CreateOrder(ctx context.Context, n NewOrder) (order *Order, created bool, err error) {
	order, created, err = db.createOrder(ctx, n)
	if err != nil && n.CheckoutKey != "" && errors.Is(err, gorm.ErrDuplicatedKey) {
		// Another instance inserted an order with the same key between
		// our lookup and our insert (PostgreSQL; SQLite's single writer
		// cannot): ours rolled back, stock included, and the lookup now
		// finds theirs.
		order, created, err = db.createOrder(ctx, n)
	}
	return order, created, err
}

func (db *DB) createOrder(ctx context.Context, n NewOrder) (order *Order, created bool, err error) {
	err = db.transaction(ctx, func(tx *gorm.DB) error {
		if n.CheckoutKey != "" {
			existing, err := orderByCheckoutKey(tx, n.OwnerID, n.CheckoutKey)
			if err == nil {
				order = existing
				return nil
			}
			if !errors.Is(err, ErrNotFound) {
				return err
			}
		}
		items, err := validateNewOrder(n)
		if err != nil {
			return err
		}
		if err := checkHeld(tx, n.ClientIP, items); err != nil {
			return err
		}
		o, err := buildOrder(tx, n, items)
		if err != nil {
			return err
		}
		if err := reserveStock(tx, o.Lines); err != nil {
			return err
		}
		if err := tx.Create(o).Error; err != nil {
			return fmt.Errorf("insert order: %w", err)
		}
		if err := recordEvent(tx, o.ID, KindCreated, "shopper", "Channel "+string(o.Channel)+"."); err != nil {
			return err
		}
		order, created = o, true
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("create order: %w", err)
	}
	return order, created, nil
}

// validateNewOrder checks what can be checked without the database and
// merges repeated product ids, keeping the first-seen order.
func validateNewOrder(n NewOrder) ([]Item, error) {
	if !n.Channel.Valid() {
		return nil, fmt.Errorf("%q: %w", n.Channel, ErrChannel)
	}
	if !currencyCode.MatchString(n.Currency) {
		return nil, fmt.Errorf("%q: %w", n.Currency, ErrCurrency)
	}
	if n.ExpiresAt.IsZero() {
		return nil, errors.New("expiry time not set")
	}
	if err := n.Shipping.Validate(); err != nil {
		return nil, err
	}
	if len(n.Items) == 0 {
		return nil, ErrEmptyOrder
	}
	var items []Item
	index := map[uint]int{}
	units := 0
	for _, it := range n.Items {
		units += it.Quantity
		if it.Quantity > 0 && units > MaxOrderUnits {
			return nil, fmt.Errorf("%d units or more: %w", units, ErrQuantity)
		}
		if it.Quantity < 1 || it.Quantity > MaxQuantity {
			return nil, fmt.Errorf("product %d quantity %d: %w", it.ProductID, it.Quantity, ErrQuantity)
		}
		if i, ok := index[it.ProductID]; ok {
			items[i].Quantity += it.Quantity
			if items[i].Quantity > MaxQuantity {
				return nil, fmt.Errorf("product %d quantity %d: %w", it.ProductID, items[i].Quantity, ErrQuantity)
			}
			continue
		}
		index[it.ProductID] = len(items)
		items = append(items, it)
	}
	return items, nil
}

// buildOrder prices the items from the stored products, and the shipping
// from the items, and returns the unsaved order with its lines.
func buildOrder(tx *gorm.DB, n NewOrder, items []Item) (*Order, error) {
	ids := make([]uint, len(items))
	for i, it := range items {
		ids[i] = it.ProductID
	}
	products, err := productsByID(tx, ids)
	if err != nil {
		return nil, fmt.Errorf("load products: %w", err)
	}
	o := &Order{
		OrderNo: newOrderNo(time.Now()), OwnerID: n.OwnerID, Channel: n.Channel,
		Status: StatusPending, Currency: n.Currency,
		Name: n.Name, Phone: n.Phone, Email: n.Email, Address: n.Address, ShipTo: n.ShipTo,
		ExpiresAt: n.ExpiresAt.UTC(), ClientIP: n.ClientIP, Lang: n.Lang,
	}
	if o.Lang == "" {
		o.Lang = "en"
	}
	if n.CheckoutKey != "" {
		key := n.CheckoutKey
		o.CheckoutKey = &key
	}
	for _, it := range items {
		p, ok := products[it.ProductID]
		if !ok {
			return nil, fmt.Errorf("product %d: %w", it.ProductID, ErrUnknownProduct)
		}
		if p.Currency != n.Currency {
			return nil, fmt.Errorf("%s priced in %s, order in %s: %w", p.Slug, p.Currency, n.Currency, ErrCurrency)
		}
		if p.Hidden {
			return nil, fmt.Errorf("product %d is hidden: %w", it.ProductID, ErrUnknownProduct)
		}
		line := OrderLine{ProductID: p.ID, Name: p.Name, NameZH: p.NameZH, UnitMinor: p.PriceMinor, Quantity: it.Quantity}
		o.TotalMinor, err = addLine(o.TotalMinor, line.UnitMinor, line.Quantity)
		if err != nil {
			return nil, err
		}
		o.Lines = append(o.Lines, line)
	}
	// Shipping is priced here, from the items just priced, in the same
	// transaction: the client never names it.
	if o.TotalMinor, o.ShippingMinor, err = addShipping(o.TotalMinor, n.Shipping); err != nil {
		return nil, err
	}
	return o, nil
}

// checkHeld refuses an order that would take the units held by client's
// pending, unexpired orders over MaxHeldUnits. It runs inside the order's
// write transaction, so two checkouts of one client cannot both pass it.
func checkHeld(tx *gorm.DB, client string, items []Item) error {
	if client == "" {
		return nil
	}
	// Two instances checking one client's share take turns.
	if err := lockKey(tx, "held:"+client); err != nil {
		return fmt.Errorf("units held by client: %w", err)
	}
	want := 0
	for _, it := range items {
		want += it.Quantity
	}
	var held int64
	err := tx.Raw(`SELECT COALESCE(SUM(l.quantity), 0) FROM order_lines l JOIN orders o ON o.id = l.order_id
		WHERE o.client_ip = ? AND o.status = ? AND o.expires_at > ?`, client, StatusPending, tx.NowFunc()).Scan(&held).Error
	if err != nil {
		return fmt.Errorf("units held by client: %w", err)
	}
	if held+int64(want) > MaxHeldUnits {
		return fmt.Errorf("%d held, %d more asked: %w", held, want, ErrHoldLimit)
	}
	return nil
}

// addLine returns total + unit*qty, or ErrTotal when that would not fit in
// an int64 or an operand is not positive.
func addLine(total, unit int64, qty int) (int64, error) {
	q := int64(qty)
	if unit <= 0 || q <= 0 || total < 0 || unit > math.MaxInt64/q {
		return 0, ErrTotal
	}
	line := unit * q
	if total > math.MaxInt64-line {
		return 0, ErrTotal
	}
	return total + line, nil
}

// reserveStock takes each line's quantity from stock. The conditional
// update makes the check and the decrement one statement, so stock can
// never go negative whatever else runs concurrently. Products are taken in
// id order, as everywhere stock changes, so that two orders listing the
// same products in opposite orders cannot deadlock on PostgreSQL.
func reserveStock(tx *gorm.DB, lines []OrderLine) error {
	byID := slices.Clone(lines)
	slices.SortFunc(byID, func(a, b OrderLine) int { return cmp.Compare(a.ProductID, b.ProductID) })
	for _, l := range byID {
		res := tx.Exec("UPDATE products SET stock = stock - ?, updated_at = ? WHERE id = ? AND stock >= ?",
			l.Quantity, tx.NowFunc(), l.ProductID, l.Quantity)
		if res.Error != nil {
			return fmt.Errorf("reserve product %d: %w", l.ProductID, res.Error)
		}
		if res.RowsAffected == 0 {
			var p Product
			if err := tx.Select("stock").Take(&p, l.ProductID).Error; err != nil {
				return fmt.Errorf("reserve product %d: %w", l.ProductID, notFound(err))
			}
			return &StockError{ProductID: l.ProductID, Name: l.Name, Available: p.Stock}
		}
	}
	return nil
}

// orderNoEncoding is base32 without padding: A-Z and 2-7 only, so an order
// number is letters and digits, as Alipay's out_trade_no requires.
var orderNoEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newOrderNo returns the UTC date followed by 16 base32 characters of
// crypto/rand (80 bits): sortable by day for people, unguessable in URLs.
func newOrderNo(now time.Time) string {
	var b [10]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+).
	return now.UTC().Format("20060102") + orderNoEncoding.EncodeToString(b[:])
}

// closeOrder moves a pending order to closed and gives its stock back. It
// reports false, changing nothing, when the order was not pending.
func closeOrder(tx *gorm.DB, orderID uint, reason string) (bool, error) {
	now := tx.NowFunc()
	res := tx.Model(&Order{}).Where("id = ? AND status = ?", orderID, StatusPending).
		Updates(map[string]any{"status": StatusClosed, "closed_at": now, "close_reason": reason, "updated_at": now})
	if res.Error != nil {
		return false, fmt.Errorf("close order %d: %w", orderID, res.Error)
	}
	if res.RowsAffected == 0 {
		return false, nil
	}
	if err := recordEvent(tx, orderID, KindClosed, "shop", reason); err != nil {
		return false, err
	}
	var lines []OrderLine
	if err := tx.Where("order_id = ?", orderID).Order("product_id").Find(&lines).Error; err != nil {
		return false, fmt.Errorf("close order %d: load lines: %w", orderID, err)
	}
	for _, l := range lines {
		err := tx.Exec("UPDATE products SET stock = stock + ?, updated_at = ? WHERE id = ?",
			l.Quantity, now, l.ProductID).Error
		if err != nil {
			return false, fmt.Errorf("close order %d: restock product %d: %w", orderID, l.ProductID, err)
		}
	}
	return true, nil
}
