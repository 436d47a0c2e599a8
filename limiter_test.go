package sesguard_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/sestest"
)

func TestLimiterPacesRecipients(t *testing.T) {
	// SendRate 10 gives a bucket of 5 tokens refilled every 100ms.
	ms := time.Millisecond
	tests := []struct {
		name  string
		sends []int             // recipients of each message, in order
		waits [][]time.Duration // the waits before each
	}{
		{"within the burst", []int{2, 3}, [][]time.Duration{nil, nil}},
		{"past the burst, one token each", []int{5, 1, 2}, [][]time.Duration{nil, {100 * ms}, {200 * ms}}},
		{"more recipients than the burst go when the bucket is full", []int{12}, [][]time.Duration{nil}},
		{"and leave it in debt", []int{12, 1}, [][]time.Duration{nil, {800 * ms}}},
		{"a large message waits for a full bucket", []int{1, 12}, [][]time.Duration{nil, {100 * ms}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			// SES at the same rate, on the same clock, never throttles a
			// Client that paces its recipients.
			ses, api := newSES(t, onSESClock(clk), func(o *sestest.Options) { o.Account.MaxSendRate = 10 })
			s := &sleeper{clk: clk}
			c := newClient(t, api, onClock(clk, s), func(o *sesguard.Options) { o.SendRate = 10 })
			for i, n := range tt.sends {
				if _, err := c.Send(ctx, simple(recipients(n)...)); err != nil {
					t.Fatalf("send %d: %v", i, err)
				}
				if got := s.taken(); !slices.Equal(got, tt.waits[i]) {
					t.Errorf("send %d of %d recipients waited %v, want %v", i, n, got, tt.waits[i])
				}
			}
			if q := ses.Quota(); q.Messages != int64(len(tt.sends)) || q.RateThrottles != 0 {
				t.Errorf("SES accepted %d messages and throttled %d, want %d and none", q.Messages, q.RateThrottles, len(tt.sends))
			}
		})
	}
}

func TestLimiterHonoursTheDeadlineAsAWhole(t *testing.T) {
	tests := []struct {
		name   string
		first  int // recipients sent first, emptying the bucket
		second int // recipients that must wait past the deadline
	}{
		{"one chunk", 5, 1},
		{"several chunks", 5, 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := wallClock()
			ses, api := newSES(t, onSESClock(clk))
			s := &sleeper{clk: clk}
			c := newClient(t, api, onClock(clk, s), func(o *sesguard.Options) { o.SendRate = 10 })
			if _, err := c.Send(ctx, simple(recipients(tt.first)...)); err != nil {
				t.Fatal(err)
			}
			dctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
			defer cancel()
			_, err := c.Send(dctx, simple(recipients(tt.second)...))
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Send past the deadline: %v, want DeadlineExceeded", err)
			}
			if w := s.taken(); len(w) != 0 {
				t.Errorf("waited %v before failing, want no wait", w)
			}
			if n := len(ses.Messages()); n != 1 {
				t.Errorf("SES received %d messages, want 1", n)
			}
			// The refused send gave its tokens back: after 100ms one token
			// is there again.
			clk.Advance(100 * time.Millisecond)
			if _, err := c.Send(ctx, simple("late@example.com")); err != nil {
				t.Fatal(err)
			}
			if w := s.taken(); len(w) != 0 {
				t.Errorf("the next send waited %v: the refused send kept its tokens", w)
			}
		})
	}
}

func TestLimiterGivesTokensBackWhenTheWaitIsCancelled(t *testing.T) {
	clk := newClock()
	ses, api := newSES(t, onSESClock(clk))
	cancelled := func(context.Context, time.Duration) error { return context.Canceled }
	c := newClient(t, api, func(o *sesguard.Options) {
		o.Now, o.Sleep, o.SendRate = clk.Now, cancelled, 10
	})
	if _, err := c.Send(ctx, simple(recipients(5)...)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send(ctx, simple("waits@example.com")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Send whose wait was cancelled: %v, want Canceled", err)
	}
	clk.Advance(100 * time.Millisecond)
	if _, err := c.Send(ctx, simple("next@example.com")); err != nil {
		t.Fatalf("the next send had to wait: %v", err)
	}
	if n := len(ses.Messages()); n != 2 {
		t.Errorf("SES received %d messages, want 2", n)
	}
}

// countingLimiter is a Limiter that records what it is asked for.
type countingLimiter struct {
	asked []int
	err   error
}

func (l *countingLimiter) WaitN(_ context.Context, n int) error {
	l.asked = append(l.asked, n)
	return l.err
}

func TestCustomLimiter(t *testing.T) {
	t.Run("is asked for every recipient at once", func(t *testing.T) {
		ses, api := newSES(t)
		lim := &countingLimiter{}
		c := newClient(t, api, func(o *sesguard.Options) { o.Limiter = lim })
		if _, err := c.Send(ctx, simple(recipients(40)...)); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(lim.asked, []int{40}) {
			t.Errorf("limiter asked for %v, want [40]", lim.asked)
		}
		if m := ses.Messages(); len(m) != 1 || len(m[0].Recipients) != 40 {
			t.Errorf("SES received %d messages, want one to all 40 recipients", len(m))
		}
	})
	t.Run("its error fails the send before SES", func(t *testing.T) {
		ses, api := newSES(t)
		boom := errors.New("limiter down")
		c := newClient(t, api, func(o *sesguard.Options) { o.Limiter = &countingLimiter{err: boom} })
		if _, err := c.Send(ctx, simple("a@example.com")); !errors.Is(err, boom) {
			t.Fatalf("Send: %v, want the limiter's error", err)
		}
		if n := len(ses.Messages()); n != 0 {
			t.Errorf("SES received %d messages, want none", n)
		}
	})
	t.Run("a rate.Limiter given in Options is paced on the Client's clock", func(t *testing.T) {
		clk := newClock()
		_, api := newSES(t, onSESClock(clk))
		s := &sleeper{clk: clk}
		lim := rate.NewLimiter(2, 1)
		c := newClient(t, api, onClock(clk, s), func(o *sesguard.Options) { o.Limiter = lim })
		for range 3 {
			if _, err := c.Send(ctx, simple("a@example.com")); err != nil {
				t.Fatal(err)
			}
		}
		if got, want := s.taken(), []time.Duration{500 * time.Millisecond, 500 * time.Millisecond}; !slices.Equal(got, want) {
			t.Errorf("waits %v, want %v", got, want)
		}
	})
}

func TestNoPacingByDefault(t *testing.T) {
	clk := newClock()
	ses, api := newSES(t, onSESClock(clk))
	s := &sleeper{clk: clk}
	c := newClient(t, api, onClock(clk, s))
	for range 30 {
		if _, err := c.Send(ctx, simple(recipients(50)...)); err != nil {
			t.Fatal(err)
		}
	}
	if w := s.taken(); len(w) != 0 {
		t.Errorf("a Client without SendRate, AccountQuota or Limiter waited %v", w)
	}
	if q := ses.Quota(); q.Recipients != 30*50 {
		t.Errorf("SES accepted %d recipients, want all 1500", q.Recipients)
	}
}

func TestBurstFor(t *testing.T) {
	for _, tt := range []struct {
		r    rate.Limit
		want int
	}{{0.5, 1}, {1, 1}, {13.3, 7}, {14, 7}, {100, 50}} {
		if got := sesguard.BurstFor(tt.r); got != tt.want {
			t.Errorf("BurstFor(%v) = %d, want %d", tt.r, got, tt.want)
		}
	}
}
