package sns

import (
	"context"
	"crypto"
	"crypto/rsa"
	_ "crypto/sha1"   // SignatureVersion 1
	_ "crypto/sha256" // SignatureVersion 2
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Errors of [Validator.Validate]. Each is wrapped with the detail.
var (
	// ErrSignature: the message is unsigned, uses a SignatureVersion other
	// than "1" or "2", or its signature does not match its signed fields.
	ErrSignature = errors.New("sns: signature does not verify")

	// ErrTopicNotAllowed: the message's TopicArn is not in the allow-list.
	ErrTopicNotAllowed = errors.New("sns: topic not allowed")

	// ErrMessageTooOld: the message's Timestamp is further from now than
	// the maximum age, or unreadable.
	ErrMessageTooOld = errors.New("sns: message outside the allowed age")

	// ErrCertificate: the signing certificate could not be had from a URL
	// that passed the URL check (a network error, or not an RSA
	// certificate). Unlike the others this says nothing about the
	// message: an HTTP endpoint should answer 5xx, so that SNS retries.
	ErrCertificate = errors.New("sns: signing certificate unavailable")
)

// DefaultMaxAge is the maximum age of a message when
// [ValidatorOptions].MaxAge is zero.
//
// SNS retries an HTTP(S) delivery for at most an hour: by default three
// times, 20 seconds apart, and no custom delivery policy may retry for
// longer than 3,600 seconds in total (a hard limit). Two hours is that
// hour with as much again for the last attempt's timeout, jitter, a
// delivery held back by the subscription's throttle policy and clock
// skew, so a genuine delivery is never refused for its age. It is also
// far shorter than the time for which a consumer remembers which messages
// it applied (sesguard: 14 days), so a genuine message captured and
// replayed is either a known duplicate or too old.
//
// It does not suit messages that waited in an SQS queue, which keeps them
// for up to 14 days: a consumer of a queue sets MaxAge to [NoMaxAge].
const DefaultMaxAge = 2 * time.Hour

// NoMaxAge, as [ValidatorOptions].MaxAge, turns the age check off: for
// messages that come out of an SQS queue, where only principals the
// queue's access policy allows can put them.
const NoMaxAge time.Duration = -1

// CertificateSource supplies the certificate at an SNS SigningCertURL.
// [Validator] asks it only for URLs that passed its URL check (https,
// host sns.<region>.amazonaws.com or sns.<region>.amazonaws.com.cn, one
// .pem path segment), and caches what it returns. The default source is
// [HTTPCertificateSource]; tests plug in one that serves known
// certificates offline, such as sestest's emulator. A source is trusted
// completely, so none but the default is ever used unless configured.
type CertificateSource interface {
	Certificate(ctx context.Context, certURL string) (*x509.Certificate, error)
}

// ValidatorOptions configures a [Validator]. The zero value of every
// field is a documented default, except that a topic allow-list (or
// AllowAnyTopic) is required.
type ValidatorOptions struct {
	// TopicARNs is the allow-list of topics whose messages are accepted.
	// NewValidator refuses an empty list unless AllowAnyTopic is set.
	TopicARNs []string

	// AllowAnyTopic accepts messages from every SNS topic. Anyone with an
	// AWS account can subscribe an endpoint to a topic of their own and
	// publish correctly signed messages to it, so set this only where
	// something else decides which topics reach the endpoint.
	AllowAnyTopic bool

	// MaxAge refuses messages whose Timestamp is more than MaxAge before
	// (or after) now. Zero: [DefaultMaxAge]. [NoMaxAge] (or any negative
	// value): no age check.
	MaxAge time.Duration

	// CertificateSource supplies signing certificates. nil: an
	// [HTTPCertificateSource] using HTTPClient.
	CertificateSource CertificateSource

	// HTTPClient fetches certificates when CertificateSource is nil, and
	// confirms subscriptions ([Validator.ConfirmSubscription]). It is
	// used as given, except that redirects are never followed. nil: a
	// client with a 10-second timeout.
	HTTPClient *http.Client

	// Now is the clock for MaxAge and the certificate cache. nil: time.Now.
	Now func() time.Time

	// CertificateCacheSize bounds the number of certificates kept.
	// Zero: 64.
	CertificateCacheSize int

	// CertificateCacheTTL is how long a certificate is kept after it was
	// fetched. Zero: 24 hours.
	CertificateCacheTTL time.Duration
}

// Validator checks that SNS messages were signed by SNS, come from an
// allowed topic and are fresh. It is safe for concurrent use by multiple
// goroutines; keep one for the life of the process so that its
// certificate cache is used.
type Validator struct {
	topics   []string
	anyTopic bool
	maxAge   time.Duration
	now      func() time.Time
	certs    *certCache
	client   *http.Client
}

// NewValidator returns a Validator configured by optFns applied in order
// to a zero [ValidatorOptions]. It fails when the options name no topic
// and do not set AllowAnyTopic, or do both.
func NewValidator(optFns ...func(*ValidatorOptions)) (*Validator, error) {
	var o ValidatorOptions
	for _, fn := range optFns {
		fn(&o)
	}
	switch {
	case len(o.TopicARNs) == 0 && !o.AllowAnyTopic:
		return nil, errors.New("sns: NewValidator: no TopicARNs: name the topics whose messages are accepted, or set AllowAnyTopic to accept any topic of any AWS account")
	case len(o.TopicARNs) > 0 && o.AllowAnyTopic:
		return nil, errors.New("sns: NewValidator: TopicARNs and AllowAnyTopic are both set")
	}
	v := &Validator{
		topics:   slices.Clone(o.TopicARNs),
		anyTopic: o.AllowAnyTopic,
		maxAge:   o.MaxAge,
		now:      o.Now,
		client:   noRedirects(o.HTTPClient),
	}
	switch {
	case v.maxAge == 0:
		v.maxAge = DefaultMaxAge
	case v.maxAge < 0:
		v.maxAge = 0
	}
	if v.now == nil {
		v.now = time.Now
	}
	src := o.CertificateSource
	if src == nil {
		src = HTTPCertificateSource{Client: v.client}
	}
	v.certs = newCertCache(src, o.CertificateCacheSize, o.CertificateCacheTTL, v.now)
	return v, nil
}

// MaxAge returns the maximum age of the messages v accepts; zero when it
// does not check their age.
func (v *Validator) MaxAge() time.Duration { return v.maxAge }

// Validate checks that e was signed by SNS and is acceptable: a known
// message type, SignatureVersion "1" (SHA1withRSA) or "2"
// (SHA256withRSA), a topic in the allow-list, a timestamp inside the
// maximum age, a SigningCertURL on an SNS host, and an RSA PKCS #1 v1.5
// signature over [Envelope.StringToSign] that the certificate's key
// verifies. The certificate URL is checked before any certificate is
// asked for. The certificate itself is not chain-checked: SNS sends only
// the leaf, and over the default source its origin is vouched for by the
// HTTPS connection to the SNS host.
//
// The error wraps [ErrSignature], [ErrTopicNotAllowed],
// [ErrMessageTooOld], [ErrCertificateURL], [ErrCertificate] or ctx's
// error.
func (v *Validator) Validate(ctx context.Context, e *Envelope) error {
	h, ok := signatureHash(e.SignatureVersion)
	if !ok {
		return fmt.Errorf("%w: SignatureVersion %q is neither 1 nor 2", ErrSignature, e.SignatureVersion)
	}
	if e.Signature == "" {
		return fmt.Errorf("%w: no Signature", ErrSignature)
	}
	sig, err := base64.StdEncoding.DecodeString(e.Signature)
	if err != nil {
		return fmt.Errorf("%w: Signature is not base64: %w", ErrSignature, err)
	}
	if !v.anyTopic && !slices.Contains(v.topics, e.TopicARN) {
		return fmt.Errorf("%w: %q", ErrTopicNotAllowed, e.TopicARN)
	}
	if err := v.checkAge(e.Timestamp); err != nil {
		return err
	}
	// A cached certificate's URL passed the check when it was fetched.
	key := v.certs.cached(e.SigningCertURL)
	if key == nil {
		if err := checkCertURL(e.SigningCertURL); err != nil {
			return err
		}
	}
	bp := signBufs.Get().(*[]byte)
	msg, err := e.appendStringToSign((*bp)[:0])
	hh := h.New()
	hh.Write(msg)
	*bp = msg
	signBufs.Put(bp)
	if err != nil {
		return err
	}
	if key == nil {
		if key, err = v.certs.publicKey(ctx, e.SigningCertURL); err != nil {
			return err
		}
	}
	if err := rsa.VerifyPKCS1v15(key, h, hh.Sum(nil), sig); err != nil {
		return fmt.Errorf("%w: %s message %s", ErrSignature, e.Type, e.MessageID)
	}
	return nil
}

// signBufs holds buffers for strings to sign, which are about the size of
// the message.
var signBufs = sync.Pool{New: func() any { return new([]byte) }}

// signatureHash maps a SignatureVersion to its hash: "1" is SHA1withRSA,
// "2" SHA256withRSA. Nothing else is accepted.
func signatureHash(version string) (crypto.Hash, bool) {
	switch version {
	case "1":
		return crypto.SHA1, true
	case "2":
		return crypto.SHA256, true
	}
	return 0, false
}

func (v *Validator) checkAge(timestamp string) error {
	if v.maxAge <= 0 {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, timestamp)
	if err != nil {
		return fmt.Errorf("%w: Timestamp %q: %w", ErrMessageTooOld, timestamp, err)
	}
	if age := v.now().Sub(t); age > v.maxAge || age < -v.maxAge {
		return fmt.Errorf("%w: Timestamp %s is %s from now, more than %s", ErrMessageTooOld, timestamp, age.Round(time.Second), v.maxAge)
	}
	return nil
}
