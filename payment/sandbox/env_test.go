package sandbox_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"shop/payment"
	"shop/payment/sandbox"
)

// The published sandbox credentials (payment/testdata/README.md) and the
// other merchants the tests register.
const (
	partner        = "2088101122136241" // MD5 and RSA, every service
	md5Key         = "760bdzec6y9goq7ctyx96ezkz78287de"
	md5OnlyPartner = "2088000000000002" // MD5 key only
	rsaOnlyPartner = "2088000000000003" // RSA public key only
	limitedPartner = "2088000000000004" // MD5 and RSA, contracted for WAP and query only
	unknownPartner = "2088999999999999"
)

var signTypes = []payment.SignType{payment.MD5, payment.RSA, payment.RSA2}

var (
	keysOnce    sync.Once
	alipayKey   *rsa.PrivateKey // the sandbox's "Alipay" key, made once per test binary
	merchantKey *rsa.PrivateKey // payment/testdata, 1024-bit
	keysErr     error
)

func keys(t *testing.T) (alipay, merchant *rsa.PrivateKey) {
	t.Helper()
	keysOnce.Do(func() {
		b, err := os.ReadFile(filepath.Join("..", "testdata", "merchant_private_key_pkcs8.b64"))
		if err != nil {
			keysErr = err
			return
		}
		if merchantKey, keysErr = payment.ParsePrivateKey(b); keysErr != nil {
			return
		}
		alipayKey, keysErr = rsa.GenerateKey(rand.Reader, 2048)
	})
	require.NoError(t, keysErr)
	return alipayKey, merchantKey
}

// clock is a controllable Config.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Set moves the clock to t, which may be in its past.
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// options configure an env.
type options struct {
	scale  float64
	now    func() time.Time // nil: the env's own clock, e.clock
	ttl    time.Duration
	noRun  bool // tests call e.round instead
	dbPath string
	// The refund rules, as sandbox.Config takes them; 0 is the default.
	// Most tests refund on a clock that stands still, and turn the
	// spacing between refunds off with refundInterval -1.
	refundInterval, refundWindow, refundDelay time.Duration
	feeBasisPoints                            int
}

// env is a sandbox mounted at /sandbox/ on a loopback server, with its
// notifier running, and a merchant site receiving its notifications.
type env struct {
	t       *testing.T
	sb      *sandbox.Sandbox
	srv     *httptest.Server
	site    *site
	browser *http.Client // does not follow redirects
	dbPath  string
	// clock is the sandbox's clock unless options.now gave another. It
	// stands still unless the test moves it: no retry comes due and no
	// notify_id expires because the machine is slow.
	clock  *clock
	now    func() time.Time // the sandbox's clock, which the env's clients share
	rounds *event           // fired after each round of Run
}

// openDB opens the sandbox's own handle on path, as the shop's main does.
func openDB(t *testing.T, path string) *gorm.DB {
	t.Helper()
	db, err := sandbox.OpenSQLite(path)
	require.NoError(t, err)
	sqlDB, err := db.DB()
	require.NoError(t, err)
	t.Cleanup(func() { _ = sqlDB.Close() })
	return db
}

// httpClient returns a client with a transport of its own, closed when the
// test ends, so that no test shares connections (or waits for them) with
// another. The servers are on loopback: the zero Transport, without proxy
// or timeouts, is what they need.
func httpClient(t *testing.T) *http.Client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func merchants(t *testing.T) []sandbox.Merchant {
	_, mk := keys(t)
	pub := &mk.PublicKey
	return []sandbox.Merchant{
		{Partner: partner, MD5Key: md5Key, PublicKey: pub},
		{Partner: md5OnlyPartner, MD5Key: md5Key},
		{Partner: rsaOnlyPartner, PublicKey: pub},
		{Partner: limitedPartner, MD5Key: md5Key, PublicKey: pub, Services: []payment.Service{payment.ServiceWAP, payment.ServiceQuery}},
	}
}

func newEnv(t *testing.T, o options) *env {
	t.Helper()
	ak, _ := keys(t)
	e := &env{t: t, site: newSite(t), dbPath: o.dbPath, rounds: newEvent()}
	if e.dbPath == "" {
		e.dbPath = filepath.Join(t.TempDir(), "sandbox.db")
	}
	if o.now == nil {
		e.clock = newClock()
		o.now = e.clock.Now
	}
	e.now = o.now
	mux := http.NewServeMux()
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	sb, err := sandbox.New(sandbox.Config{
		DB: openDB(t, e.dbPath), Prefix: "/sandbox", PublicURL: e.srv.URL, Merchants: merchants(t),
		AlipayKey: ak, TimeScale: o.scale, NotifyIDTTL: o.ttl, Now: o.now, HTTPClient: httpClient(t),
		RefundInterval: o.refundInterval, RefundWindow: o.refundWindow, RefundDelay: o.refundDelay,
		FeeBasisPoints: o.feeBasisPoints,
	})
	require.NoError(t, err)
	sb.AfterRound(e.rounds.fire)
	e.sb = sb
	mux.Handle("/sandbox/", sb)
	e.browser = httpClient(t)
	e.browser.Timeout = patience
	e.browser.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if !o.noRun {
		e.run(sb)
	}
	return e
}

// run runs sb's notifier until the test ends, and checks that Run returns.
func (e *env) run(sb *sandbox.Sandbox) (stop func()) {
	t := e.t
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sb.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				assert.NoError(t, err, "Run")
			case <-time.After(patience):
				t.Error("Run did not return after its context was cancelled")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// round runs one round of the notifier and the sweeper, for tests without
// Run: when it returns, what was due is delivered or closed.
func (e *env) round() {
	e.t.Helper()
	_, err := e.sb.Round(ctx(e.t))
	require.NoError(e.t, err)
}

func (e *env) gateway() string { return e.srv.URL + "/sandbox/gateway.do" }

// client is payment's client for partner p with sign type st. It tells
// the day on the sandbox's clock, as a merchant's and Alipay's agree.
func (e *env) clientFor(p string, st payment.SignType) *payment.Client {
	e.t.Helper()
	ak, mk := keys(e.t)
	cfg := payment.Config{Gateway: e.gateway(), Partner: p, SignType: st, HTTPClient: httpClient(e.t), Now: e.now}
	if st == payment.MD5 {
		cfg.MD5Key = md5Key
	} else {
		cfg.PrivateKey, cfg.AlipayPublicKey = mk, &ak.PublicKey
	}
	c, err := payment.NewClient(cfg)
	require.NoError(e.t, err)
	return c
}

func (e *env) client(st payment.SignType) *payment.Client { return e.clientFor(partner, st) }

// signer is what a merchant signs requests with.
func signer(t *testing.T, st payment.SignType) payment.Signer {
	t.Helper()
	_, mk := keys(t)
	if st == payment.MD5 {
		k, err := payment.NewMD5Key(md5Key)
		require.NoError(t, err)
		return k
	}
	s, err := payment.NewRSASigner(st, mk)
	require.NoError(t, err)
	return s
}

// alipayVerifier verifies what the sandbox signs for sign type st.
func alipayVerifier(t *testing.T, st payment.SignType) payment.Verifier {
	t.Helper()
	ak, _ := keys(t)
	if st == payment.MD5 {
		k, err := payment.NewMD5Key(md5Key)
		require.NoError(t, err)
		return k
	}
	v, err := payment.NewRSAVerifier(st, &ak.PublicKey)
	require.NoError(t, err)
	return v
}

var outTradeSeq atomic.Int64

// newOutTradeNo returns an out_trade_no no other test uses.
func newOutTradeNo(prefix string) string {
	return fmt.Sprintf("%s%d%06d", prefix, time.Now().UnixNano()%1e9, outTradeSeq.Add(1))
}
