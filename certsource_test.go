package sesguard

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSNSHost is an HTTPS server that presents a certificate for
// sns.us-east-1.amazonaws.com, issued by a CA of its own, and a client that
// trusts that CA and reaches the server whatever host it dials. It lets the
// default certificate source run its real HTTPS path offline.
type fakeSNSHost struct {
	srv    *httptest.Server
	client *http.Client
	mu     sync.Mutex
	paths  []string
}

func newFakeSNSHost(t *testing.T, signer *testSigner) *fakeSNSHost {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "sns.us-east-1.amazonaws.com"},
		DNSNames:  []string{"sns.us-east-1.amazonaws.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &leafKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}

	f := &fakeSNSHost{}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.paths = append(f.paths, r.URL.Path)
		f.mu.Unlock()
		switch r.URL.Path {
		case "/SimpleNotificationService-0123456789abcdef.pem":
			w.Write(signer.certPEM)
		case "/redirect.pem":
			http.Redirect(w, r, "/SimpleNotificationService-0123456789abcdef.pem", http.StatusFound)
		case "/garbage.pem":
			w.Write([]byte("not a certificate"))
		case "/huge.pem":
			w.Write([]byte(strings.Repeat("A", 100<<10)))
		default:
			http.NotFound(w, r)
		}
	})
	f.srv = httptest.NewUnstartedServer(mux)
	f.srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leafDER}, PrivateKey: leafKey}}}
	f.srv.StartTLS()
	t.Cleanup(f.srv.Close)

	roots := x509.NewCertPool()
	roots.AddCert(ca)
	addr := f.srv.Listener.Addr().String()
	f.client = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}}
	return f
}

func (f *fakeSNSHost) requested() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.paths...)
}

func TestHTTPCertificateSource(t *testing.T) {
	signer := newTestSigner(t)
	host := newFakeSNSHost(t, signer)
	src := HTTPCertificateSource{Client: host.client}
	const base = "https://sns.us-east-1.amazonaws.com/"
	tests := []struct {
		name, url string
		ok        bool
		fetched   bool
	}{
		{"the certificate", base + "SimpleNotificationService-0123456789abcdef.pem", true, true},
		{"redirect not followed", base + "redirect.pem", false, true},
		{"not found", base + "missing.pem", false, true},
		{"not PEM", base + "garbage.pem", false, true},
		{"too large", base + "huge.pem", false, true},
		{"not an SNS URL: never fetched", "https://evil.example/SimpleNotificationService-0123456789abcdef.pem", false, false},
		{"http: never fetched", "http://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(host.requested())
			cert, err := src.Certificate(context.Background(), tt.url)
			if tt.ok != (err == nil) {
				t.Fatalf("Certificate = %v", err)
			}
			if tt.ok && !cert.Equal(signer.cert) {
				t.Fatal("a different certificate")
			}
			if fetched := len(host.requested()) > before; fetched != tt.fetched {
				t.Fatalf("fetched %v, want %v", fetched, tt.fetched)
			}
			if !tt.fetched && !errors.Is(err, ErrCertificateURL) {
				t.Fatalf("error %v, want ErrCertificateURL", err)
			}
		})
	}

	t.Run("a handler with the default source verifies over HTTPS", func(t *testing.T) {
		c := newNotifyClient(t)
		h := c.SNSHandler(func(o *HandlerOptions) { o.HTTPClient = host.client })
		env := &handlerEnv{store: nil, h: h}
		w := env.post(marshalEnvelope(t, signedBounce(t, signer, "https-1", "gone@example.com"), false))
		if w.Code != http.StatusOK {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		if _, ok, _ := c.Suppressed(context.Background(), "gone@example.com"); !ok {
			t.Fatal("not applied")
		}
	})
}
