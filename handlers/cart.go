package handlers

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"shop/models"
	"shop/payment"
)

// cartItem is a cart line priced from the catalog.
type cartItem struct {
	Product  productView
	Quantity int
	Total    string
	TotalCNY string // its estimate in yuan on Chinese pages, else ""
	Short    bool   // more in the cart than in stock
}

type cartPage struct {
	page
	Items   []cartItem
	Total   string // what the order would cost, shipping included
	Totals  totals
	Short   bool
	CNYNote string // what the ≈ ¥ estimates are; "" when none is shown
}

// pricedCart prices the session's cart from the store, in l. Lines whose
// product is gone or hidden are dropped.
func (s *Server) pricedCart(c *gin.Context, l Lang) ([]cartItem, int64, error) {
	lines := readCart(c)
	ids := make([]uint, len(lines))
	for i, ln := range lines {
		ids[i] = ln.ProductID
	}
	products, err := s.store.ProductsByID(c.Request.Context(), ids)
	if err != nil {
		return nil, 0, err
	}
	var items []cartItem
	var total int64
	cny := s.cnyRate(l, s.currency)
	for _, ln := range lines {
		pr, ok := products[ln.ProductID]
		if !ok || pr.Hidden {
			continue
		}
		line := pr.PriceMinor * int64(ln.Quantity)
		total += line
		v := s.productView(pr, l)
		v.Image = mainImage(pr, nil, v.Name, len(items), cartImageWidth, cartImageHeight)
		items = append(items, cartItem{Product: v, Quantity: ln.Quantity,
			Total: formatPrice(line, payment.Currency(pr.Currency)), TotalCNY: cny.Of(line), Short: ln.Quantity > pr.Stock})
	}
	return items, total, nil
}

// The slot of a cart line's drawing; a picture brings its own size, and
// the stylesheet fits either to the line.
const (
	cartImageWidth  = 80
	cartImageHeight = 60
)

// cart shows the cart, each line with its product's first picture. Lines
// of products gone or hidden since they were added leave the cart, so
// that its count and the checkout agree with what it shows.
func (s *Server) cart(c *gin.Context) {
	p := cartPage{page: s.newPage(c, "cart.title")}
	items, total, err := s.pricedCart(c, p.Lang)
	if err != nil {
		s.fail(c, err)
		return
	}
	if len(items) < len(readCart(c)) {
		kept := make([]cartLine, len(items))
		for i, it := range items {
			kept[i] = cartLine{ProductID: it.Product.ID, Quantity: it.Quantity}
		}
		writeCart(c, kept)
		p.CartCount = cartCount(c)
	}
	if err := s.cartPictures(c, items); err != nil {
		s.fail(c, err)
		return
	}
	p.Items, p.Totals = items, s.cartTotals(p.Lang, total)
	p.Total = p.Totals.Total
	if len(items) > 0 {
		p.CNYNote = s.cnyRate(p.Lang, s.currency).Note()
	}
	for _, it := range items {
		p.Short = p.Short || it.Short
	}
	s.render(c, http.StatusOK, "cart", p)
}

// cartPictures shows each line's first picture, if its product has one,
// with one query for the whole cart.
func (s *Server) cartPictures(c *gin.Context, items []cartItem) error {
	if len(items) == 0 {
		return nil
	}
	ids := make([]uint, len(items))
	for i, it := range items {
		ids[i] = it.Product.ID
	}
	pictures, err := s.store.PicturesOf(c.Request.Context(), ids)
	if err != nil {
		return err
	}
	for i := range items {
		pv := &items[i].Product
		if v, ok := firstPicture(pictures[pv.ID], pv.Name); ok {
			v.Lazy = pv.Image.Lazy
			pv.Image = v
		}
	}
	return nil
}

// addToCart adds a quantity of a product (form: product_id, quantity),
// capped by the stock.
func (s *Server) addToCart(c *gin.Context) {
	id, err1 := strconv.ParseUint(c.PostForm("product_id"), 10, 32)
	qty, err2 := strconv.Atoi(c.DefaultPostForm("quantity", "1"))
	if err1 != nil || err2 != nil || qty < 1 || qty > models.MaxQuantity {
		s.fail(c, errBadRequest)
		return
	}
	pr, ok := s.lookupProduct(c, uint(id))
	if !ok {
		return
	}
	for _, l := range readCart(c) {
		if l.ProductID == pr.ID {
			qty += l.Quantity
		}
	}
	if qty > pr.Stock {
		s.fail(c, &models.StockError{ProductID: pr.ID, Name: pr.Name, Available: pr.Stock})
		return
	}
	setCartQuantity(c, pr.ID, qty)
	flash(c, "cart.added")
	s.redirect(c, "/cart")
}

// updateCart changes a line's quantity, or removes it (remove=1 or
// quantity=0).
func (s *Server) updateCart(c *gin.Context) {
	id, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil {
		s.fail(c, models.ErrNotFound)
		return
	}
	qty := 0
	if c.PostForm("remove") == "" {
		if qty, err = strconv.Atoi(c.PostForm("quantity")); err != nil || qty < 0 || qty > models.MaxQuantity {
			s.fail(c, errBadRequest)
			return
		}
	}
	if qty > 0 {
		pr, ok := s.lookupProduct(c, uint(id))
		if !ok {
			return
		}
		if qty > pr.Stock {
			s.fail(c, &models.StockError{ProductID: pr.ID, Name: pr.Name, Available: pr.Stock})
			return
		}
	}
	setCartQuantity(c, uint(id), qty)
	flash(c, "cart.updated")
	s.redirect(c, "/cart")
}

// lookupProduct returns a product on sale, or answers 404 for one that is
// gone or hidden.
func (s *Server) lookupProduct(c *gin.Context, id uint) (*models.Product, bool) {
	products, err := s.store.ProductsByID(c.Request.Context(), []uint{id})
	if err != nil {
		s.fail(c, err)
		return nil, false
	}
	pr, ok := products[id]
	if !ok || pr.Hidden {
		s.fail(c, fmt.Errorf("product %d: %w", id, models.ErrNotFound))
		return nil, false
	}
	return &pr, true
}
