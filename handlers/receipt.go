package handlers

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"shop/models"
	"shop/payment"
)

// receiptPage is a paid order's receipt, made to be printed.
type receiptPage struct {
	page
	OrderNo  string
	Placed   string // when it was ordered, in the shopper's time zone
	Paid     string // when Alipay's payment was recorded; "" if unknown
	TradeNo  string
	Lines    []lineView
	Items    string // the lines together
	Shipping string // what the total holds beyond the lines; "" when nothing
	Total    string
	Refunded string // "" when nothing was refunded
	Contact  orderContact
}

// receiptFor reports whether o has a receipt: it was paid (a refunded
// order was paid too).
func receiptFor(o *models.Order) bool {
	return o.Status == models.StatusPaid || o.Status == models.StatusRefunded
}

// receipt shows a paid order's receipt to its owner, or to a browser that
// proved it may see the order. An unpaid order has none: 404, as for
// somebody else's order.
func (s *Server) receipt(c *gin.Context) {
	o, err := s.shopperOrder(c, c.Param("order_no"))
	if err == nil && !receiptFor(o) {
		err = fmt.Errorf("receipt of a %s order: %w", o.Status, models.ErrNotFound)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	p := receiptPage{page: s.newPage(c, "receipt.title"), OrderNo: o.OrderNo,
		Contact: orderContact{Name: o.Name, Phone: o.Phone, Email: o.Email, Address: o.Address}}
	p.Title = p.Lang.Tf("receipt.heading", "OrderNo", o.OrderNo)
	p.Placed = s.shopperTime(p.Lang, o.CreatedAt)
	if o.PaidAt != nil {
		p.Paid = s.shopperTime(p.Lang, *o.PaidAt)
	}
	if o.TradeNo != nil {
		p.TradeNo = *o.TradeNo
	}
	cur := payment.Currency(o.Currency)
	p.Lines = orderLines(o, p.Lang)
	var items int64
	for _, l := range o.Lines {
		items += l.TotalMinor()
	}
	p.Items, p.Total = formatPrice(items, cur), formatPrice(o.TotalMinor, cur)
	// Whatever the total holds beyond the lines is the delivery charge.
	if extra := o.TotalMinor - items; extra > 0 {
		p.Shipping = formatPrice(extra, cur)
	}
	if o.RefundedMinor > 0 {
		p.Refunded = formatPrice(o.RefundedMinor, cur)
	}
	s.render(c, http.StatusOK, "receipt", p)
}
