package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// OrderFilter selects orders for the admin's list and its CSV export.
type OrderFilter struct {
	Status Status    // "" for any
	From   time.Time // created at or after; zero for no bound
	To     time.Time // created before; zero for no bound
	// Query matches the order number or Alipay trade_no exactly, or the
	// shopper's name, phone or e-mail in part.
	Query string
	// Review keeps only orders with an open review.
	Review bool
}

func (f OrderFilter) apply(g *gorm.DB) *gorm.DB {
	if f.Status != "" {
		g = g.Where("status = ?", f.Status)
	}
	if !f.From.IsZero() {
		g = g.Where("created_at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		g = g.Where("created_at < ?", f.To.UTC())
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		// LOWER on both sides: SQLite's LIKE ignores case, PostgreSQL's
		// does not.
		like := "%" + strings.ToLower(escapeLike(q)) + "%"
		g = g.Where(`order_no = ? OR trade_no = ? OR LOWER(name) LIKE ? ESCAPE '\' OR LOWER(phone) LIKE ? ESCAPE '\' OR LOWER(email) LIKE ? ESCAPE '\'`,
			strings.ToUpper(q), q, like, like, like)
	}
	if f.Review {
		g = g.Where("flagged")
	}
	return g
}

// escapeLike makes s match itself in a LIKE pattern.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// ListOrders returns one page of the orders f selects, newest first, and
// how many it selects in all.
func (db *DB) ListOrders(ctx context.Context, f OrderFilter, page, perPage int) ([]Order, int64, error) {
	page, perPage = pageBounds(page, perPage)
	var total int64
	if err := f.apply(db.gorm.WithContext(ctx).Model(&Order{})).Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("list orders: %w", err)
	}
	var orders []Order
	err := f.apply(db.gorm.WithContext(ctx)).Order("created_at DESC, id DESC").
		Offset((page - 1) * perPage).Limit(perPage).Find(&orders).Error
	if err != nil {
		return nil, 0, fmt.Errorf("list orders: %w", err)
	}
	return orders, total, nil
}

// EachOrder calls fn with every order f selects, newest first, with its
// lines, reading them in batches: an export of any size holds one batch
// in memory. It stops at fn's first error.
func (db *DB) EachOrder(ctx context.Context, f OrderFilter, fn func(*Order) error) error {
	const batch = 200
	var last *Order
	for {
		g := f.apply(db.gorm.WithContext(ctx)).Preload("Lines", orderLinesByID)
		if last != nil {
			g = g.Where("(created_at < ? OR (created_at = ? AND id < ?))", last.CreatedAt, last.CreatedAt, last.ID)
		}
		var orders []Order
		if err := g.Order("created_at DESC, id DESC").Limit(batch).Find(&orders).Error; err != nil {
			return fmt.Errorf("export orders: %w", err)
		}
		for i := range orders {
			if err := fn(&orders[i]); err != nil {
				return err
			}
		}
		if len(orders) < batch {
			return nil
		}
		last = &orders[len(orders)-1]
	}
}

// Dashboard is the admin's summary.
type Dashboard struct {
	PaidToday, PaidMonth   int64 // minor units paid (refunds not deducted)
	CountToday, CountMonth int64 // orders paid
	RefundedMonth          int64 // minor units refunded this month
	ByStatus               map[Status]int64
	OpenReviews            int64
}

// Summary returns the dashboard figures. Days and months start at
// midnight in loc.
func (db *DB) Summary(ctx context.Context, now time.Time, loc *time.Location) (*Dashboard, error) {
	now = now.In(loc)
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc)
	d := &Dashboard{ByStatus: map[Status]int64{}}
	g := db.gorm.WithContext(ctx)
	type sum struct{ N, Total int64 }
	var s sum
	paid := "paid_at IS NOT NULL AND paid_at >= ? AND status IN ('paid','refunded')"
	if err := g.Model(&Order{}).Select("COUNT(*) AS n, COALESCE(SUM(total_minor), 0) AS total").Where(paid, day.UTC()).Scan(&s).Error; err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	d.CountToday, d.PaidToday = s.N, s.Total
	if err := g.Model(&Order{}).Select("COUNT(*) AS n, COALESCE(SUM(total_minor), 0) AS total").Where(paid, month.UTC()).Scan(&s).Error; err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	d.CountMonth, d.PaidMonth = s.N, s.Total
	err := g.Model(&Refund{}).Select("COALESCE(SUM(amount_minor), 0)").
		Where("status = ? AND updated_at >= ?", RefundSucceeded, month.UTC()).Scan(&d.RefundedMonth).Error
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	var rows []struct {
		Status Status
		N      int64
	}
	if err := g.Model(&Order{}).Select("status, COUNT(*) AS n").Group("status").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	for _, r := range rows {
		d.ByStatus[r.Status] = r.N
	}
	if d.OpenReviews, err = db.CountOpenReviews(ctx); err != nil {
		return nil, err
	}
	return d, nil
}

// DaySales is what was paid on one day.
type DaySales struct {
	Day    time.Time // midnight in the location asked for
	Orders int64
	Minor  int64
}

// DailySales returns the paid totals of the days ending with now's, days
// of them, oldest first; days with no sale are there with zeros.
func (db *DB) DailySales(ctx context.Context, now time.Time, loc *time.Location, days int) ([]DaySales, error) {
	now = now.In(loc)
	first := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc).AddDate(0, 0, -(days - 1))
	out := make([]DaySales, days)
	index := map[string]int{}
	for i := range out {
		out[i].Day = first.AddDate(0, 0, i)
		index[out[i].Day.Format(time.DateOnly)] = i
	}
	var paid []struct {
		PaidAt     time.Time
		TotalMinor int64
	}
	err := db.gorm.WithContext(ctx).Model(&Order{}).Select("paid_at, total_minor").
		Where("paid_at >= ? AND status IN ('paid','refunded')", first.UTC()).Scan(&paid).Error
	if err != nil {
		return nil, fmt.Errorf("daily sales: %w", err)
	}
	for _, p := range paid {
		if i, ok := index[p.PaidAt.In(loc).Format(time.DateOnly)]; ok {
			out[i].Orders++
			out[i].Minor += p.TotalMinor
		}
	}
	return out, nil
}

// Ship records that a paid order was handed to a carrier, with its
// tracking number, and audits it.
func (db *DB) Ship(ctx context.Context, orderNo, carrier, trackingNo string, a AuditEntry) (*Order, error) {
	carrier, trackingNo = strings.TrimSpace(carrier), strings.TrimSpace(trackingNo)
	if carrier == "" || len(carrier) > 64 || trackingNo == "" || len(trackingNo) > 64 {
		return nil, fmt.Errorf("ship %s: carrier and tracking number are 1 to 64 characters: %w", orderNo, ErrInvalid)
	}
	var o *Order
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		var err error
		if o, err = lockOrder(tx, orderNo); err != nil {
			return err
		}
		if o.Status != StatusPaid {
			return fmt.Errorf("ship a %s order: %w", o.Status, ErrState)
		}
		now := tx.NowFunc()
		if err := tx.Model(&Order{}).Where("id = ?", o.ID).Updates(map[string]any{
			"shipped_at": now, "carrier": carrier, "tracking_no": trackingNo, "updated_at": now}).Error; err != nil {
			return err
		}
		o.ShippedAt, o.Carrier, o.TrackingNo = &now, carrier, trackingNo
		if err := recordEvent(tx, o.ID, KindShipped, a.Staff, carrier+" "+trackingNo); err != nil {
			return err
		}
		a.Target, a.Detail = o.OrderNo, "shipped with "+carrier+", tracking "+trackingNo
		return audit(tx, a)
	})
	if err != nil {
		return nil, fmt.Errorf("ship %s: %w", orderNo, err)
	}
	return o, nil
}

// ListNotifications returns a page of every notification received, newest
// first, and how many there are.
func (db *DB) ListNotifications(ctx context.Context, page, perPage int) ([]Notification, int64, error) {
	page, perPage = pageBounds(page, perPage)
	var total int64
	if err := db.gorm.WithContext(ctx).Model(&Notification{}).Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("list notifications: %w", err)
	}
	var ns []Notification
	err := db.gorm.WithContext(ctx).Order("received_at DESC, id DESC").Offset((page - 1) * perPage).Limit(perPage).Find(&ns).Error
	if err != nil {
		return nil, 0, fmt.Errorf("list notifications: %w", err)
	}
	return ns, total, nil
}
