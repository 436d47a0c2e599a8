package sns_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/internal/snstest"
	"github.com/sesguard/sesguard/sns"
)

// fakeSNSHost is an HTTPS server that presents a certificate for
// sns.us-east-1.amazonaws.com, issued by a CA of its own, and a client that
// trusts that CA and reaches the server whatever host it dials. It lets the
// default certificate source run its real HTTPS path offline, and answers
// subscription confirmations as SNS does.
type fakeSNSHost struct {
	srv    *httptest.Server
	client *http.Client
	mu     sync.Mutex
	paths  []string
}

func newFakeSNSHost(t *testing.T) *fakeSNSHost {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "sns.us-east-1.amazonaws.com"},
		DNSNames:  []string{"sns.us-east-1.amazonaws.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &leafKey.PublicKey, caKey)
	require.NoError(t, err)

	signer := snstest.NewSigner()
	f := &fakeSNSHost{}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.paths = append(f.paths, r.URL.RequestURI())
		f.mu.Unlock()
		switch r.URL.Path {
		case "/SimpleNotificationService-0123456789abcdef.pem":
			w.Write(signer.CertPEM)
		case "/redirect.pem":
			http.Redirect(w, r, "/SimpleNotificationService-0123456789abcdef.pem", http.StatusFound)
		case "/garbage.pem":
			w.Write([]byte("not a certificate"))
		case "/huge.pem":
			w.Write([]byte(strings.Repeat("A", 100<<10)))
		case "/":
			if r.URL.Query().Get("Action") == "ConfirmSubscription" {
				w.Write([]byte("<ConfirmSubscriptionResponse/>"))
				return
			}
			http.Redirect(w, r, "https://evil.example/", http.StatusFound)
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
	host := newFakeSNSHost(t)
	src := sns.HTTPCertificateSource{Client: host.client}
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
			cert, err := src.Certificate(t.Context(), tt.url)
			if tt.ok {
				require.NoError(t, err)
				assert.True(t, cert.Equal(snstest.NewSigner().Cert), "a different certificate")
			} else {
				require.Error(t, err)
			}
			assert.Equal(t, tt.fetched, len(host.requested()) > before, "fetched")
			if !tt.fetched {
				assert.ErrorIs(t, err, sns.ErrCertificateURL)
			}
		})
	}

	t.Run("a Validator with the default source validates over HTTPS", func(t *testing.T) {
		v, err := sns.NewValidator(func(o *sns.ValidatorOptions) {
			o.TopicARNs = []string{snstest.TopicARN}
			o.HTTPClient = host.client
			o.MaxAge = sns.NoMaxAge
		})
		require.NoError(t, err)
		require.NoError(t, v.Validate(t.Context(), signed(t, "https-1", "{}")))
	})
}
