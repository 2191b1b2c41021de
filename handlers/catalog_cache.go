package handlers

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/text/width"

	"shop/models"
)

// The shop's lists (home, categories, search) read the catalog from a
// snapshot in memory: the products on sale, their categories and their
// pictures, loaded with four queries and shared by every request until it
// is stale. It is stale when
//   - this process handled a request that may have changed the catalog
//     (catalogWrites: any POST outside the cart that was not refused), or
//   - it is older than catalogTTL: another instance's admin, or the
//     sweeper giving back the stock of expired orders, changed the
//     database without this process knowing.
//
// So an edit shows at once on the instance that made it and within
// catalogTTL on the others. A product's own page and the checkout read the
// database, so stock and hidden products are always current there; a list
// may show a product sold out or hidden for up to catalogTTL.
const catalogTTL = 2 * time.Second

// catalogSnapshot is the catalog as the lists show it. Its catalog is never
// changed once built: requests share it without locks.
type catalogSnapshot struct {
	gen     uint64    // the cache's generation when it was loaded
	expires time.Time // by the server's clock
	// products are on sale (not hidden), in the merchant's order.
	products   []models.Product
	pictures   map[uint][]models.Picture
	categories []models.Category // all of them, in the merchant's order
	onSale     map[uint]int      // products on sale by category id
	index      []searchEntry     // products[i]'s text, for search
	// bodies are the home page's content, rendered once per language
	// and exchange rate (homeBody): most of that page's work.
	bodies sync.Map // bodyKey → template.HTML
}

// catalogCache holds the latest snapshot. The zero value is an empty cache.
type catalogCache struct {
	mu   sync.Mutex // held while loading, so one request loads and the others wait for it
	gen  atomic.Uint64
	snap atomic.Pointer[catalogSnapshot]
}

// invalidate makes the current snapshot stale: the next list loads anew.
func (cc *catalogCache) invalidate() { cc.gen.Add(1) }

// fresh returns the snapshot if it is still good at now.
func (cc *catalogCache) fresh(now time.Time) *catalogSnapshot {
	s := cc.snap.Load()
	if s == nil || s.gen != cc.gen.Load() || !now.Before(s.expires) {
		return nil
	}
	return s
}

// catalog returns the current snapshot, loading it when it is stale.
func (s *Server) catalog(ctx context.Context) (*catalogSnapshot, error) {
	cc := &s.catalogCache
	if snap := cc.fresh(s.now()); snap != nil {
		return snap, nil
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if snap := cc.fresh(s.now()); snap != nil { // loaded while this request waited
		return snap, nil
	}
	// The generation is read before the queries: a write that commits
	// while they run bumps it after, and the snapshot is stale at once.
	gen := cc.gen.Load()
	snap, err := s.loadCatalog(ctx)
	if err != nil {
		return nil, err
	}
	snap.gen, snap.expires = gen, s.now().Add(catalogTTL)
	cc.snap.Store(snap)
	return snap, nil
}

// loadCatalog reads the catalog from the store.
func (s *Server) loadCatalog(ctx context.Context) (*catalogSnapshot, error) {
	products, err := s.store.Products(ctx)
	if err != nil {
		return nil, err
	}
	categories, err := s.store.Categories(ctx)
	if err != nil {
		return nil, err
	}
	pictures, err := s.store.PicturesOf(ctx, productIDs(products))
	if err != nil {
		return nil, err
	}
	snap := &catalogSnapshot{products: products, pictures: pictures, categories: categories,
		onSale: map[uint]int{}, index: make([]searchEntry, len(products))}
	for i, p := range products {
		if p.CategoryID != nil {
			snap.onSale[*p.CategoryID]++
		}
		snap.index[i] = newSearchEntry(p)
	}
	return snap, nil
}

// categoryBySlug returns the category with the slug.
func (snap *catalogSnapshot) categoryBySlug(slug string) (models.Category, bool) {
	for _, c := range snap.categories {
		if c.Slug == slug {
			return c, true
		}
	}
	return models.Category{}, false
}

// inCategory returns the products on sale in category id, in order.
func (snap *catalogSnapshot) inCategory(id uint) []models.Product {
	var out []models.Product
	for _, p := range snap.products {
		if p.CategoryID != nil && *p.CategoryID == id {
			out = append(out, p)
		}
	}
	return out
}

// fold is how search compares text: Latin letters in lower case, and the
// full-width letters and digits Chinese keyboards type as ordinary ones.
func fold(s string) string { return strings.ToLower(width.Fold.String(s)) }

// searchEntry is a product's text, folded: names (in both languages)
// rank a product above its descriptions and category.
type searchEntry struct {
	names, rest string
}

func newSearchEntry(p models.Product) searchEntry {
	// Fields are joined by a line break, which no term contains, so a
	// term never matches across two of them.
	e := searchEntry{names: fold(p.Name + "\n" + p.NameZH), rest: fold(p.Description + "\n" + p.DescriptionZH)}
	if p.Category != nil {
		e.rest += "\n" + fold(p.Category.Name+"\n"+p.Category.NameZH)
	}
	return e
}

// match reports whether every term is in the entry's text, and whether
// they are all in its names.
func (e searchEntry) match(terms []string) (found, inNames bool) {
	inNames = true
	for _, t := range terms {
		switch {
		case strings.Contains(e.names, t):
		case strings.Contains(e.rest, t):
			inNames = false
		default:
			return false, false
		}
	}
	return true, inNames
}

// search returns the products on sale whose text holds every term: those
// matching by their names first, each group in the merchant's order.
func (snap *catalogSnapshot) search(terms []string) []models.Product {
	var names, rest []models.Product
	for i, e := range snap.index {
		switch found, inNames := e.match(terms); {
		case inNames:
			names = append(names, snap.products[i])
		case found:
			rest = append(rest, snap.products[i])
		}
	}
	return append(names, rest...)
}

// catalogWrites makes the snapshot stale once a request that may have
// changed the catalog is answered: the admin's edits, and orders taking or
// giving back stock. That is any method but GET and HEAD answered below
// 400, except the cart's, which change only the shopper's cookie. A refused
// request changed nothing, so a stranger's POSTs to nowhere cannot make
// every page reload the catalog.
func (s *Server) catalogWrites(c *gin.Context) {
	c.Next()
	m := c.Request.Method
	if m == http.MethodGet || m == http.MethodHead || c.Writer.Status() >= http.StatusBadRequest ||
		strings.HasPrefix(c.Request.URL.Path, "/cart/") {
		return
	}
	s.catalogCache.invalidate()
}
