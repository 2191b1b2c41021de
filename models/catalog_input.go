package models

// What the merchant types about products and categories, and why it is
// refused: the rules every admin path (forms, CSV import) shares.

import (
	"errors"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Bounds of what the merchant types.
const (
	MaxSlugLen        = 64
	MaxNameLen        = 100 // characters: names reach Alipay's subject and body
	MaxDescriptionLen = 2000
	MaxStock          = 1_000_000 // units of a product, and of one adjustment
	MaxSortOrder      = 1_000_000 // either side of zero
	MaxReasonLen      = 200
)

// Errors of the catalog's admin.
var (
	// ErrOrdered: orders refer to the product, so it cannot be deleted;
	// hiding it takes it off sale.
	ErrOrdered = errors.New("orders refer to the product; hide it instead")
	// ErrStockShort: an adjustment would take the available stock below
	// zero, that is the units on hand below what pending orders hold.
	ErrStockShort = errors.New("the stock cannot go below what pending orders hold")
)

// Reasons an InputError gives for a field.
const (
	ReasonRequired  = "required"
	ReasonFormat    = "format" // not a slug, a number, a boolean
	ReasonTooLong   = "too_long"
	ReasonAlipay    = "alipay"  // a character Alipay refuses in subject and body
	ReasonControl   = "control" // a control character
	ReasonRange     = "range"   // a number out of bounds
	ReasonTaken     = "taken"   // another product or category has the slug
	ReasonDuplicate = "duplicate"
	ReasonUnknown   = "unknown"  // no such category
	ReasonCurrency  = "currency" // not the shop's currency
	ReasonBelowHeld = "below_held"
)

// InputError says which fields of the merchant's input are refused, and
// why: Fields maps a field (named as the CSV's columns: "slug",
// "name_zh", "price"…) to one of the Reason constants. errors.Is(err,
// ErrInvalid) is true for it.
type InputError struct {
	Fields map[string]string
}

// Error lists the fields and their reasons.
func (e *InputError) Error() string {
	var parts []string
	for _, f := range slices.Sorted(maps.Keys(e.Fields)) {
		parts = append(parts, f+": "+e.Fields[f])
	}
	return "invalid " + strings.Join(parts, ", ")
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *InputError) Is(target error) bool { return target == ErrInvalid }

// fieldErrors collects refused fields; err is nil when there are none.
type fieldErrors map[string]string

func (f fieldErrors) add(field, reason string) {
	if _, ok := f[field]; !ok {
		f[field] = reason
	}
}

func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	return &InputError{Fields: f}
}

// slugPattern: lowercase letters and digits in groups joined by single
// dashes, so a slug reads well in a URL.
var slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// alipayRefuses are the characters Alipay refuses in subject and body
// (see the seed catalog): product names end up there.
const alipayRefuses = `"'&=?%#^|`

// checkSlug checks a product's or category's slug.
func checkSlug(f fieldErrors, slug string) {
	switch {
	case slug == "":
		f.add("slug", ReasonRequired)
	case len(slug) > MaxSlugLen || !slugPattern.MatchString(slug):
		f.add("slug", ReasonFormat)
	}
}

// checkName checks a name: required or not, at most max characters, and
// when alipay is set none of the characters Alipay refuses.
func checkName(f fieldErrors, field, s string, required bool, max int, alipay bool) {
	switch {
	case s == "" && required:
		f.add(field, ReasonRequired)
	case !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl):
		f.add(field, ReasonControl)
	case alipay && strings.ContainsAny(s, alipayRefuses):
		f.add(field, ReasonAlipay)
	case utf8.RuneCountInString(s) > max:
		f.add(field, ReasonTooLong)
	}
}

// checkText checks a description: line breaks and tabs are kept, other
// control characters refused.
func checkText(f fieldErrors, field, s string, max int) {
	bad := func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }
	switch {
	case !utf8.ValidString(s) || strings.ContainsFunc(s, bad):
		f.add(field, ReasonControl)
	case utf8.RuneCountInString(s) > max:
		f.add(field, ReasonTooLong)
	}
}

func checkSortOrder(f fieldErrors, n int) {
	if n < -MaxSortOrder || n > MaxSortOrder {
		f.add("sort_order", ReasonRange)
	}
}

// ProductInput is what the merchant sets on a product: all but its stock,
// which changes only by AdjustStock (or is set when the product is new).
type ProductInput struct {
	Slug, Name, NameZH, Description, DescriptionZH string
	PriceMinor                                     int64
	Currency                                       string
	CategoryID                                     *uint
	SortOrder                                      int
	Hidden                                         bool
}

// Normalize trims the spaces around the texts people type.
func (in *ProductInput) Normalize() {
	for _, s := range []*string{&in.Slug, &in.Name, &in.NameZH, &in.Description, &in.DescriptionZH} {
		*s = strings.TrimSpace(*s)
	}
}

// Check returns an *InputError for what can be checked without the
// database, or nil.
func (in ProductInput) Check() error {
	f := fieldErrors{}
	in.check(f)
	return f.err()
}

func (in ProductInput) check(f fieldErrors) {
	checkSlug(f, in.Slug)
	checkName(f, "name", in.Name, true, MaxNameLen, true)
	checkName(f, "name_zh", in.NameZH, false, MaxNameLen, true)
	checkText(f, "description", in.Description, MaxDescriptionLen)
	checkText(f, "description_zh", in.DescriptionZH, MaxDescriptionLen)
	if in.PriceMinor <= 0 {
		f.add("price", ReasonRange)
	}
	if !currencyCode.MatchString(in.Currency) {
		f.add("currency", ReasonCurrency)
	}
	checkSortOrder(f, in.SortOrder)
}

// checkInDB adds what the database refuses: a slug another product has
// (other than the one with id except), an unknown category.
func (in ProductInput) checkInDB(tx *gorm.DB, f fieldErrors, except uint) error {
	if _, bad := f["slug"]; !bad {
		var n int64
		if err := tx.Model(&Product{}).Where("slug = ? AND id <> ?", in.Slug, except).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			f.add("slug", ReasonTaken)
		}
	}
	if in.CategoryID != nil {
		var n int64
		if err := tx.Model(&Category{}).Where("id = ?", *in.CategoryID).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			f.add("category", ReasonUnknown)
		}
	}
	return nil
}

// columns are the product's columns the input sets.
func (in ProductInput) columns() map[string]any {
	return map[string]any{
		"slug": in.Slug, "name": in.Name, "name_zh": in.NameZH, "description": in.Description,
		"description_zh": in.DescriptionZH, "price_minor": in.PriceMinor, "currency": in.Currency,
		"category_id": in.CategoryID, "sort_order": in.SortOrder, "hidden": in.Hidden,
	}
}

// placeholderImage is a new product's drawing until it has pictures.
const placeholderImage = "/assets/img/logo.svg"
