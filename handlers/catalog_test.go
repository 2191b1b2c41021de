package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"shop/models"
)

// storePicture stores a picture of a product in the given widths (each 3/4
// as high), as the admin's upload would, and returns it with its files in
// the order given.
func (h *harness) storePicture(productID uint, position int, alt string, widths ...int) models.Picture {
	h.t.Helper()
	pic := models.Picture{ProductID: productID, Position: position, Alt: alt}
	for _, w := range widths {
		data := fmt.Appendf(nil, "picture of product %d at %d, %d px wide", productID, position, w)
		sum := sha256.Sum256(data)
		pic.Files = append(pic.Files, models.PictureFile{Width: w, Height: w * 3 / 4, ContentType: "image/webp",
			Hash: hex.EncodeToString(sum[:]), Data: data})
	}
	require.NoError(h.t, h.db.Gorm().Create(&pic).Error)
	return pic
}

// countQueries counts the queries made on each table from now on.
func (h *harness) countQueries() map[string]*atomic.Int32 {
	h.t.Helper()
	counts := map[string]*atomic.Int32{}
	for _, table := range []string{"products", "pictures", "picture_files"} {
		counts[table] = &atomic.Int32{}
	}
	name := fmt.Sprintf("test:count-%p", counts)
	err := h.db.Gorm().Callback().Query().After("gorm:query").Register(name, func(tx *gorm.DB) {
		if n, ok := counts[tx.Statement.Table]; ok {
			n.Add(1)
		}
	})
	require.NoError(h.t, err)
	return counts
}

// imgTag finds the <img> whose src is src.
func imgTag(t *testing.T, body, src string) string {
	t.Helper()
	tag := regexp.MustCompile(`<img src="` + regexp.QuoteMeta(src) + `"[^>]*>`).FindString(body)
	require.NotEmpty(t, tag, "no <img src=%q> in the page", src)
	return tag
}

// TestPicturesOnThePages: a product with pictures shows its first one on
// the home page and in the cart, and all of them on its page, in the size
// of the slot with the double size for dense screens; the others keep
// their drawings. Each page asks for the pictures of all its products at
// once.
func TestPicturesOnThePages(t *testing.T) {
	h := newHarness(t, options{})
	scarf, mug, beanie := h.product("silk-scarf"), h.product("ceramic-mug"), h.product("wool-beanie")
	front := h.storePicture(scarf.ID, 0, "", 1600, 200, 800, 400)
	folded := h.storePicture(scarf.ID, 1, "The scarf, folded", 400, 800)
	mugPic := h.storePicture(mug.ID, 0, "A mug on a table", 400) // one size only
	h.storePicture(beanie.ID, 0, "", 400, 800)                   // fifth on the home page: below the fold
	fileURL := func(p models.Picture, width int) string {
		for _, f := range p.Files {
			if f.Width == width {
				return "/images/" + f.Hash
			}
		}
		t.Fatalf("no file %d px wide", width)
		return ""
	}
	b := h.browser(mobileUA)

	t.Run("home", func(t *testing.T) {
		queries := h.countQueries()
		home := b.get("/")
		require.Equal(t, http.StatusOK, home.StatusCode)
		assert.Equal(t, fmt.Sprintf(`<img src="%s" srcset="%s 2x" alt="Silk scarf" width="400" height="300">`, fileURL(front, 400), fileURL(front, 800)),
			imgTag(t, home.Body, fileURL(front, 400)), "above the fold: loads at once")
		assert.Equal(t, fmt.Sprintf(`<img src="%s" alt="A mug on a table" width="400" height="300">`, fileURL(mugPic, 400)),
			imgTag(t, home.Body, fileURL(mugPic, 400)), "no larger file, no srcset")
		assert.Contains(t, home.Body, `alt="Merino beanie" width="400" height="300" loading="lazy">`, "below the fold")
		assert.Regexp(t, `<img src="/assets/img/tea-set.svg\?v=[0-9a-f]+" alt="" width="400" height="300">`, home.Body, "no pictures: the drawing")
		assert.Regexp(t, `<img src="/assets/img/postcard-set.svg\?v=[0-9a-f]+" alt="" width="400" height="300" loading="lazy">`, home.Body)
		assert.NotContains(t, home.Body, fileURL(folded, 400), "only the first picture")
		assert.Equal(t, int32(1), queries["pictures"].Load(), "one query for every product's pictures")
		assert.Equal(t, int32(1), queries["picture_files"].Load())
	})

	t.Run("home in Chinese", func(t *testing.T) {
		home := h.browser(mobileUA).speaking("zh-CN").get("/")
		assert.Contains(t, imgTag(t, home.Body, fileURL(front, 400)), `alt="真丝围巾"`, "no alternative text: the name in the page's language")
	})

	t.Run("product page", func(t *testing.T) {
		page := b.get("/products/silk-scarf")
		require.Equal(t, http.StatusOK, page.StatusCode)
		assert.Equal(t, fmt.Sprintf(`<img src="%s" srcset="%s 2x" alt="Silk scarf" width="400" height="300">`, fileURL(front, 400), fileURL(front, 800)),
			imgTag(t, page.Body, fileURL(front, 400)))
		assert.Equal(t, fmt.Sprintf(`<img src="%s" srcset="%s 2x" alt="The scarf, folded" width="400" height="300" loading="lazy">`, fileURL(folded, 400), fileURL(folded, 800)),
			imgTag(t, page.Body, fileURL(folded, 400)))
		assert.NotContains(t, page.Body, "/assets/img/silk-scarf.svg", "the pictures replace the drawing")
		assert.Less(t, strings.Index(page.Body, fileURL(front, 400)), strings.Index(page.Body, fileURL(folded, 400)), "in the merchant's order")

		tea := b.get("/products/tea-set")
		assert.Regexp(t, `<img src="/assets/img/tea-set.svg\?v=[0-9a-f]+" alt="Celadon tea set" width="400" height="300">`, tea.Body)
	})

	t.Run("cart", func(t *testing.T) {
		for _, p := range []*models.Product{scarf, h.product("tea-set")} {
			require.Equal(t, http.StatusSeeOther, b.add(p.ID, 1).StatusCode)
		}
		queries := h.countQueries()
		cart := b.get("/cart")
		require.Equal(t, http.StatusOK, cart.StatusCode)
		assert.Equal(t, fmt.Sprintf(`<img src="%s" srcset="%s 2x" alt="Silk scarf" width="400" height="300">`, fileURL(front, 400), fileURL(front, 800)),
			imgTag(t, cart.Body, fileURL(front, 400)))
		assert.Regexp(t, `<img src="/assets/img/tea-set.svg\?v=[0-9a-f]+" alt="" width="80" height="60">`, cart.Body)
		assert.Equal(t, int32(1), queries["pictures"].Load())
	})

	t.Run("API", func(t *testing.T) {
		_, out := h.apiCall(http.MethodGet, "/api/products", "", nil)
		bySlug := map[string]map[string]any{}
		for _, p := range out["products"].([]any) {
			bySlug[p.(map[string]any)["slug"].(string)] = p.(map[string]any)
		}
		assert.Equal(t, fileURL(front, 400), bySlug["silk-scarf"]["image"])
		assert.Equal(t, []any{fileURL(front, 1600), fileURL(folded, 800)}, bySlug["silk-scarf"]["images"], "the largest file of each picture, in order")
		assert.Equal(t, "/assets/img/tea-set.svg", bySlug["tea-set"]["image"])
		assert.Equal(t, []any{"/assets/img/tea-set.svg"}, bySlug["tea-set"]["images"])
	})
}

// TestHiddenProducts: a hidden product is not on the home page or in the
// API, its page is not found, it cannot be added to a cart, and a cart
// holding it drops it as it would a deleted product.
func TestHiddenProducts(t *testing.T) {
	h := newHarness(t, options{})
	tea, scarf := h.product("tea-set"), h.product("silk-scarf")
	b := h.browser(desktopUA)
	require.Equal(t, http.StatusSeeOther, b.add(tea.ID, 2).StatusCode)
	require.Equal(t, http.StatusSeeOther, b.add(scarf.ID, 1).StatusCode)
	form := validContact(b.checkoutKey())

	h.setProduct("tea-set", map[string]any{"hidden": true})

	t.Run("home", func(t *testing.T) {
		home := b.get("/")
		assert.NotContains(t, home.Body, "/products/tea-set")
		assert.NotContains(t, home.Body, "Celadon tea set")
		assert.Contains(t, home.Body, "/products/silk-scarf")
	})
	t.Run("its page", func(t *testing.T) {
		res := b.get("/products/tea-set")
		assert.Equal(t, http.StatusNotFound, res.StatusCode)
		assert.NotContains(t, res.Body, "Celadon tea set")
	})
	t.Run("API", func(t *testing.T) {
		res, _ := h.apiCall(http.MethodGet, "/api/products", "", nil)
		assert.NotContains(t, res.Body, "tea-set")
	})
	t.Run("adding it", func(t *testing.T) {
		res := h.browser(desktopUA).add(tea.ID, 1)
		assert.Equal(t, http.StatusNotFound, res.StatusCode)
		res = b.post(fmt.Sprintf("/cart/items/%d", tea.ID), url.Values{"quantity": {"3"}})
		assert.Equal(t, http.StatusNotFound, res.StatusCode)
	})
	t.Run("checking out a cart that holds it", func(t *testing.T) {
		res := b.post("/checkout", form)
		assert.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		assert.Contains(t, res.Body, "no longer sold")
		assert.Zero(t, h.orderCount())
	})
	t.Run("cart", func(t *testing.T) {
		cart := b.get("/cart")
		assert.NotContains(t, cart.Body, "Celadon tea set")
		assert.Contains(t, cart.Body, `data-testid="cart-total">US$39.00<`)
		assert.Contains(t, cart.Body, `data-testid="cart-count">1<`, "the count agrees with the lines")
		assert.Equal(t, "1", b.cartCount(), "the line has left the cart")
		res := b.post("/checkout", validContact(b.checkoutKey()))
		require.Equal(t, http.StatusSeeOther, res.StatusCode, res.Body)
		o := h.order(gatewayParams(t, h, res.location()).Get("out_trade_no"))
		require.Len(t, o.Lines, 1)
		assert.Equal(t, scarf.ID, o.Lines[0].ProductID)
	})
}
