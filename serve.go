package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"shop/handlers"
	"shop/ledger"
	"shop/mail"
	"shop/models"
	"shop/payment"
	"shop/payment/sandbox"
	"shop/rates"
	"shop/reconcile"
	"shop/refundcheck"
	"shop/settle"
)

// app is the wired shop: its HTTP handler, its background workers and what
// must be closed at the end. serve runs it; tests run it on httptest.
type app struct {
	cfg        *config
	log        *slog.Logger
	db         *models.DB
	sandboxDB  *gorm.DB // the sandbox's own handle; nil outside sandbox mode
	sandbox    *sandbox.Sandbox
	reconciler *reconcile.Reconciler
	refunds    *refundcheck.Checker // sends unanswered refunds again, asks about accepted asynchronous ones
	ledger     *ledger.Ledger       // Alipay's reconciliation and settlement files
	settler    *settle.Settler
	mailer     *mail.Worker // sends the outbox's e-mails
	rates      *rates.Rates // Alipay's latest exchange rates, for the CNY estimates
	// sandboxLease keeps other instances from running a sandbox too.
	sandboxLease *models.Lease
	handler      http.Handler
}

// newApp opens the database (migrating it), loads or generates keys, and
// builds the Alipay client, the sandbox (in sandbox mode), the settler, the
// reconciler and the handlers. cfg.BaseURL must be known.
func newApp(ctx context.Context, cfg *config, log *slog.Logger) (*app, error) {
	gin.SetMode(gin.ReleaseMode) // gin's mode is process-wide; debug mode only adds noise
	cr, err := loadCredentials(cfg)
	if err != nil {
		return nil, err
	}
	gateway := cfg.Gateway
	if cfg.Sandbox() {
		gateway = cfg.BaseURL + "/sandbox/gateway.do"
	}
	client, err := payment.NewClient(payment.Config{
		Gateway: gateway, Partner: cfg.Partner, SignType: cfg.SignType, MD5Key: cr.MD5Key,
		PrivateKey: cr.PrivateKey, AlipayPublicKey: cr.AlipayPublicKey,
		HTTPClient: &http.Client{Timeout: 10 * time.Second}, Now: cfg.alipayNow,
	})
	if err != nil {
		return nil, fmt.Errorf("invalid Alipay configuration: %w", err)
	}
	source := cfg.DBPath
	if cfg.DatabaseURL != "" {
		source = cfg.DatabaseURL
	}
	db, err := models.Open(ctx, source, log)
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, log: log, db: db}
	if err := a.wire(ctx, client, cr); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

func (a *app) wire(ctx context.Context, client *payment.Client, cr *credentials) error {
	if err := bootstrapAdmin(ctx, a.db, a.cfg.AdminPassword, a.cfg.passwordCost, a.log); err != nil {
		return err
	}
	cur := string(a.cfg.Currency)
	if err := a.db.SeedDemo(ctx, cur, a.cfg.Currency.Exponent()); err != nil {
		return err
	}
	if err := a.db.CheckCatalogCurrency(ctx, cur); err != nil {
		var ce *models.CurrencyError
		if errors.As(err, &ce) {
			return fmt.Errorf("%w; ALIPAY_CURRENCY is %s. Set ALIPAY_CURRENCY=%s to keep selling this catalog, "+
				"or reprice the products in %s before changing the settlement currency (orders keep the currency they were made in)",
				err, cur, ce.Stored[0], cur)
		}
		return err
	}
	settler := settle.New(settle.Config{Store: a.db, Alipay: client, Partner: a.cfg.Partner,
		NotifyVerify: a.cfg.NotifyVerify, Logger: a.log.With("component", "settle")})
	a.settler = settler
	a.reconciler = reconcile.New(reconcile.Config{Store: a.db, Alipay: client, Settler: settler,
		Logger:   a.log.With("component", "reconcile"),
		TryLease: func(ctx context.Context) (*models.Lease, error) { return a.db.TryLease(ctx, "reconciler") }})
	a.refunds = refundcheck.New(refundcheck.Config{Store: a.db, Alipay: client, Now: a.cfg.alipayNow,
		NotifyURL: strings.TrimRight(a.cfg.BaseURL, "/") + handlers.NotifyPath,
		Logger:    a.log.With("component", "refundcheck"),
		TryLease:  func(ctx context.Context) (*models.Lease, error) { return a.db.TryLease(ctx, "refundcheck") }})
	a.ledger = ledger.New(ledger.Config{Store: a.db, Alipay: client, Now: a.cfg.alipayNow,
		Logger:   a.log.With("component", "ledger"),
		TryLease: func(ctx context.Context) (*models.Lease, error) { return a.db.TryLease(ctx, "ledger") }})
	a.rates = rates.New(rates.Config{Source: client, Logger: a.log.With("component", "rates")})
	hcfg := handlers.Config{
		Store: a.db, Alipay: client, Settler: settler, Admin: a.db, Logger: a.log, BaseURL: a.cfg.BaseURL,
		Currency: a.cfg.Currency, Timeout: a.cfg.Timeout, SendTimeoutRule: a.cfg.SendTimeoutRule, Instances: a.cfg.Instances,
		TrustedProxies: a.cfg.TrustedProxies,
		SessionKeys:    cr.SessionKeys, PasswordCost: a.cfg.passwordCost,
		Shipping: a.cfg.Shipping, Rates: a.rates, RateMaxAge: a.cfg.RateMaxAge, Ledger: a.ledger,
	}
	if a.cfg.Sandbox() {
		// The sandbox runs in one instance only: its notifier and its
		// trades live in that instance's SQLite file.
		lease, err := a.db.TryLease(ctx, "sandbox")
		if err != nil {
			return err
		}
		if lease == nil {
			return fmt.Errorf("another instance runs the sandbox: only one may; start this one with " +
				"ALIPAY_GATEWAY=<that instance's BASE_URL>/sandbox/gateway.do and the same keys")
		}
		a.sandboxLease = lease
		// The sandbox keeps its tables in DB_PATH (the shop's own file on
		// SQLite) through a handle of its own, and migrates them itself.
		sdb, err := sandbox.OpenSQLite(a.cfg.DBPath)
		if err != nil {
			return fmt.Errorf("sandbox database: %w", err)
		}
		a.sandboxDB = sdb
		sb, err := sandbox.New(sandbox.Config{
			DB: sdb, Prefix: "/sandbox", PublicURL: a.cfg.BaseURL, AlipayKey: cr.SandboxKey,
			Merchants: []sandbox.Merchant{{Partner: a.cfg.Partner, MD5Key: cr.MD5Key, PublicKey: &cr.PrivateKey.PublicKey}},
			TimeScale: a.cfg.TimeScale, RefundInterval: refundInterval(a.cfg.RefundInterval),
			Logger: a.log.With("component", "sandbox"), Now: a.cfg.alipayNow,
		})
		if err != nil {
			return err
		}
		a.sandbox, hcfg.Sandbox = sb, sb
	}
	mailer, err := a.newMailer()
	if err != nil {
		return err
	}
	a.mailer = mailer
	srv, err := handlers.New(hcfg)
	if err != nil {
		return err
	}
	a.handler = srv.Handler()
	return nil
}

// newMailer builds the worker that sends the outbox's e-mails: through
// SMTP when SMTP_URL is set; otherwise into the log and, in sandbox mode,
// the sandbox's mailbox.
func (a *app) newMailer() (*mail.Worker, error) {
	log := a.log.With("component", "mail")
	renderer, err := mail.NewRenderer(mail.RendererConfig{BaseURL: a.cfg.BaseURL, From: a.cfg.SMTPFrom})
	if err != nil {
		return nil, err
	}
	sender := mail.Log(log)
	switch sb := a.sandbox; {
	case a.cfg.SMTPURL != "":
		if sender, err = mail.NewSMTP(mail.SMTPConfig{URL: a.cfg.SMTPURL}); err != nil {
			return nil, err
		}
	case sb != nil:
		sender = mail.All(sender, mail.SenderFunc(func(ctx context.Context, m *mail.Message) error {
			return sb.ReceiveMail(ctx, sandbox.Mail{MessageID: m.ID, From: m.From.String(), To: m.To,
				Subject: m.Subject, Text: m.Text, HTML: m.HTML})
		}))
	}
	return mail.NewWorker(mail.WorkerConfig{Store: a.db, Renderer: renderer, Sender: sender, Logger: log}), nil
}

// refundInterval is the sandbox's setting for SANDBOX_REFUND_INTERVAL,
// where 0 means no limit (the sandbox reads 0 as its default).
func refundInterval(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// ledgerInterval is how often the daily fetch of Alipay's files looks
// whether yesterday is in.
const ledgerInterval = time.Hour

// runWorkers runs the background work until ctx is done: the reconciler,
// the checker of asynchronous refunds, the daily fetch of Alipay's
// reconciliation and settlement files,
// the settler's tally of rejected notifications, the exchange-rate fetcher,
// the e-mail worker and, in sandbox mode, the sandbox's notifier and timeout sweeper. It
// returns when they have all stopped.
func (a *app) runWorkers(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { a.reconciler.Run(ctx, a.cfg.ReconcileInterval) })
	wg.Go(func() { a.refunds.Run(ctx, a.cfg.ReconcileInterval) })
	wg.Go(func() { a.ledger.Run(ctx, ledgerInterval) })
	wg.Go(func() { a.settler.Run(ctx) })
	wg.Go(func() { a.mailer.Run(ctx) })
	wg.Go(func() { a.rates.Run(ctx) })
	if a.sandbox != nil {
		wg.Go(func() {
			if err := a.sandbox.Run(ctx); err != nil {
				a.log.Error("sandbox stopped", "err", err)
			}
		})
	}
	wg.Wait()
}

// Close closes the databases.
func (a *app) Close() error {
	var errs []error
	if a.sandboxLease != nil {
		a.sandboxLease.Release()
	}
	if a.sandboxDB != nil {
		if sqlDB, err := a.sandboxDB.DB(); err == nil {
			errs = append(errs, sqlDB.Close())
		}
	}
	errs = append(errs, a.db.Close())
	return errors.Join(errs...)
}

// serve runs the shop until ctx is done, then shuts down gracefully: the
// workers stop first (no new notification deliveries), then the server
// drains requests in flight, then the database closes.
func serve(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := loadConfig(args, getenv, stdout)
	if err != nil {
		return err
	}
	log := newLogger(stdout, cfg.LogLevel)
	// Listen first: an unset BASE_URL follows the port actually bound.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	cfg.resolveBaseURL(ln.Addr())
	a, err := newApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	log.Info("starting", cfg.logValue()...)
	for _, w := range cfg.warnings {
		log.Warn("unwise configuration: " + w)
	}
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	workersCtx, stopWorkers := context.WithCancel(context.Background())
	workersDone := make(chan struct{})
	go func() {
		a.runWorkers(workersCtx)
		close(workersDone)
	}()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "url", cfg.BaseURL, "sandbox", cfg.Sandbox())
	if cfg.Sandbox() {
		log.Info("sandbox mode: no real money; the local Alipay gateway and its console are at " + cfg.BaseURL + "/sandbox/")
	}
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		stopWorkers()
		<-workersDone
		return err
	}
	log.Info("shutting down")
	stopWorkers()
	<-workersDone
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(strings.ToUpper(level)))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}
