package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/sesguard/sesguard/store"
)

var listCases = []testCase{
	{"ListerPagesInKeyOrder", testListPages},
	{"ListerStartsAfterCursor", testListAfter},
}

func lister(t *testing.T, s store.Store) store.Lister {
	l, ok := s.(store.Lister)
	if !ok {
		t.Skip("store does not implement store.Lister")
	}
	return l
}

// testListPages lists 53 addresses, some in two or three scopes, in pages
// of 10, and checks that every key comes once, in Key.Less order.
func testListPages(t *testing.T, s store.Store) {
	l := lister(t, s)
	const n, pageSize = 53, 10
	var want []store.Key
	for i := range n {
		a := fmt.Sprintf("list%02d@example.com", i)
		want = append(want, store.Key{Address: a})
		if i%4 == 0 {
			want = append(want, store.Key{Address: a, Scope: "news"})
		}
		if i%7 == 0 {
			want = append(want, store.Key{Address: a, Scope: "news/weekly"})
		}
	}
	for i := len(want) - 1; i >= 0; i-- {
		mustPut(t, s, scoped(want[i].Address, want[i].Scope, store.ReasonBounce))
	}
	var all []store.Key
	var after store.Key
	for pages := 0; ; pages++ {
		if pages > len(want) {
			t.Fatal("listing did not end")
		}
		page, err := l.List(bg(), after, pageSize)
		if err != nil {
			t.Fatalf("List(%v): %v", after, err)
		}
		for _, v := range page {
			all = append(all, v.Key())
		}
		if len(page) < pageSize {
			break
		}
		after = page[len(page)-1].Key()
	}
	if len(all) != len(want) {
		t.Fatalf("listed %d keys, want %d", len(all), len(want))
	}
	for i, k := range all {
		if k != want[i] {
			t.Fatalf("entry %d is %v, want %v (ascending Key order)", i, k, want[i])
		}
	}
}

func testListAfter(t *testing.T, s store.Store) {
	l := lister(t, s)
	for _, a := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		mustPut(t, s, sup(a, store.ReasonManual))
	}
	bNews := scoped("b@example.com", "news", store.ReasonUnsubscribe)
	bNews.ExpiresAt = epoch.Add(time.Hour)
	mustPut(t, s, bNews)
	page, err := l.List(bg(), store.Key{Address: "b@example.com"}, 10)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(page) != 2 || page[0].Key() != bNews.Key() || page[1].Address != "c@example.com" {
		t.Fatalf("List after b = %v, want b in scope news, then c", page)
	}
	checkSame(t, page[0], bNews)
	checkSame(t, page[1], sup("c@example.com", store.ReasonManual))
	page, err = l.List(bg(), store.Key{Address: "zzz"}, 10)
	if err != nil || len(page) != 0 {
		t.Errorf("List past the end = %v, %v; want empty, nil", page, err)
	}
}
