// Package handlers is the shop's HTTP layer: routes, middleware, sessions,
// pages and the JSON API, the Alipay return and notification endpoints, and
// the reconciler that settles orders Alipay never told us about. It parses
// and validates input, calls one operation of the store or the Alipay
// client, and responds.
package handlers

import (
	"context"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/sessions"

	"shop/assets"
	"shop/models"
	"shop/payment"
	"shop/views"
)

// Store is what the handlers need from the database.
type Store interface {
	Products(ctx context.Context) ([]models.Product, error)
	ProductBySlug(ctx context.Context, slug string) (*models.Product, error)
	ProductsByID(ctx context.Context, ids []uint) (map[uint]models.Product, error)
	CreateOrder(ctx context.Context, n models.NewOrder) (*models.Order, bool, error)
	OrderByNo(ctx context.Context, orderNo string) (*models.Order, error)
	OwnedOrder(ctx context.Context, orderNo, ownerID string) (*models.Order, error)
	ApplyPayment(ctx context.Context, n *models.Notification, p models.Payment) (models.Verdict, *models.Order, error)
	RecordUnapplied(ctx context.Context, n *models.Notification) error
	CloseOrder(ctx context.Context, orderNo, reason string) (bool, error)
	ExpiredPending(ctx context.Context, now time.Time, limit int) ([]models.Order, error)
	Ping(ctx context.Context) error
}

// Alipay is what the handlers need from the Alipay client.
type Alipay interface {
	Partner() string
	SignType() payment.SignType
	PayURL(req payment.TradeRequest) (string, error)
	AppOrderString(req payment.AppPayRequest) (string, error)
	ParseNotification(body []byte, contentType string) (*payment.Notification, error)
	ParseReturn(rawQuery string) (*payment.Notification, error)
	NotifyVerify(ctx context.Context, notifyID string) error
	QueryTrade(ctx context.Context, q payment.QueryRequest) (*payment.Trade, error)
}

// Config is everything the handlers depend on. main builds it.
type Config struct {
	Store    Store
	Alipay   Alipay
	Logger   *slog.Logger
	BaseURL  string           // public base URL; notify_url and return_url are built from it
	Currency payment.Currency // settlement currency: the catalog's prices are in it
	Timeout  string           // timeout_rule / it_b_pay sent with payments, e.g. "30m"
	// NotifyVerify calls notify_verify for every notification.
	NotifyVerify bool
	// SessionKeys are the cookie keys: pairs of a 32- or 64-byte
	// authentication key and a 32-byte encryption key; the first pair signs
	// new cookies, later pairs still read old ones (key rotation).
	SessionKeys [][]byte
	// Sandbox, when set, is the local Alipay gateway, mounted at /sandbox.
	Sandbox http.Handler
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Server serves the shop.
type Server struct {
	store        Store
	alipay       Alipay
	log          *slog.Logger
	baseURL      string
	currency     payment.Currency
	timeout      string
	timeoutDur   time.Duration
	notifyVerify bool
	sessions     *sessions.CookieStore
	secure       bool
	sandbox      http.Handler
	views        *views.Set
	limiter      *ipLimiter
	now          func() time.Time
}

// New checks cfg and returns a Server.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Alipay == nil {
		return nil, errors.New("handlers: store and Alipay client are required")
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("handlers: BASE_URL must be an absolute http(s) URL")
	}
	if len(cfg.SessionKeys) == 0 {
		return nil, errors.New("handlers: a session key is required")
	}
	secs, err := payment.ParseTimeout(cfg.Timeout)
	if err != nil {
		return nil, err
	}
	v, err := views.Parse(template.FuncMap{"asset": assets.Path})
	if err != nil {
		return nil, err
	}
	s := &Server{
		store: cfg.Store, alipay: cfg.Alipay, log: cfg.Logger, baseURL: strings.TrimRight(cfg.BaseURL, "/"),
		currency: cfg.Currency, timeout: cfg.Timeout, timeoutDur: time.Duration(secs) * time.Second,
		notifyVerify: cfg.NotifyVerify, secure: u.Scheme == "https", sandbox: cfg.Sandbox, views: v,
		limiter: newIPLimiter(), now: cfg.Now,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.sessions = sessions.NewCookieStore(cfg.SessionKeys...)
	s.sessions.Options = &sessions.Options{
		Path:     "/",
		MaxAge:   int((14 * 24 * time.Hour).Seconds()),
		HttpOnly: true,
		Secure:   s.secure,
		// Lax, so the session survives the top-level redirect back from Alipay.
		SameSite: http.SameSiteLaxMode,
	}
	return s, nil
}
