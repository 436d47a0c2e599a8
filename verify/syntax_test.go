package verify

import (
	"errors"
	"net/mail"
	"strings"
	"testing"
)

var (
	l63  = strings.Repeat("a", 63)
	l64  = strings.Repeat("b", 64)
	l65  = strings.Repeat("c", 65)
	lab  = strings.Repeat("d", 63) // a label at the limit
	lab2 = strings.Repeat("e", 64) // a label past it
	// d252 is the longest domain that fits a 254-octet address with a
	// one-octet local part; d253 is one octet more; d255 and d256 sit at and
	// past the domain limit.
	d252 = lab + "." + lab + "." + lab + "." + strings.Repeat("f", 60)
	d253 = lab + "." + lab + "." + lab + "." + strings.Repeat("f", 61)
	d255 = lab + "." + lab + "." + lab + "." + strings.Repeat("g", 63)
	d256 = lab + "." + lab + "." + lab + "." + strings.Repeat("h", 60) + ".com"
	// a254 and a255 are whole addresses at and one past the 254-octet limit.
	a254 = l64 + "@" + lab + "." + lab + "." + strings.Repeat("i", 57) + ".com"
	a255 = l64 + "@" + lab + "." + lab + "." + strings.Repeat("j", 58) + ".com"
)

// syntaxCases is the syntax table: each address, the verdict and reason a
// strict Syntax gives, and, in the comment, the rule that decides it.
var syntaxCases = []struct {
	addr   string
	reason Reason // "" means Valid
	domain string // expected canonical domain for valid cases; "" = same as input
}{
	// Ordinary dot-string addresses: RFC 5321 §4.1.2 Dot-string, Atom, atext (RFC 5322 §3.2.3).
	{addr: "user@example.com"},                        // RFC 5321 §4.1.2 Dot-string
	{addr: "first.last@example.com"},                  // RFC 5321 §4.1.2 Dot-string = Atom *("." Atom)
	{addr: "a@example.com"},                           // RFC 5321 §4.1.2 Atom = 1*atext
	{addr: "user+tag@example.com"},                    // RFC 5322 §3.2.3 atext includes "+"
	{addr: "user-name@example.com"},                   // RFC 5322 §3.2.3 atext includes "-"
	{addr: "user_name@example.com"},                   // RFC 5322 §3.2.3 atext includes "_"
	{addr: "o'brien@example.com"},                     // RFC 5322 §3.2.3 atext includes "'"
	{addr: "x!#$%&'*+-/=?^_`{|}~y@example.com"},       // RFC 5322 §3.2.3 every atext special
	{addr: "1234567890@example.com"},                  // RFC 5322 §3.2.3 atext includes DIGIT
	{addr: "User@Example.COM", domain: "example.com"}, // RFC 5321 §2.4 domains are case-insensitive; local case kept
	{addr: "USER@EXAMPLE.COM", domain: "example.com"}, // RFC 5321 §2.4
	{addr: "a.b.c.d.e@example.com"},                   // RFC 5321 §4.1.2 Dot-string
	{addr: "user@sub.example.com"},                    // RFC 5321 §4.1.2 Domain = sub-domain *("." sub-domain)
	{addr: "user@a.b.c.d.example.com"},                // RFC 5321 §4.1.2 Domain
	{addr: "user@example-site.com"},                   // RFC 5321 §4.1.2 Ldh-str allows inner hyphens
	{addr: "user@exa--mple.com"},                      // RFC 5891 §4.2.3.1 only positions 3-4 are reserved
	{addr: "user@1example.com"},                       // RFC 1123 §2.1 labels may start with a digit
	{addr: "user@123.example"},                        // RFC 1123 §2.1 all-digit label below the TLD
	{addr: "user@example.co.uk"},                      // RFC 5321 §4.1.2 Domain
	{addr: "user@x.io"},                               // RFC 5321 §4.1.2 Domain, 1-letter label
	{addr: "user@example.museum"},                     // RFC 5321 §4.1.2 long TLD
	{addr: "user@example.xn--p1ai"},                   // RFC 5890 §2.3.2.1 A-label TLD (.рф)
	{addr: "dot.at.end.ok@example.com"},               // RFC 5321 §4.1.2 Dot-string
	{addr: "~@example.com"},                           // RFC 5322 §3.2.3 one atext special
	{addr: "{}@example.com"},                          // RFC 5322 §3.2.3 "{" and "}" are atext

	// Dots in the local part: RFC 5321 §4.1.2 Dot-string forbids leading, trailing and doubled dots.
	{addr: ".user@example.com", reason: ReasonSyntax},  // RFC 5321 §4.1.2 Dot-string starts with Atom
	{addr: "user.@example.com", reason: ReasonSyntax},  // RFC 5321 §4.1.2 Dot-string ends with Atom
	{addr: "us..er@example.com", reason: ReasonSyntax}, // RFC 5321 §4.1.2 "." Atom, Atom is 1*atext
	{addr: ".@example.com", reason: ReasonSyntax},      // RFC 5321 §4.1.2 Atom
	{addr: "..@example.com", reason: ReasonSyntax},     // RFC 5321 §4.1.2 Atom

	// Quoted-string local parts: RFC 5321 §4.1.2 Quoted-string, qtextSMTP, quoted-pairSMTP.
	{addr: `"john doe"@example.com`},                                 // RFC 5321 §4.1.2 qtextSMTP includes space
	{addr: `"john.doe"@example.com`},                                 // RFC 5321 §4.1.2 Quoted-string
	{addr: `".leading"@example.com`},                                 // RFC 5321 §4.1.2 dots are free inside quotes
	{addr: `"trailing."@example.com`},                                // RFC 5321 §4.1.2
	{addr: `"dou..ble"@example.com`},                                 // RFC 5321 §4.1.2
	{addr: `"a@b"@example.com`},                                      // RFC 5321 §4.1.2 "@" is qtextSMTP (%d64)
	{addr: `"a\"b"@example.com`},                                     // RFC 5321 §4.1.2 quoted-pairSMTP = "\" %d32-126
	{addr: `"a\\b"@example.com`},                                     // RFC 5321 §4.1.2 quoted-pairSMTP escapes "\"
	{addr: `"()<>[]:,;"@example.com`},                                // RFC 5321 §4.1.2 specials are qtextSMTP
	{addr: `" "@example.com`},                                        // RFC 5321 §4.1.2 one space is QcontentSMTP
	{addr: `"\a"@example.com`},                                       // RFC 5321 §4.1.2 any printable may be escaped
	{addr: `""@example.com`, reason: ReasonSyntax},                   // RFC 5321 §4.5.3.1.1 / net/mail: empty local part
	{addr: `"unterminated@example.com`, reason: ReasonSyntax},        // RFC 5321 §4.1.2 Quoted-string needs closing DQUOTE
	{addr: `"a"b@example.com`, reason: ReasonSyntax},                 // RFC 5321 §4.1.2 Local-part is one Quoted-string
	{addr: `a"b"@example.com`, reason: ReasonSyntax},                 // RFC 5321 §4.1.2 DQUOTE is not atext
	{addr: `"a"."b"@example.com`, reason: ReasonSyntax},              // RFC 5321 §4.1.2 (RFC 5322 obs-local-part is not allowed)
	{addr: "\"tab\there\"@example.com", reason: ReasonSyntax},        // RFC 5321 §4.1.2 qtextSMTP excludes HT (%d9)
	{addr: "\"nl\nhere\"@example.com", reason: ReasonSyntax},         // RFC 5321 §4.1.2 qtextSMTP excludes LF
	{addr: "\"a\\\x01\"@example.com", reason: ReasonSyntax},          // RFC 5321 §4.1.2 quoted-pairSMTP is %d32-126
	{addr: `"a\`, reason: ReasonSyntax},                              // RFC 5321 §4.1.2 quoted-pair needs a character
	{addr: "\"caf\u00e9\"@example.com", reason: ReasonNonASCIILocal}, // SES: local part must be 7-bit ASCII
	{addr: `"abc"`, reason: ReasonSyntax},                            // RFC 5321 §4.1.2 Mailbox needs "@" Domain

	// Local part length: RFC 5321 §4.5.3.1.1 (64 octets).
	{addr: l63 + "@example.com"},                                    // RFC 5321 §4.5.3.1.1 below the limit
	{addr: l64 + "@example.com"},                                    // RFC 5321 §4.5.3.1.1 at the limit
	{addr: l65 + "@example.com", reason: ReasonLocalTooLong},        // RFC 5321 §4.5.3.1.1 past the limit
	{addr: `"` + l63[:62] + `"@example.com`},                        // RFC 5321 §4.5.3.1.1 quotes count: 64 octets
	{addr: `"` + l63 + `"@example.com`, reason: ReasonLocalTooLong}, // RFC 5321 §4.5.3.1.1 quotes count: 65 octets

	// Domain and label length: RFC 5321 §4.5.3.1.2 (255), RFC 1035 §2.3.4 (63 per label).
	{addr: "u@" + lab + ".com"},                                  // RFC 1035 §2.3.4 label at 63
	{addr: "u@" + lab2 + ".com", reason: ReasonLabelTooLong},     // RFC 1035 §2.3.4 label at 64
	{addr: "u@sub." + lab2 + ".com", reason: ReasonLabelTooLong}, // RFC 1035 §2.3.4 inner label
	{addr: "u@example." + lab2, reason: ReasonLabelTooLong},      // RFC 1035 §2.3.4 last label
	{addr: "u@" + d252},                                          // RFC 5321 §4.5.3.1.3 a 252-octet domain makes a 254-octet address
	{addr: "u@" + d253, reason: ReasonTooLong},                   // RFC 5321 §4.5.3.1.3 a 253-octet domain makes 255 octets
	{addr: "u@" + d255, reason: ReasonTooLong},                   // RFC 5321 §4.5.3.1.2 255 is allowed, but the whole is 257 (§4.5.3.1.3)
	{addr: "u@" + d256, reason: ReasonDomainTooLong},             // RFC 5321 §4.5.3.1.2 256 octets
	{addr: a254},                        // RFC 5321 §4.5.3.1.3 path 256 less "<>" = 254
	{addr: a255, reason: ReasonTooLong}, // RFC 5321 §4.5.3.1.3, erratum 1690
	{addr: strings.Repeat("k", 2000) + "@example.com", reason: ReasonTooLong}, // RFC 5321 §4.5.3.1.3; refused before it is scanned

	// Domain characters and label shape: RFC 5321 §4.1.2 sub-domain = Let-dig [Ldh-str].
	{addr: "user@-example.com", reason: ReasonBadDomain},    // RFC 5321 §4.1.2 Let-dig first
	{addr: "user@example-.com", reason: ReasonBadDomain},    // RFC 5321 §4.1.2 Ldh-str ends with Let-dig
	{addr: "user@example.-com", reason: ReasonBadDomain},    // RFC 5321 §4.1.2
	{addr: "user@ex_ample.com", reason: ReasonBadDomain},    // RFC 5321 §4.1.2 "_" is not LDH
	{addr: "user@exa mple.com", reason: ReasonBadDomain},    // RFC 5321 §4.1.2 space is not LDH
	{addr: "user@example!.com", reason: ReasonBadDomain},    // RFC 5321 §4.1.2
	{addr: "user@exam+ple.com", reason: ReasonBadDomain},    // RFC 5321 §4.1.2
	{addr: "user@ab--cd.com", reason: ReasonBadDomain},      // RFC 5891 §4.2.3.1 hyphens in 3 and 4 reserved
	{addr: "user@example..com", reason: ReasonSyntax},       // RFC 5321 §4.1.2 empty sub-domain
	{addr: "user@.example.com", reason: ReasonSyntax},       // RFC 5321 §4.1.2 empty sub-domain
	{addr: "user@example.com.", reason: ReasonSyntax},       // RFC 5321 §4.1.2 no trailing dot in Domain
	{addr: "user@.", reason: ReasonSyntax},                  // RFC 5321 §4.1.2
	{addr: "user@", reason: ReasonSyntax},                   // RFC 5321 §4.1.2 Mailbox needs a Domain
	{addr: "user@@example.com", reason: ReasonBadDomain},    // RFC 5321 §4.1.2 one "@" outside quotes
	{addr: "a@b@example.com", reason: ReasonBadDomain},      // RFC 5321 §4.1.2 one "@" outside quotes
	{addr: "user@example.com/x", reason: ReasonBadDomain},   // RFC 5321 §4.1.2
	{addr: "user@exa\u00admple.com", domain: "example.com"}, // UTS 46 §4 maps the soft hyphen to nothing
	{addr: "user@example.c", reason: ""},                    // RFC 5321 §4.1.2 one-letter TLD is syntactically fine

	// Numeric top-level labels: RFC 3696 §2 / RFC 1123 §2.1.
	{addr: "user@1.2.3.4", reason: ReasonNumericTLD},         // RFC 5321 §4.1.3 IPs go in an address literal
	{addr: "user@example.123", reason: ReasonNumericTLD},     // RFC 3696 §2 TLDs are not all-numeric
	{addr: "user@256.256.256.256", reason: ReasonNumericTLD}, // RFC 3696 §2

	// Single-label, localhost and address literals: refused by default (SES delivers to public FQDNs).
	{addr: "user@localhost", reason: ReasonLocalhost},               // RFC 6761 §6.3
	{addr: "user@LOCALHOST", reason: ReasonLocalhost},               // RFC 6761 §6.3, case-insensitive
	{addr: "user@app.localhost", reason: ReasonLocalhost},           // RFC 6761 §6.3 names under .localhost
	{addr: "user@intranet", reason: ReasonSingleLabel},              // RFC 5321 §2.3.5 FQDN required
	{addr: "user@com", reason: ReasonSingleLabel},                   // RFC 5321 §2.3.5; ICANN SAC053 dotless domains
	{addr: "user@[192.0.2.1]", reason: ReasonAddressLiteral},        // RFC 5321 §4.1.3 literal; refused by default
	{addr: "user@[IPv6:2001:db8::1]", reason: ReasonAddressLiteral}, // RFC 5321 §4.1.3
	{addr: "user@localhost.example.com"},                            // RFC 6761 only the localhost name and its subdomains

	// Internationalised domains: RFC 5890-5891 via the UTS 46 Lookup profile; SES wants Punycode.
	{addr: "user@b\u00fccher.example", domain: "xn--bcher-kva.example"},                               // RFC 3492 Punycode of bücher
	{addr: "user@B\u00dcCHER.example", domain: "xn--bcher-kva.example"},                               // UTS 46 §4 maps case
	{addr: "user@xn--bcher-kva.example"},                                                              // RFC 5890 §2.3.2.1 valid A-label
	{addr: "user@XN--BCHER-KVA.example", domain: "xn--bcher-kva.example"},                             // RFC 5890 A-labels compare case-insensitively
	{addr: "user@\u4f8b\u3048.jp", domain: "xn--r8jz45g.jp"},                                          // RFC 3492 例え.jp
	{addr: "user@\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444", domain: "xn--e1afmkfd.xn--p1ai"}, // пример.рф
	{addr: "user@m\u00fcnchen.de", domain: "xn--mnchen-3ya.de"},                                       // RFC 3492
	{addr: "user@\u00e9xample.com", domain: "xn--xample-9ua.com"},                                     // RFC 3492
	{addr: "user@xn--zz.example", reason: ReasonBadDomain},                                            // RFC 3492 invalid Punycode
	{addr: "user@xn--a.example", reason: ReasonBadDomain},                                             // RFC 5891 §5.4 decodes to a non-U-label
	{addr: "user@xn--.example", reason: ReasonBadDomain},                                              // RFC 5890 §2.3.2.1 empty A-label; RFC 1035 §2.3.1 no trailing hyphen
	{addr: "user@exa\u200dmple.com", reason: ReasonBadDomain},                                         // RFC 5892 CONTEXTJ: ZWJ not allowed here
	{addr: "user@\u2603.example", domain: "xn--n3h.example"},                                          // UTS 46 Lookup maps ☃ as valid (IDNA2003-compatible)
	{addr: "user@fa\u00df.de", domain: "xn--fa-hia.de"},                                               // UTS 46 nontransitional: ß is kept, not mapped to ss
	{addr: "user@\uff21\uff22\uff23.com", domain: "abc.com"},                                          // UTS 46 §4 maps fullwidth letters
	{addr: "user@a\u3002b.com", domain: "a.b.com"},                                                    // UTS 46 §4 maps the ideographic full stop to "."
	{addr: "user@a\u0000b.com", reason: ReasonBadDomain},                                              // UTS 46: NUL is disallowed
	{addr: "user@\u0031\u05d0.example", reason: ReasonBadDomain},                                      // RFC 5893 §2 rule 1: an RTL label may not start with a digit
	{addr: "user@\u05d0\u0031.example", domain: "xn--1-zhc.example"},                                  // RFC 5893 §2 rules 2-3: R then EN is allowed

	// Non-ASCII local parts: SES accepts 7-bit ASCII local parts only (RFC 6531 SMTPUTF8 is not offered).
	{addr: "j\u00f6rg@example.com", reason: ReasonNonASCIILocal},         // SES: 7-bit local part
	{addr: "\u7528\u6237@example.com", reason: ReasonNonASCIILocal},      // SES: 7-bit local part
	{addr: "\u00fcser@b\u00fccher.example", reason: ReasonNonASCIILocal}, // SES: local part checked first
	{addr: "user\xff@example.com", reason: ReasonNonASCIILocal},          // SES: 7-bit; invalid UTF-8 too

	// Whitespace: RFC 5321 §4.1.2 has no FWS in a Mailbox.
	{addr: " user@example.com", reason: ReasonSyntax},             // RFC 5321 §4.1.2 no leading space
	{addr: "user@example.com ", reason: ReasonBadDomain},          // RFC 5321 §4.1.2 no trailing space
	{addr: "us er@example.com", reason: ReasonSyntax},             // RFC 5321 §4.1.2 space only inside quotes
	{addr: "user @example.com", reason: ReasonSyntax},             // RFC 5321 §4.1.2
	{addr: "user@ example.com", reason: ReasonBadDomain},          // RFC 5321 §4.1.2
	{addr: "\tuser@example.com", reason: ReasonSyntax},            // RFC 5321 §4.1.2
	{addr: "user@example.com\n", reason: ReasonBadDomain},         // RFC 5321 §4.1.2
	{addr: "user\r\n@example.com", reason: ReasonSyntax},          // RFC 5321 §4.1.2; header injection attempt
	{addr: "\u00a0user@example.com", reason: ReasonNonASCIILocal}, // SES: NBSP is not ASCII

	// Control characters: RFC 5322 §3.2.3 atext excludes CTLs.
	{addr: "us\x00er@example.com", reason: ReasonSyntax},    // RFC 5322 §3.2.3 NUL
	{addr: "us\x07er@example.com", reason: ReasonSyntax},    // RFC 5322 §3.2.3 BEL
	{addr: "us\x7fer@example.com", reason: ReasonSyntax},    // RFC 5322 §3.2.3 DEL
	{addr: "user@exa\x01mple.com", reason: ReasonBadDomain}, // RFC 5321 §4.1.2 LDH only
	{addr: "user@example.com\x00", reason: ReasonBadDomain}, // RFC 5321 §4.1.2

	// Display names and angle brackets: a name-addr (RFC 5322 §3.4) is not a Mailbox.
	{addr: "Bob <bob@example.com>", reason: ReasonSyntax},                // RFC 5322 §3.4 name-addr
	{addr: "<bob@example.com>", reason: ReasonSyntax},                    // RFC 5321 §4.1.2 Path has brackets, Mailbox none
	{addr: `"Bob" <bob@example.com>`, reason: ReasonSyntax},              // RFC 5322 §3.4 quoted display name
	{addr: "bob@example.com <bob@example.com>", reason: ReasonBadDomain}, // RFC 5322 §3.4
	{addr: "=?utf-8?q?Bob?= <bob@example.com>", reason: ReasonSyntax},    // RFC 2047 encoded-word display name

	// Comments: RFC 5322 §3.2.2 CFWS is not part of an RFC 5321 Mailbox.
	{addr: "(comment)user@example.com", reason: ReasonSyntax},    // RFC 5322 §3.2.2
	{addr: "user(comment)@example.com", reason: ReasonSyntax},    // RFC 5322 §3.2.2
	{addr: "user@(comment)example.com", reason: ReasonBadDomain}, // RFC 5322 §3.2.2
	{addr: "user@example.com(comment)", reason: ReasonBadDomain}, // RFC 5322 §3.2.2

	// Other specials outside quotes: RFC 5322 §3.2.3 specials are not atext.
	{addr: "us,er@example.com", reason: ReasonSyntax}, // RFC 5322 §3.2.3 ","
	{addr: "us;er@example.com", reason: ReasonSyntax}, // RFC 5322 §3.2.3 ";"
	{addr: "us:er@example.com", reason: ReasonSyntax}, // RFC 5322 §3.2.3 ":"
	{addr: `us\er@example.com`, reason: ReasonSyntax}, // RFC 5322 §3.2.3 "\" only in quoted-pair
	{addr: "us[er@example.com", reason: ReasonSyntax}, // RFC 5322 §3.2.3 "["
	{addr: "us]er@example.com", reason: ReasonSyntax}, // RFC 5322 §3.2.3 "]"

	// Missing parts: RFC 5321 §4.1.2 Mailbox = Local-part "@" Domain.
	{addr: "", reason: ReasonSyntax},                        // RFC 5321 §4.1.2
	{addr: "@", reason: ReasonSyntax},                       // RFC 5321 §4.1.2
	{addr: "@example.com", reason: ReasonSyntax},            // RFC 5321 §4.1.2 Local-part is not empty
	{addr: "userexample.com", reason: ReasonSyntax},         // RFC 5321 §4.1.2 "@" required
	{addr: "user", reason: ReasonSyntax},                    // RFC 5321 §4.1.2
	{addr: "mailto:user@example.com", reason: ReasonSyntax}, // RFC 6068 URI, not an address
}

func TestSyntaxTable(t *testing.T) {
	if len(syntaxCases) < 150 {
		t.Fatalf("the table has %d addresses; the issue asks for at least 150", len(syntaxCases))
	}
	for _, tc := range syntaxCases {
		t.Run(strings.ToValidUTF8(tc.addr, "?"), func(t *testing.T) {
			a, err := ParseAddress(tc.addr)
			if tc.reason != "" {
				var se *SyntaxError
				if !errors.As(err, &se) {
					t.Fatalf("ParseAddress(%q) = %+v, %v; want a *SyntaxError with reason %s", tc.addr, a, err, tc.reason)
				}
				if se.Reason != tc.reason {
					t.Fatalf("ParseAddress(%q) reason = %s (%s); want %s", tc.addr, se.Reason, se.Detail, tc.reason)
				}
				if !errors.Is(err, ErrInvalidAddress) {
					t.Errorf("errors.Is(err, ErrInvalidAddress) = false for %v", err)
				}
				if r := (Syntax{}).Verify(tc.addr); r.Verdict != Invalid || r.Reason != tc.reason {
					t.Errorf("Verify(%q) = %v/%s; want invalid/%s", tc.addr, r.Verdict, r.Reason, tc.reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseAddress(%q) = %v; want valid", tc.addr, err)
			}
			want := tc.domain
			if want == "" {
				want = tc.addr[strings.LastIndexByte(tc.addr, '@')+1:]
			}
			if a.Domain != want {
				t.Errorf("domain = %q; want %q", a.Domain, want)
			}
			if got := a.Local + "@"; !strings.HasPrefix(tc.addr, got) {
				t.Errorf("local = %q; want a prefix of %q", a.Local, tc.addr)
			}
			if _, err := mail.ParseAddress(a.String()); err != nil {
				t.Errorf("net/mail refuses the canonical form %q: %v", a.String(), err)
			}
		})
	}
}
