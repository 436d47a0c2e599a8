package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sesguard/sesguard/store"
)

var weakenCases = []testCase{
	{"PutNeverWeakens", testNeverWeakens},
	{"PutReplacesExpired", testReplacesExpired},
	{"PutNeverWeakensUnderConcurrentWriters", testNeverWeakensConcurrent},
	{"ConcurrentPermanentBounceBeatsThirdTransientBounce", testBounceBeatsSoftConcurrent},
}

// testNeverWeakens puts pairs in sequence and checks the rule of
// store.Replaces: the later Put is written only when it is at least as
// strong, and the stronger one is what Lookup returns.
func testNeverWeakens(t *testing.T, s store.Store) {
	hour := time.Hour
	mk := func(r store.Reason, expires time.Duration) store.Suppression {
		v := sup("", r)
		if expires != 0 {
			v.ExpiresAt = epoch.Add(expires)
		}
		return v
	}
	for i, tc := range []struct {
		name       string
		first, nxt store.Suppression
		written    bool
	}{
		{"soft bounce never replaces a permanent bounce", mk(store.ReasonBounce, 0), mk(store.ReasonSoftBounce, 720*hour), false},
		{"invalid never replaces a permanent bounce", mk(store.ReasonBounce, 0), mk(store.ReasonInvalid, hour), false},
		{"invalid never replaces a complaint", mk(store.ReasonComplaint, 0), mk(store.ReasonInvalid, 0), false},
		{"an expiring bounce never replaces a permanent one", mk(store.ReasonBounce, 0), mk(store.ReasonBounce, 720*hour), false},
		{"an earlier expiry never replaces a later one", mk(store.ReasonSoftBounce, 2*hour), mk(store.ReasonSoftBounce, hour), false},
		{"a permanent soft bounce never replaces an expiring complaint", mk(store.ReasonComplaint, hour), mk(store.ReasonSoftBounce, 0), false},
		{"a later expiry replaces an earlier one", mk(store.ReasonSoftBounce, hour), mk(store.ReasonSoftBounce, 2*hour), true},
		{"a permanent bounce replaces a soft bounce", mk(store.ReasonSoftBounce, 720*hour), mk(store.ReasonBounce, 0), true},
		{"a complaint replaces a permanent bounce", mk(store.ReasonBounce, 0), mk(store.ReasonComplaint, 0), true},
		{"a bounce replaces an expiring invalid", mk(store.ReasonInvalid, hour), mk(store.ReasonBounce, 0), true},
		{"an equal suppression replaces itself", mk(store.ReasonSoftBounce, hour), mk(store.ReasonSoftBounce, hour), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := fmt.Sprintf("pair%02d@example.com", i)
			first, nxt := tc.first, tc.nxt
			first.Address, nxt.Address = a, a
			first.Detail, nxt.Detail = "first", "next"
			nxt.CreatedAt = epoch.Add(time.Minute)
			if store.Replaces(nxt, first) != tc.written {
				t.Fatalf("store.Replaces disagrees with the case: %v", !tc.written)
			}
			mustPut(t, s, first)
			if got := put(t, s, nxt); got != tc.written {
				t.Errorf("second Put reported written=%v, want %v", got, tc.written)
			}
			want := first
			if tc.written {
				want = nxt
			}
			got, ok := get(t, s, a)
			if !ok {
				t.Fatal("address absent after two Puts")
			}
			checkSame(t, got, want)
		})
	}
}

func testReplacesExpired(t *testing.T, s store.Store) {
	old := sup("lapsed@example.com", store.ReasonComplaint)
	old.ExpiresAt = epoch.Add(time.Hour)
	mustPut(t, s, old)
	weak := sup("lapsed@example.com", store.ReasonInvalid)
	weak.CreatedAt = epoch.Add(time.Hour)
	weak.ExpiresAt = epoch.Add(2 * time.Hour)
	if !put(t, s, weak) {
		t.Fatal("Put over a suppression expired at its CreatedAt reported not written")
	}
	got, _ := get(t, s, weak.Address)
	checkSame(t, got, weak)
}

// testNeverWeakensConcurrent races 50 writers per address — permanent
// bounces, expiring soft bounces, expiring invalids — and checks that the
// permanent bounce stays, whatever the order.
func testNeverWeakensConcurrent(t *testing.T, s store.Store) {
	const addrs, writers = 4, 50
	var wg sync.WaitGroup
	for a := range addrs {
		addr := fmt.Sprintf("raced%d@example.com", a)
		for w := range writers {
			var v store.Suppression
			switch w % 3 {
			case 0:
				v = sup(addr, store.ReasonBounce)
			case 1:
				v = sup(addr, store.ReasonSoftBounce)
				v.ExpiresAt = epoch.Add(30*24*time.Hour + time.Duration(w)*time.Minute)
			default:
				v = sup(addr, store.ReasonInvalid)
				v.ExpiresAt = epoch.Add(time.Hour)
			}
			v.Detail = fmt.Sprintf("writer %d", w)
			wg.Go(func() {
				if _, err := s.Put(bg(), v); err != nil {
					t.Errorf("Put: %v", err)
				}
			})
		}
	}
	wg.Wait()
	for a := range addrs {
		addr := fmt.Sprintf("raced%d@example.com", a)
		got, ok := get(t, s, addr)
		switch {
		case !ok:
			t.Errorf("%s: absent after %d concurrent Puts", addr, writers)
		case got.Reason != store.ReasonBounce || !got.ExpiresAt.IsZero():
			t.Errorf("%s: %s expiring %v stayed; want the permanent BOUNCE", addr, got.Reason, got.ExpiresAt)
		}
	}
}

// testBounceBeatsSoftConcurrent is the race of a permanent bounce applied
// while a third transient bounce suppresses the same address: run many
// times, the permanent bounce must always win.
func testBounceBeatsSoftConcurrent(t *testing.T, s store.Store) {
	for i := range 40 {
		addr := fmt.Sprintf("race%02d@example.com", i)
		hard := sup(addr, store.ReasonBounce)
		soft := sup(addr, store.ReasonSoftBounce)
		soft.ExpiresAt = epoch.Add(30 * 24 * time.Hour)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for _, v := range []store.Suppression{soft, hard} {
			wg.Go(func() {
				<-start
				if _, err := s.Put(bg(), v); err != nil {
					t.Errorf("Put: %v", err)
				}
			})
		}
		close(start)
		wg.Wait()
		if got, _ := get(t, s, addr); got.Reason != store.ReasonBounce || !got.ExpiresAt.IsZero() {
			t.Fatalf("run %d: %s expiring %v stayed; want the permanent BOUNCE", i, got.Reason, got.ExpiresAt)
		}
	}
}
