package sesguard_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/internal/testclock"
)

// sleeper is an Options.Sleep that moves a test clock forward instead of
// waiting, and records each wait, so that pacing is tested without sleeping.
type sleeper struct {
	clk   *clock
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeper) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	s.clk.Advance(d)
	return nil
}

func (s *sleeper) taken() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.waits
	s.waits = nil
	return w
}

// onClock returns options that put a Client on clk, waiting with s.
func onClock(clk *clock, s *sleeper) func(*sesguard.Options) {
	return func(o *sesguard.Options) {
		o.Now = clk.Now
		o.Sleep = s.Sleep
	}
}

// recipients returns n distinct addresses.
func recipients(n int) []string {
	to := make([]string, n)
	for i := range to {
		to[i] = fmt.Sprintf("r%d@example.com", i)
	}
	return to
}

// wallClock returns a test clock that starts at the wall clock's now, for
// tests whose contexts have real deadlines.
func wallClock() *clock { return testclock.New(time.Now()) }

func closeClient(t *testing.T, c *sesguard.Client) {
	t.Helper()
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
}
