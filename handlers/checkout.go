package handlers

import (
	"fmt"
	"net/http"
	"net/mail"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"shop/models"
)

// contact is the checkout form: who, and where to deliver. The address
// comes in parts (Country, Province, City, Street, Postcode; see
// shipping.go), or, from older API clients and forms, as one text,
// Address, when no country is given.
type contact struct {
	Name    string
	Phone   string
	Email   string
	Address string

	Country, Province, City, Street, Postcode string
}

// structured reports whether the address comes in parts: a country was
// given, or nothing was (then the parts are asked for).
func (f *contact) structured() bool { return f.Country != "" || f.Address == "" }

var phoneRE = regexp.MustCompile(`^\+?[0-9][0-9 \-]{4,22}[0-9]$`)

// validate returns message keys by field; empty means valid.
func (f *contact) validate() map[string]string {
	f.Name, f.Phone = strings.TrimSpace(f.Name), strings.TrimSpace(f.Phone)
	// Browsers submit a textarea's line breaks as CRLF; store LF.
	f.Email, f.Address = strings.TrimSpace(f.Email), strings.TrimSpace(strings.ReplaceAll(f.Address, "\r\n", "\n"))
	structured := f.structured()
	errs := map[string]string{}
	if n := utf8.RuneCountInString(f.Name); n < 1 || n > 100 || hasControl(f.Name) {
		errs["name"] = "err.name"
	}
	if f.Phone == "" && f.Email == "" {
		errs["phone"] = "err.contact"
	}
	if f.Phone != "" {
		digits := strings.Count(f.Phone, "") - 1 - strings.Count(f.Phone, " ") - strings.Count(f.Phone, "-") - strings.Count(f.Phone, "+")
		if !phoneRE.MatchString(f.Phone) || digits < 6 || digits > 20 {
			errs["phone"] = "err.phone"
		}
	}
	if f.Email != "" {
		a, err := mail.ParseAddress(f.Email)
		if err != nil || a.Address != f.Email || len(f.Email) > 254 {
			errs["email"] = "err.email"
		}
	}
	if structured {
		f.validateAddress(errs)
		return errs
	}
	// A free-text address stands alone: parts sent with it are not
	// checked, stored or shown, so none are kept.
	f.Province, f.City, f.Street, f.Postcode = "", "", "", ""
	if n := utf8.RuneCountInString(f.Address); n < 5 || n > 300 || hasControl(strings.ReplaceAll(f.Address, "\n", " ")) {
		errs["address"] = "err.address"
	}
	return errs
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return !utf8.ValidString(s)
}

type checkoutPage struct {
	page
	Items  []cartItem
	Total  string // what the order will cost, shipping included
	Totals totals
	Form   contact
	Errors map[string]string // field -> translated message
	// Problems are the errors in the form's order, for the summary above
	// it; Focus is the first of their fields, which the page focuses.
	Problems    []fieldProblem
	Focus       string
	CheckoutKey string
	Countries   []countryOption
	Delivery    []deliveryTime
	CNYNote     string // what the ≈ ¥ estimates are; "" when none is shown
}

// fieldProblem is a form field's error: the field's id and the message.
type fieldProblem struct {
	Field, Message string
}

// checkoutFields are the checkout form's fields in the order it shows
// them: the order of its error summary.
var checkoutFields = []string{"name", "phone", "email", "country", "province", "city", "street", "postcode"}

// checkoutForm shows the contact form beside the order summary, the
// country chosen from the shopper's language.
func (s *Server) checkoutForm(c *gin.Context) {
	s.showCheckout(c, http.StatusOK, contact{Country: defaultCountry(c.Request, s.lang(c))}, nil)
}

func (s *Server) showCheckout(c *gin.Context, status int, form contact, errs map[string]string) {
	p := checkoutPage{page: s.newPage(c, "checkout.title"), Form: form, Errors: map[string]string{}}
	items, total, err := s.pricedCart(c, p.Lang)
	if err != nil {
		s.fail(c, err)
		return
	}
	if len(items) == 0 {
		s.redirect(c, "/cart")
		return
	}
	if !form.structured() {
		// An older form's one-text address: shown in the street field.
		form.Street, form.Address = form.Address, ""
		if key, ok := errs["address"]; ok {
			errs["street"] = key
		}
		delete(errs, "address")
	}
	for field, key := range errs {
		p.Errors[field] = p.Lang.T(key)
	}
	if ctry, ok := countryByCode(form.Country); ok && errs["postcode"] != "" {
		p.Errors["postcode"] += " " + p.Lang.Tf("ship.postcode.example", "Country", ctry.Name(p.Lang), "Example", ctry.example)
	}
	for _, field := range checkoutFields {
		if msg, ok := p.Errors[field]; ok {
			p.Problems = append(p.Problems, fieldProblem{Field: field, Message: msg})
		}
	}
	if len(p.Problems) > 0 {
		p.Focus = p.Problems[0].Field
	}
	p.Form, p.Items, p.Totals = form, items, s.cartTotals(p.Lang, total)
	p.Total = p.Totals.Total
	p.Countries, p.Delivery = countryOptions(p.Lang, form.Country), deliveryTimes(p.Lang, form.Country)
	p.CNYNote = s.cnyRate(p.Lang, s.currency).Note()
	// One key per form shown: submitting it twice creates one order. The
	// key is scoped to the owner, so the owner must exist before the form
	// is posted: two posts at once would otherwise make two owners.
	ownerID(c)
	key := sessionString(c, keyCheckout)
	if key == "" {
		key = randomHex(16)
		sessionOf(c).Values[keyCheckout] = key
	}
	p.CheckoutKey = key
	s.render(c, status, "checkout", p)
}

// checkout validates the form, creates the order from the session's cart
// (prices from the store, stock reserved, in one transaction) and sends the
// browser to Alipay's cashier.
func (s *Server) checkout(c *gin.Context) {
	form := contact{Name: c.PostForm("name"), Phone: c.PostForm("phone"), Email: c.PostForm("email"), Address: c.PostForm("address"),
		Country: c.PostForm("country"), Province: c.PostForm("province"), City: c.PostForm("city"),
		Street: c.PostForm("street"), Postcode: c.PostForm("postcode")}
	if errs := form.validate(); len(errs) > 0 {
		s.showCheckout(c, http.StatusUnprocessableEntity, form, errs)
		return
	}
	key := c.PostForm("checkout_key")
	if len(key) != 32 {
		s.fail(c, fmt.Errorf("%w: checkout key", errBadRequest))
		return
	}
	// A form posted again (back button, slow double click) finds its order
	// by its key: same answer. Another checkout replaces the unpaid order.
	if !s.replaceUnpaid(c, key) {
		return
	}
	lines := readCart(c)
	items := make([]models.Item, len(lines))
	for i, l := range lines {
		items[i] = models.Item{ProductID: l.ProductID, Quantity: l.Quantity}
	}
	channel := channelFor(c.Request.UserAgent())
	order, created, err := s.store.CreateOrder(c.Request.Context(), models.NewOrder{
		OwnerID: ownerID(c), CheckoutKey: key, Channel: channel, Currency: string(s.currency), Items: items,
		Name: form.Name, Phone: form.Phone, Email: form.Email, Address: form.Address, ShipTo: form.shipTo(), Shipping: s.shipping,
		ExpiresAt: s.now().Add(s.timeoutDur), ClientIP: c.ClientIP(), Lang: s.lang(c).Code,
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	if created || sessionString(c, keyCheckout) == key {
		// The cart stays until the order is paid or cancelled.
		rememberUnpaid(c, order.OrderNo)
		delete(sessionOf(c).Values, keyCheckout)
	}
	if order.Status != models.StatusPending {
		s.redirect(c, "/orders/"+order.OrderNo)
		return
	}
	s.sendToAlipay(c, order)
}

// sendToAlipay redirects to the cashier for the order's channel.
func (s *Server) sendToAlipay(c *gin.Context, o *models.Order) {
	u, err := s.alipay.PayURL(s.tradeRequest(o))
	if err != nil {
		s.fail(c, err)
		return
	}
	s.event(c, o.OrderNo, models.KindSentToAlipay, "shopper", "Sent to the "+string(o.Channel)+" cashier.", false)
	s.redirect(c, u)
}

// event adds a step to an order's timeline. The timeline is for people:
// failing to write it is logged, and the shopper's request goes on.
func (s *Server) event(c *gin.Context, orderNo string, kind models.EventKind, actor, detail string, once bool) {
	if err := s.store.RecordEvent(c.Request.Context(), orderNo, kind, actor, detail, once); err != nil {
		s.log.Error("order event", "order_no", orderNo, "kind", kind, "err", err)
	}
}

// payAgain sends the owner of a pending order back to the cashier.
func (s *Server) payAgain(c *gin.Context) {
	s.resumeOrder(c, c.Param("order_no"))
}

// resumeOrder sends the owner of a pending, unexpired order (or a browser
// that proved it may see it, see shopperOrder) to the cashier (the same URL
// every time), and to the order page otherwise.
func (s *Server) resumeOrder(c *gin.Context, orderNo string) {
	o, err := s.shopperOrder(c, orderNo)
	if err != nil {
		s.fail(c, err)
		return
	}
	if o.Status != models.StatusPending || !s.now().Before(o.ExpiresAt) {
		s.redirect(c, "/orders/"+o.OrderNo)
		return
	}
	s.sendToAlipay(c, o)
}

var mobileRE = regexp.MustCompile(`(?i)mobi|android|iphone|ipad|ipod|harmonyos|alipayclient|micromessenger|windows phone`)

// channelFor picks the cashier: mobile browsers get the H5 cashier
// (create_forex_trade_wap), desktops the PC cashier (create_forex_trade).
func channelFor(userAgent string) models.Channel {
	if mobileRE.MatchString(userAgent) {
		return models.ChannelWAP
	}
	return models.ChannelWeb
}
