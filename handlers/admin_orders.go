package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"shop/models"
	"shop/payment"
)

// The merchant's reading pages: the dashboard, the order list and its CSV
// export, the notifications received and the audit log.

const (
	adminPerPage = 50      // rows per page of every admin list
	maxPage      = 100_000 // beyond this a page number is a mistake, not a request
	maxQueryLen  = 200     // characters of the order search
	chartDays    = 30      // days in the dashboard's sales chart
	rejectRows   = 48      // hourly tallies of rejected notifications shown
)

// adminStatuses are the order states in the order the admin lists them.
var adminStatuses = []models.Status{models.StatusPending, models.StatusPaid, models.StatusRefunded, models.StatusClosed}

// statusCount is one order state on the dashboard, linking to its orders.
type statusCount struct {
	Label string
	Count int64
	Link  string
}

type dashboardPage struct {
	adminPage
	PaidToday, PaidMonth, RefundedMonth string
	CountToday, CountMonth              int
	NeedPerson                          int64
	Statuses                            []statusCount
	Chart                               salesChart
}

// adminDashboard shows what was paid today and this month, what was
// refunded, the orders by state, what needs a person and a month of sales.
func (s *Server) adminDashboard(c *gin.Context) {
	ctx, now := c.Request.Context(), s.now()
	d, err := s.admin.Summary(ctx, now, s.loc)
	if err != nil {
		s.fail(c, err)
		return
	}
	days, err := s.admin.DailySales(ctx, now, s.loc, chartDays)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := dashboardPage{adminPage: s.newAdminPage(c, "dash.title"),
		PaidToday: formatPrice(d.PaidToday, s.currency), PaidMonth: formatPrice(d.PaidMonth, s.currency),
		RefundedMonth: formatPrice(d.RefundedMonth, s.currency),
		CountToday:    int(d.CountToday), CountMonth: int(d.CountMonth), NeedPerson: d.OpenReviews}
	for _, st := range adminStatuses {
		p.Statuses = append(p.Statuses, statusCount{Label: p.Lang.T("order." + string(st)), Count: d.ByStatus[st],
			Link: "/admin/orders?" + url.Values{"status": {string(st)}}.Encode()})
	}
	p.Chart = newSalesChart(days, s.currency, p.Lang)
	s.render(c, http.StatusOK, "admin/dashboard", p)
}

// orderQuery is the order list's filters as the form sent them, kept as
// text so that the form and the pager's links show them back.
type orderQuery struct {
	Status, From, To, Q string
	Review              bool
}

// parseOrderQuery reads and checks the filters of the order list and the
// export. Bad values are refused, not ignored: a list that silently shows
// every order would pass for the one asked for.
func parseOrderQuery(q url.Values, loc *time.Location) (orderQuery, models.OrderFilter, error) {
	oq := orderQuery{Status: q.Get("status"), From: strings.TrimSpace(q.Get("from")),
		To: strings.TrimSpace(q.Get("to")), Q: strings.TrimSpace(q.Get("q"))}
	var f models.OrderFilter
	bad := map[string]string{}
	if oq.Status != "" {
		f.Status = models.Status(oq.Status)
		if !isAdminStatus(f.Status) {
			bad["status"] = "orderlist.err.status"
		}
	}
	var err error
	if f.From, err = parseDay(oq.From, loc); err != nil {
		bad["from"] = "orderlist.err.date"
	}
	if f.To, err = parseDay(oq.To, loc); err != nil {
		bad["to"] = "orderlist.err.date"
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.From.After(f.To) {
		bad["to"] = "orderlist.err.range"
	}
	if !f.To.IsZero() {
		f.To = f.To.AddDate(0, 0, 1) // the filter's bound is exclusive; the form's day is included
	}
	if utf8.RuneCountInString(oq.Q) > maxQueryLen || !utf8.ValidString(oq.Q) {
		bad["q"] = "orderlist.err.query"
	}
	f.Query = oq.Q
	switch q.Get("review") {
	case "", "0":
	case "1":
		oq.Review, f.Review = true, true
	default:
		bad["review"] = "orderlist.err.review"
	}
	if len(bad) > 0 {
		return oq, f, &ValidationError{Fields: bad}
	}
	return oq, f, nil
}

// values are the filters set, for links.
func (oq orderQuery) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"status": oq.Status, "from": oq.From, "to": oq.To, "q": oq.Q} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if oq.Review {
		v.Set("review", "1")
	}
	return v
}

func isAdminStatus(st models.Status) bool {
	for _, s := range adminStatuses {
		if s == st {
			return true
		}
	}
	return false
}

// parseDay reads a YYYY-MM-DD date as its midnight in loc; "" is the zero
// time.
func parseDay(s string, loc *time.Location) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.ParseInLocation(time.DateOnly, s, loc)
}

// parsePage reads ?page=, from 1 to maxPage; absent is 1.
func parsePage(q url.Values) (int, error) {
	s := q.Get("page")
	if s == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxPage {
		return 0, &ValidationError{Fields: map[string]string{"page": "listing.err.page"}}
	}
	return n, nil
}

// pager is a list's position and the links to its neighbours, which keep
// the list's filters.
type pager struct {
	Page, Pages int
	Total       int
	Prev, Next  string // "" at either end
}

func newPager(path string, q url.Values, page int, total int64) pager {
	p := pager{Page: page, Total: int(total), Pages: int((total + adminPerPage - 1) / adminPerPage)}
	link := func(n int) string {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("page", strconv.Itoa(n))
		return path + "?" + v.Encode()
	}
	if page > 1 {
		p.Prev = link(min(page-1, max(p.Pages, 1)))
	}
	if page < p.Pages {
		p.Next = link(page + 1)
	}
	return p
}

// orderRow is an order as the list shows it.
type orderRow struct {
	OrderNo, Link, Created, Status, StatusText, Total, Name, Contact string
	Flagged                                                          bool
	FlagReason                                                       string
	Shipped                                                          string // the day it was shipped; "" if not
}

type option struct {
	Value, Label string
	Selected     bool
}

type ordersPage struct {
	adminPage
	Filter   orderQuery
	Statuses []option
	Zone     string
	Rows     []orderRow
	Pager    pager
	CSV      string // the export of the same filters
}

// adminOrders lists the orders the filters select, newest first.
func (s *Server) adminOrders(c *gin.Context) {
	q := c.Request.URL.Query()
	oq, f, err := parseOrderQuery(q, s.loc)
	if err != nil {
		s.fail(c, err)
		return
	}
	page, err := parsePage(q)
	if err != nil {
		s.fail(c, err)
		return
	}
	orders, total, err := s.admin.ListOrders(c.Request.Context(), f, page, adminPerPage)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := ordersPage{adminPage: s.newAdminPage(c, "orderlist.title"), Filter: oq, Zone: zoneName(s.loc, s.now()),
		Pager: newPager("/admin/orders", oq.values(), page, total), CSV: "/admin/orders.csv"}
	if v := oq.values(); len(v) > 0 {
		p.CSV += "?" + v.Encode()
	}
	for _, st := range adminStatuses {
		p.Statuses = append(p.Statuses, option{Value: string(st), Label: p.Lang.T("order." + string(st)), Selected: string(st) == oq.Status})
	}
	for i := range orders {
		o := &orders[i]
		r := orderRow{OrderNo: o.OrderNo, Link: "/admin/orders/" + url.PathEscape(o.OrderNo),
			Created: o.CreatedAt.In(s.loc).Format("2006-01-02 15:04"), Status: string(o.Status),
			StatusText: p.Lang.T("order." + string(o.Status)), Total: formatPrice(o.TotalMinor, payment.Currency(o.Currency)),
			Name: o.Name, Contact: joinNonEmpty(", ", o.Phone, o.Email), Flagged: o.Flagged, FlagReason: o.FlagReason}
		if o.ShippedAt != nil {
			r.Shipped = o.ShippedAt.In(s.loc).Format(time.DateOnly)
		}
		p.Rows = append(p.Rows, r)
	}
	s.render(c, http.StatusOK, "admin/orders", p)
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

// zoneName names the merchant's time zone for the pages' times:
// "Asia/Shanghai (UTC+08:00)".
func zoneName(loc *time.Location, now time.Time) string {
	name := loc.String()
	if name == "Local" {
		name = now.In(loc).Format("MST")
	}
	return name + " (UTC" + now.In(loc).Format("-07:00") + ")"
}
