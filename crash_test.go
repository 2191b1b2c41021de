package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/internal/testdb"
	"shop/models"
)

// crashLong runs the crash test at length: go test -run TestCrash -crash.long.
var crashLong = flag.Bool("crash.long", false, "run TestCrash with 200 orders and 30 kills instead of 24 and 4")

// TestCrash runs the real binary in sandbox mode (the shop and its Alipay
// in one process, both on one SQLite file), pays a storm of orders with
// duplicated, out-of-order and delayed notifications, and SIGKILLs the
// process at random moments during the storm (after a random number of
// notifications were applied), starting it again each time. Once the
// sandbox's retries are over: no notification answered success is for an
// unpaid order, no order is paid twice, the stock adds up, and SQLite's
// integrity check passes. It prints its counts with -v.
func TestCrash(t *testing.T) {
	testdb.SkipOnPostgres(t, "it kills the one process that owns the SQLite file; TestSeveralInstances kills one of several on PostgreSQL")
	orders, kills := 24, 4
	if *crashLong {
		orders, kills = 200, 30
	}
	bin, err := buildShop()
	require.NoError(t, err)
	dbPath := filepath.Join(t.TempDir(), "shop.db")
	in := &instance{t: t, name: "shop", bin: bin, env: map[string]string{
		"DB_PATH": dbPath, "ADDR": "127.0.0.1:0", "LOG_LEVEL": "info", "TZ": "UTC",
		// An hour becomes a second: the 8 attempts over 24h22m take 24 s.
		"SANDBOX_TIME_SCALE": "3600", "ADMIN_PASSWORD": "crash test passphrase", "TRUSTED_PROXIES": "127.0.0.1",
	}}
	in.start()
	c := &cluster{t: t, instances: []*instance{in}, http: newClient(t)}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last log:\n%s", in.log.String())
		}
	})

	const stock = 1000
	db := openCrashDB(t, dbPath)
	require.NoError(t, db.Gorm().Exec("UPDATE products SET stock = ?", stock).Error)
	nos := make([]string, orders)
	for i := range nos {
		nos[i] = c.order(i, 1+i%4)
	}
	status, body := putJSON(t, c.http, in.URL+"/sandbox/api/faults",
		`{"duplicate_notify":true,"out_of_order_notify":true,"services":{"notify_verify":{"delay_ms":20}}}`)
	require.Equal(t, http.StatusOK, status, body)

	// Pay them all, killing the process now and then. A kill lands after
	// a random number of applied notifications since the last start: the
	// event, not a timer, decides when.
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	killed, paidCalls := 0, 0
	nextKill := 1 + rng.IntN(orders/kills+1)
	for _, no := range nos {
		code, _ := c.post(0, "/sandbox/api/trades/"+no+"/pay", "application/json", "")
		if code == http.StatusOK {
			paidCalls++
		}
		if killed < kills && strings.Count(in.log.String(), "msg=notify ") >= nextKill {
			in.kill()
			killed++
			in.restart()
			// The pay call for this order may have been cut off: ask again
			// (the sandbox answers a paid trade idempotently).
			c.post(0, "/sandbox/api/trades/"+no+"/pay", "application/json", "")
			nextKill = 1 + rng.IntN(orders/kills+1)
		}
	}
	for killed < kills {
		in.kill()
		killed++
		in.restart()
	}

	// Let every notification reach its end: delivered, or given up.
	var notes []sandboxNotification
	require.Eventually(t, func() bool {
		res, err := c.http.Get(in.URL + "/sandbox/api/notifications")
		if err != nil {
			return false
		}
		defer res.Body.Close()
		var out struct {
			Notifications []sandboxNotification `json:"notifications"`
		}
		if json.NewDecoder(res.Body).Decode(&out) != nil {
			return false
		}
		notes = out.Notifications
		for _, n := range notes {
			if n.State == "pending" {
				return false
			}
		}
		return len(notes) > 0
	}, 2*time.Minute, 100*time.Millisecond, "notifications still pending")
	in.stop()

	counts := map[string]int{"orders": orders, "kills": killed, "pay calls answered": paidCalls}
	answeredSuccess := map[string]bool{}
	for _, n := range notes {
		counts["notifications "+n.State]++
		for _, d := range n.Deliveries {
			if d.Body == "success" {
				answeredSuccess[orderNoOf(n.Body)] = true
			}
		}
	}
	db = openCrashDB(t, dbPath)
	for _, no := range nos {
		o, err := db.OrderByNo(context.Background(), no)
		require.NoError(t, err)
		var paid int64
		require.NoError(t, db.Gorm().Model(&models.OrderEvent{}).Where("order_id = ? AND kind = ?", o.ID, models.KindPaid).Count(&paid).Error)
		assert.LessOrEqual(t, paid, int64(1), "%s paid twice", no)
		if answeredSuccess[no] {
			assert.Equal(t, models.StatusPaid, o.Status, "%s: a notification was answered success, so it is paid", no)
			counts["answered success and paid"]++
		}
		counts["orders "+string(o.Status)]++
	}
	// Stock: what the orders that still hold it hold, plus what is left,
	// is what there was.
	var held int64
	require.NoError(t, db.Gorm().Raw(`SELECT COALESCE(SUM(l.quantity), 0) FROM order_lines l JOIN orders o ON o.id = l.order_id
		WHERE o.status IN ('pending','paid') AND l.product_id BETWEEN 1 AND 4`).Scan(&held).Error)
	var left int64
	require.NoError(t, db.Gorm().Raw("SELECT SUM(stock) FROM products WHERE id BETWEEN 1 AND 4").Scan(&left).Error)
	assert.EqualValues(t, 4*stock, left+held, "stock adds up")
	var integrity string
	require.NoError(t, db.Gorm().Raw("PRAGMA integrity_check").Scan(&integrity).Error)
	assert.Equal(t, "ok", integrity)

	var report strings.Builder
	for k, v := range counts {
		fmt.Fprintf(&report, "  %s: %d\n", k, v)
	}
	t.Logf("crash test:\n%s", report.String())
}

// openCrashDB opens the shop's SQLite file from the test, beside (or
// after) the process that owns it.
func openCrashDB(t *testing.T, path string) *models.DB {
	t.Helper()
	db, err := models.Open(context.Background(), path, nil)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// orderNoOf reads out_trade_no from a notification body.
func orderNoOf(body string) string {
	for _, kv := range strings.Split(body, "&") {
		if k, v, ok := strings.Cut(kv, "="); ok && k == "out_trade_no" {
			return v
		}
	}
	return ""
}
