package sesguard

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"

	"github.com/sesguard/sesguard/store"
)

// ErrInvalidAddress is wrapped by the error [Canonical] returns for an
// address it cannot parse.
var ErrInvalidAddress = errors.New("sesguard: invalid email address")

// Canonical returns the form of addr that sesguard stores and looks up: the
// display name and angle brackets dropped, the domain IDNA-encoded (the
// Lookup profile of golang.org/x/net/idna) and lower-cased, the local part
// lower-cased and written without quotes unless it needs them. A domain with
// a trailing dot is refused, as net/mail and SES refuse it. So "Bob <Bob@Bücher.Example>" and "bob@xn--bcher-kva.example" are the
// same address. An address longer than RFC 5321 allows (a local part of
// more than 64 octets, a domain of more than 255, more than 254 in all:
// store.MaxAddressLen) is refused: no mail server accepts it, and no store
// need hold it.
//
// Lower-casing the local part is the default because mailbox providers treat
// it case-insensitively in practice, and a suppression that misses
// "John@example.com" because "john@example.com" bounced defeats its purpose.
// A Client whose Options.KeepLocalCase is set keeps the local part's case;
// use [Client.Canonical] to canonicalise the way a Client does.
func Canonical(addr string) (string, error) {
	return canonical(addr, false)
}

// Canonical returns addr in the canonical form this Client uses everywhere an
// address meets the store. See the package-level [Canonical].
func (c *Client) Canonical(addr string) (string, error) {
	return canonical(addr, c.opts.KeepLocalCase)
}

func canonical(addr string, keepLocalCase bool) (string, error) {
	if c, ok := canonicalASCII(addr, keepLocalCase); ok {
		return c, nil
	}
	a, err := addressParser.Parse(addr)
	if err != nil {
		return "", fmt.Errorf("%w %q: %v", ErrInvalidAddress, addr, err)
	}
	return canonicalSpec(a.Address, keepLocalCase)
}

// canonicalSpec canonicalises the addr-spec of a parsed mail.Address, whose
// local part net/mail has unquoted.
func canonicalSpec(spec string, keepLocalCase bool) (string, error) {
	at := strings.LastIndexByte(spec, '@')
	if at <= 0 || at == len(spec)-1 {
		return "", fmt.Errorf("%w %q: empty local part or domain", ErrInvalidAddress, spec)
	}
	local, domain := spec[:at], spec[at+1:]
	if !isDotAtom(local) {
		local = quoteLocal(local)
	}
	if !keepLocalCase {
		local = lower(local)
	}
	d, err := canonicalDomain(domain)
	if err != nil {
		return "", fmt.Errorf("%w %q: %v", ErrInvalidAddress, spec, err)
	}
	if why := overLong(local, d); why != "" {
		return "", fmt.Errorf("%w %.80q…: %s", ErrInvalidAddress, spec, why)
	}
	return local + "@" + d, nil
}

// The limits of RFC 5321 (section 4.5.3.1) on an address, in octets; no
// store need hold a longer one.
const (
	maxLocalLen  = 64
	maxDomainLen = 255
)

// overLong says why the canonical local part and domain make an address
// too long to be mailed or stored, or returns "".
func overLong(local, domain string) string {
	switch {
	case len(local) > maxLocalLen:
		return fmt.Sprintf("local part of %d octets, more than %d", len(local), maxLocalLen)
	case len(domain) > maxDomainLen:
		return fmt.Sprintf("domain of %d octets, more than %d", len(domain), maxDomainLen)
	case len(local)+1+len(domain) > store.MaxAddressLen:
		return fmt.Sprintf("%d octets, more than %d", len(local)+1+len(domain), store.MaxAddressLen)
	}
	return ""
}

// addressParser accepts encoded display names in any charset: the display
// name is dropped, so an unknown charset must not make the address
// unreadable.
var addressParser = &mail.AddressParser{WordDecoder: &mime.WordDecoder{
	CharsetReader: func(_ string, r io.Reader) (io.Reader, error) { return r, nil },
}}

// canonicalASCII canonicalises the common cases — "local@domain" or
// "Name <local@domain>" with an ASCII dot-atom local part and an ASCII
// domain of letter-digit-hyphen labels — without the cost of net/mail and
// IDNA, giving the same result they would. It reports false for anything
// else, which the general path then handles.
//
// An address that is already canonical is returned as it is, so the result
// keeps alive whatever addr keeps alive. The store keeps addresses from
// notifications; those are their own small allocations, since the
// notification decoder copies every string (TestParseStringsAreCopies,
// BenchmarkRetainedHeap), never a slice of the request.
func canonicalASCII(addr string, keepLocalCase bool) (string, bool) {
	spec := addr
	if i := strings.LastIndexByte(addr, '<'); i >= 0 {
		// The display name is dropped; one with angle brackets of its own
		// (quoted) is left to net/mail.
		if !strings.HasSuffix(addr, ">") || strings.ContainsAny(addr[:i], "<>") {
			return "", false
		}
		spec = addr[i+1 : len(addr)-1]
	}
	at := strings.IndexByte(spec, '@')
	if at <= 0 {
		return "", false
	}
	local, domain := spec[:at], spec[at+1:]
	if !isDotAtom(local) || !isLDHDomain(domain) {
		return "", false
	}
	for i := 0; i < len(local); i++ {
		if local[i] >= utf8.RuneSelf {
			return "", false
		}
	}
	if !keepLocalCase {
		local = lowerASCII(local)
	}
	domain = lowerASCII(domain)
	if overLong(local, domain) != "" {
		return "", false // refused, with its reason, by the general path
	}
	if len(addr) == len(local)+1+len(domain) && addr[:len(local)] == local && addr[len(local)+1:] == domain {
		return addr, true // already canonical: no allocation
	}
	return local + "@" + domain, true
}

// isLDHDomain reports whether d is a domain of letter-digit-hyphen labels
// that IDNA's Lookup profile would pass through unchanged but for case: no
// empty label, no hyphen at either end of a label, no "--" in the third and
// fourth positions (which marks an IDNA or reserved label).
func isLDHDomain(d string) bool {
	if d == "" {
		return false
	}
	for label := range strings.SplitSeq(d, ".") {
		n := len(label)
		if n == 0 || label[0] == '-' || label[n-1] == '-' || n >= 4 && label[2] == '-' && label[3] == '-' {
			return false
		}
		for i := 0; i < n; i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// isDotAtom reports whether s is an RFC 5322 dot-atom: atext runs separated
// by single dots.
func isDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if s[i-1] == '.' {
				return false
			}
		case c >= utf8.RuneSelf:
			// RFC 6531 allows UTF-8 in atext; accepted here and decided by
			// the checks, since SES itself refuses it.
		case !isAtext(c):
			return false
		}
	}
	return true
}

func isAtext(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// quoteLocal writes a local part that is not a dot-atom as a quoted string.
func quoteLocal(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

// lowerASCII lower-cases the ASCII string s, without allocating when it is
// lower-case already.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= 'A' && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// lower lower-cases s, without allocating when it is lower-case already.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || c >= 'A' && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

func canonicalDomain(d string) (string, error) {
	if strings.HasPrefix(d, "[") {
		return lower(d), nil // address literal, e.g. [192.0.2.1]
	}
	if d == "" {
		return "", errors.New("empty domain")
	}
	ascii, err := idna.Lookup.ToASCII(d)
	if err != nil {
		return "", err
	}
	if ascii == "" || ascii[0] == '.' || ascii[len(ascii)-1] == '.' || strings.Contains(ascii, "..") {
		return "", errors.New("empty domain label")
	}
	return lower(ascii), nil
}
