package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/models"
	"shop/reconcile"
)

// apiOrder creates an order through the JSON API and returns its number
// and pay URL.
func apiOrder(t *testing.T, shop *testShop, body string) (orderNo, payURL string) {
	t.Helper()
	res, err := shop.http.Post(shop.URL+"/api/orders", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusCreated, res.StatusCode)
	var o struct {
		OrderNo string `json:"order_no"`
		PayURL  string `json:"pay_url"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&o))
	return o.OrderNo, o.PayURL
}

func putFaults(t *testing.T, shop *testShop, faults string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, shop.URL+"/sandbox/api/faults", strings.NewReader(faults))
	require.NoError(t, err)
	res, err := shop.http.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
}

func expireOrder(t *testing.T, shop *testShop, orderNo string, ago time.Duration) {
	t.Helper()
	err := shop.app.db.Gorm().Model(&models.Order{}).Where("order_no = ?", orderNo).
		Update("expires_at", time.Now().Add(-ago).UTC()).Error
	require.NoError(t, err)
}

func orderStatus(t *testing.T, shop *testShop, orderNo string) models.Status {
	t.Helper()
	o, err := shop.app.db.OrderByNo(context.Background(), orderNo)
	require.NoError(t, err)
	return o.Status
}

// TestReconcilePaysFromQuery: the buyer paid but every notification was
// rejected (corrupted signatures); once the order is past its expiry the
// reconciler asks single_trade_query and marks it paid from the verified
// answer.
func TestReconcilePaysFromQuery(t *testing.T) {
	shop := startShop(t, nil)
	putFaults(t, shop, `{"corrupt_sign":true}`)
	orderNo, payURL := apiOrder(t, shop, `{"items":[{"product_id":3,"quantity":1}],"channel":"wap"}`)
	b := newShopper(t, iPhone)
	res, body := b.do("GET", payURL, nil)
	cashier := follow(t, res, body)
	b.do("GET", cashier, nil)
	res, err := shop.http.Post(shop.URL+"/sandbox/api/trades/"+orderNo+"/pay", "application/json", nil)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)

	require.Eventually(t, func() bool {
		n := sandboxNotifications(t, shop, orderNo)
		return len(n) == 1 && len(n[0].Deliveries) > 0
	}, 10*time.Second, 20*time.Millisecond)
	assert.Equal(t, models.StatusPending, orderStatus(t, shop, orderNo), "a forged notification must not pay")

	putFaults(t, shop, `{}`)
	expireOrder(t, shop, orderNo, reconcile.Grace+time.Minute)
	require.NoError(t, shop.app.reconciler.Once(context.Background()))
	assert.Equal(t, models.StatusPaid, orderStatus(t, shop, orderNo))
}

// TestReconcileClosesUnpaid: an order whose buyer never opened the cashier
// is closed once past its expiry (plus grace) and its stock given back;
// one still inside the grace period is left alone.
func TestReconcileClosesUnpaid(t *testing.T) {
	shop := startShop(t, nil)
	ctx := context.Background()
	before, err := shop.app.db.ProductsByID(ctx, []uint{4})
	require.NoError(t, err)
	fresh, _ := apiOrder(t, shop, `{"items":[{"product_id":4,"quantity":2}],"channel":"web"}`)
	old, _ := apiOrder(t, shop, `{"items":[{"product_id":4,"quantity":1}],"channel":"web"}`)
	expireOrder(t, shop, fresh, time.Minute)
	expireOrder(t, shop, old, time.Hour)

	require.NoError(t, shop.app.reconciler.Once(ctx))
	assert.Equal(t, models.StatusPending, orderStatus(t, shop, fresh), "within the grace period")
	assert.Equal(t, models.StatusClosed, orderStatus(t, shop, old))
	after, err := shop.app.db.ProductsByID(ctx, []uint{4})
	require.NoError(t, err)
	assert.Equal(t, before[4].Stock-2, after[4].Stock, "only the closed order's unit is back")
}
