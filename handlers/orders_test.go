package handlers

import (
	"html"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // America/New_York wherever the tests run

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/assets"
	"shop/models"
	"shop/views"
)

func TestOrderPage(t *testing.T) {
	h := newHarness(t, options{})
	owner := h.browser(desktopUA)
	orderNo := owner.buy(h.product("silk-scarf").ID, 2)

	tests := []struct {
		name       string
		who        *browser
		path       string
		wantStatus int
		want       []string
		wantNot    []string
	}{
		{"owner", owner, "/orders/" + orderNo, http.StatusOK,
			[]string{orderNo, "Waiting for payment", "2 × Silk scarf", "US$78.00", "Ann Lee", "1 Main Street, Springfield", `action="/orders/` + orderNo + `/pay"`}, nil},
		{"another browser", h.browser(desktopUA), "/orders/" + orderNo, http.StatusNotFound,
			[]string{"We could not find that page."}, []string{"Ann Lee", "Main Street", "Silk scarf"}},
		{"no cookie at all", &browser{t: t, h: h, c: newClient(t), header: http.Header{}}, "/orders/" + orderNo, http.StatusNotFound,
			[]string{"We could not find that page."}, []string{"Ann Lee"}},
		{"unknown order", owner, "/orders/20250101ZZZZZZZZZZZZZZZZ", http.StatusNotFound,
			[]string{"We could not find that page."}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := tt.who.get(tt.path)

			assert.Equal(t, tt.wantStatus, res.StatusCode)
			assert.Equal(t, "text/html; charset=utf-8", res.Header.Get("Content-Type"))
			assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
			for _, s := range tt.want {
				assert.Contains(t, res.Body, s)
			}
			for _, s := range tt.wantNot {
				assert.NotContains(t, res.Body, s)
			}
		})
	}
}

func TestPayAgain(t *testing.T) {
	h := newHarness(t, options{})
	owner := h.browser(desktopUA)
	orderNo := owner.buy(h.product("silk-scarf").ID, 1)

	t.Run("owner goes back to the cashier", func(t *testing.T) {
		res := owner.post("/orders/"+orderNo+"/pay", url.Values{})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		u, err := url.Parse(res.location())
		require.NoError(t, err)
		assert.Equal(t, orderNo, u.Query().Get("out_trade_no"))
	})
	t.Run("another browser", func(t *testing.T) {
		res := h.browser(desktopUA).post("/orders/"+orderNo+"/pay", url.Values{})
		assert.Equal(t, http.StatusNotFound, res.StatusCode)
	})
	t.Run("paid order goes to its page", func(t *testing.T) {
		notified := h.postNotify(sign(t, h.alipay, paidParams(h.order(orderNo))).Encode(), formType, nil)
		require.Equal(t, "success", notified.Body)
		res := owner.post("/orders/"+orderNo+"/pay", url.Values{})
		assert.Equal(t, http.StatusSeeOther, res.StatusCode)
		assert.Equal(t, "/orders/"+orderNo, res.location())
	})
}

// TestPublicOrderViewHasNoPersonalData: what anybody holding an order
// number sees (the JSON API, the order page in another browser) is built
// from a type that has no place for the shopper's name, phone, e-mail or
// address, and the pages show none of them.
func TestPublicOrderViewHasNoPersonalData(t *testing.T) {
	personal := map[string]bool{"Name": true, "Phone": true, "Email": true, "Address": true, "OwnerID": true, "CheckoutKey": true}
	typ := reflect.TypeOf(publicOrder{})
	for i := range typ.NumField() {
		assert.False(t, personal[typ.Field(i).Name], "publicOrder has a %s field", typ.Field(i).Name)
	}

	h := newHarness(t, options{})
	o := h.createOrder()
	pub := newPublicOrder(o)
	page := h.srv.orderPage(&gin.Context{Request: httptest.NewRequest(http.MethodGet, "/", nil)}, pub, nil)
	assert.Nil(t, page.Contact)
	assert.Empty(t, page.Lines)

	res, out := h.apiCall(http.MethodGet, "/api/orders/"+o.OrderNo, "", nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, []string{"currency", "order_no", "status", "total_fee", "trade_no"}, keys(out))
	for _, s := range []string{o.Name, o.Email, o.Address} {
		assert.NotContains(t, res.Body, s)
	}
}

// TestReceipt: a paid order's receipt, for its owner or a browser that
// proved it may see the order; nobody else, and no unpaid order, has one.
func TestReceipt(t *testing.T) {
	h := newHarness(t, options{})
	owner := h.browser(mobileUA)
	orderNo := owner.buy(h.product("silk-scarf").ID, 2)
	path := "/orders/" + orderNo + "/receipt"

	assert.Equal(t, http.StatusNotFound, owner.get(path).StatusCode, "unpaid: no receipt")
	assert.NotContains(t, owner.get("/orders/"+orderNo).Body, path)
	h.markPaid(orderNo)
	o := h.order(orderNo)
	assert.Contains(t, owner.get("/orders/"+orderNo).Body, `href="`+path+`"`, "the order page links it")

	res := owner.get(path)
	require.Equal(t, http.StatusOK, res.StatusCode)
	body := html.UnescapeString(res.Body)
	for _, s := range []string{
		"Lantern & Leaf", "Receipt for order " + orderNo, `data-testid="receipt-order">` + orderNo + "<",
		"Silk scarf", "US$39.00", `data-testid="receipt-total">US$78.00<`,
		`data-testid="receipt-trade">` + *o.TradeNo + "<",
		"Ann Lee", "1 Main Street, Springfield", "+852 9123 4567", "ann@example.com",
		`data-testid="receipt-placed">` + o.CreatedAt.In(h.srv.loc).Format("2006-01-02 15:04"),
		`data-testid="receipt-paid">` + o.PaidAt.In(h.srv.loc).Format("2006-01-02 15:04"),
	} {
		assert.Contains(t, body, s)
	}
	assert.NotContains(t, body, "receipt-shipping", "no shipping charged")
	assert.NotContains(t, body, "receipt-refunded")

	for name, who := range map[string]*browser{"another browser": h.browser(mobileUA), "no cookie": {t: t, h: h, c: newClient(t), header: http.Header{}}} {
		res := who.get(path)
		assert.Equal(t, http.StatusNotFound, res.StatusCode, name)
		assert.NotContains(t, res.Body, "Ann Lee", name)
	}
	proven := h.browser(desktopUA)
	require.Equal(t, http.StatusSeeOther, proven.lookup(orderNo, "ann@example.com").StatusCode)
	assert.Equal(t, http.StatusOK, proven.get(path).StatusCode)

	// A total above the lines is the delivery charge; refunds are listed.
	require.NoError(t, h.db.Gorm().Model(&models.Order{}).Where("order_no = ?", orderNo).
		Updates(map[string]any{"total_minor": 8300, "refunded_minor": 1000}).Error)
	body = owner.get(path).Body
	assert.Contains(t, body, `data-testid="receipt-shipping">US$5.00<`)
	assert.Contains(t, body, `data-testid="receipt-total">US$83.00<`)
	assert.Contains(t, body, `data-testid="receipt-refunded">US$10.00<`)
}

// TestReceiptPrints: the stylesheet's print rules hide what is not the
// receipt.
func TestReceiptPrints(t *testing.T) {
	css, err := fs.ReadFile(os.DirFS(filepath.Join("..", "assets")), "style.css")
	require.NoError(t, err)
	m := regexp.MustCompile(`(?s)@media print\{(.*)\}\s*$`).FindSubmatch(css)
	require.NotNil(t, m, "a @media print block")
	for _, sel := range []string{".top", ".sandbox", ".unpaid", "footer", "form", "button", ".button", ".noprint"} {
		assert.Regexp(t, `(^|[\s,])`+regexp.QuoteMeta(sel)+`[,{]`, string(m[1]), "hidden in print: %s", sel)
	}
}

// TestOrderTimesInTheShoppersZone: English pages give times in the shop's
// zone, Chinese ones in Beijing time, each with the zone named.
func TestOrderTimesInTheShoppersZone(t *testing.T) {
	newYork, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	h := newHarness(t, options{}).withConfig(func(c *Config) { c.Location = newYork })
	b := h.browser(mobileUA)
	orderNo := b.buy(h.product("silk-scarf").ID, 1)
	o := h.order(orderNo)
	inNewYork := func(t time.Time) string {
		t = t.In(newYork)
		return t.Format("2006-01-02 15:04") + " America/New_York (UTC" + t.Format("-07:00") + ")"
	}
	inBeijing := func(t time.Time) string {
		return t.In(time.FixedZone("", 8*60*60)).Format("2006-01-02 15:04") + "（北京时间）"
	}

	en := html.UnescapeString(b.get("/orders/" + orderNo).Body)
	assert.Contains(t, en, "Placed on "+inNewYork(o.CreatedAt))
	assert.Contains(t, en, "Please pay before "+inNewYork(o.ExpiresAt)+".")
	assert.Contains(t, html.UnescapeString(b.get("/").Body), "Pay for it before "+inNewYork(o.ExpiresAt), "the banner")

	b.speaking("zh-CN,zh;q=0.9")
	zh := html.UnescapeString(b.get("/orders/" + orderNo).Body)
	assert.Contains(t, zh, "下单时间："+inBeijing(o.CreatedAt))
	assert.Contains(t, zh, inBeijing(o.ExpiresAt))

	h.markPaid(orderNo)
	o = h.order(orderNo)
	receipt := html.UnescapeString(b.get("/orders/" + orderNo + "/receipt").Body)
	assert.Contains(t, receipt, inBeijing(*o.PaidAt))
	b.speaking("en")
	receipt = html.UnescapeString(b.get("/orders/" + orderNo + "/receipt").Body)
	assert.Contains(t, receipt, inNewYork(*o.PaidAt))

	for name, page := range map[string]string{"en": en, "zh": zh, "receipt": receipt} {
		assert.NotRegexp(t, `\bUTC($|[^-+])|\bMST\b|\bEST\b|\bEDT\b`, page, "%s: no zone left unexplained", name)
	}
}

// TestConfirmingPage: back from a successful payment before Alipay's
// notification, the order page says "Payment processing", loads the
// shop's own script to follow the order, and offers "Check again" to
// those without it.
func TestConfirmingPage(t *testing.T) {
	h := newHarness(t, options{})
	b := h.browser(mobileUA)
	orderNo := b.buy(h.product("tea-set").ID, 1)

	res := b.get("/orders/" + orderNo + "?confirming=1")

	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, res.Body, `class="status status-processing">Status: <strong data-testid="order-status">Payment processing<`)
	assert.NotContains(t, res.Body, "Waiting for payment")
	assert.Contains(t, res.Body, `<div id="order-state" data-poll="`+orderNo+`">`)
	assert.Contains(t, res.Body, `<script src="`+assets.Path("order.js")+`" defer></script>`)
	assert.Regexp(t, `^/assets/order\.js\?v=[0-9a-f]{12}$`, assets.Path("order.js"))
	assert.Contains(t, res.Body, `<a class="button" href="/orders/`+orderNo+`?confirming=1" data-testid="check-again">Check again</a>`)
	assert.Contains(t, res.Body, `role="status" aria-live="polite"`)
	assert.NotContains(t, res.Body, `/pay"`, "no second payment while confirming")

	plain := b.get("/orders/" + orderNo)
	assert.NotContains(t, plain.Body, "<script", "no script where nothing changes by itself")
	assert.Contains(t, plain.Body, `data-testid="order-status">Waiting for payment<`)

	js := b.get(assets.Path("order.js"))
	require.Equal(t, http.StatusOK, js.StatusCode)
	assert.Equal(t, "text/javascript; charset=utf-8", js.Header.Get("Content-Type"))
	assert.Contains(t, js.Header.Get("Cache-Control"), "immutable")
	assert.Contains(t, js.Body, `"/api/orders/"`, "it asks the JSON API")
	assert.NotRegexp(t, `location\.(assign|replace|reload)|location(\.href)?\s*=[^=]|history\.|innerHTML|eval\(`, js.Body,
		"it changes the page in place: no navigation, no history, no markup from strings")
	api := newClient(t)
	req, err := http.NewRequest(http.MethodGet, h.ts.URL+"/api/orders/"+orderNo, nil)
	require.NoError(t, err)
	assert.Contains(t, do(t, api, req).Body, `"status":"pending"`, "what the script reads")
}

// shopPages returns the HTML of every kind of shop page, by path: the
// catalog, the cart and checkout with an order unpaid, the order page in
// each of its states, the receipt, the lookup and the error page.
func shopPages(t *testing.T) map[string]*response {
	h := newHarness(t, options{})
	b := h.browser(mobileUA)
	paid := b.buy(h.product("silk-scarf").ID, 1)
	h.markPaid(paid)
	closed := h.browser(mobileUA).buy(h.product("ceramic-mug").ID, 1)
	_, err := h.db.CloseOrder(t.Context(), closed, "timeout")
	require.NoError(t, err)
	pending := b.buy(h.product("tea-set").ID, 1)
	_ = h.browser(mobileUA).lookup(closed, "ann@example.com") // proves it
	pages := map[string]*response{}
	for _, path := range []string{
		"/", "/products/tea-set", "/cart", "/checkout", "/orders/lookup", "/no/such/page",
		"/orders/" + pending, "/orders/" + pending + "?confirming=1", "/orders/" + paid, "/orders/" + paid + "/receipt",
	} {
		pages[path] = b.get(path)
	}
	pages["lookup, no match"] = b.lookup(pending, "nobody@example.com")
	pages["closed"] = b.get("/orders/" + closed) // 404 to the owner of the others
	lookedUp := h.browser(mobileUA)
	require.Equal(t, http.StatusSeeOther, lookedUp.lookup(closed, "ann@example.com").StatusCode)
	pages["closed, found"] = lookedUp.get("/orders/" + closed)
	for name, res := range pages {
		require.Equal(t, "text/html; charset=utf-8", res.Header.Get("Content-Type"), name)
	}
	return pages
}

var refreshRE = regexp.MustCompile(`(?i)http-equiv\s*=\s*["']?refresh`)

// TestNoPageRefreshesItself: no page, and no template, reloads itself.
func TestNoPageRefreshesItself(t *testing.T) {
	for name, res := range shopPages(t) {
		assert.NotRegexp(t, refreshRE, res.Body, name)
		assert.Empty(t, res.Header.Get("Refresh"), name)
	}
	err := fs.WalkDir(views.Templates(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		src, err := fs.ReadFile(views.Templates(), path)
		assert.NotRegexp(t, refreshRE, string(src), path)
		return err
	})
	require.NoError(t, err)
}

// TestScriptsOnlyFromTheShop: the Content-Security-Policy lets the shop's
// own script files run and nothing else, and no page has script of its
// own: no inline <script>, no event handler attributes.
func TestScriptsOnlyFromTheShop(t *testing.T) {
	scriptTag := regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`)
	handlerAttr := regexp.MustCompile(`(?i)<[^>]+\son[a-z]+\s*=`)
	scripts := 0
	for name, res := range shopPages(t) {
		csp := map[string]string{}
		for _, d := range strings.Split(res.Header.Get("Content-Security-Policy"), ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(d), " ")
			csp[k] = v
		}
		assert.Equal(t, "'self'", csp["script-src"], name)
		assert.Equal(t, "'self'", csp["default-src"], name)
		assert.NotContains(t, res.Header.Get("Content-Security-Policy"), "unsafe", name)
		for _, m := range scriptTag.FindAllStringSubmatch(res.Body, -1) {
			scripts++
			assert.Regexp(t, `^\s+src="/assets/[^"]+"`, m[1], "%s: a file of the shop's", name)
			assert.Empty(t, strings.TrimSpace(m[2]), "%s: nothing inline", name)
		}
		assert.NotRegexp(t, handlerAttr, res.Body, name)
	}
	assert.Equal(t, 1, scripts, "the confirming page's only")
}
