package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/ledger"
	"shop/models"
)

func TestAdminReconciliation(t *testing.T) {
	h := newHarness(t, options{})
	today := ledger.StartOf(h.clock.Now())
	yesterday := today.AddDate(0, 0, -1).Format(ledger.DayLayout)
	weekAgo := today.AddDate(0, 0, -7).Format(ledger.DayLayout)

	t.Run("signed in only", func(t *testing.T) {
		res := h.browser(desktopUA).get("/admin/reconciliation")
		assert.Equal(t, http.StatusSeeOther, res.StatusCode)
		assert.True(t, strings.HasPrefix(res.location(), "/admin/login"), res.location())
		res = h.browser(desktopUA).get("/admin/reconciliation.csv")
		assert.Equal(t, http.StatusSeeOther, res.StatusCode)
	})
	a := h.staff("mei")
	t.Run("the week up to yesterday by default", func(t *testing.T) {
		res := a.get("/admin/reconciliation")
		require.Equal(t, http.StatusOK, res.StatusCode, res.Body)
		assert.Contains(t, res.Body, `name="to" value="`+yesterday+`"`)
		assert.Contains(t, res.Body, `name="from" value="`+weekAgo+`"`)
		assert.Contains(t, res.Body, `data-testid="recon-missing"`, "nothing fetched yet")
		assert.Contains(t, res.Body, `name="viewport"`)
		assert.Contains(t, res.Body, `name="csrf_token" value="`+a.csrf+`"`, "the fetch form carries the token")
	})
	t.Run("bad periods are refused in words", func(t *testing.T) {
		for _, tt := range []struct{ query, want string }{
			{"from=2026-13-01&to=" + yesterday, "Type the dates as yyyy-mm-dd."},
			{"from=" + yesterday + "&to=" + today.Format(ledger.DayLayout), "The period must end before today"},
			{"from=" + yesterday + "&to=" + weekAgo, "The period ends before it starts."},
			{"from=2020-01-01&to=" + yesterday, "at most 93 days"},
		} {
			res := a.get("/admin/reconciliation?" + tt.query)
			assert.Equal(t, http.StatusUnprocessableEntity, res.StatusCode, tt.query)
			assert.Contains(t, res.Body, tt.want, tt.query)
			res = a.get("/admin/reconciliation.csv?" + tt.query)
			assert.Equal(t, http.StatusUnprocessableEntity, res.StatusCode, tt.query)
		}
	})
	t.Run("fetch needs the CSRF token and a good period", func(t *testing.T) {
		res := a.post("/admin/reconciliation/fetch", url.Values{"from": {weekAgo}, "to": {yesterday}})
		assert.Equal(t, http.StatusForbidden, res.StatusCode)
		res = a.postForm("/admin/reconciliation/fetch", url.Values{"from": {weekAgo}, "to": {"yesterday"}})
		assert.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		assert.Contains(t, res.Body, "Type the dates as yyyy-mm-dd.")
		var n int64
		require.NoError(t, h.db.Gorm().Model(&models.AuditEntry{}).Where("action = ?", "fetch_settlement").Count(&n).Error)
		assert.Zero(t, n, "nothing done, nothing audited")
	})
	t.Run("Alipay not serving the files", func(t *testing.T) {
		// The stub gateway answers notify_verify only.
		res := a.postForm("/admin/reconciliation/fetch", url.Values{"from": {weekAgo}, "to": {yesterday}})
		assert.Equal(t, http.StatusBadGateway, res.StatusCode)
		assert.Contains(t, res.Body, "Alipay did not serve the files")
		var n int64
		require.NoError(t, h.db.Gorm().Model(&models.SettlementDay{}).Count(&n).Error)
		assert.Zero(t, n)
		require.NoError(t, h.db.Gorm().Model(&models.AuditEntry{}).Where("action = ? AND staff = ?", "fetch_settlement", "mei").Count(&n).Error)
		assert.EqualValues(t, 1, n, "the attempt is audited")
	})
	t.Run("CSV", func(t *testing.T) {
		res := a.get("/admin/reconciliation.csv?from=" + weekAgo + "&to=" + yesterday)
		require.Equal(t, http.StatusOK, res.StatusCode)
		assert.Equal(t, "text/csv; charset=utf-8", res.Header.Get("Content-Type"))
		assert.Contains(t, res.Header.Get("Content-Disposition"), "reconciliation-"+weekAgo+"-"+yesterday+".csv")
		assert.Equal(t, "\ufeffsection,kind,type,id,order_no,currency,here,alipay,files,at\n", res.Body)
	})
}
