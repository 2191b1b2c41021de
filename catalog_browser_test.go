package main

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
)

// TestCatalogInBrowser drives the catalog's admin in headless Chromium:
// the merchant signs in on a 390 px phone, opens a product, types a
// price the shop refuses and then a good one, and the shop's product
// page shows the new price. No page of the catalog's admin scrolls
// sideways, on the phone or on a desktop.
func TestCatalogInBrowser(t *testing.T) {
	chromium := chromiumPath(t)
	const adminPassword = "merchant passphrase 2"
	shop := startShop(t, map[string]string{"ADMIN_PASSWORD": adminPassword})
	browser := startBrowser(t, chromium)

	signIn := func(tab context.Context) {
		t.Helper()
		do(t, tab, "open the products", chromedp.Navigate(shop.URL+"/admin/products"), chromedp.WaitVisible(chromedp.ID("password")))
		assert.Equal(t, "/admin/login", path(t, tab), "sent to sign in first")
		do(t, tab, "sign in",
			chromedp.SendKeys(chromedp.ID("name"), "admin"),
			chromedp.SendKeys(chromedp.ID("password"), adminPassword),
			chromedp.Click(chromedp.CSS(`form.form button.primary`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=products]`)))
		assert.Equal(t, "/admin/products", path(t, tab), "back where the merchant was going")
	}

	admin := newTab(t, browser, 390)
	signIn(admin)
	checkMoneyLayout(t, admin, 390, "admin products")
	screenshot(t, admin, "admin-products.png", "/tmp/shop-admin-products.png")
	do(t, admin, "open the scarf", chromedp.Click(chromedp.CSS(`tr[data-product="silk-scarf"] a`)), chromedp.WaitVisible(chromedp.ID("price")))
	assert.Equal(t, "decimal", attr(t, admin, "#price", "inputmode"))
	assert.Equal(t, "39.00", get(t, admin, chromedp.Value(chromedp.ID("price"))))
	checkMoneyLayout(t, admin, 390, "admin product page")

	do(t, admin, "type a price with a comma",
		chromedp.Clear(chromedp.ID("price")), chromedp.SendKeys(chromedp.ID("price"), "45,50"),
		chromedp.Click(chromedp.CSS(`#product button.primary`)), chromedp.WaitVisible(chromedp.ID("price-err")))
	assert.Contains(t, text(t, admin, "#price-err"), "Type the price as a number above zero")
	assert.Equal(t, "true", attr(t, admin, "#price", "aria-invalid"))
	assert.Equal(t, "45,50", get(t, admin, chromedp.Value(chromedp.ID("price"))), "what was typed is kept")
	checkMoneyLayout(t, admin, 390, "admin product page with an error")

	do(t, admin, "type the new price",
		chromedp.Clear(chromedp.ID("price")), chromedp.SendKeys(chromedp.ID("price"), "45.50"),
		chromedp.Click(chromedp.CSS(`#product button.primary`)), chromedp.WaitVisible(chromedp.CSS(`.flash`)))
	assert.Equal(t, "The product was saved.", text(t, admin, ".flash"))
	assert.Equal(t, "45.50", get(t, admin, chromedp.Value(chromedp.ID("price"))))
	screenshot(t, admin, "admin-product.png", "/tmp/shop-admin-product.png")

	shopper := newTab(t, browser, 390)
	do(t, shopper, "open the scarf in the shop", chromedp.Navigate(shop.URL+"/products/silk-scarf"), chromedp.WaitVisible(chromedp.CSS(`.product .price`)))
	assert.Equal(t, "US$45.50", text(t, shopper, `.product .price`))

	do(t, admin, "open the categories", chromedp.Navigate(shop.URL+"/admin/categories"), chromedp.WaitVisible(chromedp.ID("slug")))
	checkMoneyLayout(t, admin, 390, "admin categories")

	wide := newTab(t, browser, 1280)
	signIn(wide)
	checkMoneyLayout(t, wide, 1280, "admin products on a desktop")
	do(t, wide, "open the scarf", chromedp.Click(chromedp.CSS(`tr[data-product="silk-scarf"] a`)), chromedp.WaitVisible(chromedp.ID("price")))
	checkMoneyLayout(t, wide, 1280, "admin product page on a desktop")
}
