package handlers

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/models"
)

// productForm is a valid new product's form.
func newProductForm() url.Values {
	return url.Values{"slug": {"paper-fan"}, "name": {"Paper fan"}, "name_zh": {"纸扇"},
		"description": {"A folding fan of rice paper."}, "description_zh": {""}, "price": {"8.50"},
		"category": {""}, "sort_order": {"3"}, "stock": {"12"}}
}

// productFormOfStored is the edit form of a stored product, as the page
// fills it.
func productFormOfStored(p *models.Product) url.Values {
	return url.Values{"slug": {p.Slug}, "name": {p.Name}, "name_zh": {p.NameZH}, "description": {p.Description},
		"description_zh": {p.DescriptionZH}, "price": {csvAmount(p.PriceMinor, "USD")}, "sort_order": {fmt.Sprint(p.SortOrder)}}
}

// within is the browser reporting to t, for subtests and goroutines.
func (a *adminBrowser) within(t testing.TB) *adminBrowser {
	c := *a
	c.browser = a.browser.in(t)
	return &c
}

// auditsOf returns the actions and details audited on target, oldest
// first.
func (h *harness) auditsOf(t *testing.T, target string) []string {
	t.Helper()
	var es []models.AuditEntry
	require.NoError(t, h.db.Gorm().Where("target = ?", target).Order("id").Find(&es).Error)
	var out []string
	for _, e := range es {
		out = append(out, e.Staff+" "+e.Action+": "+e.Detail)
	}
	return out
}

var labelFor = regexp.MustCompile(`<label[^>]* for="([^"]+)"`)
var inputID = regexp.MustCompile(`<(?:input|select|textarea) id="([^"]+)"`)

// assertLabelled checks that every visible field of a page has its label.
func assertLabelled(t *testing.T, body string) {
	t.Helper()
	labels := map[string]bool{}
	for _, m := range labelFor.FindAllStringSubmatch(body, -1) {
		labels[m[1]] = true
	}
	ids := inputID.FindAllStringSubmatch(body, -1)
	require.NotEmpty(t, ids)
	for _, m := range ids {
		assert.True(t, labels[m[1]], "field #%s has no label", m[1])
	}
}

func TestAdminProductList(t *testing.T) {
	h := newHarness(t, options{})
	scarf := h.product("silk-scarf")
	h.createOrder(models.Item{ProductID: scarf.ID, Quantity: 2})
	_, err := h.db.SetHidden(t.Context(), h.product("tea-set").ID, true, models.AuditEntry{Staff: "ann"})
	require.NoError(t, err)

	stranger := h.browser(desktopUA)
	res := stranger.get("/admin/products")
	assert.Equal(t, http.StatusSeeOther, res.StatusCode)
	assert.Equal(t, "/admin/login?next=%2Fadmin%2Fproducts", res.location())

	staff := h.staff("ann")
	res = staff.get("/admin/products")
	require.Equal(t, http.StatusOK, res.StatusCode, res.Body)
	assert.Contains(t, res.Body, "<h1>Products</h1>")
	assert.Contains(t, res.Body, "12 products")
	assert.Contains(t, res.Body, `<a href="/admin/products">Products</a>`, "in the admin's navigation")
	row := rowOf(t, res.Body, "silk-scarf")
	assert.Contains(t, row, `href="/admin/products/`+fmt.Sprint(scarf.ID)+`"`)
	assert.Contains(t, row, "US$39.00")
	assert.Contains(t, row, `data-testid="available">10<`)
	assert.Contains(t, row, `data-testid="held">2<`)
	assert.Contains(t, row, `data-testid="onhand">12<`)
	assert.NotContains(t, row, "Hidden")
	assert.Contains(t, rowOf(t, res.Body, "tea-set"), `data-testid="hidden">Hidden<`, "hidden products are listed, marked")
	assertLabelled(t, res.Body)

	zh := h.staff("li")
	zh.header.Set("Accept-Language", "zh-CN")
	res = zh.get("/admin/products")
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, res.Body, "<h1>商品</h1>")
	assert.Contains(t, res.Body, "已隐藏")
}

// rowOf returns the list's row of the product with slug.
func rowOf(t *testing.T, body, slug string) string {
	t.Helper()
	i := strings.Index(body, `<tr data-product="`+slug+`"`)
	require.GreaterOrEqual(t, i, 0, "no row for %s", slug)
	j := strings.Index(body[i:], "</tr>")
	return body[i : i+j]
}

func TestAdminCreateProduct(t *testing.T) {
	h := newHarness(t, options{})
	staff := h.staff("ann")
	res := staff.get("/admin/products/new")
	require.Equal(t, http.StatusOK, res.StatusCode, res.Body)
	assert.Contains(t, res.Body, `<input id="price" name="price" value="" inputmode="decimal"`)
	assert.Contains(t, res.Body, "Price (USD)")
	assertLabelled(t, res.Body)

	res = staff.postForm("/admin/products/new", newProductForm())
	require.Equal(t, http.StatusSeeOther, res.StatusCode, res.Body)
	p := h.product("paper-fan")
	assert.Equal(t, adminProductURL(p.ID), res.location())
	assert.Equal(t, int64(850), p.PriceMinor)
	assert.Equal(t, "USD", p.Currency)
	assert.Equal(t, 12, p.Stock)
	assert.Equal(t, 3, p.SortOrder)
	assert.Equal(t, "纸扇", p.NameZH)
	assert.False(t, p.Hidden)

	page := staff.get(res.location())
	require.Equal(t, http.StatusOK, page.StatusCode, page.Body)
	assert.Contains(t, page.Body, "The product was created.")
	assert.Contains(t, page.Body, `href="/admin/products/`+fmt.Sprint(p.ID)+`/pictures"`, "the pictures page is linked")
	assert.Contains(t, html.UnescapeString(page.Body), "On hand 12 = available 12 + held by pending orders 0.")
	assert.Contains(t, page.Body, `value="8.50" inputmode="decimal"`)
	assertLabelled(t, page.Body)
	assert.Contains(t, h.browser(desktopUA).get("/").Body, "Paper fan", "the shop sells it")
	assert.Equal(t, []string{`ann product_create: "Paper fan", price 850 USD (minor units), stock 12, hidden false`}, h.auditsOf(t, "product paper-fan"))
}

func TestAdminProductRefused(t *testing.T) {
	h := newHarness(t, options{})
	staff := h.staff("ann")
	tests := []struct {
		name        string
		field, with string
		want        string // the field's message
	}{
		{"bad slug", "slug", "Paper Fan", "A slug is 1 to 64 lowercase letters, digits and single dashes between them, such as silk-scarf."},
		{"duplicate slug", "slug", "silk-scarf", "This slug is already taken: choose another."},
		{"no name", "name", "  ", "Type the name in English."},
		{"price with three decimals", "price", "8.505", "Type the price as a number above zero"},
		{"price in words", "price", "eight", "Type the price as a number above zero"},
		{"negative price", "price", "-8.50", "Type the price as a number above zero"},
		{"price with an exponent", "price", "1e3", "Type the price as a number above zero"},
		{"free", "price", "0", "Type the price as a number above zero"},
		{"price with a comma", "price", "8,50", "Type the price as a number above zero"},
		{"unknown category", "category", "99", "There is no such category"},
		{"sort order in words", "sort_order", "first", "Type the sort order as a whole number"},
		{"stock in words", "stock", "many", "Type the units as a whole number from 0 to 1,000,000."},
		{"negative stock", "stock", "-2", "Type the units as a whole number from 0 to 1,000,000."},
		{"tab in a name", "name", "Paper\tfan", "Remove the control characters"},
	}
	for _, c := range `"'&=?%#^|` {
		tests = append(tests, struct {
			name        string
			field, with string
			want        string
		}{"name with " + string(c), "name", "Paper " + string(c) + " fan", "Alipay refuses these characters in names"})
	}
	tests = append(tests, struct {
		name        string
		field, with string
		want        string
	}{"Chinese name with &", "name_zh", "纸&扇", "Alipay refuses these characters in names"})
	before := h.orderCount()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := newProductForm()
			form.Set(tt.field, tt.with)
			res := staff.within(t).postForm("/admin/products/new", form)
			require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode, res.Body)
			body := html.UnescapeString(res.Body)
			assert.Contains(t, body, "Some details are missing or not valid.")
			assert.Regexp(t, `<p class="field-error" id="`+tt.field+`-err">`+regexp.QuoteMeta(tt.want), body)
			assert.Contains(t, body, `id="`+tt.field+`"`)
			assert.Contains(t, body, `aria-invalid="true"`)
			if tt.field != "category" {
				assert.Contains(t, body, `value="`+tt.with+`"`, "what was typed is kept")
			}
		})
	}
	_, err := h.db.ProductBySlug(t.Context(), "paper-fan")
	assert.ErrorIs(t, err, models.ErrNotFound, "nothing created")
	assert.Equal(t, before, h.orderCount())
	assert.Empty(t, h.audits(t))

	t.Run("every field at once", func(t *testing.T) {
		form := newProductForm()
		form.Set("slug", "BAD")
		form.Set("price", "x")
		form.Set("name", "a=b")
		res := staff.within(t).postForm("/admin/products/new", form)
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		for _, f := range []string{"slug", "price", "name"} {
			assert.Contains(t, res.Body, `id="`+f+`-err"`)
		}
	})
	t.Run("without the CSRF token", func(t *testing.T) {
		res := staff.in(t).post("/admin/products/new", newProductForm())
		assert.Equal(t, http.StatusForbidden, res.StatusCode)
	})
}

func TestAdminEditPriceKeepsOrders(t *testing.T) {
	h := newHarness(t, options{})
	staff := h.staff("ann")
	scarf := h.product("silk-scarf")
	o := h.createOrder(models.Item{ProductID: scarf.ID, Quantity: 2})

	page := staff.get(adminProductURL(scarf.ID))
	require.Equal(t, http.StatusOK, page.StatusCode, page.Body)
	assert.Contains(t, page.Body, `<input id="price" name="price" value="39.00" inputmode="decimal"`)
	assert.Contains(t, html.UnescapeString(page.Body), "On hand 12 = available 10 + held by pending orders 2.")

	form := productFormOfStored(scarf)
	form.Set("price", "45")
	res := staff.postForm(adminProductURL(scarf.ID), form)
	require.Equal(t, http.StatusSeeOther, res.StatusCode, res.Body)
	assert.Equal(t, int64(4500), h.product("silk-scarf").PriceMinor)
	assert.Contains(t, staff.get(res.location()).Body, "The product was saved.")

	shop := h.browser(mobileUA).get("/products/silk-scarf")
	require.Equal(t, http.StatusOK, shop.StatusCode)
	assert.Contains(t, shop.Body, "US$45.00", "the shop shows the new price")
	kept := h.order(o.OrderNo)
	assert.Equal(t, int64(3900), kept.Lines[0].UnitMinor, "the order keeps its price")
	assert.Equal(t, int64(7800), kept.TotalMinor)
	assert.Equal(t, []string{"ann product_update: price 3900 USD → 4500 USD (minor units)"}, h.auditsOf(t, "product silk-scarf"))

	res = staff.postForm("/admin/products/9999", form)
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
	res = staff.get("/admin/products/nope")
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
}

func TestAdminHideShowDelete(t *testing.T) {
	h := newHarness(t, options{})
	staff := h.staff("ann")
	shopper := h.browser(mobileUA)
	mug, pin := h.product("ceramic-mug"), h.product("enamel-pin")
	h.createOrder(models.Item{ProductID: mug.ID, Quantity: 1})

	res := staff.postForm(adminProductURL(mug.ID)+"/hide", nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode, res.Body)
	page := staff.get(res.location())
	assert.Contains(t, page.Body, "The product is hidden: the shop no longer shows or sells it.")
	assert.Contains(t, page.Body, `action="/admin/products/`+fmt.Sprint(mug.ID)+`/show"`)
	assert.NotContains(t, shopper.get("/").Body, `href="/products/ceramic-mug"`, "gone from the shop's list")
	assert.NotContains(t, shopper.get("/api/products").Body, `"ceramic-mug"`, "and from the API's")
	_, _, err := h.db.CreateOrder(t.Context(), models.NewOrder{OwnerID: "o", Channel: "web", Currency: "USD",
		Items: []models.Item{{ProductID: mug.ID, Quantity: 1}}, ExpiresAt: time.Now().Add(time.Hour)})
	assert.ErrorIs(t, err, models.ErrUnknownProduct, "it cannot be ordered")

	res = staff.postForm(adminProductURL(mug.ID)+"/show", nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	assert.Contains(t, shopper.get("/").Body, `href="/products/ceramic-mug"`)

	res = staff.postForm(adminProductURL(mug.ID)+"/delete", nil)
	require.Equal(t, http.StatusConflict, res.StatusCode, res.Body)
	assert.Contains(t, res.Body, "Orders refer to this product, so it cannot be deleted: hide it instead.")
	assert.Contains(t, res.Body, `data-testid="product-error"`)
	assert.Equal(t, mug.ID, h.product("ceramic-mug").ID, "still there")

	res = staff.postForm(adminProductURL(pin.ID)+"/delete", nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode, res.Body)
	assert.Equal(t, "/admin/products", res.location())
	assert.Contains(t, staff.get("/admin/products").Body, "The product was deleted.")
	_, err = h.db.ProductBySlug(t.Context(), "enamel-pin")
	assert.ErrorIs(t, err, models.ErrNotFound)
	res = staff.postForm(adminProductURL(pin.ID)+"/delete", nil)
	assert.Equal(t, http.StatusNotFound, res.StatusCode)

	assert.Equal(t, []string{"ann product_hide: ", "ann product_show: "}, h.auditsOf(t, "product ceramic-mug"))
	assert.Equal(t, []string{`ann product_delete: "Panda enamel pin", price 650 USD (minor units), stock 3, hidden false`}, h.auditsOf(t, "product enamel-pin"))
}

func TestAdminAdjustStock(t *testing.T) {
	h := newHarness(t, options{})
	staff := h.staff("ann")
	pin := h.product("enamel-pin") // 3 units
	h.createOrder(models.Item{ProductID: pin.ID, Quantity: 2})
	stockURL := adminProductURL(pin.ID) + "/stock"

	res := staff.postForm(stockURL, url.Values{"delta": {"+10"}, "reason": {"delivery"}})
	require.Equal(t, http.StatusSeeOther, res.StatusCode, res.Body)
	assert.Equal(t, adminProductURL(pin.ID)+"#stock", res.location())
	assert.Equal(t, 11, h.stock(pin.ID))
	page := staff.get(adminProductURL(pin.ID))
	assert.Contains(t, page.Body, "The stock was adjusted.")
	assert.Contains(t, html.UnescapeString(page.Body), "On hand 13 = available 11 + held by pending orders 2.")

	res = staff.postForm(stockURL, url.Values{"delta": {"-12"}, "reason": {"stocktake"}})
	require.Equal(t, http.StatusConflict, res.StatusCode, res.Body)
	assert.Contains(t, res.Body, "Not that many units are available: units held by pending orders cannot be taken away.")
	assert.Contains(t, res.Body, `value="-12"`, "what was typed is kept")
	assert.Equal(t, 11, h.stock(pin.ID), "unchanged")

	for _, tt := range []struct {
		delta, reason, field, want string
	}{
		{"ten", "delivery", "delta", "Type a whole number of units other than zero"},
		{"0", "delivery", "delta", "Type a whole number of units other than zero"},
		{"1.5", "delivery", "delta", "Type a whole number of units other than zero"},
		{"5", " ", "reason", "Say why the stock changes"},
	} {
		res := staff.postForm(stockURL, url.Values{"delta": {tt.delta}, "reason": {tt.reason}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode, res.Body)
		assert.Contains(t, res.Body, `id="`+tt.field+`-err">`+tt.want, tt.delta)
	}

	res = staff.postForm(stockURL, url.Values{"delta": {"-11"}, "reason": {"sold at the market"}})
	require.Equal(t, http.StatusSeeOther, res.StatusCode, res.Body)
	assert.Equal(t, 0, h.stock(pin.ID))
	assert.Equal(t, []string{
		"ann stock_adjust: stock +10 (delivery): available 1 → 11, on hand 3 → 13, held by pending orders 2",
		"ann stock_adjust: stock -11 (sold at the market): available 11 → 0, on hand 13 → 2, held by pending orders 2",
	}, h.auditsOf(t, "product enamel-pin"))
}

// TestAdminAdjustStockWithCheckouts sends adjustments through the admin
// while shoppers check out the same product: the stock never goes below
// zero and adds up in the end.
func TestAdminAdjustStockWithCheckouts(t *testing.T) {
	h := newHarness(t, options{})
	staff := h.staff("ann")
	pin := h.product("enamel-pin")
	h.setStock(pin.ID, 8)
	stockURL := adminProductURL(pin.ID) + "/stock"

	var taken, added, sold atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 24 {
		wg.Go(func() {
			<-start
			switch i % 3 {
			case 0:
				res := staff.within(t).postForm(stockURL, url.Values{"delta": {"-2"}, "reason": {"breakage"}})
				if res.StatusCode == http.StatusSeeOther {
					taken.Add(2)
				} else {
					assert.Equal(t, http.StatusConflict, res.StatusCode)
				}
			case 1:
				res := staff.within(t).postForm(stockURL, url.Values{"delta": {"1"}, "reason": {"found"}})
				if assert.Equal(t, http.StatusSeeOther, res.StatusCode) {
					added.Add(1)
				}
			default:
				_, _, err := h.db.CreateOrder(t.Context(), models.NewOrder{OwnerID: "buyer", Channel: "web", Currency: "USD",
					Items: []models.Item{{ProductID: pin.ID, Quantity: 1}}, ExpiresAt: time.Now().Add(time.Hour)})
				if err == nil {
					sold.Add(1)
				} else {
					assert.ErrorIs(t, err, models.ErrOutOfStock)
				}
			}
		})
	}
	close(start)
	wg.Wait()
	final := h.stock(pin.ID)
	assert.GreaterOrEqual(t, final, 0)
	assert.Equal(t, int(8-taken.Load()+added.Load()-sold.Load()), final, "the stock adds up")
}

func TestAdminCategories(t *testing.T) {
	h := newHarness(t, options{})
	staff := h.staff("ann")
	res := staff.get("/admin/categories")
	require.Equal(t, http.StatusOK, res.StatusCode, res.Body)
	assert.Contains(t, res.Body, "There are no categories yet.")
	assertLabelled(t, res.Body)

	res = staff.postForm("/admin/categories", url.Values{"slug": {"tea"}, "name": {"Tea things"}, "name_zh": {"茶具"}, "sort_order": {"1"}})
	require.Equal(t, http.StatusSeeOther, res.StatusCode, res.Body)
	list := staff.get("/admin/categories").Body
	assert.Contains(t, list, "The category was created.")
	assert.Contains(t, list, `<tr data-category="tea">`)
	cats, err := h.db.Categories(t.Context())
	require.NoError(t, err)
	require.Len(t, cats, 1)
	cat := cats[0]

	res = staff.postForm("/admin/categories", url.Values{"slug": {"tea"}, "name": {"Again"}})
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	assert.Contains(t, res.Body, `id="slug-err">This slug is already taken: choose another.`)
	res = staff.postForm("/admin/categories", url.Values{"slug": {"x"}, "name": {""}, "sort_order": {"1.5"}})
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	assert.Contains(t, res.Body, `id="name-err"`)
	assert.Contains(t, res.Body, `id="sort_order-err"`)

	// The product form offers it; a product is put in it.
	tea := h.product("tea-set")
	assert.Contains(t, staff.get(adminProductURL(tea.ID)).Body, `<option value="`+fmt.Sprint(cat.ID)+`">Tea things</option>`)
	form := productFormOfStored(tea)
	form.Set("category", fmt.Sprint(cat.ID))
	require.Equal(t, http.StatusSeeOther, staff.postForm(adminProductURL(tea.ID), form).StatusCode)
	assert.Contains(t, staff.get(adminProductURL(tea.ID)).Body, `<option value="`+fmt.Sprint(cat.ID)+`" selected>Tea things</option>`)

	edit := adminCategoryURL(cat.ID)
	page := staff.get(edit)
	require.Equal(t, http.StatusOK, page.StatusCode)
	assert.Contains(t, page.Body, `value="Tea things"`)
	res = staff.postForm(edit, url.Values{"slug": {"tea"}, "name": {"Tea"}, "name_zh": {"茶"}, "sort_order": {"1"}})
	require.Equal(t, http.StatusSeeOther, res.StatusCode, res.Body)
	res = staff.postForm(edit+"/delete", nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode, res.Body)
	assert.Contains(t, staff.get("/admin/categories").Body, "The category was deleted; its products have none now.")
	assert.Nil(t, h.product("tea-set").CategoryID, "the product stays, without a category")
	assert.Equal(t, http.StatusNotFound, staff.get(edit).StatusCode)
	assert.Equal(t, http.StatusNotFound, staff.postForm(edit+"/delete", nil).StatusCode)

	assert.Equal(t, []string{
		`ann category_create: "Tea things" / "茶具", sort order 1`,
		`ann category_update: name "Tea things" → "Tea"; name_zh "茶具" → "茶"`,
		`ann category_delete: "Tea"; 1 products left without a category`,
	}, h.auditsOf(t, "category tea"))
}

// TestCatalogReasonsWorded checks that every reason a field can be
// refused for has its sentence in both languages.
func TestCatalogReasonsWorded(t *testing.T) {
	for k, key := range reasonKeys {
		assert.NotEqual(t, key, english.T(key), "%s: %s", k, key)
		assert.NotEqual(t, key, chinese.T(key), "%s: %s", k, key)
	}
	for _, reason := range []string{models.ReasonRequired, models.ReasonFormat, models.ReasonTooLong, models.ReasonAlipay,
		models.ReasonControl, models.ReasonRange, models.ReasonTaken, models.ReasonDuplicate, models.ReasonUnknown,
		models.ReasonCurrency, models.ReasonBelowHeld} {
		for _, field := range append(models.CatalogColumns, "delta", "reason") {
			key := reasonKey(field, reason)
			assert.NotEqual(t, key, english.T(key), "%s %s", field, reason)
		}
	}
}
