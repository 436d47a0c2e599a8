package sesinsights

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/sesguard/sesguard/verify"
)

// newClient returns the real SESv2 client talking to handler over HTTP.
func newClient(t *testing.T, handler http.HandlerFunc) *sesv2.Client {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return sesv2.New(sesv2.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(srv.URL),
		RetryMaxAttempts: 1,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}, nil
		}),
	})
}

// insightsServer answers GetEmailAddressInsights with body, after checking
// that the SDK sent the operation SES defines.
func insightsServer(t *testing.T, body string, asked *string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v2/email/email-address-insights" {
			t.Errorf("request %s %s; want POST /v2/email/email-address-insights", r.Method, r.URL.Path)
		}
		var in struct{ EmailAddress string }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			t.Errorf("request body: %v", err)
		}
		*asked = in.EmailAddress
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	}
}

func TestVerifyAddress(t *testing.T) {
	cases := []struct {
		name   string
		body   string
		status verify.Status
		flags  verify.Flags
		detail string
	}{
		{
			name:   "high confidence valid",
			body:   `{"MailboxValidation":{"IsValid":{"ConfidenceVerdict":"HIGH"},"Evaluations":{"HasValidSyntax":{"ConfidenceVerdict":"HIGH"},"MailboxExists":{"ConfidenceVerdict":"HIGH"}}}}`,
			status: verify.StatusValid,
			detail: "SES: high confidence that the address is valid",
		},
		{
			name:   "low confidence is invalid, with the failed checks",
			body:   `{"MailboxValidation":{"IsValid":{"ConfidenceVerdict":"LOW"},"Evaluations":{"HasValidSyntax":{"ConfidenceVerdict":"HIGH"},"HasValidDnsRecords":{"ConfidenceVerdict":"LOW"},"MailboxExists":{"ConfidenceVerdict":"LOW"}}}}`,
			status: verify.StatusInvalid,
			detail: "SES: invalid (no valid DNS records, mailbox does not exist)",
		},
		{
			name:   "medium confidence is risky",
			body:   `{"MailboxValidation":{"IsValid":{"ConfidenceVerdict":"MEDIUM"}}}`,
			status: verify.StatusRisky,
			detail: "SES: medium confidence that the address is valid",
		},
		{
			name:   "disposable beats a valid verdict",
			body:   `{"MailboxValidation":{"IsValid":{"ConfidenceVerdict":"HIGH"},"Evaluations":{"IsDisposable":{"ConfidenceVerdict":"HIGH"}}}}`,
			status: verify.StatusDisposable,
			flags:  verify.FlagDisposable,
			detail: "SES: disposable address",
		},
		{
			name:   "role address is flagged",
			body:   `{"MailboxValidation":{"IsValid":{"ConfidenceVerdict":"HIGH"},"Evaluations":{"IsRoleAddress":{"ConfidenceVerdict":"HIGH"}}}}`,
			status: verify.StatusValid,
			flags:  verify.FlagRole,
			detail: "SES: high confidence that the address is valid",
		},
		{
			name:   "unknown confidence value",
			body:   `{"MailboxValidation":{"IsValid":{"ConfidenceVerdict":"CERTAIN"}}}`,
			status: verify.StatusUnknown,
			detail: "SES: unrecognised confidence CERTAIN",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var asked string
			v := New(newClient(t, insightsServer(t, tc.body, &asked)))
			r, err := v.VerifyAddress(context.Background(), "bob@example.com")
			if err != nil {
				t.Fatal(err)
			}
			if asked != "bob@example.com" {
				t.Errorf("SES was asked about %q", asked)
			}
			if r.Status != tc.status || r.Flags != tc.flags || r.Detail != tc.detail {
				t.Fatalf("VerifyAddress = %+v; want %s flags %v %q", r, tc.status, tc.flags, tc.detail)
			}
		})
	}
}

func TestNoVerdict(t *testing.T) {
	var asked string
	v := New(newClient(t, insightsServer(t, `{}`, &asked)))
	if _, err := v.VerifyAddress(context.Background(), "bob@example.com"); !errors.Is(err, ErrNoVerdict) {
		t.Fatalf("err = %v; want ErrNoVerdict", err)
	}
}

// TestThrottledIsUnknown replays SES's 429 through the real client: the SDK
// error keeps its type, and verify.External turns it into Unknown.
func TestThrottledIsUnknown(t *testing.T) {
	raw, err := os.ReadFile("testdata/error-TooManyRequestsException.http")
	if err != nil {
		t.Fatal(err)
	}
	client := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), r)
		if err != nil {
			t.Error(err)
			return
		}
		for k, vs := range resp.Header {
			w.Header()[k] = vs
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	})
	_, err = New(client).VerifyAddress(context.Background(), "bob@example.com")
	var tooMany *types.TooManyRequestsException
	if !errors.As(err, &tooMany) {
		t.Fatalf("err = %v; want *types.TooManyRequestsException", err)
	}
	ext := verify.NewExternal(New(client))
	r, err := ext.Check(context.Background(), verify.Address{Local: "bob", Domain: "example.com"})
	if err != nil || r.Verdict != verify.Unknown || r.Reason != verify.ReasonUnavailable {
		t.Fatalf("External.Check = %+v, %v; want unknown/unavailable", r, err)
	}
}
