package sestest

import (
	"net/http"
	"strings"
)

// GetEmailAddressInsights, emulated offline: no DNS and no mailbox probe.
// The verdicts follow from the address alone: its syntax, the mailbox
// simulator (bounce@ does not exist, the rest do), the reserved domains of
// RFC 2606 (no valid DNS), role local parts and a few well-known disposable
// domains. An address given [OutcomeBounce] through [Options.Mailboxes] is
// reported as not existing.

type insightsRequest struct {
	EmailAddress *string `json:"EmailAddress"`
}

type verdict struct {
	ConfidenceVerdict string `json:"ConfidenceVerdict"`
}

type mailboxEvaluations struct {
	HasValidDNSRecords verdict `json:"HasValidDnsRecords"`
	HasValidSyntax     verdict `json:"HasValidSyntax"`
	IsDisposable       verdict `json:"IsDisposable"`
	IsRandomInput      verdict `json:"IsRandomInput"`
	IsRoleAddress      verdict `json:"IsRoleAddress"`
	MailboxExists      verdict `json:"MailboxExists"`
}

var roleLocalParts = map[string]bool{
	"abuse": true, "admin": true, "billing": true, "contact": true, "help": true, "hostmaster": true,
	"info": true, "marketing": true, "noreply": true, "no-reply": true, "postmaster": true, "sales": true,
	"security": true, "support": true, "webmaster": true,
}

var disposableDomains = map[string]bool{
	"mailinator.com": true, "guerrillamail.com": true, "10minutemail.com": true, "trashmail.com": true, "yopmail.com": true,
}

func isReservedDomain(d string) bool {
	for _, tld := range []string{".test", ".example", ".invalid", ".localhost"} {
		if strings.HasSuffix(d, tld) || d == tld[1:] {
			return true
		}
	}
	return false
}

func level(ok bool) verdict {
	if ok {
		return verdict{"HIGH"}
	}
	return verdict{"LOW"}
}

func (s *Server) getEmailAddressInsights(w http.ResponseWriter, _ *http.Request, body []byte) *apiError {
	var req insightsRequest
	if err := decodeJSON(body, &req); err != nil {
		return err
	}
	addr, err := requireString(req.EmailAddress, "EmailAddress")
	if err != nil {
		return err
	}
	var ev mailboxEvaluations
	bare, perr := parseAddress(addr)
	syntaxOK := perr == nil && bare == strings.TrimSpace(addr)
	ev.HasValidSyntax = level(syntaxOK)
	valid := syntaxOK
	if syntaxOK {
		local := strings.ToLower(bare[:strings.LastIndexByte(bare, '@')])
		domain := domainOf(bare)
		s.mu.Lock()
		outcome := s.outcomeFor(bare)
		s.mu.Unlock()
		dnsOK := !isReservedDomain(domain)
		exists := dnsOK && outcome != OutcomeBounce
		ev.HasValidDNSRecords = level(dnsOK)
		ev.MailboxExists = level(exists)
		ev.IsDisposable = level(disposableDomains[domain])
		ev.IsRoleAddress = level(roleLocalParts[local])
		ev.IsRandomInput = level(false)
		valid = exists && !disposableDomains[domain]
	} else {
		ev.HasValidDNSRecords, ev.MailboxExists = level(false), level(false)
		ev.IsDisposable, ev.IsRoleAddress, ev.IsRandomInput = level(false), level(false), level(true)
	}
	type mailboxValidation struct {
		IsValid     verdict            `json:"IsValid"`
		Evaluations mailboxEvaluations `json:"Evaluations"`
	}
	return writeJSON(w, struct{ MailboxValidation mailboxValidation }{mailboxValidation{IsValid: level(valid), Evaluations: ev}})
}
