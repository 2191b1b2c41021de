package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"shop/assets"
	"shop/models"
)

// Handler returns the shop's HTTP handler. Every route is listed here.
// NotifyPath is where Alipay sends its asynchronous notifications: the
// notify_url of payments and of asynchronous refunds.
const NotifyPath = "/alipay/notify"

func (s *Server) Handler() http.Handler {
	r := gin.New()
	r.HandleMethodNotAllowed = true
	// Only the configured proxies' X-Forwarded-For is believed; New has
	// checked the list, so this cannot fail.
	_ = r.SetTrustedProxies(s.trustedProxies)
	r.Use(s.recoverer, s.requestLog, securityHeaders, s.catalogWrites)

	r.GET("/healthz", s.healthz)
	r.HEAD("/healthz", s.healthz)
	r.GET("/assets/*path", gin.WrapH(assets.Handler()))
	r.GET("/images/:hash", s.imageFile)
	r.HEAD("/images/:hash", s.imageFile)

	// Alipay's server calls this with no cookie and no CSRF token; it
	// answers plain text only.
	r.POST(NotifyPath, s.notify)

	if s.sandbox != nil {
		r.Any("/sandbox/*path", gin.WrapH(s.sandbox))
		r.GET("/sandbox", func(c *gin.Context) { c.Redirect(http.StatusMovedPermanently, "/sandbox/") })
	}

	api := r.Group("/api", s.crossOrigin(), limitBody(apiBodyLimit))
	api.GET("/products", s.apiProducts)
	api.POST("/orders", s.rateLimit, s.apiCreateOrder)
	api.GET("/orders/:order_no", s.apiOrder)

	web := r.Group("/", s.crossOrigin(), s.limitForm, s.session)
	web.GET("/", s.home)
	web.GET("/categories/:slug", s.category)
	web.GET("/search", s.search)
	web.GET("/products/:slug", s.product)
	web.GET("/cart", s.cart)
	web.POST("/cart/items", s.addToCart)
	web.POST("/cart/items/:id", s.updateCart)
	web.GET("/checkout", s.checkoutForm)
	web.POST("/checkout", s.rateLimit, s.checkout)
	web.GET("/orders/lookup", s.lookupForm)
	web.POST("/orders/lookup", s.findOrder)
	web.GET("/orders/:order_no", s.order)
	web.GET("/orders/:order_no/receipt", s.receipt)
	web.POST("/orders/:order_no/pay", s.rateLimit, s.payAgain)
	web.POST("/orders/:order_no/cancel", s.cancelOrder)
	web.GET("/alipay/return", s.alipayReturn)
	web.GET("/lang/:code", s.switchLang)

	if s.admin != nil {
		s.adminRoutes(r)
	}

	r.NoRoute(s.session, s.notFound)
	r.NoMethod(func(c *gin.Context) { s.fail(c, errNoMethod) })
	return r
}

// healthz answers 200 "ok" when the server answers and the database takes
// a write (a full disk or a read-only file would let reads pass). The
// write is made at most once a second, whoever asks.
func (s *Server) healthz(c *gin.Context) {
	if err := s.health.check(c.Request.Context(), s.now(), s.store.Heartbeat); err != nil {
		s.log.Error("health check: database", "err", err)
		c.String(http.StatusServiceUnavailable, "database unavailable")
		return
	}
	c.String(http.StatusOK, "ok")
}

func (s *Server) notFound(c *gin.Context) {
	s.fail(c, models.ErrNotFound)
}
