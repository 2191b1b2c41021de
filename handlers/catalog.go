package handlers

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"shop/models"
	"shop/payment"
)

// productView is a product as a page shows it, in the page's language.
type productView struct {
	ID          uint
	Slug        string
	Name        string
	Description string
	Category    string // the category's name, "" when it has none
	Price       string
	PriceCNY    string // its estimate in yuan on Chinese pages, else ""
	Stock       int
	Image       imageView   // in a list: the first picture, or the drawing
	Pictures    []imageView // on its own page: every picture, or the drawing
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
	v := productView{ID: p.ID, Slug: p.Slug, Name: inLang(l, p.Name, p.NameZH),
		Description: inLang(l, p.Description, p.DescriptionZH),
		Price:       formatPrice(p.PriceMinor, payment.Currency(p.Currency)), Stock: p.Stock}
	v.PriceCNY = s.cnyRate(l, payment.Currency(p.Currency)).Of(p.PriceMinor)
	if p.Category != nil {
		v.Category = inLang(l, p.Category.Name, p.Category.NameZH)
	}
	return v
}

type homePage struct {
	page
	Products []productView
	CNYNote  string // what the ≈ ¥ estimates are; "" when none is shown
}

// home is the catalog: the products on sale, each with its first picture.
func (s *Server) home(c *gin.Context) {
	ctx := c.Request.Context()
	products, err := s.store.Products(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	pictures, err := s.store.PicturesOf(ctx, productIDs(products))
	if err != nil {
		s.fail(c, err)
		return
	}
	p := homePage{page: s.newPage(c, "shop.name")}
	p.CNYNote = s.cnyRate(p.Lang, s.currency).Note()
	for i, pr := range products {
		v := s.productView(pr, p.Lang)
		v.Image = mainImage(pr, pictures[pr.ID], v.Name, i, drawingWidth, drawingHeight)
		p.Products = append(p.Products, v)
	}
	s.render(c, http.StatusOK, "home", p)
}

type productPage struct {
	page
	Product productView
	InCart  int
	Max     int
	CNYNote string // what the ≈ ¥ estimate is; "" when none is shown
}

// product is one product's page, with all its pictures. A hidden product
// is not found.
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
	p.CNYNote = s.cnyRate(p.Lang, payment.Currency(pr.Currency)).Note()
	p.Product.Pictures = productImages(*pr, pictures[pr.ID], p.Product.Name)
	p.Title = p.Product.Name
	for _, l := range readCart(c) {
		if l.ProductID == pr.ID {
			p.InCart = l.Quantity
		}
	}
	s.render(c, http.StatusOK, "product", p)
}
