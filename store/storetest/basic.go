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

var basicCases = []testCase{
	{"LookupOfMissingAddressIsEmptyWithNilError", testMissing},
	{"LookupOfNoAddressesIsEmpty", testLookupNone},
	{"PutThenLookupReturnsIt", testPutLookup},
	{"DeleteRemoves", testDelete},
	{"DeleteTwiceIsNil", testDeleteTwice},
	{"LookupManyInOneCallWithDuplicatesAndUnknowns", testLookupMany},
	{"AddressesMatchExactly", testExactMatch},
	{"EveryFieldRoundTrips", testRoundTrip},
	{"LongestAddressAndScopeRoundTrip", testLimits},
	{"TimesKeepTheirInstantAcrossZones", testTimeZones},
	{"ZeroExpiresAtStaysZero", testZeroExpiry},
	{"UnknownReasonRoundTrips", testUnknownReason},
	{"CancelledContextIsHonoured", testCancelled},
	{"ConcurrentMixIsConsistent", testConcurrent},
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
		if got := lookup(t, s, addrs...); len(got) != 0 {
			t.Errorf("Lookup(%#v) = %v, want nothing", addrs, got)
		}
	}
}

func testPutLookup(t *testing.T, s store.Store) {
	want := sup("bounced@example.com", store.ReasonBounce)
	mustPut(t, s, want)
	got, ok := get(t, s, want.Address)
	if !ok {
		t.Fatalf("Lookup after Put: %q absent", want.Address)
	}
	checkSame(t, got, want)
}

func testDelete(t *testing.T, s store.Store) {
	mustPut(t, s, sup("gone@example.com", store.ReasonManual))
	mustPut(t, s, sup("kept@example.com", store.ReasonManual))
	if err := s.Delete(bg(), store.Key{Address: "gone@example.com"}); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	got := lookup(t, s, "gone@example.com", "kept@example.com")
	if _, ok := got[store.Key{Address: "gone@example.com"}]; ok {
		t.Error("deleted address still returned")
	}
	if _, ok := got[store.Key{Address: "kept@example.com"}]; !ok {
		t.Error("Delete of one address removed another")
	}
	// A deleted key takes a weaker suppression again: Delete lowers.
	weak := sup("gone@example.com", store.ReasonInvalid)
	weak.ExpiresAt = epoch.Add(time.Hour)
	if !put(t, s, weak) {
		t.Error("Put into a deleted key reported not written")
	}
}

func testDeleteTwice(t *testing.T, s store.Store) {
	mustPut(t, s, sup("x@example.com", store.ReasonManual))
	for i := range 2 {
		if err := s.Delete(bg(), store.Key{Address: "x@example.com"}); err != nil {
			t.Fatalf("Delete #%d: %v, want nil", i+1, err)
		}
	}
	if err := s.Delete(bg(), store.Key{Address: "never-stored@example.com", Scope: "news"}); err != nil {
		t.Fatalf("Delete of a key never stored: %v, want nil", err)
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
	got := lookup(t, s, asked...)
	if len(got) != len(stored) {
		t.Fatalf("Lookup of %d addresses (%d stored, with duplicates and unknowns) returned %d entries", len(asked), len(stored), len(got))
	}
	for _, a := range stored {
		if _, ok := got[store.Key{Address: a}]; !ok {
			t.Errorf("%q stored but absent", a)
		}
	}
}

func testExactMatch(t *testing.T, s store.Store) {
	mustPut(t, s, sup("case@example.com", store.ReasonBounce))
	mustPut(t, s, sup("a_b@example.com", store.ReasonBounce))
	mustPut(t, s, sup("100%@example.com", store.ReasonBounce))
	// Look-alikes that a LIKE pattern, a case-insensitive collation or a
	// trimming comparison would wrongly match.
	got := lookup(t, s, "Case@example.com", "case@example.com ", "aXb@example.com", "100x@example.com", "case@example.co")
	if len(got) != 0 {
		t.Errorf("look-alike addresses matched stored ones: %v", got)
	}
}

func testRoundTrip(t *testing.T, s store.Store) {
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
			Address:   "soft@example.com",
			Reason:    store.ReasonSoftBounce,
			Detail:    strings.Repeat("d", 1000),
			Source:    "manual",
			CreatedAt: epoch.Add(-time.Hour),
		},
		{
			Address:   "user@xn--mnchen-3ya.de",
			Scope:     "ses-contact-list:Newsletter/Wöchentlich",
			Reason:    store.ReasonUnsubscribe,
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
		got, ok := lookup(t, s, want.Address)[want.Key()]
		if !ok {
			t.Errorf("%q in scope %q absent after Put", want.Address, want.Scope)
			continue
		}
		checkSame(t, got, want)
	}
}

// testLimits stores the longest address (254 octets, RFC 5321) and the
// longest scope (255 octets) a Store must hold.
func testLimits(t *testing.T, s store.Store) {
	long := strings.Repeat("l", 64) + "@" + strings.Repeat("d", 63) + "." + strings.Repeat("e", 63) + "." + strings.Repeat("f", 57) + ".com"
	if len(long) != store.MaxAddressLen {
		t.Fatalf("test address has %d octets, want %d", len(long), store.MaxAddressLen)
	}
	scope := store.Scope(strings.Repeat("s", store.MaxScopeLen-len("ü")) + "ü")
	for _, want := range []store.Suppression{
		sup(long, store.ReasonBounce),
		scoped(long, scope, store.ReasonUnsubscribe),
		scoped("short@example.com", scope, store.ReasonUnsubscribe),
	} {
		mustPut(t, s, want)
		got, ok := lookup(t, s, want.Address)[want.Key()]
		if !ok {
			t.Errorf("%d-octet address in a %d-octet scope absent after Put", len(want.Address), len(want.Scope))
			continue
		}
		checkSame(t, got, want)
	}
	if err := s.Delete(bg(), store.Key{Address: long, Scope: scope}); err != nil {
		t.Fatalf("Delete of the longest key: %v", err)
	}
	got := lookup(t, s, long)
	if _, ok := got[store.Key{Address: long, Scope: scope}]; ok {
		t.Error("the longest key survived its Delete")
	}
	if _, ok := got[store.Key{Address: long}]; !ok {
		t.Error("Delete of the longest key removed the address's other scope")
	}
}

func testTimeZones(t *testing.T, s store.Store) {
	india := time.FixedZone("IST", 5*3600+1800)
	newYork := time.FixedZone("EST", -5*3600)
	want := sup("zoned@example.com", store.ReasonSoftBounce)
	want.CreatedAt = time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, india)
	want.ExpiresAt = time.Date(2026, 2, 1, 23, 59, 59, 999_000_000, newYork)
	mustPut(t, s, want)
	got, _ := get(t, s, want.Address)
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
	got, _ := get(t, s, want.Address)
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
	got, _ := get(t, s, want.Address)
	checkSame(t, got, want)
}

func testCancelled(t *testing.T, s store.Store) {
	mustPut(t, s, sup("c@example.com", store.ReasonBounce))
	ctx, cancel := context.WithCancel(bg())
	cancel()
	if _, err := s.Lookup(ctx, []string{"c@example.com"}); err == nil {
		t.Error("Lookup with a cancelled ctx returned nil error")
	}
	if _, err := s.Put(ctx, sup("d@example.com", store.ReasonBounce)); err == nil {
		t.Error("Put with a cancelled ctx returned nil error")
	}
	if err := s.Delete(ctx, store.Key{Address: "c@example.com"}); err == nil {
		t.Error("Delete with a cancelled ctx returned nil error")
	}
	got := lookup(t, s, "c@example.com", "d@example.com")
	if _, ok := got[store.Key{Address: "c@example.com"}]; !ok {
		t.Error("Delete with a cancelled ctx removed the entry")
	}
	if _, ok := got[store.Key{Address: "d@example.com"}]; ok {
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
				if _, err := s.Put(bg(), sup(own, store.ReasonBounce)); err != nil {
					errs <- err
				}
				if _, err := s.Put(bg(), sup(shared, store.ReasonComplaint)); err != nil {
					errs <- err
				}
				if _, err := s.Lookup(bg(), []string{own, shared, "none@example.com"}); err != nil {
					errs <- err
				}
				if i%2 == 0 {
					if err := s.Delete(bg(), store.Key{Address: own}); err != nil {
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
	if got := lookup(t, s, want...); len(got) != len(want) {
		t.Errorf("after the concurrent mix %d of %d kept addresses are present", len(got), len(want))
	}
	for w := range workers {
		for i := 0; i < perWorker; i += 2 {
			a := fmt.Sprintf("w%d-%d@example.com", w, i)
			if _, ok := get(t, s, a); ok {
				t.Errorf("%q was deleted but is present", a)
			}
		}
	}
}
