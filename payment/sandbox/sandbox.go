// Package sandbox is a local Alipay cross-border gateway: the other side of
// the wire from package payment, speaking the same protocol with the same
// signatures, strict the way Alipay is strict.
//
// It serves the gateway (gateway.do) with every service of the mapi
// cross-border family, a cashier page for buyers, an endpoint standing in for
// the Alipay app SDK, signed return redirects, asynchronous notifications
// retried on Alipay's schedule, query, refund (synchronous, or asynchronous
// with its result notified), refund query, notify_verify and the rate,
// reconciliation and settlement files, plus a console, a JSON control API
// and fault injection for tests, and a mailbox where the merchant's
// application can leave the e-mails it would send (ReceiveMail). Its trades,
// notifications and refunds live in sandbox_* tables of a database handle of
// its own, which it migrates itself, so pending deliveries survive a restart.
//
// Open the handle with OpenSQLite (the file may be the shop's: the tables and
// the migration record are apart), mount the Sandbox (an http.Handler) under
// a prefix (the shop uses /sandbox) and run Run in the background for the
// notifier and the timeout sweeper:
//
//	db, err := sandbox.OpenSQLite("sandbox.db")
//	...
//	sb, err := sandbox.New(sandbox.Config{DB: db, Prefix: "/sandbox", ...})
//	...
//	mux.Handle("/sandbox/", sb)
//	go sb.Run(ctx)
//
// It imports package payment and nothing of the shop.
package sandbox

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"shop/payment"
)

// Merchant is a partner registered with the sandbox and the keys it signs
// with. A sign type is accepted only if its key is configured.
type Merchant struct {
	Partner   string
	MD5Key    string            // enables MD5
	PublicKey *rsa.PublicKey    // the merchant's public key; enables RSA and RSA2
	Services  []payment.Service // nil: every service; otherwise others are HAS_NO_PRIVILEGE
}

// Config configures a Sandbox.
type Config struct {
	// DB is the sandbox's own handle (see OpenSQLite), not one the shop
	// uses: New applies the sandbox's migrations on it, recording them in
	// sandbox_goose_db_version, and the sandbox keeps its tables (named
	// sandbox_*) there. It may be on the shop's file.
	DB *gorm.DB

	// Prefix is the path the handler is mounted at, such as "/sandbox".
	// PublicURL is the scheme and host buyers reach it on, for the QR code
	// of the desktop cashier.
	Prefix    string
	PublicURL string

	Merchants []Merchant
	// AlipayKey is the sandbox's own "Alipay" private key: it signs
	// notifications, returns and responses for RSA and RSA2 merchants, who
	// verify with its public half.
	AlipayKey *rsa.PrivateKey

	// TimeScale divides the notification retry schedule and the relative
	// trade timeouts, timeout_rule and a relative it_b_pay
	// (SANDBOX_TIME_SCALE); 3600 turns an hour into a second. Absolute
	// deadlines (order_gmt_create + order_valid_time, an it_b_pay time) are
	// instants on the merchant's clock and are not scaled.
	TimeScale float64
	// NotifyIDTTL is how long after the latest delivery attempt notify_verify
	// still answers true; 0 means 60 s, a negative value forever.
	NotifyIDTTL time.Duration
	// Rates is CNY per unit of each settlement currency, as decimal
	// strings; nil means a built-in table.
	Rates map[payment.Currency]string

	// RefundWindow is how long after its payment a trade can be refunded:
	// later, forex_refund answers REFUNDMENT_VALID_DATE_EXCEED. Alipay
	// documents the rule but not the length, which is the contract's; 0
	// means 365 days (a year, the longest window contracts commonly grant,
	// so the sandbox refuses nothing a real contract would allow), a
	// negative value none. It runs on Now and is not scaled: it is a
	// contract term, not a schedule.
	RefundWindow time.Duration
	// RefundInterval is the least time between two refunds of one
	// partner, which Alipay asks to be 3 s. A new refund sooner is answered
	// SYSTEM_EXCEPTION, the documented code whose remedy, retrying with
	// the same out_return_no, is the right one; a retry of an accepted
	// refund (same out_return_no, same data) is never held back. 0 means
	// 3 s, a negative value no limit. It runs on Now, not scaled.
	RefundInterval time.Duration
	// RefundDelay is how long an asynchronous refund (is_sync=N) stays
	// PROCESSING before it completes and its result is notified, divided
	// by TimeScale like the notification schedule; 0 means one minute, a
	// negative value the next round of Run.
	RefundDelay time.Duration
	// FeeBasisPoints is Alipay's charge on each payment and refund in the
	// reconciliation and settlement files, in hundredths of a percent,
	// rounded half up to the minor unit; 0 means 180 (1.8%), a negative
	// value no charge.
	FeeBasisPoints int

	// HTTPClient delivers notifications; nil means a 15 s timeout client.
	// Redirects are never followed, whatever its CheckRedirect.
	HTTPClient *http.Client
	Logger     *slog.Logger
	Now        func() time.Time // schedules, timeouts and latencies run on it; nil means time.Now
}

// Sandbox is the local gateway. It is an http.Handler.
type Sandbox struct {
	cfg       Config
	db        *gorm.DB
	merchants map[string]Merchant
	alipayKey *rsa.PrivateKey
	rates     map[payment.Currency]string
	log       *slog.Logger
	http      *http.Client
	handler   http.Handler
	pages     *pages

	wake       chan struct{} // a notification is due now
	afterRound func()        // set by tests only, before Run starts

	mu     sync.Mutex
	faults Faults
}

// New checks cfg, brings the sandbox's tables up to date and returns the
// gateway.
func New(cfg Config) (*Sandbox, error) {
	if cfg.DB == nil {
		return nil, errors.New("sandbox: no database")
	}
	if cfg.AlipayKey == nil {
		return nil, errors.New("sandbox: no Alipay key")
	}
	if len(cfg.Merchants) == 0 {
		return nil, errors.New("sandbox: no merchant registered")
	}
	if cfg.TimeScale <= 0 {
		cfg.TimeScale = 1
	}
	if cfg.NotifyIDTTL == 0 {
		cfg.NotifyIDTTL = 60 * time.Second
	}
	if cfg.RefundWindow == 0 {
		cfg.RefundWindow = 365 * 24 * time.Hour
	}
	if cfg.RefundInterval == 0 {
		cfg.RefundInterval = 3 * time.Second
	}
	if cfg.RefundDelay == 0 {
		cfg.RefundDelay = time.Minute
	}
	if cfg.FeeBasisPoints == 0 {
		cfg.FeeBasisPoints = 180
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Prefix = strings.TrimRight(cfg.Prefix, "/")
	s := &Sandbox{
		cfg: cfg, db: cfg.DB, merchants: map[string]Merchant{}, alipayKey: cfg.AlipayKey,
		rates: cfg.Rates, log: cfg.Logger, http: cfg.HTTPClient, wake: make(chan struct{}, 1),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.http == nil {
		s.http = &http.Client{Timeout: 15 * time.Second}
	}
	// Alipay does not follow redirects from notify_url: a merchant whose
	// endpoint redirects (http to https, a missing slash) must see its
	// notifications fail here too, not succeed at the redirect target.
	hc := *s.http
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	s.http = &hc
	if s.rates == nil {
		s.rates = defaultRates
	}
	for _, m := range cfg.Merchants {
		if m.MD5Key != "" {
			if _, err := payment.NewMD5Key(m.MD5Key); err != nil {
				return nil, fmt.Errorf("sandbox: merchant %s: %w", m.Partner, err)
			}
		}
		if m.MD5Key == "" && m.PublicKey == nil {
			return nil, fmt.Errorf("sandbox: merchant %s has no key", m.Partner)
		}
		s.merchants[m.Partner] = m
	}
	if err := migrate(context.Background(), s.db, s.log); err != nil {
		return nil, err
	}
	var err error
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	s.faults = defaultFaults()
	s.handler = s.routes()
	return s, nil
}

// defaultRates is CNY per unit of currency, illustrative sandbox values.
var defaultRates = map[payment.Currency]string{
	"USD": "7.1234", "EUR": "7.7810", "GBP": "9.0625", "HKD": "0.9123", "JPY": "0.0482",
	"KRW": "0.0053", "AUD": "4.6850", "CAD": "5.2010", "CHF": "8.0520", "SGD": "5.3110",
	"NZD": "4.2960", "SEK": "0.6790", "DKK": "1.0430", "NOK": "0.6710", "THB": "0.2010",
}

// ServeHTTP serves the gateway, cashier, console and control API. Requests
// must arrive with the configured prefix still in the path.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

func (s *Sandbox) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/gateway.do", s.gateway)
	mux.HandleFunc("GET /cashier/{token}", s.cashier)
	mux.HandleFunc("POST /cashier/{token}/{action}", s.cashierAction)
	mux.HandleFunc("POST /app/pay", s.appPay)
	mux.HandleFunc("GET /{$}", s.console)
	mux.HandleFunc("POST /console/{action}", s.consoleAction)
	mux.HandleFunc("GET /api/trades", s.apiTrades)
	mux.HandleFunc("POST /api/trades/{out_trade_no}/pay", s.apiPay)
	mux.HandleFunc("POST /api/trades/{out_trade_no}/close", s.apiClose)
	mux.HandleFunc("GET /api/notifications", s.apiNotifications)
	mux.HandleFunc("POST /api/notifications/{notify_id}/deliver", s.apiDeliver)
	mux.HandleFunc("GET /api/refunds", s.apiRefunds)
	mux.HandleFunc("GET /api/faults", s.apiFaults)
	mux.HandleFunc("PUT /api/faults", s.apiSetFaults)
	mux.HandleFunc("GET /mail", s.mailbox)
	mux.HandleFunc("GET /api/mail", s.apiMail)

	// Merchants' servers and their buyers' browsers post to the gateway
	// and the app endpoint from other origins, as they do to Alipay; the
	// console and cashier forms must come from the sandbox's own pages.
	cop := http.NewCrossOriginProtection()
	cop.AddInsecureBypassPattern("/gateway.do")
	cop.AddInsecureBypassPattern("POST /app/pay")
	guarded := cop.Handler(mux)
	return s.secure(http.StripPrefix(s.cfg.Prefix, guarded))
}

// Run delivers due notifications and closes expired trades until ctx is
// done. Deliveries pending at shutdown resume at the next Run.
func (s *Sandbox) Run(ctx context.Context) error {
	for {
		next, err := s.round(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Error("sandbox: background round", "err", err)
		}
		if s.afterRound != nil {
			s.afterRound()
		}
		// Sleep until the next deadline, at most a second (a clock given
		// in Config.Now may jump); new notifications wake Run at once.
		wait := time.Second
		if !next.IsZero() {
			wait = min(wait, max(next.Sub(s.now()), 0))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-s.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// round closes the trades past their timeout, completes the asynchronous
// refunds due (queueing their results) and delivers the notifications due,
// all as of the sandbox's now, and returns the earliest deadline left
// (zero if there is none).
func (s *Sandbox) round(ctx context.Context) (time.Time, error) {
	now := s.now()
	nextExpiry, errExpiry := s.closeExpired(ctx, now)
	if errExpiry != nil {
		errExpiry = fmt.Errorf("closing expired trades: %w", errExpiry)
	}
	nextRefund, errRefund := s.completeDueRefunds(ctx, now)
	if errRefund != nil {
		errRefund = fmt.Errorf("completing refunds: %w", errRefund)
	}
	nextNotify, errNotify := s.deliverDue(ctx, now)
	if errNotify != nil {
		errNotify = fmt.Errorf("delivering notifications: %w", errNotify)
	}
	var next time.Time
	for _, t := range []time.Time{nextExpiry, nextRefund, nextNotify} {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	return next, errors.Join(errExpiry, errRefund, errNotify)
}

// now is the sandbox's clock, in UTC: SQLite compares the stored times
// (expires_at, next_at) as text, which orders instants only within one
// offset, and a local clock changes offset at daylight-saving switches.
func (s *Sandbox) now() time.Time { return s.cfg.Now().UTC() }

// scaled divides d by the time scale.
func (s *Sandbox) scaled(d time.Duration) time.Duration {
	return time.Duration(float64(d) / s.cfg.TimeScale)
}

// poke wakes Run so that a new notification goes out at once and a new
// trade's deadline is taken into account.
func (s *Sandbox) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// url returns an absolute path under the sandbox prefix.
func (s *Sandbox) path(p string) string { return s.cfg.Prefix + p }
