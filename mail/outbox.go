package mail

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"shop/models"
)

// Backoff is how long the worker waits after each failed attempt before
// the next: seven attempts over about 24 hours, then the e-mail is given
// up and kept with its last error.
var Backoff = []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 6 * time.Hour, 15 * time.Hour}

// MaxAttempts is how often an e-mail is tried before it is given up.
var MaxAttempts = len(Backoff) + 1

// Lease is how long a claimed e-mail is the claimer's alone. Sending is
// cut off well before it ends (see sendTimeout), so that no other worker
// can claim an e-mail that is still being sent; only a worker that dies
// mid-send leaves it to another one, after Lease.
const Lease = 10 * time.Minute

// sendTimeout bounds one attempt, inside the lease.
const sendTimeout = Lease / 2

// Store is what the worker needs from the database.
type Store interface {
	ClaimMail(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]models.Mail, error)
	MailSent(ctx context.Context, m *models.Mail, at time.Time) error
	MailFailed(ctx context.Context, m *models.Mail, reason string, retryAt time.Time) error
}

// WorkerConfig configures a Worker.
type WorkerConfig struct {
	Store    Store
	Renderer *Renderer
	Sender   Sender
	// Interval is how often the worker looks for e-mails due; 0 means 2 s.
	Interval time.Duration
	Logger   *slog.Logger
	Now      func() time.Time // nil means time.Now
}

// Worker sends the e-mails the outbox holds. Every instance of the shop
// may run one: each e-mail is claimed by one worker at a time (see
// models.DB.ClaimMail), and a worker claims one e-mail at a time, so that
// its lease never runs out while it waits for another e-mail to be sent.
type Worker struct {
	store    Store
	render   *Renderer
	sender   Sender
	interval time.Duration
	log      *slog.Logger
	now      func() time.Time
}

// NewWorker returns a Worker.
func NewWorker(cfg WorkerConfig) *Worker {
	w := &Worker{store: cfg.Store, render: cfg.Renderer, sender: cfg.Sender, interval: cfg.Interval, log: cfg.Logger, now: cfg.Now}
	if w.interval <= 0 {
		w.interval = 2 * time.Second
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	if w.now == nil {
		w.now = time.Now
	}
	return w
}

// Run sends the e-mails due, and then those that fall due, until ctx is
// done.
func (w *Worker) Run(ctx context.Context) {
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		if _, err := w.RunOnce(ctx); err != nil && ctx.Err() == nil {
			w.log.Error("mail: outbox", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce tries the e-mails due until none is, and returns how many it
// tried; a failed e-mail is due again only after its backoff. An error is the database's: a failed attempt is recorded, not
// returned.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	tried := 0
	for ctx.Err() == nil {
		// The lease starts at the claim, so that every e-mail has all of
		// it however long the ones before it took.
		ms, err := w.store.ClaimMail(ctx, w.now(), Lease, 1)
		if err != nil || len(ms) == 0 {
			return tried, err
		}
		tried++
		if err := w.attempt(ctx, &ms[0]); err != nil {
			return tried, err
		}
	}
	return tried, ctx.Err()
}

// attempt sends one claimed e-mail and records the result.
func (w *Worker) attempt(ctx context.Context, m *models.Mail) error {
	orderNo := ""
	if m.Order != nil {
		orderNo = m.Order.OrderNo
	}
	log := w.log.With("outbox_id", m.ID, "kind", string(m.Kind), "order_no", orderNo, "attempt", m.Attempts)
	var err error
	if m.Attempts > MaxAttempts {
		// Claimed again after a worker died while sending it.
		err = errors.New("no attempt left after a worker stopped while sending it")
	} else {
		err = w.send(ctx, m)
	}
	now := w.now()
	if err == nil {
		log.Info("mail: sent")
		return w.record(w.store.MailSent(ctx, m, now))
	}
	if ctx.Err() != nil {
		// Shutting down: the attempt did not really happen. The lease
		// runs out and a later round tries again.
		return ctx.Err()
	}
	if errors.Is(err, ErrPermanent) || m.Attempts >= MaxAttempts {
		log.Error("mail: given up", "err", err)
		return w.record(w.store.MailFailed(ctx, m, err.Error(), time.Time{}))
	}
	retry := now.Add(Backoff[m.Attempts-1])
	log.Warn("mail: attempt failed", "err", err, "retry_at", retry)
	return w.record(w.store.MailFailed(ctx, m, err.Error(), retry))
}

func (w *Worker) send(ctx context.Context, m *models.Mail) error {
	msg, err := w.render.Render(m)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	return w.sender.Send(ctx, msg)
}

// record reports a database error; a lost lease only means another worker
// took the e-mail over, and is logged.
func (w *Worker) record(err error) error {
	if errors.Is(err, models.ErrLeaseLost) {
		w.log.Warn("mail: result not recorded", "err", err)
		return nil
	}
	return err
}
