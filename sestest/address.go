package sestest

import (
	"fmt"
	"net/mail"
	"strings"
)

// maxAddressLength is RFC 5321's limit on a forward path.
const maxAddressLength = 320

// parseAddress parses one address as SES accepts it: an RFC 5322 mailbox,
// optionally with a display name, whose address is 7-bit ASCII (SES wants
// international domains in punycode). It returns the bare address.
func parseAddress(s string) (string, error) {
	a, err := mail.ParseAddress(s)
	if err != nil {
		return "", fmt.Errorf("invalid email address %q: %v", s, err)
	}
	addr := a.Address
	if len(addr) > maxAddressLength {
		return "", fmt.Errorf("invalid email address %q: longer than %d characters", truncate(s, 64), maxAddressLength)
	}
	for i := 0; i < len(addr); i++ {
		if addr[i] >= 0x80 {
			return "", fmt.Errorf("invalid email address %q: only 7-bit ASCII is allowed; encode an international domain as punycode", s)
		}
	}
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return "", fmt.Errorf("invalid email address %q: missing local part or domain", s)
	}
	return addr, nil
}

// domainOf returns the lower-cased domain of a bare address.
func domainOf(addr string) string {
	return strings.ToLower(addr[strings.LastIndexByte(addr, '@')+1:])
}

// canonicalKey is the form addresses are compared in: lower case.
func canonicalKey(addr string) string { return strings.ToLower(strings.TrimSpace(addr)) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// simulatorDomain is the mailbox simulator's domain.
const simulatorDomain = "simulator.amazonses.com"

// simulatorMailbox returns the simulator mailbox ("success", "bounce",
// "ooto", "complaint", "suppressionlist", or another local part) for an
// address at the simulator's domain, labels removed, and whether addr is one.
func simulatorMailbox(addr string) (string, bool) {
	if domainOf(addr) != simulatorDomain {
		return "", false
	}
	local := strings.ToLower(addr[:strings.LastIndexByte(addr, '@')])
	if plus := strings.IndexByte(local, '+'); plus >= 0 {
		local = local[:plus]
	}
	return local, true
}

// isSimulator reports whether addr is a mailbox simulator address.
func isSimulator(addr string) bool {
	_, ok := simulatorMailbox(addr)
	return ok
}

// verified reports whether addr is covered by one of the identities: the
// address itself or its domain.
func verified(addr string, identities []string) bool {
	key, domain := canonicalKey(addr), domainOf(addr)
	for _, id := range identities {
		id = canonicalKey(id)
		if id == key || id == domain {
			return true
		}
	}
	return false
}

// identityFor returns the identity a sender sends as: the verified address
// or domain that covers it, or its domain.
func identityFor(addr string, identities []string) string {
	key := canonicalKey(addr)
	for _, id := range identities {
		if canonicalKey(id) == key {
			return id
		}
	}
	return domainOf(addr)
}
