// Package sestest is an in-process emulator of Amazon SES v2 and of the SNS
// topic SES publishes its notifications to, for tests and demos that must run
// without an AWS account: send → SES → bounce → SNS → webhook → suppression →
// next send refused, all on loopback.
//
// The real *sesv2.Client talks HTTP to a [Server], unchanged: same paths,
// same JSON, same error shapes, so the SDK yields its own typed errors
// (*types.MessageRejected, *types.TooManyRequestsException, ...). The server
// runs AWS's mailbox simulator, keeps the account's quotas per recipient,
// and publishes SES notifications in both formats, wrapped in SNS envelopes
// signed with its own key, to HTTP endpoints and Go channels.
//
// # Starting a server
//
// [NewServer] listens on a loopback port; [RunT] does the same for a test and
// closes the server when the test ends. [Server.Client] returns a ready
// *sesv2.Client (BaseEndpoint, static credentials, region):
//
//	srv := sestest.RunT(t)
//	client := srv.Client()
//	out, err := client.SendEmail(ctx, &sesv2.SendEmailInput{...})
//
// The client keeps the SDK's standard retryer, which retries
// TooManyRequestsException. Pass [NoRetries] to see every throttle raw:
// srv.Client(sestest.NoRetries).
//
// # Operations
//
// SendEmail (Simple, Raw and Template content), SendBulkEmail, GetAccount,
// PutAccountSuppressionAttributes, Put/Get/List/DeleteSuppressedDestination
// (the account-level suppression list, paginated),
// GetEmailAddressInsights; Create/Get/List/DeleteEmailIdentity;
// Create/Get/List/DeleteConfigurationSet and
// Create/Get/DeleteConfigurationSetEventDestination(s);
// Create/Get/Update/List/DeleteEmailTemplate — enough for a suite in any
// language to set its account up over HTTP. Any other operation answers
// 404 UnknownOperationException, as SES does. Bad input gets SES's error
// shape — a 4xx status, the X-Amzn-ErrorType header and {"message": ...} —
// and never a 500: BadRequestException for malformed JSON, missing members,
// no recipients, more than 50 recipients or a bad address; MessageRejected
// for a raw message over 10 MB or an unverified identity;
// NotFoundException for an unknown template or configuration set.
// SendBulkEmail reports what fails one entry in that entry's status
// (TEMPLATE_NOT_FOUND, ACCOUNT_THROTTLED, ACCOUNT_SENDING_PAUSED, ...), as
// SES's model defines, and sends the others. [Server.SetFault] makes an
// operation answer an error of the test's choosing, for errors the
// emulated account cannot produce by itself
// (MailFromDomainNotVerifiedException, InternalServiceErrorException, ...).
//
// With [Options.RequireSignature] the server checks every request's AWS
// Signature Version 4 against [Options.Credentials] and answers SES's 403
// errors (MissingAuthenticationTokenException, InvalidSignatureException,
// UnrecognizedClientException) otherwise, so a client's signing bug shows.
//
// # Identities and configuration sets
//
// [Options.Identities] and [Server.SetIdentity] give the account sending
// identities with their verification, DKIM and custom MAIL FROM state, as
// GetEmailIdentity reports them; only a verified identity may send.
// A message may name only a configuration set that exists
// ([Options.ConfigurationSets], [Server.SetConfigurationSet] or
// CreateConfigurationSet); the set publishes the event types its enabled
// SNS event destinations match.
//
// # The account-level suppression list
//
// As at SES, a permanent bounce or a complaint on an ordinary address puts
// it on the account-level suppression list, for the reasons the account
// suppresses ([Account.SuppressedReasons], both by default), with the
// message and feedback ids in GetSuppressedDestination's Attributes; mail
// to it then bounces Permanent/OnAccountSuppressionList. Mailbox simulator
// addresses are never listed.
//
// # The mailbox simulator
//
// Mail to the simulator's addresses has the outcome SES gives it, labels
// (bounce+label@...) included:
//
//   - success@simulator.amazonses.com: Delivery.
//   - bounce@: a Permanent/General bounce, "smtp; 550 5.1.1 user unknown".
//   - ooto@: Delivery, and an out-of-office reply ([Server.AutoReplies]).
//   - complaint@: Delivery, then a Complaint (feedback type abuse, user agent
//     "Amazon SES Mailbox Simulator").
//   - suppressionlist@: a Permanent/Suppressed bounce, as if the address were
//     on SES's global suppression list.
//
// An address on the account-level suppression list bounces
// Permanent/OnAccountSuppressionList. Every other address is delivered,
// unless [Options.Mailboxes] or [Server.SetMailbox] gives it another
// [Outcome]: a soft bounce, a full mailbox, a delivery delay, an unsubscribe,
// an open and a click.
//
// # Quotas and throttling
//
// Sending is counted per recipient, as SES counts it. The per-second limit is
// a token bucket per account: it refills at MaxSendRate tokens per second and
// holds at most MaxSendRate tokens (one second's worth, at least 1); each
// recipient takes a token, and a send that finds too few is refused with
// TooManyRequestsException "Maximum sending rate exceeded." A message with
// more recipients than the bucket holds goes when the bucket is full and
// leaves it in debt. A client that runs a golang.org/x/time/rate.Limiter with
// the same rate and burst in front of the server is never throttled.
//
// The daily quota, Max24HourSend, is a rolling 24-hour window: a recipient
// sent at t counts until t+24h. A send that would pass it is refused with
// TooManyRequestsException "Daily message quota exceeded." Mailbox simulator
// mail takes rate tokens but does not count toward the daily quota, as at
// AWS; mail to addresses on the suppression list counts toward both.
// [Server.Quota] returns the counters.
//
// # Account state and the sandbox
//
// [Options.Account] sets the account: quotas (14/s and 50,000 per day by
// default), sandbox mode, verified identities, and whether sending is
// paused (SendingPausedException) or the account suspended
// (AccountSuspendedException). [Server.UpdateAccount] changes it while the
// server runs. In the sandbox, the sender and every recipient must be
// verified identities (simulator addresses are always allowed as
// recipients) and the quotas default to 1/s and 200 per day; anything else
// is refused with MessageRejected "Email address is not verified. ...".
//
// # Notifications
//
// Every accepted message produces identity notifications (the
// "notificationType" format: Delivery, Bounce, Complaint). A message that
// names a configuration set also produces the configuration set events its
// event destinations match (the
// "eventType" format: Send, Delivery, Bounce, Complaint, Reject,
// Rendering Failure, DeliveryDelay, Subscription, Open, Click) whose mail.tags carry
// ses:configuration-set, ses:operation, ses:source-ip, ses:from-domain,
// ses:caller-identity and the message's tags. Recipients with the same result
// share a notification, as SES may batch them. A message carrying the EICAR
// antivirus test string is rejected (a Reject event); a template that does
// not render produces a Rendering Failure event.
//
// Notifications are published while SendEmail is answered, to one SNS topic
// ([Server.TopicARN]), in SNS envelopes signed with SignatureVersion "1"
// (SHA1withRSA) or "2" (SHA256withRSA, [Options.SignatureVersion]) by an RSA
// key and a self-signed certificate the server makes at start.
// [Server.Notifications] lists them; [Server.WaitNotifications] waits for
// them.
//
// [Server.SubscribeChan] delivers them to a Go channel. [Server.Subscribe]
// delivers them to an HTTP endpoint exactly as SNS does: the same headers
// (x-amz-sns-message-type, x-amz-sns-message-id, ...), a
// SubscriptionConfirmation first and notifications only after the endpoint
// confirmed, bounded retries of failed deliveries, and raw message delivery
// on request ([SubscribeOptions]).
//
// # Verifying the emulator's signatures
//
// The signing certificate lives at [Server.SigningCertURL], which looks like
// SNS's own (https://sns.<region>.amazonaws.com/SimpleNotificationService-
// <hex>.pem), so that a production verifier's URL checks pass. Nothing on
// the network serves it: a test hands the server to its verifier as a
// certificate source ([Server.Certificate]), or gives its webhook
// [Server.SNSHTTPClient], whose transport answers the certificate, the
// SubscribeURL and the UnsubscribeURL in process and refuses every other
// host. A production verifier must never trust this certificate by default.
//
// # Running as a server
//
// The command sesguard emulator (package
// github.com/sesguard/sesguard/cmd/sesguard) runs a Server on a fixed
// address for suites in any language; [Options.Addr] does the same from
// Go. Such a suite points its SDK at [Server.URL] with [AccessKeyID] and
// [SecretAccessKey], and uses the control endpoints under /sestest/, which
// are not SES operations:
//
//   - GET /sestest/signing-cert.pem: the signing certificate (PEM), to
//     give the suite's SNS verifier for [Server.SigningCertURL];
//   - POST /sestest/subscriptions with {"Endpoint": URL,
//     "RawMessageDelivery": bool, "Confirmed": bool}: [Server.Subscribe];
//     Confirmed skips the handshake ([SubscribeOptions.Confirmed]);
//   - GET /sestest/sns?<the SubscribeURL's query>: confirms (or ends) a
//     subscription, as the SubscribeURL does at SNS;
//   - GET /sestest/notifications: [Server.Notifications] as JSON.
//
// # Time and concurrency
//
// [Options.Now] is the server's clock: the rate bucket, the daily window,
// the suppression list and every timestamp read it, so a test that moves its
// own clock gets the same results every run. Ids are unique, and increase
// within a server in the order things happen. Only HTTP delivery retries
// wait in real time, for [Options.DeliveryRetryDelay] (10ms by default, 20s
// at AWS).
//
// A Server is safe for concurrent use by multiple goroutines.
package sestest
