package sesguard

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

// Errors of [Verifier.Verify]. Each is wrapped with the detail.
var (
	// ErrSignature: the message is unsigned, uses a SignatureVersion other
	// than "1" or "2", or its signature does not match its signed fields.
	ErrSignature = errors.New("sesguard: SNS signature does not verify")

	// ErrTopicNotAllowed: the message's TopicArn is not in the allow-list.
	ErrTopicNotAllowed = errors.New("sesguard: SNS topic not allowed")

	// ErrMessageTooOld: the message's Timestamp is further from now than
	// the configured maximum age, or unreadable while one is configured.
	ErrMessageTooOld = errors.New("sesguard: SNS message outside the allowed age")

	// ErrCertificate: the signing certificate could not be had from a URL
	// that passed the URL check (a network error, or not an RSA
	// certificate). Unlike the others this says nothing about the message:
	// the HTTP handler answers 502, so SNS retries.
	ErrCertificate = errors.New("sesguard: SNS signing certificate unavailable")
)

// CertificateSource supplies the certificate at an SNS SigningCertURL.
// [Verifier] asks it only for URLs that passed its URL check (https, host
// sns.<region>.amazonaws.com or sns.<region>.amazonaws.com.cn, a .pem
// path), and caches what it returns. The default source is
// [HTTPCertificateSource]; tests plug in one that serves known
// certificates offline, such as sestest's emulator. A source is trusted
// completely, so none but the default is ever used unless configured.
type CertificateSource interface {
	Certificate(ctx context.Context, certURL string) (*x509.Certificate, error)
}

// VerifierOptions configures a [Verifier]. The zero value of every field
// is a documented default.
type VerifierOptions struct {
	// CertificateSource supplies signing certificates. nil: an
	// [HTTPCertificateSource] using HTTPClient.
	CertificateSource CertificateSource

	// HTTPClient fetches certificates when CertificateSource is nil, and
	// confirms subscriptions in the HTTP handler. It is used as given,
	// except that redirects are never followed. nil: a client with a
	// 10-second timeout.
	HTTPClient *http.Client

	// TopicARNs, when not empty, is the allow-list of topics whose
	// messages are accepted. Recommended: without it, any SNS topic in
	// any account can deliver signed messages to the endpoint.
	TopicARNs []string

	// MaxAge, when positive, rejects messages whose Timestamp is more than
	// MaxAge before (or after) now. Zero: no age check. SNS retries for as
	// long as the subscription's delivery policy says (by default about a
	// minute, at most hours), so a MaxAge should exceed that.
	MaxAge time.Duration

	// Now is the clock for MaxAge and the certificate cache. nil: time.Now.
	Now func() time.Time

	// CertificateCacheSize bounds the number of certificates kept.
	// Zero: 64.
	CertificateCacheSize int

	// CertificateCacheTTL is how long a certificate is kept after it was
	// fetched. Zero: 24 hours.
	CertificateCacheTTL time.Duration
}

// Verifier checks the signatures of SNS messages. It is safe for
// concurrent use by multiple goroutines; keep one for the life of the
// process so that its certificate cache is used.
type Verifier struct {
	topics []string
	maxAge time.Duration
	now    func() time.Time
	certs  *certCache
	client *http.Client
}

// NewVerifier returns a Verifier configured by optFns applied in order to
// a zero [VerifierOptions].
func NewVerifier(optFns ...func(*VerifierOptions)) *Verifier {
	var o VerifierOptions
	for _, fn := range optFns {
		fn(&o)
	}
	return newVerifier(o)
}

func newVerifier(o VerifierOptions) *Verifier {
	v := &Verifier{
		topics: slices.Clone(o.TopicARNs),
		maxAge: o.MaxAge,
		now:    o.Now,
		client: noRedirects(o.HTTPClient),
	}
	if v.now == nil {
		v.now = time.Now
	}
	src := o.CertificateSource
	if src == nil {
		src = HTTPCertificateSource{Client: v.client}
	}
	v.certs = newCertCache(src, o.CertificateCacheSize, o.CertificateCacheTTL, v.now)
	return v
}

// Verify checks that e was signed by SNS and is acceptable: a known
// message type, SignatureVersion "1" (SHA1withRSA) or "2"
// (SHA256withRSA), a topic in the allow-list and a timestamp inside the
// maximum age when those are configured, a SigningCertURL on an SNS host,
// and an RSA PKCS #1 v1.5 signature over [Envelope.StringToSign] that the
// certificate's key verifies. The certificate URL is checked before any
// certificate is asked for. The certificate itself is not chain-checked:
// SNS sends only the leaf, and over the default source its origin is
// vouched for by the HTTPS connection to the SNS host.
//
// The error wraps [ErrSignature], [ErrTopicNotAllowed], [ErrMessageTooOld],
// [ErrCertificateURL], [ErrCertificate] or ctx's error.
func (v *Verifier) Verify(ctx context.Context, e *Envelope) error {
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
	if len(v.topics) > 0 && !slices.Contains(v.topics, e.TopicARN) {
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
		return fmt.Errorf("%w: %w", ErrSignature, err)
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

func (v *Verifier) checkAge(timestamp string) error {
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
