package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"shop/models"
	"shop/payment"
)

// The merchant's catalog: the product list, a product's form (new and
// edit), hiding, showing and deleting it, and adjusting its stock. The
// CSV export and import are in admin_catalog_csv.go, categories in
// admin_categories.go.

// adminProductURL is the admin page of a product.
func adminProductURL(id uint) string { return "/admin/products/" + strconv.FormatUint(uint64(id), 10) }

// productRow is a product in the admin's list.
type productRow struct {
	Link, Name, Slug, Category, Price  string
	Available, Held, OnHand, SortOrder int
	Hidden                             bool
}

// importReport is why an import was refused: a sentence, and the
// problems by line.
type importReport struct {
	Message  string
	Problems []problemRow
	More     int // problems not listed
}

// problemRow is one problem of an import, worded.
type problemRow struct {
	Line   int
	Column string
	Text   string
}

type adminProductsPage struct {
	adminPage
	Rows     []productRow
	Currency string
	Import   importReport
}

// adminProducts lists every product, hidden ones included, with its
// stock: available, held by pending orders, on hand.
func (s *Server) adminProducts(c *gin.Context) {
	p, err := s.productsPage(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "admin/products", p)
}

func (s *Server) productsPage(c *gin.Context) (adminProductsPage, error) {
	ps, err := s.admin.CatalogProducts(c.Request.Context())
	if err != nil {
		return adminProductsPage{}, err
	}
	p := adminProductsPage{adminPage: s.newAdminPage(c, "catadmin.products.title"), Currency: string(s.currency)}
	for _, pr := range ps {
		row := productRow{Link: adminProductURL(pr.ID), Name: pr.Name, Slug: pr.Slug,
			Price:     formatPrice(pr.PriceMinor, payment.Currency(pr.Currency)),
			Available: pr.Stock, Held: pr.Held, OnHand: pr.OnHand(), SortOrder: pr.SortOrder, Hidden: pr.Hidden}
		if pr.Category != nil {
			row.Category = categoryName(*pr.Category, p.Lang)
		}
		p.Rows = append(p.Rows, row)
	}
	return p, nil
}

// categoryName is a category's name in the page's language.
func categoryName(cat models.Category, l Lang) string {
	if l.ZH() && cat.NameZH != "" {
		return cat.NameZH
	}
	return cat.Name
}

// productID reads the :id of a product's routes.
func productID(c *gin.Context) (uint, error) {
	id, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil || id == 0 {
		return 0, fmt.Errorf("product %q: %w", c.Param("id"), models.ErrNotFound)
	}
	return uint(id), nil
}

// productPage builds the page of product id, or of a new product (id 0).
func (s *Server) productPage(c *gin.Context, id uint) (adminProductPage, error) {
	ctx := c.Request.Context()
	cats, err := s.admin.Categories(ctx)
	if err != nil {
		return adminProductPage{}, err
	}
	p := adminProductPage{adminPage: s.newAdminPage(c, "catadmin.product.new"), New: id == 0,
		Action: "/admin/products/new", Currency: string(s.currency), cats: cats}
	if id != 0 {
		sp, err := s.admin.CatalogProduct(ctx, id)
		if err != nil {
			return adminProductPage{}, err
		}
		p.Title, p.Action, p.Form = sp.Name, adminProductURL(id), productFormOf(&sp.Product)
		p.ID, p.Link, p.Name, p.Slug, p.Hidden = id, adminProductURL(id), sp.Name, sp.Slug, sp.Hidden
		p.Available, p.Held, p.OnHand = sp.Stock, sp.Held, sp.OnHand()
	}
	p.Categories = categoryOptions(cats, p.Form.Category, p.Lang)
	return p, nil
}

func categoryOptions(cats []models.Category, selected string, l Lang) []categoryOption {
	opts := make([]categoryOption, len(cats))
	for i, cat := range cats {
		v := strconv.FormatUint(uint64(cat.ID), 10)
		opts[i] = categoryOption{Value: v, Label: categoryName(cat, l), Selected: v == selected}
	}
	return opts
}

// adminNewProduct shows the form of a new product.
func (s *Server) adminNewProduct(c *gin.Context) {
	p, err := s.productPage(c, 0)
	if err != nil {
		s.fail(c, err)
		return
	}
	p.Form.Stock = "0"
	s.render(c, http.StatusOK, "admin/product", p)
}

// adminProduct shows a product's form, its stock and what can be done
// to it.
func (s *Server) adminProduct(c *gin.Context) {
	id, err := productID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	p, err := s.productPage(c, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "admin/product", p)
}

// adminCreateProduct adds a product.
func (s *Server) adminCreateProduct(c *gin.Context) {
	form := postedProductForm(c)
	in, stock, err := form.parse(s.currency, true)
	var pr *models.Product
	if err == nil {
		pr, err = s.admin.CreateProduct(c.Request.Context(), in, stock, s.auditEntry(c, "product_create", "", ""))
	}
	if err != nil {
		s.productFailed(c, 0, err, func(p *adminProductPage, e formError) { form.Err = e; p.Form = form })
		return
	}
	flash(c, "catadmin.product.created")
	s.redirect(c, adminProductURL(pr.ID))
}

// adminUpdateProduct saves a product's form.
func (s *Server) adminUpdateProduct(c *gin.Context) {
	id, err := productID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	form := postedProductForm(c)
	in, _, err := form.parse(s.currency, false)
	if err == nil {
		_, err = s.admin.UpdateProduct(c.Request.Context(), id, in, s.auditEntry(c, "product_update", "", ""))
	}
	if err != nil {
		s.productFailed(c, id, err, func(p *adminProductPage, e formError) { form.Err = e; p.Form = form })
		return
	}
	flash(c, "catadmin.product.saved")
	s.redirect(c, adminProductURL(id))
}

// adminHideProduct takes a product off sale without deleting it.
func (s *Server) adminHideProduct(c *gin.Context) { s.setHidden(c, true, "catadmin.product.hiddennow") }

// adminShowProduct puts a hidden product on sale again.
func (s *Server) adminShowProduct(c *gin.Context) { s.setHidden(c, false, "catadmin.product.shownnow") }

func (s *Server) setHidden(c *gin.Context, hidden bool, done string) {
	id, err := productID(c)
	if err == nil {
		_, err = s.admin.SetHidden(c.Request.Context(), id, hidden, s.auditEntry(c, "product_hide", "", ""))
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	flash(c, done)
	s.redirect(c, adminProductURL(id))
}

// adminDeleteProduct deletes a product no order refers to; one in
// orders is refused (409), with the advice to hide it instead.
func (s *Server) adminDeleteProduct(c *gin.Context) {
	id, err := productID(c)
	if err == nil {
		err = s.admin.DeleteProduct(c.Request.Context(), id, s.auditEntry(c, "product_delete", "", ""))
	}
	if err != nil {
		s.productFailed(c, id, err, func(p *adminProductPage, e formError) { p.Error = e.Message })
		return
	}
	flash(c, "catadmin.product.deleted")
	s.redirect(c, "/admin/products")
}

// adminAdjustStock adds units to a product's stock or takes them away,
// with a reason; it never takes the available stock below zero.
func (s *Server) adminAdjustStock(c *gin.Context) {
	id, err := productID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	form := stockForm{Delta: strings.TrimSpace(c.PostForm("delta")), Reason: c.PostForm("reason")}
	delta, err := form.parse()
	if err == nil {
		_, err = s.admin.AdjustStock(c.Request.Context(), id, delta, form.Reason, s.auditEntry(c, "stock_adjust", "", ""))
	}
	if err != nil {
		s.productFailed(c, id, err, func(p *adminProductPage, e formError) { form.Err = e; p.Stock = form })
		return
	}
	flash(c, "catadmin.stock.done")
	s.redirect(c, adminProductURL(id)+"#stock")
}

// productFailed answers a refused form of a product's page: the page
// again, under the status the error table gives, with the reasons beside
// the fields and what was typed kept. An unknown product or a failure of
// ours gets the error page.
func (s *Server) productFailed(c *gin.Context, id uint, err error, keep func(*adminProductPage, formError)) {
	k := kindOf(err)
	if k.status >= http.StatusInternalServerError || errors.Is(err, models.ErrNotFound) {
		s.fail(c, err)
		return
	}
	s.logFailure(c, k, err)
	p, perr := s.productPage(c, id)
	if perr != nil {
		s.fail(c, perr)
		return
	}
	keep(&p, catalogFormError(p.Lang, k, err))
	p.Categories = categoryOptions(p.cats, p.Form.Category, p.Lang)
	s.render(c, k.status, "admin/product", p)
}
