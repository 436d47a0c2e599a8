package sns

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

var (
	// ErrCertificateURL is wrapped by the error for an SNS message whose
	// SigningCertURL is not an https URL of a .pem file on an SNS host.
	// It is checked before any certificate source is asked, so no
	// certificate is ever fetched from anywhere else.
	ErrCertificateURL = errors.New("sns: SigningCertURL is not an SNS certificate URL")

	// ErrSubscribeURL is wrapped by the error of
	// [Validator.ConfirmSubscription] for a SubscribeURL that is not an
	// https URL on an SNS host: nothing is fetched from it.
	ErrSubscribeURL = errors.New("sns: SubscribeURL is not an SNS URL")
)

// checkCertURL accepts exactly https://sns.<region>.amazonaws.com/<name>.pem
// (and the .amazonaws.com.cn partition): no user info, no port, no query,
// no fragment, no escapes, one path segment of letters, digits, '-' and
// '_'. The django-ses CVE came from matching only a suffix of the host,
// which let a certificate hosted in an S3 bucket on amazonaws.com sign
// messages.
func checkCertURL(raw string) error {
	u, err := snsURL(raw)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCertificateURL, err)
	}
	name, ok := strings.CutSuffix(u.Path, ".pem")
	if !ok || !strings.HasPrefix(name, "/") || u.RawQuery != "" || u.ForceQuery {
		return fmt.Errorf("%w: %q is not the path of a .pem file", ErrCertificateURL, u.Path)
	}
	for _, c := range name[1:] {
		if !isAlnum(c) && c != '-' && c != '_' {
			return fmt.Errorf("%w: %q is not the path of a .pem file", ErrCertificateURL, u.Path)
		}
	}
	if len(name) == 1 {
		return fmt.Errorf("%w: %q is not the path of a .pem file", ErrCertificateURL, u.Path)
	}
	return nil
}

// checkSubscribeURL accepts a SubscribeURL only on an SNS host, over https.
func checkSubscribeURL(raw string) error {
	if _, err := snsURL(raw); err != nil {
		return fmt.Errorf("%w: %w", ErrSubscribeURL, err)
	}
	return nil
}

// snsURL parses raw and checks that it is https on an SNS host with no
// user info, port or fragment.
func snsURL(raw string) (*url.URL, error) {
	if !strings.HasPrefix(raw, "https://") {
		return nil, fmt.Errorf("%q is not an https URL", raw)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	switch {
	case u.User != nil:
		return nil, fmt.Errorf("%q has user info", raw)
	case u.Port() != "" || strings.Contains(u.Host, ":"):
		return nil, fmt.Errorf("%q has a port", raw)
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return nil, fmt.Errorf("%q has a fragment", raw)
	case u.RawPath != "" || strings.Contains(u.EscapedPath(), "%"):
		return nil, fmt.Errorf("%q has an escaped path", raw)
	case !isSNSHost(u.Host):
		return nil, fmt.Errorf("host %q is not sns.<region>.amazonaws.com", u.Host)
	}
	return u, nil
}

// isSNSHost reports whether host is an Amazon SNS endpoint host:
// sns.<region>.amazonaws.com or sns.<region>.amazonaws.com.cn, in lower
// case, where the region is letters, digits and hyphens.
func isSNSHost(host string) bool {
	rest, ok := strings.CutPrefix(host, "sns.")
	if !ok {
		return false
	}
	region, ok := strings.CutSuffix(rest, ".amazonaws.com")
	if !ok {
		if region, ok = strings.CutSuffix(rest, ".amazonaws.com.cn"); !ok {
			return false
		}
	}
	if region == "" {
		return false
	}
	for _, c := range region {
		if !isLowerAlnum(c) && c != '-' {
			return false
		}
	}
	return true
}

func isLowerAlnum(c rune) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

func isAlnum(c rune) bool { return isLowerAlnum(c) || 'A' <= c && c <= 'Z' }
