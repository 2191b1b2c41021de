// Package handlers is the shop's HTTP layer: routes, middleware, sessions,
// pages and the JSON API, and the Alipay return and notification endpoints.
// It parses and validates input, calls one operation of the store, the
// Alipay client or the settler, and responds; errors become statuses in one
// table (errors.go).
package handlers

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/sessions"

	"shop/assets"
	"shop/models"
	"shop/payment"
	"shop/refundcheck"
	"shop/settle"
	"shop/views"
)

// Store is what the handlers need from the database.
type Store interface {
	Products(ctx context.Context) ([]models.Product, error)
	ProductBySlug(ctx context.Context, slug string) (*models.Product, error)
	ProductsByID(ctx context.Context, ids []uint) (map[uint]models.Product, error)
	Categories(ctx context.Context) ([]models.Category, error)
	PicturesOf(ctx context.Context, productIDs []uint) (map[uint][]models.Picture, error)
	PictureFileByHash(ctx context.Context, hash string) (*models.PictureFile, error)
	CreateOrder(ctx context.Context, n models.NewOrder) (*models.Order, bool, error)
	OrderByNo(ctx context.Context, orderNo string) (*models.Order, error)
	OwnedOrder(ctx context.Context, orderNo, ownerID string) (*models.Order, error)
	// OrderRow is the order without its lines, in one indexed query: the
	// unpaid-order banner of every page, and the order lookup.
	OrderRow(ctx context.Context, orderNo string) (*models.Order, error)
	CloseOrder(ctx context.Context, orderNo, reason string) (bool, error)
	Ping(ctx context.Context) error
	Heartbeat(ctx context.Context, at time.Time) error
	RecordEvent(ctx context.Context, orderNo string, kind models.EventKind, actor, detail string, once bool) error
}

// Settler verifies and applies Alipay's asynchronous notifications, and
// applies a verified query answer the same way (package settle).
type Settler interface {
	Notify(ctx context.Context, r settle.Receipt) (models.Verdict, error)
	ApplyTrade(ctx context.Context, o *models.Order, tr *payment.Trade) (models.Verdict, error)
}

// Alipay is what the handlers need from the Alipay client.
type Alipay interface {
	Partner() string
	SignType() payment.SignType
	PayURL(req payment.TradeRequest) (string, error)
	AppOrderString(req payment.AppPayRequest) (string, error)
	ParseReturn(rawQuery string) (*payment.Notification, error)
	QueryTrade(ctx context.Context, q payment.QueryRequest) (*payment.Trade, error)
	Refund(ctx context.Context, r payment.RefundRequest) (*payment.RefundResult, error)
}

// Config is everything the handlers depend on. main builds it.
type Config struct {
	Store   Store
	Alipay  Alipay
	Settler Settler
	// Admin is the merchant admin's store; nil leaves /admin unrouted.
	Admin AdminStore
	// Location is the merchant's time zone: the admin's days and months
	// start at its midnight. nil means time.Local (the TZ variable).
	Location *time.Location
	Logger   *slog.Logger
	BaseURL  string           // public base URL; notify_url and return_url are built from it
	Currency payment.Currency // settlement currency: the catalog's prices are in it
	// Timeout is how long an order can be paid, e.g. "30m": every payment
	// request carries the absolute deadline it gives. It is also sent as
	// the relative timeout_rule / it_b_pay when SendTimeoutRule is set
	// (the merchant's contract must enable it).
	Timeout         string
	SendTimeoutRule bool
	// TrustedProxies are the addresses or CIDRs of the load balancers whose
	// X-Forwarded-For is believed; empty trusts none.
	TrustedProxies []string
	// Instances is how many instances share the load behind the load
	// balancer; each takes its share of the per-client request limit.
	Instances int
	// SessionKeys are the cookie keys: pairs of a 32- or 64-byte
	// authentication key and a 32-byte encryption key; the first pair signs
	// new cookies, later pairs still read old ones (key rotation).
	SessionKeys [][]byte
	// PasswordCost is bcrypt's cost for staff passwords; 0 is
	// models.DefaultPasswordCost.
	PasswordCost int
	// Sandbox, when set, is the local Alipay gateway, mounted at /sandbox.
	Sandbox http.Handler
	// Shipping is the shipping charge every order pays (SHIPPING_FLAT,
	// SHIPPING_FREE_OVER), in minor units of Currency; the zero value
	// ships free.
	Shipping models.Shipping
	// Rates are Alipay's latest exchange rates, for the CNY estimates
	// Chinese pages show beside prices; nil shows none.
	Rates Rates
	// RateMaxAge hides the estimates made with a rate older than it;
	// 0 means DefaultRateMaxAge.
	RateMaxAge time.Duration
	// Ledger fetches Alipay's reconciliation and settlement files and
	// matches them (package ledger); nil leaves /admin/reconciliation
	// answering 404.
	Ledger Ledger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Server serves the shop.
type Server struct {
	store          Store
	alipay         Alipay
	settler        Settler
	admin          AdminStore
	loc            *time.Location
	log            *slog.Logger
	baseURL        string
	currency       payment.Currency
	timeout        string
	timeoutDur     time.Duration
	sendTimeout    bool
	health         health
	trustedProxies []string
	passwordCost   int
	sessions       *sessions.CookieStore
	secure         bool
	sandbox        http.Handler
	views          *views.Set
	catalogCache   catalogCache // the catalog the lists show (catalog_cache.go)
	limiter        *ipLimiter
	shipping       models.Shipping
	rates          Rates
	rateMaxAge     time.Duration
	ledger         Ledger
	refunds        *refundcheck.Sender
	now            func() time.Time
	pages          sync.Pool // *bytes.Buffer: see pageBuffer
}

// New checks cfg and returns a Server.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Alipay == nil || cfg.Settler == nil {
		return nil, errors.New("handlers: store, Alipay client and settler are required")
	}
	for _, p := range cfg.TrustedProxies {
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			return nil, fmt.Errorf("handlers: trusted proxy %q is neither an IP address nor a CIDR", p)
		}
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
		store: cfg.Store, alipay: cfg.Alipay, settler: cfg.Settler, admin: cfg.Admin, loc: cfg.Location, log: cfg.Logger,
		baseURL: strings.TrimRight(cfg.BaseURL, "/"), currency: cfg.Currency, timeout: cfg.Timeout,
		timeoutDur: time.Duration(secs) * time.Second, sendTimeout: cfg.SendTimeoutRule, trustedProxies: cfg.TrustedProxies, passwordCost: cfg.PasswordCost,
		secure: u.Scheme == "https", sandbox: cfg.Sandbox, views: v, limiter: newIPLimiter(cfg.Instances), now: cfg.Now,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if err := cfg.Shipping.Validate(); err != nil {
		return nil, fmt.Errorf("handlers: %w", err)
	}
	s.shipping, s.rates, s.rateMaxAge, s.ledger = cfg.Shipping, cfg.Rates, cfg.RateMaxAge, cfg.Ledger
	if s.admin != nil {
		s.refunds = refundcheck.NewSender(refundcheck.SenderConfig{Store: s.admin, Alipay: s.alipay,
			NotifyURL: s.baseURL + NotifyPath, Logger: s.log, Now: s.now})
	}
	if s.rateMaxAge <= 0 {
		s.rateMaxAge = DefaultRateMaxAge
	}
	if s.loc == nil {
		s.loc = time.Local
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
