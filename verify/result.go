package verify

import "strconv"

// Verdict is a checker's judgement of one address. The zero value is
// [Valid]: a checker with nothing to object to says so by returning a zero
// [Result].
type Verdict uint8

// The verdicts, from least to most severe. [Chain] keeps the most severe
// verdict it sees; [Unknown] ranks below [Risky] because "could not tell" is
// weaker evidence than a known concern.
const (
	Valid   Verdict = iota // no checker objected
	Unknown                // a checker could not decide (DNS timeout, SERVFAIL, verifier outage)
	Risky                  // deliverable, but with a known concern (disposable, role, catch-all, typo)
	Invalid                // mail to it will not be delivered, or must not be sent
)

// String returns "valid", "unknown", "risky" or "invalid".
func (v Verdict) String() string {
	switch v {
	case Valid:
		return "valid"
	case Unknown:
		return "unknown"
	case Risky:
		return "risky"
	case Invalid:
		return "invalid"
	}
	return "verdict(" + strconv.Itoa(int(v)) + ")"
}

// Reason is a stable, machine-readable code for why a checker reached its
// verdict. Callers branch on it; the human-readable explanation is in
// [Result.Detail].
type Reason string

// Syntax reasons ([Syntax], [ParseAddress]). Each is an [Invalid] verdict.
const (
	ReasonSyntax         Reason = "syntax"          // not an RFC 5321 Mailbox (display name, comment, whitespace, bad character, missing @, …)
	ReasonLocalTooLong   Reason = "local_too_long"  // local part longer than 64 octets (RFC 5321 §4.5.3.1.1)
	ReasonDomainTooLong  Reason = "domain_too_long" // domain longer than 255 octets (RFC 5321 §4.5.3.1.2)
	ReasonLabelTooLong   Reason = "label_too_long"  // a domain label longer than 63 octets (RFC 1035 §2.3.4)
	ReasonTooLong        Reason = "too_long"        // whole address longer than 254 octets (RFC 5321 §4.5.3.1.3, erratum 1690)
	ReasonNonASCIILocal  Reason = "non_ascii_local" // local part is not 7-bit ASCII, which SES refuses
	ReasonBadDomain      Reason = "bad_domain"      // domain is not a valid host name or IDNA name
	ReasonSingleLabel    Reason = "single_label"    // domain has one label ("user@intranet")
	ReasonLocalhost      Reason = "localhost"       // domain is localhost or under .localhost (RFC 6761)
	ReasonAddressLiteral Reason = "address_literal" // domain is an address literal ("user@[192.0.2.1]")
	ReasonNumericTLD     Reason = "numeric_tld"     // top-level label is all digits (RFC 3696 §2)
)

// Domain reasons ([Domain]).
const (
	ReasonNullMX     Reason = "null_mx"     // Invalid: the domain publishes a null MX, it accepts no mail (RFC 7505)
	ReasonNoDomain   Reason = "no_domain"   // Invalid: no MX, A or AAAA record: NXDOMAIN or an empty name
	ReasonNoMX       Reason = "no_mx"       // Invalid: no MX record while [Domain.RequireMX] is set
	ReasonImplicitMX Reason = "implicit_mx" // Valid: no MX, but an A or AAAA record (RFC 5321 §5.1)
	ReasonDNSTimeout Reason = "dns_timeout" // Unknown: the lookup timed out
	ReasonDNSError   Reason = "dns_error"   // Unknown: SERVFAIL, refused, or another temporary failure
)

// List and heuristic reasons ([Disposable], [Roles], [Typos], [Lists]).
const (
	ReasonDisposable Reason = "disposable" // the registrable domain hands out throwaway mailboxes
	ReasonRole       Reason = "role"       // a role account (postmaster@, noreply@, …), not a person
	ReasonFree       Reason = "free"       // a free mailbox provider (gmail.com, outlook.com, …)
	ReasonTypo       Reason = "typo"       // the domain looks like a misspelt common provider; see [Result.Suggestion]
	ReasonDenied     Reason = "denied"     // on the user's deny list
	ReasonAllowed    Reason = "allowed"    // on the user's allow list: later checkers are skipped
)

// External verifier reasons ([External]).
const (
	ReasonRejected    Reason = "rejected"    // the verifier says the mailbox does not exist
	ReasonCatchAll    Reason = "catch_all"   // the domain accepts every address, so the mailbox is unproven
	ReasonSpamtrap    Reason = "spamtrap"    // a known spam trap
	ReasonAbuse       Reason = "abuse"       // a known complainer
	ReasonDoNotMail   Reason = "do_not_mail" // the verifier advises against mailing it
	ReasonLowScore    Reason = "low_score"   // the verifier was not confident the address is valid
	ReasonUnverified  Reason = "unverified"  // Unknown: the verifier could not tell
	ReasonUnavailable Reason = "unavailable" // Unknown: the verifier did not answer (outage, quota, credentials)
)

// Result is one checker's (or a chain's) judgement of one address.
type Result struct {
	Verdict Verdict
	// Reason is empty on a plain Valid result.
	Reason Reason
	// Detail explains the verdict to a person, e.g. "null MX (RFC 7505)".
	Detail string
	// Suggestion is a corrected address when a checker believes the input
	// was mistyped ("bob@gmial.com" → "bob@gmail.com"); empty otherwise.
	Suggestion string
	// Checker names the checker that decided, e.g. "syntax", "domain".
	Checker string
	// Flags records attributes that every checker of a chain observed,
	// whatever the verdict, e.g. [FlagFree] on a valid gmail.com address.
	Flags Flags
}

// Flags is a set of attributes of an address.
type Flags uint16

// The attributes a checker can note.
const (
	FlagRole       Flags = 1 << iota // role account
	FlagFree                         // free mailbox provider
	FlagDisposable                   // disposable domain
	FlagTypo                         // probable typo of a common provider
	FlagImplicitMX                   // mail goes to the A/AAAA host, no MX
	FlagCatchAll                     // the domain accepts every local part
)

// Has reports whether f holds every flag of g.
func (f Flags) Has(g Flags) bool { return f&g == g }

// String lists the flags, e.g. "role|free"; empty when none is set.
func (f Flags) String() string {
	names := [...]string{"role", "free", "disposable", "typo", "implicit_mx", "catch_all"}
	s := ""
	for i, n := range names {
		if f&(1<<i) != 0 {
			if s != "" {
				s += "|"
			}
			s += n
		}
	}
	return s
}
