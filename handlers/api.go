package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"shop/models"
	"shop/payment"
)

// apiCatalog is the answer of GET /api/products.
type apiCatalog struct {
	Products   []apiProduct  `json:"products"`
	Categories []apiCategory `json:"categories"`
	Lang       string        `json:"lang"` // the language of name and description: "en" or "zh"
}

// apiProduct is a product for apps: name and description in the language
// asked for (English when it has no Chinese), and both as stored (name_zh
// is "" when there is no Chinese name).
type apiProduct struct {
	ID            uint         `json:"id"`
	Slug          string       `json:"slug"`
	Name          string       `json:"name"`
	NameEN        string       `json:"name_en"`
	NameZH        string       `json:"name_zh"`
	Description   string       `json:"description"`
	DescriptionEN string       `json:"description_en"`
	DescriptionZH string       `json:"description_zh"`
	Category      *apiCategory `json:"category"` // null when it has none
	PriceMinor    int64        `json:"price_minor"`
	Price         string       `json:"price"`
	Currency      string       `json:"currency"`
	Stock         int          `json:"stock"`
	// Image is what a list shows: the first picture in the size of a card,
	// or the drawing.
	Image string `json:"image"`
	// Images are the pictures, the largest file of each, in the merchant's
	// order; or the drawing.
	Images []string `json:"images"`
}

// apiCategory is a category for apps, named like a product.
type apiCategory struct {
	Slug   string `json:"slug"`
	Name   string `json:"name"`
	NameEN string `json:"name_en"`
	NameZH string `json:"name_zh"`
}

func newAPICategory(c models.Category, l Lang) apiCategory {
	return apiCategory{Slug: c.Slug, Name: inLang(l, c.Name, c.NameZH), NameEN: c.Name, NameZH: c.NameZH}
}

// apiProducts is GET /api/products: the products on sale and the
// categories, in the language Accept-Language asks for, from the catalog
// snapshot the lists read (at most catalogTTL old; an edit on this
// instance drops it at once). The stock is a guide: an order is checked
// against the stock in its own transaction.
func (s *Server) apiProducts(c *gin.Context) {
	snap, err := s.catalog(c.Request.Context())
	if err != nil {
		s.apiFail(c, err)
		return
	}
	products, categories, pictures := snap.products, snap.categories, snap.pictures
	l := negotiate(c.Request, "")
	out := apiCatalog{Products: make([]apiProduct, 0, len(products)), Categories: make([]apiCategory, 0, len(categories)), Lang: l.Code}
	for _, p := range products {
		ap := apiProduct{ID: p.ID, Slug: p.Slug, Name: inLang(l, p.Name, p.NameZH), NameEN: p.Name, NameZH: p.NameZH,
			Description: inLang(l, p.Description, p.DescriptionZH), DescriptionEN: p.Description, DescriptionZH: p.DescriptionZH,
			PriceMinor: p.PriceMinor,
			Price:      payment.Amount{Minor: p.PriceMinor, Currency: payment.Currency(p.Currency)}.String(),
			Currency:   p.Currency, Stock: p.Stock,
			Image: apiImage(p, pictures[p.ID]), Images: apiImages(p, pictures[p.ID])}
		if p.Category != nil {
			cat := newAPICategory(*p.Category, l)
			ap.Category = &cat
		}
		out.Products = append(out.Products, ap)
	}
	for _, cat := range categories {
		out.Categories = append(out.Categories, newAPICategory(cat, l))
	}
	c.Header("Content-Language", l.Tag)
	c.Writer.Header().Add("Vary", "Accept-Language")
	c.JSON(http.StatusOK, out)
}

// apiOrderRequest is the body of POST /api/orders. There is no price in it:
// the server prices every order from its own catalog.
type apiOrderRequest struct {
	Items []struct {
		ProductID uint `json:"product_id"`
		Quantity  int  `json:"quantity"`
	} `json:"items"`
	Channel string `json:"channel"`
	Contact *struct {
		Name  string `json:"name"`
		Phone string `json:"phone"`
		Email string `json:"email"`
		// Address is the delivery address as one text, for clients that
		// send no parts; with Country, the parts are used instead.
		Address string `json:"address"`
		// The address in parts (see shipping.go for each country's
		// rules). omitempty keeps an older client's request, which has
		// none, the same for its Idempotency-Key.
		Country  string `json:"country,omitempty"`
		Province string `json:"province,omitempty"`
		City     string `json:"city,omitempty"`
		Street   string `json:"street,omitempty"`
		Postcode string `json:"postcode,omitempty"`
	} `json:"contact"`
}

// apiCreateOrder is POST /api/orders: it creates the order and returns the
// pay_url (wap, web) or the signed order string for the Alipay SDK (app).
// An Idempotency-Key header makes a retry of the same request return the
// same order.
func (s *Server) apiCreateOrder(c *gin.Context) {
	var req apiOrderRequest
	dec := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			s.apiFail(c, fmt.Errorf("%w: %v", errTooLarge, err))
			return
		}
		s.apiFail(c, fmt.Errorf("%w: %v", errInvalidJSON, err))
		return
	}
	if _, err := dec.Token(); err != io.EOF {
		s.apiFail(c, fmt.Errorf("%w: more than one JSON value", errInvalidJSON))
		return
	}
	if req.Channel == string(models.ChannelApp) && s.alipay.SignType() == payment.MD5 {
		s.apiFail(c, errAppNeedsRSA)
		return
	}
	key := c.GetHeader("Idempotency-Key")
	items, ct, err := req.validate(key)
	if err != nil {
		s.apiFail(c, err)
		return
	}
	owner := "api"
	if key != "" {
		// API clients share no session, so the key alone could collide
		// between two apps: bind it to the request, so that only a retry
		// of the same order finds the same order.
		canon, _ := json.Marshal(req) // a decoded struct: cannot fail
		sum := sha256.Sum256(append([]byte(key+"\x00"), canon...))
		key = "api:" + hex.EncodeToString(sum[:])
	}
	o, _, err := s.store.CreateOrder(c.Request.Context(), models.NewOrder{
		OwnerID: owner, CheckoutKey: key, Channel: models.Channel(req.Channel), Currency: string(s.currency), Items: items,
		Name: ct.Name, Phone: ct.Phone, Email: ct.Email, Address: ct.Address, ShipTo: ct.shipTo(), Shipping: s.shipping,
		ExpiresAt: s.now().Add(s.timeoutDur), ClientIP: c.ClientIP(), Lang: negotiate(c.Request, "").Code,
	})
	if err != nil {
		s.apiFail(c, err)
		return
	}
	cur := payment.Currency(o.Currency)
	// total_fee is what Alipay is asked for: items_fee plus shipping_fee.
	res := gin.H{"order_no": o.OrderNo, "status": o.Status, "currency": o.Currency,
		"total_fee":    payment.Amount{Minor: o.TotalMinor, Currency: cur}.String(),
		"items_fee":    csvAmount(o.ItemsMinor(), cur),
		"shipping_fee": csvAmount(o.ShippingMinor, cur)}
	if o.Channel == models.ChannelApp {
		res["order_string"], err = s.alipay.AppOrderString(s.appRequest(o))
	} else {
		res["pay_url"], err = s.alipay.PayURL(s.tradeRequest(o))
	}
	if err != nil {
		s.apiFail(c, fmt.Errorf("signing the payment for %s: %w", o.OrderNo, err))
		return
	}
	s.event(c, o.OrderNo, models.KindSentToAlipay, "api", "A signed "+string(o.Channel)+" payment request was returned to the app.", false)
	c.JSON(http.StatusCreated, res)
}

// validate checks the request and its idempotency key and returns the
// items and the contact, or a *ValidationError.
func (req *apiOrderRequest) validate(idempotencyKey string) ([]models.Item, contact, error) {
	fields := map[string]string{}
	if !models.Channel(req.Channel).Valid() {
		fields["channel"] = "err.channel"
	}
	if len(req.Items) == 0 {
		fields["items"] = "err.items"
	}
	items := make([]models.Item, len(req.Items))
	for i, it := range req.Items {
		if it.Quantity < 1 || it.Quantity > models.MaxQuantity {
			fields["items"] = "err.quantity"
		}
		items[i] = models.Item{ProductID: it.ProductID, Quantity: it.Quantity}
	}
	var ct contact
	if rc := req.Contact; rc != nil {
		ct = contact{Name: rc.Name, Phone: rc.Phone, Email: rc.Email, Address: rc.Address,
			Country: rc.Country, Province: rc.Province, City: rc.City, Street: rc.Street, Postcode: rc.Postcode}
		for field, key := range ct.validate() {
			fields["contact."+field] = key
		}
		if strings.TrimSpace(rc.Country) != "" && strings.TrimSpace(rc.Address) != "" {
			fields["contact.address"] = "ship.err.both"
		}
	}
	if len(idempotencyKey) > 64 || strings.ContainsAny(idempotencyKey, " \t\r\n") {
		fields["Idempotency-Key"] = "err.idempotencykey"
	}
	if len(fields) > 0 {
		return nil, ct, &ValidationError{Fields: fields}
	}
	return items, ct, nil
}

// appRequest describes an order for the app channel. it_b_pay is the
// order's expiry as a date and time (absolute, like the web channels'
// deadline), never the relative form: the two exclude each other.
func (s *Server) appRequest(o *models.Order) payment.AppPayRequest {
	t := s.tradeRequest(o)
	return payment.AppPayRequest{
		OutTradeNo: t.OutTradeNo, Subject: t.Subject, Body: t.Body, Currency: t.Currency, TotalFee: t.TotalFee,
		NotifyURL: t.NotifyURL, ItBPayDeadline: o.ExpiresAt.Truncate(time.Second), ReferURL: t.ReferURL,
		TradeInformation: t.TradeInformation,
	}
}

// apiOrder is GET /api/orders/:order_no: status only, no personal data.
func (s *Server) apiOrder(c *gin.Context) {
	o, err := s.store.OrderByNo(c.Request.Context(), c.Param("order_no"))
	if err != nil {
		s.apiFail(c, err)
		return
	}
	c.JSON(http.StatusOK, newPublicOrder(o))
}
