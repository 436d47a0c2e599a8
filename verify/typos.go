package verify

import "context"

// typoTargets are the providers that [Typos] corrects towards, most used
// first, so that a tie goes to the likelier one.
var typoTargets = [...]string{
	"gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "icloud.com",
	"aol.com", "live.com", "msn.com", "googlemail.com", "protonmail.com",
	"proton.me", "gmx.com", "gmx.net", "gmx.de", "web.de", "yandex.ru",
	"mail.ru", "comcast.net", "verizon.net", "sbcglobal.net", "hotmail.co.uk",
	"hotmail.fr", "yahoo.co.uk", "yahoo.fr", "orange.fr", "wanadoo.fr",
	"t-online.de", "btinternet.com", "libero.it", "naver.com", "zoho.com",
	"yandex.com", "fastmail.com",
}

// Typos spots domains one edit away from a common provider — a letter
// added, dropped, changed, or two swapped: gmial.com, hotnail.com, gmail.co,
// yahoo.con — and suggests the correction. A domain that is itself a known
// provider ([IsFree]) is never "corrected". A hit is [Risky] with
// [ReasonTypo], [FlagTypo] and a [Result.Suggestion]; set Block to make it
// [Invalid]. One check costs well under 5 µs and does not allocate unless
// it finds a typo. Typos is safe for concurrent use.
type Typos struct {
	Block bool // Invalid instead of Risky
}

var _ Checker = Typos{}

// Check looks for a typo in a's domain.
func (t Typos) Check(_ context.Context, a Address) (Result, error) {
	fix := SuggestDomain(a.Domain)
	if fix == "" {
		return Result{}, nil
	}
	v := Risky
	if t.Block {
		v = Invalid
	}
	return Result{Verdict: v, Reason: ReasonTypo, Checker: "typos", Flags: FlagTypo,
		Suggestion: a.Local + "@" + fix, Detail: a.Domain + " looks like a typo of " + fix}, nil
}

// SuggestDomain returns the common provider that domain (lower-case ASCII)
// is probably a misspelling of, or "" when there is none.
func SuggestDomain(domain string) string {
	if len(domain) < 5 || IsFree(domain) {
		return ""
	}
	for _, t := range typoTargets {
		if oneEdit(domain, t) {
			return t
		}
	}
	return ""
}

// oneEdit reports whether a and b differ by exactly one insertion,
// deletion, substitution or transposition of adjacent bytes (an optimal
// string alignment distance of 1).
func oneEdit(a, b string) bool {
	if len(a) < len(b) {
		a, b = b, a
	}
	switch len(a) - len(b) {
	case 0:
		i := firstDiff(a, b)
		if i == len(a) {
			return false
		}
		if a[i+1:] == b[i+1:] {
			return true
		}
		return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
	case 1:
		i := firstDiff(a, b)
		return a[i+1:] == b[i:]
	}
	return false
}

// firstDiff returns the first index where a and b differ, or len(b) when b
// is a prefix of a (len(a) >= len(b)).
func firstDiff(a, b string) int {
	for i := 0; i < len(b); i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return len(b)
}
