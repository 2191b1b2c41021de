package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"
)

// recoverer turns a panic into a 500 page and an error log with the stack;
// no panic reaches a user.
func (s *Server) recoverer(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic", "path", c.Request.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if !c.Writer.Written() {
				s.fail(c, fmt.Errorf("panic: %v", v))
			}
			c.Abort()
		}
	}()
	c.Next()
}

// requestLog logs one line per request; 5xx at error level, assets at
// debug. It runs on every request, so it builds the line only when its
// level is on, with typed attributes rather than key-value pairs boxed in
// interfaces, and without the caller's program counter (a stack walk the
// text handler would not print anyway).
func (s *Server) requestLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	status := c.Writer.Status()
	level := slog.LevelInfo
	switch {
	case status >= 500:
		level = slog.LevelError
	case strings.HasPrefix(c.Request.URL.Path, "/assets/"):
		level = slog.LevelDebug
	}
	ctx := c.Request.Context()
	h := s.log.Handler()
	if !h.Enabled(ctx, level) {
		return
	}
	now := time.Now()
	r := slog.NewRecord(now, level, "request", 0)
	r.AddAttrs(slog.String("method", c.Request.Method), slog.String("path", c.Request.URL.Path),
		slog.Int("status", status), slog.Int64("duration_ms", now.Sub(start).Milliseconds()),
		slog.String("remote", c.ClientIP()))
	if len(c.Errors) > 0 {
		r.AddAttrs(slog.String("err", c.Errors.String()))
	}
	_ = h.Handle(ctx, r) // as slog.Logger does: a failed log write has nowhere to go
}

// securityHeaders sets the headers every page gets. Forms may post to the
// shop itself only; the checkout then redirects to Alipay, which
// form-action must allow, hence https: for the real gateway. Scripts are
// the shop's own files only (order.js): nothing inline, nothing external.
func securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	h.Set("X-Frame-Options", "DENY")
	if !strings.HasPrefix(c.Request.URL.Path, "/sandbox/") {
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self' https:; frame-ancestors 'none'; base-uri 'none'")
	}
	c.Next()
}

// crossOrigin refuses state-changing requests a browser sent from another
// site (CSRF), using Go's http.CrossOriginProtection: it reads the
// Sec-Fetch-Site and Origin headers every current browser sends, needs no
// token in forms, and lets non-browser clients (apps, scripts) through.
func (s *Server) crossOrigin() gin.HandlerFunc {
	cop := http.NewCrossOriginProtection()
	return func(c *gin.Context) {
		if err := cop.Check(c.Request); err != nil {
			s.log.Warn("cross-origin request refused", "path", c.Request.URL.Path, "origin", c.Request.Header.Get("Origin"))
			s.fail(c, fmt.Errorf("%w: %v", errCrossOrigin, err))
			return
		}
		c.Next()
	}
}

// ipLimiter limits order creation per client address, so that nobody can
// reserve the whole stock with a script. It lives in each instance's
// memory: with several instances behind a load balancer, each takes its
// share of the limit (instances), so that together they allow what one
// would (a burst of 20, then one every 3 s).
type ipLimiter struct {
	mu       sync.Mutex
	every    time.Duration
	burst    int
	limiters map[string]*rate.Limiter
	lastSeen map[string]time.Time
}

func newIPLimiter(instances int) *ipLimiter {
	instances = max(instances, 1)
	return &ipLimiter{every: 3 * time.Second * time.Duration(instances), burst: max(20/instances, 1),
		limiters: map[string]*rate.Limiter{}, lastSeen: map[string]time.Time{}}
}

func (l *ipLimiter) allow(ip string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.limiters) > 10_000 { // forget idle clients
		for k, t := range l.lastSeen {
			if now.Sub(t) > 10*time.Minute {
				delete(l.limiters, k)
				delete(l.lastSeen, k)
			}
		}
	}
	lim, ok := l.limiters[ip]
	if !ok {
		lim = rate.NewLimiter(rate.Every(l.every), l.burst)
		l.limiters[ip] = lim
	}
	l.lastSeen[ip] = now
	return lim.AllowN(now, 1)
}

// rateLimit limits requests per client address: the peer's, or the one a
// trusted proxy (TRUSTED_PROXIES) reports in X-Forwarded-For.
func (s *Server) rateLimit(c *gin.Context) {
	if !s.limiter.allow(c.ClientIP(), s.now()) {
		s.fail(c, errTooMany)
		return
	}
	c.Next()
}

// Body limits. A notification or an API order is a few KB; the shop's own
// forms far less. Nothing anonymous may make the server read more.
const (
	formBodyLimit = 16 << 10
	apiBodyLimit  = 64 << 10
)

// limitBody caps the request body at n bytes.
func limitBody(n int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, n)
		c.Next()
	}
}

// limitForm caps a form post at formBodyLimit and parses it, answering 413
// when it is larger: the handlers then read the parsed form.
func (s *Server) limitForm(c *gin.Context) {
	if c.Request.Method != http.MethodPost {
		c.Next()
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, formBodyLimit)
	if err := c.Request.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			s.fail(c, fmt.Errorf("%w: %v", errTooLarge, err))
			return
		}
		s.fail(c, fmt.Errorf("%w: %v", errBadRequest, err))
		return
	}
	c.Next()
}

// health remembers the last write check, so that anonymous requests to
// /healthz cause at most one database write a second.
type health struct {
	mu  sync.Mutex
	at  time.Time
	err error
}

func (h *health) check(ctx context.Context, now time.Time, write func(context.Context, time.Time) error) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.at.IsZero() && now.Sub(h.at) < time.Second && now.Sub(h.at) >= 0 {
		return h.err
	}
	h.at, h.err = now, write(ctx, now)
	return h.err
}
