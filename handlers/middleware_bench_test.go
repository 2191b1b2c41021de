package handlers

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
)

// BenchmarkRequestLog measures the request log middleware alone, at the
// production level (info) into a text handler, as serve.go sets it up:
// one line for a page, none for an asset.
func BenchmarkRequestLog(b *testing.B) {
	s := &Server{log: slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	r := gin.New()
	r.Use(s.requestLog)
	r.GET("/*path", func(c *gin.Context) { c.Status(http.StatusOK) })
	for _, path := range []string{"/products/silk-scarf", "/assets/style.css"} {
		b.Run(path, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			b.ReportAllocs()
			for b.Loop() {
				r.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}

// BenchmarkAnonymousSession measures the session middleware and the save
// every page makes, for a browser that sent no cookie and was given
// nothing to remember.
func BenchmarkAnonymousSession(b *testing.B) {
	h := newHarness(b, options{})
	r := gin.New()
	r.GET("/", h.srv.session, func(c *gin.Context) {
		if err := h.srv.save(c); err != nil {
			b.Fatal(err)
		}
		c.Status(http.StatusOK)
	})
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	b.ReportAllocs()
	for b.Loop() {
		r.ServeHTTP(httptest.NewRecorder(), req)
	}
}
