package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/models"
)

const noMatch = "We found no order with that number and that phone number or e-mail address."

// lookup submits the order lookup form.
func (b *browser) lookup(orderNo, contact string) *response {
	b.t.Helper()
	return b.post("/orders/lookup", url.Values{"order_no": {orderNo}, "contact": {contact}})
}

// TestLookup: the order number with the phone or e-mail given at checkout
// ("+852 9123 4567", "ann@example.com") opens the order in another
// browser; anything else finds nothing.
func TestLookup(t *testing.T) {
	h := newHarness(t, options{})
	orderNo := h.browser(mobileUA).buy(h.product("silk-scarf").ID, 2)

	tests := []struct {
		name, orderNo, contact string
		match                  bool
	}{
		{"phone as given", orderNo, "+852 9123 4567", true},
		{"phone with dashes", orderNo, "852-9123-4567", true},
		{"phone with other spacing", orderNo, " +852 91234567 ", true},
		{"phone in brackets", orderNo, "(852) 9123 4567", true},
		{"e-mail", orderNo, "ann@example.com", true},
		{"e-mail in another case", orderNo, "Ann@Example.COM", true},
		{"order number in lower case", strings.ToLower(orderNo), "ann@example.com", true},
		{"another phone", orderNo, "+852 9123 4568", false},
		{"phone without its country code", orderNo, "9123 4567", false},
		{"part of the phone", orderNo, "4567", false},
		{"another e-mail", orderNo, "ann@example.org", false},
		{"the e-mail's name only", orderNo, "ann", false},
		{"an unknown order", "20250101ZZZZZZZZZZZZZZZZ", "ann@example.com", false},
		{"the order number as contact", orderNo, orderNo, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := h.browser(mobileUA)

			res := b.lookup(tt.orderNo, tt.contact)

			if !tt.match {
				assert.Equal(t, http.StatusNotFound, res.StatusCode)
				assert.Contains(t, res.Body, noMatch)
				assert.NotContains(t, res.Body, "Ann Lee")
				assert.Equal(t, http.StatusNotFound, b.get("/orders/"+orderNo).StatusCode, "still nothing to see")
				return
			}
			require.Equal(t, http.StatusSeeOther, res.StatusCode, res.Body)
			assert.Equal(t, "/orders/"+orderNo, res.location())
			page := b.get(res.location())
			require.Equal(t, http.StatusOK, page.StatusCode)
			for _, s := range []string{"2 × Silk scarf", "Ann Lee", "1 Main Street, Springfield", `action="/orders/` + orderNo + `/pay"`, `action="/orders/` + orderNo + `/cancel"`} {
				assert.Contains(t, page.Body, s)
			}
		})
	}
}

// TestLookupRevealsNothing: a wrong contact for an order that exists and
// any contact for one that does not get the same answer, word for word.
func TestLookupRevealsNothing(t *testing.T) {
	h := newHarness(t, options{})
	orderNo := h.browser(desktopUA).buy(h.product("silk-scarf").ID, 1)
	const unknown = "20250101ZZZZZZZZZZZZZZZZ"
	require.Len(t, unknown, len(orderNo))

	wrong := h.browser(desktopUA).lookup(orderNo, "nobody@example.com")
	missing := h.browser(desktopUA).lookup(unknown, "nobody@example.com")

	assert.Equal(t, http.StatusNotFound, wrong.StatusCode)
	assert.Equal(t, wrong.StatusCode, missing.StatusCode)
	assert.Equal(t, strings.ReplaceAll(wrong.Body, orderNo, "N"), strings.ReplaceAll(missing.Body, unknown, "N"))
	for _, name := range []string{"Content-Type", "Cache-Control", "Retry-After", "Location"} {
		assert.Equal(t, wrong.Header.Get(name), missing.Header.Get(name), name)
	}
	assert.Contains(t, wrong.Body, noMatch)
	assert.Contains(t, wrong.Body, `name="order_no" value="`+orderNo+`"`, "the number typed is kept")
	assert.NotContains(t, wrong.Body, "nobody@example.com", "the contact typed is not shown again")

	empty := h.browser(desktopUA).lookup(orderNo, " ")
	assert.Equal(t, http.StatusUnprocessableEntity, empty.StatusCode)
	assert.Contains(t, empty.Body, "Enter the order number and a mobile phone number or e-mail address.")
}

// TestLookupRateLimit: each client address has a limited number of
// lookups; past it, even the right answer is refused until time passes.
func TestLookupRateLimit(t *testing.T) {
	h := newHarness(t, options{})
	owner := h.browser(desktopUA)
	orderNo := owner.buy(h.product("silk-scarf").ID, 1)
	b := h.browser(desktopUA)

	for i := range 20 {
		require.Equal(t, http.StatusNotFound, b.lookup(orderNo, "guess"+itoa(i)+"@example.com").StatusCode, "attempt %d", i+1)
	}
	res := b.lookup(orderNo, "ann@example.com")
	assert.Equal(t, http.StatusTooManyRequests, res.StatusCode)
	assert.Equal(t, "5", res.Header.Get("Retry-After"))
	assert.Contains(t, res.Body, "Too many requests.")
	assert.Equal(t, http.StatusNotFound, b.get("/orders/"+orderNo).StatusCode)
	pay := owner.post("/orders/"+orderNo+"/pay", url.Values{})
	assert.Equal(t, http.StatusSeeOther, pay.StatusCode, "lookups have a share of their own: paying is not held up")

	h.clock.Advance(3 * h.srv.limiter.every)
	assert.Equal(t, http.StatusSeeOther, b.lookup(orderNo, "ann@example.com").StatusCode)
}

// TestProvenBrowser: a browser that found the order sees it whole and may
// pay, get the receipt and cancel as its owner does, for a day.
func TestProvenBrowser(t *testing.T) {
	h := newHarness(t, options{})
	owner := h.browser(mobileUA)
	scarf := h.product("silk-scarf")
	paid, open := owner.buy(scarf.ID, 1), h.browser(mobileUA).buy(scarf.ID, 2)
	b := h.browser(desktopUA)
	require.Equal(t, http.StatusSeeOther, b.lookup(paid, "+852 9123 4567").StatusCode)
	require.Equal(t, http.StatusSeeOther, b.lookup(open, "ANN@example.com").StatusCode)

	pay := b.post("/orders/"+paid+"/pay", url.Values{})
	require.Equal(t, http.StatusSeeOther, pay.StatusCode)
	assert.Equal(t, paid, gatewayParams(t, h, pay.location()).Get("out_trade_no"))
	h.markPaid(paid)
	receipt := b.get("/orders/" + paid + "/receipt")
	assert.Equal(t, http.StatusOK, receipt.StatusCode)
	assert.Contains(t, receipt.Body, "1 Main Street, Springfield")
	assert.Equal(t, banner{}, bannerOf(b.get("/").Body, open), "the banner is the owner's")

	cancel := b.post("/orders/"+open+"/cancel", url.Values{})
	require.Equal(t, http.StatusSeeOther, cancel.StatusCode)
	assert.Equal(t, models.StatusClosed, h.order(open).Status)
	assert.Contains(t, b.get(cancel.location()).Body, "The order was cancelled and nothing was charged.")

	h.clock.Advance(provenFor)
	assert.Equal(t, http.StatusNotFound, b.get("/orders/"+paid).StatusCode, "the proof lasts a day")
	assert.Equal(t, http.StatusOK, owner.get("/orders/"+paid).StatusCode, "the owner's does not end")
}

// TestLookupForm: the form, in both languages, and the proof's limits.
func TestLookupForm(t *testing.T) {
	h := newHarness(t, options{})
	en := h.browser(mobileUA).get("/orders/lookup")
	require.Equal(t, http.StatusOK, en.StatusCode)
	assert.Contains(t, en.Body, `<form method="post" action="/orders/lookup"`)
	assert.Contains(t, en.Body, `name="order_no"`)
	assert.Contains(t, en.Body, `name="contact"`)
	zh := h.browser(mobileUA).speaking("zh-CN").get("/orders/lookup")
	assert.Contains(t, zh.Body, "查找订单")

	assert.False(t, contactMatches("", "", ""), "no phone and no e-mail match nothing")
	assert.False(t, contactMatches("ann@example.com", "", ""))
	assert.True(t, contactMatches("ANN@example.com", "", "ann@EXAMPLE.com"))
	assert.False(t, contactMatches("12345", "+1 2345", ""), "too few digits to prove anything")
}
