// Package views holds the shop's HTML templates and message catalogs,
// embedded in the binary. Each page is its own template set (the layout
// plus that page), so pages cannot overwrite each other's blocks.
package views

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"path"
	"strings"
)

//go:embed layout.html shop.html pages/*.html admin/layout.html admin/pages/*.html
var files embed.FS

//go:embed locales/*.json
var locales embed.FS

// Locales returns the message catalogs, one go-i18n JSON file per language
// named by its tag (en.json, zh.json). They live beside the templates that
// use them, so a page and its words change in one place; the handlers load
// them, since the handlers also need messages outside pages (API errors).
func Locales() fs.FS {
	sub, err := fs.Sub(locales, "locales")
	if err != nil {
		panic(err) // fs.Sub fails only on an invalid path, and "locales" is valid
	}
	return sub
}

// Set is the parsed templates, one per page.
type Set struct {
	pages map[string]*template.Template
}

// Parse parses every page with its layout: the shop's pages (pages/*.html,
// named "home", "cart"…) with layout.html and the parts its lists share
// (shop.html: search box, categories, cards, pager), and the merchant
// admin's (admin/pages/*.html, named "admin/orders"…) with
// admin/layout.html.
// funcs is the (static) function map the templates use.
func Parse(funcs template.FuncMap) (*Set, error) {
	s := &Set{pages: map[string]*template.Template{}}
	for _, set := range []struct {
		layout, glob, prefix string
		shared               []string
	}{
		{"layout.html", "pages/*.html", "", []string{"shop.html"}},
		{"admin/layout.html", "admin/pages/*.html", "admin/", nil},
	} {
		names, err := fs.Glob(files, set.glob)
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			t, err := template.New(path.Base(set.layout)).Funcs(funcs).ParseFS(files, append(append([]string{set.layout}, set.shared...), n)...)
			if err != nil {
				return nil, fmt.Errorf("views: %s: %w", n, err)
			}
			s.pages[set.prefix+strings.TrimSuffix(path.Base(n), ".html")] = t
		}
	}
	return s, nil
}

// Templates returns the embedded template files, for tests that check
// every message key a template uses.
func Templates() fs.FS { return files }

// RenderPart executes the template called part of the named page's set
// with data: a fragment of a page, which the handlers keep and write into
// many pages.
func (s *Set) RenderPart(w io.Writer, page, part string, data any) error {
	t, ok := s.pages[page]
	if !ok {
		return fmt.Errorf("views: no page %q", page)
	}
	return t.ExecuteTemplate(w, part, data)
}

// Render executes the named page with data.
func (s *Set) Render(w io.Writer, page string, data any) error {
	t, ok := s.pages[page]
	if !ok {
		return fmt.Errorf("views: no page %q", page)
	}
	return t.Execute(w, data)
}
