package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"shop/internal/testdb"
	"shop/payment"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
)

// testShop is the whole application (shop and mounted sandbox) on a real
// loopback server with a real SQLite file.
type testShop struct {
	URL  string
	app  *app
	http *http.Client // for API and sandbox calls; its own transport, never shared
}

// newClient returns an HTTP client with a transport of its own: a test
// server's Close closes the idle connections of http.DefaultTransport,
// which would break requests in flight in parallel tests.
func newClient(t testing.TB) *http.Client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// startShop wires the app exactly as serve does, with env as the
// environment, and runs its workers until the test ends.
func startShop(t *testing.T, env map[string]string, opts ...func(*config)) *testShop {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	dir := t.TempDir()
	// Refunds follow each other within milliseconds in tests: the
	// sandbox's 3 s spacing between refunds is tested in the sandbox.
	vars := map[string]string{"BASE_URL": base, "DB_PATH": filepath.Join(dir, "shop.db"), "LOG_LEVEL": "warn",
		"SANDBOX_REFUND_INTERVAL": "0"}
	if testdb.Postgres() {
		// The shop's data in a schema of its own; the sandbox stays in
		// DB_PATH. PostgreSQL asks for the keys every instance must share.
		vars["DATABASE_URL"] = testdb.Source(t)
		vars["SESSION_KEY"] = strings.Repeat("5e", 64)
		vars["ALIPAY_GATEWAY"] = "sandbox"
		vars["ALIPAY_PRIVATE_KEY_FILE"] = sharedKeyFile(t)
		if env["ALIPAY_SIGN_TYPE"] == "MD5" {
			vars["ALIPAY_MD5_KEY"] = "q8x1t0d2k9w7e3r4t5y6u7i8o9p0a1s2"
		}
	}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := loadConfig(nil, func(k string) string { return vars[k] }, io.Discard)
	require.NoError(t, err)
	cfg.passwordCost = bcrypt.MinCost
	for _, o := range opts {
		o(cfg)
	}
	a, err := newApp(context.Background(), cfg, newLogger(io.Discard, "error"))
	require.NoError(t, err)
	srv.Config.Handler = a.handler
	srv.Start()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.runWorkers(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		srv.Close()
		require.NoError(t, a.Close())
	})
	return &testShop{URL: base, app: a, http: newClient(t)}
}

// sharedKey is a merchant RSA key made once per test binary, for the
// configurations (PostgreSQL, several instances) that need key files.
var sharedKey = sync.OnceValues(func() ([]byte, error) {
	priv, _, err := payment.GenerateKey(2048)
	return priv, err
})

// sharedKeyFile writes sharedKey to a file of the test's.
func sharedKeyFile(t testing.TB) string {
	t.Helper()
	pem, err := sharedKey()
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "merchant_private_key.pem")
	require.NoError(t, os.WriteFile(path, pem, 0o600))
	return path
}

// shopper is a browser: a cookie jar, no automatic redirects, a user agent.
type shopper struct {
	t      *testing.T
	client *http.Client
	ua     string
}

func newShopper(t *testing.T, ua string) *shopper {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	c := newClient(t)
	return &shopper{t: t, ua: ua, client: &http.Client{
		Transport:     c.Transport,
		Jar:           jar,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (s *shopper) do(method, u string, form url.Values) (*http.Response, string) {
	s.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	require.NoError(s.t, err)
	req.Header.Set("User-Agent", s.ua)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin") // as a browser submitting the shop's own form
	}
	res, err := s.client.Do(req)
	require.NoError(s.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(s.t, err)
	return res, string(b)
}

// follow expects a redirect and returns its absolute target.
func follow(t *testing.T, res *http.Response, body string) string {
	t.Helper()
	require.Contains(t, []int{http.StatusFound, http.StatusSeeOther}, res.StatusCode, "want a redirect, got: %s", body)
	loc, err := res.Location()
	require.NoError(t, err)
	return loc.String()
}

var checkoutKeyRE = regexp.MustCompile(`name="checkout_key" value="([0-9a-f]{32})"`)

const (
	iPhone  = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
	desktop = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"
)

// TestJourney runs the whole shopper journey over real HTTP against the shop
// and the mounted sandbox: catalog, cart, checkout, cashier, Pay, return,
// notification, paid; for each sign type and for both cashiers.
func TestJourney(t *testing.T) {
	tests := []struct {
		signType, ua, service string
	}{
		{"MD5", iPhone, "create_forex_trade_wap"},
		{"RSA", iPhone, "create_forex_trade_wap"},
		{"RSA2", iPhone, "create_forex_trade_wap"},
		{"RSA2", desktop, "create_forex_trade"},
	}
	for _, tt := range tests {
		t.Run(tt.signType+"/"+tt.service, func(t *testing.T) {
			shop := startShop(t, map[string]string{"ALIPAY_SIGN_TYPE": tt.signType})
			b := newShopper(t, tt.ua)

			res, home := b.do("GET", shop.URL+"/", nil)
			require.Equal(t, http.StatusOK, res.StatusCode)
			assert.Contains(t, home, "Silk scarf")
			assert.Contains(t, home, "Sandbox")

			res, body := b.do("POST", shop.URL+"/cart/items", url.Values{"product_id": {"1"}, "quantity": {"2"}})
			assert.Equal(t, shop.URL+"/cart", follow(t, res, body))
			_, cart := b.do("GET", shop.URL+"/cart", nil)
			assert.Contains(t, cart, "US$78.00")
			assert.Contains(t, cart, `data-testid="cart-total">US$86.00<`, "with the default shipping, US$8.00")

			_, form := b.do("GET", shop.URL+"/checkout", nil)
			m := checkoutKeyRE.FindStringSubmatch(form)
			require.NotNil(t, m, "checkout form has a checkout_key")
			res, body = b.do("POST", shop.URL+"/checkout", url.Values{"name": {"Li Lei"}, "phone": {"+86 138 0013 8000"},
				"country": {"CN"}, "province": {"Shanghai"}, "city": {"Shanghai"}, "street": {"88 Century Avenue, Pudong"},
				"postcode": {"200120"}, "checkout_key": {m[1]}})
			gateway := follow(t, res, body)
			gw, err := url.Parse(gateway)
			require.NoError(t, err)
			assert.Equal(t, "/sandbox/gateway.do", gw.Path)
			assert.Equal(t, tt.service, gw.Query().Get("service"))
			assert.Equal(t, tt.signType, gw.Query().Get("sign_type"))
			assert.Equal(t, "86.00", gw.Query().Get("total_fee"), "the items and shipping")
			orderNo := gw.Query().Get("out_trade_no")
			assert.Regexp(t, `^[0-9]{8}[A-Z2-7]{16}$`, orderNo)

			res, body = b.do("GET", gateway, nil)
			cashier := follow(t, res, body)
			_, page := b.do("GET", cashier, nil)
			assert.Contains(t, page, "USD 86.00")
			assert.Contains(t, page, "SANDBOX")

			res, body = b.do("POST", cashier+"/pay", url.Values{})
			ret := follow(t, res, body)
			assert.True(t, strings.HasPrefix(ret, shop.URL+"/alipay/return?"), ret)

			res, body = b.do("GET", ret, nil)
			orderPage := follow(t, res, body)
			assert.True(t, strings.HasPrefix(orderPage, shop.URL+"/orders/"+orderNo), orderPage)

			waitPaid(t, shop, orderNo)
			_, page = b.do("GET", shop.URL+"/orders/"+orderNo, nil)
			assert.Contains(t, page, `data-testid="order-status">Paid<`)
			assert.NotContains(t, page, `http-equiv="refresh"`)

			// Exactly one notification, delivered on its first attempt.
			notes := waitDelivered(t, shop, orderNo)
			require.Len(t, notes, 1)
			assert.Equal(t, "delivered", notes[0].State)
			require.Len(t, notes[0].Deliveries, 1)
			assert.Equal(t, "success", notes[0].Deliveries[0].Body)
		})
	}
}

// TestJourneyApp is the native app channel: the API returns a signed order
// string, the "SDK" (the sandbox's app endpoint) pays it, the notification
// marks the order paid.
func TestJourneyApp(t *testing.T) {
	for _, signType := range []string{"RSA", "RSA2"} {
		t.Run(signType, func(t *testing.T) {
			shop := startShop(t, map[string]string{"ALIPAY_SIGN_TYPE": signType})
			res, err := shop.http.Post(shop.URL+"/api/orders", "application/json",
				strings.NewReader(`{"items":[{"product_id":2,"quantity":1}],"channel":"app"}`))
			require.NoError(t, err)
			var created struct {
				OrderNo     string `json:"order_no"`
				OrderString string `json:"order_string"`
				TotalFee    string `json:"total_fee"`
			}
			require.Equal(t, http.StatusCreated, res.StatusCode)
			require.NoError(t, json.NewDecoder(res.Body).Decode(&created))
			res.Body.Close()
			assert.Equal(t, "64.00", created.TotalFee, "US$56.00 and US$8.00 shipping")
			assert.Contains(t, created.OrderString, `&sign_type="`+signType+`"`)

			res, err = shop.http.Post(shop.URL+"/sandbox/app/pay", "text/plain", strings.NewReader(created.OrderString))
			require.NoError(t, err)
			var result struct {
				ResultStatus string `json:"resultStatus"`
				Result       string `json:"result"`
				Memo         string `json:"memo"`
			}
			require.NoError(t, json.NewDecoder(res.Body).Decode(&result))
			res.Body.Close()
			require.Equal(t, "9000", result.ResultStatus, result.Memo)
			waitPaid(t, shop, created.OrderNo)
		})
	}
}

// waitPaid waits until the notification has marked the order paid, as the
// public order API shows it. The bound is generous: a busy machine only
// makes it take longer, never fail.
func waitPaid(t *testing.T, shop *testShop, orderNo string) {
	t.Helper()
	var status, tradeNo string
	require.Eventually(t, func() bool {
		res, err := shop.http.Get(shop.URL + "/api/orders/" + orderNo)
		if err != nil {
			return false
		}
		defer res.Body.Close()
		var o struct {
			Status  string `json:"status"`
			TradeNo string `json:"trade_no"`
		}
		if json.NewDecoder(res.Body).Decode(&o) != nil {
			return false
		}
		status, tradeNo = o.Status, o.TradeNo
		return o.Status != "pending"
	}, time.Minute, 10*time.Millisecond, "order %s never left pending", orderNo)
	require.Equal(t, "paid", status)
	assert.Regexp(t, `^[0-9]{28}$`, tradeNo)
}

// waitDelivered waits until the sandbox has recorded the shop's answer to
// the order's notification: it records it after the shop answered, so
// the order can be paid a moment before the delivery shows.
func waitDelivered(t *testing.T, shop *testShop, orderNo string) []sandboxNotification {
	t.Helper()
	var notes []sandboxNotification
	require.Eventually(t, func() bool {
		notes = sandboxNotifications(t, shop, orderNo)
		return len(notes) > 0 && notes[0].State != "pending"
	}, time.Minute, 10*time.Millisecond, "the notification of %s was never answered", orderNo)
	return notes
}

type sandboxNotification struct {
	NotifyID   string `json:"notify_id"`
	State      string `json:"state"`
	Body       string `json:"body"`
	Deliveries []struct {
		StatusCode int    `json:"status_code"`
		Body       string `json:"body"`
	} `json:"deliveries"`
}

func sandboxNotifications(t *testing.T, shop *testShop, orderNo string) []sandboxNotification {
	t.Helper()
	res, err := shop.http.Get(shop.URL + "/sandbox/api/notifications?out_trade_no=" + orderNo)
	require.NoError(t, err)
	defer res.Body.Close()
	var out struct {
		Notifications []sandboxNotification `json:"notifications"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
	return out.Notifications
}
