package handlers

import (
	"fmt"
	"io/fs"
	"net/http"
	"strings"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	i18ntemplate "github.com/nicksnyder/go-i18n/v2/i18n/template"
	"golang.org/x/text/language"

	"shop/views"
)

// The languages the shop speaks: English, and Simplified Chinese for the
// Alipay buyers most of whom read it.
var (
	langEN    = language.English
	langZH    = language.SimplifiedChinese
	supported = []language.Tag{langEN, langZH}
	matcher   = language.NewMatcher(supported)
)

// The message catalogs are every *.json file in views.Locales; a file's
// language is the last dot-separated part of its name before .json
// (en.json, admin.en.json). English is the bundle's default language: a
// message missing from another catalog falls back to it.

// catalogLanguage returns the language code of a catalog file's name.
func catalogLanguage(name string) string {
	name = strings.TrimSuffix(name, ".json")
	return name[strings.LastIndexByte(name, '.')+1:]
}

// bundle is loaded once from catalogs compiled into the binary and only read
// afterwards, so every request shares it. A broken catalog is a build defect,
// like a bad regexp literal: it panics at start and every test catches it.
var bundle = mustLoadBundle(views.Locales())

var (
	english = newLang(bundle, "en", "en")
	chinese = newLang(bundle, "zh-Hans", "zh")
)

// strictParser makes a placeholder without a value an error instead of
// "<no value>", so a wrong call shows the key (which tests look for) rather
// than a sentence with a hole in it.
var strictParser = &i18ntemplate.TextParser{Option: "missingkey=error"}

// Lang is a page language: its BCP 47 tag and its message catalog.
type Lang struct {
	Tag  string // "en" or "zh-Hans", for <html lang>
	Code string // "en" or "zh", for links and the cookie
	loc  *i18n.Localizer
}

// T returns the message for key in this language, falling back to English
// and then to the key itself, so a missing translation shows, not breaks.
func (l Lang) T(key string) string {
	return l.localize(key, nil, nil)
}

// Tf returns the message for key with its named placeholders filled from
// pairs of name and value, as in Tf("order.payby", "Time", expires) for
// "Please pay before {{.Time}}." Each language orders its own words around
// the placeholders. Templates call it as
// {{.Lang.Tf "order.payby" "Time" .Expires}}. It falls back like T; a
// malformed pair list or a placeholder left without a value gives the key.
func (l Lang) Tf(key string, pairs ...any) string {
	return l.localize(key, nil, pairs)
}

// Tn is Tf for a message about count things: count chooses the plural form
// of the language (English "1 item", "3 items"; Chinese has one form) and
// fills the placeholder {{.Count}}. Templates call it as
// {{.Lang.Tn "product.instock" .Product.Stock}}.
func (l Lang) Tn(key string, count int, pairs ...any) string {
	return l.localize(key, count, pairs)
}

// ZH reports whether the page is in Chinese (for product names stored twice).
func (l Lang) ZH() bool { return l.Code == "zh" }

// localize renders key with count (nil if the message has no plural forms)
// and the placeholder pairs.
func (l Lang) localize(key string, count any, pairs []any) string {
	loc := l.loc
	if loc == nil { // the zero Lang speaks English rather than panic
		loc = english.loc
	}
	cfg := &i18n.LocalizeConfig{MessageID: key, TemplateParser: strictParser}
	if count != nil || len(pairs) > 0 {
		if len(pairs)%2 != 0 {
			return key
		}
		data := make(map[string]any, len(pairs)/2+1)
		for i := 0; i < len(pairs); i += 2 {
			name, ok := pairs[i].(string)
			if !ok {
				return key
			}
			data[name] = pairs[i+1]
		}
		if count != nil {
			data["Count"] = count
			cfg.PluralCount = count
		}
		cfg.TemplateData = data
	}
	// Localize reports a message found only in English as an error, yet
	// returns the English text: only an empty result means nothing usable.
	msg, err := loc.Localize(cfg)
	if err != nil && msg == "" {
		return key
	}
	return msg
}

// loadBundle reads every catalog in fsys; English and Chinese must both
// be there.
func loadBundle(fsys fs.FS) (*i18n.Bundle, error) {
	b := i18n.NewBundle(langEN)
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, err
	}
	langs := map[string]bool{}
	for _, name := range names {
		if _, err := b.LoadMessageFileFS(fsys, name); err != nil {
			return nil, fmt.Errorf("handlers: message catalog %s: %w", name, err)
		}
		langs[catalogLanguage(name)] = true
	}
	for _, l := range []string{"en", "zh"} {
		if !langs[l] {
			return nil, fmt.Errorf("handlers: no message catalog for %s", l)
		}
	}
	return b, nil
}

// mustLoadBundle is loadBundle for the catalogs compiled into the binary.
func mustLoadBundle(fsys fs.FS) *i18n.Bundle {
	b, err := loadBundle(fsys)
	if err != nil {
		panic(err)
	}
	return b
}

// newLang returns the language of b whose catalog matches tag; code is its
// short name in links and the cookie.
func newLang(b *i18n.Bundle, tag, code string) Lang {
	return Lang{Tag: tag, Code: code, loc: i18n.NewLocalizer(b, tag)}
}

// langByCode returns the language for a switch link or stored preference.
func langByCode(code string) (Lang, bool) {
	switch code {
	case "en":
		return english, true
	case "zh":
		return chinese, true
	}
	return Lang{}, false
}

// negotiate picks the language: the shopper's stored choice if any, else
// the best match for Accept-Language, else English.
func negotiate(r *http.Request, stored string) Lang {
	if l, ok := langByCode(stored); ok {
		return l
	}
	tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if err != nil || len(tags) == 0 {
		return english
	}
	_, i, conf := matcher.Match(tags...)
	if conf == language.No {
		return english
	}
	if supported[i] == langZH {
		return chinese
	}
	return english
}
