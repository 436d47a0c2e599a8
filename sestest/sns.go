package sestest

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"
)

// ErrUnknownCertificate is returned by [Server.Certificate] for any URL but
// the server's own SigningCertURL.
var ErrUnknownCertificate = errors.New("sestest: not this server's SigningCertURL")

// signer holds the server's SNS signing key and its self-signed
// certificate. The URL exists from the start; the certificate is made the
// first time something is signed or the certificate is asked for, so that
// a server that never signs costs no key generation.
type signer struct {
	certURL string
	host    string

	once    sync.Once
	key     *rsa.PrivateKey
	cert    *x509.Certificate
	certPEM []byte
	err     error
}

func newSigner(region string) *signer {
	host := "sns." + region + ".amazonaws.com"
	return &signer{
		certURL: "https://" + host + "/SimpleNotificationService-" + token(16) + ".pem",
		host:    host,
	}
}

// load makes the certificate once and returns the error, if any, of making
// it.
func (sg *signer) load() error {
	sg.once.Do(func() { sg.err = sg.makeCertificate() })
	return sg.err
}

func (sg *signer) makeCertificate() error {
	key, err := signingKey()
	if err != nil {
		return fmt.Errorf("sestest: generate signing key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return fmt.Errorf("sestest: certificate serial: %w", err)
	}
	// The certificate is valid for a wide window, so that no clock a test
	// injects makes it look expired; it is self-signed and trusted by
	// nothing unless a test hands it over through Server.Certificate.
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "sns.amazonaws.com", Organization: []string{"sestest"}},
		DNSNames:     []string{"sns.amazonaws.com"},
		NotBefore:    time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return fmt.Errorf("sestest: create certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return fmt.Errorf("sestest: parse certificate: %w", err)
	}
	sg.key, sg.cert = key, cert
	sg.certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return nil
}

// sign signs s with RSA PKCS #1 v1.5: SHA1 for SignatureVersion "1", SHA256
// for "2". It returns the base64 signature.
func (sg *signer) sign(version, s string) string {
	if err := sg.load(); err != nil {
		// Key generation reads crypto/rand, which does not fail.
		panic(err.Error())
	}
	var (
		hash   crypto.Hash
		digest []byte
	)
	if version == "2" {
		sum := sha256.Sum256([]byte(s))
		hash, digest = crypto.SHA256, sum[:]
	} else {
		sum := sha1.Sum([]byte(s))
		hash, digest = crypto.SHA1, sum[:]
	}
	sig, err := rsa.SignPKCS1v15(nil, sg.key, hash, digest)
	if err != nil {
		// Signing with a valid key and a digest of the right size cannot fail.
		panic("sestest: sign: " + err.Error())
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// envelopeFields are the signed fields of an SNS message.
type envelopeFields struct {
	typ, messageID, topicARN, message, timestamp string
	subject                                      string
	hasSubject                                   bool
	token, subscribeURL                          string
}

// stringToSign is SNS's canonical form: "Name\nValue\n" for each signed
// field in byte order, ending in a newline. A Notification signs Message,
// MessageId, Subject (if any), Timestamp, TopicArn and Type; the two
// confirmations sign Message, MessageId, SubscribeURL, Timestamp, Token,
// TopicArn and Type.
func (f envelopeFields) stringToSign() string {
	var b strings.Builder
	add := func(k, v string) {
		b.WriteString(k)
		b.WriteByte('\n')
		b.WriteString(v)
		b.WriteByte('\n')
	}
	add("Message", f.message)
	add("MessageId", f.messageID)
	if f.typ == "Notification" {
		if f.hasSubject {
			add("Subject", f.subject)
		}
	} else {
		add("SubscribeURL", f.subscribeURL)
	}
	add("Timestamp", f.timestamp)
	if f.typ != "Notification" {
		add("Token", f.token)
	}
	add("TopicArn", f.topicARN)
	add("Type", f.typ)
	return b.String()
}

// snsEnvelope is an SNS message as HTTP subscribers receive it, with SNS's
// key order.
type snsEnvelope struct {
	Type             string  `json:"Type"`
	MessageID        string  `json:"MessageId"`
	Token            string  `json:"Token,omitempty"`
	TopicArn         string  `json:"TopicArn"`
	Subject          *string `json:"Subject,omitempty"`
	Message          string  `json:"Message"`
	SubscribeURL     string  `json:"SubscribeURL,omitempty"`
	Timestamp        string  `json:"Timestamp"`
	SignatureVersion string  `json:"SignatureVersion"`
	Signature        string  `json:"Signature"`
	SigningCertURL   string  `json:"SigningCertURL"`
	UnsubscribeURL   string  `json:"UnsubscribeURL,omitempty"`
}

func marshalEnvelope(e snsEnvelope) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(e) // only strings
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// confirmationEnvelope builds and signs a SubscriptionConfirmation or
// UnsubscribeConfirmation.
func (s *Server) confirmationEnvelope(typ, subARN, tok string, now time.Time) (id string, body []byte) {
	topic := s.TopicARN()
	var msg string
	if typ == "SubscriptionConfirmation" {
		msg = "You have chosen to subscribe to the topic " + topic + ".\nTo confirm the subscription, visit the SubscribeURL included in this message."
	} else {
		msg = "You have chosen to deactivate subscription " + subARN + ".\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message."
	}
	f := envelopeFields{typ: typ, messageID: s.ids.uuid(), topicARN: topic, message: msg, timestamp: timestamp(now),
		token: tok, subscribeURL: s.subscribeURL(tok)}
	e := snsEnvelope{
		Type:             typ,
		MessageID:        f.messageID,
		Token:            tok,
		TopicArn:         topic,
		Message:          msg,
		SubscribeURL:     f.subscribeURL,
		Timestamp:        f.timestamp,
		SignatureVersion: s.opts.SignatureVersion,
		Signature:        s.signer.sign(s.opts.SignatureVersion, f.stringToSign()),
		SigningCertURL:   s.signer.certURL,
	}
	return f.messageID, marshalEnvelope(e)
}

// TopicARN is the ARN of the SNS topic the server publishes every
// notification to.
func (s *Server) TopicARN() string {
	return "arn:aws:sns:" + s.opts.Region + ":" + s.opts.AccountID + ":sestest"
}

// SigningCertURL is the URL of the server's signing certificate, shaped like
// SNS's: https://sns.<region>.amazonaws.com/SimpleNotificationService-<hex>.pem.
// Only [Server.SNSHTTPClient] and [Server.Certificate] answer for it.
func (s *Server) SigningCertURL() string { return s.signer.certURL }

// SigningCertificate returns the server's self-signed signing certificate.
func (s *Server) SigningCertificate() *x509.Certificate {
	if err := s.signer.load(); err != nil {
		panic(err.Error())
	}
	return s.signer.cert
}

// Certificate returns the server's signing certificate when certURL is its
// [Server.SigningCertURL], and an error wrapping [ErrUnknownCertificate]
// otherwise. It lets a test give the server to a verifier as its
// certificate source; nothing trusts the certificate otherwise.
func (s *Server) Certificate(ctx context.Context, certURL string) (*x509.Certificate, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if certURL != s.signer.certURL {
		return nil, fmt.Errorf("%w: %q", ErrUnknownCertificate, certURL)
	}
	if err := s.signer.load(); err != nil {
		return nil, err
	}
	return s.signer.cert, nil
}

func (s *Server) subscribeURL(tok string) string {
	return "https://" + s.signer.host + "/?Action=ConfirmSubscription&TopicArn=" + s.TopicARN() + "&Token=" + tok
}

func (s *Server) unsubscribeURL(subARN string) string {
	return "https://" + s.signer.host + "/?Action=Unsubscribe&SubscriptionArn=" + subARN
}

var (
	sharedKeyOnce sync.Once
	sharedKey     *rsa.PrivateKey
	sharedKeyErr  error
)

// signingKey returns the process-wide RSA key. Generating a 2048-bit key
// takes tens of milliseconds; sharing it keeps a test suite that starts many
// servers fast. Each server still has its own certificate and URL.
func signingKey() (*rsa.PrivateKey, error) {
	sharedKeyOnce.Do(func() {
		sharedKey, sharedKeyErr = rsa.GenerateKey(rand.Reader, 2048)
	})
	return sharedKey, sharedKeyErr
}
