// Package sesinsights adapts Amazon SES's own address validation, the
// SESv2 GetEmailAddressInsights operation, to a [verify.ExternalVerifier].
//
// It lives in its own package so that importing verify does not pull in the
// AWS SDK. Wrap it in [verify.NewExternal] to get caching (each call is
// billed) and collapsing of concurrent calls:
//
//	client := sesv2.NewFromConfig(cfg)
//	ses := verify.NewExternal(sesinsights.New(client), func(o *verify.ExternalOptions) { o.Name = "ses-insights" })
//	chain := verify.NewChain(verify.Typos{}, verify.Disposable{}, verify.NewDomain(), ses)
package sesinsights

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/sesguard/sesguard/verify"
)

// API is the one method of *sesv2.Client that the adapter calls.
type API interface {
	GetEmailAddressInsights(ctx context.Context, in *sesv2.GetEmailAddressInsightsInput, optFns ...func(*sesv2.Options)) (*sesv2.GetEmailAddressInsightsOutput, error)
}

var _ API = (*sesv2.Client)(nil)

// ErrNoVerdict is returned when SES answers without an overall verdict.
var ErrNoVerdict = errors.New("sesinsights: response has no IsValid verdict")

// Verifier asks SES about one address per call. It is safe for concurrent
// use when its API is, as *sesv2.Client is.
type Verifier struct {
	api API
}

var _ verify.ExternalVerifier = (*Verifier)(nil)

// New returns a Verifier that calls api.
func New(api API) *Verifier { return &Verifier{api: api} }

// VerifyAddress calls GetEmailAddressInsights and maps SES's confidence
// verdicts onto a [verify.Status]:
//
//   - IsValid LOW: [verify.StatusInvalid]; the detail names the evaluations
//     that failed (syntax, DNS, mailbox);
//   - IsDisposable HIGH: [verify.StatusDisposable];
//   - IsValid MEDIUM: [verify.StatusRisky];
//   - IsValid HIGH: [verify.StatusValid];
//   - an unrecognised confidence value: [verify.StatusUnknown].
//
// IsRoleAddress HIGH adds [verify.FlagRole]. SDK errors are returned
// unchanged, so errors.As still finds their types.
func (v *Verifier) VerifyAddress(ctx context.Context, addr string) (verify.ExternalResult, error) {
	out, err := v.api.GetEmailAddressInsights(ctx, &sesv2.GetEmailAddressInsightsInput{EmailAddress: aws.String(addr)})
	if err != nil {
		return verify.ExternalResult{}, err
	}
	mv := out.MailboxValidation
	if mv == nil || mv.IsValid == nil {
		return verify.ExternalResult{}, ErrNoVerdict
	}
	var ev types.EmailAddressInsightsMailboxEvaluations
	if mv.Evaluations != nil {
		ev = *mv.Evaluations
	}
	var r verify.ExternalResult
	if level(ev.IsRoleAddress) == types.EmailAddressInsightsConfidenceVerdictHigh {
		r.Flags |= verify.FlagRole
	}
	switch valid := mv.IsValid.ConfidenceVerdict; {
	case valid == types.EmailAddressInsightsConfidenceVerdictLow:
		r.Status, r.Detail = verify.StatusInvalid, "SES: invalid"+failed(ev)
	case level(ev.IsDisposable) == types.EmailAddressInsightsConfidenceVerdictHigh:
		r.Status, r.Detail = verify.StatusDisposable, "SES: disposable address"
		r.Flags |= verify.FlagDisposable
	case valid == types.EmailAddressInsightsConfidenceVerdictMedium:
		r.Status, r.Detail = verify.StatusRisky, "SES: medium confidence that the address is valid"
	case valid == types.EmailAddressInsightsConfidenceVerdictHigh:
		r.Status, r.Detail = verify.StatusValid, "SES: high confidence that the address is valid"
	default:
		r.Status, r.Detail = verify.StatusUnknown, "SES: unrecognised confidence "+string(valid)
	}
	return r, nil
}

func level(v *types.EmailAddressInsightsVerdict) types.EmailAddressInsightsConfidenceVerdict {
	if v == nil {
		return ""
	}
	return v.ConfidenceVerdict
}

// failed lists the evaluations SES judged LOW, e.g. " (mailbox does not
// exist)".
func failed(ev types.EmailAddressInsightsMailboxEvaluations) string {
	var why []string
	for _, c := range []struct {
		v    *types.EmailAddressInsightsVerdict
		text string
	}{
		{ev.HasValidSyntax, "bad syntax"},
		{ev.HasValidDnsRecords, "no valid DNS records"},
		{ev.MailboxExists, "mailbox does not exist"},
	} {
		if level(c.v) == types.EmailAddressInsightsConfidenceVerdictLow {
			why = append(why, c.text)
		}
	}
	if len(why) == 0 {
		return ""
	}
	return " (" + strings.Join(why, ", ") + ")"
}
