// Package rates keeps Alipay's latest exchange rates in memory, for the
// CNY estimates Chinese shoppers see beside prices. A worker fetches the
// rate file (forex_rate_file) at start and then every hour, and sooner
// again after a failure, backing off; the rates it last fetched stay until
// newer ones arrive. Each instance fetches its own: the file is small and
// the same for everybody.
//
// The rates are for showing estimates only. Alipay converts the buyer's
// payment at its own rate at the time: no amount charged or compared is
// ever computed from them.
package rates

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"shop/payment"
)

// Source is where the rates come from: payment.Client.ForexRates.
type Source interface {
	ForexRates(ctx context.Context) ([]payment.Rate, error)
}

// Clock is the worker's time: now, and a channel that delivers once d has
// passed. Tests move it by hand.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// The schedule: every Interval while fetches succeed; after a failure,
// FirstRetry later, doubling with each further failure up to Interval.
const (
	Interval   = time.Hour
	FirstRetry = time.Minute
)

// fetchTimeout bounds one fetch, whatever the HTTP client allows.
const fetchTimeout = 30 * time.Second

// Config configures Rates.
type Config struct {
	Source Source
	Clock  Clock // nil means the system clock
	Logger *slog.Logger
}

// Rates holds the latest rates, by currency. The zero value is not
// usable; New makes one. Its methods are safe for concurrent use.
type Rates struct {
	src   Source
	clock Clock
	log   *slog.Logger

	mu      sync.RWMutex
	byCur   map[payment.Currency]payment.Rate
	fetched time.Time
}

// New returns Rates holding no rate yet.
func New(cfg Config) *Rates {
	r := &Rates{src: cfg.Source, clock: cfg.Clock, log: cfg.Logger}
	if r.clock == nil {
		r.clock = systemClock{}
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	return r
}

// Rate returns the latest rate of c, CNY per unit, with the time Alipay
// set it; false when there is none.
func (r *Rates) Rate(c payment.Currency) (payment.Rate, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	rate, ok := r.byCur[c]
	return rate, ok
}

// Fetched returns when the rates held were fetched; the zero time if never.
func (r *Rates) Fetched() time.Time {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.fetched
}

// Fetch downloads the rate file once and keeps what it holds. On failure
// the rates held before stay: they carry their own time, and whoever shows
// them decides when they are too old.
func (r *Rates) Fetch(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	list, err := r.src.ForexRates(ctx)
	if err != nil {
		return err
	}
	byCur := make(map[payment.Currency]payment.Rate, len(list))
	for _, rate := range list {
		byCur[rate.Currency] = rate
	}
	r.mu.Lock()
	r.byCur, r.fetched = byCur, r.clock.Now()
	r.mu.Unlock()
	return nil
}

// Run fetches at once, then on the schedule, until ctx is done.
func (r *Rates) Run(ctx context.Context) {
	failures := 0
	for {
		wait := Interval
		if err := r.Fetch(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			wait = Backoff(failures)
			failures++
			r.log.Warn("rates: fetching forex_rate_file failed", "err", err, "failures", failures, "retry_in", wait)
		} else {
			failures = 0
		}
		select {
		case <-ctx.Done():
			return
		case <-r.clock.After(wait):
		}
	}
}

// Backoff is the wait after the given number of failures in a row before
// the last one: FirstRetry, then twice as long each time, at most Interval.
func Backoff(failures int) time.Duration {
	d := FirstRetry
	for range failures {
		d *= 2
		if d >= Interval {
			return Interval
		}
	}
	return min(d, Interval)
}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
