package mail

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"shop/internal/testdb"
	"shop/models"
)

// openDB opens a database of the test's own (SQLite, or a schema of the
// PostgreSQL database TEST_DATABASE_URL names) with the catalog seeded;
// opening src again gives a second handle with a pool of its own, as
// another instance has.
func openDB(t *testing.T, src string) *models.DB {
	t.Helper()
	db, err := models.Open(context.Background(), src, nil)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	require.NoError(t, db.SeedCatalog(context.Background(), "USD", 2))
	return db
}

var tradeSeq atomic.Int64

// paidOrder creates an order in lang and pays it, which queues its
// confirmation; it returns the order.
func paidOrder(t *testing.T, db *models.DB, lang, email string) *models.Order {
	t.Helper()
	ctx := context.Background()
	p, err := db.ProductBySlug(ctx, "silk-scarf")
	require.NoError(t, err)
	o, _, err := db.CreateOrder(ctx, models.NewOrder{
		OwnerID: "owner", Channel: models.ChannelWAP, Currency: "USD", Items: []models.Item{{ProductID: p.ID, Quantity: 2}},
		Name: "Li Lei", Phone: "+86 138 0000 0000", Email: email, Address: "88 Century Avenue\nPudong, Shanghai",
		ExpiresAt: time.Now().Add(30 * time.Minute), Lang: lang,
	})
	require.NoError(t, err)
	tradeNo := fmt.Sprintf("2026120222001%015d", tradeSeq.Add(1))
	pay := models.Payment{OrderNo: o.OrderNo, TradeNo: tradeNo, Event: models.EventPaid,
		AmountMinor: o.TotalMinor, Currency: o.Currency, At: time.Now()}
	n := &models.Notification{RemoteAddr: "110.75.1.1", ContentType: "application/x-www-form-urlencoded",
		Body: "out_trade_no=" + o.OrderNo, NotifyID: "nid-" + tradeNo, OutTradeNo: o.OrderNo, TradeNo: tradeNo, TradeStatus: "TRADE_FINISHED"}
	v, paid, err := db.ApplyPayment(ctx, n, pay)
	require.NoError(t, err)
	require.Equal(t, models.VerdictPaid, v)
	return paid
}

// outbox returns the one outbox row of an order.
func outbox(t *testing.T, db *models.DB, o *models.Order) models.Mail {
	t.Helper()
	ms, err := db.MailOf(context.Background(), o.ID)
	require.NoError(t, err)
	require.Len(t, ms, 1)
	return ms[0]
}

// clock is a settable clock for the worker.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

// PostgreSQL keeps microseconds: so does the clock, for exact comparisons.
func newClock() *clock {
	return &clock{now: time.Now().UTC().Add(time.Second).Truncate(time.Microsecond)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// fakeSender records the messages it is given and answers each with the
// next of its errors (nil once they run out).
type fakeSender struct {
	mu   sync.Mutex
	sent []*Message
	errs []error
	// always, when set, is the answer to every message.
	always error
	// onSend, when set, is called with each message after it is recorded.
	onSend func(*Message)
}

func (f *fakeSender) Send(_ context.Context, m *Message) error {
	f.mu.Lock()
	var err error
	switch {
	case f.always != nil:
		err = f.always
	case len(f.errs) > 0:
		err, f.errs = f.errs[0], f.errs[1:]
	}
	if err == nil {
		f.sent = append(f.sent, m)
	}
	on := f.onSend
	f.mu.Unlock()
	if on != nil && err == nil {
		on(m)
	}
	return err
}

func (f *fakeSender) messages() []*Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*Message(nil), f.sent...)
}

// newTestWorker returns a worker on db sending through s on clock c.
func newTestWorker(t *testing.T, db *models.DB, s Sender, c *clock) *Worker {
	t.Helper()
	r, err := NewRenderer(RendererConfig{BaseURL: "https://shop.example.com"})
	require.NoError(t, err)
	return NewWorker(WorkerConfig{Store: db, Renderer: r, Sender: s, Now: c.Now})
}

// source returns where the test's database lives.
func source(t *testing.T) string { return testdb.Source(t) }
