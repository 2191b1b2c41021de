package sandbox

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"

	"shop/payment"
)

//go:embed templates/*.html
var templateFS embed.FS

// pages holds one template set per page, each with the shared layout, and
// the CSP hash of the layout's stylesheet.
type pages struct {
	sets      map[string]*template.Template
	styleHash string
}

var funcs = template.FuncMap{
	"money": func(minor int64, currency string) string {
		return payment.Amount{Minor: minor, Currency: payment.Currency(currency)}.String()
	},
	"deref": func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	},
	"describe": payment.ErrorDescription,
}

func parsePages() (*pages, error) {
	p := &pages{sets: map[string]*template.Template{}}
	layout, err := templateFS.ReadFile("templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("sandbox: templates: %w", err)
	}
	if p.styleHash, err = styleHash(string(layout)); err != nil {
		return nil, err
	}
	for _, name := range []string{"cashier", "done", "error", "console", "mailbox"} {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("sandbox: templates: %w", err)
		}
		p.sets[name] = t
	}
	return p, nil
}

// render executes a page into a buffer first, so that a template error
// never sends half a page.
func (s *Sandbox) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := s.pages.sets[name].Execute(&buf, data); err != nil {
		s.internalError(w, err)
		return
	}
	var formAction []string
	if fp, ok := data.(formPage); ok {
		formAction = fp.formAction()
	}
	csp := s.pages.csp(formAction)
	if pp, ok := data.(policyPage); ok {
		csp = pp.policy()
	}
	w.Header().Set("Content-Security-Policy", csp)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// errorPage is Alipay's error page: the code and what it means, shown to
// the buyer; nothing is sent to the merchant.
func (s *Sandbox) errorPage(w http.ResponseWriter, status int, e *gatewayError) {
	s.render(w, status, "error", struct {
		Prefix string
		Err    *gatewayError
	}{s.cfg.Prefix, e})
}

func (s *Sandbox) internalError(w http.ResponseWriter, err error) {
	s.log.Error("sandbox: internal error", "err", err)
	http.Error(w, "sandbox: internal error", http.StatusInternalServerError)
}
