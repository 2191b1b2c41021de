package handlers

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"shop/models"
)

// lineView is an order line as the order page shows it.
type lineView struct {
	Name     string
	Quantity int
	Unit     string
	Total    string
}

type orderPage struct {
	page
	Order      *models.Order
	StatusText string
	Total      string
	Lines      []lineView
	Confirming bool // back from a successful payment, waiting for the notification
	Waited     bool // refreshed long enough: stop refreshing, explain
	CanPay     bool
	Expires    string
	Public     bool // shown without the owner's session: no personal data
}

// confirmRefreshes is how many times the "confirming" page reloads itself
// (every 2 seconds) before it stops and explains.
const confirmRefreshes = 30

// order shows one of the shopper's own orders; others get a 404.
func (s *Server) order(c *gin.Context) {
	o, err := s.store.OwnedOrder(c.Request.Context(), c.Param("order_no"), ownerID(c))
	if errors.Is(err, models.ErrNotFound) {
		s.fail(c, http.StatusNotFound, "error.notfound", nil)
		return
	} else if err != nil {
		s.fail(c, http.StatusInternalServerError, "error.internal", err)
		return
	}
	p := s.orderPage(c, o)
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

func (s *Server) orderPage(c *gin.Context, o *models.Order) orderPage {
	p := orderPage{page: s.newPage(c, "order.title"), Order: o, Total: formatPrice(o.TotalMinor, s.currency)}
	p.Title = p.Lang.Tf("order.number", "OrderNo", o.OrderNo)
	p.StatusText = p.Lang.T("order." + string(o.Status))
	for _, l := range o.Lines {
		p.Lines = append(p.Lines, lineView{Name: l.Name, Quantity: l.Quantity,
			Unit: formatPrice(l.UnitMinor, s.currency), Total: formatPrice(l.TotalMinor(), s.currency)})
	}
	pending := o.Status == models.StatusPending
	p.Confirming = pending && c.Query("confirming") == "1"
	p.CanPay = pending && !p.Confirming && s.now().Before(o.ExpiresAt)
	p.Expires = o.ExpiresAt.Format("2006-01-02 15:04 MST")
	return p
}

// publicStatus shows an order's status and total, without personal data,
// to a browser that is not the order's owner (the return came back to a
// browser without the session).
func (s *Server) publicStatus(c *gin.Context, orderNo string) {
	o, err := s.store.OrderByNo(c.Request.Context(), orderNo)
	if errors.Is(err, models.ErrNotFound) {
		s.fail(c, http.StatusNotFound, "error.notfound", nil)
		return
	} else if err != nil {
		s.fail(c, http.StatusInternalServerError, "error.internal", err)
		return
	}
	p := s.orderPage(c, o)
	p.Public, p.CanPay, p.Lines = true, false, nil
	s.render(c, http.StatusOK, "order", p)
}
