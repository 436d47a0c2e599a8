// Package verify checks e-mail addresses before they are sent to: strictly
// where the standards are clear, cheaply enough to run on every send, and
// saying "unknown" rather than guessing when it cannot know.
//
// It is a leaf package: it imports nothing of sesguard, and the sesguard
// Client plugs it in through sesguard.VerifyCheck.
//
// # Results
//
// Every check yields a [Result]: a [Verdict] ([Valid], [Unknown], [Risky] or
// [Invalid]), a machine-readable [Reason] such as [ReasonNullMX] or
// [ReasonTypo], a human-readable Detail, an optional Suggestion ("did you
// mean bob@gmail.com?"), the name of the checker that decided, and [Flags]
// noting attributes such as [FlagRole] or [FlagFree] whatever the verdict.
//
// What to do with a verdict is a [Policy]: send, flag (send and report) or
// block. [DefaultPolicy] blocks only invalid addresses; change one field to
// change one decision:
//
//	p := verify.Policy{Risky: verify.ActionBlock}
//
// # Syntax
//
// [ParseAddress] and [Syntax] accept a bare RFC 5321 Mailbox — dot-string or
// quoted-string local part, LDH or IDNA domain — within the RFC's limits: 64
// octets of local part, 63 per label, 255 of domain, 254 in all. Because the
// addresses go to Amazon SES, the local part must be 7-bit ASCII, and an
// internationalised domain is validated with the IDNA Lookup profile and
// returned in Punycode. Single-label domains, localhost and address
// literals are refused unless a [Syntax] field allows them. An ordinary
// address is checked in well under 100 ns without allocating.
//
// # Checkers
//
// A [Checker] judges an address that passed syntax. The built-in ones:
//
//   - [Domain]: MX records through an injectable [Resolver]; null MX
//     (RFC 7505) and NXDOMAIN are invalid, a bare A/AAAA record is an
//     implicit MX, timeouts and SERVFAIL are unknown. Answers are cached
//     and concurrent lookups of a domain are collapsed.
//   - [Disposable]: an embedded public-domain list of throwaway-mailbox
//     domains ([DisposableSource]), matched on the registrable domain so
//     subdomains are caught. Loaded on first use.
//   - [Lists]: the sender's own allow and deny lists, safe to update while
//     checks run.
//   - [Roles] and [FreeProviders]: role accounts (postmaster@, noreply@, …)
//     and free mailbox providers, flags rather than blocks.
//   - [Typos]: domains one slip away from a common provider (gmial.com,
//     hotnail.com, gmail.co), with the correction.
//   - [External]: a third-party verifier (ZeroBounce, NeverBounce, Kickbox,
//     or SES's own GetEmailAddressInsights through package
//     verify/sesinsights), with caching.
//
// A [Chain] runs syntax and then its checkers, cheap ones first, and keeps
// the most severe result. Every checker is safe for concurrent use and
// honours its context.
package verify
