package mail

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/models"
)

// TestWorkerSends: a paid order's confirmation goes out once, to the
// address given at checkout, and is recorded as sent.
func TestWorkerSends(t *testing.T) {
	db := openDB(t, source(t))
	ctx := context.Background()
	o := paidOrder(t, db, "en", "li@example.com")
	c := newClock()
	s := &fakeSender{}
	w := newTestWorker(t, db, s, c)

	tried, err := w.RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, tried)
	msgs := s.messages()
	require.Len(t, msgs, 1)
	assert.Equal(t, "li@example.com", msgs[0].To)
	assert.Equal(t, o.OrderNo, msgs[0].OrderNo)
	assert.Contains(t, msgs[0].Subject, o.OrderNo)

	m := outbox(t, db, o)
	assert.Equal(t, models.MailSent, m.Status)
	assert.Equal(t, 1, m.Attempts)
	require.NotNil(t, m.SentAt)
	assert.True(t, m.SentAt.Equal(c.Now()), "sent at the worker's clock")

	c.Set(c.Now().Add(48 * time.Hour))
	tried, err = w.RunOnce(ctx)
	require.NoError(t, err)
	assert.Zero(t, tried, "nothing left to send")
	assert.Len(t, s.messages(), 1)
}

// TestWorkerRetries: a failed attempt is retried after the first backoff,
// not before; the next failure waits the second backoff; then the message
// goes out. The times checked are the scheduled ones.
func TestWorkerRetries(t *testing.T) {
	db := openDB(t, source(t))
	ctx := context.Background()
	o := paidOrder(t, db, "en", "li@example.com")
	c := newClock()
	s := &fakeSender{errs: []error{errors.New("421 try again later"), errors.New("connection reset")}}
	w := newTestWorker(t, db, s, c)
	t0 := c.Now()

	_, err := w.RunOnce(ctx)
	require.NoError(t, err)
	m := outbox(t, db, o)
	assert.Equal(t, models.MailPending, m.Status)
	assert.Equal(t, 1, m.Attempts)
	assert.Equal(t, "421 try again later", m.LastError)
	assert.True(t, m.NextAt.Equal(t0.Add(Backoff[0])), "due again after %s: %s", Backoff[0], m.NextAt)

	c.Set(m.NextAt.Add(-time.Millisecond))
	tried, err := w.RunOnce(ctx)
	require.NoError(t, err)
	assert.Zero(t, tried, "not before its time")

	c.Set(m.NextAt)
	_, err = w.RunOnce(ctx)
	require.NoError(t, err)
	m = outbox(t, db, o)
	assert.Equal(t, 2, m.Attempts)
	assert.Equal(t, "connection reset", m.LastError)
	assert.True(t, m.NextAt.Equal(t0.Add(Backoff[0]+Backoff[1])), "then after %s: %s", Backoff[1], m.NextAt)

	c.Set(m.NextAt)
	_, err = w.RunOnce(ctx)
	require.NoError(t, err)
	m = outbox(t, db, o)
	assert.Equal(t, models.MailSent, m.Status)
	assert.Equal(t, 3, m.Attempts)
	assert.Len(t, s.messages(), 1)
}

// TestWorkerGivesUp: an e-mail that always fails is tried MaxAttempts
// times, each after its backoff, about a day in all, and then kept with
// its last error and never tried again.
func TestWorkerGivesUp(t *testing.T) {
	db := openDB(t, source(t))
	ctx := context.Background()
	o := paidOrder(t, db, "en", "li@example.com")
	c := newClock()
	s := &fakeSender{always: errors.New("454 TLS not available")}
	w := newTestWorker(t, db, s, c)
	t0 := c.Now()

	var waits []time.Duration
	for attempt := 1; attempt <= MaxAttempts; attempt++ {
		tried, err := w.RunOnce(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, tried, "attempt %d", attempt)
		m := outbox(t, db, o)
		require.Equal(t, attempt, m.Attempts)
		if m.Status != models.MailPending {
			break
		}
		waits = append(waits, m.NextAt.Sub(c.Now()))
		c.Set(m.NextAt)
	}
	assert.Equal(t, Backoff, waits)
	m := outbox(t, db, o)
	assert.Equal(t, models.MailFailed, m.Status)
	assert.Equal(t, MaxAttempts, m.Attempts)
	assert.Equal(t, "454 TLS not available", m.LastError)
	last := c.Now().Sub(t0)
	assert.True(t, last > 20*time.Hour && last < 25*time.Hour, "the last attempt is about a day after the first: %s", last)

	c.Set(c.Now().Add(1000 * time.Hour))
	tried, err := w.RunOnce(ctx)
	require.NoError(t, err)
	assert.Zero(t, tried)
}

// TestWorkerGivesUpOnPermanentFailure: a recipient the server refuses for
// good is not retried.
func TestWorkerGivesUpOnPermanentFailure(t *testing.T) {
	db := openDB(t, source(t))
	o := paidOrder(t, db, "en", "nobody@example.com")
	s := &fakeSender{always: fmt.Errorf("RCPT TO: 550 no such user: %w", ErrPermanent)}
	_, err := newTestWorker(t, db, s, newClock()).RunOnce(context.Background())
	require.NoError(t, err)
	m := outbox(t, db, o)
	assert.Equal(t, models.MailFailed, m.Status)
	assert.Equal(t, 1, m.Attempts)
	assert.Contains(t, m.LastError, "550 no such user")
}

// TestWorkersNeverSendTwice: two workers, each on a database handle of its
// own as two instances are, run at once over many due e-mails: each goes
// out exactly once.
func TestWorkersNeverSendTwice(t *testing.T) {
	src := source(t)
	dbs := []*models.DB{openDB(t, src), openDB(t, src)}
	const orders = 20
	require.NoError(t, dbs[0].Gorm().Model(&models.Product{}).Where("stock >= 0").Update("stock", 1000).Error)
	for i := range orders {
		paidOrder(t, dbs[0], "en", fmt.Sprintf("shopper%d@example.com", i))
	}
	c := newClock()
	s := &fakeSender{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, db := range dbs {
		w := newTestWorker(t, db, s, c)
		wg.Go(func() {
			<-start
			_, err := w.RunOnce(context.Background())
			assert.NoError(t, err)
		})
	}
	close(start)
	wg.Wait()

	count := map[string]int{}
	for _, m := range s.messages() {
		count[m.To]++
	}
	assert.Len(t, count, orders, "every e-mail sent")
	for to, n := range count {
		assert.Equal(t, 1, n, "%s got %d copies", to, n)
	}
	var sent int64
	require.NoError(t, dbs[0].Gorm().Model(&models.Mail{}).Where("status = ? AND attempts = 1", models.MailSent).Count(&sent).Error)
	assert.EqualValues(t, orders, sent)
}

// TestWorkerRun: Run sends what is due without being asked, and returns
// when its context is cancelled.
func TestWorkerRun(t *testing.T) {
	db := openDB(t, source(t))
	o := paidOrder(t, db, "zh", "li@example.com")
	sent := make(chan *Message, 1)
	s := &fakeSender{onSend: func(m *Message) { sent <- m }}
	w := newTestWorker(t, db, s, newClock())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		w.Run(ctx)
		close(done)
	}()
	m := <-sent
	assert.Equal(t, o.OrderNo, m.OrderNo)
	cancel()
	<-done
}
