package sestest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/sesguard/sesguard/sestest"
)

func keysOf(t *testing.T, body []byte) []string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("not a JSON object: %v\n%s", err, body)
	}
	return slices.Sorted(maps.Keys(m))
}

func fixtureKeys(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile("testdata/sns/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return keysOf(t, b)
}

// TestSignedEnvelopes runs the whole SNS conversation with a real webhook —
// confirmation, notifications with and without a Subject, unsubscribe — for
// both signature versions, and checks every body the webhook received with
// the from-the-spec verifier, its keys against real SNS messages of the same
// type, and its headers against SNS's.
func TestSignedEnvelopes(t *testing.T) {
	for _, version := range []string{"1", "2"} {
		t.Run("SignatureVersion"+version, func(t *testing.T) {
			srv, client, _ := start(t, func(o *sestest.Options) { o.SignatureVersion = version })
			wh := newWebhook(t, srv, true, nil)
			sub := wh.subscribe()

			in := simple("complaint@simulator.amazonses.com")
			in.ConfigurationSetName = aws.String("events")
			if _, err := client.SendEmail(ctxT(t), in); err != nil {
				t.Fatal(err)
			}
			// Send, Delivery ×2 formats, Complaint ×2 formats.
			if err := sub.Wait(ctxT(t), 5); err != nil {
				t.Fatal(err)
			}
			resp, err := srv.SNSHTTPClient().Get(sub.UnsubscribeURL())
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("unsubscribe: %v %v", resp, err)
			}
			_ = resp.Body.Close()
			wh.wait(7)

			// The certificate, as a verifier would get it: from the
			// certificate source and over the SNS client.
			cert, err := srv.Certificate(ctxT(t), srv.SigningCertURL())
			if err != nil {
				t.Fatal(err)
			}
			resp, err = srv.SNSHTTPClient().Get(srv.SigningCertURL())
			if err != nil {
				t.Fatal(err)
			}
			pemBytes, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if fetched := parsePEM(t, pemBytes); !fetched.Equal(cert) {
				t.Fatal("the certificate served at SigningCertURL differs from Certificate's")
			}

			wantKeys := map[string][]string{
				"SubscriptionConfirmation": fixtureKeys(t, "javav2-subscription-confirmation-v1.json"),
				"UnsubscribeConfirmation":  fixtureKeys(t, "javav2-unsubscribe-confirmation-v2.json"),
				"Notification":             fixtureKeys(t, "django-ses-bounce-notification.json"),
				"Notification+Subject":     fixtureKeys(t, "django-ses-complaint-event.json"),
			}
			seen := map[string]int{}
			for i, p := range wh.posts() {
				var env map[string]any
				if err := json.Unmarshal(p.body, &env); err != nil {
					t.Fatalf("post %d: %v", i, err)
				}
				typ := env["Type"].(string)
				kind := typ
				if _, ok := env["Subject"]; ok {
					kind += "+Subject"
				}
				seen[kind]++
				if err := verifySNS(p.body, cert); err != nil {
					t.Errorf("post %d (%s): signature does not verify: %v", i, kind, err)
				}
				if env["SignatureVersion"] != version {
					t.Errorf("post %d: SignatureVersion %v", i, env["SignatureVersion"])
				}
				if got := keysOf(t, p.body); !slices.Equal(got, wantKeys[kind]) {
					t.Errorf("post %d (%s): keys %v, real SNS has %v", i, kind, got, wantKeys[kind])
				}
				checkSNSHeaders(t, p, env, sub.ARN())
				tampered := bytes.Replace(p.body, []byte(`"MessageId": "`), []byte(`"MessageId": "x`), 1)
				if verifySNS(tampered, cert) == nil {
					t.Errorf("post %d: a tampered copy still verifies", i)
				}
			}
			want := map[string]int{"SubscriptionConfirmation": 1, "Notification": 2, "Notification+Subject": 3, "UnsubscribeConfirmation": 1}
			if !maps.Equal(seen, want) {
				t.Errorf("message types %v, want %v", seen, want)
			}
			if sub.Confirmed() {
				t.Error("still confirmed after unsubscribing")
			}
		})
	}
}

func checkSNSHeaders(t *testing.T, p received, env map[string]any, subARN string) {
	t.Helper()
	h := p.header
	for name, want := range map[string]string{
		"Content-Type":           "text/plain; charset=UTF-8",
		"User-Agent":             "Amazon Simple Notification Service Agent",
		"X-Amz-Sns-Message-Type": env["Type"].(string),
		"X-Amz-Sns-Message-Id":   env["MessageId"].(string),
		"X-Amz-Sns-Topic-Arn":    env["TopicArn"].(string),
	} {
		if got := h.Get(name); got != want {
			t.Errorf("%s %s: header %s = %q, want %q", env["Type"], env["MessageId"], name, got, want)
		}
	}
	wantSub := subARN
	if env["Type"] == "SubscriptionConfirmation" {
		wantSub = ""
	}
	if got := h.Get("X-Amz-Sns-Subscription-Arn"); got != wantSub {
		t.Errorf("%s: x-amz-sns-subscription-arn %q, want %q", env["Type"], got, wantSub)
	}
	if h.Get("X-Amz-Sns-Rawdelivery") != "" {
		t.Errorf("%s: x-amz-sns-rawdelivery set on an envelope", env["Type"])
	}
}

// TestEnvelopeAndLambdaEventVerify checks the envelope forms a test can take
// from a Notification directly: the SNS/SQS envelope and the Lambda event,
// whose Sns record spells SigningCertUrl and has "Subject": null.
func TestEnvelopeAndLambdaEventVerify(t *testing.T) {
	for _, version := range []string{"1", "2"} {
		t.Run("SignatureVersion"+version, func(t *testing.T) {
			srv, client, _ := start(t, func(o *sestest.Options) { o.SignatureVersion = version })
			in := simple("bounce@simulator.amazonses.com")
			in.ConfigurationSetName = aws.String("events")
			if _, err := client.SendEmail(ctxT(t), in); err != nil {
				t.Fatal(err)
			}
			cert := srv.SigningCertificate()
			for _, n := range srv.Notifications() {
				if err := verifySNS(n.Envelope(), cert); err != nil {
					t.Errorf("%s %s envelope: %v", n.Format, n.Type, err)
				}
				var ev struct {
					Records []struct {
						EventSource string
						Sns         map[string]any
					}
				}
				if err := json.Unmarshal(n.LambdaEvent(), &ev); err != nil || len(ev.Records) != 1 {
					t.Fatalf("lambda event: %v %s", err, n.LambdaEvent())
				}
				rec := ev.Records[0].Sns
				subject, present := rec["Subject"]
				if !present || (n.Subject == "") != (subject == nil) {
					t.Errorf("%s: lambda Subject = %v, present %v", n.Type, subject, present)
				}
				if _, ok := rec["SigningCertUrl"]; !ok || rec["SigningCertURL"] != nil {
					t.Errorf("lambda record does not spell SigningCertUrl: %v", slices.Sorted(maps.Keys(rec)))
				}
				body, _ := json.Marshal(rec)
				if err := verifySNS(body, cert); err != nil {
					t.Errorf("%s lambda record: %v", n.Type, err)
				}
				if (n.Format == sestest.EventFormat) != (n.Subject == "Amazon SES Email Event Notification") {
					t.Errorf("%s %s: Subject %q", n.Format, n.Type, n.Subject)
				}
			}
		})
	}
}
