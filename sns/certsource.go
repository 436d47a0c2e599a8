package sns

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// maxCertificateBytes bounds a downloaded certificate file; real SNS
// certificates are about 2 KB.
const maxCertificateBytes = 64 << 10

// HTTPCertificateSource fetches SNS signing certificates over HTTPS. It
// checks the URL itself too (https, an SNS host, a .pem path), never
// follows a redirect, and accepts only a 200 response holding one PEM
// CERTIFICATE block. It is the [CertificateSource] a [Validator] uses when
// none is configured.
type HTTPCertificateSource struct {
	// Client makes the requests; nil: a client with a 10-second timeout.
	// Redirects are refused whatever the client's CheckRedirect says.
	Client *http.Client
}

var _ CertificateSource = HTTPCertificateSource{}

// Certificate fetches and parses the certificate at certURL.
func (s HTTPCertificateSource) Certificate(ctx context.Context, certURL string) (*x509.Certificate, error) {
	if err := checkCertURL(certURL); err != nil {
		return nil, err
	}
	body, err := get(ctx, noRedirects(s.Client), certURL, maxCertificateBytes)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(body)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("the response is not a PEM certificate")
	}
	return x509.ParseCertificate(block.Bytes)
}

// get fetches url and returns at most limit bytes of a 200 response.
func get(ctx context.Context, client *http.Client, url string, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("GET %s: response larger than %d bytes", url, limit)
	}
	return body, nil
}

// noRedirects returns a copy of c (or of a default client when c is nil)
// that never follows a redirect: a redirect could lead away from the SNS
// host that was checked.
func noRedirects(c *http.Client) *http.Client {
	var nc http.Client
	if c != nil {
		nc = *c
	} else {
		nc.Timeout = 10 * time.Second
	}
	nc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &nc
}
