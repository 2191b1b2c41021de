package sandbox_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// patience bounds every wait, only so that a hang fails with a message
// rather than at the test binary's timeout. It is never what a test
// measures: what a test waits for happens on an event, however slow the
// machine.
const patience = time.Minute

// event is something that happens again and again (a round of Run, a
// request reaching the merchant site), for waiting on in a select.
type event struct {
	mu sync.Mutex
	ch chan struct{}
}

func newEvent() *event { return &event{ch: make(chan struct{})} }

// next returns a channel closed when the event next fires.
func (e *event) next() <-chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.ch
}

func (e *event) fire() {
	e.mu.Lock()
	defer e.mu.Unlock()
	close(e.ch)
	e.ch = make(chan struct{})
}

// await returns once cond holds, checking it now and after each firing of
// ev. It takes the channel before checking, so a firing between the check
// and the wait is not lost. describe says what was awaited, on failure.
func await(t *testing.T, ev *event, cond func() bool, describe func() string) {
	t.Helper()
	guard := time.NewTimer(patience)
	defer guard.Stop()
	for {
		fired := ev.next()
		if cond() {
			return
		}
		select {
		case <-fired:
		case <-guard.C:
			require.FailNow(t, "gave up waiting", describe())
		}
	}
}
