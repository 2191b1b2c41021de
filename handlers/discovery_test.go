package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/models"
	"shop/payment"
)

// newProduct stores a product on sale in USD, as the admin would.
func (h *harness) newProduct(slug, name, nameZH, desc, descZH string, categoryID *uint) models.Product {
	h.t.Helper()
	p := models.Product{Slug: slug, Name: name, NameZH: nameZH, Description: desc, DescriptionZH: descZH,
		PriceMinor: 1000, Currency: "USD", Stock: 5, Image: "/assets/img/tea-set.svg", CategoryID: categoryID}
	require.NoError(h.t, h.db.Gorm().Create(&p).Error)
	return p
}

var (
	cardRE = regexp.MustCompile(`<li class="card">\s*<a href="/products/([^"]+)">`)
	h1RE   = regexp.MustCompile(`<h1[ >]`)
)

// cards returns the slugs of the product cards of a page, in order.
func cards(body string) []string {
	var out []string
	for _, m := range cardRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// discoveryCatalog is the seeded catalog in three categories: textiles
// (the scarf, and the beanie, hidden), kitchen (the tea set and the mug)
// and garden, with nothing in it.
func discoveryCatalog(t testing.TB) *harness {
	h := newHarness(t, options{})
	textiles := h.newCategory("textiles", "Textiles", "纺织品", 1)
	kitchen := h.newCategory("kitchen", "Kitchen", "厨房", 0)
	h.newCategory("garden", "Garden", "园艺", 2)
	for slug, id := range map[string]uint{"silk-scarf": textiles.ID, "wool-beanie": textiles.ID, "tea-set": kitchen.ID, "ceramic-mug": kitchen.ID} {
		h.setProduct(slug, map[string]any{"category_id": id})
	}
	h.setProduct("wool-beanie", map[string]any{"hidden": true})
	return h
}

// TestHomePage: one heading, a hero, a labelled search box, the
// categories with products on sale as chips, then every product on sale.
func TestHomePage(t *testing.T) {
	h := discoveryCatalog(t)
	for _, tt := range []struct {
		lang, h1, label, kitchen, textiles, scarf, search string
	}{
		{"en", "Well-made things for every day", "Search the shop", "Kitchen", "Textiles", "Silk scarf", "Search"},
		{"zh-CN", "日常好物，用心挑选", "搜索本店商品", "厨房", "纺织品", "真丝围巾", "搜索"},
		{"en", "Well-made things for every day", "Search the shop", "Kitchen", "Textiles", "Silk scarf", "Search"}, // the grid kept in English is English
	} {
		t.Run(tt.lang, func(t *testing.T) {
			home := h.browser(mobileUA).speaking(tt.lang).get("/")
			require.Equal(t, http.StatusOK, home.StatusCode)
			body := home.Body
			assert.Len(t, h1RE.FindAllString(body, -1), 1, "one h1")
			assert.Contains(t, body, `<h1 id="hero-title">`+tt.h1+`</h1>`)
			for _, landmark := range []string{"<header", "<main>", "<footer", `role="search"`} {
				assert.Contains(t, body, landmark)
			}
			assert.Contains(t, body, `<label for="q">`+tt.label+`</label>`)
			assert.Contains(t, body, `<a class="searchlink" href="/search" aria-label="`+tt.search+`"`, "search from every page's header")
			assert.Contains(t, body, `<input id="q" type="search" name="q" value="" maxlength="100"`)
			assert.Equal(t, maxSearchLen, 100, "the box's maxlength")
			chips := regexp.MustCompile(`<a href="/categories/([a-z]+)">([^<]+) <span class="count">([0-9]+)</span></a>`).FindAllStringSubmatch(body, -1)
			require.Len(t, chips, 2, "garden has nothing on sale")
			assert.Equal(t, []string{"kitchen", tt.kitchen, "2"}, chips[0][1:], "the merchant's order")
			assert.Equal(t, []string{"textiles", tt.textiles, "1"}, chips[1][1:], "the hidden beanie is not counted")
			assert.Contains(t, body, `<li><a href="/" aria-current="page">`, "the chip of all products is this page")
			got := cards(body)
			assert.Len(t, got, 11, "every product on sale")
			assert.NotContains(t, got, "wool-beanie")
			assert.Contains(t, body, `<span class="name">`+tt.scarf+`</span>`, "the cards speak the page's language")
		})
	}
}

// TestCategoryPage: a category lists its products on sale, in the
// shopper's language, with breadcrumbs home; an empty one says so; an
// unknown one is not found; a bad page number is a bad request.
func TestCategoryPage(t *testing.T) {
	h := discoveryCatalog(t)
	b := h.browser(mobileUA)

	page := b.get("/categories/kitchen")
	require.Equal(t, http.StatusOK, page.StatusCode)
	assert.Contains(t, page.Body, "<h1>Kitchen</h1>")
	assert.Contains(t, page.Body, "<title>Kitchen</title>")
	assert.Equal(t, []string{"tea-set", "ceramic-mug"}, cards(page.Body))
	assert.Contains(t, page.Body, `data-testid="count">2 products<`)
	assert.Contains(t, page.Body, `<li><a href="/">Shop</a></li><li aria-current="page">Kitchen</li>`, "breadcrumbs")
	assert.Contains(t, page.Body, `<a href="/categories/kitchen" aria-current="page">Kitchen`, "its chip is marked")
	assert.Contains(t, page.Body, `<a href="/categories/textiles">Textiles`, "and the others link")
	assert.Contains(t, page.Body, `<li><a href="/">All</a></li>`)

	zh := h.browser(mobileUA).speaking("zh-CN").get("/categories/textiles")
	require.Equal(t, http.StatusOK, zh.StatusCode)
	assert.Contains(t, zh.Body, "<h1>纺织品</h1>")
	assert.Contains(t, zh.Body, `<span class="name">真丝围巾</span>`)
	assert.Equal(t, []string{"silk-scarf"}, cards(zh.Body), "the hidden beanie is not listed")

	garden := b.get("/categories/garden")
	require.Equal(t, http.StatusOK, garden.StatusCode)
	assert.Contains(t, garden.Body, `data-testid="empty">Nothing in this category is on sale at the moment. <a href="/">See all products</a>`)
	assert.Empty(t, cards(garden.Body))

	for path, status := range map[string]int{
		"/categories/nope":           http.StatusNotFound,
		"/categories/kitchen?page=2": http.StatusNotFound,
		"/categories/kitchen?page=0": http.StatusBadRequest,
		"/categories/kitchen?page=x": http.StatusBadRequest,
		"/categories/kitchen?page=1": http.StatusOK,
	} {
		assert.Equal(t, status, b.get(path).StatusCode, path)
	}
}

// search asks the shop for q and returns the answer.
func (b *browser) search(q string) *response {
	return b.get("/search?q=" + url.QueryEscape(q))
}

// TestSearch: a search finds the products on sale whose names,
// descriptions or category hold every word, in English and Chinese
// whatever the page's language, ignoring case and width; names rank first.
// % and _ are letters like any other.
func TestSearch(t *testing.T) {
	h := discoveryCatalog(t)
	h.newProduct("cotton-bag", "Market bag", "购物袋", "100% cotton, washable.", "百分之百纯棉，可水洗。", nil)
	h.newProduct("under-score", "Tea_towel", "茶巾", "A linen towel.", "亚麻茶巾。", nil)
	tests := []struct {
		name, lang, q string
		want          []string
	}{
		{"English name", "en", "scarf", []string{"silk-scarf"}},
		{"capitals", "en", "SILK Scarf", []string{"silk-scarf"}},
		{"full-width letters", "zh-CN", "ｓｉｌｋ", []string{"silk-scarf"}},
		{"Chinese name on an English page", "en", "围巾", []string{"silk-scarf"}},
		{"Chinese name on a Chinese page", "zh-CN", "真丝", []string{"silk-scarf"}},
		{"English description", "en", "mulberry", []string{"silk-scarf"}},
		{"Chinese description", "zh-CN", "桑蚕丝", []string{"silk-scarf"}},
		{"every word", "en", "teapot cups", []string{"tea-set"}},
		{"a word missing", "en", "teapot scarf", nil},
		{"names first", "en", "bamboo", []string{"bamboo-notebook", "enamel-pin"}},
		{"category name", "zh-CN", "厨房", []string{"tea-set", "ceramic-mug"}},
		{"percent is a letter", "en", "%", []string{"cotton-bag"}},
		{"percent after digits", "en", "100%", []string{"cotton-bag"}},
		{"underscore is a letter", "en", "_", []string{"under-score"}},
		{"underscore matches no other letter", "en", "s_lk", nil},
		{"hidden products are not found", "en", "beanie", nil},
		{"hidden products are not found in Chinese", "zh-CN", "毛线帽", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := h.browser(mobileUA).speaking(tt.lang).search(tt.q)
			require.Equal(t, http.StatusOK, res.StatusCode)
			assert.Equal(t, tt.want, cards(res.Body))
			assert.Contains(t, res.Body, `name="q" value="`+htmlEscape(tt.q)+`"`, "the box keeps the search")
			if tt.want == nil {
				assert.Contains(t, res.Body, `data-testid="no-results"`)
				assert.Contains(t, res.Body, `<a href="/">`, "a way back")
			}
		})
	}

	b := h.browser(mobileUA)
	t.Run("what it says", func(t *testing.T) {
		res := b.search("  Scarf ")
		assert.Contains(t, res.Body, "<h1>Results for “Scarf”</h1>")
		assert.Contains(t, res.Body, "<title>Search: Scarf</title>")
		assert.Contains(t, res.Body, `data-testid="count">One product matches “Scarf”.<`)
		none := b.search("xyzzy")
		assert.Contains(t, none.Body, `data-testid="no-results">Nothing matches “xyzzy”. <a href="/">See all products</a>`)
		zh := h.browser(mobileUA).speaking("zh-CN").search("瓷")
		assert.Contains(t, zh.Body, `data-testid="count">找到2件与“瓷”相关的商品。<`)
		blank := b.search("   ")
		require.Equal(t, http.StatusOK, blank.StatusCode)
		assert.Contains(t, blank.Body, "<h1>Search</h1>")
		assert.Contains(t, blank.Body, "in English or Chinese")
		assert.Empty(t, cards(blank.Body))
	})
	t.Run("markup in the query is text", func(t *testing.T) {
		res := b.search(`<script>alert(1)</script>`)
		require.Equal(t, http.StatusOK, res.StatusCode)
		assert.NotContains(t, res.Body, "<script>alert")
		assert.Contains(t, res.Body, "&lt;script&gt;alert(1)&lt;/script&gt;")
	})
	t.Run("too long", func(t *testing.T) {
		for _, q := range []string{strings.Repeat("a", 101), strings.Repeat("茶", 101)} {
			res := b.search(q)
			assert.Equal(t, http.StatusBadRequest, res.StatusCode)
			assert.Contains(t, res.Body, `data-testid="too-long">That search is too long: use at most 100 characters.<`)
			assert.Empty(t, cards(res.Body))
			assert.Contains(t, res.Body, `value="`+string([]rune(q)[:100])+`"`, "the box keeps what fits")
		}
		zh := h.browser(mobileUA).speaking("zh-CN").search(strings.Repeat("茶", 101))
		assert.Equal(t, http.StatusBadRequest, zh.StatusCode)
		assert.Contains(t, zh.Body, "搜索内容太长：最多100个字。")
		assert.Equal(t, http.StatusOK, b.search(strings.Repeat("茶", 100)).StatusCode, "100 is allowed")
	})
}

// htmlEscape is how html/template writes s in an attribute.
func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;", "+", "&#43;").Replace(s)
}

// TestSearchPages: results come listPageSize at a time, with links to the
// neighbouring pages that keep the search; a page past the last is not
// found and a bad page number is a bad request.
func TestSearchPages(t *testing.T) {
	h := newHarness(t, options{})
	for i := range listPageSize + 6 {
		h.newProduct(fmt.Sprintf("lantern-%02d", i), fmt.Sprintf("Paper lantern %02d", i), "纸灯笼", "A paper lantern.", "纸灯笼。", nil)
	}
	b := h.browser(mobileUA)
	first := b.search("paper lantern")
	require.Equal(t, http.StatusOK, first.StatusCode)
	assert.Len(t, cards(first.Body), listPageSize)
	assert.Contains(t, first.Body, "30 products match")
	assert.Contains(t, first.Body, `<a href="/search?q=paper&#43;lantern&amp;page=2" rel="next">Next page</a>`)
	assert.NotContains(t, first.Body, `rel="prev"`)
	assert.Contains(t, first.Body, "Page 1 of 2")

	second := b.get("/search?q=paper+lantern&page=2")
	require.Equal(t, http.StatusOK, second.StatusCode)
	assert.Equal(t, []string{"lantern-24", "lantern-25", "lantern-26", "lantern-27", "lantern-28", "lantern-29"}, cards(second.Body))
	assert.Contains(t, second.Body, `<a href="/search?q=paper&#43;lantern" rel="prev">Previous page</a>`)
	assert.NotContains(t, second.Body, `rel="next"`)
	assert.Contains(t, second.Body, `loading="lazy"`, "below the first page's fold")

	for path, status := range map[string]int{
		"/search?q=paper&page=3":    http.StatusNotFound,
		"/search?q=paper&page=0":    http.StatusBadRequest,
		"/search?q=paper&page=-1":   http.StatusBadRequest,
		"/search?q=paper&page=1e3":  http.StatusBadRequest,
		"/search?q=paper&page=1001": http.StatusBadRequest,
	} {
		assert.Equal(t, status, b.get(path).StatusCode, path)
	}
}

// TestHomePages: a catalog longer than a page is listed a page at a time
// on the home page (each page's own content, though each is kept once
// rendered); a page past the last is not found and a bad page number is a
// bad request.
func TestHomePages(t *testing.T) {
	h := newHarness(t, options{})
	seeded := len(cards(h.browser(mobileUA).get("/").Body))
	for i := range listPageSize + 6 - seeded {
		h.newProduct(fmt.Sprintf("lantern-%02d", i), fmt.Sprintf("Paper lantern %02d", i), "纸灯笼", "A paper lantern.", "纸灯笼。", nil)
	}
	h.clock.Advance(catalogTTL)
	b := h.browser(mobileUA)
	first := b.get("/")
	require.Equal(t, http.StatusOK, first.StatusCode)
	assert.Len(t, cards(first.Body), listPageSize)
	assert.Contains(t, first.Body, `<a href="/?page=2" rel="next">Next page</a>`)
	assert.NotContains(t, first.Body, `rel="prev"`)
	assert.Contains(t, first.Body, "Page 1 of 2")
	assert.Len(t, h1RE.FindAllString(first.Body, -1), 1, "one h1")

	second := b.get("/?page=2")
	require.Equal(t, http.StatusOK, second.StatusCode)
	assert.Len(t, cards(second.Body), 6)
	assert.Equal(t, fmt.Sprintf("lantern-%02d", listPageSize+6-seeded-1), cards(second.Body)[5], "the last one added is last")
	assert.Contains(t, second.Body, `<a href="/" rel="prev">Previous page</a>`)
	assert.NotContains(t, second.Body, `rel="next"`)
	assert.Contains(t, second.Body, "Page 2 of 2")
	assert.Len(t, cards(b.get("/").Body), listPageSize, "page 1 again, after page 2 was kept")

	for path, status := range map[string]int{
		"/?page=3":    http.StatusNotFound,
		"/?page=0":    http.StatusBadRequest,
		"/?page=two":  http.StatusBadRequest,
		"/?page=1001": http.StatusBadRequest,
	} {
		assert.Equal(t, status, b.get(path).StatusCode, path)
	}
}

// TestProductPageDetails: a product's page has breadcrumbs back to its
// category, its description in paragraphs, its price and stock, the
// delivery times (the shopper's region marked), and every picture in a
// strip with thumbnails linking to each, which needs no JavaScript.
func TestProductPageDetails(t *testing.T) {
	h := discoveryCatalog(t)
	scarf := h.product("silk-scarf")
	h.setProduct("silk-scarf", map[string]any{"description": "A light mulberry silk scarf.\n\nHand-rolled hem.\n"})
	pics := []models.Picture{
		h.storePicture(scarf.ID, 0, "The scarf, spread out", 400, 800),
		h.storePicture(scarf.ID, 1, "The scarf, folded", 400),
		h.storePicture(scarf.ID, 2, "", 400),
	}
	b := h.browser(mobileUA)
	page := b.get("/products/silk-scarf")
	require.Equal(t, http.StatusOK, page.StatusCode)
	body := page.Body

	assert.Len(t, h1RE.FindAllString(body, -1), 1, "one h1")
	assert.Contains(t, body, `<li><a href="/">Shop</a></li><li><a href="/categories/textiles">Textiles</a></li><li aria-current="page">Silk scarf</li>`)
	assert.Contains(t, body, "<p>A light mulberry silk scarf.</p>\n    <p>Hand-rolled hem.</p>")
	assert.Contains(t, body, `<p class="price">US$39.00</p>`)
	assert.Contains(t, body, `data-testid="stock">In stock: 12 items left<`)
	assert.Contains(t, body, `<ul class="muted" data-testid="delivery-times"><li>Mainland China`)
	for i, pic := range pics {
		id := fmt.Sprintf("picture-%d", i+1)
		src := "/images/" + pic.Files[0].Hash
		assert.Contains(t, body, fmt.Sprintf(`<li id="%s"><img src="%s"`, id, src), "in the strip")
		assert.Contains(t, body, fmt.Sprintf(`<li><a href="#%s" aria-label="Picture %d of 3"><img src="%s" alt="" width="64" height="48" loading="lazy"></a></li>`, id, i+1, src), "its thumbnail")
	}
	assert.Contains(t, body, `<ul class="strip" tabindex="0" aria-label="Pictures, scroll sideways">`, "keyboards can scroll it")
	assert.Contains(t, body, `alt="The scarf, folded"`)
	assert.Contains(t, body, `<li id="picture-3"><img src="/images/`+pics[2].Files[0].Hash+`" alt="Silk scarf"`, "no alternative text: the name")
	assert.Contains(t, body, `<a href="/categories/textiles">← Continue shopping</a>`)

	t.Run("in Chinese", func(t *testing.T) {
		zh := h.browser(mobileUA).speaking("zh-CN").get("/products/silk-scarf")
		assert.Contains(t, zh.Body, `<li><a href="/">商店</a></li><li><a href="/categories/textiles">纺织品</a></li><li aria-current="page">真丝围巾</li>`)
		assert.Contains(t, zh.Body, `aria-label="第2张图片，共3张"`)
		assert.Contains(t, zh.Body, `data-testid="delivery-times"><li><strong>`, "a Chinese page marks mainland China's delivery time")
	})
	t.Run("in the cart", func(t *testing.T) {
		require.Equal(t, http.StatusSeeOther, b.add(scarf.ID, 2).StatusCode)
		assert.Contains(t, b.get("/products/silk-scarf").Body, `data-testid="in-cart">2 are in your cart. <a href="/cart">`)
	})
	t.Run("one picture, no category, sold out", func(t *testing.T) {
		h.setStock(h.product("postcard-set").ID, 0)
		res := b.get("/products/postcard-set")
		require.Equal(t, http.StatusOK, res.StatusCode)
		assert.NotContains(t, res.Body, `data-testid="thumbs"`, "one picture needs no thumbnails")
		assert.Contains(t, res.Body, `<ul class="strip">`)
		assert.Contains(t, res.Body, `<li><a href="/">Shop</a></li><li aria-current="page">City postcard set</li>`)
		assert.Contains(t, res.Body, `<p class="soldout" data-testid="stock">Sold out</p>`)
		assert.NotContains(t, res.Body, `form method="post" action="/cart/items"`)
	})
}

// TestCatalogCache: the lists read the catalog from memory; what this
// instance changes (any POST but the cart's) shows at once, and what
// another changed in the database shows within catalogTTL.
func TestCatalogCache(t *testing.T) {
	h := newHarness(t, options{})
	b := h.browser(mobileUA)
	require.Equal(t, http.StatusOK, b.get("/").StatusCode)

	queries := h.countQueries()
	for _, path := range []string{"/", "/search?q=tea", "/api/products", "/"} {
		require.Equal(t, http.StatusOK, b.get(path).StatusCode)
	}
	assert.Zero(t, queries["products"].Load(), "the lists share one snapshot")
	assert.Zero(t, queries["pictures"].Load())

	// Another instance renames the mug.
	h.setProduct("ceramic-mug", map[string]any{"name": "Blue mug"})
	require.Equal(t, http.StatusSeeOther, b.add(h.product("tea-set").ID, 1).StatusCode, "the cart changes no catalog")
	require.Equal(t, http.StatusNotFound, b.post("/nowhere", url.Values{}).StatusCode, "nor a refused request")
	require.Equal(t, http.StatusForbidden, b.request(http.MethodPost, "/checkout", url.Values{}, http.Header{"Sec-Fetch-Site": {"cross-site"}}).StatusCode)
	assert.Contains(t, b.get("/").Body, "Speckled mug", "not yet seen here")
	assert.Contains(t, b.get("/api/products").Body, `"name":"Speckled mug"`, "nor by the API")
	h.clock.Advance(catalogTTL)
	assert.Contains(t, b.get("/").Body, "Blue mug", "seen once the snapshot is old")
	assert.Equal(t, int32(1), queries["pictures"].Load(), "loaded once more")

	// The merchant hides it on this instance.
	staff := h.staff("ann")
	res := staff.postForm(adminProductURL(h.product("ceramic-mug").ID)+"/hide", nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode, res.Body)
	assert.NotContains(t, b.get("/").Body, "Blue mug", "at once")
	assert.NotContains(t, b.get("/api/products").Body, "Blue mug", "the API too")
	assert.Empty(t, cards(b.search("mug").Body))
}

// TestListsShowCNYEstimates: the category and search pages in Chinese give
// every price its estimate in yuan, with the note; English pages do not.
// The product page shows when free shipping starts.
func TestListsShowCNYEstimates(t *testing.T) {
	h := newShippingHarness(t, func(c *Config) {
		c.Shipping = models.Shipping{FlatMinor: 800, FreeOverMinor: 10000}
		c.Rates = ratesAt(c.Now().Add(-time.Hour))
	})
	textiles := h.newCategory("textiles", "Textiles", "纺织品", 0)
	h.setProduct("silk-scarf", map[string]any{"category_id": textiles.ID})
	zh := h.browser(mobileUA).speaking("zh-CN,zh;q=0.9")
	en := h.browser(mobileUA).speaking("en")
	const price, note = `<span class="price">US$39.00 <small class="muted cny">≈ ¥278</small></span>`, `data-testid="cny-note">`
	for _, path := range []string{"/categories/textiles", "/search?q=" + url.QueryEscape("围巾")} {
		page := zh.get(path)
		require.Equal(t, http.StatusOK, page.StatusCode, path)
		assert.Contains(t, page.Body, price, path)
		assert.Contains(t, page.Body, note, path)
		page = en.get(path)
		assert.Contains(t, page.Body, `<span class="price">US$39.00</span>`, path)
		assert.NotContains(t, page.Body, note, path)
	}
	assert.Contains(t, en.get("/products/silk-scarf").Body, "Orders of US$100.00 or more ship free.")
}

// TestCatalogCacheConcurrently: shoppers reading the lists while the
// merchant hides and shows a product all get whole pages, and once the
// merchant stops, the lists show the last state (go test -race checks the
// snapshot is shared safely).
func TestCatalogCacheConcurrently(t *testing.T) {
	h := newHarness(t, options{})
	staff := h.staff("ann")
	mug := adminProductURL(h.product("ceramic-mug").ID)
	var wg sync.WaitGroup
	statuses := make(chan int, 8*10)
	for i := range 8 {
		b := h.browser(mobileUA)
		wg.Go(func() {
			for j := range 10 {
				path := "/"
				if (i+j)%2 == 1 {
					path = "/search?q=mug"
				}
				statuses <- b.get(path).StatusCode
			}
		})
	}
	for i := range 6 {
		action := "/hide"
		if i%2 == 1 {
			action = "/show"
		}
		require.Equal(t, http.StatusSeeOther, staff.postForm(mug+action, nil).StatusCode)
	}
	require.Equal(t, http.StatusSeeOther, staff.postForm(mug+"/hide", nil).StatusCode)
	wg.Wait()
	close(statuses)
	for s := range statuses {
		assert.Equal(t, http.StatusOK, s)
	}
	b := h.browser(mobileUA)
	assert.NotContains(t, cards(b.get("/").Body), "ceramic-mug")
	assert.Empty(t, cards(b.search("mug").Body))
}

// movingRates are exchange rates that change while the shop runs.
type movingRates struct {
	mu    sync.Mutex
	rates fakeRates
}

func (m *movingRates) Rate(c payment.Currency) (payment.Rate, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.rates[c]
	return r, ok
}

func (m *movingRates) set(r fakeRates) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rates = r
}

// TestHomeGridFollowsTheRate: the home page's grid, kept with the
// catalog's snapshot, is kept per exchange rate: a new rate shows at once.
func TestHomeGridFollowsTheRate(t *testing.T) {
	rates := &movingRates{}
	h := newShippingHarness(t, func(c *Config) {
		rates.set(ratesAt(c.Now().Add(-time.Hour)))
		c.Rates = rates
	})
	zh := h.browser(mobileUA).speaking("zh-CN")
	assert.Contains(t, zh.get("/").Body, `US$39.00 <small class="muted cny">≈ ¥278</small>`)
	newer := ratesAt(h.clock.Now())
	newer["USD"] = payment.Rate{Currency: "USD", Rate: "7.5", Time: h.clock.Now()}
	rates.set(newer)
	assert.Contains(t, zh.get("/").Body, `US$39.00 <small class="muted cny">≈ ¥293</small>`, "39 × 7.5 = 292.5")
	rates.set(fakeRates{})
	home := zh.get("/").Body
	assert.NotContains(t, home, "≈")
	assert.NotContains(t, home, "cny-note")
}
