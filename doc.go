// Package sesguard guards sending through Amazon SES v2: it never mails an
// address that hard-bounced or complained, and it tells the caller which
// recipients it skipped and why.
//
// AWS reviews an account whose bounce rate reaches 5% (complaints: 0.1%) and
// may pause it at 10% (0.5%). Mail to an address on SES's own account-level
// suppression list is still billed and still counts toward the daily quota.
// sesguard keeps its own suppression list, consults it before every send, and
// removes suppressed recipients before SES sees them.
//
// # Sending
//
// Create a [Client] around the SES v2 client you already have, and call
// [Client.Send] where you called SendEmail:
//
//	cfg, err := config.LoadDefaultConfig(ctx)
//	…
//	client, err := sesguard.New(sesv2.NewFromConfig(cfg), func(o *sesguard.Options) {
//		o.Store = myStore // nil: in memory
//	})
//	…
//	out, err := client.Send(ctx, &sesv2.SendEmailInput{…})
//
// Send takes and returns the SDK's own types, and a *Client satisfies
// [SESv2API] — the SendEmail, SendBulkEmail and GetAccount methods of
// *sesv2.Client — so code written against an interface of those methods
// takes a Client unchanged. Programs that prefer a package-level function can
// call [SetDefault] once and then [Send], as with log/slog.
//
// Before calling SES, Send collects the recipients (To, Cc and Bcc of the
// Destination, or the headers of a raw message without one), brings each to
// its [Canonical] form, runs the configured [Check]s, and asks the store
// about all of them in one call. Recipients that are refused are removed and
// the message goes to the rest: the caller finds them with
// [SkippedRecipients] on the output's ResultMetadata, and Options.OnSkip
// hears of them as they happen. When no recipient is left — or when
// Options.AllOrNothing is set and any is refused — nothing is sent and the
// error is a [*SuppressedError] that says, per address, why.
// [Client.SendBulkEmail] does the same for each entry of a bulk send, and
// reports unsent entries in their place with status [BulkStatusSuppressed].
//
// # Suppression
//
// The suppression list lives in a [store.Store]: three methods (Lookup, Put,
// Delete) that a team can implement over the database it already runs. The
// default is in memory (store/memstore), private to one process. For a list
// that survives restarts and is shared by every instance — the sending
// services and the process that receives notifications — use
// store/sqlstore, which keeps it in PostgreSQL, MySQL/MariaDB or SQLite and
// migrates its own tables. store/storetest checks any implementation against
// the contract. Entries carry a reason (bounce,
// complaint, unsubscribe, …), a detail, a source and an optional expiry; an
// entry that has expired by the Client's clock (Options.Now) no longer
// blocks. A write never replaces a stronger entry with a weaker one
// ([store.Replaces]).
//
// Each entry has a scope. Bounces, complaints and manual blocks are
// account-wide ([store.ScopeAll]) and refuse all mail. An unsubscribe
// belongs to a list and refuses only mail for that list: a send under
// [ForList], or whose ListManagementOptions name the SES contact list
// ([ContactListScope]). Mail with neither is transactional — a password
// reset, a receipt — and no unsubscribe blocks it.
//
// Operators manage the list through the Client: [Client.Suppress] adds an
// entry and returns the one in force, [Client.Unsuppress] lifts an
// address's entries (in some scopes, or all), and [Client.Suppressions]
// says whether and why an address is blocked. Expired entries are purged
// every Options.PurgeEvery (hourly by default; see [Client.Purge]).
//
// # Notifications
//
// The list fills itself from what SES reports. Point an SES identity's
// feedback notifications, or a configuration set's event destination, at
// an SNS topic, and deliver that topic to sesguard in one of three ways:
//
//   - An HTTPS subscription: serve [Client.SNSHandler]. It checks every
//     message with package sns (SignatureVersion 1 and 2, certificates only
//     from https://sns.<region>.amazonaws.com, a required topic allow-list,
//     a two-hour freshness window), confirms the subscription only after
//     that check, and answers 200 only once the store was written, so SNS
//     retries whatever was not recorded.
//   - An SQS queue: package sqsconsumer polls it, applies each receive as
//     one batch ([Client.ApplyBatch]), and deletes a message only after it
//     was applied. Its messages are never refused for their age: they may
//     wait in the queue for days.
//   - A Lambda function: pass the event to [Parse], then its notifications
//     to [Client.ApplyBatch] (one transaction with a store that has them),
//     or each to [Client.Apply].
//
// Runnable programs for each shape are in the repository's examples
// directory: examples/webhook, examples/sqs and examples/lambda, and
// examples/customstore for a store of one's own.
//
// [Parse] accepts all of these shapes — SNS envelopes, raw message delivery,
// Lambda SNS and SQS events — in both SES formats (identity notifications,
// "notificationType", and configuration-set events, "eventType"), and yields
// one [Record] per affected recipient. For a transport of your own, check
// each [Notification.SNS] with an [sns.Validator] before applying it.
//
// The flow is visible in the layout: package sns reads and authenticates
// SNS envelopes and knows nothing of SES; this package holds the SES
// notification model ([Notification], [Record], [Bounce], …) and [Parse]
// beside the [Policy] and [Client.Apply] that act on it. The model stays
// here rather than in a package of its own because it is the vocabulary of
// the Client's API — Apply takes a Notification, a [Decision] carries a
// Record, Policy hooks see a Bounce or a Complaint — so a separate package
// would be imported by every program that imports this one, and would
// only add a qualifier to every name.
//
// The [Policy] decides, and every number in it is an option:
//
//	Permanent bounce (any subtype)              suppress, no expiry
//	Transient or Undetermined bounce            count; the 3rd in 14 days suppresses for 30 days
//	Complaint, except feedback type not-spam    suppress, no expiry
//	Delivery                                    clear the transient count (never lift a suppression)
//	Subscription: unsubscribed from a list      suppress as unsubscribed, for that list (or topic) only
//	Send, Reject, DeliveryDelay, Open, Click…   nothing
//
// Each record is applied exactly once, through retries, redeliveries, lost
// replies and crashes: it is looked up by its SES feedback id (or SNS
// message id), its effects are written — each idempotent: a suppression
// never weakens one in force, a transient bounce is recorded once per
// bounce — and it is marked applied last, with its counts for the
// reputation breaker in the same step. With a store that implements
// store.Deduper and store.BounceCounter (memstore, sqlstore and dynamostore
// do), this holds across processes; other stores get in-process stand-ins.
// A recipient whose address no store can hold is reported, not retried
// forever. Policy.OnDecision hears every decision.
//
// # Bulk mail and unsubscribes
//
// Mail sent for a list — under [ForList] — can carry the one-click
// unsubscribe fields that Gmail and Yahoo require of bulk senders
// (List-Unsubscribe with an HTTPS URI, and List-Unsubscribe-Post:
// List-Unsubscribe=One-Click, RFC 8058). Set Options.Unsubscribe (see
// [UnsubscribeOptions]; per send, [WithUnsubscribe]) and serve
// [Client.UnsubscribeHandler] at its URL:
//
//   - every recipient gets a link of its own, with an opaque token
//     (package unsubscribe) that binds its address, the list and the time
//     of issue, encrypted and authenticated with HMAC-SHA256 under
//     rotatable keys;
//   - a list message must have one recipient (or one per bulk entry), or
//     Send refuses it with [ErrInvalidMessage];
//   - transactional mail, contact-list mail (SES adds its own fields) and
//     messages that carry their own List-Unsubscribe get no fields;
//   - the provider's one-click POST records an UNSUBSCRIBE suppression
//     scoped to the list, which blocks the next send for that list and no
//     other mail; a GET shows a confirmation page and records nothing, so
//     link scanners unsubscribe no one.
//
// # Rate limiting and quotas
//
// SES counts every recipient against a per-second rate and a rolling
// 24-hour quota. With Options.AccountQuota the Client reads both from
// GetAccount (in [New], which fails when it cannot unless
// Options.ContinueWithoutAccount is set, then every minute in the
// background — call [Client.Close] to stop it), paces sends through a
// [Limiter] at the account's full rate, one token per recipient, and
// refuses a send that would pass the daily quota with a
// [*QuotaExceededError] that says when capacity returns, without calling
// SES. Options.SendRate and Options.DailyQuota set or cap them by hand.
// [Client.Quota] reports what the Client believes and where it came from.
//
// A send SES throttles is retried, within its context; the Client halves
// its rate and climbs back to the full rate within three seconds.
// Transactional mail goes before bulk mail (see [Priority]): a bulk send
// — mail for a list (under [ForList], or with ListManagementOptions), or
// one made with WithPriority(ctx, PriorityBulk) — waits behind every
// transactional send and leaves
// [TransactionalReserve] tokens of the bucket and Options.DailyReserve of
// the daily quota for them. The Client's limiter is a [*RateLimiter] over
// golang.org/x/time/rate ([AdaptRate]); several processes share one rate,
// with the same priorities, through package redislimiter.
//
// The reputation breaker watches the share of recipients that bounce or
// complain. When, over at least 200 recipients, bounces reach 4% or
// complaints 0.08% (below the 5% and 0.1% at which AWS reviews an account),
// or when SES reports the account paused, sends fail with a
// [*BreakerOpenError] until a trial after the cool-down succeeds or an
// operator calls [Client.ResetBreaker]. Mail marked with [Critical], such as
// password resets, may pass an open breaker (BreakerOptions.AllowCritical).
// With a store that implements store.Counter the counts are shared, so the
// process that receives notifications and those that send agree.
//
// # Verification
//
// A [Check] runs on every recipient before the store is asked and may veto
// it with a reason, optionally remembering the veto as a suppression that
// expires. Package verify provides syntax, domain (MX, null MX), disposable
// domain, role, typo and third-party checks; [VerifyCheck] plugs a verify
// chain in, maps each verdict to send, flag or block through a
// verify.Policy, and with VerifyOptions.RememberInvalid stores invalid
// addresses as expiring suppressions:
//
//	chain := verify.NewChain(verify.Typos{}, verify.Disposable{}, verify.NewDomain())
//	client, err := sesguard.New(api, func(o *sesguard.Options) {
//		o.Checks = []sesguard.Check{sesguard.VerifyCheck(chain)}
//	})
//
// # Metrics and traces
//
// [Options].Hooks are functions the Client calls as it works — a send
// begun and ended (with what it refused and sent), a notification applied,
// the webhook's answer, each store call, limiter waits, the 24-hour quota,
// the breaker's state — at a cost of one nil check each when unset.
// Package otelsesguard (module
// github.com/sesguard/sesguard/instrumentation/otelsesguard) builds them on
// OpenTelemetry: metrics, and spans that are children of the caller's.
//
// # Testing
//
// Package sestest runs SES v2 and its SNS notifications in process: the real
// SDK client talks to it over loopback, its mailbox simulator bounces and
// complains like AWS's, and it posts signed notifications to a webhook or a
// channel. It is what sesguard's own tests and the quickstart
// (go run ./examples/quickstart) run on: errors come from the emulated
// account itself (sandbox, paused or suspended account, a spent quota), and
// Server.SetFault gives throttles and 5xx answers on cue. A program's own
// tests can do the same.
//
// # Errors
//
// Errors that callers branch on are sentinels: [ErrSuppressed],
// [ErrStoreUnavailable], [ErrCheckFailed], [ErrInvalidMessage],
// [ErrQuotaExceeded], [ErrBreakerOpen], [ErrMalformed], [ErrNoDefault];
// package sns has those of signature checks ([sns.ErrSignature], …). Errors that carry detail are types that match them with
// errors.Is: [*SuppressedError], [*StoreError], [*CheckError],
// [*QuotaExceededError], [*BreakerOpenError]. When the
// store or a check cannot answer, the send fails — SES is not called —
// unless Options.FailOpen is set, in which case the failure is logged and the
// message is sent unchecked. Errors from SES are returned wrapped, so the
// SDK's types stay reachable:
//
//	var rejected *types.MessageRejected
//	if errors.As(err, &rejected) { … }
package sesguard
