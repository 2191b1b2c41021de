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
	// Input is the quantity the line's field shows: what the shopper
	// typed, when the shop could not take it.
	Input int
	// Less and More are the quantities the − and + buttons post; More
	// is 0 (no + button) when the line holds all the stock, or the most
	// one order may hold.
	Less, More int
	// Problem is why the shopper's last change to this line was not
	// made, shown beside it; "" when there is none.
	Problem string
}

type cartPage struct {
	page
	Items   []cartItem
	Total   string // what the order would cost, shipping included
	Totals  totals
	Short   bool
	CNYNote string // what the ≈ ¥ estimates are; "" when none is shown
	// Problem is why an add to the cart was not made, for a product not
	// in it (else the line shows it); "" when there is none.
	Problem string
}

// stockProblem is a change to the cart that the stock cannot meet: the
// product, and the quantity the shopper asked the cart to hold.
type stockProblem struct {
	product *models.Product
	asked   int
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
	s.showCart(c, http.StatusOK, nil)
}

// showCart renders the cart with the status; a stock problem is shown
// beside its line, or above the lines for a product not in the cart.
func (s *Server) showCart(c *gin.Context, status int, problem *stockProblem) {
	p := cartPage{page: s.newPage(c, "cart.title")}
	p.Path = "/cart" // after a POST to a line, the language switch comes back here
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
	for i := range items {
		it := &items[i]
		p.Short = p.Short || it.Short
		it.Input, it.Less = it.Quantity, it.Quantity-1
		if it.Quantity < min(models.MaxQuantity, it.Product.Stock) {
			it.More = it.Quantity + 1
		}
		if problem != nil && problem.product.ID == it.Product.ID {
			it.Input, it.Problem = problem.asked, stockMessage(p.Lang, problem.product.Stock, "")
			problem = nil
		}
	}
	if problem != nil {
		name := s.productView(*problem.product, p.Lang).Name
		p.Problem = stockMessage(p.Lang, problem.product.Stock, name)
	}
	s.render(c, status, "cart", p)
}

// stockMessage says how many units of a product are left, naming it when
// name is not "".
func stockMessage(l Lang, stock int, name string) string {
	switch {
	case stock <= 0 && name == "":
		return l.T("cart.soldoutnow")
	case stock <= 0:
		return l.Tf("cart.soldoutnow.named", "Name", name)
	case name == "":
		return l.Tn("cart.toomany", stock)
	}
	return l.Tn("cart.toomany.named", stock, "Name", name)
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
		s.stockFailed(c, pr, qty)
		return
	}
	setCartQuantity(c, pr.ID, qty)
	flash(c, "cart.added")
	s.redirect(c, "/cart")
}

// stockFailed answers a change the stock cannot meet with the cart, the
// change not made and the reason beside the line, under 422: the shopper
// fixes it where they are, not on an error page.
func (s *Server) stockFailed(c *gin.Context, pr *models.Product, asked int) {
	s.log.Debug("request refused", "path", c.Request.URL.Path, "status", http.StatusUnprocessableEntity,
		"product", pr.ID, "asked", asked, "stock", pr.Stock)
	s.showCart(c, http.StatusUnprocessableEntity, &stockProblem{product: pr, asked: asked})
}

// updateCart changes a line's quantity, or removes it (remove=1 or
// quantity=0). The quantity is typed, or posted by a − or + button.
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
			s.stockFailed(c, pr, qty)
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
