package refundcheck

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/internal/testdb"
	"shop/models"
	"shop/payment"
)

// fakeAlipay answers alipay.acquire.refund.query and forex_refund from
// scripts.
type fakeAlipay struct {
	mu      sync.Mutex
	answers []func(q payment.RefundQueryRequest) (*payment.RefundQueryResult, error)
	asked   []payment.RefundQueryRequest
	refunds []func(payment.RefundRequest) (*payment.RefundResult, error)
	sent    []payment.RefundRequest
}

func (f *fakeAlipay) Refund(_ context.Context, r payment.RefundRequest) (*payment.RefundResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, r)
	a := f.refunds[0]
	f.refunds = f.refunds[1:]
	return a(r)
}

func (f *fakeAlipay) QueryRefund(_ context.Context, q payment.RefundQueryRequest) (*payment.RefundQueryResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, q)
	a := f.answers[0]
	f.answers = f.answers[1:]
	return a(q)
}

func status(s payment.RefundStatus, code string) func(payment.RefundQueryRequest) (*payment.RefundQueryResult, error) {
	return func(q payment.RefundQueryRequest) (*payment.RefundQueryResult, error) {
		return &payment.RefundQueryResult{OutTradeNo: q.OutTradeNo, OutReturnNo: q.OutReturnNo, Status: s, ErrorCode: code}, nil
	}
}

func TestBackoff(t *testing.T) {
	assert.Equal(t, FirstCheck, Backoff(0))
	assert.Equal(t, 4*time.Minute, Backoff(1))
	assert.Equal(t, 8*time.Minute, Backoff(2))
	assert.Equal(t, 6*time.Hour, Backoff(8))
	assert.Equal(t, 6*time.Hour, Backoff(1000))
}

// TestCheckerBacksOffThenEnds: processing, then no answer, then failed:
// each check is scheduled further out, and the failure ends the refund
// and frees its amount.
func TestCheckerBacksOffThenEnds(t *testing.T) {
	ctx := context.Background()
	db, o := paidOrder(t)
	r, err := db.StartAsyncRefund(ctx, o.OrderNo, 100, "dent", false, models.AuditEntry{Staff: "ann", Action: "refund"})
	require.NoError(t, err)
	// PostgreSQL keeps microseconds, SQLite nanoseconds: whole seconds compare on both.
	now := time.Now().UTC().Truncate(time.Second)
	_, err = db.AcceptRefund(ctx, r.OutReturnNo, now.Add(FirstCheck))
	require.NoError(t, err)

	alipay := &fakeAlipay{}
	clock := now
	c := New(Config{Store: db, Alipay: alipay, Now: func() time.Time { return clock }})
	next := func() time.Time {
		got, err := db.RefundByNo(ctx, r.OutReturnNo)
		require.NoError(t, err)
		require.NotNil(t, got.NextCheckAt)
		return got.NextCheckAt.UTC()
	}

	require.NoError(t, c.Once(ctx))
	assert.Empty(t, alipay.asked, "not due yet")

	clock = now.Add(FirstCheck)
	alipay.answers = append(alipay.answers, status(payment.RefundProcessing, ""))
	require.NoError(t, c.Once(ctx))
	assert.Equal(t, []payment.RefundQueryRequest{{OutTradeNo: o.OrderNo, OutReturnNo: r.OutReturnNo}}, alipay.asked)
	assert.Equal(t, clock.Add(Backoff(0)), next())

	clock = clock.Add(Backoff(0))
	alipay.answers = append(alipay.answers, func(payment.RefundQueryRequest) (*payment.RefundQueryResult, error) {
		return nil, errors.Join(payment.ErrGateway, errors.New("timeout"))
	})
	require.NoError(t, c.Once(ctx), "no answer is no error of the checker's: it asks again later")
	assert.Equal(t, clock.Add(Backoff(1)), next())

	clock = clock.Add(Backoff(1))
	alipay.answers = append(alipay.answers, status(payment.RefundFailed, "MERCHANT_BALANCE_NOT_ENOUGH"))
	require.NoError(t, c.Once(ctx))
	got, err := db.RefundByNo(ctx, r.OutReturnNo)
	require.NoError(t, err)
	assert.Equal(t, models.RefundFailed, got.Status)
	assert.Equal(t, "MERCHANT_BALANCE_NOT_ENOUGH", got.ErrorCode)
	assert.Equal(t, 2, got.Checks)
	assert.Nil(t, got.NextCheckAt)
	cur, err := db.OrderByNo(ctx, o.OrderNo)
	require.NoError(t, err)
	assert.Zero(t, cur.RefundedMinor)
	assert.Equal(t, models.StatusPaid, cur.Status)

	clock = clock.Add(24 * time.Hour)
	require.NoError(t, c.Once(ctx))
	assert.Len(t, alipay.asked, 3, "an ended refund is not asked about")
}

// paidOrder opens a database with one paid order in it.
func paidOrder(t *testing.T) (*models.DB, *models.Order) {
	t.Helper()
	ctx := context.Background()
	db, err := models.Open(ctx, testdb.Source(t), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, db.SeedCatalog(ctx, "USD", 2))
	p, err := db.ProductBySlug(ctx, "silk-scarf")
	require.NoError(t, err)
	o, _, err := db.CreateOrder(ctx, models.NewOrder{OwnerID: "o", Channel: models.ChannelWAP, Currency: "USD",
		Items: []models.Item{{ProductID: p.ID, Quantity: 1}}, Name: "Li", Email: "li@example.com", Address: "1 Road",
		ExpiresAt: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	pay := models.Payment{OrderNo: o.OrderNo, TradeNo: "2026120122001000000000000001", Event: models.EventPaid,
		AmountMinor: o.TotalMinor, Currency: "USD", At: time.Now()}
	_, _, err = db.ApplyPayment(ctx, &models.Notification{OutTradeNo: o.OrderNo, TradeNo: pay.TradeNo}, pay)
	require.NoError(t, err)
	return db, o
}

func refundAnswer(res *payment.RefundResult, err error) func(payment.RefundRequest) (*payment.RefundResult, error) {
	return func(payment.RefundRequest) (*payment.RefundResult, error) { return res, err }
}

// TestCheckerSendsUnansweredRefundsAgain: a refund whose answer was never
// recorded (a timeout, a 5xx, a crash) is sent again once RefundAnswerWait
// has passed, the same request each time, on a growing interval, until an
// answer ends it; an asynchronous one, once accepted, is asked about
// instead.
func TestCheckerSendsUnansweredRefundsAgain(t *testing.T) {
	lost := errors.Join(payment.ErrGateway, errors.New("read tcp: i/o timeout"))

	t.Run("made when sent again", func(t *testing.T) {
		ctx := context.Background()
		db, o := paidOrder(t)
		r, err := db.StartRefund(ctx, o.OrderNo, o.TotalMinor, "dent", false, models.AuditEntry{Staff: "ann", Action: "refund"})
		require.NoError(t, err)
		require.NotNil(t, r.NextCheckAt)
		start := r.NextCheckAt.Add(-models.RefundAnswerWait)

		alipay := &fakeAlipay{}
		clock := start.Add(models.RefundAnswerWait - time.Second)
		c := New(Config{Store: db, Alipay: alipay, NotifyURL: "https://shop.example/alipay/notify", Now: func() time.Time { return clock }})
		require.NoError(t, c.Once(ctx))
		assert.Empty(t, alipay.sent, "the first answer may still be on its way")

		clock = start.Add(models.RefundAnswerWait)
		alipay.refunds = append(alipay.refunds, refundAnswer(nil, lost))
		require.NoError(t, c.Once(ctx))
		require.Len(t, alipay.sent, 1)
		got, err := db.RefundByNo(ctx, r.OutReturnNo)
		require.NoError(t, err)
		assert.Equal(t, models.RefundPending, got.Status)
		assert.Equal(t, 1, got.Checks)
		require.NotNil(t, got.NextCheckAt)
		assert.WithinDuration(t, clock.Add(Backoff(0)), *got.NextCheckAt, time.Millisecond)

		clock = clock.Add(Backoff(0) - time.Second)
		require.NoError(t, c.Once(ctx))
		assert.Len(t, alipay.sent, 1, "not due again yet")

		clock = clock.Add(time.Second)
		alipay.refunds = append(alipay.refunds, refundAnswer(&payment.RefundResult{}, nil))
		require.NoError(t, c.Once(ctx))
		require.Len(t, alipay.sent, 2)
		assert.Equal(t, alipay.sent[0], alipay.sent[1], "the same out_return_no, amount and gmt_return: the same refund to Alipay")
		sent := alipay.sent[0]
		// PostgreSQL keeps microseconds; gmt_return is in seconds.
		assert.WithinDuration(t, r.CreatedAt, sent.RequestedAt, time.Microsecond, "gmt_return: when the refund was stored")
		sent.RequestedAt = time.Time{}
		assert.Equal(t, payment.RefundRequest{OutReturnNo: r.OutReturnNo, OutTradeNo: o.OrderNo, Currency: "USD",
			Amount: o.TotalMinor, Reason: "dent", ProductCode: payment.ProductWAP, IsSync: true}, sent)
		got, err = db.RefundByNo(ctx, r.OutReturnNo)
		require.NoError(t, err)
		assert.Equal(t, models.RefundSucceeded, got.Status)
		assert.Nil(t, got.NextCheckAt)
		cur, err := db.OrderByNo(ctx, o.OrderNo)
		require.NoError(t, err)
		assert.Equal(t, models.StatusRefunded, cur.Status)
		assert.Equal(t, o.TotalMinor, cur.RefundedMinor)

		clock = clock.Add(24 * time.Hour)
		require.NoError(t, c.Once(ctx))
		assert.Len(t, alipay.sent, 2, "an ended refund is not sent again")
	})

	t.Run("refused for good", func(t *testing.T) {
		ctx := context.Background()
		db, o := paidOrder(t)
		r, err := db.StartRefund(ctx, o.OrderNo, 100, "dent", false, models.AuditEntry{Staff: "ann", Action: "refund"})
		require.NoError(t, err)
		alipay := &fakeAlipay{refunds: []func(payment.RefundRequest) (*payment.RefundResult, error){
			refundAnswer(nil, &payment.GatewayError{Code: "RETURN_AMOUNT_EXCEED"}),
		}}
		c := New(Config{Store: db, Alipay: alipay, Now: func() time.Time { return r.NextCheckAt.Add(time.Second) }})
		require.NoError(t, c.Once(ctx))
		got, err := db.RefundByNo(ctx, r.OutReturnNo)
		require.NoError(t, err)
		assert.Equal(t, models.RefundFailed, got.Status)
		assert.Equal(t, "RETURN_AMOUNT_EXCEED", got.ErrorCode)
	})

	t.Run("asynchronous: accepted, then asked about", func(t *testing.T) {
		ctx := context.Background()
		db, o := paidOrder(t)
		r, err := db.StartAsyncRefund(ctx, o.OrderNo, 100, "dent", false, models.AuditEntry{Staff: "ann", Action: "refund"})
		require.NoError(t, err)
		alipay := &fakeAlipay{refunds: []func(payment.RefundRequest) (*payment.RefundResult, error){
			refundAnswer(&payment.RefundResult{Accepted: true}, nil),
		}}
		clock := r.NextCheckAt.Add(time.Second)
		c := New(Config{Store: db, Alipay: alipay, NotifyURL: "https://shop.example/alipay/notify", Now: func() time.Time { return clock }})
		require.NoError(t, c.Once(ctx))
		require.Len(t, alipay.sent, 1)
		assert.False(t, alipay.sent[0].IsSync)
		assert.Equal(t, "https://shop.example/alipay/notify", alipay.sent[0].NotifyURL)
		got, err := db.RefundByNo(ctx, r.OutReturnNo)
		require.NoError(t, err)
		require.NotNil(t, got.AcceptedAt)
		assert.Equal(t, models.RefundPending, got.Status)

		clock = clock.Add(FirstCheck)
		alipay.answers = append(alipay.answers, status(payment.RefundSuccess, ""))
		require.NoError(t, c.Once(ctx))
		assert.Len(t, alipay.sent, 1, "an accepted refund is asked about, not sent again")
		assert.Len(t, alipay.asked, 1)
		got, err = db.RefundByNo(ctx, r.OutReturnNo)
		require.NoError(t, err)
		assert.Equal(t, models.RefundSucceeded, got.Status)
	})
}
