// Package storetest is a conformance suite for implementations of
// [store.Store], in the spirit of testing/slogtest.
//
// A store's test calls [Run] with a function that returns a new, empty store:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return mystore.New() })
//	}
//
// Every case is a subtest named after the rule it checks, so a failure says
// which rule the store broke. Cases for the optional abilities (BounceCounter,
// Deduper, Counter, Lister, Purger) run when the store implements them and
// are skipped, with a message, when it does not.
package storetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesguard/sesguard/store"
)

// Run runs the conformance suite. newStore is called once per subtest and
// must return an empty store that no other subtest uses; it may register
// cleanups on t.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.fn(t, newStore(t)) })
	}
}

var cases = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"LookupOfMissingAddressIsAbsentWithNilError", testMissing},
	{"LookupOfNoAddressesIsEmpty", testLookupNone},
	{"PutThenLookupReturnsIt", testPutLookup},
	{"PutReplacesExisting", testOverwrite},
	{"DeleteRemoves", testDelete},
	{"DeleteTwiceIsNil", testDeleteTwice},
	{"LookupManyInOneCallWithDuplicatesAndUnknowns", testLookupMany},
	{"AddressesMatchExactly", testExactMatch},
	{"EveryFieldRoundTrips", testRoundTrip},
	{"TimesKeepTheirInstantAcrossZones", testTimeZones},
	{"ZeroExpiresAtStaysZero", testZeroExpiry},
	{"UnknownReasonRoundTrips", testUnknownReason},
	{"CancelledContextIsHonoured", testCancelled},
	{"ConcurrentMixIsConsistent", testConcurrent},
	{"BounceCounterCountsInsideWindow", testBounceWindow},
	{"BounceCounterClearForgets", testBounceClear},
	{"BounceCounterAlwaysCountsTheNewBounce", testBounceCountsItself},
	{"BounceCounterIsExactUnderConcurrency", testBounceConcurrent},
	{"DeduperClaimsOnce", testClaimOnce},
	{"DeduperExactlyOneConcurrentClaimWins", testClaimConcurrent},
	{"DeduperExpiredClaimCanBeRetaken", testClaimExpiry},
	{"DeduperReleaseAllowsReclaim", testClaimRelease},
	{"CounterSumsBucketsInRange", testCounterSum},
	{"CounterIsExactUnderConcurrency", testCounterConcurrent},
	{"ListerPagesInAddressOrder", testListPages},
	{"ListerStartsAfterCursor", testListAfter},
	{"PurgerRemovesOnlyExpired", testPurge},
	{"PurgerRemovesExpiredClaimsAndCounts", testPurgeAbilities},
	{"PurgerForgetsExpiredTransientBounces", testPurgeBounces},
}

// epoch is a fixed instant the cases compute times from, so that no case
// depends on the wall clock.
var epoch = time.Date(2026, 3, 14, 15, 9, 26, 535_000_000, time.UTC)

func bg() context.Context { return context.Background() }

func sup(addr string, r store.Reason) store.Suppression {
	return store.Suppression{
		Address:   addr,
		Reason:    r,
		Detail:    "detail for " + addr,
		Source:    "storetest",
		CreatedAt: epoch,
	}
}

func mustPut(t *testing.T, s store.Store, v store.Suppression) {
	t.Helper()
	if err := s.Put(bg(), v); err != nil {
		t.Fatalf("Put(%q): %v", v.Address, err)
	}
}

func mustLookup(t *testing.T, s store.Store, addrs ...string) map[string]store.Suppression {
	t.Helper()
	got, err := s.Lookup(bg(), addrs)
	if err != nil {
		t.Fatalf("Lookup(%q): %v", addrs, err)
	}
	return got
}

// sameTime reports whether a and b are the same instant to a millisecond.
func sameTime(a, b time.Time) bool {
	if a.IsZero() || b.IsZero() {
		return a.IsZero() == b.IsZero()
	}
	d := a.Sub(b)
	return d > -time.Millisecond && d < time.Millisecond
}

func checkSame(t *testing.T, got, want store.Suppression) {
	t.Helper()
	if got.Address != want.Address || got.Reason != want.Reason ||
		got.Detail != want.Detail || got.Source != want.Source ||
		!sameTime(got.CreatedAt, want.CreatedAt) || !sameTime(got.ExpiresAt, want.ExpiresAt) {
		t.Errorf("stored %+v\nreturned %+v", want, got)
	}
}

func testMissing(t *testing.T, s store.Store) {
	got, err := s.Lookup(bg(), []string{"nobody@example.com"})
	if err != nil {
		t.Fatalf("Lookup of a missing address: error %v, want nil", err)
	}
	if len(got) != 0 {
		t.Fatalf("Lookup of a missing address returned %v, want nothing", got)
	}
}

func testLookupNone(t *testing.T, s store.Store) {
	mustPut(t, s, sup("a@example.com", store.ReasonBounce))
	for _, addrs := range [][]string{nil, {}} {
		if got := mustLookup(t, s, addrs...); len(got) != 0 {
			t.Errorf("Lookup(%#v) = %v, want nothing", addrs, got)
		}
	}
}

func testPutLookup(t *testing.T, s store.Store) {
	want := sup("bounced@example.com", store.ReasonBounce)
	mustPut(t, s, want)
	got, ok := mustLookup(t, s, want.Address)[want.Address]
	if !ok {
		t.Fatalf("Lookup after Put: %q absent", want.Address)
	}
	checkSame(t, got, want)
}

func testOverwrite(t *testing.T, s store.Store) {
	first := sup("twice@example.com", store.ReasonSoftBounce)
	first.ExpiresAt = epoch.Add(30 * 24 * time.Hour)
	mustPut(t, s, first)
	second := sup("twice@example.com", store.ReasonComplaint)
	second.Detail = "abuse"
	second.Source = "second"
	second.CreatedAt = epoch.Add(time.Hour)
	mustPut(t, s, second)
	got := mustLookup(t, s, second.Address)
	if len(got) != 1 {
		t.Fatalf("Lookup after two Puts returned %d entries, want 1", len(got))
	}
	checkSame(t, got[second.Address], second)
}

func testDelete(t *testing.T, s store.Store) {
	mustPut(t, s, sup("gone@example.com", store.ReasonManual))
	mustPut(t, s, sup("kept@example.com", store.ReasonManual))
	if err := s.Delete(bg(), "gone@example.com"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	got := mustLookup(t, s, "gone@example.com", "kept@example.com")
	if _, ok := got["gone@example.com"]; ok {
		t.Error("deleted address still returned")
	}
	if _, ok := got["kept@example.com"]; !ok {
		t.Error("Delete of one address removed another")
	}
}

func testDeleteTwice(t *testing.T, s store.Store) {
	mustPut(t, s, sup("x@example.com", store.ReasonManual))
	for i := range 2 {
		if err := s.Delete(bg(), "x@example.com"); err != nil {
			t.Fatalf("Delete #%d: %v, want nil", i+1, err)
		}
	}
	if err := s.Delete(bg(), "never-stored@example.com"); err != nil {
		t.Fatalf("Delete of an address never stored: %v, want nil", err)
	}
}

func testLookupMany(t *testing.T, s store.Store) {
	var stored, asked []string
	for i := range 120 {
		a := fmt.Sprintf("user%03d@example.com", i)
		asked = append(asked, a)
		if i%3 == 0 {
			mustPut(t, s, sup(a, store.ReasonBounce))
			stored = append(stored, a)
		}
	}
	asked = append(asked, stored[0], stored[1], "unknown@example.org", stored[0])
	got := mustLookup(t, s, asked...)
	if len(got) != len(stored) {
		t.Fatalf("Lookup of %d addresses (%d stored, with duplicates and unknowns) returned %d entries", len(asked), len(stored), len(got))
	}
	for _, a := range stored {
		v, ok := got[a]
		if !ok {
			t.Errorf("%q stored but absent", a)
			continue
		}
		if v.Address != a {
			t.Errorf("entry keyed %q has Address %q", a, v.Address)
		}
	}
}

func testExactMatch(t *testing.T, s store.Store) {
	mustPut(t, s, sup("case@example.com", store.ReasonBounce))
	mustPut(t, s, sup("a_b@example.com", store.ReasonBounce))
	mustPut(t, s, sup("100%@example.com", store.ReasonBounce))
	// Look-alikes that a LIKE pattern, a case-insensitive collation or a
	// trimming comparison would wrongly match.
	got := mustLookup(t, s, "Case@example.com", "case@example.com ", "aXb@example.com", "100x@example.com", "case@example.co")
	if len(got) != 0 {
		t.Errorf("look-alike addresses matched stored ones: %v", got)
	}
}

func testRoundTrip(t *testing.T, s store.Store) {
	long := strings.Repeat("l", 64) + "@" + strings.Repeat("d", 63) + "." + strings.Repeat("e", 63) + "." + strings.Repeat("f", 57) + ".com"
	if len(long) != 254 {
		t.Fatalf("test address has %d bytes, want 254", len(long))
	}
	for _, want := range []store.Suppression{
		{
			Address:   "bounce@simulator.amazonses.com",
			Reason:    store.ReasonBounce,
			Detail:    "Permanent/General: smtp; 550 5.1.1 user unknown",
			Source:    "0100017fe5d3e6f1-2f6a7b9c-0000",
			CreatedAt: epoch,
			ExpiresAt: epoch.Add(90 * 24 * time.Hour),
		},
		{
			Address:   long,
			Reason:    store.ReasonSoftBounce,
			Detail:    strings.Repeat("d", 1000),
			Source:    "manual",
			CreatedAt: epoch.Add(-time.Hour),
		},
		{
			Address:   "user@xn--mnchen-3ya.de",
			Reason:    store.ReasonComplaint,
			Detail:    "abuse — Beschwerde über „Spam“ 📧",
			Source:    "ses-account-list",
			CreatedAt: epoch,
		},
		{
			Address:   `"john doe"@example.com`,
			Reason:    store.ReasonInvalid,
			CreatedAt: epoch,
		},
	} {
		mustPut(t, s, want)
		got, ok := mustLookup(t, s, want.Address)[want.Address]
		if !ok {
			t.Errorf("%q absent after Put", want.Address)
			continue
		}
		checkSame(t, got, want)
	}
}

func testTimeZones(t *testing.T, s store.Store) {
	india := time.FixedZone("IST", 5*3600+1800)
	newYork := time.FixedZone("EST", -5*3600)
	want := sup("zoned@example.com", store.ReasonSoftBounce)
	want.CreatedAt = time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, india)
	want.ExpiresAt = time.Date(2026, 2, 1, 23, 59, 59, 999_000_000, newYork)
	mustPut(t, s, want)
	got := mustLookup(t, s, want.Address)[want.Address]
	if !sameTime(got.CreatedAt, want.CreatedAt) {
		t.Errorf("CreatedAt %v returned as %v: not the same instant", want.CreatedAt, got.CreatedAt)
	}
	if !sameTime(got.ExpiresAt, want.ExpiresAt) {
		t.Errorf("ExpiresAt %v returned as %v: not the same instant", want.ExpiresAt, got.ExpiresAt)
	}
}

func testZeroExpiry(t *testing.T, s store.Store) {
	want := sup("forever@example.com", store.ReasonBounce)
	mustPut(t, s, want)
	got := mustLookup(t, s, want.Address)[want.Address]
	if !got.ExpiresAt.IsZero() {
		t.Errorf("zero ExpiresAt returned as %v, want the zero time", got.ExpiresAt)
	}
	if got.Expired(epoch.Add(100 * 365 * 24 * time.Hour)) {
		t.Error("a suppression without expiry reads as expired")
	}
}

func testUnknownReason(t *testing.T, s store.Store) {
	want := sup("custom@example.com", store.Reason("LEGAL_HOLD"))
	mustPut(t, s, want)
	checkSame(t, mustLookup(t, s, want.Address)[want.Address], want)
}

func testCancelled(t *testing.T, s store.Store) {
	mustPut(t, s, sup("c@example.com", store.ReasonBounce))
	ctx, cancel := context.WithCancel(bg())
	cancel()
	if _, err := s.Lookup(ctx, []string{"c@example.com"}); err == nil {
		t.Error("Lookup with a cancelled ctx returned nil error")
	}
	if err := s.Put(ctx, sup("d@example.com", store.ReasonBounce)); err == nil {
		t.Error("Put with a cancelled ctx returned nil error")
	}
	if err := s.Delete(ctx, "c@example.com"); err == nil {
		t.Error("Delete with a cancelled ctx returned nil error")
	}
	got := mustLookup(t, s, "c@example.com", "d@example.com")
	if _, ok := got["c@example.com"]; !ok {
		t.Error("Delete with a cancelled ctx removed the entry")
	}
	if _, ok := got["d@example.com"]; ok {
		t.Error("Put with a cancelled ctx stored the entry")
	}
}

func testConcurrent(t *testing.T, s store.Store) {
	const workers, perWorker = 8, 40
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker*3)
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				own := fmt.Sprintf("w%d-%d@example.com", w, i)
				shared := fmt.Sprintf("shared%d@example.com", i%5)
				if err := s.Put(bg(), sup(own, store.ReasonBounce)); err != nil {
					errs <- err
				}
				if err := s.Put(bg(), sup(shared, store.ReasonComplaint)); err != nil {
					errs <- err
				}
				if _, err := s.Lookup(bg(), []string{own, shared, "none@example.com"}); err != nil {
					errs <- err
				}
				if i%2 == 0 {
					if err := s.Delete(bg(), own); err != nil {
						errs <- err
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent operation: %v", err)
	}
	var want []string
	for w := range workers {
		for i := 1; i < perWorker; i += 2 {
			want = append(want, fmt.Sprintf("w%d-%d@example.com", w, i))
		}
	}
	got := mustLookup(t, s, want...)
	if len(got) != len(want) {
		t.Errorf("after the concurrent mix %d of %d kept addresses are present", len(got), len(want))
	}
	for w := range workers {
		for i := 0; i < perWorker; i += 2 {
			a := fmt.Sprintf("w%d-%d@example.com", w, i)
			if _, ok := mustLookup(t, s, a)[a]; ok {
				t.Errorf("%q was deleted but is present", a)
			}
		}
	}
}

func bounceCounter(t *testing.T, s store.Store) store.BounceCounter {
	bc, ok := s.(store.BounceCounter)
	if !ok {
		t.Skip("store does not implement store.BounceCounter")
	}
	return bc
}

func addBounce(t *testing.T, bc store.BounceCounter, addr string, at time.Time, window time.Duration) int {
	t.Helper()
	n, err := bc.AddTransientBounce(bg(), addr, at, window)
	if err != nil {
		t.Fatalf("AddTransientBounce(%q, %v): %v", addr, at, err)
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
		{14 * day, 3},           // the first bounce falls out exactly at the window's end
		{27*day + time.Hour, 2}, // only the one at 14d is still inside
	}
	for _, st := range steps {
		if got := addBounce(t, bc, "soft@example.com", epoch.Add(st.at), window); got != st.want {
			t.Errorf("bounce at +%v: count %d, want %d", st.at, got, st.want)
		}
	}
	if got := addBounce(t, bc, "other@example.com", epoch.Add(27*day), window); got != 1 {
		t.Errorf("first bounce of another address counted %d, want 1", got)
	}
}

func testBounceClear(t *testing.T, s store.Store) {
	bc := bounceCounter(t, s)
	for i := range 2 {
		addBounce(t, bc, "soft@example.com", epoch.Add(time.Duration(i)*time.Minute), time.Hour)
	}
	addBounce(t, bc, "keep@example.com", epoch, time.Hour)
	if err := bc.ClearTransientBounces(bg(), "soft@example.com"); err != nil {
		t.Fatalf("ClearTransientBounces: %v", err)
	}
	if err := bc.ClearTransientBounces(bg(), "never@example.com"); err != nil {
		t.Fatalf("ClearTransientBounces of an address with none: %v", err)
	}
	if got := addBounce(t, bc, "soft@example.com", epoch.Add(3*time.Minute), time.Hour); got != 1 {
		t.Errorf("count after clear = %d, want 1", got)
	}
	if got := addBounce(t, bc, "keep@example.com", epoch.Add(3*time.Minute), time.Hour); got != 2 {
		t.Errorf("clearing one address changed another's count: %d, want 2", got)
	}
}

func testBounceCountsItself(t *testing.T, s store.Store) {
	bc := bounceCounter(t, s)
	// A zero window holds no earlier bounce, but the new one counts.
	for i := range 2 {
		if got := addBounce(t, bc, "zero@example.com", epoch.Add(time.Duration(i)*time.Minute), 0); got != 1 {
			t.Errorf("bounce %d in a zero window: count %d, want 1", i+1, got)
		}
	}
	// A bounce reported out of order counts itself and what came before
	// it, not the later one already recorded.
	addBounce(t, bc, "late@example.com", epoch.Add(2*time.Hour), 3*time.Hour)
	if got := addBounce(t, bc, "late@example.com", epoch.Add(time.Hour), 3*time.Hour); got != 1 {
		t.Errorf("out-of-order bounce: count %d, want 1", got)
	}
	if got := addBounce(t, bc, "late@example.com", epoch.Add(3*time.Hour), 3*time.Hour); got != 3 {
		t.Errorf("bounce after both: count %d, want 3", got)
	}
}

func testBounceConcurrent(t *testing.T, s store.Store) {
	bc := bounceCounter(t, s)
	const workers, each = 8, 25
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := make(map[int]int)
	for range workers {
		wg.Go(func() {
			for range each {
				n, err := bc.AddTransientBounce(bg(), "busy@example.com", epoch, time.Hour)
				if err != nil {
					t.Errorf("AddTransientBounce: %v", err)
					return
				}
				mu.Lock()
				seen[n]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	// Atomic counting hands every concurrent add at one instant its own
	// count: 1, 2, … n, each exactly once.
	for i := 1; i <= workers*each; i++ {
		if seen[i] != 1 {
			t.Errorf("count %d returned by %d of the concurrent adds, want exactly 1", i, seen[i])
		}
	}
	if got := addBounce(t, bc, "busy@example.com", epoch.Add(time.Second), time.Hour); got != workers*each+1 {
		t.Errorf("after %d concurrent adds the next count is %d, want %d", workers*each, got, workers*each+1)
	}
}

func deduper(t *testing.T, s store.Store) store.Deduper {
	d, ok := s.(store.Deduper)
	if !ok {
		t.Skip("store does not implement store.Deduper")
	}
	return d
}

func claim(t *testing.T, d store.Deduper, id string, at, expires time.Time) bool {
	t.Helper()
	ok, err := d.Claim(bg(), id, at, expires)
	if err != nil {
		t.Fatalf("Claim(%q): %v", id, err)
	}
	return ok
}

func testClaimOnce(t *testing.T, s store.Store) {
	d := deduper(t, s)
	exp := epoch.Add(24 * time.Hour)
	if !claim(t, d, "msg-1", epoch, exp) {
		t.Fatal("first claim of an id returned false")
	}
	if claim(t, d, "msg-1", epoch.Add(time.Minute), exp) {
		t.Error("second claim of an id returned true")
	}
	if !claim(t, d, "msg-2", epoch, exp) {
		t.Error("claim of another id returned false")
	}
}

func testClaimConcurrent(t *testing.T, s store.Store) {
	d := deduper(t, s)
	const workers = 16
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for range workers {
		wg.Go(func() {
			ok, err := d.Claim(bg(), "race-id", epoch, epoch.Add(time.Hour))
			if err != nil {
				t.Errorf("Claim: %v", err)
				return
			}
			if ok {
				mu.Lock()
				won++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if won != 1 {
		t.Errorf("%d of %d concurrent claims of one id succeeded, want exactly 1", won, workers)
	}
}

func testClaimExpiry(t *testing.T, s store.Store) {
	d := deduper(t, s)
	exp := epoch.Add(time.Hour)
	claim(t, d, "old", epoch, exp)
	if claim(t, d, "old", exp.Add(-time.Second), exp.Add(time.Hour)) {
		t.Error("claim taken again before the first expired")
	}
	if !claim(t, d, "old", exp, exp.Add(time.Hour)) {
		t.Error("claim could not be taken again once the first expired")
	}
}

func testClaimRelease(t *testing.T, s store.Store) {
	d := deduper(t, s)
	claim(t, d, "failed", epoch, epoch.Add(time.Hour))
	if err := d.Release(bg(), "failed"); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if err := d.Release(bg(), "never-claimed"); err != nil {
		t.Fatalf("Release of an unclaimed id: %v", err)
	}
	if !claim(t, d, "failed", epoch.Add(time.Second), epoch.Add(time.Hour)) {
		t.Error("released id could not be claimed again")
	}
}

func counter(t *testing.T, s store.Store) store.Counter {
	c, ok := s.(store.Counter)
	if !ok {
		t.Skip("store does not implement store.Counter")
	}
	return c
}

func sum(t *testing.T, c store.Counter, name string, from, to time.Time) int64 {
	t.Helper()
	n, err := c.SumCounts(bg(), name, from, to)
	if err != nil {
		t.Fatalf("SumCounts(%q): %v", name, err)
	}
	return n
}

func testCounterSum(t *testing.T, s store.Store) {
	c := counter(t, s)
	keep := epoch.Add(48 * time.Hour)
	for i, n := range []int64{5, 7, 11, 13} {
		bucket := epoch.Add(time.Duration(i) * time.Minute)
		if err := c.AddCount(bg(), "sent", bucket, n, keep); err != nil {
			t.Fatalf("AddCount: %v", err)
		}
	}
	if err := c.AddCount(bg(), "sent", epoch, 100, keep); err != nil {
		t.Fatalf("AddCount to an existing bucket: %v", err)
	}
	if err := c.AddCount(bg(), "bounced", epoch, 1, keep); err != nil {
		t.Fatalf("AddCount: %v", err)
	}
	for _, tc := range []struct {
		from, to time.Duration
		want     int64
	}{
		{0, 4 * time.Minute, 136},
		{time.Minute, 3 * time.Minute, 18}, // [from, to): the bucket at 3m is out
		{-time.Hour, 0, 0},
		{4 * time.Minute, time.Hour, 0},
	} {
		if got := sum(t, c, "sent", epoch.Add(tc.from), epoch.Add(tc.to)); got != tc.want {
			t.Errorf("SumCounts(sent, +%v, +%v) = %d, want %d", tc.from, tc.to, got, tc.want)
		}
	}
	if got := sum(t, c, "bounced", epoch, epoch.Add(time.Hour)); got != 1 {
		t.Errorf("SumCounts(bounced) = %d, want 1: names must not mix", got)
	}
	if got := sum(t, c, "never", epoch, epoch.Add(time.Hour)); got != 0 {
		t.Errorf("SumCounts of an unknown name = %d, want 0", got)
	}
}

func testCounterConcurrent(t *testing.T, s store.Store) {
	c := counter(t, s)
	const workers, each = 8, 25
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				if err := c.AddCount(bg(), "sent", epoch, 2, epoch.Add(time.Hour)); err != nil {
					t.Errorf("AddCount: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	if got := sum(t, c, "sent", epoch, epoch.Add(time.Second)); got != 2*workers*each {
		t.Errorf("after %d concurrent adds of 2 the sum is %d, want %d", workers*each, got, 2*workers*each)
	}
}

func lister(t *testing.T, s store.Store) store.Lister {
	l, ok := s.(store.Lister)
	if !ok {
		t.Skip("store does not implement store.Lister")
	}
	return l
}

func testListPages(t *testing.T, s store.Store) {
	l := lister(t, s)
	const n, pageSize = 53, 10
	for i := n - 1; i >= 0; i-- {
		mustPut(t, s, sup(fmt.Sprintf("list%02d@example.com", i), store.ReasonBounce))
	}
	var all []string
	after := ""
	for pages := 0; ; pages++ {
		if pages > n {
			t.Fatal("listing did not end")
		}
		page, err := l.List(bg(), after, pageSize)
		if err != nil {
			t.Fatalf("List(%q): %v", after, err)
		}
		for _, v := range page {
			all = append(all, v.Address)
		}
		if len(page) < pageSize {
			break
		}
		after = page[len(page)-1].Address
	}
	if len(all) != n {
		t.Fatalf("listed %d addresses, want %d", len(all), n)
	}
	for i, a := range all {
		if want := fmt.Sprintf("list%02d@example.com", i); a != want {
			t.Fatalf("entry %d is %q, want %q (ascending order)", i, a, want)
		}
	}
}

func testListAfter(t *testing.T, s store.Store) {
	l := lister(t, s)
	for _, a := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		mustPut(t, s, sup(a, store.ReasonManual))
	}
	page, err := l.List(bg(), "b@example.com", 10)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(page) != 1 || page[0].Address != "c@example.com" {
		t.Errorf("List after b = %v, want only c", page)
	}
	checkSame(t, page[0], sup("c@example.com", store.ReasonManual))
	page, err = l.List(bg(), "zzz", 10)
	if err != nil || len(page) != 0 {
		t.Errorf("List past the end = %v, %v; want empty, nil", page, err)
	}
}

func purger(t *testing.T, s store.Store) store.Purger {
	p, ok := s.(store.Purger)
	if !ok {
		t.Skip("store does not implement store.Purger")
	}
	return p
}

func testPurge(t *testing.T, s store.Store) {
	p := purger(t, s)
	past := sup("past@example.com", store.ReasonSoftBounce)
	past.ExpiresAt = epoch.Add(-time.Second)
	now := sup("now@example.com", store.ReasonSoftBounce)
	now.ExpiresAt = epoch
	future := sup("future@example.com", store.ReasonSoftBounce)
	future.ExpiresAt = epoch.Add(time.Second)
	forever := sup("forever@example.com", store.ReasonBounce)
	for _, v := range []store.Suppression{past, now, future, forever} {
		mustPut(t, s, v)
	}
	n, err := p.Purge(bg(), epoch)
	if err != nil {
		t.Fatalf("Purge: %v", err)
	}
	if n != 2 {
		t.Errorf("Purge removed %d suppressions, want 2", n)
	}
	got := mustLookup(t, s, past.Address, now.Address, future.Address, forever.Address)
	for _, a := range []string{past.Address, now.Address} {
		if _, ok := got[a]; ok {
			t.Errorf("%q expired but survived Purge", a)
		}
	}
	for _, a := range []string{future.Address, forever.Address} {
		if _, ok := got[a]; !ok {
			t.Errorf("%q not expired but removed by Purge", a)
		}
	}
}

func testPurgeAbilities(t *testing.T, s store.Store) {
	p := purger(t, s)
	if d, ok := s.(store.Deduper); ok {
		claim(t, d, "purged", epoch, epoch.Add(time.Minute))
		claim(t, d, "kept", epoch, epoch.Add(time.Hour))
	}
	if c, ok := s.(store.Counter); ok {
		if err := c.AddCount(bg(), "sent", epoch, 3, epoch.Add(time.Minute)); err != nil {
			t.Fatalf("AddCount: %v", err)
		}
		if err := c.AddCount(bg(), "sent", epoch.Add(time.Second), 4, epoch.Add(time.Hour)); err != nil {
			t.Fatalf("AddCount: %v", err)
		}
	}
	if _, err := p.Purge(bg(), epoch.Add(30*time.Minute)); err != nil {
		t.Fatalf("Purge: %v", err)
	}
	if d, ok := s.(store.Deduper); ok {
		// Claiming at epoch would fail if the old claim (expiring at +1m)
		// had survived the purge.
		if !claim(t, d, "purged", epoch, epoch.Add(time.Hour)) {
			t.Error("a claim expired before the purge survived it")
		}
		if claim(t, d, "kept", epoch.Add(31*time.Minute), epoch.Add(2*time.Hour)) {
			t.Error("a claim not yet expired was purged")
		}
	}
	if c, ok := s.(store.Counter); ok {
		if got := sum(t, c, "sent", epoch.Add(-time.Hour), epoch.Add(time.Hour)); got != 4 {
			t.Errorf("after Purge the counts sum to %d, want 4 (the expired bucket removed, the other kept)", got)
		}
	}
}

func testPurgeBounces(t *testing.T, s store.Store) {
	p := purger(t, s)
	bc := bounceCounter(t, s)
	addBounce(t, bc, "purged@example.com", epoch, time.Hour)
	addBounce(t, bc, "kept@example.com", epoch.Add(90*time.Minute), time.Hour)
	if _, err := p.Purge(bg(), epoch.Add(2*time.Hour)); err != nil {
		t.Fatalf("Purge: %v", err)
	}
	// A wider window would still reach both bounces had Purge kept them.
	if got := addBounce(t, bc, "purged@example.com", epoch.Add(2*time.Hour), 10*time.Hour); got != 1 {
		t.Errorf("a bounce expired before the purge still counts: count %d, want 1", got)
	}
	if got := addBounce(t, bc, "kept@example.com", epoch.Add(2*time.Hour), 10*time.Hour); got != 2 {
		t.Errorf("a bounce not yet expired was purged: count %d, want 2", got)
	}
}
