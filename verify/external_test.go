package verify

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestExternalStatuses(t *testing.T) {
	cases := []struct {
		status  Status
		verdict Verdict
		reason  Reason
		flags   Flags
	}{
		{StatusValid, Valid, "", 0},
		{StatusInvalid, Invalid, ReasonRejected, 0},
		{StatusCatchAll, Risky, ReasonCatchAll, FlagCatchAll},
		{StatusUnknown, Unknown, ReasonUnverified, 0},
		{StatusSpamtrap, Invalid, ReasonSpamtrap, 0},
		{StatusAbuse, Invalid, ReasonAbuse, 0},
		{StatusDoNotMail, Invalid, ReasonDoNotMail, 0},
		{StatusDisposable, Risky, ReasonDisposable, FlagDisposable},
		{StatusRisky, Risky, ReasonLowScore, 0},
		{Status("toxic"), Unknown, ReasonUnverified, 0},
	}
	for _, tc := range cases {
		t.Run(string(tc.status), func(t *testing.T) {
			var asked string
			e := NewExternal(ExternalFunc(func(_ context.Context, addr string) (ExternalResult, error) {
				asked = addr
				return ExternalResult{Status: tc.status, Flags: FlagRole}, nil
			}), func(o *ExternalOptions) { o.Name = "zb" })
			r, err := e.Check(context.Background(), Address{"Bob", "example.com"})
			if err != nil {
				t.Fatal(err)
			}
			if asked != "Bob@example.com" {
				t.Errorf("verifier asked about %q", asked)
			}
			if r.Verdict != tc.verdict || r.Reason != tc.reason || r.Flags != tc.flags|FlagRole || r.Checker != "zb" || r.Detail == "" {
				t.Fatalf("Check = %+v; want %v/%s flags %v", r, tc.verdict, tc.reason, tc.flags|FlagRole)
			}
		})
	}
}

func TestExternalVerdictOverride(t *testing.T) {
	e := NewExternal(ExternalFunc(func(context.Context, string) (ExternalResult, error) {
		return ExternalResult{Status: StatusCatchAll}, nil
	}), func(o *ExternalOptions) { o.Verdicts = map[Status]Verdict{StatusCatchAll: Valid} })
	r, _ := e.Check(context.Background(), Address{"u", "example.com"})
	if r.Verdict != Valid || r.Reason != ReasonCatchAll {
		t.Fatalf("Check = %+v; want valid catch_all", r)
	}
}

func TestExternalCaching(t *testing.T) {
	cases := []struct {
		name  string
		reply func() (ExternalResult, error)
		wait  time.Duration
		calls int32
	}{
		{"answer cached within TTL", func() (ExternalResult, error) { return ExternalResult{Status: StatusInvalid}, nil }, 23 * time.Hour, 1},
		{"answer expires after TTL", func() (ExternalResult, error) { return ExternalResult{Status: StatusValid}, nil }, 24 * time.Hour, 2},
		{"unknown not cached", func() (ExternalResult, error) { return ExternalResult{Status: StatusUnknown}, nil }, 0, 2},
		{"error not cached", func() (ExternalResult, error) { return ExternalResult{}, errors.New("quota exceeded") }, 0, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			e := NewExternal(ExternalFunc(func(context.Context, string) (ExternalResult, error) {
				calls.Add(1)
				return tc.reply()
			}), func(o *ExternalOptions) { o.Now = c.now })
			a := Address{"u", "example.com"}
			if _, err := e.Check(context.Background(), a); err != nil {
				t.Fatal(err)
			}
			c.add(tc.wait)
			if _, err := e.Check(context.Background(), a); err != nil {
				t.Fatal(err)
			}
			if calls.Load() != tc.calls {
				t.Fatalf("%d calls; want %d", calls.Load(), tc.calls)
			}
		})
	}
}

func TestExternalErrorIsUnknown(t *testing.T) {
	e := NewExternal(ExternalFunc(func(context.Context, string) (ExternalResult, error) {
		return ExternalResult{}, errors.New("503 from verifier")
	}))
	r, err := e.Check(context.Background(), Address{"u", "example.com"})
	if err != nil || r.Verdict != Unknown || r.Reason != ReasonUnavailable || r.Checker != "external" {
		t.Fatalf("Check = %+v, %v; want unknown/unavailable", r, err)
	}
}

func TestExternalTimeout(t *testing.T) {
	e := NewExternal(ExternalFunc(func(ctx context.Context, _ string) (ExternalResult, error) {
		<-ctx.Done() // a service that never answers
		return ExternalResult{}, ctx.Err()
	}), func(o *ExternalOptions) { o.Timeout = 50 * time.Millisecond })
	r, err := e.Check(context.Background(), Address{"u", "example.com"})
	if err != nil || r.Verdict != Unknown {
		t.Fatalf("Check = %+v, %v; want unknown after the timeout", r, err)
	}
}

func TestExternalCollapsesConcurrentCalls(t *testing.T) {
	var calls atomic.Int32
	gate, entered := make(chan struct{}), make(chan struct{}, 1)
	e := NewExternal(ExternalFunc(func(context.Context, string) (ExternalResult, error) {
		calls.Add(1)
		select {
		case entered <- struct{}{}:
		default:
		}
		<-gate
		return ExternalResult{Status: StatusValid}, nil
	}))
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if r, err := e.Check(context.Background(), Address{"u", "example.com"}); err != nil || r.Verdict != Valid {
				t.Errorf("Check = %+v, %v", r, err)
			}
		})
	}
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("verifier not called within 10s")
	}
	close(gate)
	wg.Wait()
	if calls.Load() != 1 {
		t.Fatalf("%d calls for 10 concurrent checks; want 1", calls.Load())
	}
}
