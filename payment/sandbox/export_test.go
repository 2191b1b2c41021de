package sandbox

import (
	"context"
	"time"
)

// Round runs one round of Run, as of the sandbox's clock: it closes expired
// trades, delivers the notifications due and returns the earliest deadline
// left. A test that moves an injected clock calls it instead of running Run,
// so that nothing happens between its steps but what it asks for.
func (s *Sandbox) Round(ctx context.Context) (time.Time, error) {
	return s.round(ctx)
}

// AfterRound has Run call f after each round, every delivery of the round
// recorded: tests wait on it instead of polling. Call it before Run starts.
func (s *Sandbox) AfterRound(f func()) {
	s.afterRound = f
}

// Fee is Alipay's charge on minor units in the files, at Config.FeeBasisPoints.
func (s *Sandbox) Fee(minor int64) int64 {
	return s.fee(minor)
}
