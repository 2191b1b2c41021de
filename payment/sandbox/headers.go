package sandbox

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// secure sets the headers every answer of the sandbox carries. The
// Content-Security-Policy set here is the strictest, for answers that are
// not pages (JSON, XML, plain text, redirects): render replaces it with
// the page's own.
//
// Referrer-Policy same-origin: the cashier URL holds the token that pays
// the trade, and must not reach the merchant's return page in a Referer;
// same-origin form posts keep their Origin header, which the cross-origin
// protection of the forms reads in browsers without Sec-Fetch-Site.
func (s *Sandbox) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", s.pages.csp(nil))
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// formPage is page data whose page has forms. formAction lists the
// form-action sources: 'self' for the sandbox's own forms, plus the
// origins a form's answer redirects to, since browsers hold redirects
// after a form submission to form-action too.
type formPage interface {
	formAction() []string
}

// formAction allows the cashier's forms, which post to the sandbox and are
// answered with a redirect to the merchant's return_url (Pay) or its
// refer_url (Cancel, Let expire).
func (p cashierPage) formAction() []string {
	sources := []string{"'self'"}
	for _, u := range []string{p.Trade.ReturnURL, p.Trade.ReferURL} {
		if o := origin(u); o != "" {
			sources = append(sources, o)
		}
	}
	return sources
}

// formAction allows the console's forms, which post and redirect to the
// console.
func (consolePage) formAction() []string { return []string{"'self'"} }

// origin returns the scheme and host of an http(s) URL as a CSP source, or
// "" for anything else: the host is checked to hold only URL host
// characters, so that no merchant-supplied text adds a directive.
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	for _, c := range u.Host {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(".-:[]", c)) {
			return ""
		}
	}
	return u.Scheme + "://" + u.Host
}

// csp returns the Content-Security-Policy of a page. The pages run no
// script and load nothing but the layout's inline stylesheet, allowed by
// its hash rather than by 'unsafe-inline', and the desktop cashier's QR
// code, a data: image. No page may be framed (clickjacking a Pay button).
func (p *pages) csp(formAction []string) string {
	fa := "'none'"
	if len(formAction) > 0 {
		fa = strings.Join(formAction, " ")
	}
	return fmt.Sprintf("default-src 'none'; img-src 'self' data:; style-src %s; form-action %s; frame-ancestors 'none'; base-uri 'none'", p.styleHash, fa)
}

// styleHash returns the CSP hash source of the <style> element of the
// layout, which html/template copies into every page unchanged.
func styleHash(layout string) (string, error) {
	_, rest, ok := strings.Cut(layout, "<style>")
	css, _, closed := strings.Cut(rest, "</style>")
	if !ok || !closed || strings.Contains(rest, "<style") {
		return "", fmt.Errorf("sandbox: templates: want exactly one <style> element in the layout")
	}
	sum := sha256.Sum256([]byte(css))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'", nil
}
