package handlers

import (
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/language"
	"golang.org/x/text/width"

	"shop/models"
	"shop/payment"
)

// country is a country or region the shop delivers to, with its address
// rules, kept simple: whether it needs a province (state, prefecture) and
// a city, the form of its postcodes, and how its addresses are written.
type country struct {
	Code string // ISO 3166-1 alpha-2; its name is the message "country.<code>"
	// postcode matches a postcode after normalize; nil: the country has
	// none, and whatever is typed there is dropped.
	postcode  *regexp.Regexp
	normalize func(string) string // nil: as typed (upper case, single spaces)
	example   string              // shown in the error message
	province  bool                // required
	noCity    bool                // a city-state: the city is optional
	layout    layout
	eta       string // the message key of its delivery estimate
}

// layout is how an address is written on a parcel.
type layout int

const (
	layoutEast    layout = iota // postcode province city / street (China, Japan, Korea)
	layoutNorthAm               // street / city, province postcode (US, Canada, Australia…)
	layoutEurope                // street / postcode city (France, Germany…)
	layoutUK                    // street / city / postcode
)

// Delivery estimates by group of countries (message keys).
const (
	etaChina = "ship.eta.china"
	etaAsia  = "ship.eta.asia"
	etaWorld = "ship.eta.world"
)

var (
	digits4  = regexp.MustCompile(`^[0-9]{4}$`)
	digits5  = regexp.MustCompile(`^[0-9]{5}$`)
	digits6  = regexp.MustCompile(`^[0-9]{6}$`)
	taiwan   = regexp.MustCompile(`^[0-9]{3}([0-9]{2,3})?$`)
	japan    = regexp.MustCompile(`^[0-9]{3}-[0-9]{4}$`)
	usZIP    = regexp.MustCompile(`^[0-9]{5}(-[0-9]{4})?$`)
	canada   = regexp.MustCompile(`^[A-Z][0-9][A-Z] [0-9][A-Z][0-9]$`)
	britain  = regexp.MustCompile(`^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$`)
	japanRaw = regexp.MustCompile(`^[0-9]{7}$`)
)

// countries are the places the shop delivers to, in the order the form
// lists them.
var countries = []country{
	{Code: "CN", postcode: digits6, example: "518000", province: true, layout: layoutEast, eta: etaChina},
	{Code: "HK", noCity: true, layout: layoutEast, eta: etaChina},
	{Code: "MO", noCity: true, layout: layoutEast, eta: etaChina},
	{Code: "TW", postcode: taiwan, example: "10617", layout: layoutEast, eta: etaChina},
	{Code: "SG", postcode: digits6, example: "238801", noCity: true, layout: layoutEurope, eta: etaAsia},
	{Code: "MY", postcode: digits5, example: "50450", province: true, layout: layoutEurope, eta: etaAsia},
	{Code: "JP", postcode: japan, normalize: japanPostcode, example: "150-0001", province: true, layout: layoutEast, eta: etaAsia},
	{Code: "KR", postcode: digits5, example: "04524", layout: layoutEast, eta: etaAsia},
	{Code: "US", postcode: usZIP, example: "94105", province: true, layout: layoutNorthAm, eta: etaWorld},
	{Code: "CA", postcode: canada, normalize: spaceBeforeLast3, example: "K1A 0B1", province: true, layout: layoutNorthAm, eta: etaWorld},
	{Code: "GB", postcode: britain, normalize: spaceBeforeLast3, example: "SW1A 1AA", layout: layoutUK, eta: etaWorld},
	{Code: "FR", postcode: digits5, example: "75008", layout: layoutEurope, eta: etaWorld},
	{Code: "DE", postcode: digits5, example: "10115", layout: layoutEurope, eta: etaWorld},
	{Code: "AU", postcode: digits4, example: "2000", province: true, layout: layoutNorthAm, eta: etaWorld},
	{Code: "NZ", postcode: digits4, example: "6011", layout: layoutEurope, eta: etaWorld},
}

// countryByCode returns the country with the code, in any case.
func countryByCode(code string) (country, bool) {
	code = strings.ToUpper(code)
	for _, c := range countries {
		if c.Code == code {
			return c, true
		}
	}
	return country{}, false
}

// Name is the country's name in l.
func (c country) Name(l Lang) string { return l.T("country." + strings.ToLower(c.Code)) }

// japanPostcode writes 1500001 as 150-0001.
func japanPostcode(s string) string {
	if japanRaw.MatchString(s) {
		return s[:3] + "-" + s[3:]
	}
	return s
}

// spaceBeforeLast3 writes the British and Canadian inward code apart:
// SW1A1AA as SW1A 1AA, K1A0B1 as K1A 0B1.
func spaceBeforeLast3(s string) string {
	s = strings.ReplaceAll(s, " ", "")
	if len(s) < 4 {
		return s
	}
	return s[:len(s)-3] + " " + s[len(s)-3:]
}

// Bounds on the address parts, in characters.
const (
	partMax     = 100 // province, city
	streetMin   = 5
	streetMax   = 300
	postcodeMax = 12
)

// validateAddress checks and normalizes the address parts of f: field
// names and message keys of what is wrong, in errs. When all is well,
// f.Address becomes the parts written as one text.
func (f *contact) validateAddress(errs map[string]string) {
	f.Country = strings.ToUpper(strings.TrimSpace(f.Country))
	f.Province, f.City = oneLine(f.Province), oneLine(f.City)
	// Browsers submit a textarea's line breaks as CRLF; store LF.
	f.Street = strings.TrimSpace(strings.ReplaceAll(f.Street, "\r\n", "\n"))
	// Chinese and Japanese keyboards type full-width digits and letters.
	f.Postcode = strings.ToUpper(strings.Join(strings.Fields(width.Narrow.String(f.Postcode)), " "))

	c, ok := countryByCode(f.Country)
	if !ok {
		errs["country"] = "ship.err.country"
	}
	if n := utf8.RuneCountInString(f.Province); n > partMax || hasControl(f.Province) || (n == 0 && c.province) {
		errs["province"] = "ship.err.province"
	}
	if n := utf8.RuneCountInString(f.City); n > partMax || hasControl(f.City) || (n == 0 && ok && !c.noCity) {
		errs["city"] = "ship.err.city"
	}
	if n := utf8.RuneCountInString(f.Street); n < streetMin || n > streetMax || hasControl(strings.ReplaceAll(f.Street, "\n", " ")) {
		errs["street"] = "ship.err.street"
	}
	switch {
	case !ok:
	case c.postcode == nil:
		f.Postcode = ""
	default:
		if c.normalize != nil {
			f.Postcode = c.normalize(f.Postcode)
		}
		if len(f.Postcode) > postcodeMax || !c.postcode.MatchString(f.Postcode) {
			errs["postcode"] = "ship.err.postcode"
		}
	}
	if len(errs) == 0 {
		f.Address = formatAddress(c, f.shipTo())
	}
}

// oneLine trims s; a part of an address is one line.
func oneLine(s string) string { return strings.TrimSpace(s) }

// shipTo is the address in parts for the store; the zero value when the
// shopper gave only a free-text address.
func (f *contact) shipTo() models.PostalAddress {
	if !f.structured() {
		return models.PostalAddress{}
	}
	return models.PostalAddress{Country: f.Country, Province: f.Province, City: f.City, Street: f.Street, Postcode: f.Postcode}
}

// formatAddress writes an address as the parcel would carry it, country
// last, in English (the country's name is for the carriers between here
// and there); the parts stay as the shopper typed them.
func formatAddress(c country, a models.PostalAddress) string {
	join := func(sep string, parts ...string) string {
		var kept []string
		for _, p := range parts {
			if p != "" {
				kept = append(kept, p)
			}
		}
		return strings.Join(kept, sep)
	}
	var lines []string
	switch c.layout {
	case layoutEast:
		lines = []string{join(" ", a.Postcode, a.Province, a.City), a.Street}
	case layoutNorthAm:
		lines = []string{a.Street, join(" ", join(", ", a.City, a.Province), a.Postcode)}
	case layoutEurope:
		lines = []string{a.Street, join(" ", a.Postcode, a.City), a.Province}
	case layoutUK:
		lines = []string{a.Street, a.City, a.Province, a.Postcode}
	}
	return join("\n", append(lines, c.Name(english))...)
}

// defaultCountry is the country the form starts with: the region of the
// shopper's browser language if the shop delivers there (en-GB, zh-TW),
// else mainland China for a Chinese page, else none (the shopper chooses).
func defaultCountry(r *http.Request, l Lang) string {
	tags, _, _ := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	for _, t := range tags {
		if reg, conf := t.Region(); conf == language.Exact {
			if c, ok := countryByCode(reg.String()); ok {
				return c.Code
			}
		}
	}
	if l.ZH() {
		return "CN"
	}
	return ""
}

// countryOption is a country in the form's list.
type countryOption struct {
	Code, Name string
	Selected   bool
}

func countryOptions(l Lang, selected string) []countryOption {
	out := make([]countryOption, len(countries))
	for i, c := range countries {
		out[i] = countryOption{Code: c.Code, Name: c.Name(l), Selected: c.Code == selected}
	}
	return out
}

// deliveryTimes are the delivery estimates the checkout shows, one per
// group of countries; the selected country's group is marked.
type deliveryTime struct {
	Text    string
	Current bool
}

func deliveryTimes(l Lang, selected string) []deliveryTime {
	c, _ := countryByCode(selected)
	var out []deliveryTime
	for _, key := range []string{etaChina, etaAsia, etaWorld} {
		out = append(out, deliveryTime{Text: l.T(key), Current: c.eta == key})
	}
	return out
}

// totals are what a cart or an order costs, formatted: the items, the
// shipping and what is paid, each with its CNY estimate on Chinese pages
// ("" when there is none).
type totals struct {
	Items, Shipping, Total          string
	ItemsCNY, ShippingCNY, TotalCNY string
	FreeShipping                    bool
	// FreeOver is the items' total from which shipping is free, on a
	// cart below it; "" otherwise.
	FreeOver string
}

// totals formats the figures for a page in l: items and shipping in minor
// units of cur. The order page can show an order's with
// s.totals(l, cur, o.ItemsMinor(), o.ShippingMinor).
func (s *Server) totals(l Lang, cur payment.Currency, itemsMinor, shippingMinor int64) totals {
	cny := s.cnyRate(l, cur)
	t := totals{
		Items: formatPrice(itemsMinor, cur), Total: formatPrice(itemsMinor+shippingMinor, cur),
		ItemsCNY: cny.Of(itemsMinor), TotalCNY: cny.Of(itemsMinor + shippingMinor),
		FreeShipping: shippingMinor == 0,
	}
	if shippingMinor > 0 {
		t.Shipping, t.ShippingCNY = formatPrice(shippingMinor, cur), cny.Of(shippingMinor)
	}
	return t
}

// cartTotals are the totals of a cart whose items cost itemsMinor, with
// the shipping its order would be charged (models.Shipping, the rule
// CreateOrder applies), and how much ships free while the cart is below.
func (s *Server) cartTotals(l Lang, itemsMinor int64) totals {
	shipping := s.shipping.Charge(itemsMinor)
	t := s.totals(l, s.currency, itemsMinor, shipping)
	if shipping > 0 && s.shipping.FreeOverMinor > 0 {
		t.FreeOver = formatPrice(s.shipping.FreeOverMinor, s.currency)
	}
	return t
}
