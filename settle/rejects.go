package settle

import (
	"context"
	"errors"
	"sync"
	"time"
	"unicode/utf8"

	"shop/models"
)

// Rejected notifications are tallied in memory and written at most once
// per flushEvery, one row per hour and reason: a flood of forged
// notifications costs a counter increment each, not a disk write, and the
// database grows by a row per reason per hour whatever the flood.
const (
	flushEvery = time.Second
	// RejectRetention is how long the tallies are kept.
	RejectRetention = 30 * 24 * time.Hour
)

// rejects is the in-memory tally not yet written.
type rejects struct {
	mu      sync.Mutex
	pending map[string]*tally
}

type tally struct {
	count  int64
	at     time.Time
	remote string
	sample string
}

func (r *rejects) add(reason string, at time.Time, remote string, body []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pending == nil {
		r.pending = map[string]*tally{}
	}
	t := r.pending[reason]
	if t == nil {
		t = &tally{}
		r.pending[reason] = t
	}
	t.count++
	t.at, t.remote = at, remote
	t.sample = sample(body)
}

// take returns the pending tallies and forgets them.
func (r *rejects) take() map[string]*tally {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.pending
	r.pending = nil
	return p
}

// sample is the start of a body, valid UTF-8, at most models.SampleLimit
// bytes: enough to see what was sent, never the whole of it.
func sample(body []byte) string {
	if len(body) > models.SampleLimit {
		body = body[:models.SampleLimit]
	}
	for len(body) > 0 && !utf8.Valid(body) {
		body = body[:len(body)-1]
	}
	return string(body)
}

// Flush writes the tallies of rejected notifications counted so far.
// Tallies that cannot be written are kept for the next flush.
func (s *Settler) Flush(ctx context.Context) error {
	var errs []error
	for reason, t := range s.rejects.take() {
		if err := s.store.RecordRejects(ctx, reason, t.count, t.at, t.remote, t.sample); err != nil {
			errs = append(errs, err)
			s.rejects.mu.Lock()
			if s.rejects.pending == nil {
				s.rejects.pending = map[string]*tally{}
			}
			if cur := s.rejects.pending[reason]; cur != nil {
				cur.count += t.count
			} else {
				s.rejects.pending[reason] = t
			}
			s.rejects.mu.Unlock()
		}
	}
	return errors.Join(errs...)
}

// Run writes the tallies every second and drops those older than
// RejectRetention every hour, until ctx is done; then it writes what is
// left.
func (s *Settler) Run(ctx context.Context) {
	flush := time.NewTicker(flushEvery)
	defer flush.Stop()
	prune := time.NewTicker(time.Hour)
	defer prune.Stop()
	s.prune(ctx)
	for {
		select {
		case <-ctx.Done():
			// A fresh context: the one given is done, the last tallies are not.
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if err := s.Flush(final); err != nil {
				s.log.Error("notify: writing rejected notifications", "err", err)
			}
			cancel()
			return
		case <-flush.C:
			if err := s.Flush(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("notify: writing rejected notifications", "err", err)
			}
		case <-prune.C:
			s.prune(ctx)
		}
	}
}

func (s *Settler) prune(ctx context.Context) {
	if _, err := s.store.PruneRejects(ctx, s.now().Add(-RejectRetention)); err != nil && ctx.Err() == nil {
		s.log.Error("notify: pruning rejected notifications", "err", err)
	}
}
