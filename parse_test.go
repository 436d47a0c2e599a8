package sesguard

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/sns"
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
			n, err := decodeSES(readFile(t, filepath.Join("testdata", "ses", ex.file)))
			require.NoError(t, err)
			assert.Equal(t, ex.typ, n.Type)
			assert.Equal(t, ex.eventPublishing, n.EventPublishing)
			assert.Equal(t, ex.addrs, addrsOf(n.Records()))
			assert.NotEmpty(t, n.Mail.MessageID, "mail object not decoded")
			assert.False(t, n.Mail.Timestamp.IsZero(), "mail object not decoded")
			assert.NotEmpty(t, n.Mail.Destination, "mail object not decoded")
			if ex.eventPublishing {
				assert.NotNil(t, n.Mail.Tags["ses:configuration-set"], "tags not decoded")
			}
			if ex.typ == "Received" {
				assert.Contains(t, n.Unknown, "receipt")
			}
		})
	}
	for _, ex := range sesObjectExamples {
		for _, f := range strings.Split(ex.name, "+") {
			covered[f] = true
		}
		t.Run(ex.name, func(t *testing.T) {
			n, err := decodeSES(ex.build(t))
			require.NoError(t, err)
			assert.Equal(t, ex.typ, n.Type)
			assert.Equal(t, ex.addrs, addrsOf(n.Records()))
			assert.Empty(t, n.Unknown)
		})
	}
	entries, err := os.ReadDir(filepath.Join("testdata", "ses"))
	require.NoError(t, err)
	for _, e := range entries {
		assert.True(t, covered[e.Name()], "testdata/ses/%s has no expectation", e.Name())
	}
}

// TestParseSESFields checks field by field what the decoder makes of the
// richest examples.
func TestParseSESFields(t *testing.T) {
	parse := func(t *testing.T, file string) *Notification {
		t.Helper()
		n, err := decodeSES(readFile(t, filepath.Join("testdata", "ses", file)))
		require.NoError(t, err)
		return n
	}
	ts := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		require.NoError(t, err)
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
			assert.Equal(t, tt.want, tt.got(parse(t, tt.file)))
		})
	}
	t.Run("mail timestamp in AWS's odd layout", func(t *testing.T) {
		n, err := decodeSES(wrapObjects(t, "Delivery", "delivery", "object-delivery.json"))
		require.NoError(t, err)
		assert.True(t, n.Mail.Timestamp.Equal(time.Date(2018, 10, 8, 14, 5, 45, 0, time.UTC)), "mail timestamp %v", n.Mail.Timestamp)
	})
}

// TestParseShapes feeds one real bounce in every shape it can arrive in.
func TestParseShapes(t *testing.T) {
	httpBody := readFile(t, bounceFixture)
	env, err := sns.ParseEnvelope(httpBody)
	require.NoError(t, err)
	var generic map[string]any
	require.NoError(t, json.Unmarshal(httpBody, &generic))
	sqsBody, err := json.MarshalIndent(generic, "", "  ")
	require.NoError(t, err)
	lambdaEnv := map[string]any{}
	for k, v := range generic {
		k = strings.NewReplacer("URL", "Url").Replace(k)
		lambdaEnv[k] = v
	}
	lambdaEnv["Subject"] = nil
	lambdaEnv["MessageAttributes"] = map[string]any{}
	mustJSON := func(v any) []byte {
		b, err := json.Marshal(v)
		require.NoError(t, err)
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
	v, err := sns.NewValidator(func(o *sns.ValidatorOptions) {
		o.TopicARNs = []string{env.TopicARN}
		o.MaxAge = sns.NoMaxAge
		o.CertificateSource = snsFixtures()
	})
	require.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns, err := Parse(tt.data)
			require.NoError(t, err)
			require.Len(t, ns, 1)
			n := ns[0]
			require.Equal(t, EventBounce, n.Type)
			assert.Equal(t, BouncePermanent, n.Bounce.Type)
			assert.Equal(t, "0100017fe7044080-b95aeb18-3fb8-408a-be9b-15fdbac3945a-000000", n.Bounce.FeedbackID)
			assert.Equal(t, []string{"bounce@simulator.amazonses.com"}, addrsOf(n.Records()))
			require.Equal(t, tt.signed, n.SNS != nil, "SNS envelope")
			if tt.signed {
				assert.False(t, n.SNS.HasSubject)
				assert.Equal(t, env.MessageID, n.SNS.MessageID)
				assert.NoError(t, v.Validate(t.Context(), n.SNS))
			}
		})
	}
}

func TestParseNotSES(t *testing.T) {
	tests := []struct {
		file string
		typ  string
	}{
		{"php-notification-v1.json", sns.TypeNotification},
		{"xrepo-7506a1-sqs-body-unicode-escapes.json", sns.TypeNotification},
		{"javav2-subscription-confirmation-v1.json", sns.TypeSubscriptionConfirmation},
		{"javav2-unsubscribe-confirmation-v2.json", sns.TypeUnsubscribeConfirmation},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			ns, err := Parse(readFile(t, filepath.Join(snsTestdata, tt.file)))
			require.NoError(t, err)
			require.Len(t, ns, 1)
			assert.Empty(t, ns[0].Type)
			require.NotNil(t, ns[0].SNS)
			assert.Equal(t, tt.typ, ns[0].SNS.Type)
			assert.Nil(t, ns[0].Records())
		})
	}
}

func TestParseUnknownTolerated(t *testing.T) {
	data := []byte(`{"eventType":"Bounce","newTopLevel":{"a":[1,2]},
		"bounce":{"bounceType":"Permanent","bounceSubType":"Brand new","future":true,
			"bouncedRecipients":[{"emailAddress":"a@example.com","extra":null},{"emailAddress":"b@example.com","extra":1}]},
		"mail":{"messageId":"m","timestamp":"last tuesday","newMailField":"x",
			"commonHeaders":{"from":["a@b"],"newHeader":"v"},"headers":[{"name":"A","value":"B","x":1}]},
		"delivery":{"recipients":["stray@example.com"]}}`)
	n, err := decodeSES(data)
	require.NoError(t, err)
	assert.Equal(t, []string{"bounce.bouncedRecipients[].extra", "bounce.future", "delivery", "mail.commonHeaders.newHeader",
		"mail.headers[].x", "mail.newMailField", "mail.timestamp", "newTopLevel"}, n.Unknown)
	assert.Nil(t, n.Delivery)
	assert.Equal(t, "Brand new", n.Bounce.SubType)
	assert.Equal(t, []string{"a@example.com", "b@example.com"}, addrsOf(n.Records()))

	n, err = decodeSES([]byte(`{"eventType":"Teleport","teleport":{"to":"mars"},"mail":{}}`))
	require.NoError(t, err)
	assert.Equal(t, EventType("Teleport"), n.Type)
	assert.Nil(t, n.Records())
	assert.Equal(t, []string{"teleport"}, n.Unknown)
}

// TestParseStringsAreCopies checks that no string of a parsed notification
// shares memory with the input: the store keeps addresses, and an address
// that pointed into a request buffer would keep the whole buffer alive.
func TestParseStringsAreCopies(t *testing.T) {
	data := readFile(t, bounceFixture)
	ns, err := Parse(data)
	require.NoError(t, err)
	n := ns[0]
	for _, s := range []string{n.Bounce.Recipients[0].EmailAddress, n.Mail.Destination[0], n.Mail.MessageID, n.SNS.Message, n.SNS.MessageID} {
		assert.False(t, within(s, data), "%q points into the input", s)
	}
	for _, r := range n.Records() {
		assert.False(t, within(r.Address, data) || within(r.Address, []byte(n.SNS.Message)), "record address %q shares a larger buffer", r.Address)
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
		{"both spellings", `{"Type":"Notification","MessageId":"m","TopicArn":"t","Timestamp":"x","Message":"{}","SigningCertURL":"a","SigningCertUrl":"b"}`},
		{"number for a string", `{"Type":1,"MessageId":"m","TopicArn":"t","Timestamp":"x","Message":"{}"}`},
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
		{"Records mixed with an envelope", `{"Records":[],"Type":"Notification","MessageId":"m","TopicArn":"t","Timestamp":"x","Message":"{}"}`},
		{"invalid UTF-8", "{\"eventType\":\"Send\",\"send\":{},\"mail\":{\"source\":\"a\xffb\"}}"},
		{"member twice", `{"eventType":"Send","send":{},"mail":{"source":"a","source":"b"}}`},
		{"headersTruncated not a boolean", `{"eventType":"Send","send":{},"mail":{"headersTruncated":"maybe"}}`},
		{"SES event without its object in an SQS body", `{"Records":[{"body":"{\"eventType\":\"Send\"}"}]}`},
		{"Records inside an SQS body", `{"Records":[{"body":"{\"Records\":[]}"}]}`},
		{"SQS body not JSON", `{"Records":[{"body":"hello"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns, err := Parse([]byte(tt.data))
			require.ErrorIs(t, err, ErrMalformed, "parsed %v", ns)
			assert.Nil(t, ns)
		})
	}
}
