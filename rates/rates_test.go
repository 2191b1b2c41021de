package rates

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"shop/payment"
)

// fakeClock is a clock that moves only when a test fires a wait. Each
// After is handed to the test on waits, with the time it is due.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	waits chan wait
}

type wait struct {
	d    time.Duration
	due  time.Time
	fire chan time.Time
}

func newFakeClock(start time.Time) *fakeClock {
	return &fakeClock{now: start, waits: make(chan wait)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	c.waits <- wait{d: d, due: c.Now().Add(d), fire: ch}
	return ch
}

// next returns the worker's next wait; the worker is blocked until fire.
func (c *fakeClock) next(t *testing.T) wait {
	t.Helper()
	select {
	case w := <-c.waits:
		return w
	case <-t.Context().Done():
		t.Fatal("the worker never waited")
		return wait{}
	}
}

// fire moves the clock to the wait's due time and wakes the worker.
func (c *fakeClock) fire(w wait) {
	c.mu.Lock()
	c.now = w.due
	c.mu.Unlock()
	w.fire <- w.due
}

// fakeSource answers with the scripted results in turn (the last one
// again once they run out) and records when it was called.
type fakeSource struct {
	clock   *fakeClock
	mu      sync.Mutex
	results []result
	calls   []time.Time
}

type result struct {
	rates []payment.Rate
	err   error
}

func (s *fakeSource) ForexRates(ctx context.Context) ([]payment.Rate, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, s.clock.Now())
	r := s.results[min(len(s.calls), len(s.results))-1]
	return r.rates, r.err
}

func (s *fakeSource) callTimes() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.calls...)
}

var (
	t0      = time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC)
	usd     = payment.Rate{Currency: "USD", Rate: "7.1234", Time: t0.Add(-time.Hour)}
	usdNew  = payment.Rate{Currency: "USD", Rate: "7.2000", Time: t0.Add(3 * time.Hour)}
	jpy     = payment.Rate{Currency: "JPY", Rate: "0.0482", Time: t0.Add(-time.Hour)}
	outage  = result{err: errors.New("gateway unreachable")}
	goodOne = result{rates: []payment.Rate{usd, jpy}}
)

// start runs the worker until the test ends.
func start(t *testing.T, src *fakeSource, clock *fakeClock) *Rates {
	t.Helper()
	r := New(Config{Source: src, Clock: clock})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		r.Run(ctx)
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		// The worker may be handing its next wait over: take it.
		select {
		case <-done:
		case <-clock.waits:
			<-done
		}
	})
	return r
}

func TestRunSchedule(t *testing.T) {
	clock := newFakeClock(t0)
	src := &fakeSource{clock: clock, results: []result{goodOne, {rates: []payment.Rate{usdNew}}}}
	r := start(t, src, clock)

	w := clock.next(t)
	assert.Equal(t, []time.Time{t0}, src.callTimes(), "fetched at start")
	assert.Equal(t, Interval, w.d)
	got, ok := r.Rate("USD")
	require.True(t, ok)
	assert.Equal(t, usd, got, "the rate with Alipay's time")
	_, ok = r.Rate("JPY")
	assert.True(t, ok)
	assert.Equal(t, t0, r.Fetched())

	clock.fire(w)
	w = clock.next(t)
	assert.Equal(t, []time.Time{t0, t0.Add(time.Hour)}, src.callTimes(), "then every hour")
	assert.Equal(t, t0.Add(2*time.Hour), w.due)
	got, _ = r.Rate("USD")
	assert.Equal(t, usdNew, got, "the newer file replaces the older")
	_, ok = r.Rate("JPY")
	assert.False(t, ok, "a currency the newer file lacks is gone")
	assert.Equal(t, t0.Add(time.Hour), r.Fetched())
}

func TestRunBacksOff(t *testing.T) {
	clock := newFakeClock(t0)
	src := &fakeSource{clock: clock, results: []result{goodOne, outage, outage, outage, outage, outage, outage, outage, outage, goodOne}}
	r := start(t, src, clock)

	var waits []time.Duration
	for range 10 {
		w := clock.next(t)
		waits = append(waits, w.d)
		if len(waits) == 2 {
			got, ok := r.Rate("USD")
			assert.True(t, ok, "a failed fetch keeps the rates held")
			assert.Equal(t, usd, got)
			assert.Equal(t, t0, r.Fetched(), "fetched when they were")
		}
		clock.fire(w)
	}
	assert.Equal(t, []time.Duration{
		time.Hour, // fetched at start
		time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 32 * time.Minute,
		time.Hour, time.Hour, // never longer than the interval
		time.Hour, // a success: back to the hourly schedule
	}, waits)
	clock.next(t) // the fetch after the last wait has happened
	calls := src.callTimes()
	require.Len(t, calls, 11)
	assert.Equal(t, t0.Add(time.Hour+time.Minute), calls[2], "the first retry a minute after the failure")
}

func TestRunFailsAtStart(t *testing.T) {
	clock := newFakeClock(t0)
	src := &fakeSource{clock: clock, results: []result{outage, goodOne}}
	r := start(t, src, clock)

	w := clock.next(t)
	assert.Equal(t, FirstRetry, w.d, "a failed first fetch is retried soon, not in an hour")
	_, ok := r.Rate("USD")
	assert.False(t, ok, "no rate before the first success")
	assert.True(t, r.Fetched().IsZero())

	clock.fire(w)
	w = clock.next(t)
	assert.Equal(t, Interval, w.d)
	_, ok = r.Rate("USD")
	assert.True(t, ok)
}

func TestRunStops(t *testing.T) {
	clock := newFakeClock(t0)
	src := &fakeSource{clock: clock, results: []result{goodOne}}
	r := New(Config{Source: src, Clock: clock})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		r.Run(ctx)
		close(done)
	}()
	clock.next(t) // waiting for the next round
	cancel()
	select {
	case <-done:
	case <-t.Context().Done():
		t.Fatal("Run did not return after its context was cancelled")
	}
}

func TestBackoff(t *testing.T) {
	for failures, want := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute,
		16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour} {
		assert.Equal(t, want, Backoff(failures), "after %d", failures)
	}
	assert.Equal(t, Interval, Backoff(1000), "no overflow")
}
