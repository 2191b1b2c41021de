package handlers

import (
	"bytes"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// page is what every HTML page's data starts with.
type page struct {
	Lang      Lang
	Sandbox   bool
	CartCount int
	Flash     string // already translated
	Path      string // this page, for the language switch to come back to
	Title     string
	Refresh   int // seconds; > 0 makes the page reload itself
}

// newPage fills the common page data. Call it before writing the response:
// it reads the session (and may consume its flash message).
func (s *Server) newPage(c *gin.Context, titleKey string) page {
	l := s.lang(c)
	p := page{Lang: l, Sandbox: s.sandbox != nil, CartCount: cartCount(c), Path: c.Request.URL.RequestURI(), Title: l.T(titleKey)}
	if k := takeFlash(c); k != "" {
		p.Flash = l.T(k)
	}
	return p
}

func (s *Server) lang(c *gin.Context) Lang {
	return negotiate(c.Request, sessionString(c, keyLang))
}

// render saves the session, executes the page into a buffer and only then
// writes the status and body, so a template error never sends half a page.
func (s *Server) render(c *gin.Context, status int, name string, data any) {
	var buf bytes.Buffer
	if err := s.views.Render(&buf, name, data); err != nil {
		s.log.Error("render", "page", name, "err", err)
		c.Data(http.StatusInternalServerError, "text/plain; charset=utf-8", []byte("Internal error"))
		return
	}
	if err := s.save(c); err != nil {
		s.log.Error("session save", "err", err)
	}
	c.Header("Cache-Control", "no-store")
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// errorPage is the data of the error page.
type errorPage struct {
	page
	Status  int
	Message string
	Detail  string
}

// redirect saves the session and sends a 303.
func (s *Server) redirect(c *gin.Context, to string) {
	if err := s.save(c); err != nil {
		s.log.Error("session save", "err", err)
	}
	c.Redirect(http.StatusSeeOther, to)
}

// switchLang stores the shopper's language and goes back to where they were.
func (s *Server) switchLang(c *gin.Context) {
	if l, ok := langByCode(c.Param("code")); ok {
		sessionOf(c).Values[keyLang] = l.Code
	}
	s.redirect(c, localPath(c.Query("next")))
}

// localPath returns next if it is a path in this shop, else "/". Browsers
// drop tabs and newlines from URLs and read \ as /, so "/\t/evil.example"
// would be the open redirect "//evil.example": control characters and
// backslashes are refused outright.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return "/"
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f {
			return "/"
		}
	}
	return next
}
