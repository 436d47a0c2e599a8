package verify

import (
	"context"
	"strings"
)

// roleLocals are local parts that name a function rather than a person:
// the mailboxes of RFC 2142 §§3–5 and RFC 5321 §4.5.1 (postmaster), plus the
// no-reply and team addresses that sign-up forms collect in practice.
var roleLocals = map[string]struct{}{
	// RFC 2142 and RFC 5321.
	"abuse": {}, "ftp": {}, "hostmaster": {}, "info": {}, "marketing": {}, "news": {},
	"noc": {}, "postmaster": {}, "sales": {}, "security": {}, "support": {},
	"usenet": {}, "uucp": {}, "webmaster": {}, "www": {},
	// Addresses that cannot or will not read replies.
	"mailer-daemon": {}, "no-reply": {}, "noreply": {}, "do-not-reply": {},
	"donotreply": {}, "nobody": {}, "bounce": {}, "bounces": {}, "root": {},
	// Shared team mailboxes.
	"admin": {}, "administrator": {}, "billing": {}, "careers": {}, "contact": {},
	"enquiries": {}, "help": {}, "hello": {}, "hr": {}, "jobs": {}, "legal": {},
	"office": {}, "privacy": {}, "team": {}, "accounts": {}, "list": {},
	"listserv": {}, "majordomo": {}, "newsletter": {}, "feedback": {},
}

// Roles flags role accounts (postmaster@, abuse@, noreply@, info@, …): mail
// to them reaches a team or nobody, and they complain more than people do.
// The local part is compared without case and without a "+tag"
// subaddress. A match is [Risky] with [ReasonRole] and [FlagRole]; set Block
// to make it [Invalid]. Roles is safe for concurrent use.
type Roles struct {
	Block bool // Invalid instead of Risky
}

var _ Checker = Roles{}

// Check reports whether a's local part is a role account.
func (r Roles) Check(_ context.Context, a Address) (Result, error) {
	if !IsRole(a.Local) {
		return Result{}, nil
	}
	v := Risky
	if r.Block {
		v = Invalid
	}
	return Result{Verdict: v, Reason: ReasonRole, Checker: "roles", Flags: FlagRole,
		Detail: a.Local + "@ is a role account, not a person"}, nil
}

// IsRole reports whether local names a role account.
func IsRole(local string) bool {
	if i := strings.IndexByte(local, '+'); i >= 0 {
		local = local[:i]
	}
	var buf [16]byte
	if len(local) > len(buf) {
		return false
	}
	for i := 0; i < len(local); i++ {
		c := local[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	_, ok := roleLocals[string(buf[:len(local)])]
	return ok
}

// freeDomains are mailbox providers where anyone can open an account. The
// first group are also the targets of [Typos].
var freeDomains = map[string]struct{}{
	"gmail.com": {}, "googlemail.com": {}, "yahoo.com": {}, "hotmail.com": {},
	"outlook.com": {}, "live.com": {}, "msn.com": {}, "aol.com": {},
	"icloud.com": {}, "protonmail.com": {}, "proton.me": {}, "gmx.com": {},
	"gmx.net": {}, "gmx.de": {}, "web.de": {}, "yandex.ru": {}, "mail.ru": {},
	"hotmail.co.uk": {}, "hotmail.fr": {}, "yahoo.co.uk": {}, "yahoo.fr": {},
	"comcast.net": {}, "verizon.net": {}, "sbcglobal.net": {}, "orange.fr": {},
	"wanadoo.fr": {}, "t-online.de": {}, "btinternet.com": {}, "libero.it": {},
	"naver.com": {}, "zoho.com": {}, "yandex.com": {}, "fastmail.com": {},

	"ymail.com": {}, "rocketmail.com": {}, "aim.com": {}, "me.com": {},
	"mac.com": {}, "pm.me": {}, "mail.com": {}, "email.com": {}, "inbox.ru": {},
	"list.ru": {}, "bk.ru": {}, "qq.com": {}, "163.com": {}, "126.com": {},
	"hanmail.net": {}, "daum.net": {}, "free.fr": {}, "laposte.net": {},
	"sfr.fr": {}, "freenet.de": {}, "att.net": {}, "bellsouth.net": {},
	"cox.net": {}, "charter.net": {}, "earthlink.net": {}, "juno.com": {},
	"rediffmail.com": {}, "tutanota.com": {}, "tuta.io": {}, "hey.com": {},
	"hotmail.de": {}, "hotmail.it": {}, "hotmail.es": {}, "outlook.fr": {},
	"outlook.de": {}, "live.co.uk": {}, "live.fr": {}, "yahoo.de": {},
	"yahoo.co.jp": {}, "yahoo.co.in": {}, "yahoo.com.br": {}, "yahoo.es": {},
	"yahoo.it": {}, "uol.com.br": {}, "bol.com.br": {}, "seznam.cz": {},
	"wp.pl": {}, "o2.pl": {}, "interia.pl": {}, "onet.pl": {}, "sky.com": {},
	"virginmedia.com": {}, "gmx.at": {}, "gmx.ch": {}, "mail.de": {},
}

// FreeProviders notes addresses at free mailbox providers (gmail.com,
// outlook.com, …) with [FlagFree] and [ReasonFree]. They are [Valid] by
// default — most people sign up with one — unless Risky is set. It is a
// flag for senders who treat business and consumer sign-ups differently.
// FreeProviders is safe for concurrent use.
type FreeProviders struct {
	Risky bool // Risky instead of Valid
}

var _ Checker = FreeProviders{}

// Check reports whether a's domain is a free provider.
func (f FreeProviders) Check(_ context.Context, a Address) (Result, error) {
	if !IsFree(a.Domain) {
		return Result{}, nil
	}
	v := Valid
	if f.Risky {
		v = Risky
	}
	return Result{Verdict: v, Reason: ReasonFree, Checker: "free", Flags: FlagFree,
		Detail: a.Domain + " is a free mailbox provider"}, nil
}

// IsFree reports whether domain (lower-case ASCII) is a free mailbox
// provider.
func IsFree(domain string) bool {
	_, ok := freeDomains[domain]
	return ok
}
