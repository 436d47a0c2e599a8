package sesguard

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// sesExample is what one AWS example payload in testdata/ses must parse to,
// and what the default policy must do with its first record when the store
// knows nothing of the address.
type sesExample struct {
	file            string
	typ             EventType
	eventPublishing bool
	addrs           []string
	policy          Action
}

var sesExamples = []sesExample{
	{"event-bounce.json", EventBounce, true, []string{"recipient@example.com"}, ActionSuppressed},
	{"event-click.json", EventClick, true, []string{"recipient@example.com"}, ActionIgnored},
	{"event-complaint.json", EventComplaint, true, []string{"recipient@example.com"}, ActionSuppressed},
	{"event-delivery-delay.json", EventDeliveryDelay, true, []string{"recipient@example.com"}, ActionIgnored},
	{"event-delivery.json", EventDelivery, true, []string{"recipient@example.com"}, ActionCleared},
	{"event-open.json", EventOpen, true, []string{"recipient@example.com"}, ActionIgnored},
	{"event-reject.json", EventReject, true, []string{"sender@example.com"}, ActionIgnored},
	{"event-rendering-failure.json", EventRenderingFailure, true, []string{"recipient@example.com"}, ActionIgnored},
	{"event-send.json", EventSend, true, []string{"recipient@example.com"}, ActionIgnored},
	{"event-subscription.json", EventSubscription, true, []string{"recipient@example.com"}, ActionSuppressed},
	{"notification-bounce-with-dsn.json", EventBounce, false, []string{"jane@example.com"}, ActionSuppressed},
	{"notification-bounce-without-dsn.json", EventBounce, false, []string{"jane@example.com", "richard@example.com"}, ActionSuppressed},
	{"notification-complaint-with-feedback-report.json", EventComplaint, false, []string{"richard@example.com"}, ActionSuppressed},
	{"notification-complaint-without-feedback-report.json", EventComplaint, false, []string{"richard@example.com"}, ActionSuppressed},
	{"notification-delivery.json", EventDelivery, false, []string{"jane@example.com"}, ActionCleared},
	{"real-simulator-event-complaint.json", EventComplaint, true, []string{"complaint@simulator.amazonses.com"}, ActionSuppressed},
	{"real-simulator-notification-bounce-2020.json", EventBounce, false, []string{"bounce@simulator.amazonses.com"}, ActionSuppressed},
	{"real-simulator-notification-bounce.json", EventBounce, false, []string{"bounce@simulator.amazonses.com"}, ActionSuppressed},
	{"real-simulator-notification-complaint-2020.json", EventComplaint, false, []string{"complaint@simulator.amazonses.com"}, ActionSuppressed},
	{"receiving-sns-action-notification.json", "Received", false, nil, ActionIgnored},
}

// sesObjectExamples wraps AWS's example objects (object-*.json) into
// notifications, so that they are decoded by the same code.
var sesObjectExamples = []struct {
	name  string
	build func(t *testing.T) []byte
	typ   EventType
	addrs []string
}{
	{"object-bounce.json+object-mail.json", func(t *testing.T) []byte {
		return wrapObjects(t, "Bounce", "bounce", "object-bounce.json")
	}, EventBounce, []string{"recipient1@example.com", "recipient2@example.com"}},
	{"object-complaint.json+object-mail.json", func(t *testing.T) []byte {
		return wrapObjects(t, "Complaint", "complaint", "object-complaint.json")
	}, EventComplaint, []string{"recipient1@example.com"}},
	{"object-delivery.json+object-mail.json", func(t *testing.T) []byte {
		return wrapObjects(t, "Delivery", "delivery", "object-delivery.json")
	}, EventDelivery, []string{"success@simulator.amazonses.com"}},
	{"object-bounced-recipient.json", func(t *testing.T) []byte {
		r := readFile(t, filepath.Join("testdata", "ses", "object-bounced-recipient.json"))
		return fmt.Appendf(nil, `{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","bouncedRecipients":[%s]},"mail":{}}`, r)
	}, EventBounce, []string{"recipient@example.com"}},
	{"object-complained-recipient.json", func(t *testing.T) []byte {
		r := readFile(t, filepath.Join("testdata", "ses", "object-complained-recipient.json"))
		return fmt.Appendf(nil, `{"notificationType":"Complaint","complaint":{"complainedRecipients":[%s]},"mail":{}}`, r)
	}, EventComplaint, []string{"recipient1@example.com"}},
}

func wrapObjects(t *testing.T, typ, key, file string) []byte {
	obj := readFile(t, filepath.Join("testdata", "ses", file))
	mail := readFile(t, filepath.Join("testdata", "ses", "object-mail.json"))
	return fmt.Appendf(nil, `{"notificationType":%q,%q:%s,"mail":%s}`, typ, key, obj, mail)
}

func addrsOf(rs []Record) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Address)
	}
	return out
}

func TestParseSESExamples(t *testing.T) {
	covered := map[string]bool{}
	for _, ex := range sesExamples {
		covered[ex.file] = true
		t.Run(ex.file, func(t *testing.T) {
			n, err := ParseSES(readFile(t, filepath.Join("testdata", "ses", ex.file)))
			if err != nil {
				t.Fatal(err)
			}
			if n.Type != ex.typ || n.EventPublishing != ex.eventPublishing {
				t.Errorf("Type %q, EventPublishing %v; want %q, %v", n.Type, n.EventPublishing, ex.typ, ex.eventPublishing)
			}
			if got := addrsOf(n.Records()); !slices.Equal(got, ex.addrs) {
				t.Errorf("records for %v, want %v", got, ex.addrs)
			}
			if n.Mail.MessageID == "" || n.Mail.Timestamp.IsZero() || len(n.Mail.Destination) == 0 {
				t.Errorf("mail object not decoded: %+v", n.Mail)
			}
			if ex.eventPublishing && n.Mail.Tags["ses:configuration-set"] == nil {
				t.Errorf("tags not decoded: %v", n.Mail.Tags)
			}
			if ex.typ == "Received" && !slices.Contains(n.Unknown, "receipt") {
				t.Errorf("Unknown = %v, want the receipt object reported", n.Unknown)
			}
		})
	}
	for _, ex := range sesObjectExamples {
		for _, f := range strings.Split(ex.name, "+") {
			covered[f] = true
		}
		t.Run(ex.name, func(t *testing.T) {
			n, err := ParseSES(ex.build(t))
			if err != nil {
				t.Fatal(err)
			}
			if n.Type != ex.typ {
				t.Errorf("Type %q, want %q", n.Type, ex.typ)
			}
			if got := addrsOf(n.Records()); !slices.Equal(got, ex.addrs) {
				t.Errorf("records for %v, want %v", got, ex.addrs)
			}
			if len(n.Unknown) != 0 {
				t.Errorf("Unknown = %v, want none", n.Unknown)
			}
		})
	}
	entries, err := os.ReadDir(filepath.Join("testdata", "ses"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !covered[e.Name()] {
			t.Errorf("testdata/ses/%s has no expectation", e.Name())
		}
	}
}

// TestParseSESFields checks field by field what the decoder makes of the
// richest examples.
func TestParseSESFields(t *testing.T) {
	parse := func(t *testing.T, file string) *Notification {
		t.Helper()
		n, err := ParseSES(readFile(t, filepath.Join("testdata", "ses", file)))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	ts := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		file string
		got  func(n *Notification) any
		want any
	}{
		{"event-bounce.json", func(n *Notification) any { return *n.Bounce }, Bounce{
			Type: BouncePermanent, SubType: "General",
			Recipients: []BouncedRecipient{{"recipient@example.com", "failed", "5.1.1", "smtp; 550 5.1.1 user unknown"}},
			Timestamp:  ts("2017-08-05T00:41:02.669Z"), FeedbackID: "01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000",
			ReportingMTA: "dsn; mta.example.com",
		}},
		{"event-complaint.json", func(n *Notification) any { return *n.Complaint }, Complaint{
			Recipients: []ComplainedRecipient{{"recipient@example.com"}}, Timestamp: ts("2017-08-05T00:41:02.669Z"),
			FeedbackID:   "01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000",
			UserAgent:    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/60.0.3112.90 Safari/537.36",
			FeedbackType: "abuse", ArrivalDate: ts("2017-08-05T00:41:02.669Z"),
		}},
		{"notification-delivery.json", func(n *Notification) any { return *n.Delivery }, Delivery{
			Timestamp: ts("2016-01-27T14:59:38.237Z"), ProcessingTime: 546 * time.Millisecond,
			Recipients: []string{"jane@example.com"}, SMTPResponse: "250 ok:  Message 64111812 accepted",
			ReportingMTA: "a8-70.smtp-out.amazonses.com", RemoteMTAIP: "127.0.2.0",
		}},
		{"event-delivery-delay.json", func(n *Notification) any { return *n.DeliveryDelay }, DeliveryDelay{
			Timestamp: ts("2020-06-16T00:25:40.095Z"), DelayType: "TransientCommunicationFailure",
			ExpirationTime:    ts("2020-06-16T00:25:40.914Z"),
			DelayedRecipients: []DelayedRecipient{{"recipient@example.com", "4.4.1", "smtp; 421 4.4.1 Unable to connect to remote host"}},
		}},
		{"event-subscription.json", func(n *Notification) any { return *n.Subscription }, Subscription{
			ContactList: "ContactListName", Timestamp: ts("2022-01-12T01:00:17.910Z"), Source: "UnsubscribeHeader",
			NewTopicPreferences: TopicPreferences{UnsubscribeAll: true, TopicSubscriptionStatus: []TopicStatus{{"ExampleTopicName", "OptOut"}}},
			OldTopicPreferences: TopicPreferences{TopicSubscriptionStatus: []TopicStatus{{"ExampleTopicName", "OptOut"}}},
		}},
		{"event-click.json", func(n *Notification) any { return n.Click.LinkTags }, map[string][]string{"samplekey0": {"samplevalue0"}, "samplekey1": {"samplevalue1"}}},
		{"event-rendering-failure.json", func(n *Notification) any { return *n.RenderingFailure }, RenderingFailure{"MyTemplate", "Attribute 'attributeName' is not present in the rendering data."}},
		{"event-reject.json", func(n *Notification) any { return *n.Reject }, Reject{"Bad content"}},
		{"event-open.json", func(n *Notification) any { return n.Open.IPAddress }, "192.0.2.1"},
		{"real-simulator-event-complaint.json", func(n *Notification) any { return n.Complaint.SubType }, ""},
		{"notification-bounce-with-dsn.json", func(n *Notification) any { return n.Mail.CommonHeaders }, CommonHeaders{
			From: []string{"John Doe <john@example.com>"}, Date: "Wed, 27 Jan 2016 14:05:45 +0000",
			To:        []string{"Jane Doe <jane@example.com>, Mary Doe <mary@example.com>, Richard Doe <richard@example.com>"},
			MessageID: "custom-message-ID", Subject: "Hello",
		}},
		{"event-bounce.json", func(n *Notification) any { return n.Mail.Headers[4] }, Header{"Content-Type", `multipart/alternative; boundary="----=_Part_7307378_1629847660.1516840721503"`}},
		{"notification-bounce-with-dsn.json", func(n *Notification) any { return n.Mail.CallerIdentity }, "IAM_user_or_role_name"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			if got := tt.got(parse(t, tt.file)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
	t.Run("mail timestamp in AWS's odd layout", func(t *testing.T) {
		n, err := ParseSES(wrapObjects(t, "Delivery", "delivery", "object-delivery.json"))
		if err != nil {
			t.Fatal(err)
		}
		if want := time.Date(2018, 10, 8, 14, 5, 45, 0, time.UTC); !n.Mail.Timestamp.Equal(want) {
			t.Errorf("mail timestamp %v, want %v", n.Mail.Timestamp, want)
		}
	})
}

// TestParseShapes feeds one real bounce in every shape it can arrive in.
func TestParseShapes(t *testing.T) {
	httpBody := readFile(t, filepath.Join("testdata", "sns", "django-ses-bounce-notification.json"))
	env, err := ParseEnvelope(httpBody)
	if err != nil {
		t.Fatal(err)
	}
	var generic map[string]any
	if err := json.Unmarshal(httpBody, &generic); err != nil {
		t.Fatal(err)
	}
	sqsBody, err := json.MarshalIndent(generic, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	lambdaEnv := map[string]any{}
	for k, v := range generic {
		k = strings.NewReplacer("URL", "Url").Replace(k)
		lambdaEnv[k] = v
	}
	lambdaEnv["Subject"] = nil
	lambdaEnv["MessageAttributes"] = map[string]any{}
	mustJSON := func(v any) []byte {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	lambdaSNS := mustJSON(map[string]any{"Records": []any{map[string]any{
		"EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": "arn:aws:sns:us-east-1:364852123998:test-email:x",
		"Sns": lambdaEnv,
	}}})
	lambdaSQS := func(body []byte) []byte {
		return mustJSON(map[string]any{"Records": []any{map[string]any{
			"messageId": "979f5ab5", "receiptHandle": "AQEB", "body": string(body),
			"attributes": map[string]any{"ApproximateReceiveCount": "1"}, "eventSource": "aws:sqs",
		}}})
	}
	tests := []struct {
		name   string
		data   []byte
		signed bool
	}{
		{"SNS over HTTP", httpBody, true},
		{"SNS in SQS", sqsBody, true},
		{"raw message delivery", []byte(env.Message), false},
		{"Lambda SNS event", lambdaSNS, true},
		{"Lambda SQS event with an SNS body", lambdaSQS(sqsBody), true},
		{"Lambda SQS event with a raw body", lambdaSQS([]byte(env.Message)), false},
	}
	v := NewVerifier(func(o *VerifierOptions) { o.CertificateSource = &fixtureSource{} })
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns, err := Parse(tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if len(ns) != 1 {
				t.Fatalf("%d notifications, want 1", len(ns))
			}
			n := ns[0]
			if n.Type != EventBounce || n.Bounce.Type != BouncePermanent || n.Bounce.FeedbackID != "0100017fe7044080-b95aeb18-3fb8-408a-be9b-15fdbac3945a-000000" {
				t.Fatalf("parsed %+v", n)
			}
			if got := addrsOf(n.Records()); !slices.Equal(got, []string{"bounce@simulator.amazonses.com"}) {
				t.Errorf("records for %v", got)
			}
			if (n.SNS != nil) != tt.signed {
				t.Fatalf("SNS envelope %v, want %v", n.SNS != nil, tt.signed)
			}
			if tt.signed {
				if n.SNS.HasSubject || n.SNS.MessageID != env.MessageID {
					t.Errorf("envelope %+v", n.SNS)
				}
				if err := v.Verify(t.Context(), n.SNS); err != nil {
					t.Errorf("Verify: %v", err)
				}
			}
		})
	}
}

func TestParseNotSES(t *testing.T) {
	tests := []struct {
		file string
		typ  string
	}{
		{"php-notification-v1.json", SNSNotification},
		{"xrepo-7506a1-sqs-body-unicode-escapes.json", SNSNotification},
		{"javav2-subscription-confirmation-v1.json", SNSSubscriptionConfirmation},
		{"javav2-unsubscribe-confirmation-v2.json", SNSUnsubscribeConfirmation},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			ns, err := Parse(readFile(t, filepath.Join("testdata", "sns", tt.file)))
			if err != nil {
				t.Fatal(err)
			}
			if len(ns) != 1 || ns[0].Type != "" || ns[0].SNS == nil || ns[0].SNS.Type != tt.typ || ns[0].Records() != nil {
				t.Fatalf("parsed %+v", ns[0])
			}
		})
	}
}

func TestParseUnknownTolerated(t *testing.T) {
	data := []byte(`{"eventType":"Bounce","newTopLevel":{"a":[1,2]},
		"bounce":{"bounceType":"Permanent","bounceSubType":"Brand new","future":true,
			"bouncedRecipients":[{"emailAddress":"a@example.com","extra":null}]},
		"mail":{"messageId":"m","timestamp":"last tuesday","newMailField":"x",
			"commonHeaders":{"from":["a@b"],"newHeader":"v"},"headers":[{"name":"A","value":"B","x":1}]},
		"delivery":{"recipients":["stray@example.com"]}}`)
	n, err := ParseSES(data)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"newTopLevel", "bounce.future", "bounce.bouncedRecipients[].extra", "mail.timestamp",
		"mail.newMailField", "mail.commonHeaders.newHeader", "mail.headers[].x", "delivery"}
	if !slices.Equal(n.Unknown, want) {
		t.Errorf("Unknown = %q\nwant      %q", n.Unknown, want)
	}
	if n.Delivery != nil || n.Bounce.SubType != "Brand new" || addrsOf(n.Records())[0] != "a@example.com" {
		t.Errorf("parsed %+v", n)
	}

	n, err = ParseSES([]byte(`{"eventType":"Teleport","teleport":{"to":"mars"},"mail":{}}`))
	if err != nil || n.Type != "Teleport" || n.Records() != nil || !slices.Equal(n.Unknown, []string{"teleport"}) {
		t.Errorf("unknown type: %+v, %v", n, err)
	}
}

func TestParseMalformed(t *testing.T) {
	env := func(msg string) string {
		b, _ := json.Marshal(msg)
		return `{"Type":"Notification","MessageId":"m","TopicArn":"t","Timestamp":"x","Message":` + string(b) + `}`
	}
	tests := []struct{ name, data string }{
		{"empty", ""},
		{"null", "null"},
		{"array", "[]"},
		{"string", `"Notification"`},
		{"unterminated object", `{"Type":"Notification"`},
		{"no shape", `{"hello":"world"}`},
		{"envelope without MessageId", `{"Type":"Notification","TopicArn":"t","Timestamp":"x","Message":"{}"}`},
		{"field twice", `{"Type":"Notification","Type":"Notification","MessageId":"m","TopicArn":"t","Timestamp":"x","Message":"{}"}`},
		{"both spellings", `{"Type":"Notification","MessageId":"m","TopicArn":"t","Timestamp":"x","Message":"","SigningCertURL":"a","SigningCertUrl":"b"}`},
		{"number for a string", `{"Type":1,"MessageId":"m","TopicArn":"t","Timestamp":"x","Message":""}`},
		{"trailing data", env("") + "x"},
		{"two values", env("") + env("")},
		{"Message is broken JSON", env(`{"notificationType":"Bounce",`)},
		{"Bounce without bounce", env(`{"notificationType":"Bounce","mail":{}}`)},
		{"types disagree", env(`{"notificationType":"Bounce","eventType":"Delivery","bounce":{},"delivery":{},"mail":{}}`)},
		{"recipients not an array", env(`{"notificationType":"Bounce","bounce":{"bouncedRecipients":"a@b"},"mail":{}}`)},
		{"recipient not a string", env(`{"notificationType":"Delivery","delivery":{"recipients":[1]},"mail":{}}`)},
		{"bad escape", `{"eventType":"Send","send":{},"mail":{"source":"\x"}}`},
		{"lone backslash at end", `{"eventType":"Send","send":{},"mail":{"source":"\`},
		{"control character", "{\"eventType\":\"Send\",\"send\":{},\"mail\":{\"source\":\"a\x01b\"}}"},
		{"bad number", `{"eventType":"Delivery","delivery":{"processingTimeMillis":01},"mail":{}}`},
		{"bad literal", `{"eventType":"Send","send":{},"mail":{"headersTruncated":tru}}`},
		{"deep nesting", `{"eventType":"Send","x":` + strings.Repeat("[", 1000) + strings.Repeat("]", 1000) + `}`},
		{"Records not an array", `{"Records":{}}`},
		{"record without a message", `{"Records":[{"EventSource":"aws:sns"}]}`},
		{"record with two messages", `{"Records":[{"Sns":` + env("") + `,"body":"x"}]}`},
		{"Records mixed with an envelope", `{"Records":[],"Type":"Notification","MessageId":"m","TopicArn":"t","Timestamp":"x","Message":""}`},
		{"Records inside an SQS body", `{"Records":[{"body":"{\"Records\":[]}"}]}`},
		{"SQS body not JSON", `{"Records":[{"body":"hello"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns, err := Parse([]byte(tt.data))
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Parse = %v, %v; want ErrMalformed", ns, err)
			}
		})
	}
}

// TestDecoderStrings holds the decoder's string decoding to encoding/json's.
func TestDecoderStrings(t *testing.T) {
	tests := []struct{ name, lit string }{
		{"plain", `"hello"`},
		{"escapes", `"a\"b\\c\/d\b\f\n\r\t"`},
		{"unicode escape", `"\u00b5g/m\u00B3"`},
		{"surrogate pair", `"A Test Banana:\uD83C\uDF4C"`},
		{"lone high surrogate", `"\uD83Cx"`},
		{"lone low surrogate", `"\uDF4C"`},
		{"high surrogate then non-surrogate escape", `"\uD83C\u0041"`},
		{"literal backslash-u", `"\\u00b5"`},
		{"UTF-8", `"Grüße, 日本"`},
		{"invalid UTF-8", "\"a\xffb\xc3\""},
		{"CRLF escape", `"Hello\r\nworld!"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want string
			if err := json.Unmarshal([]byte(tt.lit), &want); err != nil {
				t.Fatal(err)
			}
			d := jsonDecoder{data: []byte(tt.lit)}
			got, err := d.str()
			if err != nil || got != want {
				t.Fatalf("decoded %q, %v; encoding/json says %q", got, err, want)
			}
		})
	}
}

func TestParseEnvelopeUnknownFields(t *testing.T) {
	ns, err := Parse(readFile(t, filepath.Join("testdata", "sns", "negative", "tampered-message.json")))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ns[0].SNS.Unknown, []string{"_negative_reason"}) {
		t.Fatalf("Unknown = %q", ns[0].SNS.Unknown)
	}
}

// TestPlainRun checks the eight-bytes-at-a-time scan against the byte
// table, for every byte value at every position of a few words.
func TestPlainRun(t *testing.T) {
	for c := range 256 {
		for pos := range 20 {
			buf := []byte(strings.Repeat("a", 24))
			buf[pos] = byte(c)
			want := len(buf)
			if !plainByte[c] {
				want = pos
			}
			d := jsonDecoder{data: buf}
			if got := d.plainRun(0); got != want {
				t.Fatalf("byte %#x at %d: plainRun = %d, want %d", c, pos, got, want)
			}
		}
	}
}
