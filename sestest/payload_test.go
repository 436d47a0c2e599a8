package sestest_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/sesguard/sesguard/sestest"
)

// shape flattens a decoded JSON value into path → kind, with "[]" standing
// for every element of an array. Object keys under mail.tags and
// click.linkTags are data, not structure, and are folded into "*".
func shape(v any, path string, out map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		out[path] = "object"
		for k, e := range x {
			if path == ".mail.tags" || path == ".click.linkTags" {
				k = "*"
			}
			shape(e, path+"."+k, out)
		}
	case []any:
		out[path] = "array"
		for _, e := range x {
			shape(e, path+"[]", out)
		}
	case string:
		out[path] = "string"
	case float64:
		out[path] = "number"
	case bool:
		out[path] = "bool"
	case nil:
		out[path] = "null"
	}
}

func shapeOf(t *testing.T, b []byte) map[string]string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	out := map[string]string{}
	shape(v, "", out)
	return out
}

// rawWithHeaders is a raw message with the headers of AWS's notification
// examples (Date, Message-ID), so that commonHeaders has date and messageId.
func rawWithHeaders(to string) *sesv2.SendEmailInput {
	raw := "From: \"John Doe\" <john@example.com>\r\nTo: \"Jane Doe\" <" + to + ">\r\nMessage-ID: custom-message-ID\r\n" +
		"Subject: Hello\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\nContent-Transfer-Encoding: base64\r\n" +
		"Date: Wed, 27 Jan 2016 14:05:45 +0000\r\n\r\nSGVsbG8=\r\n"
	return &sesv2.SendEmailInput{Content: &types.EmailContent{Raw: &types.RawMessage{Data: []byte(raw)}}}
}

func withConfigSet(in *sesv2.SendEmailInput) *sesv2.SendEmailInput {
	in.ConfigurationSetName = aws.String("ConfigSet")
	in.EmailTags = []types.MessageTag{{Name: aws.String("myCustomTag1"), Value: aws.String("myCustomValue1")}}
	return in
}

// TestPayloadsMatchAWSExamples produces each kind of notification AWS
// documents and compares it field by field with AWS's example (and, for the
// mailbox simulator, with real SES payloads): every field of the example is
// present with the same JSON type, and every field the emulator adds is one
// AWS documents in another example. For the simulator, the values SES sets
// must be the same too.
func TestPayloadsMatchAWSExamples(t *testing.T) {
	examples, err := filepath.Glob("testdata/ses/*.json")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]string{}
	for _, f := range examples {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for p, k := range shapeOf(t, b) {
			documented[p] = k
		}
	}
	// Listed in the event contents page's DeliveryDelay table, absent from
	// its example.
	documented[".deliveryDelay.reportingMTA"] = "string"

	eicar := `X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`
	cases := []struct {
		example string
		format  sestest.Format
		typ     string
		send    *sesv2.SendEmailInput
		values  [][]any // paths whose values must equal the example's
	}{
		{example: "notification-bounce-with-dsn.json", format: sestest.IdentityFormat, typ: "Bounce", send: rawWithHeaders("bounce@simulator.amazonses.com")},
		{example: "notification-bounce-without-dsn.json", format: sestest.IdentityFormat, typ: "Bounce", send: rawWithHeaders("bounce@simulator.amazonses.com")},
		{example: "real-simulator-notification-bounce.json", format: sestest.IdentityFormat, typ: "Bounce", send: simple("bounce@simulator.amazonses.com"),
			values: [][]any{{"bounce", "bounceType"}, {"bounce", "bounceSubType"}, {"bounce", "bouncedRecipients", 0}}},
		{example: "real-simulator-notification-bounce-2020.json", format: sestest.IdentityFormat, typ: "Bounce", send: simple("bounce@simulator.amazonses.com"),
			values: [][]any{{"bounce", "bouncedRecipients", 0}, {"mail", "destination"}}},
		{example: "notification-complaint-with-feedback-report.json", format: sestest.IdentityFormat, typ: "Complaint", send: rawWithHeaders("complaint@simulator.amazonses.com")},
		{example: "notification-complaint-without-feedback-report.json", format: sestest.IdentityFormat, typ: "Complaint", send: rawWithHeaders("complaint@simulator.amazonses.com")},
		{example: "real-simulator-notification-complaint-2020.json", format: sestest.IdentityFormat, typ: "Complaint", send: simple("complaint@simulator.amazonses.com"),
			values: [][]any{{"complaint", "complaintSubType"}, {"complaint", "complainedRecipients"}, {"complaint", "userAgent"}, {"complaint", "complaintFeedbackType"}}},
		{example: "notification-delivery.json", format: sestest.IdentityFormat, typ: "Delivery", send: rawWithHeaders("success@simulator.amazonses.com")},
		{example: "event-send.json", format: sestest.EventFormat, typ: "Send", send: withConfigSet(simple("success@simulator.amazonses.com"))},
		{example: "event-delivery.json", format: sestest.EventFormat, typ: "Delivery", send: withConfigSet(simple("success@simulator.amazonses.com"))},
		{example: "event-bounce.json", format: sestest.EventFormat, typ: "Bounce", send: withConfigSet(simple("bounce@simulator.amazonses.com"))},
		{example: "event-complaint.json", format: sestest.EventFormat, typ: "Complaint", send: withConfigSet(simple("complaint@simulator.amazonses.com"))},
		{example: "real-simulator-event-complaint.json", format: sestest.EventFormat, typ: "Complaint", send: withConfigSet(simple("complaint@simulator.amazonses.com")),
			values: [][]any{{"complaint", "complaintSubType"}, {"complaint", "complainedRecipients"}, {"complaint", "userAgent"}, {"complaint", "complaintFeedbackType"}, {"mail", "tags", "ses:operation"}}},
		{example: "event-reject.json", format: sestest.EventFormat, typ: "Reject", send: func() *sesv2.SendEmailInput {
			in := withConfigSet(simple("recipient@example.com"))
			in.Content.Simple.Body.Text.Data = aws.String(eicar)
			return in
		}(), values: [][]any{{"reject"}}},
		{example: "event-rendering-failure.json", format: sestest.EventFormat, typ: "Rendering Failure", send: withConfigSet(&sesv2.SendEmailInput{
			FromEmailAddress: aws.String("sender@example.com"),
			Destination:      &types.Destination{ToAddresses: []string{"recipient@example.com"}},
			Content:          &types.EmailContent{Template: &types.Template{TemplateName: aws.String("MyTemplate"), TemplateData: aws.String(`{}`)}},
		}), values: [][]any{{"failure"}}},
		{example: "event-delivery-delay.json", format: sestest.EventFormat, typ: "DeliveryDelay", send: withConfigSet(simple("slow@example.com")),
			values: [][]any{{"deliveryDelay", "delayType"}, {"deliveryDelay", "delayedRecipients", 0, "status"}}},
		{example: "event-open.json", format: sestest.EventFormat, typ: "Open", send: withConfigSet(simple("reader@example.com"))},
		{example: "event-click.json", format: sestest.EventFormat, typ: "Click", send: func() *sesv2.SendEmailInput {
			in := withConfigSet(simple("reader@example.com"))
			in.Content.Simple.Body.Html = &types.Content{Data: aws.String(`<p><a ses:tags="samplekey0:samplevalue0;samplekey1:samplevalue1" href="http://docs.aws.amazon.com/ses/latest/DeveloperGuide/send-email-smtp.html">docs</a></p>`)}
			return in
		}(), values: [][]any{{"click", "link"}, {"click", "linkTags"}}},
		{example: "event-subscription.json", format: sestest.EventFormat, typ: "Subscription", send: func() *sesv2.SendEmailInput {
			in := withConfigSet(simple("leaving@example.com"))
			in.ListManagementOptions = &types.ListManagementOptions{ContactListName: aws.String("ContactListName"), TopicName: aws.String("ExampleTopicName")}
			return in
		}(), values: [][]any{{"subscription", "contactList"}, {"subscription", "source"}, {"subscription", "newTopicPreferences"}}},
	}
	for _, tc := range cases {
		t.Run(tc.example, func(t *testing.T) {
			srv, client, _ := start(t, func(o *sestest.Options) {
				o.Mailboxes = map[string]sestest.Outcome{"slow@example.com": sestest.OutcomeDelay, "leaving@example.com": sestest.OutcomeUnsubscribe,
					"reader@example.com": sestest.OutcomeEngage}
				o.Templates = map[string]sestest.Template{"MyTemplate": {Subject: "Hi", Text: "{{attributeName}}"}}
			})
			if _, err := client.SendEmail(ctxT(t), tc.send); err != nil {
				t.Fatal(err)
			}
			ns := byType(srv.Notifications(), tc.format, tc.typ)
			if len(ns) != 1 {
				t.Fatalf("%d %s %s notifications, want 1", len(ns), tc.format, tc.typ)
			}
			ref, err := os.ReadFile("testdata/ses/" + tc.example)
			if err != nil {
				t.Fatal(err)
			}
			want, got := shapeOf(t, ref), shapeOf(t, ns[0].Message)
			for _, p := range slices.Sorted(mapsKeys(want)) {
				if got[p] != want[p] {
					t.Errorf("field %s: %q in the emulator's payload, %q in AWS's", p, got[p], want[p])
				}
			}
			for _, p := range slices.Sorted(mapsKeys(got)) {
				if _, ok := want[p]; !ok && documented[p] != got[p] {
					t.Errorf("field %s (%s) is in no AWS example", p, got[p])
				}
			}
			refV, gotV := decode(t, ref), decode(t, ns[0].Message)
			for _, path := range tc.values {
				w, g := fmt.Sprint(field(refV, path...)), fmt.Sprint(field(gotV, path...))
				if w != g {
					t.Errorf("%v = %s, SES sends %s", path, g, w)
				}
			}
		})
	}
}

func mapsKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
