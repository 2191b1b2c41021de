package handlers

import (
	"context"
	"encoding/csv"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/models"
	"shop/payment"
)

const bom = "\ufeff"

// readCSV checks that body starts with a byte order mark and parses the
// rest.
func readCSV(t *testing.T, body string) [][]string {
	t.Helper()
	require.True(t, strings.HasPrefix(body, bom), "a UTF-8 byte order mark first")
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, bom))).ReadAll()
	require.NoError(t, err)
	require.NotEmpty(t, rows)
	return rows
}

var wantCSVHeader = []string{"order_no", "created_at", "status", "currency", "total", "refunded", "trade_no",
	"name", "phone", "email", "address", "items", "flagged", "shipped_at", "carrier", "tracking_no"}

func TestAdminOrdersCSV(t *testing.T) {
	h, now := newListHarness(t)
	ctx := t.Context()
	address := `上海市黄浦区南京东路1号, "Lane 2"`
	o, created, err := h.db.CreateOrder(ctx, models.NewOrder{OwnerID: "owner-csv", Channel: "web", Currency: "USD",
		Items: []models.Item{{ProductID: h.product("silk-scarf").ID, Quantity: 2}, {ProductID: h.product("ceramic-mug").ID, Quantity: 1}},
		Name:  "王小明", Phone: "+86 138 0013 8000", Email: "wang@example.cn", Address: address, ExpiresAt: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	require.True(t, created)
	trade := payOrderAt(t, h, o, now.Add(-time.Hour))
	_, err = h.db.Ship(ctx, o.OrderNo, "SF Express", "SF1234567890", models.AuditEntry{Staff: "ann", Action: "ship"})
	require.NoError(t, err)
	h.createOrder() // pending: not in the paid export
	stored := h.order(o.OrderNo)
	staff := h.staff("ann")

	res := staff.get("/admin/orders.csv?status=paid")
	require.Equal(t, http.StatusOK, res.StatusCode, res.Body)
	assert.Equal(t, "text/csv; charset=utf-8", res.Header.Get("Content-Type"))
	assert.Equal(t, `attachment; filename="orders-`+now.Format(time.DateOnly)+`.csv"`, res.Header.Get("Content-Disposition"))
	assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
	rows := readCSV(t, res.Body)
	require.Len(t, rows, 2, "the header and the one paid order")
	assert.Equal(t, wantCSVHeader, rows[0])
	assert.Equal(t, []string{o.OrderNo, stored.CreatedAt.In(listZone).Format(time.RFC3339), "paid", "USD", "96.00", "0.00", trade,
		"王小明", "'+86 138 0013 8000", "wang@example.cn", address, "2 x Silk scarf; 1 x Speckled mug", "false",
		stored.ShippedAt.In(listZone).Format(time.RFC3339), "SF Express", "SF1234567890"}, rows[1])
	assert.Contains(t, stored.CreatedAt.In(listZone).Format(time.RFC3339), "+08:00", "in the merchant's zone")

	t.Run("audited", func(t *testing.T) {
		es, _, err := h.db.AuditLog(ctx, 1, 10)
		require.NoError(t, err)
		require.NotEmpty(t, es)
		assert.Equal(t, "export_orders", es[0].Action)
		assert.Equal(t, "ann", es[0].Staff)
		assert.Equal(t, "filters: status=paid", es[0].Detail)
		assert.Equal(t, "127.0.0.1", es[0].Remote)

		res := staff.get("/admin/orders.csv")
		require.Equal(t, http.StatusOK, res.StatusCode)
		assert.Len(t, readCSV(t, res.Body), 3, "every order without a filter")
		es, _, err = h.db.AuditLog(ctx, 1, 10)
		require.NoError(t, err)
		assert.Equal(t, "all orders", es[0].Detail)

		page := staff.get("/admin/audit")
		assert.Contains(t, page.Body, "<td><code>export_orders</code></td>")
	})
	t.Run("nothing selected is a header alone", func(t *testing.T) {
		res := staff.get("/admin/orders.csv?status=refunded")
		require.Equal(t, http.StatusOK, res.StatusCode)
		assert.Equal(t, [][]string{wantCSVHeader}, readCSV(t, res.Body))
	})
}

func TestAdminOrdersCSVNeutralisesFormulas(t *testing.T) {
	h, _ := newListHarness(t)
	tests := []struct{ name, value, want string }{
		{"equals", `=HYPERLINK("https://evil.example","Invoice")`, `'=HYPERLINK("https://evil.example","Invoice")`},
		{"plus, a phone number too", "+86 138 0013 8000", "'+86 138 0013 8000"},
		{"minus, a negative number too", "-42", "'-42"},
		{"at", "@SUM(A1:A9)", "'@SUM(A1:A9)"},
		{"tab", "\t=1+1", "'\t=1+1"},
		{"carriage return", "\r=1+1", "'\r=1+1"},
		{"plain text", "Ann Lee", "Ann Lee"},
		{"a sign further in", "Ann = Bob + 1", "Ann = Bob + 1"},
		{"empty", "", ""},
	}
	os := bulkOrders(t, h, len(tests), func(i int, o *models.Order) {
		v := tests[i].value
		o.Name, o.Phone, o.Address, o.Carrier, o.TrackingNo = v, v, v, v, v
		o.Email = "x@example.com"
	})
	res := h.staff("ann").get("/admin/orders.csv")
	require.Equal(t, http.StatusOK, res.StatusCode, res.Body)
	byNo := map[string][]string{}
	for _, r := range readCSV(t, res.Body)[1:] {
		byNo[r[0]] = r
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			row := byNo[os[i].OrderNo]
			require.Len(t, row, len(wantCSVHeader))
			for _, col := range []int{7, 8, 10, 14, 15} { // name, phone, address, carrier, tracking_no
				assert.Equal(t, tt.want, row[col], wantCSVHeader[col])
			}
		})
	}
}

// flushRecorder notes how much of the body had been written at each flush.
type flushRecorder struct {
	*httptest.ResponseRecorder
	at []int
}

func (r *flushRecorder) Flush() {
	r.at = append(r.at, r.Body.Len())
	r.ResponseRecorder.Flush()
}

// exportRequest is a GET of the export with the admin's session cookie.
func exportRequest(a *adminBrowser, query string) *http.Request {
	req := httptest.NewRequest(http.MethodGet, "/admin/orders.csv"+query, nil)
	req.AddCookie(&http.Cookie{Name: adminCookie, Value: a.token})
	return req
}

func TestAdminOrdersCSVStreams(t *testing.T) {
	h, _ := newListHarness(t)
	// More than two of EachOrder's batches of 200, all created in the same
	// instant, so that batches follow each other by id.
	const n = 450
	os := bulkOrders(t, h, n, func(i int, o *models.Order) {
		if i%2 == 0 {
			o.Status = models.StatusPaid
		}
	})
	staff := h.staff("ann")

	rec := &flushRecorder{ResponseRecorder: httptest.NewRecorder()}
	h.handler.ServeHTTP(rec, exportRequest(staff, ""))
	require.Equal(t, http.StatusOK, rec.Code)
	body := rec.Body.String()
	require.GreaterOrEqual(t, len(rec.at), n/csvFlushEvery, "flushed as it goes")
	assert.Positive(t, rec.at[0])
	assert.Less(t, rec.at[0], len(body)/2, "the first rows left before the last were read")
	assert.IsIncreasing(t, rec.at)

	rows := readCSV(t, body)
	require.Len(t, rows, n+1)
	seen := map[string]bool{}
	for _, r := range rows[1:] {
		assert.False(t, seen[r[0]], "%s twice", r[0])
		seen[r[0]] = true
	}
	for _, o := range os {
		assert.True(t, seen[o.OrderNo], "%s missing", o.OrderNo)
	}

	t.Run("over the network, filtered", func(t *testing.T) {
		res := staff.get("/admin/orders.csv?status=paid")
		require.Equal(t, http.StatusOK, res.StatusCode)
		assert.Empty(t, res.Header.Get("Content-Length"), "sent as it is written")
		rows := readCSV(t, res.Body)
		assert.Len(t, rows, n/2+1)
		for _, r := range rows[1:] {
			assert.Equal(t, "paid", r[2])
		}
	})
}

// failingExport is the store with an export that fails after `after`
// orders.
type failingExport struct {
	AdminStore
	after int
}

var errExportBroke = errors.New("disk on fire")

func (f failingExport) EachOrder(ctx context.Context, filter models.OrderFilter, fn func(*models.Order) error) error {
	n := 0
	err := f.AdminStore.EachOrder(ctx, filter, func(o *models.Order) error {
		if n == f.after {
			return errExportBroke
		}
		n++
		return fn(o)
	})
	if err == nil && n == f.after {
		err = errExportBroke
	}
	return err
}

func TestAdminOrdersCSVFailure(t *testing.T) {
	h, _ := newListHarness(t)
	bulkOrders(t, h, 250, nil)
	staff := h.staff("ann")
	serve := func(after int) *flushRecorder {
		cfg := h.cfg
		cfg.Admin = failingExport{AdminStore: h.db, after: after}
		srv, err := New(cfg)
		require.NoError(t, err)
		rec := &flushRecorder{ResponseRecorder: httptest.NewRecorder()}
		srv.Handler().ServeHTTP(rec, exportRequest(staff, ""))
		return rec
	}

	t.Run("before the first row: an error page", func(t *testing.T) {
		rec := serve(0)
		assert.Equal(t, http.StatusInternalServerError, rec.Code)
		assert.Contains(t, rec.Header().Get("Content-Type"), "text/html")
		assert.Empty(t, rec.Header().Get("Content-Disposition"))
		assert.NotContains(t, rec.Body.String(), "disk on fire")
	})
	t.Run("after rows were sent: the connection is cut", func(t *testing.T) {
		// A response that ends normally would pass for a whole file.
		assert.PanicsWithValue(t, http.ErrAbortHandler, func() { serve(210) })
	})
}

func TestCSVAmount(t *testing.T) {
	tests := []struct {
		minor int64
		cur   string
		want  string
	}{
		{9600, "USD", "96.00"},
		{5, "USD", "0.05"},
		{0, "USD", "0.00"},
		{1500, "JPY", "1500"},
		{0, "JPY", "0"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, csvAmount(tt.minor, payment.Currency(tt.cur)), "%d %s", tt.minor, tt.cur)
	}
}
