// Package snstest signs SNS messages with a key of its own and serves
// signing certificates offline, for the tests of package sns and of the
// packages built on it.
package snstest

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/sesguard/sesguard/sns"
)

// TopicARN is the topic of the messages tests sign.
const TopicARN = "arn:aws:sns:us-east-1:123456789012:ses"

// Signer signs SNS messages the way SNS does, with its own key, and names
// the URL at which its certificate is served.
type Signer struct {
	Key     *rsa.PrivateKey
	Cert    *x509.Certificate
	CertPEM []byte
	CertURL string
}

// NewSigner returns a signer shared by every caller in the process: RSA
// key generation is slow.
var NewSigner = sync.OnceValue(func() *Signer {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "sns.amazonaws.com"},
		DNSNames:     []string{"sns.amazonaws.com"},
		NotBefore:    time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	return &Signer{
		Key:     key,
		Cert:    cert,
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		CertURL: "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem",
	}
})

// Sign sets e's SigningCertURL and Signature (SignatureVersion "2" unless
// e says "1").
func (s *Signer) Sign(e *sns.Envelope) error {
	if e.SignatureVersion == "" {
		e.SignatureVersion = "2"
	}
	e.SigningCertURL = s.CertURL
	sig, err := SignWith(s.Key, e)
	if err != nil {
		return err
	}
	e.Signature = base64.StdEncoding.EncodeToString(sig)
	return nil
}

// SignWith signs e's string to sign with key, by e's SignatureVersion.
func SignWith(key *rsa.PrivateKey, e *sns.Envelope) ([]byte, error) {
	msg, err := e.StringToSign()
	if err != nil {
		return nil, err
	}
	h := crypto.SHA256
	if e.SignatureVersion == "1" {
		h = crypto.SHA1
	}
	hh := h.New()
	hh.Write(msg)
	return rsa.SignPKCS1v15(rand.Reader, key, h, hh.Sum(nil))
}

// Marshal encodes e the way SNS does, with Lambda's spellings of the URL
// fields when lambda is set. A Subject is written when HasSubject.
func Marshal(e *sns.Envelope, lambda bool) []byte {
	m := map[string]any{
		"Type":             e.Type,
		"MessageId":        e.MessageID,
		"TopicArn":         e.TopicARN,
		"Message":          e.Message,
		"Timestamp":        e.Timestamp,
		"SignatureVersion": e.SignatureVersion,
		"Signature":        e.Signature,
	}
	cert, sub, unsub := "SigningCertURL", "SubscribeURL", "UnsubscribeURL"
	if lambda {
		cert, sub, unsub = "SigningCertUrl", "SubscribeUrl", "UnsubscribeUrl"
	}
	m[cert] = e.SigningCertURL
	if e.HasSubject {
		m["Subject"] = e.Subject
	}
	if e.SubscribeURL != "" {
		m[sub] = e.SubscribeURL
	}
	if e.UnsubscribeURL != "" {
		m[unsub] = e.UnsubscribeURL
	}
	if e.Token != "" {
		m["Token"] = e.Token
	}
	data, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return data
}

// SourceFunc adapts a function to sns.CertificateSource.
type SourceFunc func(ctx context.Context, certURL string) (*x509.Certificate, error)

// Certificate calls f.
func (f SourceFunc) Certificate(ctx context.Context, certURL string) (*x509.Certificate, error) {
	return f(ctx, certURL)
}

// Source serves the real SNS certificates in a directory (cert-<hash>.pem
// for SimpleNotificationService-<hash>.pem), offline, and the
// certificates in Extra by full URL, and records every URL it is asked
// for. It is safe for concurrent use.
type Source struct {
	Dir   string
	Extra map[string]*x509.Certificate

	mu    sync.Mutex
	asked []string
}

// NewSource returns a Source for the certificates in dir that also serves
// s's certificate.
func (s *Signer) NewSource(dir string) *Source {
	return &Source{Dir: dir, Extra: map[string]*x509.Certificate{s.CertURL: s.Cert}}
}

// Certificate returns the certificate for certURL.
func (s *Source) Certificate(_ context.Context, certURL string) (*x509.Certificate, error) {
	s.mu.Lock()
	s.asked = append(s.asked, certURL)
	cert := s.Extra[certURL]
	s.mu.Unlock()
	if cert != nil {
		return cert, nil
	}
	base := certURL[strings.LastIndexByte(certURL, '/')+1:]
	hash, ok := strings.CutPrefix(strings.TrimSuffix(base, ".pem"), "SimpleNotificationService-")
	if !ok || s.Dir == "" {
		return nil, fmt.Errorf("no fixture certificate for %s", certURL)
	}
	return LoadCert(filepath.Join(s.Dir, "cert-"+hash+".pem"))
}

// URLs returns the URLs the source was asked for, in order.
func (s *Source) URLs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.asked...)
}

// LoadCert reads a PEM certificate file.
func LoadCert(path string) (*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%s: no PEM block", path)
	}
	return x509.ParseCertificate(block.Bytes)
}
