package handlers

import (
	"net/http"
	"net/url"
	"testing"

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
