package handlers

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"shop/models"
)

// withConfig returns a harness on the same database whose browsers talk to
// a server made from h's configuration changed by edit.
func (h *harness) withConfig(edit func(*Config)) *harness {
	h.t.Helper()
	cfg := h.cfg
	edit(&cfg)
	srv, err := New(cfg)
	require.NoError(h.t, err)
	other := *h
	other.cfg, other.srv, other.handler = cfg, srv, srv.Handler()
	other.ts = httptest.NewServer(other.handler)
	h.t.Cleanup(other.ts.Close)
	return &other
}

// markPaid delivers Alipay's signed notification that the order is paid.
func (h *harness) markPaid(orderNo string) {
	h.t.Helper()
	res := h.postNotify(sign(h.t, h.alipay, paidParams(h.order(orderNo))).Encode(), formType, nil)
	require.Equal(h.t, "success", res.Body)
	require.Equal(h.t, models.StatusPaid, h.order(orderNo).Status)
}

// countOrderQueries counts the queries on the orders table from now on.
func (h *harness) countOrderQueries() *atomic.Int32 {
	h.t.Helper()
	var n atomic.Int32
	err := h.db.Gorm().Callback().Query().After("gorm:query").Register(fmt.Sprintf("test:orders-%p", &n), func(tx *gorm.DB) {
		if tx.Statement.Table == "orders" {
			n.Add(1)
		}
	})
	require.NoError(h.t, err)
	return &n
}

// banner is what the unpaid-order banner of a page offers.
type banner struct {
	shown, pay, cancel bool
}

func bannerOf(body, orderNo string) banner {
	m := regexp.MustCompile(`(?s)<aside class="unpaid"[^>]*>.*?</aside>`).FindString(body)
	return banner{
		shown:  m != "",
		pay:    regexp.MustCompile(`<form method="post" action="/orders/` + orderNo + `/pay">`).MatchString(m),
		cancel: regexp.MustCompile(`<form method="post" action="/orders/` + orderNo + `/cancel">`).MatchString(m),
	}
}

// TestBackFromTheCashier: the shopper leaves the cashier without paying.
// The cart is still there, every page offers to pay or cancel the order,
// "Pay now" goes back to the cashier with the same order, and once it is
// paid the banner and the cart are gone.
func TestBackFromTheCashier(t *testing.T) {
	h := newHarness(t, options{})
	b := h.browser(mobileUA)
	scarf := h.product("silk-scarf")
	orderNo := b.buy(scarf.ID, 2)

	back := b.get("/alipay/return") // the cashier's "back to the merchant", no query
	require.Equal(t, http.StatusSeeOther, back.StatusCode)
	require.Equal(t, "/cart", back.location())
	cart := b.get("/cart")
	require.Equal(t, http.StatusOK, cart.StatusCode)
	assert.Contains(t, cart.Body, `data-testid="cart-total">US$78.00<`, "the cart is still there")
	assert.NotContains(t, cart.Body, "Your cart is empty.")
	for _, path := range []string{"/", "/cart", "/products/silk-scarf", "/checkout", "/orders/lookup"} {
		page := b.get(path)
		require.Equal(t, http.StatusOK, page.StatusCode, path)
		assert.Equal(t, banner{true, true, true}, bannerOf(page.Body, orderNo), path)
		assert.Contains(t, page.Body, "You have an unpaid order of US$78.00", path)
	}
	assert.Contains(t, b.get("/checkout").Body, "Checking out again cancels it", "the checkout form says what a new checkout does")
	assert.Equal(t, banner{}, bannerOf(b.get("/orders/"+orderNo).Body, orderNo), "the order's own page needs no banner")
	assert.Equal(t, banner{}, bannerOf(h.browser(mobileUA).get("/").Body, orderNo), "nobody else sees it")

	pay := b.post("/orders/"+orderNo+"/pay", url.Values{})
	require.Equal(t, http.StatusSeeOther, pay.StatusCode)
	assert.Equal(t, orderNo, gatewayParams(t, h, pay.location()).Get("out_trade_no"), "the same order")
	assert.Equal(t, int64(1), h.orderCount())
	assert.Equal(t, scarf.Stock-2, h.stock(scarf.ID), "reserved once")

	h.markPaid(orderNo)
	home := b.get("/")
	assert.Equal(t, banner{}, bannerOf(home.Body, orderNo), "paid: no banner")
	assert.Equal(t, "0", b.cartCount(), "paid: the cart is emptied")
	assert.Contains(t, b.get("/cart").Body, "Your cart is empty.")
}

// TestBannerCostsOneQuery: a page asks the database about the unpaid order
// once, and only when the session names one.
func TestBannerCostsOneQuery(t *testing.T) {
	h := newHarness(t, options{})
	b := h.browser(desktopUA)
	orderNo := b.buy(h.product("tea-set").ID, 1)
	stranger := h.browser(desktopUA)
	require.Equal(t, http.StatusOK, stranger.get("/").StatusCode) // its session exists
	queries := h.countOrderQueries()

	for _, path := range []string{"/", "/products/tea-set"} {
		queries.Store(0)
		require.Equal(t, banner{true, true, true}, bannerOf(b.get(path).Body, orderNo))
		assert.Equal(t, int32(1), queries.Load(), "%s with an unpaid order", path)

		queries.Store(0)
		require.Equal(t, http.StatusOK, stranger.get(path).StatusCode)
		assert.Zero(t, queries.Load(), "%s without one", path)
	}
}

// TestBannerEnds: no banner once the order can no longer be paid; an
// order closed elsewhere (the timeout) ends it and keeps the cart.
func TestBannerEnds(t *testing.T) {
	h := newHarness(t, options{})
	b := h.browser(desktopUA)
	orderNo := b.buy(h.product("tea-set").ID, 1)

	h.clock.Advance(31 * time.Minute)
	assert.Equal(t, banner{}, bannerOf(b.get("/").Body, orderNo), "past its deadline")

	closed, err := h.db.CloseOrder(t.Context(), orderNo, "timeout")
	require.NoError(t, err)
	require.True(t, closed)
	assert.Equal(t, banner{}, bannerOf(b.get("/").Body, orderNo))
	assert.Equal(t, "1", b.cartCount(), "closed unpaid: the cart is kept")
}

// TestCancelUnpaidOrder: the owner cancels; the order closes at once with
// its stock back, the cart stays, the banner goes. Nobody else can.
func TestCancelUnpaidOrder(t *testing.T) {
	h := newHarness(t, options{})
	b := h.browser(mobileUA)
	scarf := h.product("silk-scarf")
	orderNo := b.buy(scarf.ID, 2)
	require.Equal(t, scarf.Stock-2, h.stock(scarf.ID))

	t.Run("a stranger", func(t *testing.T) {
		for _, stranger := range []*browser{h.browser(mobileUA), {t: t, h: h, c: newClient(t), header: http.Header{}}} {
			res := stranger.post("/orders/"+orderNo+"/cancel", url.Values{})
			assert.Equal(t, http.StatusNotFound, res.StatusCode)
			assert.Contains(t, res.Body, "We could not find that page.")
		}
		assert.Equal(t, models.StatusPending, h.order(orderNo).Status)
		assert.Equal(t, scarf.Stock-2, h.stock(scarf.ID))
	})
	t.Run("from another site", func(t *testing.T) {
		res := b.request(http.MethodPost, "/orders/"+orderNo+"/cancel", url.Values{}, http.Header{"Sec-Fetch-Site": {"cross-site"}})
		assert.Equal(t, http.StatusForbidden, res.StatusCode)
		assert.Equal(t, models.StatusPending, h.order(orderNo).Status)
	})
	t.Run("the owner", func(t *testing.T) {
		res := b.post("/orders/"+orderNo+"/cancel", url.Values{})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		assert.Equal(t, "/orders/"+orderNo, res.location())

		o := h.order(orderNo)
		assert.Equal(t, models.StatusClosed, o.Status)
		assert.Equal(t, "cancelled by the shopper", o.CloseReason)
		assert.Equal(t, scarf.Stock, h.stock(scarf.ID), "stock back at once")
		page := b.get(res.location())
		assert.Contains(t, page.Body, "Your order was cancelled and nothing was charged.")
		assert.Contains(t, page.Body, `data-testid="order-status">Closed<`)
		assert.NotContains(t, page.Body, `/cancel"`, "nothing left to cancel")
		assert.Equal(t, banner{}, bannerOf(b.get("/").Body, orderNo))
		assert.Equal(t, "2", b.cartCount(), "the cart is kept")
	})
	t.Run("again", func(t *testing.T) {
		res := b.post("/orders/"+orderNo+"/cancel", url.Values{})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		assert.Contains(t, b.get(res.location()).Body, "This order can no longer be cancelled.")
		assert.Equal(t, scarf.Stock, h.stock(scarf.ID), "stock given back once")
	})
	t.Run("a paid order", func(t *testing.T) {
		paid := b.buy(scarf.ID, 1)
		h.markPaid(paid)
		res := b.post("/orders/"+paid+"/cancel", url.Values{})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		assert.Equal(t, models.StatusPaid, h.order(paid).Status)
	})
}

// TestSecondCheckout: checking out again while an order is unpaid
// replaces it with an order of the cart as it is now, unless Alipay's
// return said the first one was being paid, or it was paid meanwhile.
func TestSecondCheckout(t *testing.T) {
	t.Run("replaces the unpaid order", func(t *testing.T) {
		h := newHarness(t, options{})
		b := h.browser(desktopUA)
		scarf, mug := h.product("silk-scarf"), h.product("ceramic-mug")
		first := b.buy(scarf.ID, 1)
		require.Equal(t, http.StatusSeeOther, b.add(mug.ID, 1).StatusCode)

		res := b.post("/checkout", validContact(b.checkoutKey()))

		require.Equal(t, http.StatusSeeOther, res.StatusCode, res.Body)
		second := gatewayParams(t, h, res.location()).Get("out_trade_no")
		assert.NotEqual(t, first, second)
		assert.Equal(t, models.StatusClosed, h.order(first).Status)
		assert.Equal(t, "replaced by a new checkout", h.order(first).CloseReason)
		assert.Len(t, h.order(second).Lines, 2, "the cart as it is now")
		assert.Equal(t, scarf.Stock-1, h.stock(scarf.ID), "the first order's hold given back")
		assert.Equal(t, mug.Stock-1, h.stock(mug.ID))
		home := b.get("/").Body
		assert.Equal(t, banner{true, true, true}, bannerOf(home, second))
		assert.Equal(t, banner{shown: true}, bannerOf(home, first), "the banner is the second order's only")
	})
	t.Run("not while Alipay confirms a payment", func(t *testing.T) {
		h := newHarness(t, options{})
		b := h.browser(desktopUA)
		orderNo := b.buy(h.product("tea-set").ID, 1)
		ret := b.get("/alipay/return?" + h.returnQuery(h.order(orderNo), "TRADE_SUCCESS", nil))
		require.Equal(t, http.StatusSeeOther, ret.StatusCode)
		require.Equal(t, http.StatusOK, b.get(ret.location()).StatusCode)

		home := b.get("/").Body
		assert.Equal(t, banner{shown: true}, bannerOf(home, orderNo), "neither pay nor cancel while confirming")
		assert.Contains(t, home, "Alipay is confirming your payment of US$56.00.")
		res := b.post("/checkout", validContact(b.checkoutKey()))
		require.Equal(t, http.StatusSeeOther, res.StatusCode, res.Body)
		assert.Equal(t, "/orders/"+orderNo+"?confirming=1", res.location())
		assert.Equal(t, int64(1), h.orderCount())
		assert.Equal(t, models.StatusPending, h.order(orderNo).Status)
		assert.Contains(t, b.get(res.location()).Body, "Alipay is still confirming the payment of your last order.")
	})
	t.Run("not once paid", func(t *testing.T) {
		h := newHarness(t, options{})
		b := h.browser(desktopUA)
		orderNo := b.buy(h.product("tea-set").ID, 1)
		key := b.checkoutKey() // the form, shown before the payment arrives
		h.markPaid(orderNo)

		res := b.post("/checkout", validContact(key))

		require.Equal(t, http.StatusSeeOther, res.StatusCode, res.Body)
		assert.Equal(t, "/orders/"+orderNo, res.location())
		assert.Equal(t, int64(1), h.orderCount())
		assert.Equal(t, "0", b.cartCount())
	})
}

// TestPaidOrderLeavesLaterItems: the payment takes out of the cart what
// was bought, and nothing the shopper added since.
func TestPaidOrderLeavesLaterItems(t *testing.T) {
	h := newHarness(t, options{})
	b := h.browser(desktopUA)
	scarf, mug := h.product("silk-scarf"), h.product("ceramic-mug")
	orderNo := b.buy(scarf.ID, 2)
	require.Equal(t, http.StatusSeeOther, b.add(mug.ID, 1).StatusCode)
	require.Equal(t, http.StatusSeeOther, b.add(scarf.ID, 1).StatusCode)
	h.markPaid(orderNo)

	cart := b.get("/cart")

	assert.Contains(t, cart.Body, `data-testid="cart-count">2<`)
	assert.Contains(t, cart.Body, `data-testid="cart-total">US$57.00<`, "one scarf and the mug")
}
