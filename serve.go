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

	"shop/handlers"
	"shop/models"
	"shop/payment"
	"shop/payment/sandbox"
)

// app is the wired shop: its HTTP handler, its background workers and what
// must be closed at the end. serve runs it; tests run it on httptest.
type app struct {
	cfg     *config
	log     *slog.Logger
	db      *models.DB
	server  *handlers.Server
	sandbox *sandbox.Sandbox // nil unless in sandbox mode
	handler http.Handler
}

// newApp opens the database, loads or generates keys, and builds the
// Alipay client, the sandbox (in sandbox mode) and the handlers.
func newApp(cfg *config, log *slog.Logger) (*app, error) {
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
		HTTPClient: &http.Client{Timeout: 10 * time.Second},
	})
	if err != nil {
		return nil, fmt.Errorf("invalid Alipay configuration: %w", err)
	}
	db, err := models.Open(cfg.DBPath, log)
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, log: log, db: db}
	if err := a.wire(client, cr); err != nil {
		db.Close()
		return nil, err
	}
	return a, nil
}

func (a *app) wire(client *payment.Client, cr *credentials) error {
	ctx := context.Background()
	if err := a.db.SeedCatalog(ctx, string(a.cfg.Currency), a.cfg.Currency.Exponent()); err != nil {
		return err
	}
	hcfg := handlers.Config{
		Store: a.db, Alipay: client, Logger: a.log, BaseURL: a.cfg.BaseURL, Currency: a.cfg.Currency,
		Timeout: a.cfg.Timeout, NotifyVerify: a.cfg.NotifyVerify, SessionKeys: cr.SessionKeys,
	}
	if a.cfg.Sandbox() {
		sb, err := sandbox.New(sandbox.Config{
			DB: a.db.Gorm(), Prefix: "/sandbox", PublicURL: a.cfg.BaseURL, AlipayKey: cr.SandboxKey,
			Merchants: []sandbox.Merchant{{Partner: a.cfg.Partner, MD5Key: cr.MD5Key, PublicKey: &cr.PrivateKey.PublicKey}},
			TimeScale: a.cfg.TimeScale, Logger: a.log.With("component", "sandbox"),
		})
		if err != nil {
			return err
		}
		a.sandbox, hcfg.Sandbox = sb, sb
	}
	srv, err := handlers.New(hcfg)
	if err != nil {
		return err
	}
	a.server, a.handler = srv, srv.Handler()
	return nil
}

// runWorkers runs the background work until ctx is done: the reconciler
// and, in sandbox mode, the sandbox's notifier and timeout sweeper. It
// returns when they have all stopped.
func (a *app) runWorkers(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.server.Reconcile(ctx, time.Minute)
	}()
	if a.sandbox != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := a.sandbox.Run(ctx); err != nil {
				a.log.Error("sandbox stopped", "err", err)
			}
		}()
	}
	wg.Wait()
}

// Close closes the database.
func (a *app) Close() error { return a.db.Close() }

// serve runs the shop until ctx is done, then shuts down gracefully: the
// workers stop first (no new notification deliveries), then the server
// drains requests in flight, then the database closes.
func serve(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := loadConfig(args, getenv, stdout)
	if err != nil {
		return err
	}
	log := newLogger(stdout, cfg.LogLevel)
	log.Info("starting", cfg.logValue()...)
	a, err := newApp(cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
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
