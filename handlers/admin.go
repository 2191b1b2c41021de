package handlers

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"shop/models"
)

// AdminStore is what the merchant admin needs from the database.
type AdminStore interface {
	// Accounts, sessions, sign-in attempts, audit.
	StaffByName(ctx context.Context, name string) (*models.Staff, error)
	SetPassword(ctx context.Context, name, hash string, create bool) (bool, error)
	CreateSession(ctx context.Context, staffID uint, now time.Time, lifetime time.Duration, remote, userAgent string) (string, *models.AdminSession, error)
	Session(ctx context.Context, token string, now time.Time, idle time.Duration) (*models.AdminSession, error)
	DeleteSession(ctx context.Context, token string) error
	RecordLogin(ctx context.Context, a models.LoginAttempt) error
	FailedLogins(ctx context.Context, client, name string, since time.Time) (byClient, byName int64, err error)
	Audit(ctx context.Context, e models.AuditEntry) error
	AuditLog(ctx context.Context, page, perPage int) ([]models.AuditEntry, int64, error)
	PruneLogins(ctx context.Context, before time.Time) error
	// (more for sign-in go here)

	// Reading: the dashboard, the order list and export, notifications.
	Summary(ctx context.Context, now time.Time, loc *time.Location) (*models.Dashboard, error)
	DailySales(ctx context.Context, now time.Time, loc *time.Location, days int) ([]models.DaySales, error)
	ListOrders(ctx context.Context, f models.OrderFilter, page, perPage int) ([]models.Order, int64, error)
	EachOrder(ctx context.Context, f models.OrderFilter, fn func(*models.Order) error) error
	ListNotifications(ctx context.Context, page, perPage int) ([]models.Notification, int64, error)
	Rejects(ctx context.Context, limit int) ([]models.Reject, error)
	// (more for reading go here)

	// The catalog: products, their stock, categories, the CSV.
	CatalogProducts(ctx context.Context) ([]models.StockedProduct, error)
	CatalogProduct(ctx context.Context, id uint) (*models.StockedProduct, error)
	CreateProduct(ctx context.Context, in models.ProductInput, stock int, a models.AuditEntry) (*models.Product, error)
	UpdateProduct(ctx context.Context, id uint, in models.ProductInput, a models.AuditEntry) (*models.Product, error)
	SetHidden(ctx context.Context, id uint, hidden bool, a models.AuditEntry) (*models.Product, error)
	DeleteProduct(ctx context.Context, id uint, a models.AuditEntry) error
	AdjustStock(ctx context.Context, id uint, delta int, reason string, a models.AuditEntry) (*models.StockChange, error)
	Categories(ctx context.Context) ([]models.Category, error)
	CategoriesWithCounts(ctx context.Context) ([]models.CategoryCount, error)
	CategoryByID(ctx context.Context, id uint) (*models.Category, error)
	SaveCategory(ctx context.Context, id uint, in models.CategoryInput, a models.AuditEntry) (*models.Category, error)
	DeleteCategory(ctx context.Context, id uint, a models.AuditEntry) error
	CatalogRows(ctx context.Context, prices models.Prices) ([]models.CatalogRow, error)
	ImportCatalog(ctx context.Context, rows []models.CatalogRow, prices models.Prices, a models.AuditEntry) (*models.ImportResult, error)

	// One order: its timeline and what a person does to it.
	OrderByNo(ctx context.Context, orderNo string) (*models.Order, error)
	Events(ctx context.Context, orderID uint) ([]models.OrderEvent, error)
	Notifications(ctx context.Context, orderID uint) ([]models.Notification, error)
	ReviewsOf(ctx context.Context, orderID uint) ([]models.Review, error)
	RefundsOf(ctx context.Context, orderID uint) ([]models.Refund, error)
	OpenReviews(ctx context.Context, limit int) ([]models.Review, error)
	CountOpenReviews(ctx context.Context) (int64, error)
	ResolveReview(ctx context.Context, id uint, by, note string, a models.AuditEntry) (*models.Review, error)
	StartRefund(ctx context.Context, orderNo string, amount int64, reason string, restock bool, a models.AuditEntry) (*models.Refund, error)
	RefundByNo(ctx context.Context, outReturnNo string) (*models.Refund, error)
	FinishRefund(ctx context.Context, outReturnNo string, ok bool, code, message string) (*models.Refund, error)
	StartAsyncRefund(ctx context.Context, orderNo string, amount int64, reason string, restock bool, a models.AuditEntry) (*models.Refund, error)
	AcceptRefund(ctx context.Context, outReturnNo string, nextCheck time.Time) (*models.Refund, error)
	Ship(ctx context.Context, orderNo, carrier, trackingNo string, a models.AuditEntry) (*models.Order, error)
	RecordEvent(ctx context.Context, orderNo string, kind models.EventKind, actor, detail string, once bool) error
	// (more for the order page and its actions go here)

	// A product's pictures.
	PicturesOf(ctx context.Context, productIDs []uint) (map[uint][]models.Picture, error)
	AddPicture(ctx context.Context, productID uint, alt string, files []models.PictureFile, a models.AuditEntry) (*models.Picture, error)
	MovePicture(ctx context.Context, productID, pictureID uint, by int, a models.AuditEntry) error
	DeletePicture(ctx context.Context, productID, pictureID uint, a models.AuditEntry) error
}

// Admin session lifetimes: a session ends after adminIdle without a
// request, and adminLifetime after sign-in whatever happens.
const (
	adminCookie   = "shop_admin"
	adminIdle     = 30 * time.Minute
	adminLifetime = 12 * time.Hour
)

// Keys of the gin context.
const (
	ctxAdminSession = "admin_session"
	ctxAdminToken   = "admin_token"
)

// errSignIn: a page of the admin asked for without a session.
var errSignIn = errors.New("sign in first")

// adminRoutes lists every route of the merchant admin. Every page is
// no-store; every POST carries the session's CSRF token.
func (s *Server) adminRoutes(r *gin.Engine) {
	// Every admin request goes through the same chain; only the body
	// limit differs: 16 KiB forms, and for the two file uploads a larger
	// limit read only once the session is known.
	base := func(body gin.HandlerFunc) []gin.HandlerFunc {
		return []gin.HandlerFunc{s.crossOrigin(), body, s.session, noStore, s.adminSession}
	}
	open := r.Group("/admin", base(s.limitForm)...)
	open.GET("/login", s.adminLoginForm)
	open.POST("/login", s.adminLogin)

	a := open.Group("", s.requireAdmin, s.adminCSRF)
	a.POST("/logout", s.adminLogout)
	a.GET("/password", s.adminPasswordForm)
	a.POST("/password", s.adminPassword)
	a.GET("", s.adminDashboard)
	a.GET("/orders", s.adminOrders)
	a.GET("/orders.csv", s.adminOrdersCSV)
	a.GET("/orders/:order_no", s.adminOrder)
	a.POST("/orders/:order_no/refunds", s.adminRefund)
	a.POST("/orders/:order_no/refunds/:out_return_no/retry", s.adminRefundRetry)
	a.POST("/orders/:order_no/query", s.adminQuery)
	a.POST("/orders/:order_no/ship", s.adminShip)
	a.GET("/reviews", s.adminReviews)
	a.POST("/reviews/:id/resolve", s.adminResolve)
	a.GET("/notifications", s.adminNotifications)
	a.GET("/audit", s.adminAudit)
	a.GET("/reconciliation", s.adminReconciliation)
	a.GET("/reconciliation.csv", s.adminReconciliationCSV)
	a.POST("/reconciliation/fetch", s.adminFetchSettlement)

	a.GET("/products", s.adminProducts)
	a.GET("/products.csv", s.adminCatalogCSV)
	a.GET("/products/new", s.adminNewProduct)
	a.POST("/products/new", s.adminCreateProduct)
	a.GET("/products/:id", s.adminProduct)
	a.POST("/products/:id", s.adminUpdateProduct)
	a.POST("/products/:id/hide", s.adminHideProduct)
	a.POST("/products/:id/show", s.adminShowProduct)
	a.POST("/products/:id/delete", s.adminDeleteProduct)
	a.POST("/products/:id/stock", s.adminAdjustStock)
	a.GET("/products/:id/pictures", s.adminPictures)
	a.POST("/products/:id/pictures/:picture_id/move", s.adminMovePicture)
	a.POST("/products/:id/pictures/:picture_id/delete", s.adminDeletePicture)
	a.GET("/categories", s.adminCategories)
	a.POST("/categories", s.adminCreateCategory)
	a.GET("/categories/:id", s.adminCategory)
	a.POST("/categories/:id", s.adminUpdateCategory)
	a.POST("/categories/:id/delete", s.adminDeleteCategory)

	// File uploads: their CSRF token is a field of the multipart form,
	// parsed by limitUpload.
	pics := r.Group("/admin", append(base(s.passBody), s.requireAdmin, s.limitUpload(pictureFileLimit), s.adminCSRF)...)
	pics.POST("/products/:id/pictures", s.adminAddPicture)
	csv := r.Group("/admin", append(base(s.passBody), s.requireAdmin, s.limitUpload(catalogFileLimit), s.adminCSRF)...)
	csv.POST("/products.csv", s.adminImportCatalog)
}

// passBody leaves the body to a later limit (limitUpload): for the upload
// routes, which read it only once the session is known.
func (s *Server) passBody(c *gin.Context) { c.Next() }

// noStore keeps admin pages out of every cache, the browser's included.
func noStore(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.Header("X-Robots-Tag", "noindex")
	c.Next()
}

// adminSession loads the session whose token the admin cookie carries,
// if it is alive.
func (s *Server) adminSession(c *gin.Context) {
	if ck, err := c.Request.Cookie(adminCookie); err == nil && ck.Value != "" {
		sess, err := s.admin.Session(c.Request.Context(), ck.Value, s.now(), adminIdle)
		switch {
		case err == nil:
			c.Set(ctxAdminSession, sess)
			c.Set(ctxAdminToken, ck.Value)
		case !errors.Is(err, models.ErrNotFound):
			s.fail(c, err)
			return
		}
	}
	c.Next()
}

// adminOf returns the signed-in session, or nil.
func adminOf(c *gin.Context) *models.AdminSession {
	if v, ok := c.Get(ctxAdminSession); ok {
		return v.(*models.AdminSession)
	}
	return nil
}

// requireAdmin sends a visitor without a session to the sign-in page
// (GET) or refuses the request (anything else).
func (s *Server) requireAdmin(c *gin.Context) {
	if adminOf(c) != nil {
		c.Next()
		return
	}
	if c.Request.Method == http.MethodGet {
		s.redirect(c, "/admin/login?next="+url.QueryEscape(c.Request.URL.RequestURI()))
		c.Abort()
		return
	}
	s.fail(c, fmt.Errorf("%w: %w", errCrossOrigin, errSignIn))
}

// adminCSRF checks the token of every POST against the session's, in
// constant time. http.CrossOriginProtection already refuses cross-site
// posts from browsers; the token also stops a same-site page that is not
// the admin's.
func (s *Server) adminCSRF(c *gin.Context) {
	if c.Request.Method != http.MethodPost {
		c.Next()
		return
	}
	sess := adminOf(c)
	got := c.Request.PostFormValue("csrf_token")
	if sess == nil || got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRFToken)) != 1 {
		s.fail(c, fmt.Errorf("%w: missing or wrong CSRF token", errCrossOrigin))
		return
	}
	c.Next()
}

// adminPage is what every admin page's data starts with.
type adminPage struct {
	page
	Staff       *models.Staff // nil on the sign-in page
	CSRF        string
	OpenReviews int64
}

// newAdminPage fills the common admin page data.
func (s *Server) newAdminPage(c *gin.Context, titleKey string) adminPage {
	p := adminPage{page: s.newPage(c, titleKey)}
	if sess := adminOf(c); sess != nil {
		p.Staff, p.CSRF = sess.Staff, sess.CSRFToken
		if n, err := s.admin.CountOpenReviews(c.Request.Context()); err == nil {
			p.OpenReviews = n
		}
	}
	return p
}

// audit writes an admin action to the audit log: who, what, on what, from
// where. A failure to audit fails the request: an action must not happen
// unrecorded, so handlers audit before they answer.
func (s *Server) audit(c *gin.Context, action, target, detail string) error {
	return s.admin.Audit(c.Request.Context(), s.auditEntry(c, action, target, detail))
}

// auditEntry is the audit record of an action by the signed-in staff
// member, for the store to write in the action's own transaction.
func (s *Server) auditEntry(c *gin.Context, action, target, detail string) models.AuditEntry {
	e := models.AuditEntry{At: s.now(), Action: action, Target: target, Detail: detail, Remote: c.ClientIP()}
	if sess := adminOf(c); sess != nil && sess.Staff != nil {
		e.Staff = sess.Staff.Name
	}
	return e
}

// staffName is the signed-in staff member's name, or "".
func staffName(c *gin.Context) string {
	if sess := adminOf(c); sess != nil && sess.Staff != nil {
		return sess.Staff.Name
	}
	return ""
}
