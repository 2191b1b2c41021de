package handlers

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"shop/models"
	"shop/payment"
)

// publicOrder is an order as anyone holding its number may see it: status
// and amounts, never the shopper's name, phone, e-mail or address. The
// JSON API returns it as it is; the order page shows it to everybody.
type publicOrder struct {
	OrderNo  string        `json:"order_no"`
	Status   models.Status `json:"status"`
	Currency string        `json:"currency"`
	TotalFee string        `json:"total_fee"` // Alipay's decimal form, "25.00"
	TradeNo  string        `json:"trade_no"`
	// Total is formatted for people ("US$25.00").
	Total string `json:"-"`
	// UnderReview: a payment for this order needs a person.
	UnderReview bool `json:"-"`
	// Shipped: handed to a carrier (who and the tracking number are the
	// owner's to see).
	Shipped bool `json:"-"`
}

func newPublicOrder(o *models.Order) publicOrder {
	v := publicOrder{OrderNo: o.OrderNo, Status: o.Status, Currency: o.Currency,
		TotalFee:    payment.Amount{Minor: o.TotalMinor, Currency: payment.Currency(o.Currency)}.String(),
		Total:       formatPrice(o.TotalMinor, payment.Currency(o.Currency)),
		UnderReview: o.Flagged, Shipped: o.ShippedAt != nil}
	if o.TradeNo != nil {
		v.TradeNo = *o.TradeNo
	}
	return v
}

// orderContact is what only the order's owner sees: who and where to deliver.
type orderContact struct {
	Name, Phone, Email, Address string
}

// shipmentView is the fulfilment the owner sees: when, who carries it,
// and the number to track it with.
type shipmentView struct {
	Date, Carrier, TrackingNo string
}

// lineView is an order line as the order page shows it.
type lineView struct {
	Name     string
	Lang     string // the name's language tag when it is not the page's, else ""
	Quantity int
	Unit     string
	Total    string
}

// orderLang is the language the shopper placed the order in: its lines,
// and what Alipay shows the buyer, speak it whatever the page's language.
func orderLang(o *models.Order) Lang {
	if l, ok := langByCode(o.Lang); ok {
		return l
	}
	return english
}

// lineName is a line's name in l as it was when the order was placed: the
// Chinese name when l is Chinese and the product had one, else the English;
// in returns the language of the name given.
func lineName(ln models.OrderLine, l Lang) (name string, in Lang) {
	if l.ZH() && ln.NameZH != "" {
		return ln.NameZH, chinese
	}
	return ln.Name, english
}

// orderLines shows o's lines on a page in l: each name as it was when the
// order was placed, in the order's language.
func orderLines(o *models.Order, l Lang) []lineView {
	cur := payment.Currency(o.Currency)
	ol := orderLang(o)
	lines := make([]lineView, 0, len(o.Lines))
	for _, ln := range o.Lines {
		name, in := lineName(ln, ol)
		v := lineView{Name: name, Quantity: ln.Quantity,
			Unit: formatPrice(ln.UnitMinor, cur), Total: formatPrice(ln.TotalMinor(), cur)}
		if in.Code != l.Code {
			v.Lang = in.Tag
		}
		lines = append(lines, v)
	}
	return lines
}

type orderPage struct {
	page
	Order      publicOrder
	StatusText string
	Placed     string        // when the order was placed, in the shopper's time zone
	Lines      []lineView    // the owner's view only
	Contact    *orderContact // the owner's view only
	Shipment   *shipmentView // the owner's view only, once shipped
	// Confirming: back from a successful payment, waiting for Alipay's
	// notification. The page says "Payment processing", offers "Check
	// again", and loads order.js, which asks until the order is settled.
	Confirming bool
	CanPay     bool // pay (again) or cancel
	Expires    string
	Receipt    bool // paid: the receipt can be printed
}

// order shows one of the shopper's own orders, or one this browser
// proved it may see (lookup); others get a 404.
func (s *Server) order(c *gin.Context) {
	o, err := s.shopperOrder(c, c.Param("order_no"))
	if err != nil {
		s.fail(c, err)
		return
	}
	p := s.orderPage(c, newPublicOrder(o), o)
	if p.Confirming && sessionString(c, keyUnpaid) == o.OrderNo {
		sessionOf(c).Values[keyConfirming] = o.OrderNo
	}
	s.render(c, http.StatusOK, "order", p)
}

// shopperOrder returns the order, lines included, if this browser may see
// it as its owner does: it checked the order out, or proved less than a
// day ago that it knows the phone or e-mail given with it. Anybody else
// gets ErrNotFound, as for an order that does not exist.
func (s *Server) shopperOrder(c *gin.Context, orderNo string) (*models.Order, error) {
	if isProven(c, orderNo, s.now()) {
		return s.store.OrderByNo(c.Request.Context(), orderNo)
	}
	return s.store.OwnedOrder(c.Request.Context(), orderNo, ownerID(c))
}

// orderPage builds the order page. owned is the full order for its owner,
// nil for anybody else, who sees the public view only.
func (s *Server) orderPage(c *gin.Context, pub publicOrder, owned *models.Order) orderPage {
	p := orderPage{page: s.newPage(c, "order.title"), Order: pub}
	p.Title = p.Lang.Tf("order.number", "OrderNo", pub.OrderNo)
	p.StatusText = p.Lang.T("order." + string(pub.Status))
	if owned == nil {
		return p
	}
	if p.Unpaid != nil && p.Unpaid.OrderNo == owned.OrderNo {
		p.Unpaid = nil // this page says it all
	}
	p.Lines = orderLines(owned, p.Lang)
	p.Contact = &orderContact{Name: owned.Name, Phone: owned.Phone, Email: owned.Email, Address: owned.Address}
	if owned.ShippedAt != nil {
		p.Shipment = &shipmentView{Date: owned.ShippedAt.In(s.loc).Format("2006-01-02"), Carrier: owned.Carrier, TrackingNo: owned.TrackingNo}
	}
	p.Placed = s.shopperTime(p.Lang, owned.CreatedAt)
	pending := owned.Status == models.StatusPending
	p.Confirming = pending && c.Query("confirming") == "1"
	if p.Confirming {
		p.StatusText = p.Lang.T("orderpage.processing")
	}
	p.CanPay = pending && !p.Confirming && s.now().Before(owned.ExpiresAt)
	p.Expires = s.shopperTime(p.Lang, owned.ExpiresAt)
	p.Receipt = receiptFor(owned)
	return p
}

// publicStatus shows an order's status and total, without personal data,
// to a browser that is not the order's owner (the return came back to a
// browser without the session).
func (s *Server) publicStatus(c *gin.Context, orderNo string) {
	o, err := s.store.OrderByNo(c.Request.Context(), orderNo)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "order", s.orderPage(c, newPublicOrder(o), nil))
}

// The close reasons the admin's timeline shows.
const (
	closeCancelled = "cancelled by the shopper"
	closeReplaced  = "replaced by a new checkout"
)

// cancelOrder closes an unpaid order at once at its owner's request (or a
// browser's that proved it may see it): its stock is given back in the
// same transaction, and the cart stays as it was.
func (s *Server) cancelOrder(c *gin.Context) {
	o, err := s.shopperOrder(c, c.Param("order_no"))
	if err != nil {
		s.fail(c, err)
		return
	}
	closed, err := s.store.CloseOrder(c.Request.Context(), o.OrderNo, closeCancelled)
	if err != nil {
		s.fail(c, err)
		return
	}
	switch {
	case !closed: // paid or closed meanwhile: the order page says which
		flash(c, "unpaid.notcancelled")
	case sessionString(c, keyUnpaid) == o.OrderNo:
		forgetUnpaid(c, false)
		flash(c, "unpaid.cancelled")
	default:
		flash(c, "unpaid.cancelledother")
	}
	s.redirect(c, "/orders/"+o.OrderNo)
}

// replaceUnpaid makes way for a new checkout. The form that created this
// browser's unpaid order, posted again (back button, double click), goes
// on to find that same order. Any other checkout replaces it: the order is
// closed and its stock given back, then the new order is made from the
// cart as it is now, with the details just typed (reusing the old order
// would pay for what the cart held then). It answers, and returns false,
// when the checkout must not go on: the order was paid meanwhile (the cart
// is emptied), or Alipay's return said it was being paid.
func (s *Server) replaceUnpaid(c *gin.Context, key string) bool {
	orderNo := sessionString(c, keyUnpaid)
	if orderNo == "" {
		return true
	}
	o, err := s.store.OwnedOrder(c.Request.Context(), orderNo, sessionString(c, keyOwner))
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		s.fail(c, err)
		return false
	}
	switch {
	case err != nil:
		forgetUnpaid(c, false)
		return true
	case o.Status == models.StatusPaid || o.Status == models.StatusRefunded:
		forgetUnpaid(c, true)
		s.redirect(c, "/orders/"+o.OrderNo)
		return false
	case o.Status != models.StatusPending:
		forgetUnpaid(c, false)
		return true
	case o.CheckoutKey != nil && *o.CheckoutKey == key:
		return true
	case sessionString(c, keyConfirming) == o.OrderNo:
		flash(c, "unpaid.stillconfirming")
		s.redirect(c, "/orders/"+o.OrderNo+"?confirming=1")
		return false
	}
	if _, err := s.store.CloseOrder(c.Request.Context(), o.OrderNo, closeReplaced); err != nil {
		s.fail(c, err)
		return false
	}
	forgetUnpaid(c, false)
	return true
}

// beijing is China Standard Time, which Chinese pages show. China has kept
// UTC+8 without daylight saving since 1991, so a fixed zone stands in
// where the system has no time zone database.
var beijing = func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*60*60)
}()

// shopperTime formats t for the shopper, naming the zone: Beijing time for
// Chinese pages (most Alipay buyers live by it), the shop's own zone for
// English ones, by its name and offset ("America/New_York (UTC-05:00)"),
// so that nobody has to guess what "UTC" or "MST" stands for.
func (s *Server) shopperTime(l Lang, t time.Time) string {
	if l.ZH() {
		return l.Tf("orderpage.time", "Time", t.In(beijing).Format("2006-01-02 15:04"), "Zone", l.T("orderpage.beijing"))
	}
	return l.Tf("orderpage.time", "Time", t.In(s.loc).Format("2006-01-02 15:04"), "Zone", zoneName(s.loc, t))
}
