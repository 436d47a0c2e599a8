package storetest

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesguard/sesguard/store"
)

var dedupeCases = []testCase{
	{"DeduperMarksOnce", testMarkOnce},
	{"DeduperAppliedHonoursExpiry", testMarkExpiry},
	{"DeduperExactlyOneConcurrentMarkAddsItsCountsOnce", testMarkConcurrent},
	{"DeduperMarkAddsItsCounts", testMarkCounts},
	{"CounterSumsBucketsInRange", testCounterSum},
	{"CounterIsExactUnderConcurrency", testCounterConcurrent},
}

func deduper(t *testing.T, s store.Store) store.Deduper {
	d, ok := s.(store.Deduper)
	if !ok {
		t.Skip("store does not implement store.Deduper")
	}
	return d
}

func applied(t *testing.T, d store.Deduper, id string, at time.Time) bool {
	t.Helper()
	ok, err := d.Applied(bg(), id, at)
	if err != nil {
		t.Fatalf("Applied(%q): %v", id, err)
	}
	return ok
}

func mark(t *testing.T, d store.Deduper, id string, at, expires time.Time, counts ...store.Count) bool {
	t.Helper()
	ok, err := d.MarkApplied(bg(), id, at, expires, counts...)
	if err != nil {
		t.Fatalf("MarkApplied(%q): %v", id, err)
	}
	return ok
}

func testMarkOnce(t *testing.T, s store.Store) {
	d := deduper(t, s)
	exp := epoch.Add(24 * time.Hour)
	if applied(t, d, "msg-1", epoch) {
		t.Fatal("Applied of an id never marked returned true")
	}
	if !mark(t, d, "msg-1", epoch, exp) {
		t.Fatal("first MarkApplied of an id returned false")
	}
	if !applied(t, d, "msg-1", epoch.Add(time.Minute)) {
		t.Error("Applied after MarkApplied returned false")
	}
	if mark(t, d, "msg-1", epoch.Add(time.Minute), exp) {
		t.Error("second MarkApplied of an id returned true")
	}
	if applied(t, d, "msg-2", epoch) || !mark(t, d, "msg-2", epoch, exp) {
		t.Error("another id was taken for the first")
	}
}

func testMarkExpiry(t *testing.T, s store.Store) {
	d := deduper(t, s)
	exp := epoch.Add(time.Hour)
	mark(t, d, "old", epoch, exp)
	if !applied(t, d, "old", exp.Add(-time.Second)) {
		t.Error("Applied returned false before the mark expired")
	}
	if applied(t, d, "old", exp) {
		t.Error("Applied returned true at the mark's expiry")
	}
	if mark(t, d, "old", exp.Add(-time.Second), exp.Add(time.Hour)) {
		t.Error("marked again before the first mark expired")
	}
	if !mark(t, d, "old", exp, exp.Add(time.Hour)) {
		t.Error("could not mark again once the first mark expired")
	}
	if !applied(t, d, "old", exp.Add(30*time.Minute)) {
		t.Error("the renewed mark does not hold")
	}
}

// testMarkConcurrent races 16 marks of one id, each with its counts: one
// wins, and the counts are added once.
func testMarkConcurrent(t *testing.T, s store.Store) {
	d := deduper(t, s)
	const workers = 16
	var wg sync.WaitGroup
	var won atomic.Int32
	counts := []store.Count{
		{Name: "storetest:bounced", Bucket: epoch, N: 1, KeepUntil: epoch.Add(time.Hour)},
		{Name: "storetest:complained", Bucket: epoch, N: 2, KeepUntil: epoch.Add(time.Hour)},
	}
	for range workers {
		wg.Go(func() {
			ok, err := d.MarkApplied(bg(), "race-id", epoch, epoch.Add(time.Hour), counts...)
			if err != nil {
				t.Errorf("MarkApplied: %v", err)
				return
			}
			if ok {
				won.Add(1)
			}
		})
	}
	wg.Wait()
	if n := won.Load(); n != 1 {
		t.Errorf("%d of %d concurrent marks of one id succeeded, want exactly 1", n, workers)
	}
	c, ok := s.(store.Counter)
	if !ok {
		return
	}
	if got := sum(t, c, "storetest:bounced", epoch, epoch.Add(time.Second)); got != 1 {
		t.Errorf("after %d concurrent marks the counts hold %d bounces, want 1", workers, got)
	}
	if got := sum(t, c, "storetest:complained", epoch, epoch.Add(time.Second)); got != 2 {
		t.Errorf("after %d concurrent marks the counts hold %d complaints, want 2", workers, got)
	}
}

func testMarkCounts(t *testing.T, s store.Store) {
	d := deduper(t, s)
	c := counter(t, s)
	k := func(n int64) store.Count {
		return store.Count{Name: "storetest:sent", Bucket: epoch, N: n, KeepUntil: epoch.Add(time.Hour)}
	}
	mark(t, d, "a", epoch, epoch.Add(time.Hour), k(3))
	mark(t, d, "a", epoch, epoch.Add(time.Hour), k(100)) // not marked: not counted
	mark(t, d, "b", epoch, epoch.Add(time.Hour))         // no counts at all
	mark(t, d, "c", epoch, epoch.Add(time.Hour), k(4))
	if got := sum(t, c, "storetest:sent", epoch, epoch.Add(time.Second)); got != 7 {
		t.Errorf("counts of the marks sum to %d, want 7 (3 + 4; the refused mark's 100 not added)", got)
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

func addCount(t *testing.T, c store.Counter, name string, bucket time.Time, n int64, keep time.Time) {
	t.Helper()
	if err := c.AddCount(bg(), store.Count{Name: name, Bucket: bucket, N: n, KeepUntil: keep}); err != nil {
		t.Fatalf("AddCount(%q): %v", name, err)
	}
}

func testCounterSum(t *testing.T, s store.Store) {
	c := counter(t, s)
	keep := epoch.Add(48 * time.Hour)
	for i, n := range []int64{5, 7, 11, 13} {
		addCount(t, c, "sent", epoch.Add(time.Duration(i)*time.Minute), n, keep)
	}
	addCount(t, c, "sent", epoch, 100, keep)
	addCount(t, c, "bounced", epoch, 1, keep)
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
				if err := c.AddCount(bg(), store.Count{Name: "sent", Bucket: epoch, N: 2, KeepUntil: epoch.Add(time.Hour)}); err != nil {
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
