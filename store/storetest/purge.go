package storetest

import (
	"testing"
	"time"

	"github.com/sesguard/sesguard/store"
)

var purgeCases = []testCase{
	{"PurgerRemovesOnlyExpired", testPurge},
	{"PurgerRemovesExpiredMarksAndCounts", testPurgeAbilities},
	{"PurgerForgetsExpiredTransientBounces", testPurgeBounces},
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
	listPast := scoped("forever@example.com", "news", store.ReasonUnsubscribe)
	listPast.ExpiresAt = epoch.Add(-time.Hour)
	for _, v := range []store.Suppression{past, now, future, forever, listPast} {
		mustPut(t, s, v)
	}
	n, err := p.Purge(bg(), epoch)
	if err != nil {
		t.Fatalf("Purge: %v", err)
	}
	if n != 3 {
		t.Errorf("Purge removed %d suppressions, want 3", n)
	}
	got := lookup(t, s, past.Address, now.Address, future.Address, forever.Address)
	for _, v := range []store.Suppression{past, now, listPast} {
		if _, ok := got[v.Key()]; ok {
			t.Errorf("%q in scope %q expired but survived Purge", v.Address, v.Scope)
		}
	}
	for _, v := range []store.Suppression{future, forever} {
		if _, ok := got[v.Key()]; !ok {
			t.Errorf("%q not expired but removed by Purge", v.Address)
		}
	}
}

func testPurgeAbilities(t *testing.T, s store.Store) {
	p := purger(t, s)
	if d, ok := s.(store.Deduper); ok {
		mark(t, d, "purged", epoch, epoch.Add(time.Minute))
		mark(t, d, "kept", epoch, epoch.Add(time.Hour))
	}
	if c, ok := s.(store.Counter); ok {
		addCount(t, c, "sent", epoch, 3, epoch.Add(time.Minute))
		addCount(t, c, "sent", epoch.Add(time.Second), 4, epoch.Add(time.Hour))
	}
	if _, err := p.Purge(bg(), epoch.Add(30*time.Minute)); err != nil {
		t.Fatalf("Purge: %v", err)
	}
	if d, ok := s.(store.Deduper); ok {
		// Marking at epoch would fail if the old mark (expiring at +1m)
		// had survived the purge.
		if !mark(t, d, "purged", epoch, epoch.Add(time.Hour)) {
			t.Error("a mark expired before the purge survived it")
		}
		if !applied(t, d, "kept", epoch.Add(31*time.Minute)) {
			t.Error("a mark not yet expired was purged")
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
	addBounce(t, bc, "purged@example.com", "p", epoch, time.Hour)
	addBounce(t, bc, "kept@example.com", "k", epoch.Add(90*time.Minute), time.Hour)
	if _, err := p.Purge(bg(), epoch.Add(2*time.Hour)); err != nil {
		t.Fatalf("Purge: %v", err)
	}
	// A wider window would still reach both bounces had Purge kept them.
	if got := addBounce(t, bc, "purged@example.com", "p2", epoch.Add(2*time.Hour), 10*time.Hour); got != 1 {
		t.Errorf("a bounce expired before the purge still counts: count %d, want 1", got)
	}
	if got := addBounce(t, bc, "kept@example.com", "k2", epoch.Add(2*time.Hour), 10*time.Hour); got != 2 {
		t.Errorf("a bounce not yet expired was purged: count %d, want 2", got)
	}
}
