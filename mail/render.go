package mail

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	i18ntemplate "github.com/nicksnyder/go-i18n/v2/i18n/template"
	"golang.org/x/text/language"

	"shop/models"
	"shop/payment"
	"shop/views"
)

//go:embed templates/*.txt templates/*.html
var templates embed.FS

// RendererConfig configures a Renderer.
type RendererConfig struct {
	// BaseURL is the shop's public URL; the e-mails link to pages under it.
	BaseURL string
	// From is the sender (SMTP_FROM): "shop@example.com", or with a name,
	// "Lantern & Leaf <shop@example.com>". Without a name, the shop's name
	// in the e-mail's language is shown. "" means noreply@ the host of
	// BaseURL.
	From string
	// Location is the time zone of the dates in e-mails; nil means the
	// server's, as on the shop's pages.
	Location *time.Location
}

// Renderer turns outbox rows into messages.
type Renderer struct {
	base   string
	from   netmail.Address
	loc    *time.Location
	langs  map[string]lang
	text   *texttemplate.Template
	html   *htmltemplate.Template
	domain string // of the From address, for Message-IDs
}

// lang is a language e-mails are written in.
type lang struct {
	tag string // for Content-Language and <html lang>
	loc *i18n.Localizer
}

// NewRenderer parses the templates and loads the message catalogs.
func NewRenderer(cfg RendererConfig) (*Renderer, error) {
	base := strings.TrimRight(cfg.BaseURL, "/")
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("mail: base URL %q is not an absolute URL", cfg.BaseURL)
	}
	from, err := ParseFrom(cfg.From, u.Hostname())
	if err != nil {
		return nil, err
	}
	r := &Renderer{base: base, from: *from, loc: cfg.Location, domain: from.Address[strings.LastIndexByte(from.Address, '@')+1:]}
	if r.loc == nil {
		r.loc = time.Local
	}
	bundle, err := loadBundle(views.Locales())
	if err != nil {
		return nil, err
	}
	r.langs = map[string]lang{
		"en": {tag: "en", loc: i18n.NewLocalizer(bundle, "en")},
		"zh": {tag: "zh-Hans", loc: i18n.NewLocalizer(bundle, "zh-Hans")},
	}
	if r.text, err = texttemplate.ParseFS(templates, "templates/*.txt"); err != nil {
		return nil, fmt.Errorf("mail: templates: %w", err)
	}
	if r.html, err = htmltemplate.ParseFS(templates, "templates/*.html"); err != nil {
		return nil, fmt.Errorf("mail: templates: %w", err)
	}
	return r, nil
}

// ParseFrom reads an SMTP_FROM value; "" means noreply@host.
func ParseFrom(from, host string) (*netmail.Address, error) {
	if from == "" {
		from = "noreply@" + host
	}
	a, err := netmail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("mail: the sender %q is not an e-mail address, like shop@example.com or Shop <shop@example.com>", from)
	}
	return a, nil
}

// loadBundle reads every catalog: the e-mails use their own messages
// (mail.*.json) and the shop's name from the shop's.
func loadBundle(fsys fs.FS) (*i18n.Bundle, error) {
	b := i18n.NewBundle(language.English)
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		if _, err := b.LoadMessageFileFS(fsys, name); err != nil {
			return nil, fmt.Errorf("mail: message catalog %s: %w", name, err)
		}
	}
	return b, nil
}

// Render returns the message an outbox row stands for, in its order's
// language. The order must be loaded, with its lines.
func (r *Renderer) Render(m *models.Mail) (*Message, error) {
	if m.Order == nil {
		return nil, fmt.Errorf("mail: e-mail %d: %w", m.ID, errNoOrder)
	}
	switch m.Kind {
	case models.MailOrderPaid:
		return r.orderPaid(m)
	}
	return nil, fmt.Errorf("mail: e-mail %d: unknown kind %q: %w", m.ID, m.Kind, ErrPermanent)
}

var errNoOrder = fmt.Errorf("the order is gone: %w", ErrPermanent)

// page is what a template sees: the order's facts, formatted, and the
// messages of its language.
type page struct {
	lang    lang
	Lang    string
	Subject string
	Shop    string
	Name    string
	OrderNo string
	Date    string
	TradeNo string
	Lines   []pageLine
	// Shipping is the delivery charge, "" when there is none.
	Shipping string
	Total    string
	Address  string
	// OrderURL is the order's page, which shows it to the browser that
	// made it; LookupURL finds it anywhere by number and contact.
	OrderURL, LookupURL string
}

type pageLine struct {
	Name     string
	Quantity int
	Amount   string
}

// T returns the message key in the page's language.
func (p *page) T(key string) (string, error) { return p.lang.localize(key, nil) }

// Tf returns the message key with its named placeholders filled from
// pairs of name and value.
func (p *page) Tf(key string, pairs ...any) (string, error) {
	if len(pairs)%2 != 0 {
		return "", fmt.Errorf("mail: message %s: placeholders must come in name, value pairs", key)
	}
	data := make(map[string]any, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		name, ok := pairs[i].(string)
		if !ok {
			return "", fmt.Errorf("mail: message %s: placeholder name %v is not a string", key, pairs[i])
		}
		data[name] = pairs[i+1]
	}
	return p.lang.localize(key, data)
}

// strictParser makes a placeholder without a value an error, not "<no value>".
var strictParser = &i18ntemplate.TextParser{Option: "missingkey=error"}

func (l lang) localize(key string, data map[string]any) (string, error) {
	msg, err := l.loc.Localize(&i18n.LocalizeConfig{MessageID: key, TemplateData: data, TemplateParser: strictParser})
	// A message found only in English comes with an error, and the
	// English text: only an empty result is unusable.
	if msg == "" {
		return "", fmt.Errorf("mail: message %s: %w", key, errors.Join(err, errors.New("empty")))
	}
	return msg, nil
}

func (r *Renderer) orderPaid(m *models.Mail) (*Message, error) {
	o := m.Order
	l, ok := r.langs[o.Lang]
	if !ok {
		l = r.langs["en"]
	}
	p := &page{lang: l, Lang: l.tag, Name: o.Name, OrderNo: o.OrderNo, Address: o.Address,
		Total:     money(o.TotalMinor, o.Currency),
		OrderURL:  r.base + "/orders/" + url.PathEscape(o.OrderNo),
		LookupURL: r.base + "/orders/lookup",
	}
	if o.TradeNo != nil {
		p.TradeNo = *o.TradeNo
	}
	paid := o.UpdatedAt
	if o.PaidAt != nil {
		paid = *o.PaidAt
	}
	p.Date = paid.In(r.loc).Format("2006-01-02 15:04 MST")
	items := int64(0)
	for _, line := range o.Lines {
		name := line.Name
		if l.tag == "zh-Hans" && line.NameZH != "" {
			name = line.NameZH
		}
		p.Lines = append(p.Lines, pageLine{Name: name, Quantity: line.Quantity, Amount: money(line.TotalMinor(), o.Currency)})
		items += line.TotalMinor()
	}
	// The total is the lines and the delivery charge.
	if shipping := o.TotalMinor - items; shipping > 0 {
		p.Shipping = money(shipping, o.Currency)
	}
	var err error
	if p.Shop, err = p.T("shop.name"); err != nil {
		return nil, err
	}
	if p.Subject, err = p.Tf("mail.paid.subject", "Shop", p.Shop, "OrderNo", o.OrderNo); err != nil {
		return nil, err
	}
	var text, html bytes.Buffer
	if err := r.text.ExecuteTemplate(&text, "order_paid.txt", p); err != nil {
		return nil, fmt.Errorf("mail: order_paid.txt: %w", err)
	}
	if err := r.html.ExecuteTemplate(&html, "order_paid.html", p); err != nil {
		return nil, fmt.Errorf("mail: order_paid.html: %w", err)
	}
	from := r.from
	if from.Name == "" {
		from.Name = p.Shop
	}
	return &Message{
		From: from, To: m.Recipient, Subject: p.Subject, Text: text.String(), HTML: html.String(), Lang: l.tag,
		ID:      string(m.Kind) + "." + strconv.FormatUint(uint64(m.ID), 10) + "." + o.OrderNo + "@" + r.domain,
		OrderNo: o.OrderNo,
	}, nil
}

// money formats minor units for people, with the currency's code and
// decimals and thousands separators ("USD 1,234.50", "JPY 1,500"), as
// Alipay's cashier showed the amount. It never goes through floating point.
func money(minor int64, currency string) string {
	c := payment.Currency(currency)
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	unit := int64(1)
	for range max(c.Exponent(), 0) {
		unit *= 10
	}
	digits := strconv.FormatInt(minor/unit, 10)
	var b strings.Builder
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	s := currency + " " + sign + b.String()
	if unit > 1 {
		frac := strconv.FormatInt(minor%unit, 10)
		s += "." + strings.Repeat("0", len(strconv.FormatInt(unit, 10))-1-len(frac)) + frac
	}
	return s
}
