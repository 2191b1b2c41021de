package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"shop/internal/testdb"
	"shop/models"
	"shop/payment"
)

// BenchmarkNotifyInstances measures how many distinct, valid notifications
// a shop applies per second, through HTTP to the real binary: one instance
// on SQLite, and, with TEST_DATABASE_URL set, one and three instances on
// PostgreSQL, in the same run. Each notification pays its own order, in
// one transaction with a full commit; 16 senders spread them over the
// instances. Run it with:
//
//	./scripts/with-postgres go test -run '^$' -bench NotifyInstances -benchtime 2000x .
func BenchmarkNotifyInstances(b *testing.B) {
	b.Run("sqlite-1", func(b *testing.B) { benchNotify(b, 1, false) })
	b.Run("postgres-1", func(b *testing.B) { benchNotify(b, 1, true) })
	b.Run("postgres-3", func(b *testing.B) { benchNotify(b, 3, true) })
}

func benchNotify(b *testing.B, n int, postgres bool) {
	if postgres != testdb.Postgres() {
		if postgres {
			b.Skip("set " + testdb.Env + " for PostgreSQL")
		}
		// SQLite: run it without the PostgreSQL URL for this one.
		b.Setenv(testdb.Env, "")
	}
	// notify_verify cannot vouch for notifications the benchmark signs
	// itself; seller_id binds them to the merchant instead.
	c := startCluster(b, n, map[string]string{"ALIPAY_NOTIFY_VERIFY": "false", "INSTANCES": "1"})
	ctx := context.Background()
	require.NoError(b, c.db.Gorm().Exec("UPDATE products SET stock = 1000000").Error)

	key, err := os.ReadFile(filepath.Join(c.instances[0].env["DB_PATH"]+".keys", "sandbox_alipay_private_key.pem"))
	require.NoError(b, err)
	priv, err := payment.ParsePrivateKey(key)
	require.NoError(b, err)
	alipay, err := payment.NewRSASigner(payment.RSA2, priv)
	require.NoError(b, err)

	// The orders and their notifications, made before the clock starts.
	bodies := make([]string, b.N)
	for i := range bodies {
		o, _, err := c.db.CreateOrder(ctx, models.NewOrder{OwnerID: "bench", Channel: models.ChannelWAP, Currency: "USD",
			Items: []models.Item{{ProductID: 1, Quantity: 1}}, Name: "Bench", Email: "bench@example.com",
			Address: "1 Bench Street", ExpiresAt: time.Now().Add(time.Hour)})
		require.NoError(b, err)
		id := make([]byte, 17)
		_, _ = rand.Read(id)
		p, err := payment.Sign(alipay, payment.Params{
			"notify_id": hex.EncodeToString(id), "notify_type": "trade_status_sync", "notify_time": payment.FormatTime(time.Now()),
			"out_trade_no": o.OrderNo, "trade_no": fmt.Sprintf("%s22001%015d", time.Now().Format("20060102"), i),
			"trade_status": "TRADE_SUCCESS", "total_fee": payment.Amount{Minor: o.TotalMinor, Currency: "USD"}.String(),
			"currency": "USD", "seller_id": sandboxPartner,
		})
		require.NoError(b, err)
		bodies[i] = p.Encode()
	}

	const senders = 16
	var next, failed atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range senders {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(len(bodies)) {
					return
				}
				status, body := c.post(int(i), "/alipay/notify", "application/x-www-form-urlencoded", bodies[i])
				if status != http.StatusOK || body != "success" {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	require.Zero(b, failed.Load(), "every notification answered success")
	var paid int64
	require.NoError(b, c.db.Gorm().Model(&models.Order{}).Where("status = ?", models.StatusPaid).Count(&paid).Error)
	require.EqualValues(b, b.N, paid, "every order paid once")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "notifications/s")
}
