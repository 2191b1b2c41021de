package handlers

import (
	"net/http"

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

type orderPage struct {
	page
	Order      publicOrder
	StatusText string
	Lines      []lineView    // the owner's view only
	Contact    *orderContact // the owner's view only
	Shipment   *shipmentView // the owner's view only, once shipped
	Confirming bool          // back from a successful payment, waiting for the notification
	Waited     bool          // refreshed long enough: stop refreshing, explain
	CanPay     bool
	Expires    string
}

// confirmRefreshes is how many times the "confirming" page reloads itself
// (every 2 seconds) before it stops and explains.
const confirmRefreshes = 30

// order shows one of the shopper's own orders; others get a 404.
func (s *Server) order(c *gin.Context) {
	o, err := s.store.OwnedOrder(c.Request.Context(), c.Param("order_no"), ownerID(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	p := s.orderPage(c, newPublicOrder(o), o)
	if p.Confirming {
		n := atoiDefault(c.Query("n"), 0)
		if n < confirmRefreshes {
			p.Refresh = 2
			p.Path = "/orders/" + o.OrderNo + "?confirming=1&n=" + itoa(n+1)
		} else {
			p.Waited = true
		}
	}
	s.render(c, http.StatusOK, "order", p)
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
	cur := payment.Currency(owned.Currency)
	ol := orderLang(owned)
	for _, l := range owned.Lines {
		name, in := lineName(l, ol)
		v := lineView{Name: name, Quantity: l.Quantity,
			Unit: formatPrice(l.UnitMinor, cur), Total: formatPrice(l.TotalMinor(), cur)}
		if in.Code != p.Lang.Code {
			v.Lang = in.Tag
		}
		p.Lines = append(p.Lines, v)
	}
	p.Contact = &orderContact{Name: owned.Name, Phone: owned.Phone, Email: owned.Email, Address: owned.Address}
	if owned.ShippedAt != nil {
		p.Shipment = &shipmentView{Date: owned.ShippedAt.In(s.loc).Format("2006-01-02"), Carrier: owned.Carrier, TrackingNo: owned.TrackingNo}
	}
	pending := owned.Status == models.StatusPending
	p.Confirming = pending && c.Query("confirming") == "1"
	p.CanPay = pending && !p.Confirming && s.now().Before(owned.ExpiresAt)
	p.Expires = owned.ExpiresAt.Format("2006-01-02 15:04 MST")
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
