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
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/sesguard/sesguard/sestest"
	"github.com/sesguard/sesguard/verify"
)

// result is what VerifyAddress should return.
type result struct {
	status verify.Status
	flags  verify.Flags
	detail string
}

func (want result) check(t *testing.T, r verify.ExternalResult) {
	t.Helper()
	if r.Status != want.status || r.Flags != want.flags || r.Detail != want.detail {
		t.Fatalf("VerifyAddress = %+v; want %s flags %v %q", r, want.status, want.flags, want.detail)
	}
}

// TestVerifyAddress asks the sestest emulator, through the real SDK client,
// about addresses whose verdicts it works out as SES does: from the syntax,
// the domain's DNS and whether the mailbox exists.
func TestVerifyAddress(t *testing.T) {
	cases := []struct {
		name string
		addr string
		want result
	}{
		{"high confidence valid", "jane@example.com",
			result{verify.StatusValid, 0, "SES: high confidence that the address is valid"}},
		{"role address is flagged", "support@example.com",
			result{verify.StatusValid, verify.FlagRole, "SES: high confidence that the address is valid"}},
		{"low confidence is invalid, with the failed check", "bounce@simulator.amazonses.com",
			result{verify.StatusInvalid, 0, "SES: invalid (mailbox does not exist)"}},
		{"low confidence is invalid, with the failed checks", "a@site.invalid",
			result{verify.StatusInvalid, 0, "SES: invalid (no valid DNS records, mailbox does not exist)"}},
		{"bad syntax fails every check", "not-an-address",
			result{verify.StatusInvalid, 0, "SES: invalid (bad syntax, no valid DNS records, mailbox does not exist)"}},
	}
	ses := sestest.RunT(t)
	var mu sync.Mutex
	var asked []string
	ses.SetFault(func(op string, body []byte) *sestest.Fault {
		var in struct{ EmailAddress string }
		if err := json.Unmarshal(body, &in); err != nil {
			t.Errorf("%s request body: %v", op, err)
		}
		mu.Lock()
		asked = append(asked, op+" "+in.EmailAddress)
		mu.Unlock()
		return nil
	})
	v := New(ses.Client(sestest.NoRetries))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			asked = nil
			mu.Unlock()
			r, err := v.VerifyAddress(context.Background(), tc.addr)
			if err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if want := "GetEmailAddressInsights " + tc.addr; !slices.Equal(asked, []string{want}) {
				t.Errorf("SES was asked %q, want %q once", asked, want)
			}
			tc.want.check(t, r)
		})
	}
}

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
// that the SDK sent the operation SES defines. It serves the answers the
// emulator never gives — a MEDIUM or unknown confidence, a disposable
// address SES still rates valid, no verdict at all — which the Verifier must
// map all the same.
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

func TestVerifyAddressVerdictsTheEmulatorNeverGives(t *testing.T) {
	cases := []struct {
		name string
		body string
		want result
	}{
		{"medium confidence is risky", `{"MailboxValidation":{"IsValid":{"ConfidenceVerdict":"MEDIUM"}}}`,
			result{verify.StatusRisky, 0, "SES: medium confidence that the address is valid"}},
		{"disposable beats a valid verdict", `{"MailboxValidation":{"IsValid":{"ConfidenceVerdict":"HIGH"},"Evaluations":{"IsDisposable":{"ConfidenceVerdict":"HIGH"}}}}`,
			result{verify.StatusDisposable, verify.FlagDisposable, "SES: disposable address"}},
		{"unknown confidence value", `{"MailboxValidation":{"IsValid":{"ConfidenceVerdict":"CERTAIN"}}}`,
			result{verify.StatusUnknown, 0, "SES: unrecognised confidence CERTAIN"}},
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
			tc.want.check(t, r)
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
