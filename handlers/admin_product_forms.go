package handlers

// The product and stock forms as typed, their parsing, and the sentences
// that explain a refusal.

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"shop/models"
	"shop/payment"
)

// productForm is the product form as typed.
type productForm struct {
	Slug, Name, NameZH, Description, DescriptionZH string
	Price, Category, SortOrder, Stock              string
	Hidden                                         bool
	Err                                            formError
}

// stockForm is the stock adjustment form as typed.
type stockForm struct {
	Delta, Reason string
	Err           formError
}

// categoryOption is a category in the product form's list.
type categoryOption struct {
	Value, Label string
	Selected     bool
}

type adminProductPage struct {
	adminPage
	New                     bool
	Action                  string // where the product form posts
	Currency                string
	Form                    productForm
	Categories              []categoryOption
	ID                      uint // the rest is for an existing product
	Link, Name, Slug        string
	Hidden                  bool
	Available, Held, OnHand int
	Stock                   stockForm
	Error                   string // why hiding, showing or deleting was refused
	cats                    []models.Category
}

// productFormOf is the form filled with a stored product.
func productFormOf(p *models.Product) productForm {
	f := productForm{Slug: p.Slug, Name: p.Name, NameZH: p.NameZH, Description: p.Description, DescriptionZH: p.DescriptionZH,
		Price: csvAmount(p.PriceMinor, payment.Currency(p.Currency)), SortOrder: strconv.Itoa(p.SortOrder), Hidden: p.Hidden}
	if p.CategoryID != nil {
		f.Category = strconv.FormatUint(uint64(*p.CategoryID), 10)
	}
	return f
}

// postedProductForm is the form as the request sent it.
func postedProductForm(c *gin.Context) productForm {
	return productForm{Slug: c.PostForm("slug"), Name: c.PostForm("name"), NameZH: c.PostForm("name_zh"),
		Description: c.PostForm("description"), DescriptionZH: c.PostForm("description_zh"),
		Price: strings.TrimSpace(c.PostForm("price")), Category: c.PostForm("category"),
		SortOrder: strings.TrimSpace(c.PostForm("sort_order")), Stock: strings.TrimSpace(c.PostForm("stock")),
		Hidden: c.PostForm("hidden") != ""}
}

// parse reads the form: the price as a decimal of cur (never a float),
// the numbers as integers, the stock only for a new product. What is
// wrong comes back as a *models.InputError, with what the model's own
// checks find, so that every field is marked at once.
func (f productForm) parse(cur payment.Currency, isNew bool) (models.ProductInput, int, error) {
	bad := map[string]string{}
	in := models.ProductInput{Slug: f.Slug, Name: f.Name, NameZH: f.NameZH, Description: f.Description,
		DescriptionZH: f.DescriptionZH, Currency: string(cur), Hidden: f.Hidden}
	var ok bool
	if in.PriceMinor, ok = parseMoney(f.Price, cur); !ok {
		bad["price"] = models.ReasonFormat
	}
	if f.Category != "" {
		id, err := strconv.ParseUint(f.Category, 10, 32)
		if err != nil || id == 0 {
			bad["category"] = models.ReasonUnknown
		}
		cid := uint(id)
		in.CategoryID = &cid
	}
	var err error
	if f.SortOrder != "" {
		if in.SortOrder, err = strconv.Atoi(f.SortOrder); err != nil {
			bad["sort_order"] = models.ReasonFormat
		}
	}
	stock := 0
	if isNew && f.Stock != "" {
		if stock, err = strconv.Atoi(f.Stock); err != nil {
			bad["stock"] = models.ReasonFormat
		}
	}
	if len(bad) == 0 {
		return in, stock, nil
	}
	in.Normalize()
	var ie *models.InputError
	if errors.As(in.Check(), &ie) {
		for field, reason := range ie.Fields {
			if _, ok := bad[field]; !ok {
				bad[field] = reason
			}
		}
	}
	return in, stock, &models.InputError{Fields: bad}
}

// parse reads the adjustment: a whole number with or without its sign.
func (f stockForm) parse() (int, error) {
	delta, err := strconv.Atoi(f.Delta)
	if err != nil {
		bad := map[string]string{"delta": models.ReasonFormat}
		if strings.TrimSpace(f.Reason) == "" {
			bad["reason"] = models.ReasonRequired
		}
		return 0, &models.InputError{Fields: bad}
	}
	return delta, models.CheckAdjustment(delta, f.Reason)
}

// catalogFormError words err, of kind k, in l: the kind's sentence, and
// for a *models.InputError a sentence per field.
func catalogFormError(l Lang, k errorKind, err error) formError {
	e := formError{Message: message(l, k.msgKey), Fields: map[string]string{}}
	var ie *models.InputError
	if errors.As(err, &ie) {
		for field, reason := range ie.Fields {
			e.Fields[field] = l.T(reasonKey(field, reason))
		}
	}
	return e
}

// Message keys of the reasons a field is refused: by field and reason,
// else by reason alone (see reasonKey).
var reasonKeys = map[string]string{
	"slug." + models.ReasonRequired:          "catadmin.reason.slugrequired",
	"slug." + models.ReasonFormat:            "catadmin.reason.slugformat",
	"slug." + models.ReasonTaken:             "catadmin.reason.slugtaken",
	"slug." + models.ReasonDuplicate:         "catadmin.reason.slugduplicate",
	"name." + models.ReasonRequired:          "catadmin.reason.namerequired",
	"description." + models.ReasonTooLong:    "catadmin.reason.descriptionlong",
	"description_zh." + models.ReasonTooLong: "catadmin.reason.descriptionlong",
	"price." + models.ReasonFormat:           "catadmin.reason.price",
	"price." + models.ReasonRange:            "catadmin.reason.price",
	"currency." + models.ReasonCurrency:      "catadmin.reason.currency",
	"stock." + models.ReasonFormat:           "catadmin.reason.stock",
	"stock." + models.ReasonRange:            "catadmin.reason.stock",
	"stock." + models.ReasonBelowHeld:        "catadmin.reason.belowheld",
	"category." + models.ReasonUnknown:       "catadmin.reason.category",
	"sort_order." + models.ReasonFormat:      "catadmin.reason.sortorder",
	"sort_order." + models.ReasonRange:       "catadmin.reason.sortorder",
	"hidden." + models.ReasonFormat:          "catadmin.reason.hidden",
	"delta." + models.ReasonFormat:           "catadmin.reason.delta",
	"delta." + models.ReasonRange:            "catadmin.reason.delta",
	"reason." + models.ReasonRequired:        "catadmin.reason.reasonrequired",
	"." + models.ReasonRange:                 "catadmin.reason.toomanyrows", // the whole file
	models.ReasonRequired:                    "catadmin.reason.required",
	models.ReasonTooLong:                     "catadmin.reason.toolong",
	models.ReasonAlipay:                      "catadmin.reason.alipay",
	models.ReasonControl:                     "catadmin.reason.control",
	reasonFileMissing:                        "catadmin.reason.filemissing",
	reasonFileEmpty:                          "catadmin.reason.fileempty",
	reasonFileEncoding:                       "catadmin.reason.fileencoding",
	reasonFileHeader:                         "catadmin.reason.fileheader",
	reasonFileSyntax:                         "catadmin.reason.filesyntax",
	reasonFileColumns:                        "catadmin.reason.filecolumns",
}

// reasonKey is the message key of why field was refused.
func reasonKey(field, reason string) string {
	if k, ok := reasonKeys[field+"."+reason]; ok {
		return k
	}
	if k, ok := reasonKeys[reason]; ok {
		return k
	}
	return "catadmin.reason.invalid"
}
