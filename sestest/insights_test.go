package sestest_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/sesguard/sesguard/sestest"
)

// TestGetEmailAddressInsights checks the offline verdicts through the SDK.
func TestGetEmailAddressInsights(t *testing.T) {
	const hi, lo = types.EmailAddressInsightsConfidenceVerdictHigh, types.EmailAddressInsightsConfidenceVerdictLow
	cases := []struct {
		addr                                    string
		valid, syntax, dns, exists, role, dispo types.EmailAddressInsightsConfidenceVerdict
	}{
		{"jane@example.com", hi, hi, hi, hi, lo, lo},
		{"bounce@simulator.amazonses.com", lo, hi, hi, lo, lo, lo},
		{"dead@example.org", lo, hi, hi, lo, lo, lo},
		{"support@example.com", hi, hi, hi, hi, hi, lo},
		{"x@mailinator.com", lo, hi, hi, hi, lo, hi},
		{"a@site.invalid", lo, hi, lo, lo, lo, lo},
		{"not-an-address", lo, lo, lo, lo, lo, lo},
	}
	_, client, _ := start(t, func(o *sestest.Options) {
		o.Mailboxes = map[string]sestest.Outcome{"dead@example.org": sestest.OutcomeBounce}
	})
	for _, tc := range cases {
		t.Run(tc.addr, func(t *testing.T) {
			out, err := client.GetEmailAddressInsights(ctxT(t), &sesv2.GetEmailAddressInsightsInput{EmailAddress: aws.String(tc.addr)})
			if err != nil {
				t.Fatal(err)
			}
			v, e := out.MailboxValidation, out.MailboxValidation.Evaluations
			got := []types.EmailAddressInsightsConfidenceVerdict{v.IsValid.ConfidenceVerdict, e.HasValidSyntax.ConfidenceVerdict,
				e.HasValidDnsRecords.ConfidenceVerdict, e.MailboxExists.ConfidenceVerdict, e.IsRoleAddress.ConfidenceVerdict, e.IsDisposable.ConfidenceVerdict}
			want := []types.EmailAddressInsightsConfidenceVerdict{tc.valid, tc.syntax, tc.dns, tc.exists, tc.role, tc.dispo}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("valid/syntax/dns/exists/role/disposable = %v, want %v", got, want)
					break
				}
			}
		})
	}
}
