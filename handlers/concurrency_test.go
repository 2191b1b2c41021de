package handlers

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/models"
)

// TestNotifyConcurrentCopies sends 64 copies of one valid notification at
// once: exactly one marks the order paid.
func TestNotifyConcurrentCopies(t *testing.T) {
	const copies = 64
	h := newHarness(t, options{})
	o := h.createOrder()
	body := sign(t, h.alipay, paidParams(o)).Encode()

	type answer struct {
		status int
		body   string
		err    error
	}
	answers := make([]answer, copies)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range copies {
		wg.Go(func() {
			<-start
			res, err := h.http.Post(h.ts.URL+"/alipay/notify", formType, strings.NewReader(body))
			if err != nil {
				answers[i].err = err
				return
			}
			defer res.Body.Close()
			b, err := io.ReadAll(res.Body)
			answers[i].status, answers[i].body, answers[i].err = res.StatusCode, string(b), err
		})
	}
	close(start)
	wg.Wait()

	for i, a := range answers {
		require.NoError(t, a.err, "copy %d", i)
		assert.Equal(t, http.StatusOK, a.status, "copy %d", i)
		assert.Equal(t, "success", a.body, "copy %d", i)
	}
	verdicts := map[models.Verdict]int{}
	for _, n := range h.notifications() {
		verdicts[n.Verdict]++
	}
	assert.Equal(t, map[models.Verdict]int{models.VerdictPaid: 1, models.VerdictDuplicate: copies - 1}, verdicts)
	after := h.order(o.OrderNo)
	assert.Equal(t, models.StatusPaid, after.Status)
	assert.False(t, after.Flagged)
}

// TestCheckoutLastItem: N shoppers check out the last unit at once; one
// gets it, the others a 409 page, and stock never goes negative.
func TestCheckoutLastItem(t *testing.T) {
	const shoppers = 8
	h := newHarness(t, options{})
	pin := h.product("enamel-pin")
	h.setStock(pin.ID, 1)
	browsers := make([]*browser, shoppers)
	forms := make([]url.Values, shoppers)
	for i := range browsers {
		browsers[i] = h.browser(mobileUA)
		require.Equal(t, http.StatusSeeOther, browsers[i].add(pin.ID, 1).StatusCode)
		forms[i] = validContact(browsers[i].checkoutKey())
	}

	answers := make([]*response, shoppers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range browsers {
		wg.Go(func() {
			<-start
			answers[i] = browsers[i].post("/checkout", forms[i])
		})
	}
	close(start)
	wg.Wait()

	statuses := map[int]int{}
	for _, res := range answers {
		statuses[res.StatusCode]++
		if res.StatusCode == http.StatusConflict {
			assert.Contains(t, res.Body, "Not enough stock")
			assert.Equal(t, "text/html; charset=utf-8", res.Header.Get("Content-Type"))
		}
	}
	assert.Equal(t, map[int]int{http.StatusSeeOther: 1, http.StatusConflict: shoppers - 1}, statuses)
	assert.Equal(t, int64(1), h.orderCount())
	assert.Equal(t, 0, h.stock(pin.ID))
	var orders []models.Order
	require.NoError(t, h.db.Gorm().Find(&orders).Error)
	require.Len(t, orders, 1)
	assert.Equal(t, models.StatusPending, orders[0].Status)
}
