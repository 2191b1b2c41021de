package main

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBrowser drives real headless Chromium through the shop on a phone-sized
// screen, clicking and typing as a shopper does: catalog, product, cart,
// checkout (with the server's field errors first), the sandbox's Alipay
// cashier, Pay, and back to the order page until it says Paid. It also
// checks the layout at 320 px, the language switch, and the core flow with
// JavaScript disabled.
func TestBrowser(t *testing.T) {
	chromium := chromiumPath(t)
	const adminPassword = "merchant passphrase 1"
	shop := startShop(t, map[string]string{"ADMIN_PASSWORD": adminPassword})
	browser := startBrowser(t, chromium)

	t.Run("journey", func(t *testing.T) {
		tab := newTab(t, browser, 375)

		do(t, tab, "open the home page", chromedp.Navigate(shop.URL+"/"),
			chromedp.WaitVisible(chromedp.CSS(`aside.sandbox`)))
		assert.Contains(t, text(t, tab, `aside.sandbox`), "Sandbox — no real money")
		assert.Equal(t, "0", text(t, tab, `[data-testid=cart-count]`))
		screenshot(t, tab, "home.png", "/tmp/shop-home.png")

		do(t, tab, "open a product", chromedp.Click(chromedp.CSS(`.card a[href="/products/silk-scarf"]`)),
			chromedp.WaitVisible(chromedp.CSS(`form.add button.primary`)))
		assert.Equal(t, "Silk scarf", text(t, tab, `.product h1`))

		do(t, tab, "add 2 to the cart", chromedp.Clear(chromedp.CSS(`form.add input[name=quantity]`)),
			chromedp.SendKeys(chromedp.CSS(`form.add input[name=quantity]`), "2"))
		assert.Equal(t, "2", get(t, tab, chromedp.Value(chromedp.CSS(`form.add input[name=quantity]`))))
		do(t, tab, "add to cart", chromedp.Click(chromedp.CSS(`form.add button.primary`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=cart-total]`)))
		assert.Equal(t, "2", text(t, tab, `[data-testid=cart-count]`), "cart badge")
		assert.Equal(t, "US$78.00", text(t, tab, `[data-testid=cart-items]`))
		assert.Equal(t, "US$8.00", text(t, tab, `[data-testid=cart-shipping]`), "the default shipping")
		assert.Equal(t, "US$86.00", text(t, tab, `[data-testid=cart-total]`))
		assert.Equal(t, "Added to your cart.", text(t, tab, `.flash`))

		do(t, tab, "go to checkout", chromedp.Click(chromedp.CSS(`a.primary[href="/checkout"]`)),
			chromedp.WaitVisible(chromedp.ID("name")))
		assert.Equal(t, "/checkout", path(t, tab))

		// novalidate: the browser submits the empty form, the server answers.
		// (The country starts from the browser's language: unset it.)
		do(t, tab, "submit the empty form", chromedp.SetValue(chromedp.ID("country"), ""),
			chromedp.Click(chromedp.CSS(`form.form button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("name-err")))
		assert.Equal(t, "Please correct 4 fields:", text(t, tab, `[data-testid=error-summary] h2`))
		assert.Equal(t, "name", eval[string](t, tab, `document.activeElement.id`), "the first field in error has the focus")
		assert.Equal(t, "Enter your name (up to 100 characters).", text(t, tab, `#name-err`))
		assert.Equal(t, "Enter a mobile phone number or an e-mail address.", text(t, tab, `#phone-err`))
		assert.Equal(t, "Choose the country or region to deliver to.", text(t, tab, `#country-err`))
		assert.Equal(t, "Enter the street address, 5 to 300 characters.", text(t, tab, `#street-err`))
		assert.Equal(t, "true", attr(t, tab, `#name`, "aria-invalid"))
		assert.False(t, eval[bool](t, tab, `!!document.getElementById("email-err")`), "no error for the optional e-mail")

		do(t, tab, "fill the form",
			chromedp.SendKeys(chromedp.ID("name"), "Li Lei"),
			chromedp.SendKeys(chromedp.ID("phone"), "+86 138 0013 8000"),
			chromedp.SetValue(chromedp.ID("country"), "CN"),
			chromedp.SendKeys(chromedp.ID("province"), "Shanghai"),
			chromedp.SendKeys(chromedp.ID("city"), "Shanghai"),
			chromedp.SendKeys(chromedp.ID("street"), "88 Century Avenue, Pudong"),
			chromedp.SendKeys(chromedp.ID("postcode"), "200120"))
		do(t, tab, "pay with Alipay", chromedp.Click(chromedp.CSS(`button.primary.alipay`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=amount]`)))
		assert.True(t, strings.HasPrefix(path(t, tab), "/sandbox/cashier/"), path(t, tab))
		assert.Equal(t, "USD 86.00", text(t, tab, `[data-testid=amount]`), "the items and shipping")
		assert.Equal(t, "off", eval[string](t, tab, scriptProbe), "the cashier's Content-Security-Policy refuses injected script")

		do(t, tab, "pay in the cashier", chromedp.Click(chromedp.CSS(`button.pay`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=order-status]`)))
		orderNo := text(t, tab, `h1 code`)
		assert.Equal(t, "/orders/"+orderNo, path(t, tab))

		// Until the notification arrives the page says "Payment processing";
		// the shop's script (order.js) asks the API and puts the new status
		// in place, without loading another page.
		assert.True(t, eval[bool](t, tab, `window.samePage = true`))
		do(t, tab, "wait until the order is paid", chromedp.WaitVisible(chromedp.CSS(`.status-paid [data-testid=order-status]`)))
		assert.Equal(t, "Paid", text(t, tab, `[data-testid=order-status]`))
		assert.Equal(t, "Thank you! Your payment was received.", text(t, tab, `.flash`))
		assert.Regexp(t, `^[0-9]{28}$`, text(t, tab, `p.muted code`), "Alipay trade number")
		assert.True(t, eval[bool](t, tab, `window.samePage === true`), "the page was updated, not reloaded")
		assert.False(t, eval[bool](t, tab, `!!document.querySelector('meta[http-equiv=refresh]')`), "no page refreshes itself")
		waitPaid(t, shop, orderNo)
		screenshot(t, tab, "order.png", "/tmp/shop-order.png")

		do(t, tab, "narrow to 320 px", phone(narrow), chromedp.Reload())
		checkLayout(t, tab, "order page")

		// The merchant, on a 390 px phone: signs in, finds the paid order
		// and refunds part of it.
		admin := newTab(t, browser, 390)
		do(t, admin, "open the admin", chromedp.Navigate(shop.URL+"/admin"), chromedp.WaitVisible(chromedp.ID("password")))
		assert.Equal(t, "/admin/login", path(t, admin), "sent to sign in first")
		do(t, admin, "sign in",
			chromedp.SendKeys(chromedp.ID("name"), "admin"),
			chromedp.SendKeys(chromedp.ID("password"), adminPassword),
			chromedp.Click(chromedp.CSS(`form.form button.primary`)),
			chromedp.WaitVisible(chromedp.CSS(`svg.chart`)))
		assert.Equal(t, "/admin", path(t, admin))
		checkMoneyLayout(t, admin, 390, "admin dashboard")
		do(t, admin, "search the order", chromedp.Navigate(shop.URL+"/admin/orders"), chromedp.WaitVisible(chromedp.CSS(`input[name=q]`)),
			chromedp.SendKeys(chromedp.CSS(`input[name=q]`), orderNo), chromedp.Submit(chromedp.CSS(`input[name=q]`)),
			chromedp.WaitVisible(chromedp.CSS(`a[href="/admin/orders/`+orderNo+`"]`)))
		checkMoneyLayout(t, admin, 390, "admin orders")
		do(t, admin, "open the order", chromedp.Click(chromedp.CSS(`a[href="/admin/orders/`+orderNo+`"]`)),
			chromedp.WaitVisible(chromedp.ID("refund-amount")))
		assert.Equal(t, "Paid", text(t, admin, `[data-testid=order-status]`))
		do(t, admin, "refund part of it",
			chromedp.SendKeys(chromedp.ID("refund-amount"), "10.00"),
			chromedp.SendKeys(chromedp.ID("refund-reason"), "one scarf arrived torn"),
			chromedp.Click(chromedp.CSS(`#refund button.primary`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=refunds]`)))
		assert.Equal(t, "US$10.00", text(t, admin, `[data-testid=amount-refunded]`))
		assert.Equal(t, "US$76.00", text(t, admin, `[data-testid=amount-left]`))
		assert.Equal(t, "Paid", text(t, admin, `[data-testid=order-status]`), "a partial refund leaves the order paid")
		checkMoneyLayout(t, admin, 390, "admin order page")
		screenshot(t, admin, "admin.png", "/tmp/shop-admin.png")
	})

	t.Run("layout at 320px", func(t *testing.T) {
		tab := newTab(t, browser, narrow)
		do(t, tab, "open the home page", chromedp.Navigate(shop.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`.grid`)))
		checkLayout(t, tab, "home page")
		do(t, tab, "open a product", chromedp.Click(chromedp.CSS(`.card a[href="/products/tea-set"]`)),
			chromedp.WaitVisible(chromedp.CSS(`form.add button.primary`)))
		checkLayout(t, tab, "product page")
		do(t, tab, "add to cart", chromedp.Click(chromedp.CSS(`form.add button.primary`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=cart-total]`)))
		checkLayout(t, tab, "cart")
		do(t, tab, "go to checkout", chromedp.Click(chromedp.CSS(`a.primary[href="/checkout"]`)),
			chromedp.WaitVisible(chromedp.ID("name")))
		checkLayout(t, tab, "checkout page")
		do(t, tab, "submit the empty form", chromedp.Click(chromedp.CSS(`form.form button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("name-err")))
		checkLayout(t, tab, "checkout page with errors")
	})

	t.Run("language switch", func(t *testing.T) {
		tab := newTab(t, browser, 375)
		do(t, tab, "open the home page", chromedp.Navigate(shop.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`a.lang`)))
		assert.Equal(t, "en", lang(t, tab))

		do(t, tab, "switch to Chinese", chromedp.Click(chromedp.CSS(`a.lang`)),
			chromedp.WaitVisible(chromedp.CSS(`html[lang="zh-Hans"] a.lang`)))
		assert.Equal(t, "/", path(t, tab), "back where the shopper was")
		assert.Equal(t, "灯与叶小店", text(t, tab, `.brand`))
		assert.Equal(t, "English", text(t, tab, `a.lang`))

		do(t, tab, "open a product", chromedp.Click(chromedp.CSS(`.card a[href="/products/silk-scarf"]`)),
			chromedp.WaitVisible(chromedp.CSS(`form.add button.primary`)))
		assert.Equal(t, "zh-Hans", lang(t, tab), "the choice sticks on the next page")
		assert.Equal(t, "真丝围巾", text(t, tab, `.product h1`))
		assert.Equal(t, "加入购物车", text(t, tab, `form.add button.primary`))

		do(t, tab, "switch back to English", chromedp.Click(chromedp.CSS(`a.lang`)),
			chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] a.lang`)))
		assert.Equal(t, "/products/silk-scarf", path(t, tab))
		assert.Equal(t, "Silk scarf", text(t, tab, `.product h1`))
	})

	t.Run("without JavaScript", func(t *testing.T) {
		tab := newTab(t, browser, 375)
		do(t, tab, "disable JavaScript", chromedp.Func(func(ctx context.Context, tgt *chromedp.Target) error {
			_, err := cdp.Call(ctx, tgt, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
			return err
		}))
		do(t, tab, "open the home page", chromedp.Navigate(shop.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`.grid`)))
		do(t, tab, "open a product", chromedp.Click(chromedp.CSS(`.card a[href="/products/silk-scarf"]`)),
			chromedp.WaitVisible(chromedp.CSS(`form.add button.primary`)))
		do(t, tab, "add to cart", chromedp.Click(chromedp.CSS(`form.add button.primary`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=cart-total]`)))
		assert.Equal(t, "1", text(t, tab, `[data-testid=cart-count]`))
		// The − and + buttons are plain form buttons: no script needed.
		do(t, tab, "one more", chromedp.Click(chromedp.CSS(`[data-testid=more]`)),
			chromedp.WaitVisible(chromedp.CSS(`.qty input[value="2"]`)))
		assert.Equal(t, "2", text(t, tab, `[data-testid=cart-count]`))
		do(t, tab, "one fewer", chromedp.Click(chromedp.CSS(`[data-testid=less]`)),
			chromedp.WaitVisible(chromedp.CSS(`.qty input[value="1"]`)))
		assert.Equal(t, "1", text(t, tab, `[data-testid=cart-count]`))
		do(t, tab, "go to checkout", chromedp.Click(chromedp.CSS(`a.primary[href="/checkout"]`)),
			chromedp.WaitVisible(chromedp.ID("name")))
		do(t, tab, "fill the form",
			chromedp.SendKeys(chromedp.ID("name"), "Han Meimei"),
			chromedp.SendKeys(chromedp.ID("email"), "han@example.com"),
			chromedp.SetValue(chromedp.ID("country"), "CN"),
			chromedp.SendKeys(chromedp.ID("province"), "Jiangsu"),
			chromedp.SendKeys(chromedp.ID("city"), "Nanjing"),
			chromedp.SendKeys(chromedp.ID("street"), "1 Zhongshan Road"),
			chromedp.SendKeys(chromedp.ID("postcode"), "210000"))
		do(t, tab, "pay with Alipay", chromedp.Click(chromedp.CSS(`button.primary.alipay`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=amount]`)))
		assert.Equal(t, "USD 47.00", text(t, tab, `[data-testid=amount]`))
		require.Equal(t, "off", eval[string](t, tab, scriptProbe), "scripts must not run in the cashier")
		do(t, tab, "pay in the cashier", chromedp.Click(chromedp.CSS(`button.pay`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=order-status]`)))
		// Nothing changes the page by itself: once Alipay's notification
		// is in, "Check again" shows it.
		waitPaid(t, shop, text(t, tab, `h1 code`))
		if eval[bool](t, tab, `!!document.querySelector('[data-testid=check-again]')`) {
			do(t, tab, "check again", chromedp.Click(chromedp.CSS(`[data-testid=check-again]`)),
				chromedp.WaitVisible(chromedp.CSS(`.status-paid [data-testid=order-status]`)))
		}
		assert.Equal(t, "Paid", text(t, tab, `[data-testid=order-status]`))
	})
}

// stepTimeout bounds each step, so that a failure names the step; the whole
// browser has browserTimeout. narrow is the smallest phone the shop supports.
const (
	stepTimeout    = 20 * time.Second
	browserTimeout = 90 * time.Second
	narrow         = 320
)

// chromiumPath finds Debian's Chromium. CI must have it (.ci/run installs
// it); elsewhere the test is skipped.
func chromiumPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("chromium")
	if err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("Chromium is not installed (%v); .ci/run installs it", err)
	}
	t.Skip("Chromium is not installed: apt-get install chromium")
	return ""
}

// startBrowser starts headless Chromium with a fresh profile, no network of
// its own (background networking would be refused on a closed network), and
// a deadline for the whole test. It stops at the end of the test.
func startBrowser(t *testing.T, execPath string) context.Context {
	t.Helper()
	return startBrowserFor(t, execPath, browserTimeout)
}

// startBrowserFor is startBrowser with a deadline of the caller's.
func startBrowserFor(t *testing.T, execPath string, timeout time.Duration) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
	)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	browser, _ := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		_ = chromedp.Cancel(browser) // closes Chromium gracefully
		cancelAlloc()                // and waits for it to exit
		cancel()
	})
	require.NoError(t, chromedp.Do(browser), "start Chromium")
	return browser
}

// newTab opens a tab with its own cookies (a fresh shopper) that looks like
// an iPhone of the given width.
func newTab(t *testing.T, browser context.Context, width int64) context.Context {
	t.Helper()
	return newTabIn(t, browser, width, "en-US,en")
}

// newTabIn is newTab for a phone whose language is acceptLanguage.
func newTabIn(t *testing.T, browser context.Context, width int64, acceptLanguage string) context.Context {
	t.Helper()
	tab, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	require.NoError(t, chromedp.Do(tab, phoneIn(width, acceptLanguage)), "open a tab")
	return tab
}

// phone emulates a portrait touch phone of the given CSS width, in English.
func phone(width int64) chromedp.Action[chromedp.Void] {
	return phoneIn(width, "en-US,en")
}

// phoneIn is phone, in the language of acceptLanguage.
func phoneIn(width int64, acceptLanguage string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Func(func(ctx context.Context, tgt *chromedp.Target) error {
			_, err := cdp.Call(ctx, tgt, emulation.SetUserAgentOverride,
				emulation.SetUserAgentOverrideParams{UserAgent: iPhone, AcceptLanguage: acceptLanguage})
			return err
		}),
		chromedp.EmulateViewport(width, 740, chromedp.EmulateMobile, chromedp.EmulateTouch,
			chromedp.EmulatePortrait, chromedp.EmulateScale(2)),
	)
}

// do runs steps in the tab, and fails the test with the step's name and the
// page's address if one fails or takes longer than stepTimeout.
func do(t *testing.T, tab context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		ctx, cancel := context.WithTimeout(tab, 2*time.Second)
		defer cancel()
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("%s: %v (page: %s)", what, err, loc)
	}
}

// get runs an action that returns a value.
func get[T any](t *testing.T, tab context.Context, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	require.NoError(t, err)
	return v
}

func eval[T any](t *testing.T, tab context.Context, js string) T {
	t.Helper()
	return get(t, tab, chromedp.Evaluate[T](js))
}

// text is the visible text of the first element matching a CSS selector.
func text(t *testing.T, tab context.Context, sel string) string {
	t.Helper()
	return strings.TrimSpace(get(t, tab, chromedp.Text(chromedp.CSS(sel))))
}

func attr(t *testing.T, tab context.Context, sel, name string) string {
	t.Helper()
	return get(t, tab, chromedp.Attributes(chromedp.CSS(sel)))[name]
}

func lang(t *testing.T, tab context.Context) string {
	t.Helper()
	return eval[string](t, tab, `document.documentElement.lang`)
}

// path is the path of the page the tab shows.
func path(t *testing.T, tab context.Context) string {
	t.Helper()
	u, err := url.Parse(get(t, tab, chromedp.Location()))
	require.NoError(t, err)
	return u.Path
}

// screenshot saves a full-page PNG in the test's directory and a copy at
// share, for people to look at.
func screenshot(t *testing.T, tab context.Context, name, share string) {
	t.Helper()
	png := get(t, tab, chromedp.FullScreenshot(100))
	require.NoError(t, os.WriteFile(filepath.Join(t.TempDir(), name), png, 0o644))
	if err := os.WriteFile(share, png, 0o644); err != nil {
		t.Logf("screenshot copy: %v", err)
	}
}

// scriptProbe inserts an inline script and reports whether it ran. Every
// page, the shop's and the sandbox's, refuses it through its
// Content-Security-Policy.
const scriptProbe = `(() => {
	const s = document.createElement("script");
	s.text = 'document.documentElement.dataset.scripts = "on"';
	document.head.append(s);
	return document.documentElement.dataset.scripts || "off";
})()`

// layout is what checkLayout measures in the page.
type layout struct {
	ViewportWidth int      `json:"viewportWidth"`
	ScrollWidth   int      `json:"scrollWidth"`
	TooWide       []string `json:"tooWide"`  // elements past the right edge
	TooSmall      []string `json:"tooSmall"` // tap targets under 44 px tall
}

const measureLayout = `(() => {
	const name = e => e.tagName.toLowerCase() + (e.className ? "." + String(e.className).trim().replace(/\s+/g, ".") : "") +
		' "' + e.textContent.trim().slice(0, 30) + '"';
	const shown = e => e.getClientRects().length > 0;
	const w = document.documentElement.clientWidth;
	return {
		viewportWidth: w,
		scrollWidth: document.documentElement.scrollWidth,
		tooWide: [...document.querySelectorAll("body *")].filter(e => shown(e) && e.getBoundingClientRect().right > w + 0.5).map(name).slice(0, 10),
		tooSmall: [...document.querySelectorAll(".primary, button, .top nav a, .unpaid a, .error-summary a, footer a")].filter(e => shown(e) && e.getBoundingClientRect().height < 44)
			.map(e => name(e) + " " + e.getBoundingClientRect().height.toFixed(1) + "px"),
	};
})()`

// checkLayout asserts that the page, on the narrow phone, does not scroll
// sideways and that its tap targets (buttons, the links of the header, the
// unpaid-order banner, the error summary and the footer) are at least 44
// px tall.
func checkLayout(t *testing.T, tab context.Context, page string) {
	t.Helper()
	checkLayoutAt(t, tab, narrow, page)
}

// checkLayoutAt is checkLayout on a phone of the given width.
func checkLayoutAt(t *testing.T, tab context.Context, width int, page string) {
	t.Helper()
	l := eval[layout](t, tab, measureLayout)
	require.Equal(t, width, l.ViewportWidth, "%s: viewport", page)
	assert.LessOrEqual(t, l.ScrollWidth, width, "%s scrolls sideways; too wide: %v", page, l.TooWide)
	assert.Empty(t, l.TooSmall, "%s: tap targets under 44 px", page)
}
