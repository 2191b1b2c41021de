package handlers

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/models"
)

// listZone is the merchant's zone in the tests of the admin's lists:
// eight hours ahead of UTC, so that its days are not UTC's.
var listZone = time.FixedZone("CST", 8*3600)

// newListHarness is a harness whose merchant is in listZone and whose
// clock stands at noon on 15 March of next year there: "today", "this
// month" and "last month" are then days apart whatever the day the tests
// run on.
func newListHarness(t *testing.T) (*harness, time.Time) {
	t.Helper()
	h := newHarness(t, options{})
	h.srv.loc = listZone // before the first request
	now := time.Date(time.Now().Year()+1, 3, 15, 12, 0, 0, 0, listZone)
	h.clock.Advance(now.Sub(h.clock.Now()))
	return h, now
}

// payOrderAt marks o paid at `at`, as a verified notification does, and
// returns the Alipay trade number.
func payOrderAt(t *testing.T, h *harness, o *models.Order, at time.Time) string {
	t.Helper()
	tn := tradeNo()
	v, _, err := h.db.ApplyPayment(t.Context(), listNotification(o.OrderNo, tn, at, ""),
		models.Payment{OrderNo: o.OrderNo, TradeNo: tn, Event: models.EventPaid, AmountMinor: o.TotalMinor, Currency: o.Currency, At: at})
	require.NoError(t, err)
	require.Equal(t, models.VerdictPaid, v)
	return tn
}

// listNotification is a raw notification received at `at`; body "" is a
// plausible one.
func listNotification(orderNo, tradeNo string, at time.Time, body string) *models.Notification {
	if body == "" {
		body = "out_trade_no=" + orderNo + "&trade_no=" + tradeNo + "&trade_status=TRADE_FINISHED"
	}
	return &models.Notification{ReceivedAt: at, RemoteAddr: "110.75.1.1", ContentType: formType, Body: body,
		NotifyID: randomHex(8), OutTradeNo: orderNo, TradeNo: tradeNo, TradeStatus: "TRADE_FINISHED"}
}

// bulkOrders writes n orders straight into the table, each with one line
// of mug (far quicker than checkouts); fill sets what a test is about.
func bulkOrders(t *testing.T, h *harness, n int, fill func(i int, o *models.Order)) []models.Order {
	t.Helper()
	mug := h.product("ceramic-mug")
	created := h.clock.Now().Add(-time.Hour).UTC()
	orders := make([]models.Order, n)
	for i := range orders {
		orders[i] = models.Order{OrderNo: fmt.Sprintf("T%04d%s", i, strings.ToUpper(randomHex(8))), OwnerID: "owner",
			Channel: models.ChannelWeb, Status: models.StatusPending, Currency: "USD", TotalMinor: mug.PriceMinor,
			Name: "Someone", Email: "someone@example.com", Address: "1 Main Street",
			ExpiresAt: created.Add(30 * time.Minute), CreatedAt: created, UpdatedAt: created,
			Lines: []models.OrderLine{{ProductID: mug.ID, Name: mug.Name, UnitMinor: mug.PriceMinor, Quantity: 1}}}
		if fill != nil {
			fill(i, &orders[i])
		}
		orders[i].CreatedAt = orders[i].CreatedAt.UTC() // stored times are UTC, compared as text
	}
	require.NoError(t, h.db.Gorm().CreateInBatches(&orders, 100).Error)
	return orders
}

var (
	orderRowRE = regexp.MustCompile(`<tr data-order="([^"]+)"`)
	nextRE     = regexp.MustCompile(`<a href="([^"]+)" rel="next"`)
	prevRE     = regexp.MustCompile(`<a href="([^"]+)" rel="prev"`)
)

// listed returns the order numbers an orders page lists, in order.
func listed(body string) []string {
	var out []string
	for _, m := range orderRowRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// link returns the page link re finds in body, or "".
func link(re *regexp.Regexp, body string) string {
	if m := re.FindStringSubmatch(body); m != nil {
		return html.UnescapeString(m[1])
	}
	return ""
}

func TestAdminPagesNeedASession(t *testing.T) {
	h, _ := newListHarness(t)
	staff := h.staff("ann")
	zh := h.staff("li")
	zh.header.Set("Accept-Language", "zh-CN,zh;q=0.9")
	stranger := h.browser(desktopUA)
	tests := []struct {
		path   string
		html   bool
		en, cn string // a heading in each language
	}{
		{"/admin", true, "Dashboard", "概览"},
		{"/admin/orders", true, "Orders", "订单"},
		{"/admin/orders.csv", false, "", ""},
		{"/admin/notifications", true, "Notifications", "支付通知"},
		{"/admin/audit", true, "Audit log", "操作日志"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res := stranger.get(tt.path)
			assert.Equal(t, http.StatusSeeOther, res.StatusCode)
			assert.Equal(t, "/admin/login?next="+url.QueryEscape(tt.path), res.location())

			res = staff.get(tt.path)
			require.Equal(t, http.StatusOK, res.StatusCode, res.Body)
			assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
			assert.NotContains(t, res.Body, "<script")
			if !tt.html {
				return
			}
			assert.Contains(t, res.Body, `<html lang="en">`)
			assert.Contains(t, res.Body, "<h1>"+tt.en+"</h1>")

			res = zh.get(tt.path)
			require.Equal(t, http.StatusOK, res.StatusCode, res.Body)
			assert.Contains(t, res.Body, `<html lang="zh-Hans">`)
			assert.Contains(t, res.Body, "<h1>"+tt.cn+"</h1>")
		})
	}
}

func TestAdminDashboard(t *testing.T) {
	h, now := newListHarness(t)
	ctx := t.Context()
	y := now.Year()
	local := func(m time.Month, d, hour, min int) time.Time { return time.Date(y, m, d, hour, min, 0, 0, listZone) }
	buy := func(slug string) *models.Order {
		return h.createOrder(models.Item{ProductID: h.product(slug).ID, Quantity: 1})
	}
	// Today: a mug at 10:00, a notebook at 00:30, a tote at 11:00 refunded
	// in full at 11:30. This month: a wallet on the 3rd and a beanie at
	// 23:30 yesterday. Last month: an adapter on 20 February.
	mug, notebook, tote := buy("ceramic-mug"), buy("bamboo-notebook"), buy("canvas-tote")
	payOrderAt(t, h, mug, local(3, 15, 10, 0))
	payOrderAt(t, h, notebook, local(3, 15, 0, 30))
	payOrderAt(t, h, tote, local(3, 15, 11, 0))
	r, err := h.db.StartRefund(ctx, tote.OrderNo, tote.TotalMinor, "test", false, models.AuditEntry{Staff: "ann", Action: "refund"})
	require.NoError(t, err)
	_, err = h.db.FinishRefund(ctx, r.OutReturnNo, true, "", "")
	require.NoError(t, err)
	require.NoError(t, h.db.Gorm().Model(&models.Refund{}).Where("id = ?", r.ID).Update("updated_at", local(3, 15, 11, 30).UTC()).Error)
	wallet, beanie, adapter := buy("leather-wallet"), buy("wool-beanie"), buy("travel-adapter")
	payOrderAt(t, h, wallet, local(3, 3, 9, 0))
	payOrderAt(t, h, beanie, local(3, 14, 23, 30))
	payOrderAt(t, h, adapter, local(2, 20, 12, 0))
	// Unpaid; one of them with a payment of the wrong amount, for a person.
	buy("postcard-set")
	odd := buy("chocolate-box")
	v, _, err := h.db.ApplyPayment(ctx, listNotification(odd.OrderNo, "T-odd", now, ""),
		models.Payment{OrderNo: odd.OrderNo, TradeNo: "T-odd", Event: models.EventPaid, AmountMinor: odd.TotalMinor + 1, Currency: "USD", At: now})
	require.NoError(t, err)
	require.Equal(t, models.VerdictMismatch, v)
	plant := buy("desk-plant")
	v, _, err = h.db.ApplyPayment(ctx, listNotification(plant.OrderNo, "T-plant", now, ""),
		models.Payment{OrderNo: plant.OrderNo, TradeNo: "T-plant", Event: models.EventClosed, Currency: "USD", At: now})
	require.NoError(t, err)
	require.Equal(t, models.VerdictClosed, v)

	res := h.staff("ann").get("/admin")
	require.Equal(t, http.StatusOK, res.StatusCode, res.Body)
	body := res.Body
	today := mug.TotalMinor + notebook.TotalMinor + tote.TotalMinor
	month := today + wallet.TotalMinor + beanie.TotalMinor
	usd := func(minor int64) string { return formatPrice(minor, "USD") }

	t.Run("figures", func(t *testing.T) {
		tests := []struct{ name, want string }{
			{"paid today", `data-testid="paid-today">` + usd(today) + `</strong><span class="muted">3 orders`},
			{"paid this month", `data-testid="paid-month">` + usd(month) + `</strong><span class="muted">5 orders`},
			{"refunded this month", `data-testid="refunded-month">` + usd(tote.TotalMinor) + `<`},
			{"needs a person", `<a href="/admin/reviews">Needs a person<strong data-testid="need-person">1</strong>`},
			{"pending", `<a href="/admin/orders?status=pending">Waiting for payment<strong>2</strong>`},
			{"paid", `<a href="/admin/orders?status=paid">Paid<strong>5</strong>`},
			{"refunded", `<a href="/admin/orders?status=refunded">Refunded<strong>1</strong>`},
			{"closed", `<a href="/admin/orders?status=closed">Closed<strong>1</strong>`},
		}
		for _, tt := range tests {
			assert.Contains(t, body, tt.want, tt.name)
		}
	})
	t.Run("chart", func(t *testing.T) {
		start := strings.Index(body, "<svg")
		end := strings.Index(body, "</svg>")
		require.True(t, start >= 0 && end > start, "an inline SVG")
		svg := body[start:end]
		assert.Contains(t, svg, `role="img"`)
		first := now.AddDate(0, 0, -29).Format(time.DateOnly)
		summary := fmt.Sprintf("Daily sales of the last 30 days, %s to %d-03-15: %s in all; the best day was %d-03-15 with %s.",
			first, y, usd(month+adapter.TotalMinor), y, usd(today))
		assert.Contains(t, svg, `aria-label="`+summary+`"`)
		assert.Contains(t, svg, "<title>"+summary+"</title>")
		assert.Equal(t, 30, strings.Count(svg, `<rect class="bar"`))
		assert.Equal(t, 31, strings.Count(svg, "<title>"), "the chart's and one per bar")
		for _, want := range []string{
			fmt.Sprintf("<title>%d-03-15: %s from 3 orders</title>", y, usd(today)),
			fmt.Sprintf("<title>%d-03-14: %s from 1 order</title>", y, usd(beanie.TotalMinor)),
			fmt.Sprintf("<title>%d-02-20: %s from 1 order</title>", y, usd(adapter.TotalMinor)),
			fmt.Sprintf("<title>%d-02-21: US$0.00 from 0 orders</title>", y),
			// A date every week back from today.
			">Mar 15</text>", ">Mar 8</text>", ">" + now.AddDate(0, 0, -28).Format("Jan 2") + "</text>",
			">US$0.00</text>",
		} {
			assert.Contains(t, svg, want)
		}
		assert.NotContains(t, body, "<script")
		assert.NotContains(t, body, "http://", "no CDN or remote resource")
	})
}

func TestSalesChartGeometry(t *testing.T) {
	day := func(d int, minor int64) models.DaySales {
		return models.DaySales{Day: time.Date(2027, 3, d, 0, 0, 0, 0, listZone), Minor: minor, Orders: 1}
	}
	tests := []struct {
		name    string
		days    []models.DaySales
		heights []int
		ticks   []string
	}{
		{"scaled to a round top", []models.DaySales{day(1, 1234), day(2, 0), day(3, 617)},
			[]int{165, 0, 82}, []string{"US$0.00", "US$5.00", "US$10.00", "US$15.00"}},
		{"the best day at the top", []models.DaySales{day(1, 1000), day(2, 500)},
			[]int{200, 100}, []string{"US$0.00", "US$5.00", "US$10.00"}},
		{"a tiny sale still shows", []models.DaySales{day(1, 1_000_000), day(2, 1)},
			[]int{200, 1}, []string{"US$0.00", "US$5,000.00", "US$10,000.00"}},
		{"no sales", []models.DaySales{day(1, 0), day(2, 0)}, []int{0, 0}, []string{"US$0.00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := newSalesChart(tt.days, "USD", english)
			var heights []int
			for _, b := range ch.Bars {
				heights = append(heights, b.H)
				assert.Equal(t, ch.Base, b.Y+b.H, "every bar stands on the baseline")
				assert.GreaterOrEqual(t, b.X, ch.Left)
				assert.LessOrEqual(t, b.X+b.W, ch.Right)
			}
			assert.Equal(t, tt.heights, heights)
			var ticks []string
			for _, tk := range ch.Ticks {
				ticks = append(ticks, tk.Label)
				assert.True(t, tk.Y >= ch.Top && tk.Y <= ch.Base)
			}
			assert.Equal(t, tt.ticks, ticks)
			assert.NotEmpty(t, ch.Summary)
		})
	}
}

func TestAdminOrdersFilters(t *testing.T) {
	h, now := newListHarness(t)
	y := now.Year()
	at := func(m time.Month, d, hour, min int) time.Time { return time.Date(y, m, d, hour, min, 0, 0, listZone) }
	trade := "2027030122001400000000000001"
	shipped := at(3, 2, 9, 0).UTC()
	os := bulkOrders(t, h, 5, func(i int, o *models.Order) {
		switch i {
		case 0:
			o.Status, o.TradeNo, o.CreatedAt, o.ShippedAt, o.Carrier = models.StatusPaid, &trade, at(3, 1, 10, 0), &shipped, "SF"
			o.Name, o.Phone, o.Email = "Wang Xiaoming", "+86 138 0013 8000", "wang@example.cn"
		case 1:
			o.CreatedAt, o.Name, o.Email = at(3, 10, 23, 30), "Ann Lee", "ann@example.com"
		case 2:
			o.Status, o.CreatedAt, o.Name, o.Phone, o.Email = models.StatusClosed, at(3, 11, 0, 30), "王小明", "13900139000", ""
		case 3:
			o.Status, o.CreatedAt, o.Flagged, o.FlagReason = models.StatusPaid, at(3, 14, 8, 0), true, "Amount mismatch"
			o.Name, o.Email = "Bob 50% off_sale", "bob@example.org"
		case 4:
			o.Status, o.CreatedAt, o.Name = models.StatusRefunded, at(2, 27, 12, 0), "Eve"
		}
	})
	a, b, c, d, e := os[0].OrderNo, os[1].OrderNo, os[2].OrderNo, os[3].OrderNo, os[4].OrderNo
	day := func(m time.Month, d int) string {
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	}
	staff := h.staff("ann")

	tests := []struct {
		name  string
		query url.Values
		want  []string
	}{
		{"no filter, newest first", nil, []string{d, c, b, a, e}},
		{"status", url.Values{"status": {"paid"}}, []string{d, a}},
		{"from a day, in the merchant's zone", url.Values{"from": {day(3, 11)}}, []string{d, c}},
		{"to a day, that day included", url.Values{"to": {day(3, 10)}}, []string{b, a, e}},
		{"one day", url.Values{"from": {day(3, 10)}, "to": {day(3, 10)}}, []string{b}},
		{"order number", url.Values{"q": {a}}, []string{a}},
		{"order number in lower case", url.Values{"q": {strings.ToLower(a)}}, []string{a}},
		{"Alipay trade_no", url.Values{"q": {trade}}, []string{a}},
		{"name in part", url.Values{"q": {"xiaoming"}}, []string{a}},
		{"Chinese name", url.Values{"q": {"小明"}}, []string{c}},
		{"phone in part", url.Values{"q": {"138 0013"}}, []string{a}},
		{"e-mail in part", url.Values{"q": {"@example.org"}}, []string{d}},
		{"wildcards are literal", url.Values{"q": {"%"}}, []string{d}},
		{"needs review", url.Values{"review": {"1"}}, []string{d}},
		{"review off", url.Values{"review": {"0"}}, []string{d, c, b, a, e}},
		{"all together", url.Values{"status": {"paid"}, "from": {day(3, 1)}, "to": {day(3, 14)}, "q": {"example"}, "review": {"1"}}, []string{d}},
		{"search within a status", url.Values{"status": {"closed"}, "q": {"Ann"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := staff.get("/admin/orders?" + tt.query.Encode())
			require.Equal(t, http.StatusOK, res.StatusCode, res.Body)
			assert.Equal(t, tt.want, listed(res.Body))
			assert.Contains(t, res.Body, fmt.Sprintf(`data-testid="order-total">%d order`, len(tt.want)))
			if len(tt.want) == 0 {
				assert.Contains(t, res.Body, `data-testid="no-orders"`)
			}
			// The form shows the filters back, and the export has them.
			for _, k := range []string{"from", "to", "q"} {
				if v := tt.query.Get(k); v != "" {
					assert.Contains(t, res.Body, fmt.Sprintf(`name=%q value="%s"`, k, html.EscapeString(v)))
				}
			}
			csv := link(regexp.MustCompile(`<a href="([^"]+)" data-testid="csv-link"`), res.Body)
			u, err := url.Parse(csv)
			require.NoError(t, err)
			assert.Equal(t, "/admin/orders.csv", u.Path)
			for k := range tt.query {
				if k == "review" && tt.query.Get(k) == "0" {
					assert.Empty(t, u.Query().Get(k), "off is the default")
					continue
				}
				assert.Equal(t, tt.query.Get(k), u.Query().Get(k), k)
			}
		})
	}

	t.Run("a row", func(t *testing.T) {
		res := staff.get("/admin/orders")
		require.Equal(t, http.StatusOK, res.StatusCode)
		body := html.UnescapeString(res.Body) // html/template writes + as &#43;
		row := body[strings.Index(body, `<tr data-order="`+a+`"`):]
		row = row[:strings.Index(row, "</tr>")]
		for _, want := range []string{
			`<a href="/admin/orders/` + a + `">` + a + `</a>`,
			"<td>" + at(3, 1, 10, 0).Format("2006-01-02 15:04") + "</td>",
			"<td>Paid</td>", `<td class="num">US$18.00</td>`, "<td>Wang Xiaoming</td>",
			"<td>+86 138 0013 8000, wang@example.cn</td>", "Shipped " + day(3, 2),
		} {
			assert.Contains(t, row, want)
		}
		assert.NotContains(t, row, `data-testid="flagged"`)
		flagged := body[strings.Index(body, `<tr data-order="`+d+`"`):]
		assert.Contains(t, flagged[:strings.Index(flagged, "</tr>")], `title="Amount mismatch" data-testid="flagged"`)
		assert.Contains(t, body, "Times are in CST (UTC+08:00).")
		assert.Contains(t, body, `class="table-wrap"`, "the table scrolls sideways on a phone")
	})
}

func TestAdminOrdersPages(t *testing.T) {
	h, _ := newListHarness(t)
	start := h.clock.Now().Add(-48 * time.Hour)
	bulkOrders(t, h, 130, func(i int, o *models.Order) {
		o.CreatedAt = start.Add(time.Duration(i) * time.Minute)
		if i < 120 {
			o.Status, o.Name = models.StatusPaid, "Page Test"
		}
	})
	staff := h.staff("ann")
	first := "/admin/orders?" + url.Values{"status": {"paid"}, "q": {"page test"}, "review": {"0"}}.Encode()

	seen := map[string]bool{}
	path := first
	for i, want := range []int{50, 50, 20} {
		res := staff.get(path)
		require.Equal(t, http.StatusOK, res.StatusCode, res.Body)
		rows := listed(res.Body)
		assert.Len(t, rows, want, "page %d", i+1)
		for _, no := range rows {
			assert.False(t, seen[no], "%s on two pages", no)
			seen[no] = true
		}
		assert.Contains(t, res.Body, "120 orders")
		assert.Contains(t, res.Body, fmt.Sprintf("Page %d of 3", i+1))
		if i > 0 {
			prev, err := url.Parse(link(prevRE, res.Body))
			require.NoError(t, err)
			assert.Equal(t, url.Values{"status": {"paid"}, "q": {"page test"}, "page": {fmt.Sprint(i)}}, prev.Query(), "the filters are kept")
		} else {
			assert.Empty(t, link(prevRE, res.Body))
		}
		next := link(nextRE, res.Body)
		if i == 2 {
			assert.Empty(t, next)
			break
		}
		u, err := url.Parse(next)
		require.NoError(t, err)
		assert.Equal(t, "/admin/orders", u.Path)
		assert.Equal(t, url.Values{"status": {"paid"}, "q": {"page test"}, "page": {fmt.Sprint(i + 2)}}, u.Query(), "the filters are kept")
		path = next
	}
	assert.Len(t, seen, 120)

	t.Run("past the last page", func(t *testing.T) {
		res := staff.get(first + "&page=9")
		require.Equal(t, http.StatusOK, res.StatusCode)
		assert.Empty(t, listed(res.Body))
		assert.Contains(t, link(prevRE, res.Body), "page=3", "back to the last page")
	})
}

func TestAdminOrdersBadFilters(t *testing.T) {
	h, _ := newListHarness(t)
	staff := h.staff("ann")
	filters := []string{"/admin/orders", "/admin/orders.csv"}
	lists := []string{"/admin/orders", "/admin/notifications", "/admin/audit"}
	tests := []struct {
		name, query, msg string
		paths            []string
	}{
		{"unknown status", "status=shipped", "Choose a status from the list.", filters},
		{"status in capitals", "status=PAID", "Choose a status from the list.", filters},
		{"date in another format", "from=03/01/2027", "Write dates as YYYY-MM-DD", filters},
		{"impossible date", "to=2027-02-30", "Write dates as YYYY-MM-DD", filters},
		{"from after to", "from=2027-03-02&to=2027-03-01", "The start date must not be after the end date.", filters},
		{"review not a flag", "review=yes", "filter is either on (1) or off.", filters},
		{"search too long", "q=" + strings.Repeat("x", 201), "A search is at most 200 characters", filters},
		{"page zero", "page=0", "A page number is a whole number from 1 to 100,000.", lists},
		{"negative page", "page=-1", "A page number is a whole number", lists},
		{"page not a number", "page=two", "A page number is a whole number", lists},
		{"absurd page", "page=99999999999999999999", "A page number is a whole number", lists},
		{"page past the bound", "page=100001", "A page number is a whole number", lists},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, path := range tt.paths {
				res := staff.get(path + "?" + tt.query)
				assert.Equal(t, http.StatusUnprocessableEntity, res.StatusCode, path)
				assert.Contains(t, res.Body, html.EscapeString(tt.msg), path)
				assert.Contains(t, res.Header.Get("Content-Type"), "text/html", path)
			}
		})
	}
	t.Run("in Chinese", func(t *testing.T) {
		staff.header.Set("Accept-Language", "zh")
		res := staff.get("/admin/orders?from=yesterday")
		assert.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		assert.Contains(t, res.Body, "日期格式须为 YYYY-MM-DD")
	})
}

func TestAdminNotifications(t *testing.T) {
	h, now := newListHarness(t)
	ctx := t.Context()
	require.NoError(t, h.db.RecordRejects(ctx, "signature", 3, now.Add(-time.Hour), "203.0.113.9", "sign=forged&x=<i>hi</i>"))
	o := h.createOrder()
	tn := tradeNo()
	raw := "out_trade_no=" + o.OrderNo + "&subject=<script>alert(1)</script>&trade_no=" + tn
	_, _, err := h.db.ApplyPayment(ctx, listNotification(o.OrderNo, tn, now.Add(-2*time.Hour), raw),
		models.Payment{OrderNo: o.OrderNo, TradeNo: tn, Event: models.EventPaid, AmountMinor: o.TotalMinor, Currency: "USD", At: now})
	require.NoError(t, err)
	_, _, err = h.db.ApplyPayment(ctx, listNotification("NOSUCHORDER", "T-unknown", now.Add(-time.Minute), ""),
		models.Payment{OrderNo: "NOSUCHORDER", TradeNo: "T-unknown", Event: models.EventPaid, AmountMinor: 100, Currency: "USD", At: now})
	require.NoError(t, err)

	res := h.staff("ann").get("/admin/notifications")
	require.Equal(t, http.StatusOK, res.StatusCode, res.Body)
	body := res.Body

	t.Run("rejected tallies", func(t *testing.T) {
		rejects := body[strings.Index(body, `data-testid="rejects"`):]
		rejects = rejects[:strings.Index(rejects, "</table>")]
		hour := now.Add(-time.Hour).Truncate(time.Hour).Format("2006-01-02 15:04")
		for _, want := range []string{"<td>" + hour + "</td>", "<code>signature</code>", "The signature did not verify.",
			`<td class="num">3</td>`, "<td>203.0.113.9</td>", "sign=forged&amp;x=&lt;i&gt;hi&lt;/i&gt;"} {
			assert.Contains(t, rejects, want)
		}
	})
	t.Run("stored notifications", func(t *testing.T) {
		assert.Contains(t, body, "2 notifications")
		assert.NotContains(t, body, "<script")
		assert.Contains(t, body, `<pre data-testid="raw-body">`+html.EscapeString(raw)+"</pre>", "the raw body, escaped")
		assert.Contains(t, body, `<a href="/admin/orders/`+o.OrderNo+`">`+o.OrderNo+"</a>")
		assert.Contains(t, body, "This notification marked the order paid.")
		assert.Contains(t, body, "<td>"+now.Add(-2*time.Hour).Format("2006-01-02 15:04:05")+"</td>")
		assert.Contains(t, body, "NOSUCHORDER")
		assert.NotContains(t, body, `href="/admin/orders/NOSUCHORDER"`, "no link to an order that does not exist")
		assert.Contains(t, body, "No order has this number")
		assert.Less(t, strings.Index(body, "NOSUCHORDER"), strings.Index(body, "/admin/orders/"+o.OrderNo), "newest first")
	})
	t.Run("every verdict has its sentence", func(t *testing.T) {
		for _, v := range []models.Verdict{models.VerdictPaid, models.VerdictDuplicate, models.VerdictClosed,
			models.VerdictIgnored, models.VerdictUnknownOrder, models.VerdictMismatch, models.VerdictAfterClose,
			models.VerdictSecondPayment, models.VerdictRejected, models.VerdictDeferred, models.VerdictUnbound,
			models.VerdictStale, models.VerdictUnreadable} {
			key, ok := verdictKeys[v]
			if assert.True(t, ok, v) {
				assert.NotEqual(t, key, english.T(key))
				assert.NotEqual(t, key, chinese.T(key))
			}
		}
	})
}

func TestAdminAudit(t *testing.T) {
	h, now := newListHarness(t)
	for i := range 55 {
		require.NoError(t, h.db.Audit(context.Background(), models.AuditEntry{At: now.Add(-time.Duration(55-i) * time.Minute),
			Staff: "ann", Action: "ship", Target: fmt.Sprintf("ORDER%02d", i), Detail: "shipped with <SF>", Remote: "198.51.100.7"}))
	}
	staff := h.staff("bob")

	res := staff.get("/admin/audit")
	require.Equal(t, http.StatusOK, res.StatusCode, res.Body)
	rows := strings.Count(res.Body, "<td><code>ship</code></td>")
	assert.Equal(t, 50, rows)
	first := res.Body[strings.Index(res.Body, "<tbody>"):]
	first = first[:strings.Index(first, "</tr>")]
	for _, want := range []string{"<td>" + now.Add(-time.Minute).Format("2006-01-02 15:04:05") + "</td>", "<td>ann</td>",
		"<td>ORDER54</td>", `<td class="wrap">shipped with &lt;SF&gt;</td>`, "<td>198.51.100.7</td>"} {
		assert.Contains(t, first, want, "the newest first")
	}
	assert.Contains(t, res.Body, "55 entries")
	next := link(nextRE, res.Body)
	assert.Equal(t, "/admin/audit?page=2", next)

	res = staff.get(next)
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, 5, strings.Count(res.Body, "<td><code>ship</code></td>"))
	assert.Contains(t, res.Body, "<td>ORDER00</td>")
	assert.Equal(t, "/admin/audit?page=1", link(prevRE, res.Body))
}
