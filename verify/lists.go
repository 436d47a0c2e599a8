package verify

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/net/idna"
)

// Lists holds a sender's own allow and deny lists. An entry is a domain
// ("example.com", which covers its subdomains) or an address
// ("bob@example.com", compared without regard to case).
//
// The most specific entry wins: an address entry beats a domain entry, and a
// subdomain beats its parent; between an allow and a deny entry for the same
// name, deny wins. A denied address is [Invalid] with [ReasonDenied]; an
// allowed one is [Valid] with [ReasonAllowed], which stops a [Chain], so put
// Lists first to exempt addresses from the checkers after it.
//
// Lists is safe for concurrent use: updates swap in a new copy, so checks
// never wait for them and never see half an update. The zero value is an
// empty Lists ready to use.
type Lists struct {
	mu  sync.Mutex // serialises writers
	cur atomic.Pointer[listSets]
}

type listSets struct {
	allow, deny map[string]struct{} // canonical entries
}

var _ Checker = (*Lists)(nil)

// Allow adds entries to the allow list. An entry that is neither a domain
// nor an address is ignored; Allow reports how many it added.
func (l *Lists) Allow(entries ...string) int {
	return l.update(func(s *listSets) int { return addEntries(s.allow, entries) })
}

// Deny adds entries to the deny list, like [Lists.Allow].
func (l *Lists) Deny(entries ...string) int {
	return l.update(func(s *listSets) int { return addEntries(s.deny, entries) })
}

// Remove deletes entries from both lists and reports how many it removed.
func (l *Lists) Remove(entries ...string) int {
	return l.update(func(s *listSets) int {
		n := 0
		for _, e := range entries {
			k, ok := listKey(e)
			if !ok {
				continue
			}
			_, a := s.allow[k]
			_, d := s.deny[k]
			if a || d {
				n++
			}
			delete(s.allow, k)
			delete(s.deny, k)
		}
		return n
	})
}

func (l *Lists) update(fn func(*listSets) int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	next := &listSets{allow: map[string]struct{}{}, deny: map[string]struct{}{}}
	if old := l.cur.Load(); old != nil {
		for k := range old.allow {
			next.allow[k] = struct{}{}
		}
		for k := range old.deny {
			next.deny[k] = struct{}{}
		}
	}
	n := fn(next)
	l.cur.Store(next)
	return n
}

func addEntries(set map[string]struct{}, entries []string) int {
	n := 0
	for _, e := range entries {
		if k, ok := listKey(e); ok {
			if _, dup := set[k]; !dup {
				n++
			}
			set[k] = struct{}{}
		}
	}
	return n
}

// listKey canonicalises an entry: an address or a domain, lower case, the
// domain in A-label form.
func listKey(e string) (string, bool) {
	e = strings.TrimSpace(e)
	local, domain, isAddr := strings.Cut(e, "@")
	if !isAddr {
		domain = e
	}
	d, err := idna.Lookup.ToASCII(strings.TrimSuffix(domain, "."))
	if err != nil || d == "" || (isAddr && local == "") {
		return "", false
	}
	if isAddr {
		return strings.ToLower(local) + "@" + d, true
	}
	return d, true
}

// Check looks a up in the lists.
func (l *Lists) Check(_ context.Context, a Address) (Result, error) {
	s := l.cur.Load()
	if s == nil || len(s.allow)+len(s.deny) == 0 {
		return Result{}, nil
	}
	var buf [MaxAddressLength]byte
	if key, ok := lowerAddr(buf[:0], a); ok {
		if _, ok := s.deny[string(key)]; ok {
			return denied(string(key)), nil
		}
		if _, ok := s.allow[string(key)]; ok {
			return allowed(string(key)), nil
		}
	}
	d, a2 := matchSuffix(s.deny, a.Domain), matchSuffix(s.allow, a.Domain)
	switch {
	case d != "" && len(d) >= len(a2):
		return denied(d), nil
	case a2 != "":
		return allowed(a2), nil
	}
	return Result{}, nil
}

func denied(entry string) Result {
	return Result{Verdict: Invalid, Reason: ReasonDenied, Checker: "lists", Detail: entry + " is on the deny list"}
}

func allowed(entry string) Result {
	return Result{Reason: ReasonAllowed, Checker: "lists", Detail: entry + " is on the allow list"}
}

// lowerAddr appends a's address to buf with the local part lower-cased;
// false if it does not fit.
func lowerAddr(buf []byte, a Address) ([]byte, bool) {
	if len(a.Local)+1+len(a.Domain) > cap(buf) {
		return nil, false
	}
	for i := 0; i < len(a.Local); i++ {
		c := a.Local[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf = append(buf, c)
	}
	buf = append(buf, '@')
	return append(buf, a.Domain...), true
}
