package verify

import (
	"context"
	_ "embed"
	"strings"
	"sync"

	"golang.org/x/net/publicsuffix"
)

// disposableText is the disposable-domain list, one domain a line, from the
// disposable-email-domains project (github.com/disposable-email-domains/
// disposable-email-domains, file disposable_email_blocklist.conf at commit
// 002582532167d83165f459fdefe9246404aec319, 4,385 domains, taken
// 2026-11-23). Its authors dedicated it to the public domain under CC0 1.0
// Universal; see NOTICE in this directory.
//
//go:embed disposable_domains.txt
var disposableText string

// disposableSet parses disposableText on first use, so that importing the
// package costs nothing.
var disposableSet = sync.OnceValue(func() map[string]struct{} { return parseDomainList(disposableText) })

// parseDomainList reads one domain a line, skipping blank lines and "#"
// comments.
func parseDomainList(text string) map[string]struct{} {
	m := make(map[string]struct{}, strings.Count(text, "\n"))
	for line := range strings.Lines(text) {
		if d := strings.TrimSpace(line); d != "" && d[0] != '#' {
			m[d] = struct{}{}
		}
	}
	return m
}

// Disposable flags addresses at disposable (throwaway) mailbox providers,
// from an embedded public-domain list of 4,385 domains (see
// [DisposableSource]). A domain matches when it or any parent domain down to
// its registrable domain (the public suffix plus one label, from
// golang.org/x/net/publicsuffix) is listed, so "x.mailinator.com" is caught
// while a listed "a.pp.ua" does not condemn every ".pp.ua" site.
//
// A match is [Risky] with [ReasonDisposable] and [FlagDisposable]: the mail
// is delivered, but the mailbox will soon be gone. Set Block to make it
// [Invalid]. Add domains the list lacks with [Lists.Deny], and exempt ones
// it wrongly holds with [Lists.Allow] placed earlier in the [Chain].
//
// The list is parsed on first use. Disposable is safe for concurrent use.
type Disposable struct {
	Block bool // Invalid instead of Risky
}

// DisposableSource names the origin and licence of the embedded list.
const DisposableSource = "disposable-email-domains/disposable-email-domains @002582532167 (2026-11-23), CC0 1.0"

var _ Checker = Disposable{}

// Check looks a.Domain up in the list.
func (d Disposable) Check(_ context.Context, a Address) (Result, error) {
	match := IsDisposable(a.Domain)
	if match == "" {
		return Result{}, nil
	}
	v := Risky
	if d.Block {
		v = Invalid
	}
	return Result{Verdict: v, Reason: ReasonDisposable, Checker: "disposable", Flags: FlagDisposable,
		Detail: match + " is a disposable mailbox provider"}, nil
}

// IsDisposable returns the listed domain that domain falls under (domain
// itself or a parent), or "" when none does. domain must be lower-case
// ASCII, as [Address.Domain] is.
func IsDisposable(domain string) string {
	return matchSuffix(disposableSet(), domain)
}

// matchSuffix returns the first of domain and its parents, down to its
// registrable domain, that is in set. The public-suffix lookup runs only
// when a parent matches, so a miss costs a few map probes.
func matchSuffix[V any](set map[string]V, domain string) string {
	if len(set) == 0 || domain == "" || domain[0] == '[' {
		return ""
	}
	if _, ok := set[domain]; ok {
		return domain
	}
	for s := domain; ; {
		i := strings.IndexByte(s, '.')
		if i < 0 {
			return ""
		}
		s = s[i+1:]
		if _, ok := set[s]; ok {
			// Parents are tried longest first, so if this one is above the
			// registrable domain (a public suffix such as "pp.ua"), so is
			// every later one.
			if etld1, err := publicsuffix.EffectiveTLDPlusOne(domain); err == nil && len(s) >= len(etld1) {
				return s
			}
			return ""
		}
	}
}
