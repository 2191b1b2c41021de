package handlers

// Every notification received, the tallies of rejected ones, and the audit
// log.

import (
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"shop/models"
)

// verdictKeys are the sentences that explain each verdict.
var verdictKeys = map[models.Verdict]string{
	models.VerdictPaid:          "notiflist.verdict.paid",
	models.VerdictDuplicate:     "notiflist.verdict.duplicate",
	models.VerdictClosed:        "notiflist.verdict.closed",
	models.VerdictIgnored:       "notiflist.verdict.ignored",
	models.VerdictUnknownOrder:  "notiflist.verdict.unknownorder",
	models.VerdictMismatch:      "notiflist.verdict.mismatch",
	models.VerdictAfterClose:    "notiflist.verdict.afterclose",
	models.VerdictSecondPayment: "notiflist.verdict.secondpayment",
	models.VerdictRejected:      "notiflist.verdict.rejected",
	models.VerdictDeferred:      "notiflist.verdict.deferred",
	models.VerdictUnbound:       "notiflist.verdict.unbound",
	models.VerdictStale:         "notiflist.verdict.stale",
	models.VerdictUnreadable:    "notiflist.verdict.unreadable",
	models.VerdictRefunded:      "notiflist.verdict.refunded",
	models.VerdictRefundFailed:  "notiflist.verdict.refundfailed",
	models.VerdictUnknownRefund: "notiflist.verdict.unknownrefund",
}

// rejectKeys explain the reasons settle gives rejected notifications.
var rejectKeys = map[string]string{
	"signature":    "notiflist.reject.signature",
	"sign_type":    "notiflist.reject.signtype",
	"malformed":    "notiflist.reject.malformed",
	"unverifiable": "notiflist.reject.unverifiable",
}

// notificationRow is a stored notification as the list shows it.
type notificationRow struct {
	Received, Verdict, VerdictText, Detail string
	OutTradeNo, OrderLink, TradeNo         string
	TradeStatus, Remote, Body              string
	Flagged                                bool
}

// rejectRow is an hour's tally of one reason for rejecting notifications.
type rejectRow struct {
	Hour, Reason, ReasonText string
	Count                    int64
	LastRemote, Sample       string
}

type notificationsPage struct {
	adminPage
	Zone    string
	Rejects []rejectRow
	Rows    []notificationRow
	Pager   pager
}

// adminNotifications lists every notification received, newest first,
// under the hourly tallies of those rejected without being stored.
func (s *Server) adminNotifications(c *gin.Context) {
	page, err := parsePage(c.Request.URL.Query())
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	ns, total, err := s.admin.ListNotifications(ctx, page, adminPerPage)
	if err != nil {
		s.fail(c, err)
		return
	}
	rejects, err := s.admin.Rejects(ctx, rejectRows)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := notificationsPage{adminPage: s.newAdminPage(c, "notiflist.title"), Zone: zoneName(s.loc, s.now()),
		Pager: newPager("/admin/notifications", nil, page, total)}
	for _, r := range rejects {
		text := r.Reason
		if key, ok := rejectKeys[r.Reason]; ok {
			text = p.Lang.T(key)
		}
		p.Rejects = append(p.Rejects, rejectRow{Hour: r.Bucket.In(s.loc).Format("2006-01-02 15:04"), Reason: r.Reason,
			ReasonText: text, Count: r.Count, LastRemote: r.LastRemote, Sample: r.Sample})
	}
	for _, n := range ns {
		row := notificationRow{Received: n.ReceivedAt.In(s.loc).Format("2006-01-02 15:04:05"), Verdict: string(n.Verdict),
			Detail: n.Detail, OutTradeNo: n.OutTradeNo, TradeNo: n.TradeNo, TradeStatus: n.TradeStatus,
			Remote: n.RemoteAddr, Body: n.Body, Flagged: n.Flagged}
		if key, ok := verdictKeys[n.Verdict]; ok {
			row.VerdictText = p.Lang.T(key)
		}
		if n.OrderID != nil && n.OutTradeNo != "" {
			row.OrderLink = "/admin/orders/" + url.PathEscape(n.OutTradeNo)
		}
		p.Rows = append(p.Rows, row)
	}
	s.render(c, http.StatusOK, "admin/notifications", p)
}

// auditRow is an audit entry as the log shows it.
type auditRow struct {
	At, Staff, Action, Target, Detail, Remote string
}

type auditPage struct {
	adminPage
	Zone  string
	Rows  []auditRow
	Pager pager
}

// adminAudit shows the audit log, newest first.
func (s *Server) adminAudit(c *gin.Context) {
	page, err := parsePage(c.Request.URL.Query())
	if err != nil {
		s.fail(c, err)
		return
	}
	es, total, err := s.admin.AuditLog(c.Request.Context(), page, adminPerPage)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := auditPage{adminPage: s.newAdminPage(c, "auditlog.title"), Zone: zoneName(s.loc, s.now()),
		Pager: newPager("/admin/audit", nil, page, total)}
	for _, e := range es {
		p.Rows = append(p.Rows, auditRow{At: e.At.In(s.loc).Format("2006-01-02 15:04:05"), Staff: e.Staff,
			Action: e.Action, Target: e.Target, Detail: e.Detail, Remote: e.Remote})
	}
	s.render(c, http.StatusOK, "admin/audit", p)
}
