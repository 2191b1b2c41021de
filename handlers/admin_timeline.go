package handlers

import (
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"shop/models"
	"shop/payment"
)

// adminOrderPage is one order as the merchant sees it.
type adminOrderPage struct {
	adminPage
	Order                           *models.Order
	StatusText                      string
	Created, Paid, Closed, Shipped  string // in the merchant's time zone; "" when not
	Lines                           []lineView
	Total, Refunded, Reserved, Left string // Reserved: pending refunds
	HasReserved                     bool   // some refund waits for Alipay's answer
	CanRefund, CanRestock, CanShip  bool
	Pending                         bool // the order waits for its payment
	Refunds                         []refundRow
	Timeline                        []timelineItem
	Refund                          refundForm
	Ship                            shipForm
}

// refundRow is a refund in the order page's list.
type refundRow struct {
	OutReturnNo, Amount, Status, StatusText string
	Asked, By, Reason, Answer               string
	Restock, Pending                        bool
	// Accepted: an asynchronous refund Alipay accepted and has not
	// finished; its notification or a query ends it.
	Accepted bool
}

// timelineItem is one step of an order's life, whatever table it comes
// from.
type timelineItem struct {
	at      time.Time
	When    string // in the merchant's time zone
	ISO     string // for <time datetime>
	Kind    string // what it is, as a class name
	Title   string
	Actor   string
	Detail  string
	Link    string
	Raw     string // a notification's parameters as received, one per line
	Flagged bool
}

// Message keys of the timeline's steps, the verdicts, the refund states
// and the refund errors Alipay gives, in the page's language.
var (
	tlEventKeys = map[models.EventKind]string{
		models.KindCreated: "money.event.created", models.KindSentToAlipay: "money.event.sent",
		models.KindReturned: "money.event.returned", models.KindPaid: "money.event.paid",
		models.KindQueried: "money.event.queried", models.KindShipped: "money.event.shipped",
		models.KindClosed: "money.event.closed", models.KindRestocked: "money.event.restocked",
	}
	tlVerdictKeys = map[string]string{
		"paid": "money.verdict.paid", "duplicate": "money.verdict.duplicate", "closed": "money.verdict.closed",
		"ignored": "money.verdict.ignored", "unknown_order": "money.verdict.unknownorder",
		"mismatch": "money.verdict.mismatch", "after_close": "money.verdict.afterclose",
		"second_payment": "money.verdict.secondpayment", "rejected": "money.verdict.rejected",
		"deferred": "money.verdict.deferred", "unbound": "money.verdict.unbound",
		"stale": "money.verdict.stale", "unreadable": "money.verdict.unreadable",
		"refunded": "money.verdict.refunded", "refund_failed": "money.verdict.refundfailed",
		"unknown_refund": "money.verdict.unknownrefund",
	}
	refundStatusKeys = map[models.RefundStatus]string{
		models.RefundPending: "money.refund.status.pending", models.RefundSucceeded: "money.refund.status.succeeded",
		models.RefundFailed: "money.refund.status.failed",
	}
	refundCodeKeys = map[string]string{
		"PURCHASE_TRADE_NOT_EXIST": "money.code.purchasetradenotexist", "RETURN_AMOUNT_EXCEED": "money.code.returnamountexceed",
		"CURRENCY_NOT_SAME": "money.code.currencynotsame", "REPEATED_REFUNDMENT_REQUEST": "money.code.repeatedrefundment",
		"REFUNDMENT_VALID_DATE_EXCEED": "money.code.refundwindow", "TRADE_HAS_CLOSE": "money.code.tradehasclose",
		"MERCHANT_BALANCE_NOT_ENOUGH": "money.code.balance", "ILLEGAL_ARGUMENT": "money.code.illegalargument",
		"ILLEGAL_SIGN": "money.code.illegalsign", "ILLEGAL_PARTNER": "money.code.illegalpartner",
	}
)

// translated returns the message of keys[k] in l, or fallback.
func translated[K comparable](l Lang, keys map[K]string, k K, fallback string) string {
	if key, ok := keys[k]; ok {
		return l.T(key)
	}
	return fallback
}

// merchantTime formats t in the merchant's time zone; "" for nil.
func (s *Server) merchantTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.In(s.loc).Format("2006-01-02 15:04:05 MST")
}

// adminOrderPage builds the order page: o with its refunds and timeline.
func (s *Server) adminOrderPage(c *gin.Context, o *models.Order) (adminOrderPage, error) {
	ctx := c.Request.Context()
	p := adminOrderPage{adminPage: s.newAdminPage(c, "money.order.title"), Order: o}
	l := p.Lang
	p.Title = l.Tf("money.order.heading", "OrderNo", o.OrderNo)
	p.StatusText = l.T("order." + string(o.Status))
	p.Created, p.Paid, p.Closed, p.Shipped = s.merchantTime(&o.CreatedAt), s.merchantTime(o.PaidAt), s.merchantTime(o.ClosedAt), s.merchantTime(o.ShippedAt)
	cur := payment.Currency(o.Currency)
	for _, ln := range o.Lines {
		p.Lines = append(p.Lines, lineView{Name: ln.Name, Quantity: ln.Quantity,
			Unit: formatPrice(ln.UnitMinor, cur), Total: formatPrice(ln.TotalMinor(), cur)})
	}
	events, err := s.admin.Events(ctx, o.ID)
	if err != nil {
		return p, err
	}
	notes, err := s.admin.Notifications(ctx, o.ID)
	if err != nil {
		return p, err
	}
	reviews, err := s.admin.ReviewsOf(ctx, o.ID)
	if err != nil {
		return p, err
	}
	refunds, err := s.admin.RefundsOf(ctx, o.ID)
	if err != nil {
		return p, err
	}
	var reserved int64
	for _, r := range refunds {
		row := s.refundRow(l, r)
		p.Refunds = append(p.Refunds, row)
		if row.Pending {
			reserved += r.AmountMinor
		}
	}
	// What is left is what StartRefund will allow: the total less what
	// succeeded and what is still pending.
	left := o.TotalMinor - o.RefundedMinor - reserved
	p.Total, p.Refunded, p.Reserved, p.Left = formatPrice(o.TotalMinor, cur), formatPrice(o.RefundedMinor, cur), formatPrice(reserved, cur), formatPrice(left, cur)
	p.HasReserved = reserved > 0
	paidLate := slices.ContainsFunc(notes, func(n models.Notification) bool { return n.Verdict == models.VerdictAfterClose })
	p.CanRefund = left > 0 && (o.Status == models.StatusPaid || o.Status == models.StatusClosed && paidLate)
	p.CanRestock = o.Status == models.StatusPaid
	p.CanShip = o.Status == models.StatusPaid
	p.Pending = o.Status == models.StatusPending
	p.Ship = shipForm{Carrier: o.Carrier, TrackingNo: o.TrackingNo}
	p.Timeline = s.timeline(l, events, notes, reviews, refunds, cur)
	return p, nil
}

// refundRow words a refund for the list.
func (s *Server) refundRow(l Lang, r models.Refund) refundRow {
	row := refundRow{OutReturnNo: r.OutReturnNo, Amount: formatPrice(r.AmountMinor, payment.Currency(r.Currency)),
		Status: string(r.Status), StatusText: translated(l, refundStatusKeys, r.Status, string(r.Status)),
		Asked: s.merchantTime(&r.CreatedAt), By: r.CreatedBy, Reason: r.Reason, Restock: r.Restock,
		Pending:  r.Status == models.RefundPending && r.AcceptedAt == nil,
		Accepted: r.Status == models.RefundPending && r.AcceptedAt != nil}
	if r.Status == models.RefundFailed {
		row.Answer = refusalWords(l, r)
	}
	return row
}

// refusalWords is Alipay's refusal of a refund: its code and what it
// means, in the page's language where the shop knows the code.
func refusalWords(l Lang, r models.Refund) string {
	words := translated(l, refundCodeKeys, r.ErrorCode, r.ErrorMessage)
	if words == "" {
		return r.ErrorCode
	}
	return r.ErrorCode + ": " + words
}

// timeline merges an order's events, notifications, reviews and refunds
// into one list, oldest first.
func (s *Server) timeline(l Lang, events []models.OrderEvent, notes []models.Notification, reviews []models.Review, refunds []models.Refund, cur payment.Currency) []timelineItem {
	var items []timelineItem
	add := func(at time.Time, it timelineItem) {
		it.at, it.When, it.ISO = at, s.merchantTime(&at), at.UTC().Format(time.RFC3339)
		items = append(items, it)
	}
	for _, e := range events {
		// Refund events repeat the refunds table, shown below from the
		// table itself with amounts formatted and Alipay's words.
		if e.Kind == models.KindRefund {
			continue
		}
		add(e.At, timelineItem{Kind: string(e.Kind), Title: translated(l, tlEventKeys, e.Kind, string(e.Kind)), Actor: e.Actor, Detail: e.Detail})
	}
	for _, n := range notes {
		verdict := translated(l, tlVerdictKeys, string(n.Verdict), string(n.Verdict))
		it := timelineItem{Kind: "notification", Title: l.Tf("money.tl.notification", "Verdict", verdict), Actor: n.RemoteAddr,
			Detail: n.Detail, Raw: rawParams(n.Body), Flagged: n.Flagged}
		if n.ContentType == "single_trade_query" {
			it.Kind, it.Title = "queryanswer", l.Tf("money.tl.queryanswer", "Verdict", verdict)
		}
		add(n.ReceivedAt, it)
	}
	for _, r := range reviews {
		it := timelineItem{Kind: "review", Title: l.Tf("money.tl.flagged", "Kind", translated(l, tlVerdictKeys, r.Kind, r.Kind)),
			Detail: r.Reason, Flagged: r.Open()}
		if r.Open() {
			it.Link = "/admin/reviews#review-" + strconv.FormatUint(uint64(r.ID), 10)
		}
		add(r.CreatedAt, it)
		if r.ResolvedAt != nil {
			add(*r.ResolvedAt, timelineItem{Kind: "resolution", Title: l.T("money.tl.resolved"), Actor: r.ResolvedBy, Detail: r.Resolution})
		}
	}
	for _, r := range refunds {
		amount := formatPrice(r.AmountMinor, cur)
		asked := timelineItem{Kind: "refund", Title: l.Tf("money.tl.refundasked", "Number", r.OutReturnNo, "Amount", amount), Actor: r.CreatedBy, Detail: r.Reason}
		if r.Restock {
			asked.Detail += " " + l.T("money.tl.restockasked")
		}
		add(r.CreatedAt, asked)
		switch r.Status {
		case models.RefundSucceeded:
			add(r.UpdatedAt, timelineItem{Kind: "refund", Title: l.Tf("money.tl.refunded", "Number", r.OutReturnNo, "Amount", amount), Actor: "alipay"})
		case models.RefundFailed:
			add(r.UpdatedAt, timelineItem{Kind: "refund", Title: l.Tf("money.tl.refundfailed", "Number", r.OutReturnNo), Actor: "alipay",
				Detail: refusalWords(l, r), Flagged: true})
		}
	}
	slices.SortStableFunc(items, func(a, b timelineItem) int { return a.at.Compare(b.at) })
	return items
}

// rawParams lists a notification's form body one parameter a line,
// sorted, or returns the body as it is when it is not a form.
func rawParams(body string) string {
	vs, err := url.ParseQuery(body)
	if err != nil {
		return body
	}
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(vs)) {
		for _, v := range vs[k] {
			b.WriteString(k + "=" + v + "\n")
		}
	}
	return b.String()
}

// reviewsPage is what needs a person.
type reviewsPage struct {
	adminPage
	Reviews []reviewRow
	Failed  uint   // the review whose form was refused
	Note    string // what was typed in it
	Error   string
}

// reviewRow is an open review.
type reviewRow struct {
	ID                       uint
	When, Kind, Reason       string
	OrderNo, OrderLink       string
	RefundLink, RefundAmount string // set for money to give back
}

// reviewsPage lists the open reviews, oldest first. For a payment after
// close or a second payment it links to the refund form of the order
// prefilled with that payment: its amount is the order's total, since a
// payment of another amount is a mismatch instead.
func (s *Server) reviewsPage(c *gin.Context) (reviewsPage, error) {
	p := reviewsPage{adminPage: s.newAdminPage(c, "money.reviews.title")}
	rs, err := s.admin.OpenReviews(c.Request.Context(), 100)
	if err != nil {
		return p, err
	}
	for _, r := range rs {
		row := reviewRow{ID: r.ID, When: s.merchantTime(&r.CreatedAt), Kind: translated(p.Lang, tlVerdictKeys, r.Kind, r.Kind), Reason: r.Reason}
		if o := r.Order; o != nil {
			row.OrderNo, row.OrderLink = o.OrderNo, adminOrderURL(o.OrderNo)
			if r.OffersRefund() {
				cur := payment.Currency(o.Currency)
				row.RefundAmount = formatPrice(o.TotalMinor, cur)
				row.RefundLink = row.OrderLink + "?refund=" + url.QueryEscape(payment.Amount{Minor: o.TotalMinor, Currency: cur}.String()) + "#refund"
			}
		}
		p.Reviews = append(p.Reviews, row)
	}
	return p, nil
}
