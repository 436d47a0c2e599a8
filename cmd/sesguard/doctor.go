package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/spf13/cobra"
)

// check is one line of doctor's report.
type check struct {
	Section  string `json:"section"`            // "account", "identity example.com", "dns example.com", ...
	Name     string `json:"name"`               // what was checked, e.g. "production access"
	OK       bool   `json:"ok"`                 // ✔ or ✘
	Blocking bool   `json:"blocking,omitempty"` // a ✘ that stops mail from going out
	Found    string `json:"found"`              // what doctor saw
	Fix      string `json:"fix,omitempty"`      // what to do about a ✘
}

// doctorReport is doctor's whole report, the shape of its --json output.
type doctorReport struct {
	Region  string          `json:"region"`
	Account *accountSummary `json:"account,omitempty"`
	Checks  []check         `json:"checks"`
	OK      bool            `json:"ok"` // nothing blocks sending
}

// accountSummary is what GetAccount said.
type accountSummary struct {
	ProductionAccess  bool     `json:"productionAccess"`
	EnforcementStatus string   `json:"enforcementStatus"`
	SendingEnabled    bool     `json:"sendingEnabled"`
	MaxSendRate       float64  `json:"maxSendRate"`
	Max24HourSend     float64  `json:"max24HourSend"`
	SentLast24Hours   float64  `json:"sentLast24Hours"`
	QuotaUsed         float64  `json:"quotaUsed"` // SentLast24Hours / Max24HourSend, 0 when unlimited
	SuppressedReasons []string `json:"suppressedReasons"`
}

// resolver is the part of *net.Resolver that doctor uses.
type resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupCNAME(ctx context.Context, host string) (string, error)
}

type doctorFlags struct {
	identities []string
	dns        string
}

func (a *app) doctorCommand() *cobra.Command {
	var f doctorFlags
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check that the SES account and its sending domains are ready to send",
		Long: `doctor reads the SES account (GetAccount), its sending identities, its
configuration sets' event destinations and the DNS of the sending domains,
and prints one ✔ or ✘ line per check, with what to fix.

Exit status 1 when something blocks sending (sending paused or shut down,
no verified identity, the daily quota spent); ✘ lines that only hurt
deliverability (no DMARC, no custom MAIL FROM, sandbox) do not.`,
		Example: `  sesguard doctor --region eu-west-1
  sesguard doctor --identity example.com --json
  sesguard doctor --endpoint-url http://127.0.0.1:4566 --dns 127.0.0.1:5353`,
		Args: cobra.NoArgs,
		RunE: a.runE(func(cmd *cobra.Command, _ []string) error {
			client, err := a.ses(cmd.Context())
			if err != nil {
				return err
			}
			var r resolver = net.DefaultResolver
			if f.dns != "" {
				r = dnsResolver(f.dns)
			}
			rep, err := doctor(cmd.Context(), client, r, f.identities)
			if err != nil {
				return err
			}
			if a.json {
				if err := a.printJSON(rep); err != nil {
					return err
				}
			} else {
				a.printChecks(rep)
			}
			if !rep.OK {
				return errReported
			}
			return nil
		}),
	}
	cmd.Flags().StringSliceVar(&f.identities, "identity", nil, "check only these identities (domains or addresses); default: every identity of the account")
	cmd.Flags().StringVar(&f.dns, "dns", "", "DNS server (host:port) to ask instead of the system's resolver")
	return cmd
}

// dnsResolver returns a resolver that asks the DNS server at addr.
func dnsResolver(addr string) *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}
}

// doctor runs every check.
func doctor(ctx context.Context, client *sesv2.Client, r resolver, only []string) (*doctorReport, error) {
	rep := &doctorReport{Region: client.Options().Region}
	acct, err := client.GetAccount(ctx, &sesv2.GetAccountInput{})
	if err != nil {
		return nil, fmt.Errorf("GetAccount: %w", err)
	}
	rep.Account = summarize(acct)
	rep.add(accountChecks(rep.Account)...)

	ids, err := identities(ctx, client, only)
	if err != nil {
		return nil, err
	}
	verified := 0
	var domains []string
	mailFrom := map[string]string{}
	dkim := map[string][]string{}
	for _, name := range ids {
		id, err := client.GetEmailIdentity(ctx, &sesv2.GetEmailIdentityInput{EmailIdentity: aws.String(name)})
		if err != nil {
			var nf *types.NotFoundException
			if errors.As(err, &nf) {
				rep.add(check{Section: "identity " + name, Name: "exists", Found: "not an identity of this account",
					Fix: "create and verify it: aws sesv2 create-email-identity --email-identity " + name, Blocking: len(only) > 0})
				continue
			}
			return nil, fmt.Errorf("GetEmailIdentity %s: %w", name, err)
		}
		if id.VerifiedForSendingStatus {
			verified++
		}
		rep.add(identityChecks(name, id)...)
		domain := name
		if at := strings.LastIndexByte(name, '@'); at >= 0 {
			domain = name[at+1:]
		}
		if !slices.Contains(domains, domain) {
			domains = append(domains, domain)
		}
		if m := id.MailFromAttributes; m != nil && aws.ToString(m.MailFromDomain) != "" {
			mailFrom[domain] = aws.ToString(m.MailFromDomain)
		}
		if id.IdentityType == types.IdentityTypeDomain && id.DkimAttributes != nil {
			dkim[domain] = id.DkimAttributes.Tokens
		}
	}
	if verified == 0 {
		rep.add(check{Section: "identities", Name: "a verified identity", Blocking: true,
			Found: fmt.Sprintf("%d identities, none verified", len(ids)),
			Fix:   "verify the domain you send from (DKIM CNAMEs in its DNS) or the sender address"})
	}

	sets, err := feedbackChecks(ctx, client)
	if err != nil {
		return nil, err
	}
	rep.add(sets...)

	for _, d := range domains {
		rep.add(dnsChecks(ctx, r, rep.Region, d, mailFrom[d], dkim[d])...)
	}
	rep.OK = true
	for _, c := range rep.Checks {
		if !c.OK && c.Blocking {
			rep.OK = false
		}
	}
	return rep, nil
}

func (rep *doctorReport) add(cs ...check) { rep.Checks = append(rep.Checks, cs...) }

func summarize(acct *sesv2.GetAccountOutput) *accountSummary {
	s := &accountSummary{
		ProductionAccess:  acct.ProductionAccessEnabled,
		EnforcementStatus: aws.ToString(acct.EnforcementStatus),
		SendingEnabled:    acct.SendingEnabled,
		SuppressedReasons: []string{},
	}
	if q := acct.SendQuota; q != nil {
		s.MaxSendRate, s.Max24HourSend, s.SentLast24Hours = q.MaxSendRate, q.Max24HourSend, q.SentLast24Hours
		if q.Max24HourSend > 0 {
			s.QuotaUsed = q.SentLast24Hours / q.Max24HourSend
		}
	}
	if sa := acct.SuppressionAttributes; sa != nil {
		for _, r := range sa.SuppressedReasons {
			s.SuppressedReasons = append(s.SuppressedReasons, string(r))
		}
	}
	return s
}

func accountChecks(s *accountSummary) []check {
	const sec = "account"
	var cs []check
	if s.ProductionAccess {
		cs = append(cs, check{Section: sec, Name: "production access", OK: true, Found: "granted"})
	} else {
		cs = append(cs, check{Section: sec, Name: "production access", Found: "in the sandbox: mail only to verified addresses, at most 200 a day",
			Fix: "request production access in the SES console (Account dashboard) or with aws sesv2 put-account-details"})
	}
	switch s.EnforcementStatus {
	case "HEALTHY":
		cs = append(cs, check{Section: sec, Name: "enforcement status", OK: true, Found: "HEALTHY"})
	case "PROBATION":
		cs = append(cs, check{Section: sec, Name: "enforcement status", Found: "PROBATION: AWS is reviewing the account (bounces over 5% or complaints over 0.1%)",
			Fix: "stop mailing addresses that bounce or complain (sesguard suppress, sesguard sync pull) and answer AWS's review"})
	default:
		cs = append(cs, check{Section: sec, Name: "enforcement status", Blocking: true, Found: s.EnforcementStatus,
			Fix: "sending is shut down; contact AWS Support through the review case"})
	}
	if s.SendingEnabled {
		cs = append(cs, check{Section: sec, Name: "sending enabled", OK: true, Found: "yes"})
	} else {
		cs = append(cs, check{Section: sec, Name: "sending enabled", Blocking: true, Found: "no: sending is paused",
			Fix: "if you paused it: aws sesv2 put-account-sending-attributes --sending-enabled; if AWS did: answer the review"})
	}
	quota := check{Section: sec, Name: "sending quota", OK: true}
	if s.Max24HourSend < 0 {
		quota.Found = fmt.Sprintf("%s/s, unlimited per 24 hours, %s sent", number(s.MaxSendRate), number(s.SentLast24Hours))
	} else {
		quota.Found = fmt.Sprintf("%s/s, %s per 24 hours, %s sent (%.1f%%)", number(s.MaxSendRate), number(s.Max24HourSend), number(s.SentLast24Hours), 100*s.QuotaUsed)
		switch {
		case s.SentLast24Hours >= s.Max24HourSend:
			quota.OK, quota.Blocking = false, true
			quota.Fix = "the 24-hour quota is spent: wait, or request a higher quota (Service Quotas, SES sending quota)"
		case s.QuotaUsed >= 0.8:
			quota.OK = false
			quota.Fix = "over 80% of the 24-hour quota is used: request a higher quota before it runs out"
		}
	}
	cs = append(cs, quota)
	sup := check{Section: sec, Name: "account-level suppression list", OK: len(s.SuppressedReasons) > 0}
	if sup.OK {
		sup.Found = "SES suppresses " + strings.Join(s.SuppressedReasons, " and ")
	} else {
		sup.Found = "SES suppresses nothing by itself"
		sup.Fix = "aws sesv2 put-account-suppression-attributes --suppressed-reasons BOUNCE COMPLAINT"
	}
	return append(cs, sup)
}

// identities returns the identities to check: only, or every identity of
// the account.
func identities(ctx context.Context, client *sesv2.Client, only []string) ([]string, error) {
	if len(only) > 0 {
		return only, nil
	}
	var names []string
	p := sesv2.NewListEmailIdentitiesPaginator(client, &sesv2.ListEmailIdentitiesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("ListEmailIdentities: %w", err)
		}
		for _, id := range page.EmailIdentities {
			names = append(names, aws.ToString(id.IdentityName))
		}
	}
	return names, nil
}

func identityChecks(name string, id *sesv2.GetEmailIdentityOutput) []check {
	sec := "identity " + name
	var cs []check
	v := check{Section: sec, Name: "verified", OK: id.VerifiedForSendingStatus, Found: "verification " + string(id.VerificationStatus)}
	if !v.OK {
		v.Fix = "finish verification: publish the DKIM CNAMEs (domain) or click the link SES mailed (address)"
	}
	cs = append(cs, v)
	if id.IdentityType == types.IdentityTypeDomain && id.DkimAttributes != nil {
		d := check{Section: sec, Name: "DKIM", OK: id.DkimAttributes.Status == types.DkimStatusSuccess && id.DkimAttributes.SigningEnabled,
			Found: "DKIM " + string(id.DkimAttributes.Status)}
		if !d.OK {
			d.Fix = "publish the three CNAMEs <token>._domainkey." + name + " → <token>.dkim.amazonses.com and enable signing"
		}
		cs = append(cs, d)
	}
	m := check{Section: sec, Name: "custom MAIL FROM"}
	switch mf := id.MailFromAttributes; {
	case mf == nil || aws.ToString(mf.MailFromDomain) == "":
		m.Found = "none: mail goes out from amazonses.com, so SPF cannot align for DMARC"
		m.Fix = "set a MAIL FROM subdomain: aws sesv2 put-email-identity-mail-from-attributes --email-identity " + name + " --mail-from-domain mail." + domainOf(name)
	case mf.MailFromDomainStatus == types.MailFromDomainStatusSuccess:
		m.OK, m.Found = true, aws.ToString(mf.MailFromDomain)+" "+string(mf.MailFromDomainStatus)
	default:
		m.Found = aws.ToString(mf.MailFromDomain) + " " + string(mf.MailFromDomainStatus)
		m.Fix = "publish its MX and SPF records (see the dns checks below)"
	}
	return append(cs, m)
}

func domainOf(name string) string { return name[strings.LastIndexByte(name, '@')+1:] }

// feedbackChecks checks that bounces and complaints are published to SNS
// by some configuration set, so that sesguard can learn from them.
func feedbackChecks(ctx context.Context, client *sesv2.Client) ([]check, error) {
	var sets []string
	p := sesv2.NewListConfigurationSetsPaginator(client, &sesv2.ListConfigurationSetsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("ListConfigurationSets: %w", err)
		}
		sets = append(sets, page.ConfigurationSets...)
	}
	var cs []check
	published := false
	for _, name := range sets {
		out, err := client.GetConfigurationSetEventDestinations(ctx, &sesv2.GetConfigurationSetEventDestinationsInput{ConfigurationSetName: aws.String(name)})
		if err != nil {
			return nil, fmt.Errorf("GetConfigurationSetEventDestinations %s: %w", name, err)
		}
		var bounce, complaint []string
		for _, d := range out.EventDestinations {
			if !d.Enabled || d.SnsDestination == nil {
				continue
			}
			topic := aws.ToString(d.SnsDestination.TopicArn)
			if slices.Contains(d.MatchingEventTypes, types.EventTypeBounce) {
				bounce = append(bounce, topic)
			}
			if slices.Contains(d.MatchingEventTypes, types.EventTypeComplaint) {
				complaint = append(complaint, topic)
			}
		}
		c := check{Section: "configuration set " + name, Name: "bounces and complaints published", OK: len(bounce) > 0 && len(complaint) > 0}
		switch {
		case c.OK:
			published = true
			c.Found = "to SNS " + strings.Join(uniq(append(bounce, complaint...)), ", ")
		case len(bounce) > 0:
			c.Found, c.Fix = "bounces only", "add COMPLAINT to the SNS event destination's matching event types"
		case len(complaint) > 0:
			c.Found, c.Fix = "complaints only", "add BOUNCE to the SNS event destination's matching event types"
		default:
			c.Found, c.Fix = "neither", "add an enabled SNS event destination for BOUNCE and COMPLAINT whose topic reaches sesguard's webhook or queue"
		}
		cs = append(cs, c)
	}
	if !published {
		cs = append(cs, check{Section: "configuration sets", Name: "bounces and complaints published",
			Found: fmt.Sprintf("%d configuration sets, none publishes both bounces and complaints to SNS", len(sets)),
			Fix:   "create a configuration set with an SNS event destination for BOUNCE and COMPLAINT, and send with it (or make it the identity's default)"})
	}
	return cs, nil
}

func uniq(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}
