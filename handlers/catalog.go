package handlers

import (
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
	Price       string
	Stock       int
	Image       string
}

func (s *Server) productView(p models.Product, l Lang) productView {
	v := productView{ID: p.ID, Slug: p.Slug, Name: p.Name, Description: p.Description,
		Price: formatPrice(p.PriceMinor, payment.Currency(p.Currency)), Stock: p.Stock, Image: p.Image}
	if l.ZH() {
		if p.NameZH != "" {
			v.Name = p.NameZH
		}
		if p.DescriptionZH != "" {
			v.Description = p.DescriptionZH
		}
	}
	return v
}

type homePage struct {
	page
	Products []productView
}

// home is the catalog.
func (s *Server) home(c *gin.Context) {
	products, err := s.store.Products(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	p := homePage{page: s.newPage(c, "shop.name")}
	for _, pr := range products {
		p.Products = append(p.Products, s.productView(pr, p.Lang))
	}
	s.render(c, http.StatusOK, "home", p)
}

type productPage struct {
	page
	Product productView
	InCart  int
	Max     int
}

// product is one product's page.
func (s *Server) product(c *gin.Context) {
	pr, err := s.store.ProductBySlug(c.Request.Context(), c.Param("slug"))
	if err != nil {
		s.fail(c, err)
		return
	}
	p := productPage{page: s.newPage(c, "shop.name"), Max: min(pr.Stock, models.MaxQuantity)}
	p.Product = s.productView(*pr, p.Lang)
	p.Title = p.Product.Name
	for _, l := range readCart(c) {
		if l.ProductID == pr.ID {
			p.InCart = l.Quantity
		}
	}
	s.render(c, http.StatusOK, "product", p)
}
