package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBrowserShopper drives headless Chromium through a shopper's whole
// visit on a 390 px phone, in English and in Chinese: the cart's − and +
// buttons and its stock message, the checkout's error summary, the
// cashier, Back to the shop, where the unpaid-order banner pays the order;
// a second browser finds the order by its number and phone; the receipt;
// the confirmation e-mail in the sandbox's mailbox; the ¥ estimates on the
// Chinese pages. axe-core checks every page on the way (no critical or
// serious violation of WCAG 2.1 A/AA or axe's best practices).
func TestBrowserShopper(t *testing.T) {
	chromium := chromiumPath(t)
	axe := axeSource(t)
	shop := startShop(t, nil)
	// The rates worker fetches the sandbox's rates at start; have them
	// now, rather than wait for it.
	require.NoError(t, shop.app.rates.Fetch(context.Background()))
	browser := startBrowserFor(t, chromium, 4*time.Minute)

	for _, tt := range []struct {
		lang           string
		acceptLanguage string
		email          string
		scarves        int // in stock when the visit starts
	}{
		{"en", "en-US,en", "li.lei@example.com", 12},
		{"zh", "zh-CN,zh;q=0.9,en;q=0.5", "han.meimei@example.com", 10},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			s := &shopperVisit{t: t, shop: shop, axe: axe, zh: tt.lang == "zh",
				tab: newTabIn(t, browser, shopperWidth, tt.acceptLanguage)}
			s.untilUnpaid(tt.email, tt.scarves)

			// A second browser, with none of the first one's cookies,
			// finds the order with its number and the phone given at
			// checkout (typed without spaces).
			other := &shopperVisit{t: t, shop: shop, axe: axe, zh: s.zh,
				tab: newTabIn(t, browser, shopperWidth, tt.acceptLanguage)}
			other.lookup(s.orderNo)

			s.pay(tt.email)
			other.do("see the order paid", chromedp.Navigate(shop.URL+"/orders/"+s.orderNo),
				chromedp.WaitVisible(chromedp.CSS(`.status-paid [data-testid=order-status]`)))
		})
	}
}

// shopperWidth is the phone of the shopper's visit.
const shopperWidth = 390

// shopperVisit is one shopper's phone on the shop.
type shopperVisit struct {
	t       *testing.T
	shop    *testShop
	tab     context.Context
	axe     string
	zh      bool
	orderNo string
}

func (s *shopperVisit) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	s.t.Helper()
	do(s.t, s.tab, what, steps...)
}

func (s *shopperVisit) text(sel string) string {
	s.t.Helper()
	return text(s.t, s.tab, sel)
}

// open opens a page of the shop, choosing its language first with the
// shop's language switch.
func (s *shopperVisit) open(path string) {
	s.t.Helper()
	code := "en"
	if s.zh {
		code = "zh"
	}
	s.do("open "+path, chromedp.Navigate(s.shop.URL+"/lang/"+code+"?next="+url.QueryEscape(path)),
		chromedp.WaitVisible(chromedp.CSS(`html[lang|="`+code+`"] main`)))
}

// check runs axe-core and the layout check on the page the tab shows.
func (s *shopperVisit) check(page string) {
	s.t.Helper()
	checkAxe(s.t, s.tab, s.axe, page)
	checkLayoutAt(s.t, s.tab, shopperWidth, page)
	assert.Equal(s.t, 1, eval[int](s.t, s.tab, `document.querySelectorAll("h1").length`), "%s: one h1", page)
	assert.True(s.t, eval[bool](s.t, s.tab, `!!document.querySelector("body > header nav") &&
		document.querySelectorAll("main").length === 1 && !!document.querySelector("body > footer")`),
		"%s: the landmarks header, nav, main and footer", page)
}

// untilUnpaid is the shopper's visit up to an order left unpaid: Back
// from the cashier to the shop. scarves are in stock at the start.
func (s *shopperVisit) untilUnpaid(email string, scarves int) {
	t := s.t
	s.open("/")
	s.do("open the home page", chromedp.WaitVisible(chromedp.CSS(`.grid`)))
	if s.zh {
		assert.Regexp(t, `^≈ ¥[0-9,]+$`, s.text(`.card .cny`), "a ¥ estimate beside the price")
		assert.Equal(t, "zh-Hans", lang(t, s.tab))
	}
	s.check("home")

	s.do("open a category", chromedp.Click(chromedp.CSS(`nav.chips a[href^="/categories/"]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav.chips a[aria-current=page]`)))
	s.check("category")
	s.do("open search from the header", chromedp.Click(chromedp.CSS(`header a[data-testid=search-link]`)),
		chromedp.WaitVisible(chromedp.ID("q")))
	s.do("search", chromedp.SendKeys(chromedp.ID("q"), "silk"), chromedp.Submit(chromedp.ID("q")),
		chromedp.WaitVisible(chromedp.CSS(`.card a[href="/products/silk-scarf"]`)))
	s.check("search results")
	s.do("search for nothing there", chromedp.SetValue(chromedp.ID("q"), "zzzz"), chromedp.Submit(chromedp.ID("q")),
		chromedp.WaitNotPresent(chromedp.CSS(`.card`)))
	s.check("search without results")
	s.open("/")

	s.do("open a product", chromedp.Click(chromedp.CSS(`.card a[href="/products/silk-scarf"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form.add button.primary`)))
	if s.zh {
		assert.Regexp(t, `^≈ ¥[0-9,]+$`, s.text(`.product .price .cny`))
	}
	s.check("product")

	s.do("add 2 to the cart", chromedp.SetValue(chromedp.CSS(`form.add input[name=quantity]`), "2"),
		chromedp.Click(chromedp.CSS(`form.add button.primary`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=cart-total]`)))
	assert.Equal(t, "2", s.text(`[data-testid=cart-count]`))
	if s.zh {
		assert.Regexp(t, `^≈ ¥[0-9,]+$`, s.text(`[data-testid=cart-total-cny]`), "the total's ¥ estimate")
	}
	s.check("cart")

	s.do("one more", chromedp.Click(chromedp.CSS(`[data-testid=more]`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name=quantity][value="3"]`)))
	assert.Equal(t, "3", s.text(`[data-testid=cart-count]`))
	s.do("one fewer", chromedp.Click(chromedp.CSS(`[data-testid=less]`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name=quantity][value="2"]`)))
	assert.Equal(t, "2", s.text(`[data-testid=cart-count]`))

	s.do("ask for more than the stock", chromedp.SetValue(chromedp.CSS(`.qty input[name=quantity]`), "13"),
		chromedp.Click(chromedp.CSS(`.qty button:not(.step):not(.link)`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=line-error]`)))
	want := fmt.Sprintf("Only %d left in stock: choose %d or fewer.", scarves, scarves)
	if s.zh {
		want = fmt.Sprintf("库存仅剩%d件，请选择%d件或更少。", scarves, scarves)
	}
	assert.Equal(t, want, s.text(`[data-testid=line-error]`), "the reason, beside the line")
	assert.Equal(t, "2", s.text(`[data-testid=cart-count]`), "the cart is unchanged")
	assert.Equal(t, "13", get(t, s.tab, chromedp.Value(chromedp.CSS(`.qty input[name=quantity]`))), "what was typed is kept")
	s.check("cart with a stock problem")
	screenshot(t, s.tab, "cart.png", "/tmp/shop-cart-"+lang(t, s.tab)+".png")

	s.do("go to checkout", chromedp.Click(chromedp.CSS(`a.primary[href="/checkout"]`)), chromedp.WaitVisible(chromedp.ID("name")))
	assert.Equal(t, "true", attr(t, s.tab, `#name`, "aria-required"))
	assert.Equal(t, "*", s.text(`label[for=name] .req`), "required fields are marked")
	mark := `document.querySelector("button.alipay img")`
	assert.Greater(t, eval[int](t, s.tab, mark+`.naturalWidth`), 0, "Alipay's mark is drawn")
	assert.True(t, strings.HasPrefix(eval[string](t, s.tab, mark+`.src`), s.shop.URL+"/assets/img/"), "from the shop itself")
	s.check("checkout")

	s.do("submit without a name", chromedp.Click(chromedp.CSS(`button.primary.alipay`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=error-summary]`)))
	assert.Equal(t, "name", eval[string](t, s.tab, `document.activeElement.id`), "the first field in error has the focus")
	assert.True(t, eval[bool](t, s.tab, `(r => r.top >= document.querySelector("header.top").getBoundingClientRect().bottom && r.bottom <= innerHeight)(
		document.getElementById("name").getBoundingClientRect())`), "and is in view, below the sticky header")
	assert.Equal(t, "#name", attr(t, s.tab, `[data-testid=error-summary] a`, "href"))
	s.check("checkout with errors")
	screenshot(t, s.tab, "checkout-errors.png", "/tmp/shop-checkout-errors-"+lang(t, s.tab)+".png")

	// A fresh form, so that Back from the cashier comes to a page got
	// with GET (a POST's answer would have to be posted again).
	s.do("open the checkout again", chromedp.Navigate(s.shop.URL+"/checkout"), chromedp.WaitVisible(chromedp.ID("name")))
	s.do("fill the form",
		chromedp.SendKeys(chromedp.ID("name"), "Li Lei"),
		chromedp.SendKeys(chromedp.ID("phone"), "+86 138 0013 8000"),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SetValue(chromedp.ID("country"), "CN"),
		chromedp.SendKeys(chromedp.ID("province"), "Shanghai"),
		chromedp.SendKeys(chromedp.ID("city"), "Shanghai"),
		chromedp.SendKeys(chromedp.ID("street"), "88 Century Avenue, Pudong"),
		chromedp.SendKeys(chromedp.ID("postcode"), "200120"))
	s.do("pay with Alipay", chromedp.Click(chromedp.CSS(`button.primary.alipay`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=amount]`)))
	assert.Equal(t, "USD 86.00", s.text(`[data-testid=amount]`))

	s.do("go back from the cashier", chromedp.NavigateBack(), chromedp.WaitVisible(chromedp.CSS(`[data-testid=unpaid-banner]`)))
	assert.Equal(t, "/checkout", path(t, s.tab))
	action := attr(t, s.tab, `[data-testid=unpaid-banner] form[action$="/pay"]`, "action")
	s.orderNo = strings.TrimSuffix(strings.TrimPrefix(action, "/orders/"), "/pay")
	require.NotEmpty(t, s.orderNo)
	s.check("checkout with the unpaid-order banner")

	s.do("open the shop", chromedp.Navigate(s.shop.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=unpaid-banner]`)))
	assert.Equal(t, "2", s.text(`[data-testid=cart-count]`), "the cart is kept until the order is paid")
	s.do("open the order", chromedp.Navigate(s.shop.URL+"/orders/"+s.orderNo), chromedp.WaitVisible(chromedp.CSS(`.status-pending`)))
	s.check("order awaiting payment")
}

// pay pays the unpaid order from the banner, opens the receipt and waits
// for the e-mail to email saying it is paid.
func (s *shopperVisit) pay(email string) {
	t := s.t
	s.do("open the shop", chromedp.Navigate(s.shop.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=unpaid-banner]`)))
	s.do("pay from the banner", chromedp.Click(chromedp.CSS(`[data-testid=unpaid-banner] button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=amount]`)))
	assert.Equal(t, "USD 86.00", s.text(`[data-testid=amount]`), "the same order")
	s.do("pay in the cashier", chromedp.Click(chromedp.CSS(`button.pay`)),
		chromedp.WaitVisible(chromedp.CSS(`.status-paid [data-testid=order-status]`)))
	assert.Equal(t, "/orders/"+s.orderNo, path(t, s.tab))
	assert.False(t, eval[bool](t, s.tab, `!!document.querySelector("[data-testid=unpaid-banner]")`), "no banner once paid")
	s.check("order paid")

	s.do("open the receipt", chromedp.Click(chromedp.CSS(`[data-testid=receipt-link]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=receipt-total]`)))
	assert.Equal(t, s.orderNo, s.text(`[data-testid=receipt-order]`))
	assert.Equal(t, "US$86.00", s.text(`[data-testid=receipt-total]`))
	assert.Equal(t, "US$8.00", s.text(`[data-testid=receipt-shipping]`))
	assert.Contains(t, s.text(`[data-testid=receipt-address]`), "88 Century Avenue, Pudong")
	s.check("receipt")

	// The confirmation e-mail goes through the outbox: ask the sandbox's
	// mailbox until it is there, then read it as a developer would.
	s.do("wait for the e-mail", chromedp.PollFunction[chromedp.Void](
		`async to => (await (await fetch("/sandbox/api/mail?to=" + encodeURIComponent(to))).json()).mail.length > 0`,
		chromedp.WithPollingArgs(email), chromedp.WithPollingInterval(50*time.Millisecond)))
	s.do("open the mailbox", chromedp.Navigate(s.shop.URL+"/sandbox/mail"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=mail]`)))
	subjects := eval[[]string](t, s.tab, `[...document.querySelectorAll("[data-testid=mail]")]
		.filter(m => m.querySelector("[data-testid=mail-to]").textContent === `+jsString(email)+`)
		.map(m => m.querySelector("[data-testid=mail-subject]").textContent)`)
	require.Len(t, subjects, 1, "one e-mail to %s", email)
	assert.Contains(t, subjects[0], s.orderNo)

	s.do("open a page that does not exist", chromedp.Navigate(s.shop.URL+"/no-such-page"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=error-message]`)))
	s.check("not found")
}

// lookup finds the order from a browser that has never seen it: first
// with a wrong phone number, then with the right one.
func (s *shopperVisit) lookup(orderNo string) {
	t := s.t
	s.open("/")
	s.do("open the lookup", chromedp.WaitVisible(chromedp.CSS(`footer a[href="/orders/lookup"]`)),
		chromedp.Click(chromedp.CSS(`footer a[href="/orders/lookup"]`)), chromedp.WaitVisible(chromedp.ID("order_no")))
	s.check("lookup")

	s.do("look up with a wrong phone",
		chromedp.SendKeys(chromedp.ID("order_no"), orderNo), chromedp.SendKeys(chromedp.ID("contact"), "+86 139 0000 0000"),
		chromedp.Click(chromedp.CSS(`form.form button.primary`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=lookup-message]`)))
	s.check("lookup with an error")

	s.do("look up with the phone",
		chromedp.SetValue(chromedp.ID("order_no"), orderNo), chromedp.SendKeys(chromedp.ID("contact"), "8613800138000"),
		chromedp.Click(chromedp.CSS(`form.form button.primary`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=order-status]`)))
	assert.Equal(t, "/orders/"+orderNo, path(t, s.tab))
	assert.True(t, eval[bool](t, s.tab, `!!document.querySelector(".status-pending")`), "awaiting payment")
	assert.Equal(t, "0", s.text(`[data-testid=cart-count]`), "another browser: its own empty cart")
	s.check("order found by lookup")

	s.do("show the order as being paid", chromedp.Navigate(s.shop.URL+"/orders/"+orderNo+"?confirming=1"),
		chromedp.WaitVisible(chromedp.CSS(`.status-processing`)))
	s.check("order payment processing")
}

// axeSource is axe-core's script. .ci/run installs it with npm, as the
// README says; AXE_CORE_JS may name another copy. Without it the test
// fails: an accessibility check that is skipped checks nothing.
func axeSource(t *testing.T) string {
	t.Helper()
	p := os.Getenv("AXE_CORE_JS")
	if p == "" {
		p = filepath.Join(".cache", "axe", "node_modules", "axe-core", "axe.min.js")
	}
	src, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("axe-core is missing (%v): run `npm install --no-save --prefix .cache/axe axe-core@4.14.1` in the repository, or set AXE_CORE_JS to axe.min.js", err)
	}
	return string(src)
}

// axeViolation is a rule axe-core found broken, with the nodes that break it.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// axeResult is what runAxe returns: how many rules passed, and the
// critical and serious violations.
type axeResult struct {
	Passes     int            `json:"passes"`
	Violations []axeViolation `json:"violations"`
}

// runAxe runs axe-core's WCAG 2.0/2.1 A and AA rules and its best
// practices on the page, and returns the critical and serious violations.
const runAxe = `axe.run(document, {
	runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
	resultTypes: ["violations"],
}).then(r => ({passes: r.passes.length, violations: r.violations
	.filter(v => v.impact === "critical" || v.impact === "serious")
	.map(v => ({id: v.id, impact: v.impact, help: v.help,
		nodes: v.nodes.slice(0, 10).map(n => n.target.join(" ") + ": " + (n.failureSummary || "").replace(/\s+/g, " "))}))}))`

// checkAxe injects axe-core into the page (scripts the DevTools protocol
// evaluates are not subject to the page's Content-Security-Policy) and
// fails the test for each critical or serious violation, with its rule
// and the nodes.
func checkAxe(t *testing.T, tab context.Context, axe, page string) {
	t.Helper()
	if !eval[bool](t, tab, `typeof axe !== "undefined"`) {
		get(t, tab, chromedp.Evaluate[chromedp.Void](axe))
	}
	res := get(t, tab, chromedp.Evaluate[axeResult](runAxe, chromedp.EvalAwaitPromise))
	assert.Greater(t, res.Passes, 20, "%s: axe checked the page", page)
	for _, v := range res.Violations {
		t.Errorf("%s (%s): axe %s, %s: %s\n\t%s", page, lang(t, tab), v.Impact, v.ID, v.Help, strings.Join(v.Nodes, "\n\t"))
	}
}

// jsString quotes s for JavaScript.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
