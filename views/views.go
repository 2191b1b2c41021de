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
	"strings"
)

//go:embed layout.html pages/*.html
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

// Parse parses every page with the layout. funcs is the (static) function
// map the templates use.
func Parse(funcs template.FuncMap) (*Set, error) {
	names, err := fs.Glob(files, "pages/*.html")
	if err != nil {
		return nil, err
	}
	s := &Set{pages: map[string]*template.Template{}}
	for _, n := range names {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(files, "layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("views: %s: %w", n, err)
		}
		s.pages[strings.TrimSuffix(strings.TrimPrefix(n, "pages/"), ".html")] = t
	}
	return s, nil
}

// Render executes the named page with data.
func (s *Set) Render(w io.Writer, page string, data any) error {
	t, ok := s.pages[page]
	if !ok {
		return fmt.Errorf("views: no page %q", page)
	}
	return t.Execute(w, data)
}
