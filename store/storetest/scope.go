package storetest

import (
	"testing"
	"time"

	"github.com/sesguard/sesguard/store"
)

var scopeCases = []testCase{
	{"ScopesAreIndependent", testScopesIndependent},
	{"DeleteOfOneScopeKeepsTheOthers", testDeleteScope},
	{"LookupReturnsEveryScopeOnce", testLookupScopes},
	{"ScopesMatchExactly", testScopeExact},
}

// testScopesIndependent checks that the never-weaken rule works per key: a
// weaker suppression in a list scope is written beside a permanent bounce
// in ScopeAll, and neither replaces the other.
func testScopesIndependent(t *testing.T, s store.Store) {
	const a = "both@example.com"
	all := sup(a, store.ReasonBounce)
	mustPut(t, s, all)
	unsub := scoped(a, "news", store.ReasonUnsubscribe)
	unsub.ExpiresAt = epoch.Add(time.Hour)
	if !put(t, s, unsub) {
		t.Fatal("an unsubscribe in scope news was not written beside an account-wide bounce")
	}
	invalid := scoped(a, "digest", store.ReasonInvalid)
	invalid.ExpiresAt = epoch.Add(time.Minute)
	mustPut(t, s, invalid)
	got := lookup(t, s, a)
	if len(got) != 3 {
		t.Fatalf("Lookup returned %d suppressions, want 3 (one per scope)", len(got))
	}
	checkSame(t, got[all.Key()], all)
	checkSame(t, got[unsub.Key()], unsub)
	checkSame(t, got[invalid.Key()], invalid)
}

func testDeleteScope(t *testing.T, s store.Store) {
	const a = "two@example.com"
	all := sup(a, store.ReasonComplaint)
	list := scoped(a, "ses-contact-list:weekly", store.ReasonUnsubscribe)
	mustPut(t, s, all)
	mustPut(t, s, list)
	if err := s.Delete(bg(), list.Key()); err != nil {
		t.Fatalf("Delete(list scope): %v", err)
	}
	got := lookup(t, s, a)
	if _, ok := got[list.Key()]; ok {
		t.Error("the deleted list scope is still returned")
	}
	if _, ok := got[all.Key()]; !ok {
		t.Fatal("Delete of a list scope removed the account-wide suppression")
	}
	mustPut(t, s, list)
	if err := s.Delete(bg(), all.Key()); err != nil {
		t.Fatalf("Delete(ScopeAll): %v", err)
	}
	got = lookup(t, s, a)
	if _, ok := got[all.Key()]; ok {
		t.Error("the deleted account-wide suppression is still returned")
	}
	if _, ok := got[list.Key()]; !ok {
		t.Error("Delete of ScopeAll removed a list scope")
	}
}

func testLookupScopes(t *testing.T, s store.Store) {
	want := []store.Suppression{
		sup("a@example.com", store.ReasonBounce),
		scoped("a@example.com", "news", store.ReasonUnsubscribe),
		scoped("a@example.com", "ses-contact-list:cl/topic", store.ReasonUnsubscribe),
		scoped("b@example.com", "news", store.ReasonUnsubscribe),
		sup("c@example.com", store.ReasonComplaint),
	}
	for _, v := range want {
		mustPut(t, s, v)
	}
	got := lookup(t, s, "a@example.com", "b@example.com", "a@example.com", "c@example.com", "none@example.com", "b@example.com")
	if len(got) != len(want) {
		t.Errorf("Lookup returned %d suppressions, want %d", len(got), len(want))
	}
	for _, v := range want {
		g, ok := got[v.Key()]
		if !ok {
			t.Errorf("%q in scope %q absent", v.Address, v.Scope)
			continue
		}
		checkSame(t, g, v)
	}
}

func testScopeExact(t *testing.T, s store.Store) {
	mustPut(t, s, scoped("x@example.com", "news", store.ReasonUnsubscribe))
	for _, other := range []store.Scope{"News", "news ", "new", "news%", store.ScopeAll} {
		v := scoped("x@example.com", other, store.ReasonInvalid)
		v.ExpiresAt = epoch.Add(time.Hour)
		if !put(t, s, v) {
			t.Errorf("scope %q was judged against scope %q: not written", other, "news")
		}
	}
	if got := lookup(t, s, "x@example.com"); len(got) != 6 {
		t.Errorf("six distinct scopes stored, Lookup returned %d", len(got))
	}
}
