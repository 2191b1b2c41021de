package handlers

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
