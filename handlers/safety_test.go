package handlers

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/internal/testdb"
	"shop/models"
	"shop/payment"
)

// TestNoHoarding reproduces "one anonymous request reserves the whole
// catalog": an order listing every product at full stock. It is refused
// and reserves nothing; a client ordering again and again stops at its
// share of the stock, while another client can still buy.
func TestNoHoarding(t *testing.T) {
	h := newHarness(t, options{})
	all, err := h.db.Products(t.Context())
	require.NoError(t, err)
	before := map[uint]int{}
	var items []string
	for _, p := range all {
		before[p.ID] = p.Stock
		items = append(items, fmt.Sprintf(`{"product_id":%d,"quantity":%d}`, p.ID, min(p.Stock, models.MaxQuantity)))
	}

	res, out := h.apiCall(http.MethodPost, "/api/orders", `{"items":[`+strings.Join(items, ",")+`],"channel":"wap"}`, nil)
	assert.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	assert.Equal(t, "invalid_order", out["error"].(map[string]any)["code"])
	for id, stock := range before {
		assert.Equal(t, stock, h.stock(id), "nothing reserved")
	}

	// The same client, order after order of the most it may put in one.
	h.setStock(1, 1000)
	held, created := 0, 0
	for range 10 {
		res, _ := h.apiOrder(fmt.Sprintf(`{"items":[{"product_id":1,"quantity":%d}],"channel":"wap"}`, models.MaxQuantity), nil)
		if res.StatusCode != http.StatusCreated {
			assert.Equal(t, http.StatusTooManyRequests, res.StatusCode)
			assert.Contains(t, res.Body, `"code":"hold_limit"`)
			break
		}
		created++
		held += models.MaxQuantity
	}
	assert.Equal(t, models.MaxHeldUnits/models.MaxQuantity, created)
	assert.Equal(t, 1000-held, h.stock(1), "held: the client's share and no more")
	assert.LessOrEqual(t, held, models.MaxHeldUnits)

	// Another client (behind a trusted proxy here) still buys.
	cfg := h.cfg
	cfg.TrustedProxies = []string{"127.0.0.1"}
	srv, err := New(cfg)
	require.NoError(t, err)
	other := newClient(t)
	proxied := httptestServer(t, srv.Handler())
	req, err := http.NewRequest(http.MethodPost, proxied+"/api/orders",
		strings.NewReader(`{"items":[{"product_id":1,"quantity":1}],"channel":"wap"}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", "198.51.100.9")
	assert.Equal(t, http.StatusCreated, do(t, other, req).StatusCode)
}

// TestBodyLimits: no route reads more than it needs. Each oversized post
// is refused with 413 and changes nothing.
func TestBodyLimits(t *testing.T) {
	big := func(n int) string { return strings.Repeat("x", n) }
	tests := []struct {
		name, path, contentType, body string
	}{
		{"add to cart", "/cart/items", formType, "product_id=1&quantity=1&pad=" + big(formBodyLimit)},
		{"checkout", "/checkout", formType, "name=Ann&pad=" + big(formBodyLimit)},
		{"language switch", "/cart/items/1", formType, "quantity=1&pad=" + big(formBodyLimit)},
		{"API order", "/api/orders", "application/json", `{"items":[],"channel":"wap","pad":"` + big(apiBodyLimit) + `"}`},
		{"notification", "/alipay/notify", formType, "notify_id=1&pad=" + big(notifyLimit)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, options{})
			b := h.browser(desktopUA)
			req, err := http.NewRequest(http.MethodPost, h.ts.URL+tt.path, strings.NewReader(tt.body))
			require.NoError(t, err)
			req.Header.Set("Content-Type", tt.contentType)
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			res := do(t, b.c, req)
			assert.Equal(t, http.StatusRequestEntityTooLarge, res.StatusCode, res.Body)
			assert.Zero(t, h.orderCount())
			assert.Empty(t, h.notifications())
		})
	}
}

// TestForgedNotificationFloodIsBounded reproduces the disk flood: 1,000
// forged 60 KiB notifications. None is stored; the rejects are counted in
// one row, and the database grows by a few kilobytes, not 60 MB.
func TestForgedNotificationFloodIsBounded(t *testing.T) {
	h := newHarness(t, options{})
	o := h.createOrder()
	require.NoError(t, h.settler.Flush(t.Context()))
	// The growth is measured on SQLite's file (and its WAL); on
	// PostgreSQL the same assertions on what is stored hold.
	sqlite := !testdb.Postgres()
	size := func() int64 {
		if !sqlite {
			return 0
		}
		var n int64
		for _, suffix := range []string{"", "-wal"} {
			if fi, err := os.Stat(h.dbPath + suffix); err == nil {
				n += fi.Size()
			}
		}
		return n
	}
	checkpoint := func() {
		if sqlite {
			require.NoError(t, h.db.Gorm().Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error)
		}
	}
	checkpoint()
	before := size()
	p := sign(t, h.alipay, paidParams(o))
	p["total_fee"] = "0.01" // tampered: the signature no longer matches
	p["pad"] = strings.Repeat("A", 60<<10)
	body := p.Encode()
	require.Greater(t, len(body), 60<<10)

	const forged, senders = 1000, 8
	var wg sync.WaitGroup
	statuses := make(chan int, forged)
	for w := range senders {
		wg.Go(func() {
			for i := w; i < forged; i += senders {
				statuses <- h.postNotify(body, formType, nil).StatusCode
			}
		})
	}
	wg.Wait()
	close(statuses)
	for s := range statuses {
		require.Equal(t, http.StatusBadRequest, s)
	}
	require.NoError(t, h.settler.Flush(t.Context()))
	checkpoint()

	assert.Empty(t, h.notifications(), "no forged body is stored")
	rejects, err := h.db.Rejects(t.Context(), 0)
	require.NoError(t, err)
	require.Len(t, rejects, 1)
	assert.EqualValues(t, forged, rejects[0].Count)
	assert.Len(t, rejects[0].Sample, models.SampleLimit)
	growth := size() - before
	t.Logf("database growth after %d forged %d KiB notifications: %d bytes", forged, len(body)>>10, growth)
	assert.Less(t, growth, int64(64<<10))
	assert.Equal(t, models.StatusPending, h.order(o.OrderNo).Status)
}

// TestNotifyAcceptsAmountsInAnotherFormat: a genuine notification whose
// amount Alipay formats differently from the request (a JPY 1500.00) is
// compared by value and applied, not refused for 25 hours.
func TestNotifyAcceptsAmountsInAnotherFormat(t *testing.T) {
	h := newHarness(t, options{})
	o := h.createOrder()
	p := paidParams(o)
	p["total_fee"] = payment.Amount{Minor: o.TotalMinor, Currency: "USD"}.String() + "0" // "78.000"
	res := h.postNotify(sign(t, h.alipay, p).Encode(), formType, nil)
	assert.Equal(t, "success", res.Body)
	assert.Equal(t, models.StatusPaid, h.order(o.OrderNo).Status)
}
