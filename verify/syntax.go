package verify

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// The limits of RFC 5321 §4.5.3.1, in octets.
const (
	MaxLocalLength   = 64  // local part (§4.5.3.1.1)
	MaxDomainLength  = 255 // domain (§4.5.3.1.2)
	MaxLabelLength   = 63  // one domain label (RFC 1035 §2.3.4)
	MaxAddressLength = 254 // whole address: the 256-octet path less its angle brackets (§4.5.3.1.3, erratum 1690)
)

// maxInputLength bounds the work done on hostile input. An IDN can shrink
// when mapped (full-width letters, ignored code points), so the limit on the
// raw input is looser than MaxAddressLength.
const maxInputLength = 1024

// ErrInvalidAddress is wrapped by every [*SyntaxError], so callers can test
// errors.Is(err, verify.ErrInvalidAddress).
var ErrInvalidAddress = errors.New("verify: invalid address")

// SyntaxError says why an address is not a valid RFC 5321 Mailbox that SES
// will accept.
type SyntaxError struct {
	Address string // the input, as given
	Reason  Reason // e.g. ReasonLocalTooLong
	Detail  string // e.g. "local part is 65 octets; the limit is 64"
}

func (e *SyntaxError) Error() string {
	return "verify: invalid address " + strconv.Quote(e.Address) + ": " + e.Detail
}

// Unwrap returns [ErrInvalidAddress].
func (e *SyntaxError) Unwrap() error { return ErrInvalidAddress }

// Address is a syntactically valid address split into its parts.
type Address struct {
	// Local is the local part exactly as written: its case is kept (RFC 5321
	// §2.4 leaves it to the receiving host), and a quoted-string keeps its
	// quotes and backslashes.
	Local string
	// Domain is lower case and, for an internationalised name, in A-label
	// (Punycode) form, which is what SES expects. An address literal keeps
	// its brackets.
	Domain string
}

// String returns local@domain.
func (a Address) String() string { return a.Local + "@" + a.Domain }

// Syntax checks the form of an address against RFC 5321 and SES's rules. Its
// zero value is the strict default: single-label domains ("user@intranet"),
// localhost and address literals ("user@[192.0.2.1]") are refused, because
// SES cannot deliver to them from the public internet.
//
// What it accepts is a bare Mailbox: a dot-string or quoted-string local
// part of 7-bit ASCII (SES refuses anything else), "@", and a domain of LDH
// labels or an IDNA name (validated with the [idna.Lookup] profile and turned
// into Punycode). Display names ("Bob <bob@example.com>"), comments,
// surrounding whitespace and trailing dots are refused: strip them first.
//
// Syntax is safe for concurrent use. For an ordinary lower-case ASCII address
// it does not allocate.
type Syntax struct {
	AllowSingleLabel    bool // accept "user@intranet"
	AllowLocalhost      bool // accept "user@localhost" and "user@x.localhost"
	AllowAddressLiteral bool // accept "user@[192.0.2.1]" and "user@[IPv6:2001:db8::1]"
}

// Parse checks addr and splits it. The error, when not nil, is a
// [*SyntaxError].
func (s Syntax) Parse(addr string) (Address, error) {
	a, reason, detail := s.parse(addr)
	if reason != "" {
		return Address{}, &SyntaxError{Address: addr, Reason: reason, Detail: detail}
	}
	return a, nil
}

// Verify returns the [Result] for addr: [Valid], or [Invalid] with the
// syntax reason.
func (s Syntax) Verify(addr string) Result {
	_, reason, detail := s.parse(addr)
	if reason != "" {
		return Result{Verdict: Invalid, Reason: reason, Detail: detail, Checker: "syntax"}
	}
	return Result{Checker: "syntax"}
}

// ParseAddress checks addr with the strict defaults of a zero [Syntax].
func ParseAddress(addr string) (Address, error) { return Syntax{}.Parse(addr) }

func (s Syntax) parse(addr string) (Address, Reason, string) {
	if addr == "" {
		return Address{}, ReasonSyntax, "empty address"
	}
	if len(addr) > maxInputLength {
		return Address{}, ReasonTooLong, "input is " + strconv.Itoa(len(addr)) + " octets; an address is at most 254"
	}
	at, reason, detail := scanLocal(addr)
	if reason != "" {
		return Address{}, reason, detail
	}
	local := addr[:at]
	if len(local) > MaxLocalLength {
		return Address{}, ReasonLocalTooLong, "local part is " + strconv.Itoa(len(local)) + " octets; the limit is 64"
	}
	domain, reason, detail := s.parseDomain(addr[at+1:])
	if reason != "" {
		return Address{}, reason, detail
	}
	if n := len(local) + 1 + len(domain); n > MaxAddressLength {
		return Address{}, ReasonTooLong, "address is " + strconv.Itoa(n) + " octets; the limit is 254"
	}
	return Address{Local: local, Domain: domain}, "", ""
}

// scanLocal finds the "@" that ends a valid local part of addr.
func scanLocal(addr string) (at int, _ Reason, detail string) {
	if addr[0] == '"' {
		return scanQuoted(addr)
	}
	for i := 0; i < len(addr); i++ {
		c := addr[i]
		switch {
		case byteClass[c]&cAtext != 0:
		case c == '.':
			if i == 0 {
				return 0, ReasonSyntax, "local part starts with a dot"
			}
			if addr[i-1] == '.' {
				return 0, ReasonSyntax, "local part has two dots in a row"
			}
		case c == '@':
			if i == 0 {
				return 0, ReasonSyntax, "empty local part"
			}
			if addr[i-1] == '.' {
				return 0, ReasonSyntax, "local part ends with a dot"
			}
			return i, "", ""
		default:
			return badLocalByte(addr, i)
		}
	}
	return 0, ReasonSyntax, "no @"
}

// scanQuoted scans a quoted-string local part (RFC 5321 §4.1.2).
func scanQuoted(addr string) (int, Reason, string) {
	for i := 1; i < len(addr); i++ {
		c := addr[i]
		switch {
		case c == '\\':
			i++
			if i == len(addr) {
				return 0, ReasonSyntax, "unterminated quoted local part"
			}
			if c := addr[i]; c < 32 || c > 126 {
				return badLocalByte(addr, i)
			}
		case c == '"':
			if i == 1 {
				return 0, ReasonSyntax, "empty quoted local part"
			}
			if i+1 == len(addr) || addr[i+1] != '@' {
				return 0, ReasonSyntax, "quoted local part must be followed by @"
			}
			return i + 1, "", ""
		case c < 32 || c > 126:
			return badLocalByte(addr, i)
		}
	}
	return 0, ReasonSyntax, "unterminated quoted local part"
}

// badLocalByte explains why addr[i] cannot appear where it does. It runs
// only on the failure path.
func badLocalByte(addr string, i int) (int, Reason, string) {
	c := addr[i]
	switch {
	case c >= 0x80:
		return 0, ReasonNonASCIILocal, "local part is not 7-bit ASCII, which SES refuses"
	case c == '<' || c == '>' || strings.IndexByte(addr, '<') >= 0:
		return 0, ReasonSyntax, "display names and angle brackets are not allowed; pass the bare address"
	case c == '(' || c == ')':
		return 0, ReasonSyntax, "comments are not allowed"
	case c == ' ' || c == '\t' || c == '\r' || c == '\n':
		return 0, ReasonSyntax, "whitespace is not allowed outside a quoted local part"
	case c < 32 || c == 0x7f:
		return 0, ReasonSyntax, "control character at offset " + strconv.Itoa(i)
	case c == '"':
		return 0, ReasonSyntax, "a quote may only surround the whole local part"
	}
	return 0, ReasonSyntax, "character " + strconv.Quote(string(c)) + " is not allowed in the local part"
}

// parseDomain validates d and returns it lower-cased and in A-label form.
func (s Syntax) parseDomain(d string) (string, Reason, string) {
	if d == "" {
		return "", ReasonSyntax, "empty domain"
	}
	if d[0] == '[' {
		return s.parseLiteral(d)
	}
	info, reason, detail := scanLDH(d)
	if reason != "" {
		return "", reason, detail
	}
	if info.nonASCII || info.ace {
		if info.nonASCII && !utf8.ValidString(d) {
			return "", ReasonBadDomain, "domain is not valid UTF-8"
		}
		a, err := idna.Lookup.ToASCII(d)
		if err != nil {
			return "", ReasonBadDomain, "not a valid internationalised domain name: " + err.Error()
		}
		if info, reason, detail = scanLDH(a); reason != "" {
			return "", reason, detail
		}
		d = a
	}
	if len(d) > MaxDomainLength {
		return "", ReasonDomainTooLong, "domain is " + strconv.Itoa(len(d)) + " octets; the limit is 255"
	}
	if info.upper {
		d = strings.ToLower(d)
	}
	switch {
	case !s.AllowLocalhost && d[info.lastLabel:] == "localhost":
		return "", ReasonLocalhost, "localhost is not reachable from SES (RFC 6761)"
	case info.lastLabel == 0 && !s.AllowSingleLabel:
		return "", ReasonSingleLabel, "single-label domain; SES delivers only to fully qualified domains"
	case info.lastLabel > 0 && info.numericTLD:
		if _, err := netip.ParseAddr(d); err == nil {
			return "", ReasonNumericTLD, "an IP address must be written as an address literal, e.g. [" + d + "]"
		}
		return "", ReasonNumericTLD, "top-level label is all digits (RFC 3696 §2)"
	}
	return d, "", ""
}

// ldhInfo is what one pass over a domain learns.
type ldhInfo struct {
	nonASCII   bool // a byte >= 0x80: the name needs IDNA processing (the scan stopped there)
	ace        bool // a label starts with "xn--": its Punycode needs validating
	upper      bool // an upper-case letter: the name needs lower-casing
	numericTLD bool // the last label is all digits
	lastLabel  int  // offset of the last label
}

// scanLDH validates the host name d in one pass: LDH labels of 1 to 63
// octets that neither start nor end with a hyphen (RFC 1035 §2.3.1, RFC 5321
// §4.1.2 sub-domain), and no hyphens in positions 3 and 4 except in an
// A-label (RFC 5891 §4.2.3.1). It stops without a reason at the first
// non-ASCII byte.
func scanLDH(d string) (info ldhInfo, _ Reason, detail string) {
	start, digits := 0, true
	for i := 0; ; i++ {
		if i < len(d) && d[i] != '.' {
			c := d[i]
			switch cl := byteClass[c]; {
			case cl&(cLower|cHyphen) != 0:
				digits = false
			case cl&cDigit != 0:
			case cl&cUpper != 0:
				info.upper, digits = true, false
			case c >= 0x80:
				info.nonASCII = true
				return info, "", ""
			default:
				return info, ReasonBadDomain, "character " + strconv.Quote(d[i:i+1]) + " is not allowed in a domain"
			}
			continue
		}
		label := d[start:i]
		switch {
		case label == "" && i == len(d) && i > 0:
			return info, ReasonSyntax, "domain ends with a dot"
		case label == "":
			return info, ReasonSyntax, "domain has an empty label"
		case len(label) > MaxLabelLength:
			return info, ReasonLabelTooLong, "label is " + strconv.Itoa(len(label)) + " octets; the limit is 63"
		case label[0] == '-' || label[len(label)-1] == '-':
			return info, ReasonBadDomain, "label " + strconv.Quote(label) + " starts or ends with a hyphen"
		case len(label) >= 4 && label[2] == '-' && label[3] == '-':
			if (label[0]|0x20) != 'x' || (label[1]|0x20) != 'n' {
				return info, ReasonBadDomain, "label " + strconv.Quote(label) + " has hyphens in positions 3 and 4, reserved for IDNA (RFC 5891 §4.2.3.1)"
			}
			info.ace = true
		}
		if i == len(d) {
			info.lastLabel, info.numericTLD = start, digits
			return info, "", ""
		}
		start, digits = i+1, true
	}
}

// parseLiteral validates an address literal (RFC 5321 §4.1.3).
func (s Syntax) parseLiteral(d string) (string, Reason, string) {
	if !s.AllowAddressLiteral {
		return "", ReasonAddressLiteral, "address literals are refused; SES needs a domain name"
	}
	if d[len(d)-1] != ']' {
		return "", ReasonSyntax, "unterminated address literal"
	}
	inner := d[1 : len(d)-1]
	if v6, ok := strings.CutPrefix(inner, "IPv6:"); ok {
		if ip, err := netip.ParseAddr(v6); err == nil && ip.Is6() && ip.Zone() == "" {
			return d, "", ""
		}
		return "", ReasonSyntax, "not a valid IPv6 address literal"
	}
	if ip, err := netip.ParseAddr(inner); err == nil && ip.Is4() {
		return d, "", ""
	}
	return "", ReasonSyntax, "not a valid IPv4 address literal"
}
