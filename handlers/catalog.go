package handlers

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"shop/models"
	"shop/payment"
)

// productView is a product as a page shows it, in the page's language.
type productView struct {
	ID           uint
	Slug         string
	Name         string
	Description  string
	Category     string // the category's name, "" when it has none
	CategorySlug string
	Price        string
	PriceCNY     string // its estimate in yuan on Chinese pages, else ""
	Stock        int
	Image        imageView // in a list: the first picture, or the drawing
}

// inLang returns the Chinese text when l is Chinese and there is one, the
// English otherwise: a translation left empty falls back to English.
func inLang(l Lang, en, zh string) string {
	if l.ZH() && zh != "" {
		return zh
	}
	return en
}

func (s *Server) productView(p models.Product, l Lang) productView {
	return productViewAt(p, l, s.cnyRate(l, payment.Currency(p.Currency)))
}

// productViewAt is productView with the page's rate, for lists: their
// products are all priced in the shop's currency.
func productViewAt(p models.Product, l Lang, cny *cnyRate) productView {
	v := productView{ID: p.ID, Slug: p.Slug, Name: inLang(l, p.Name, p.NameZH),
		Description: inLang(l, p.Description, p.DescriptionZH),
		Price:       formatPrice(p.PriceMinor, payment.Currency(p.Currency)), Stock: p.Stock}
	if p.Currency == string(payment.CNY) {
		cny = nil
	}
	v.PriceCNY = cny.Of(p.PriceMinor)
	if p.Category != nil {
		v.Category, v.CategorySlug = inLang(l, p.Category.Name, p.Category.NameZH), p.Category.Slug
	}
	return v
}

// cards returns the products of a list as its cards show them: first
// picture, name, price. first is the place of products[0] in the whole
// list, for which images load at once.
func (s *Server) cards(snap *catalogSnapshot, products []models.Product, l Lang, first int) []productView {
	cny := s.cnyRate(l, s.currency)
	out := make([]productView, len(products))
	for i, pr := range products {
		v := productViewAt(pr, l, cny)
		v.Image = mainImage(pr, snap.pictures[pr.ID], v.Name, first+i, drawingWidth, drawingHeight)
		out[i] = v
	}
	return out
}

// categoryLink is a category among the chips every list shows.
type categoryLink struct {
	Slug, Name string
	Count      int  // products on sale in it
	Current    bool // the page is this category's
}

// categoryLinks returns the categories with products on sale, in the
// merchant's order; current is the page's category (0 for none), listed
// even when it has none left.
func categoryLinks(snap *catalogSnapshot, l Lang, current uint) []categoryLink {
	var out []categoryLink
	for _, c := range snap.categories {
		if n := snap.onSale[c.ID]; n > 0 || c.ID == current {
			out = append(out, categoryLink{Slug: c.Slug, Name: inLang(l, c.Name, c.NameZH), Count: n, Current: c.ID == current})
		}
	}
	return out
}

type homePage struct {
	page
	Body template.HTML // everything under the header (homeBody)
}

// home is the catalog: a search box, the categories and the products on
// sale, each with its first picture, a page at a time.
func (s *Server) home(c *gin.Context) {
	n, err := pageNumber(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	snap, err := s.catalog(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	pg, err := paginate(len(snap.products), n, "/?")
	if err != nil {
		s.fail(c, err)
		return
	}
	p := homePage{page: s.newPage(c, "shop.name")}
	if p.Body, err = s.homeBody(snap, p.Lang, pg); err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "home", p)
}

// bodyKey is what the home page's body depends on besides the catalog.
type bodyKey struct {
	lang string
	rate string // the CNY estimates' rate and its time; "" for none
	page int
}

// homeBody returns the content of the home page's page pg (hero, search
// box, categories, the products' cards, the ≈ ¥ note and the pager),
// rendered once per snapshot, language, exchange rate and page: the same
// for every shopper, and most of the work of the page the shop serves
// most. Only the layout around it (cart, unpaid order, flash) is rendered
// per request. paginate has bounded pg by the snapshot's pages.
func (s *Server) homeBody(snap *catalogSnapshot, l Lang, pg listPager) (template.HTML, error) {
	cny := s.cnyRate(l, s.currency)
	key := bodyKey{lang: l.Code, page: pg.Page}
	if cny != nil {
		key.rate = cny.perMinor.RatString() + "@" + cny.at.UTC().Format(time.RFC3339Nano)
	}
	if b, ok := snap.bodies.Load(key); ok {
		return b.(template.HTML), nil
	}
	data := struct {
		Lang       Lang
		Query      string // the search box's, empty
		AllCurrent bool   // the "All" chip is this page
		Categories []categoryLink
		Products   []productView
		CNYNote    string
		Pager      listPager
	}{l, "", true, categoryLinks(snap, l, 0), s.cards(snap, snap.products[pg.from:pg.to], l, pg.from), cny.Note(), pg}
	var buf bytes.Buffer
	if err := s.views.RenderPart(&buf, "home", "body", data); err != nil {
		return "", fmt.Errorf("home page: %w", err)
	}
	// The fragment was escaped as it was rendered, by the same templates.
	b := template.HTML(buf.String())
	snap.bodies.Store(key, b)
	return b, nil
}

type categoryPage struct {
	page
	Name       string
	AllCurrent bool // false: the chips' "All" is another page
	Categories []categoryLink
	Products   []productView
	Count      int // products in the category
	Pager      listPager
	CNYNote    string
}

// category lists the products on sale in a category, a page at a time.
func (s *Server) category(c *gin.Context) {
	n, err := pageNumber(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	snap, err := s.catalog(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	cat, ok := snap.categoryBySlug(c.Param("slug"))
	if !ok {
		s.fail(c, fmt.Errorf("category %q: %w", c.Param("slug"), models.ErrNotFound))
		return
	}
	products := snap.inCategory(cat.ID)
	pg, err := paginate(len(products), n, "/categories/"+cat.Slug+"?")
	if err != nil {
		s.fail(c, err)
		return
	}
	p := categoryPage{page: s.newPage(c, "shop.name"), Count: len(products), Pager: pg}
	p.Name = inLang(p.Lang, cat.Name, cat.NameZH)
	p.Title = p.Name
	p.Categories = categoryLinks(snap, p.Lang, cat.ID)
	p.Products = s.cards(snap, products[pg.from:pg.to], p.Lang, pg.from)
	p.CNYNote = s.cnyRate(p.Lang, s.currency).Note()
	s.render(c, http.StatusOK, "category", p)
}

type productPage struct {
	page
	Product    productView
	Paragraphs []string // the description
	Gallery    []galleryItem
	InCart     int
	Max        int
	CNYNote    string // what the ≈ ¥ estimate is; "" when none is shown
	Delivery   []deliveryTime
	FreeOver   string // the items' total from which shipping is free, or ""
}

// product is one product's page, with all its pictures. It reads the
// database, not the lists' snapshot: its stock is the latest. A hidden
// product is not found.
func (s *Server) product(c *gin.Context) {
	ctx := c.Request.Context()
	pr, err := s.store.ProductBySlug(ctx, c.Param("slug"))
	if err == nil && pr.Hidden {
		err = fmt.Errorf("product %q is hidden: %w", pr.Slug, models.ErrNotFound)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	pictures, err := s.store.PicturesOf(ctx, []uint{pr.ID})
	if err != nil {
		s.fail(c, err)
		return
	}
	p := productPage{page: s.newPage(c, "shop.name"), Max: min(pr.Stock, models.MaxQuantity)}
	p.Product = s.productView(*pr, p.Lang)
	p.Paragraphs = paragraphs(p.Product.Description)
	p.CNYNote = s.cnyRate(p.Lang, payment.Currency(pr.Currency)).Note()
	p.Gallery = gallery(p.Lang, productImages(*pr, pictures[pr.ID], p.Product.Name))
	p.Title = p.Product.Name
	p.Delivery = deliveryTimes(p.Lang, defaultCountry(c.Request, p.Lang))
	if s.shipping.FreeOverMinor > 0 {
		p.FreeOver = formatPrice(s.shipping.FreeOverMinor, s.currency)
	}
	for _, l := range readCart(c) {
		if l.ProductID == pr.ID {
			p.InCart = l.Quantity
		}
	}
	s.render(c, http.StatusOK, "product", p)
}

// paragraphs splits a description at its line breaks, dropping empty lines.
func paragraphs(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

// The gallery's thumbnails are 64 by 48 pixels whatever the picture's
// shape (cropped to fill): more than the 44 pixels a finger needs.
const (
	galleryThumbWidth  = 64
	galleryThumbHeight = 48
)

// galleryItem is a picture on a product's page: shown in a strip that
// scrolls sideways, and as a thumbnail linking to it (#ID), so that the
// gallery works without JavaScript.
type galleryItem struct {
	imageView
	ID                      string // its anchor
	Label                   string // the thumbnail's link, "Picture 2 of 3"
	ThumbWidth, ThumbHeight int
}

func gallery(l Lang, images []imageView) []galleryItem {
	out := make([]galleryItem, len(images))
	for i, v := range images {
		out[i] = galleryItem{imageView: v, ID: fmt.Sprintf("picture-%d", i+1),
			Label:      l.Tf("gallery.picture", "N", i+1, "Total", len(images)),
			ThumbWidth: galleryThumbWidth, ThumbHeight: galleryThumbHeight}
	}
	return out
}
