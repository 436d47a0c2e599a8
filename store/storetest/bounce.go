package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sesguard/sesguard/store"
)

var bounceCases = []testCase{
	{"BounceCounterCountsInsideWindow", testBounceWindow},
	{"BounceCounterRecordsEachIDOnce", testBounceIdempotent},
	{"BounceCounterClearForgets", testBounceClear},
	{"BounceCounterCountsLateBouncesWithNeighbours", testBounceLate},
	{"BounceCounterIsExactUnderConcurrency", testBounceConcurrent},
	{"BounceCounterConcurrentRedeliveriesCountOnce", testBounceConcurrentSameID},
}

func bounceCounter(t *testing.T, s store.Store) store.BounceCounter {
	bc, ok := s.(store.BounceCounter)
	if !ok {
		t.Skip("store does not implement store.BounceCounter")
	}
	return bc
}

func addBounce(t *testing.T, bc store.BounceCounter, addr, id string, at time.Time, window time.Duration) int {
	t.Helper()
	n, err := bc.AddTransientBounce(bg(), addr, id, at, window)
	if err != nil {
		t.Fatalf("AddTransientBounce(%q, %q, %v): %v", addr, id, at, err)
	}
	return n
}

func testBounceWindow(t *testing.T, s store.Store) {
	bc := bounceCounter(t, s)
	const window = 14 * 24 * time.Hour
	day := 24 * time.Hour
	steps := []struct {
		at   time.Duration
		want int
	}{
		{0, 1},
		{3 * day, 2},
		{10 * day, 3},
		{14 * day, 3},           // the first falls out: no 14-day window holds 0 and 14d
		{27*day + time.Hour, 2}, // only the one at 14d is near enough
	}
	for i, st := range steps {
		if got := addBounce(t, bc, "soft@example.com", fmt.Sprint("b", i), epoch.Add(st.at), window); got != st.want {
			t.Errorf("bounce at +%v: count %d, want %d", st.at, got, st.want)
		}
	}
	if got := addBounce(t, bc, "other@example.com", "b0", epoch.Add(27*day), window); got != 1 {
		t.Errorf("first bounce of another address counted %d, want 1", got)
	}
}

// testBounceIdempotent redelivers one bounce: recorded once, however often
// and at whatever time it is redelivered.
func testBounceIdempotent(t *testing.T, s store.Store) {
	bc := bounceCounter(t, s)
	const a = "again@example.com"
	if got := addBounce(t, bc, a, "feedback-1", epoch, time.Hour); got != 1 {
		t.Fatalf("first record: count %d, want 1", got)
	}
	if got := addBounce(t, bc, a, "feedback-1", epoch, time.Hour); got != 1 {
		t.Errorf("the same id again: count %d, want 1", got)
	}
	if got := addBounce(t, bc, a, "feedback-2", epoch.Add(time.Minute), time.Hour); got != 2 {
		t.Errorf("a second id: count %d, want 2", got)
	}
	if got := addBounce(t, bc, a, "feedback-1", epoch, time.Hour); got != 2 {
		t.Errorf("the first id redelivered after the second: count %d, want 2", got)
	}
	if got := addBounce(t, bc, "other@example.com", "feedback-1", epoch, time.Hour); got != 1 {
		t.Errorf("one id at another address: count %d, want 1 (records are per address)", got)
	}
}

func testBounceClear(t *testing.T, s store.Store) {
	bc := bounceCounter(t, s)
	for i := range 2 {
		addBounce(t, bc, "soft@example.com", fmt.Sprint("s", i), epoch.Add(time.Duration(i)*time.Minute), time.Hour)
	}
	addBounce(t, bc, "keep@example.com", "k0", epoch, time.Hour)
	if err := bc.ClearTransientBounces(bg(), "soft@example.com"); err != nil {
		t.Fatalf("ClearTransientBounces: %v", err)
	}
	if err := bc.ClearTransientBounces(bg(), "never@example.com"); err != nil {
		t.Fatalf("ClearTransientBounces of an address with none: %v", err)
	}
	if got := addBounce(t, bc, "soft@example.com", "s2", epoch.Add(3*time.Minute), time.Hour); got != 1 {
		t.Errorf("count after clear = %d, want 1", got)
	}
	if got := addBounce(t, bc, "keep@example.com", "k1", epoch.Add(3*time.Minute), time.Hour); got != 2 {
		t.Errorf("clearing one address changed another's count: %d, want 2", got)
	}
}

// testBounceLate delivers bounces out of order: a late one counts with the
// bounces near it in time, before and after.
func testBounceLate(t *testing.T, s store.Store) {
	bc := bounceCounter(t, s)
	const a, w = "late@example.com", 3 * time.Hour
	addBounce(t, bc, a, "at2h", epoch.Add(2*time.Hour), w)
	if got := addBounce(t, bc, a, "at1h", epoch.Add(time.Hour), w); got != 2 {
		t.Errorf("a bounce at 1h delivered after one at 2h: count %d, want 2", got)
	}
	if got := addBounce(t, bc, a, "at3h", epoch.Add(3*time.Hour), w); got != 3 {
		t.Errorf("a bounce at 3h after both: count %d, want 3", got)
	}
	if got := addBounce(t, bc, a, "at0h", epoch, w); got != 3 {
		t.Errorf("a bounce at 0h, late: count %d, want 3 (the 3-hour window from 0h holds 0h, 1h, 2h)", got)
	}
	if got := addBounce(t, bc, a, "at9h", epoch.Add(9*time.Hour), w); got != 1 {
		t.Errorf("a bounce far from the rest: count %d, want 1", got)
	}
}

// testBounceConcurrent records n distinct bounces of one address at one
// instant concurrently: all n are recorded, and the last to land sees n.
func testBounceConcurrent(t *testing.T, s store.Store) {
	bc := bounceCounter(t, s)
	const n = 64
	var wg sync.WaitGroup
	var mu sync.Mutex
	best := 0
	for i := range n {
		wg.Go(func() {
			got, err := bc.AddTransientBounce(bg(), "busy@example.com", fmt.Sprint("id-", i), epoch, time.Hour)
			if err != nil {
				t.Errorf("AddTransientBounce: %v", err)
				return
			}
			if got < 1 || got > n {
				t.Errorf("a concurrent add returned %d, want 1..%d", got, n)
			}
			mu.Lock()
			best = max(best, got)
			mu.Unlock()
		})
	}
	wg.Wait()
	if best != n {
		t.Errorf("the highest count returned by %d concurrent adds is %d, want %d", n, best, n)
	}
	if got := addBounce(t, bc, "busy@example.com", "id-0", epoch, time.Hour); got != n {
		t.Errorf("after %d concurrent adds a redelivered one counts %d, want %d", n, got, n)
	}
}

func testBounceConcurrentSameID(t *testing.T, s store.Store) {
	bc := bounceCounter(t, s)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if got, err := bc.AddTransientBounce(bg(), "dup@example.com", "one-id", epoch, time.Hour); err != nil || got != 1 {
				t.Errorf("a concurrent redelivery: %d, %v; want 1, nil", got, err)
			}
		})
	}
	wg.Wait()
	if got := addBounce(t, bc, "dup@example.com", "other-id", epoch, time.Hour); got != 2 {
		t.Errorf("after 16 concurrent deliveries of one bounce, another counts %d, want 2", got)
	}
}
