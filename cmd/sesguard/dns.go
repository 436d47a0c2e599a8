package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
)

// dnsChecks checks the DNS of a sending domain: SPF and MX of its custom
// MAIL FROM domain (when it has one), its DMARC record and policy, and its
// Easy DKIM CNAMEs (for the tokens of a domain identity).
func dnsChecks(ctx context.Context, r resolver, region, domain, mailFrom string, tokens []string) []check {
	sec := "DNS " + domain
	var cs []check
	if mailFrom != "" {
		cs = append(cs, spfCheck(ctx, r, sec, mailFrom), mxCheck(ctx, r, sec, region, mailFrom))
	}
	cs = append(cs, dmarcCheck(ctx, r, sec, domain))
	if len(tokens) > 0 {
		cs = append(cs, dkimCheck(ctx, r, sec, domain, tokens))
	}
	return cs
}

// lookupFailed describes a failed lookup; a name that does not exist is
// reported as such.
func lookupFailed(err error) string {
	var de *net.DNSError
	if errors.As(err, &de) && de.IsNotFound {
		return "no record"
	}
	return "lookup failed: " + err.Error()
}

func spfCheck(ctx context.Context, r resolver, sec, mailFrom string) check {
	c := check{Section: sec, Name: "SPF of MAIL FROM " + mailFrom}
	fix := fmt.Sprintf(`publish one TXT record at %s: "v=spf1 include:amazonses.com ~all"`, mailFrom)
	txts, err := r.LookupTXT(ctx, mailFrom)
	if err != nil {
		c.Found, c.Fix = lookupFailed(err), fix
		return c
	}
	var spf []string
	for _, t := range txts {
		if strings.HasPrefix(strings.ToLower(t), "v=spf1") {
			spf = append(spf, t)
		}
	}
	switch {
	case len(spf) == 0:
		c.Found, c.Fix = "no SPF record", fix
	case len(spf) > 1:
		c.Found, c.Fix = fmt.Sprintf("%d SPF records (receivers treat that as a permanent error)", len(spf)), "merge them into one: "+fix
	case !hasTerm(spf[0], "include:amazonses.com"):
		c.Found, c.Fix = fmt.Sprintf("%q does not include amazonses.com", spf[0]), "add include:amazonses.com to it"
	default:
		c.OK, c.Found = true, spf[0]
	}
	return c
}

func hasTerm(record, term string) bool {
	for _, f := range strings.Fields(strings.ToLower(record)) {
		if strings.TrimLeft(f, "+") == term {
			return true
		}
	}
	return false
}

func mxCheck(ctx context.Context, r resolver, sec, region, mailFrom string) check {
	want := "feedback-smtp." + region + ".amazonses.com"
	c := check{Section: sec, Name: "MX of MAIL FROM " + mailFrom}
	fix := fmt.Sprintf("publish an MX record at %s: 10 %s", mailFrom, want)
	mxs, err := r.LookupMX(ctx, mailFrom)
	if err != nil {
		c.Found, c.Fix = lookupFailed(err), fix
		return c
	}
	var hosts []string
	for _, mx := range mxs {
		h := strings.TrimSuffix(strings.ToLower(mx.Host), ".")
		hosts = append(hosts, h)
		if h == want {
			c.OK = true
		}
	}
	c.Found = "MX " + strings.Join(hosts, ", ")
	if len(hosts) == 0 {
		c.Found = "no MX record"
	}
	if !c.OK {
		c.Fix = fix
	}
	return c
}

func dmarcCheck(ctx context.Context, r resolver, sec, domain string) check {
	c := check{Section: sec, Name: "DMARC"}
	fix := fmt.Sprintf(`publish a TXT record at _dmarc.%s: "v=DMARC1; p=none; rua=mailto:dmarc-reports@%s" (Gmail and Yahoo require DMARC from bulk senders)`, domain, domain)
	record, at, err := lookupDMARC(ctx, r, domain)
	switch {
	case err != nil:
		c.Found, c.Fix = err.Error(), fix
		return c
	case record == "":
		c.Found, c.Fix = "no DMARC record at _dmarc."+domain, fix
		return c
	}
	tags := dmarcTags(record)
	policy := tags["p"]
	if at != domain && tags["sp"] != "" {
		policy = tags["sp"]
	}
	switch policy {
	case "none", "quarantine", "reject":
		c.OK = true
		c.Found = fmt.Sprintf("p=%s at _dmarc.%s", policy, at)
		if policy == "none" {
			c.Found += " (monitoring only)"
		}
	default:
		c.Found, c.Fix = fmt.Sprintf("%q has no valid policy", record), "set p=none, quarantine or reject"
	}
	return c
}

// lookupDMARC finds the DMARC record of domain, or of its organizational
// domain (approximated by its last two labels), and where it was found.
func lookupDMARC(ctx context.Context, r resolver, domain string) (record, at string, err error) {
	names := []string{domain}
	if labels := strings.Split(domain, "."); len(labels) > 2 {
		names = append(names, strings.Join(labels[len(labels)-2:], "."))
	}
	for _, name := range names {
		txts, err := r.LookupTXT(ctx, "_dmarc."+name)
		if err != nil {
			var de *net.DNSError
			if errors.As(err, &de) && de.IsNotFound {
				continue
			}
			return "", "", fmt.Errorf("lookup of _dmarc.%s failed: %w", name, err)
		}
		for _, t := range txts {
			if strings.HasPrefix(strings.ToLower(strings.TrimSpace(t)), "v=dmarc1") {
				return t, name, nil
			}
		}
	}
	return "", "", nil
}

func dmarcTags(record string) map[string]string {
	tags := map[string]string{}
	for _, part := range strings.Split(record, ";") {
		if k, v, ok := strings.Cut(strings.TrimSpace(part), "="); ok {
			tags[strings.ToLower(strings.TrimSpace(k))] = strings.ToLower(strings.TrimSpace(v))
		}
	}
	return tags
}

func dkimCheck(ctx context.Context, r resolver, sec, domain string, tokens []string) check {
	c := check{Section: sec, Name: "DKIM CNAMEs"}
	var bad []string
	for _, tok := range tokens {
		name := tok + "._domainkey." + domain
		want := tok + ".dkim.amazonses.com"
		got, err := r.LookupCNAME(ctx, name)
		if err != nil || !strings.EqualFold(strings.TrimSuffix(got, "."), want) {
			bad = append(bad, fmt.Sprintf("%s → %s", name, want))
		}
	}
	c.OK = len(bad) == 0
	c.Found = fmt.Sprintf("%d of %d point to dkim.amazonses.com", len(tokens)-len(bad), len(tokens))
	if !c.OK {
		c.Fix = "publish CNAME " + strings.Join(bad, ", CNAME ")
	}
	return c
}
