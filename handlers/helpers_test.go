package handlers

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"shop/internal/testdb"
	"shop/ledger"
	"shop/models"
	"shop/payment"
	"shop/settle"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	os.Exit(m.Run())
}

const (
	testPartner = "2088101122136241"
	testMD5Key  = "760bdzec6y9goq7ctyx96ezkz78287de" // the published sandbox key
	testTimeout = "30m"
	desktopUA   = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
	mobileUA    = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)

// testKeys are the merchant's RSA key and "Alipay's", generated once per
// test binary: the client signs with the first and verifies with the
// public half of the second, which the tests sign notifications with.
var testKeys = sync.OnceValue(func() (k struct{ merchant, alipay *rsa.PrivateKey }) {
	var err error
	if k.merchant, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	if k.alipay, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	return k
})

// verifyMode is how the stub gateway answers notify_verify.
type verifyMode int32

const (
	verifyTrue  verifyMode = iota // "true"
	verifyFalse                   // "false"
	verify5xx                     // HTTP 502
	verifyHang                    // never answers (until the client gives up)
	verifyReset                   // closes the connection without an answer
)

// stubGateway is the Alipay gateway as far as the handlers use it directly:
// notify_verify only.
type stubGateway struct {
	*httptest.Server
	mode    atomic.Int32
	calls   atomic.Int32
	release chan struct{}

	mu      sync.Mutex
	queries []url.Values
}

func newStubGateway(t testing.TB) *stubGateway {
	g := &stubGateway{release: make(chan struct{})}
	g.Server = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(func() {
		close(g.release)
		g.Close()
	})
	return g
}

func (g *stubGateway) set(m verifyMode) { g.mode.Store(int32(m)) }

func (g *stubGateway) lastQuery() url.Values {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.queries) == 0 {
		return nil
	}
	return g.queries[len(g.queries)-1]
}

func (g *stubGateway) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	g.mu.Lock()
	g.queries = append(g.queries, q)
	g.mu.Unlock()
	if q.Get("service") != "notify_verify" {
		http.Error(w, "stub gateway: only notify_verify", http.StatusBadRequest)
		return
	}
	g.calls.Add(1)
	switch verifyMode(g.mode.Load()) {
	case verifyTrue:
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "true")
	case verifyFalse:
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "false")
	case verify5xx:
		http.Error(w, "upstream trouble", http.StatusBadGateway)
	case verifyHang:
		select {
		case <-r.Context().Done():
		case <-g.release:
		}
	case verifyReset:
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}
}

// options configure a harness.
type options struct {
	signType     payment.SignType // default RSA2
	skipVerify   bool             // NotifyVerify off
	verifyWithin time.Duration    // the client's timeout for gateway calls; default 2s
}

// harness is the shop's HTTP layer on a real loopback server, with a real
// SQLite file, the real payment client and a stub Alipay gateway.
type harness struct {
	t       testing.TB
	db      *models.DB
	srv     *Server
	handler http.Handler
	ts      *httptest.Server
	gw      *stubGateway
	client  *payment.Client
	// alipay signs what "Alipay" sends: the MD5 key, or the key whose
	// public half the client verifies with.
	alipay   payment.Signer
	signType payment.SignType
	logs     *syncBuffer
	clock    *testClock
	settler  *settle.Settler
	dbPath   string
	cfg      Config // what srv was made from, for tests that make another
	// http is this harness's own client. Tests never share
	// http.DefaultTransport: a test server's Close closes its idle
	// connections, breaking requests of tests running in parallel.
	http *http.Client
}

// newClient returns an HTTP client with a transport of its own.
func newClient(t testing.TB) *http.Client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// testClock is the server's clock in tests: it moves only when told.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newHarness(t testing.TB, opts options) *harness {
	t.Helper()
	if opts.signType == "" {
		opts.signType = payment.RSA2
	}
	if opts.verifyWithin == 0 {
		opts.verifyWithin = 2 * time.Second
	}
	keys := testKeys()
	h := &harness{t: t, signType: opts.signType, logs: &syncBuffer{}, http: newClient(t)}
	h.gw = newStubGateway(t)

	cfg := payment.Config{Gateway: h.gw.URL + "/gateway.do", Partner: testPartner, SignType: opts.signType,
		HTTPClient: &http.Client{Transport: &http.Transport{}, Timeout: opts.verifyWithin}}
	switch opts.signType {
	case payment.MD5:
		cfg.MD5Key = testMD5Key
		k, err := payment.NewMD5Key(testMD5Key)
		require.NoError(t, err)
		h.alipay = k
	default:
		cfg.PrivateKey, cfg.AlipayPublicKey = keys.merchant, &keys.alipay.PublicKey
		s, err := payment.NewRSASigner(opts.signType, keys.alipay)
		require.NoError(t, err)
		h.alipay = s
	}
	client, err := payment.NewClient(cfg)
	require.NoError(t, err)
	h.client = client

	log := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	h.dbPath = testdb.Migrated(t, migrate)
	db, err := models.Open(context.Background(), h.dbPath, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, db.SeedCatalog(context.Background(), "USD", 2))
	h.db = db

	h.ts = httptest.NewUnstartedServer(nil)
	base := "http://" + h.ts.Listener.Addr().String()
	h.clock = &testClock{t: time.Now()}
	h.settler = settle.New(settle.Config{Store: db, Alipay: client, Partner: testPartner, NotifyVerify: !opts.skipVerify,
		Logger: log, Now: h.clock.Now})
	h.cfg = Config{
		Store: db, Alipay: client, Settler: h.settler, Admin: db, Logger: log, BaseURL: base, Currency: "USD", Timeout: testTimeout,
		SessionKeys: [][]byte{bytes.Repeat([]byte("k"), 32), bytes.Repeat([]byte("e"), 32)}, Now: h.clock.Now,
		PasswordCost: bcrypt.MinCost,
		Ledger:       ledger.New(ledger.Config{Store: db, Alipay: client, Now: h.clock.Now}),
	}
	srv, err := New(h.cfg)
	require.NoError(t, err)
	h.srv, h.handler = srv, srv.Handler()
	h.ts.Config.Handler = h.handler
	h.ts.Start()
	t.Cleanup(h.ts.Close)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", h.logs.String())
		}
	})
	return h
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// product returns a seeded product by slug.
func (h *harness) product(slug string) *models.Product {
	h.t.Helper()
	p, err := h.db.ProductBySlug(context.Background(), slug)
	require.NoError(h.t, err)
	return p
}

func (h *harness) setStock(productID uint, stock int) {
	h.t.Helper()
	require.NoError(h.t, h.db.Gorm().Model(&models.Product{}).Where("id = ?", productID).Update("stock", stock).Error)
}

func (h *harness) stock(productID uint) int {
	h.t.Helper()
	ps, err := h.db.ProductsByID(context.Background(), []uint{productID})
	require.NoError(h.t, err)
	return ps[productID].Stock
}

// createOrder creates a pending web order directly in the store.
func (h *harness) createOrder(items ...models.Item) *models.Order {
	h.t.Helper()
	if len(items) == 0 {
		items = []models.Item{{ProductID: h.product("silk-scarf").ID, Quantity: 2}}
	}
	o, created, err := h.db.CreateOrder(context.Background(), models.NewOrder{
		OwnerID: "owner-" + randomHex(4), Channel: "web", Currency: "USD", Items: items,
		Name: "Ann Lee", Email: "ann@example.com", Address: "1 Main Street, Springfield",
		ExpiresAt: time.Now().Add(30 * time.Minute),
	})
	require.NoError(h.t, err)
	require.True(h.t, created)
	return o
}

func (h *harness) order(orderNo string) *models.Order {
	h.t.Helper()
	o, err := h.db.OrderByNo(context.Background(), orderNo)
	require.NoError(h.t, err)
	return o
}

func (h *harness) orderCount() int64 {
	h.t.Helper()
	var n int64
	require.NoError(h.t, h.db.Gorm().Model(&models.Order{}).Count(&n).Error)
	return n
}

// notifications returns every stored notification, oldest first.
func (h *harness) notifications() []models.Notification {
	h.t.Helper()
	var ns []models.Notification
	require.NoError(h.t, h.db.Gorm().Order("id").Find(&ns).Error)
	return ns
}

// paidParams is the unsigned notification Alipay sends when o is paid.
func paidParams(o *models.Order) payment.Params {
	return payment.Params{
		"notify_id":    randomHex(17),
		"notify_type":  "trade_status_sync",
		"notify_time":  payment.FormatTime(time.Now()),
		"out_trade_no": o.OrderNo,
		"trade_no":     tradeNo(),
		"trade_status": "TRADE_FINISHED",
		"total_fee":    payment.Amount{Minor: o.TotalMinor, Currency: payment.Currency(o.Currency)}.String(),
		"currency":     o.Currency,
	}
}

// tradeNo returns an Alipay-like 28-digit trade number.
func tradeNo() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	n := uint64(0)
	for _, c := range b {
		n = n<<8 | uint64(c)
	}
	return time.Now().Format("20060102") + "22001" + fmt.Sprintf("%015d", n%1e15)
}

// sign signs p as Alipay does, with s.
func sign(t testing.TB, s payment.Signer, p payment.Params) payment.Params {
	t.Helper()
	signed, err := payment.Sign(s, p)
	require.NoError(t, err)
	return signed
}

// response is an answer with its body read.
type response struct {
	*http.Response
	Body string
}

func (r *response) location() string { return r.Header.Get("Location") }

// postNotify POSTs a notification body as Alipay's server would: no cookie,
// no Origin, no Sec-Fetch-Site unless header adds them.
func (h *harness) postNotify(body, contentType string, header http.Header) *response {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.ts.URL+"/alipay/notify", strings.NewReader(body))
	require.NoError(h.t, err)
	req.Header.Set("Content-Type", contentType)
	for k, vs := range header {
		req.Header[k] = vs
	}
	return do(h.t, h.http, req)
}

const formType = "application/x-www-form-urlencoded"

func do(t testing.TB, c *http.Client, req *http.Request) *response {
	t.Helper()
	res, err := c.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return &response{Response: res, Body: string(b)}
}

// httptestServer serves handler on a loopback port until the test ends and
// returns its URL.
func httptestServer(t testing.TB, handler http.Handler) string {
	ts := httptest.NewServer(handler)
	t.Cleanup(ts.Close)
	return ts.URL
}

// migrate creates the database at path with every migration applied.
func migrate(path string) error {
	db, err := models.Open(context.Background(), path, nil)
	if err != nil {
		return err
	}
	return db.Close()
}
