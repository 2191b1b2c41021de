package handlers

import (
	"net/http"
	"net/url"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAcceptLanguage(t *testing.T) {
	tests := []struct {
		accept   string
		wantLang string
		want     []string
		wantNot  string
	}{
		{"zh-CN,zh;q=0.9,en;q=0.8", "zh-Hans", []string{"灯与叶小店", "真丝围巾", "精选小物"}, "Silk scarf"},
		{"zh-TW", "zh-Hans", []string{"灯与叶小店"}, "Silk scarf"},
		{"zh", "zh-Hans", []string{"灯与叶小店"}, "Silk scarf"},
		{"en-US,en;q=0.9", "en", []string{"Lantern &amp; Leaf", "Silk scarf", "Small goods, shipped worldwide."}, "真丝围巾"},
		{"fr-FR", "en", []string{"Lantern &amp; Leaf"}, "真丝围巾"},
		{"", "en", []string{"Lantern &amp; Leaf"}, "真丝围巾"},
		{"not a ;; header", "en", []string{"Lantern &amp; Leaf"}, "真丝围巾"},
	}
	for _, tt := range tests {
		t.Run(tt.accept, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, options{})
			b := h.browser(desktopUA)
			b.header.Set("Accept-Language", tt.accept)

			res := b.get("/")

			require.Equal(t, http.StatusOK, res.StatusCode)
			assert.Contains(t, res.Body, `<html lang="`+tt.wantLang+`">`)
			for _, s := range tt.want {
				assert.Contains(t, res.Body, s)
			}
			assert.NotContains(t, res.Body, tt.wantNot)
		})
	}
}

func TestLanguageSwitch(t *testing.T) {
	h := newHarness(t, options{})
	b := h.browser(desktopUA)
	b.header.Set("Accept-Language", "en")

	res := b.get("/lang/zh?next=" + url.QueryEscape("/cart"))
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	assert.Equal(t, "/cart", res.location())

	for _, path := range []string{"/cart", "/", "/products/silk-scarf"} {
		page := b.get(path)
		assert.Contains(t, page.Body, `<html lang="zh-Hans">`, path)
		assert.Contains(t, page.Body, `href="/lang/en?next=`, path)
	}
	page := b.get("/products/silk-scarf")
	assert.Contains(t, page.Body, "<h1>真丝围巾</h1>")

	res = b.get("/lang/en?next=" + url.QueryEscape("/products/silk-scarf"))
	assert.Equal(t, "/products/silk-scarf", res.location())
	assert.Contains(t, b.get("/").Body, `<html lang="en">`)

	res = b.get("/lang/xx?next=/")
	assert.Equal(t, http.StatusSeeOther, res.StatusCode)
	assert.Contains(t, b.get("/").Body, `<html lang="en">`, "an unknown language changes nothing")
}

// TestLanguageSwitchNext: next may only lead back into the shop.
func TestLanguageSwitchNext(t *testing.T) {
	tests := []struct {
		next   string
		wantTo string
	}{
		{"/cart", "/cart"},
		{"/products/silk-scarf?x=1", "/products/silk-scarf?x=1"},
		{"", "/"},
		{"//evil.example", "/"},
		{"//evil.example/cart", "/"},
		{"/\\evil.example", "/"},
		{"\\\\evil.example", "/"},
		{"https://evil.example", "/"},
		{"javascript:alert(1)", "/"},
		{"evil.example", "/"},
		// Browsers drop tabs and newlines from URLs, so these are "//evil.example".
		{"/\t/evil.example", "/"},
		{"/\n/evil.example", "/"},
		{"/\r/evil.example", "/"},
		{" //evil.example", "/"},
	}
	for _, tt := range tests {
		t.Run(tt.next, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, options{})

			res := h.browser(desktopUA).get("/lang/zh?next=" + url.QueryEscape(tt.next))

			assert.Equal(t, http.StatusSeeOther, res.StatusCode)
			assert.Equal(t, tt.wantTo, res.location())
		})
	}
}

// TestMessagePlaceholders: each language puts the values where its grammar
// wants them, and English chooses one or other by the count.
func TestMessagePlaceholders(t *testing.T) {
	const deadline = "2026-03-01 18:30 CST"
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"en plain", english.T("shop.name"), "Lantern & Leaf"},
		{"zh plain", chinese.T("shop.name"), "灯与叶小店"},
		{"en one", english.Tn("product.instock", 1), "In stock: 1 item left"},
		{"en other", english.Tn("product.instock", 3), "In stock: 3 items left"},
		{"zh count before the measure word", chinese.Tn("product.instock", 3), "有货，剩余3件"},
		{"zh has one form", chinese.Tn("product.instock", 1), "有货，剩余1件"},
		{"en short one", english.Tn("cart.short", 1), "Not enough stock: only 1 item left."},
		{"en short other", english.Tn("cart.short", 2), "Not enough stock: only 2 items left."},
		{"zh short", chinese.Tn("cart.short", 2), "库存不足：仅剩2件。"},
		{"en time at the end", english.Tf("order.payby", "Time", deadline),
			"This order has not been paid yet. Please pay before " + deadline + "."},
		{"zh time inside", chinese.Tf("order.payby", "Time", deadline), "此订单尚未付款，请在" + deadline + "前付款。"},
		{"en order number", english.Tf("order.number", "OrderNo", "20260301ABC"), "Order 20260301ABC"},
		{"zh order number", chinese.Tf("order.number", "OrderNo", "20260301ABC"), "订单 20260301ABC"},
		// Wrong calls show the key: visible on the page, never an error.
		{"placeholder without a value", english.T("order.payby"), "order.payby"},
		{"value under another name", chinese.Tf("order.payby", "When", deadline), "order.payby"},
		{"odd pairs", english.Tf("order.payby", "Time"), "order.payby"},
		{"name not a string", english.Tf("order.payby", 1, deadline), "order.payby"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.got)
		})
	}
}

// TestMessageFallback: a message missing in Chinese is shown in English, one
// missing everywhere shows its key.
func TestMessageFallback(t *testing.T) {
	b, err := loadBundle(fstest.MapFS{
		"en.json": {Data: []byte(`{"greet": "Hello", "only.en": "English only",
			"things": {"one": "{{.Count}} thing", "other": "{{.Count}} things"}}`)},
		"zh.json": {Data: []byte(`{"greet": "你好"}`)},
	})
	require.NoError(t, err)
	en, zh := newLang(b, "en", "en"), newLang(b, "zh-Hans", "zh")
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"translated", zh.T("greet"), "你好"},
		{"missing in zh", zh.T("only.en"), "English only"},
		{"missing in zh, plural", zh.Tn("things", 1), "1 thing"},
		{"missing everywhere", zh.T("no.such"), "no.such"},
		{"missing in en", en.T("no.such"), "no.such"},
		{"missing, with data", zh.Tn("no.such", 2, "X", 1), "no.such"},
		{"the zero Lang speaks English", Lang{}.T("shop.name"), "Lantern & Leaf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.got)
		})
	}
}

func TestMessageCatalogBroken(t *testing.T) {
	tests := []struct {
		name string
		fsys fstest.MapFS
	}{
		{"not JSON", fstest.MapFS{"en.json": {Data: []byte(`{"a": `)}, "zh.json": {Data: []byte(`{}`)}}},
		{"a catalog missing", fstest.MapFS{"en.json": {Data: []byte(`{"a": "A"}`)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadBundle(tt.fsys)
			assert.Error(t, err)
		})
	}
}

// TestMessagePages renders the sentences through the real router and
// templates, in both languages.
func TestMessagePages(t *testing.T) {
	tests := []struct {
		accept    string
		inStock   string
		inStock1  string
		short     string
		soldOut   string
		title     string
		payBefore string
	}{
		{"en", "In stock: 12 items left", "In stock: 1 item left", "Not enough stock: only 1 item left.", "Sold out",
			"<title>Order ", "This order has not been paid yet. Please pay before "},
		{"zh-CN", "有货，剩余12件", "有货，剩余1件", "库存不足：仅剩1件。", "已售罄", "<title>订单 ", "此订单尚未付款，请在"},
	}
	for _, tt := range tests {
		t.Run(tt.accept, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, options{})
			b := h.browser(desktopUA)
			b.header.Set("Accept-Language", tt.accept)
			scarf, pin := h.product("silk-scarf"), h.product("enamel-pin")
			require.Equal(t, 12, scarf.Stock)

			assert.Contains(t, b.get("/products/silk-scarf").Body, tt.inStock)
			no := b.buy(scarf.ID, 1)
			order := b.get("/orders/" + no).Body
			assert.Contains(t, order, tt.title+no+"</title>")
			assert.Contains(t, order, tt.payBefore)

			h.setStock(scarf.ID, 1)
			assert.Contains(t, b.get("/products/silk-scarf").Body, tt.inStock1)

			require.Equal(t, http.StatusSeeOther, b.add(pin.ID, 3).StatusCode)
			h.setStock(pin.ID, 1)
			assert.Contains(t, b.get("/cart").Body, tt.short)
			h.setStock(pin.ID, 0)
			assert.Contains(t, b.get("/cart").Body, `<span class="error">`+tt.soldOut+`</span>`)
		})
	}
}
