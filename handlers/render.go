package handlers

import (
	"bytes"
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"shop/models"
	"shop/payment"
)

// page is what every HTML page's data starts with.
type page struct {
	Lang      Lang
	Sandbox   bool
	CartCount int
	Flash     string // already translated
	Path      string // this page, for the language switch to come back to
	Title     string
	// Unpaid is this browser's unpaid order, for the banner every shop
	// page shows while it can still be paid; nil when there is none.
	Unpaid *unpaidBanner
}

// unpaidBanner is the banner of an unpaid order: pay it or cancel it.
type unpaidBanner struct {
	OrderNo string
	Total   string
	PayBy   string // the deadline, in the shopper's time zone
	// Processing: Alipay's return said it was paid and its notification
	// has not come yet; the banner offers neither paying nor cancelling.
	Processing bool
	// Checkout: shown above the checkout form, where checking out again
	// replaces the order.
	Checkout bool
}

// newPage fills the common page data. Call it before writing the response:
// it reads the session (and may consume its flash message, or empty the
// cart of an order seen paid).
func (s *Server) newPage(c *gin.Context, titleKey string) page {
	l := s.lang(c)
	p := page{Lang: l, Sandbox: s.sandbox != nil, Path: c.Request.URL.RequestURI(), Title: l.T(titleKey)}
	p.Unpaid = s.unpaidBanner(c, l)
	p.CartCount = cartCount(c)
	if k := takeFlash(c); k != "" {
		p.Flash = l.T(k)
	}
	return p
}

// unpaidBanner returns the banner of the order the session names as
// unpaid, with one indexed query, made only when it names one. Seeing that
// order paid empties the cart and ends the banner; seeing it closed ends
// the banner and keeps the cart. A pending order past its deadline shows
// no banner but stays named: a payment Alipay took at the last moment may
// still be notified. The banner is an aside: failing to read the order is
// logged, and the page goes on without it.
func (s *Server) unpaidBanner(c *gin.Context, l Lang) *unpaidBanner {
	orderNo := sessionString(c, keyUnpaid)
	if orderNo == "" {
		return nil
	}
	o, err := s.store.OrderRow(c.Request.Context(), orderNo)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		s.log.Error("unpaid order banner", "order_no", orderNo, "err", err)
		return nil
	}
	switch {
	case err != nil || o.OwnerID != sessionString(c, keyOwner):
		forgetUnpaid(c, false)
		return nil
	case o.Status == models.StatusPaid || o.Status == models.StatusRefunded:
		forgetUnpaid(c, true)
		return nil
	case o.Status != models.StatusPending:
		forgetUnpaid(c, false)
		return nil
	case !s.now().Before(o.ExpiresAt):
		return nil
	}
	return &unpaidBanner{OrderNo: o.OrderNo, Total: formatPrice(o.TotalMinor, payment.Currency(o.Currency)),
		PayBy: s.shopperTime(l, o.ExpiresAt), Processing: sessionString(c, keyConfirming) == o.OrderNo,
		Checkout: c.FullPath() == "/checkout"}
}

func (s *Server) lang(c *gin.Context) Lang {
	return negotiate(c.Request, sessionString(c, keyLang))
}

// render saves the session, executes the page into a buffer and only then
// writes the status and body, so a template error never sends half a page.
func (s *Server) render(c *gin.Context, status int, name string, data any) {
	buf := s.pageBuffer()
	defer s.putPageBuffer(buf)
	if err := s.views.Render(buf, name, data); err != nil {
		s.log.Error("render", "page", name, "err", err)
		c.Data(http.StatusInternalServerError, "text/plain; charset=utf-8", []byte("Internal error"))
		return
	}
	if err := s.save(c); err != nil {
		s.log.Error("session save", "err", err)
	}
	c.Header("Cache-Control", "no-store")
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// maxPooledPage keeps a rare huge page from pinning its buffer.
const maxPooledPage = 1 << 20

// pageBuffer returns an empty buffer to render a page into: pages are tens
// of kilobytes, and growing a new buffer to that size on every request
// costs several allocations and copies.
func (s *Server) pageBuffer() *bytes.Buffer {
	if b, ok := s.pages.Get().(*bytes.Buffer); ok {
		return b
	}
	return new(bytes.Buffer)
}

// putPageBuffer gives a buffer back once the response has been written.
func (s *Server) putPageBuffer(b *bytes.Buffer) {
	if b.Cap() > maxPooledPage {
		return
	}
	b.Reset()
	s.pages.Put(b)
}

// errorPage is the data of the error page.
type errorPage struct {
	page
	Status  int
	Message string
	Detail  string
}

// redirect saves the session and sends a 303.
func (s *Server) redirect(c *gin.Context, to string) {
	if err := s.save(c); err != nil {
		s.log.Error("session save", "err", err)
	}
	c.Redirect(http.StatusSeeOther, to)
}

// switchLang stores the shopper's language and goes back to where they were.
func (s *Server) switchLang(c *gin.Context) {
	if l, ok := langByCode(c.Param("code")); ok {
		sessionOf(c).Values[keyLang] = l.Code
	}
	s.redirect(c, localPath(c.Query("next")))
}

// localPath returns next if it is a path in this shop, else "/". Browsers
// drop tabs and newlines from URLs and read \ as /, so "/\t/evil.example"
// would be the open redirect "//evil.example": control characters and
// backslashes are refused outright.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return "/"
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f {
			return "/"
		}
	}
	return next
}
