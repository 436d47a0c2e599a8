package sestest_test

import (
	"encoding/json"
	"errors"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/sesguard/sesguard/sestest"
)

// TestGetAccountMatchesWireExamples compares GetAccount's body with the
// SESv2 examples for a production and a sandbox account.
func TestGetAccountMatchesWireExamples(t *testing.T) {
	cases := []struct {
		fixture string
		account sestest.Account
		send    int // recipients sent before asking
	}{
		{"get-account-response.json", sestest.Account{}, 0},
		{"get-account-response-sandbox.json", sestest.Account{Sandbox: true}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.fixture, func(t *testing.T) {
			srv, _, _ := start(t, func(o *sestest.Options) { o.Account = tc.account })
			_, body := do(t, srv, "GET", "/v2/email/account", "")
			fixture, err := os.ReadFile("testdata/sesv2/" + tc.fixture)
			if err != nil {
				t.Fatal(err)
			}
			var got, want map[string]any
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(fixture, &want); err != nil {
				t.Fatal(err)
			}
			// The production example has DedicatedIpAutoWarmupEnabled, the
			// sandbox one not; the server always sends it.
			delete(got, "DedicatedIpAutoWarmupEnabled")
			delete(want, "DedicatedIpAutoWarmupEnabled")
			if g, w := slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)); !slices.Equal(g, w) {
				t.Errorf("members %v, want %v", g, w)
			}
			for _, k := range []string{"EnforcementStatus", "ProductionAccessEnabled", "SendingEnabled", "SuppressionAttributes"} {
				if gj, wj := mustJSON(t, got[k]), mustJSON(t, want[k]); gj != wj {
					t.Errorf("%s = %s, want %s", k, gj, wj)
				}
			}
			q, wq := got["SendQuota"].(map[string]any), want["SendQuota"].(map[string]any)
			if q["Max24HourSend"] != wq["Max24HourSend"] || q["MaxSendRate"] != wq["MaxSendRate"] || q["SentLast24Hours"] != 0.0 {
				t.Errorf("SendQuota %v, want limits of %v and nothing sent", q, wq)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSandbox checks who may send to whom in the sandbox.
func TestSandbox(t *testing.T) {
	cases := []struct {
		name   string
		from   string
		to     []string
		failed string // the identities listed in MessageRejected, "" for success
	}{
		{"verified address to simulator", "sender@example.com", []string{"bounce@simulator.amazonses.com"}, ""},
		{"verified domain to verified address", "anyone@verified.example", []string{"Friend@Example.org"}, ""},
		{"unverified recipient", "sender@example.com", []string{"success@simulator.amazonses.com", "stranger@example.net"}, "stranger@example.net"},
		{"unverified sender", "other@example.com", []string{"friend@example.org"}, "other@example.com"},
		{"two unverified recipients", "sender@example.com", []string{"a@example.net", "b@example.net"}, "a@example.net, b@example.net"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, client, _ := start(t, func(o *sestest.Options) {
				o.Region = "eu-west-1"
				o.Account = sestest.Account{Sandbox: true, VerifiedIdentities: []string{"sender@example.com", "VERIFIED.example", "friend@example.org"}}
			})
			in := simple(tc.to...)
			in.FromEmailAddress = &tc.from
			_, err := client.SendEmail(ctxT(t), in)
			if tc.failed == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var mr *types.MessageRejected
			want := "Email address is not verified. The following identities failed the check in region EU-WEST-1: " + tc.failed
			if !errors.As(err, &mr) || mr.ErrorMessage() != want {
				t.Fatalf("err = %v, want MessageRejected %q", err, want)
			}
			if len(srv.Messages()) != 0 || srv.Quota().Tokens != 1 {
				t.Errorf("a rejected send was accepted or took tokens: %+v", srv.Quota())
			}
		})
	}
}

// TestSandboxQuotas: one recipient a second and 200 a day by default.
func TestSandboxQuotas(t *testing.T) {
	srv, client, clk := start(t, func(o *sestest.Options) {
		o.Account = sestest.Account{Sandbox: true, VerifiedIdentities: []string{"example.com"}}
	})
	for i := range 200 {
		if _, err := client.SendEmail(ctxT(t), simple("a@example.com")); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		if i == 0 {
			_, err := client.SendEmail(ctxT(t), simple("a@example.com"))
			if msg := throttleMessage(t, err); msg != "Maximum sending rate exceeded." {
				t.Fatalf("second send in the same second: %v", err)
			}
		}
		clk.Advance(time.Second)
	}
	_, err := client.SendEmail(ctxT(t), simple("a@example.com"))
	if msg := throttleMessage(t, err); msg != "Daily message quota exceeded." {
		t.Fatalf("201st: %v", err)
	}
	if a := srv.Account(); a.MaxSendRate != 1 || a.Max24HourSend != 200 {
		t.Errorf("account in force: %+v", a)
	}
}

// TestSendingStates checks paused, shut down and suspended accounts for
// both send operations: SendEmail fails, SendBulkEmail reports the state
// in each entry's status.
func TestSendingStates(t *testing.T) {
	cases := []struct {
		name    string
		change  func(*sestest.Account)
		code    string
		bulk    types.BulkEmailStatus
		enabled bool
		status  string
	}{
		{"paused", func(a *sestest.Account) { a.SendingPaused = true }, "SendingPausedException", types.BulkEmailStatusAccountSendingPaused, false, "HEALTHY"},
		{"shut down", func(a *sestest.Account) { a.EnforcementStatus = "shutdown" }, "SendingPausedException", types.BulkEmailStatusAccountSendingPaused, false, "SHUTDOWN"},
		{"suspended", func(a *sestest.Account) { a.Suspended = true }, "AccountSuspendedException", types.BulkEmailStatusAccountSuspended, false, "HEALTHY"},
		{"on probation", func(a *sestest.Account) { a.EnforcementStatus = "PROBATION" }, "", types.BulkEmailStatusSuccess, true, "PROBATION"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, client, _ := start(t, func(o *sestest.Options) {
				o.Templates = map[string]sestest.Template{"T": {Subject: "s", Text: "t"}}
			})
			if err := srv.UpdateAccount(tc.change); err != nil {
				t.Fatal(err)
			}
			_, sendErr := client.SendEmail(ctxT(t), simple("a@example.com"))
			bulk, bulkErr := client.SendBulkEmail(ctxT(t), &sesv2.SendBulkEmailInput{
				FromEmailAddress: new("sender@example.com"),
				DefaultContent:   &types.BulkEmailContent{Template: &types.Template{TemplateName: new("T")}},
				BulkEmailEntries: []types.BulkEmailEntry{{Destination: &types.Destination{ToAddresses: []string{"a@example.com"}}}},
			})
			code := ""
			if sendErr != nil {
				code = errorCode(sendErr)
			}
			if code != tc.code {
				t.Errorf("SendEmail: %v, want %s", sendErr, tc.code)
			}
			if bulkErr != nil || bulk.BulkEmailEntryResults[0].Status != tc.bulk {
				t.Errorf("SendBulkEmail: %v, %+v, want entry status %s", bulkErr, bulk, tc.bulk)
			}
			var paused *types.SendingPausedException
			if tc.code == "SendingPausedException" && !errors.As(sendErr, &paused) {
				t.Errorf("not a *types.SendingPausedException: %T", sendErr)
			}
			acct, err := client.GetAccount(ctxT(t), &sesv2.GetAccountInput{})
			if err != nil || acct.SendingEnabled != tc.enabled || string(*acct.EnforcementStatus) != tc.status {
				t.Errorf("GetAccount: SendingEnabled %v, EnforcementStatus %v, %v", acct.SendingEnabled, *acct.EnforcementStatus, err)
			}
		})
	}
}

func errorCode(err error) string {
	var api interface{ ErrorCode() string }
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return err.Error()
}

// TestInvalidSettings: settings that make no sense are refused with an
// error saying which.
func TestInvalidSettings(t *testing.T) {
	cases := []struct {
		name string
		opt  func(*sestest.Options)
		want string
	}{
		{"signature version", func(o *sestest.Options) { o.SignatureVersion = "3" }, "SignatureVersion"},
		{"negative rate", func(o *sestest.Options) { o.Account.MaxSendRate = -1 }, "MaxSendRate"},
		{"daily quota", func(o *sestest.Options) { o.Account.Max24HourSend = -2 }, "Max24HourSend"},
		{"enforcement status", func(o *sestest.Options) { o.Account.EnforcementStatus = "FINE" }, "EnforcementStatus"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := sestest.NewServer(tc.opt)
			if err == nil {
				srv.Close()
				t.Fatal("NewServer accepted it")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not name %s", err, tc.want)
			}
			ok := sestest.RunT(t)
			if err := ok.UpdateAccount(func(a *sestest.Account) { a.MaxSendRate = -5 }); err == nil {
				t.Error("UpdateAccount accepted a negative rate")
			}
			if a := ok.Account(); a.MaxSendRate != 14 {
				t.Errorf("a refused update changed the account: %+v", a)
			}
		})
	}
}
