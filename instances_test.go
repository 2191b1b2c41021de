package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/internal/testdb"
	"shop/models"
	"shop/payment"
)

// buildShop builds the shop's binary once per test binary.
var buildShop = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "shop-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "shop")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// instance is the real shop binary running as one of several instances.
type instance struct {
	t    testing.TB
	name string
	bin  string
	env  map[string]string
	cmd  *exec.Cmd
	log  *syncBuffer
	done chan error
	URL  string // its BASE_URL
	Addr string // host:port it listens on
}

var instanceListeningRE = regexp.MustCompile(`msg=listening addr=(\S+) url=(\S+)`)

// start runs the instance and waits until it listens.
func (in *instance) start() {
	in.t.Helper()
	in.log = &syncBuffer{}
	in.cmd = exec.Command(in.bin, "serve")
	for k, v := range in.env {
		in.cmd.Env = append(in.cmd.Env, k+"="+v)
	}
	in.cmd.Stdout, in.cmd.Stderr = in.log, in.log
	require.NoError(in.t, in.cmd.Start())
	in.done = make(chan error, 1)
	go func() { in.done <- in.cmd.Wait() }()
	var m []string
	listening := assert.Eventually(in.t, func() bool {
		select {
		case err := <-in.done:
			in.done <- err
			return true
		default:
		}
		m = instanceListeningRE.FindStringSubmatch(in.log.String())
		return m != nil
	}, 2*time.Minute, 20*time.Millisecond)
	if !listening || m == nil {
		in.t.Fatalf("%s did not start:\n%s", in.name, in.log.String())
	}
	in.Addr, in.URL = m[1], m[2]
	in.t.Cleanup(func() { in.stop() })
}

// kill ends the instance with SIGKILL, as a crash would.
func (in *instance) kill() {
	in.t.Helper()
	require.NoError(in.t, in.cmd.Process.Signal(syscall.SIGKILL))
	<-in.done
	in.done <- nil
}

// stop ends the instance with SIGTERM and waits for its graceful stop.
func (in *instance) stop() {
	select {
	case err := <-in.done:
		in.done <- err
		return
	default:
	}
	_ = in.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-in.done:
		in.done <- err
	case <-time.After(time.Minute):
		_ = in.cmd.Process.Kill()
	}
}

// restart starts the instance again on the same address, so that
// notifications addressed to it find it.
func (in *instance) restart() {
	in.t.Helper()
	in.env["ADDR"], in.env["BASE_URL"] = in.Addr, in.URL
	in.start()
}

// cluster is several shop instances on one PostgreSQL database. The first
// runs the sandbox (only one may); the others use it as their gateway, with
// the same keys.
type cluster struct {
	t         testing.TB
	instances []*instance
	db        *models.DB // the shared database, for the test's own checks
	http      *http.Client
}

func startCluster(t testing.TB, n int, extra map[string]string) *cluster {
	t.Helper()
	bin, err := buildShop()
	require.NoError(t, err)
	common := map[string]string{
		"SESSION_KEY": strings.Repeat("c0", 64), "ALIPAY_PRIVATE_KEY_FILE": sharedKeyFile(t),
		"ADDR": "127.0.0.1:0", "LOG_LEVEL": "info", "RECONCILE_INTERVAL": "1s", "INSTANCES": fmt.Sprint(n),
		"ADMIN_PASSWORD": "cluster admin passphrase", "TZ": "UTC",
	}
	// On SQLite (one instance only) the database is DB_PATH's file.
	dsn := ""
	if testdb.Postgres() {
		dsn = testdb.Source(t)
		common["DATABASE_URL"] = dsn
	}
	for k, v := range extra {
		common[k] = v
	}
	c := &cluster{t: t, http: newClient(t)}
	for i := range n {
		env := map[string]string{}
		for k, v := range common {
			env[k] = v
		}
		dir := t.TempDir()
		env["DB_PATH"] = filepath.Join(dir, "shop.db")
		if i == 0 {
			env["ALIPAY_GATEWAY"] = "sandbox"
		} else {
			first := c.instances[0]
			env["ALIPAY_GATEWAY"] = first.URL + "/sandbox/gateway.do"
			env["ALIPAY_PARTNER"] = sandboxPartner
			env["ALIPAY_PUBLIC_KEY_FILE"] = sandboxPublicKey(t, first.env["DB_PATH"])
		}
		in := &instance{t: t, name: fmt.Sprintf("instance %d", i+1), bin: bin, env: env}
		in.start()
		c.instances = append(c.instances, in)
	}
	if dsn == "" {
		dsn = c.instances[0].env["DB_PATH"]
	}
	c.db, err = models.Open(context.Background(), dsn, nil)
	require.NoError(t, err)
	t.Cleanup(func() { c.db.Close() })
	t.Cleanup(func() {
		if t.Failed() {
			for _, in := range c.instances {
				t.Logf("%s log:\n%s", in.name, in.log.String())
			}
		}
	})
	return c
}

// sandboxPublicKey writes the public half of the sandbox's Alipay key,
// which the first instance generated beside its DB_PATH, for the others.
func sandboxPublicKey(t testing.TB, dbPath string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dbPath+".keys", "sandbox_alipay_private_key.pem"))
	require.NoError(t, err)
	priv, err := payment.ParsePrivateKey(b)
	require.NoError(t, err)
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "alipay_public_key.pem")
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600))
	return path
}

// post sends body to path on instance i.
func (c *cluster) post(i int, path, contentType, body string) (int, string) {
	res, err := c.http.Post(c.instances[i%len(c.instances)].URL+path, contentType, strings.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// order creates an order through instance i's API and opens its cashier,
// so that the sandbox has the trade; it returns the order number.
func (c *cluster) order(i, productID int) string {
	c.t.Helper()
	// Each order from another client address, as a trusted proxy would
	// report it (instances without TRUSTED_PROXIES ignore the header).
	req, err := http.NewRequest(http.MethodPost, c.instances[i%len(c.instances)].URL+"/api/orders",
		strings.NewReader(fmt.Sprintf(`{"items":[{"product_id":%d,"quantity":1}],"channel":"wap"}`, productID)))
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", fmt.Sprintf("198.51.100.%d", 1+i%250))
	res, err := c.http.Do(req)
	require.NoError(c.t, err)
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	status, body := res.StatusCode, string(raw)
	require.Equal(c.t, http.StatusCreated, status, body)
	var o struct {
		OrderNo string `json:"order_no"`
		PayURL  string `json:"pay_url"`
	}
	require.NoError(c.t, json.Unmarshal([]byte(body), &o))
	b := newShopper(c.t.(*testing.T), iPhone)
	res, page := b.do("GET", o.PayURL, nil)
	b.do("GET", follow(c.t.(*testing.T), res, page), nil)
	return o.OrderNo
}

func (c *cluster) events(orderNo string, kind models.EventKind) int {
	c.t.Helper()
	var n int64
	err := c.db.Gorm().Model(&models.OrderEvent{}).Joins("JOIN orders ON orders.id = order_events.order_id").
		Where("orders.order_no = ? AND order_events.kind = ?", orderNo, kind).Count(&n).Error
	require.NoError(c.t, err)
	return int(n)
}

func (c *cluster) status(orderNo string) models.Status {
	c.t.Helper()
	o, err := c.db.OrderByNo(context.Background(), orderNo)
	require.NoError(c.t, err)
	return o.Status
}

// TestSeveralInstances runs three shop processes (the real binary) on one
// PostgreSQL database: the last unit raced across instances, a storm of
// notifications with one instance killed in the middle of it and 64 copies
// of one notification spread over the three, and the reconciler running in
// all three. Exactly one paid transition per order, stock never negative,
// no order queried twice, nothing lost.
func TestSeveralInstances(t *testing.T) {
	if !testdb.Postgres() {
		t.Skip("several instances share a PostgreSQL database: set " + testdb.Env)
	}
	// Every request here comes from one address: INSTANCES=1 gives each
	// instance the whole per-client limit, which the test would exceed.
	// notify_verify is off: a notify_id dies once the merchant answered
	// success, as Alipay's does, and the 64 copies below come after that;
	// seller_id binds the notifications to the merchant instead.
	c := startCluster(t, 3, map[string]string{"SANDBOX_TIME_SCALE": "3600", "INSTANCES": "1", "ALIPAY_NOTIFY_VERIFY": "false"})
	ctx := context.Background()
	counts := map[string]int{}

	// The last unit, raced from the three instances at once.
	require.NoError(t, c.db.Gorm().Exec("UPDATE products SET stock = 1 WHERE id = 1").Error)
	const racers = 9
	codes := make([]int, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			codes[i], _ = c.post(i, "/api/orders", "application/json", `{"items":[{"product_id":1,"quantity":1}],"channel":"wap"}`)
		})
	}
	wg.Wait()
	for _, code := range codes {
		counts[fmt.Sprintf("last unit: %d", code)]++
	}
	assert.Equal(t, 1, counts["last unit: 201"], "one checkout gets the last unit")
	assert.Equal(t, racers-1, counts["last unit: 409"], "the others are told it is gone")
	var stock int
	require.NoError(t, c.db.Gorm().Raw("SELECT stock FROM products WHERE id = 1").Scan(&stock).Error)
	assert.Zero(t, stock)

	// A storm: orders created on every instance, paid at once, each
	// notification sent twice (the duplicate fault); the third instance is
	// killed in the middle of it and started again.
	require.NoError(t, c.db.Gorm().Exec("UPDATE products SET stock = 1000").Error)
	const storm = 24
	orders := make([]string, storm)
	for i := range orders {
		orders[i] = c.order(i, 2+i%3)
	}
	status, body := putJSON(t, c.http, c.instances[0].URL+"/sandbox/api/faults", `{"duplicate_notify":true}`)
	require.Equal(t, http.StatusOK, status, body)
	for i, no := range orders {
		if i == storm/2 {
			c.instances[2].kill()
			counts["instances killed"]++
		}
		wg.Go(func() {
			status, body := c.post(0, "/sandbox/api/trades/"+no+"/pay", "application/json", "")
			assert.Equal(t, http.StatusOK, status, body)
		})
	}
	wg.Wait()
	c.instances[2].restart()

	// 64 copies of one genuine notification, spread over the three.
	first := orders[0]
	var note sandboxNotification
	require.Eventually(t, func() bool {
		ns := clusterNotifications(t, c, first)
		if len(ns) == 0 {
			return false
		}
		note = ns[0]
		return true
	}, time.Minute, 20*time.Millisecond)
	const copies = 64
	answers := make([]string, copies)
	for i := range copies {
		wg.Go(func() {
			code, body := c.post(i, "/alipay/notify", "application/x-www-form-urlencoded", note.Body)
			answers[i] = fmt.Sprintf("%d %s", code, body)
		})
	}
	wg.Wait()
	for _, a := range answers {
		counts["copies answered "+a]++
	}
	assert.Equal(t, copies, counts["copies answered 200 success"], "every copy is answered success once committed")

	// Every storm order ends up paid, once, whatever instance was dead
	// when its notification first came.
	require.Eventually(t, func() bool {
		for _, no := range orders {
			if c.status(no) != models.StatusPaid {
				return false
			}
		}
		return true
	}, 2*time.Minute, 50*time.Millisecond, "not every storm order was paid")
	for _, no := range orders {
		assert.Equal(t, 1, c.events(no, models.KindPaid), "%s: one paid transition", no)
		counts["storm orders paid once"]++
	}
	var notified int64
	require.NoError(t, c.db.Gorm().Model(&models.Notification{}).Where("verdict IN ?", []string{"paid", "duplicate"}).Count(&notified).Error)
	counts["notifications recorded (paid or duplicate)"] = int(notified)

	// The reconciler runs in all three; expired orders are each queried
	// once and closed once.
	var expired []string
	for i := range 5 {
		status, body := c.post(i, "/api/orders", "application/json", `{"items":[{"product_id":5,"quantity":1}],"channel":"web"}`)
		require.Equal(t, http.StatusCreated, status, body)
		var o struct {
			OrderNo string `json:"order_no"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &o))
		expired = append(expired, o.OrderNo)
	}
	require.NoError(t, c.db.Gorm().Exec("UPDATE orders SET expires_at = ? WHERE order_no IN ?",
		time.Now().Add(-time.Hour).UTC(), expired).Error)
	require.Eventually(t, func() bool {
		for _, no := range expired {
			if c.status(no) != models.StatusClosed {
				return false
			}
		}
		return true
	}, time.Minute, 50*time.Millisecond, "the reconciler did not close the expired orders")
	for _, no := range expired {
		assert.Equal(t, 1, c.events(no, models.KindQueried), "%s: queried once", no)
		assert.Equal(t, 1, c.events(no, models.KindClosed), "%s: closed once", no)
		counts["expired orders queried once and closed"]++
	}

	// Stock: never negative, and what was taken is what orders hold.
	var bad int64
	require.NoError(t, c.db.Gorm().Model(&models.Product{}).Where("stock < 0").Count(&bad).Error)
	assert.Zero(t, bad, "no product has negative stock")
	var held []struct {
		ProductID uint
		Units     int
	}
	require.NoError(t, c.db.Gorm().Raw(`SELECT l.product_id, SUM(l.quantity) AS units FROM order_lines l
		JOIN orders o ON o.id = l.order_id WHERE o.status IN ('pending','paid') AND l.product_id <> 1
		GROUP BY l.product_id`).Scan(&held).Error)
	for _, h := range held {
		var s int
		require.NoError(t, c.db.Gorm().Raw("SELECT stock FROM products WHERE id = ?", h.ProductID).Scan(&s).Error)
		assert.Equal(t, 1000, s+h.Units, "product %d: stock plus what orders hold", h.ProductID)
	}
	_, err := c.db.OrderByNo(ctx, first)
	require.NoError(t, err)
	var report bytes.Buffer
	for k, v := range counts {
		fmt.Fprintf(&report, "  %s: %d\n", k, v)
	}
	t.Logf("several instances on PostgreSQL:\n%s", report.String())
}

func putJSON(t *testing.T, c *http.Client, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	res, err := c.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// clusterNotifications lists the sandbox's notifications of an order.
func clusterNotifications(t *testing.T, c *cluster, orderNo string) []sandboxNotification {
	t.Helper()
	res, err := c.http.Get(c.instances[0].URL + "/sandbox/api/notifications?out_trade_no=" + orderNo)
	require.NoError(t, err)
	defer res.Body.Close()
	var out struct {
		Notifications []sandboxNotification `json:"notifications"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
	return out.Notifications
}
