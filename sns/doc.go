// Package sns reads and authenticates Amazon SNS messages, for any
// program that receives them: over an HTTP(S) subscription, from an SQS
// queue, or in a Lambda function. It knows nothing of what the messages
// carry; package sesguard builds its SES notification handling on it.
//
// # Envelopes
//
// [ParseEnvelope] decodes an SNS message as SNS sends it: to HTTP(S)
// endpoints and SQS queues (SigningCertURL) or inside a Lambda event
// record's Sns field (SigningCertUrl, "Subject": null). It is strict where
// strictness costs nothing — valid UTF-8 JSON, names matched exactly, no
// name twice — and tolerant of fields SNS adds ([Envelope.Unknown]).
//
// # Validation
//
// Anyone can post to an endpoint, and anyone with an AWS account can
// publish correctly signed messages on a topic of their own. A
// [Validator] accepts a message only when
//
//   - it is signed by SNS: SignatureVersion 1 (SHA1withRSA) or 2
//     (SHA256withRSA) over [Envelope.StringToSign], verified with the
//     certificate at SigningCertURL, which must be https on
//     sns.<region>.amazonaws.com (or .amazonaws.com.cn) with one .pem path
//     segment — checked before anything is fetched, fetched without
//     following redirects, and cached ([ValidatorOptions]);
//   - its topic is in the allow-list: [NewValidator] refuses to build a
//     Validator without one unless AllowAnyTopic says so;
//   - it is fresh: no further than MaxAge from now, [DefaultMaxAge] (two
//     hours) unless set otherwise.
//
// SNS sends a subscription's first message, a SubscriptionConfirmation,
// before anything else; [Validator.ConfirmSubscription] validates it and
// confirms it by fetching its SubscribeURL (https to SNS only).
//
// # Queues and Lambda
//
// Messages that reach a program through SQS or Lambda were handed over by
// AWS, which admits only the principals the queue's access policy or the
// function's resource policy allows; their signatures can still be
// checked, as a second line. But a message can wait in a queue for up to
// 14 days (the longest retention SQS allows), and in a dead-letter queue
// until someone redrives it, so the age check does not fit: build the
// Validator for a queue with MaxAge set to [NoMaxAge], and rely on the
// consumer's memory of the messages it applied for duplicates.
package sns
