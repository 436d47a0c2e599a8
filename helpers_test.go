package sesguard

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
	"testing"
	"time"
)

// certSourceFunc adapts a function to CertificateSource.
type certSourceFunc func(ctx context.Context, certURL string) (*x509.Certificate, error)

func (f certSourceFunc) Certificate(ctx context.Context, certURL string) (*x509.Certificate, error) {
	return f(ctx, certURL)
}

// fixtureSource serves the real SNS certificates in testdata/sns/certs by
// the hash in their URL's file name, offline, and records every URL it is
// asked for.
type fixtureSource struct {
	mu    sync.Mutex
	asked []string
	extra map[string]*x509.Certificate // by full URL, for test keys
}

func (s *fixtureSource) Certificate(_ context.Context, certURL string) (*x509.Certificate, error) {
	s.mu.Lock()
	s.asked = append(s.asked, certURL)
	cert := s.extra[certURL]
	s.mu.Unlock()
	if cert != nil {
		return cert, nil
	}
	base := certURL[strings.LastIndexByte(certURL, '/')+1:]
	hash, ok := strings.CutPrefix(strings.TrimSuffix(base, ".pem"), "SimpleNotificationService-")
	if !ok {
		return nil, fmt.Errorf("no fixture certificate for %s", certURL)
	}
	return loadCert(filepath.Join("testdata", "sns", "certs", "cert-"+hash+".pem"))
}

func (s *fixtureSource) urls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.asked...)
}

func loadCert(path string) (*x509.Certificate, error) {
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

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// realMessages returns the real AWS-signed SNS payloads by file name.
func realMessages(t testing.TB) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "sns", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string][]byte, len(paths))
	for _, p := range paths {
		out[filepath.Base(p)] = readFile(t, p)
	}
	return out
}

// testSigner signs SNS messages with a key of its own, whose certificate
// it serves at certURL, the way sestest's emulator does.
type testSigner struct {
	key     *rsa.PrivateKey
	cert    *x509.Certificate
	certPEM []byte
	certURL string
}

var (
	testSignerOnce sync.Once
	testSignerVal  *testSigner
)

// newTestSigner returns a signer shared by the package's tests: RSA key
// generation is slow.
func newTestSigner(t testing.TB) *testSigner {
	t.Helper()
	testSignerOnce.Do(func() {
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
		testSignerVal = &testSigner{
			key:     key,
			cert:    cert,
			certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
			certURL: "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem",
		}
	})
	return testSignerVal
}

// source returns a fixtureSource that also serves the signer's
// certificate.
func (s *testSigner) source() *fixtureSource {
	return &fixtureSource{extra: map[string]*x509.Certificate{s.certURL: s.cert}}
}

// sign sets e's SigningCertURL and Signature (version "2" unless e says
// "1").
func (s *testSigner) sign(t testing.TB, e *Envelope) {
	t.Helper()
	if e.SignatureVersion == "" {
		e.SignatureVersion = "2"
	}
	e.SigningCertURL = s.certURL
	e.Signature = base64.StdEncoding.EncodeToString(signWith(t, s.key, e))
}

func signWith(t testing.TB, key *rsa.PrivateKey, e *Envelope) []byte {
	t.Helper()
	msg, err := e.StringToSign()
	if err != nil {
		t.Fatal(err)
	}
	h := hashFor(e.SignatureVersion)
	hh := h.New()
	hh.Write(msg)
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, h, hh.Sum(nil))
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func hashFor(version string) crypto.Hash {
	h, ok := signatureHash(version)
	if !ok {
		return crypto.SHA256
	}
	return h
}

// marshalEnvelope encodes e the way SNS does, with Lambda's spellings of
// the URL fields when lambda is set. A Subject is written when HasSubject.
func marshalEnvelope(t testing.TB, e *Envelope, lambda bool) []byte {
	t.Helper()
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
		t.Fatal(err)
	}
	return data
}
