package sestest_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"

	"github.com/sesguard/sesguard/sestest"
)

// TestSendEmailRecordsMessages sends each kind of content and checks what
// the server recorded, as a test of sesguard would inspect it.
func TestSendEmailRecordsMessages(t *testing.T) {
	raw := "From: Sender <sender@example.com>\r\nTo: a@example.com, B <b@example.com>\r\nCc: c@example.com\r\nBcc: d@example.com\r\n" +
		"Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\nX-SES-CONFIGURATION-SET: raw-set\r\nX-SES-MESSAGE-TAGS: campaign=spring, batch=7\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n" +
		"--b1\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nHall=C3=B6chen\r\n" +
		"--b1\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\nPHA+aGk8L3A+\r\n--b1--\r\n"
	cases := []struct {
		name string
		in   *sesv2.SendEmailInput
		want sestest.Message
	}{
		{
			name: "simple",
			in: &sesv2.SendEmailInput{
				FromEmailAddress: aws.String("Sender Name <sender@example.com>"),
				Destination: &types.Destination{ToAddresses: []string{"To One <to@example.com>"},
					CcAddresses: []string{"cc@example.com"}, BccAddresses: []string{"bcc@example.com"}},
				ReplyToAddresses: []string{"reply@example.com"},
				Content: &types.EmailContent{Simple: &types.Message{
					Subject: &types.Content{Data: aws.String("Grüße")},
					Body: &types.Body{Text: &types.Content{Data: aws.String("Hello text")},
						Html: &types.Content{Data: aws.String("<p>Hello html</p>")}},
					Headers: []types.MessageHeader{{Name: aws.String("List-Unsubscribe"), Value: aws.String("<mailto:u@example.com>")}},
				}},
				ConfigurationSetName:  aws.String("ConfigSet"),
				EmailTags:             []types.MessageTag{{Name: aws.String("campaign"), Value: aws.String("welcome")}},
				ListManagementOptions: &types.ListManagementOptions{ContactListName: aws.String("List"), TopicName: aws.String("Topic")},
			},
			want: sestest.Message{Operation: "SendEmail", From: "Sender Name <sender@example.com>", ReplyTo: []string{"reply@example.com"},
				To: []string{"To One <to@example.com>"}, Cc: []string{"cc@example.com"}, Bcc: []string{"bcc@example.com"},
				Recipients: []string{"to@example.com", "cc@example.com", "bcc@example.com"},
				Subject:    "Grüße", Text: "Hello text", HTML: "<p>Hello html</p>", Tags: map[string]string{"campaign": "welcome"},
				ConfigurationSet: "ConfigSet", ContactList: "List", Topic: "Topic"},
		},
		{
			name: "raw with recipients from its headers",
			in:   &sesv2.SendEmailInput{Content: &types.EmailContent{Raw: &types.RawMessage{Data: []byte(raw)}}},
			want: sestest.Message{Operation: "SendEmail", From: "Sender <sender@example.com>",
				To: []string{"a@example.com", "b@example.com"}, Cc: []string{"c@example.com"}, Bcc: []string{"d@example.com"},
				Recipients: []string{"a@example.com", "b@example.com", "c@example.com", "d@example.com"},
				Subject:    "Grüße", Text: "Hallöchen", HTML: "<p>hi</p>", Tags: map[string]string{"campaign": "spring", "batch": "7"},
				ConfigurationSet: "raw-set"},
		},
		{
			name: "raw with a destination",
			in: &sesv2.SendEmailInput{FromEmailAddress: aws.String("other@example.com"),
				Destination: &types.Destination{ToAddresses: []string{"only@example.com"}},
				Content:     &types.EmailContent{Raw: &types.RawMessage{Data: []byte(raw)}}},
			want: sestest.Message{Operation: "SendEmail", From: "other@example.com", To: []string{"only@example.com"},
				Recipients: []string{"only@example.com"}, Subject: "Grüße", Text: "Hallöchen", HTML: "<p>hi</p>",
				Tags: map[string]string{"campaign": "spring", "batch": "7"}, ConfigurationSet: "raw-set"},
		},
		{
			name: "named template",
			in: &sesv2.SendEmailInput{FromEmailAddress: aws.String("sender@example.com"),
				Destination: &types.Destination{ToAddresses: []string{"jane@example.com"}},
				Content: &types.EmailContent{Template: &types.Template{TemplateName: aws.String("Welcome"),
					TemplateData: aws.String(`{"name":"Jane","order":{"id":42}}`)}}},
			want: sestest.Message{Operation: "SendEmail", From: "sender@example.com", To: []string{"jane@example.com"},
				Recipients: []string{"jane@example.com"}, Subject: "Hi Jane", Text: "Order 42", HTML: "<b>Jane</b>",
				Template: "Welcome", TemplateData: `{"name":"Jane","order":{"id":42}}`},
		},
		{
			name: "template by ARN",
			in: &sesv2.SendEmailInput{FromEmailAddress: aws.String("sender@example.com"),
				Destination: &types.Destination{ToAddresses: []string{"jane@example.com"}},
				Content: &types.EmailContent{Template: &types.Template{TemplateArn: aws.String("arn:aws:ses:us-east-1:123456789012:template/Welcome"),
					TemplateData: aws.String(`{"name":"Al","order":{"id":"A1"}}`)}}},
			want: sestest.Message{Operation: "SendEmail", From: "sender@example.com", To: []string{"jane@example.com"},
				Recipients: []string{"jane@example.com"}, Subject: "Hi Al", Text: "Order A1", HTML: "<b>Al</b>",
				Template: "Welcome", TemplateData: `{"name":"Al","order":{"id":"A1"}}`},
		},
		{
			name: "inline template",
			in: &sesv2.SendEmailInput{FromEmailAddress: aws.String("sender@example.com"),
				Destination: &types.Destination{ToAddresses: []string{"jane@example.com"}},
				Content: &types.EmailContent{Template: &types.Template{
					TemplateContent: &types.EmailTemplateContent{Subject: aws.String("Yo {{ who }}"), Text: aws.String("t")},
					TemplateData:    aws.String(`{"who":"you"}`)}}},
			want: sestest.Message{Operation: "SendEmail", From: "sender@example.com", To: []string{"jane@example.com"},
				Recipients: []string{"jane@example.com"}, Subject: "Yo you", Text: "t", Template: "inline", TemplateData: `{"who":"you"}`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, client, clk := start(t, func(o *sestest.Options) {
				o.Templates = map[string]sestest.Template{"Welcome": {Subject: "Hi {{name}}", Text: "Order {{order.id}}", HTML: "<b>{{name}}</b>"}}
			})
			out, err := client.SendEmail(ctxT(t), tc.in)
			if err != nil {
				t.Fatal(err)
			}
			msgs := srv.Messages()
			if len(msgs) != 1 {
				t.Fatalf("%d messages recorded", len(msgs))
			}
			got := msgs[0]
			if got.MessageID != aws.ToString(out.MessageId) || !got.Timestamp.Equal(clk.Now()) || got.SourceIP != "127.0.0.1" {
				t.Errorf("id %q (answered %q), time %v, source %q", got.MessageID, aws.ToString(out.MessageId), got.Timestamp, got.SourceIP)
			}
			if len(got.Raw) == 0 || len(got.Headers) == 0 {
				t.Errorf("no MIME recorded: %d bytes, %d headers", len(got.Raw), len(got.Headers))
			}
			for _, n := range srv.Notifications() {
				headers, _ := field(decode(t, n.Message), "mail", "headers").([]any)
				for _, h := range headers {
					if name := field(h, "name"); strings.EqualFold(fmt.Sprint(name), "Bcc") {
						t.Errorf("%s %s shows the Bcc header", n.Format, n.Type)
					}
				}
			}
			want := tc.want
			want.MessageID, want.Timestamp, want.SourceIP, want.Raw, want.Headers = got.MessageID, got.Timestamp, got.SourceIP, got.Raw, got.Headers
			if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", want) {
				t.Errorf("recorded\n%#v\nwant\n%#v", got, want)
			}
		})
	}
}

// TestSimpleMIME checks the MIME message the server builds for Simple
// content: it parses back to the same parts.
func TestSimpleMIME(t *testing.T) {
	srv, client, _ := start(t)
	in := simple("to@example.com")
	in.Content.Simple.Body.Html = &types.Content{Data: aws.String("<p>é</p>")}
	in.Content.Simple.Subject.Data = aws.String("Ünïcode")
	if _, err := client.SendEmail(ctxT(t), in); err != nil {
		t.Fatal(err)
	}
	built := srv.Messages()[0].Raw
	again, err := client.SendEmail(ctxT(t), &sesv2.SendEmailInput{Content: &types.EmailContent{Raw: &types.RawMessage{Data: built}}})
	if err != nil {
		t.Fatalf("the built MIME does not go back through SendEmail: %v\n%s", err, built)
	}
	got := srv.Messages()[1]
	if got.Subject != "Ünïcode" || got.Text != "Hello text" || got.HTML != "<p>é</p>" || !slices.Equal(got.Recipients, []string{"to@example.com"}) {
		t.Errorf("parsed back %q %q %q %v (id %s)", got.Subject, got.Text, got.HTML, got.Recipients, aws.ToString(again.MessageId))
	}
}

// TestSendEmailRejectsBadInput drives invalid requests through the SDK and
// checks the typed error it yields.
func TestSendEmailRejectsBadInput(t *testing.T) {
	many := make([]string, 51)
	for i := range many {
		many[i] = fmt.Sprintf("r%d@example.com", i)
	}
	big := bytes.Repeat([]byte("x"), 10<<20+1)
	cases := []struct {
		name   string
		in     *sesv2.SendEmailInput
		status int
		code   string
		msg    string
	}{
		{"no recipients", simple(), 400, "BadRequestException", "no recipients"},
		{"51 recipients", simple(many...), 400, "BadRequestException", "51 recipients; the limit is 50"},
		{"bad recipient", simple("not an address"), 400, "BadRequestException", "invalid email address"},
		{"non-ASCII address", simple("jörg@example.com"), 400, "BadRequestException", "7-bit ASCII"},
		{"no sender", func() *sesv2.SendEmailInput { in := simple("a@example.com"); in.FromEmailAddress = nil; return in }(), 400, "BadRequestException", "FromEmailAddress"},
		{"no body", func() *sesv2.SendEmailInput {
			in := simple("a@example.com")
			in.Content.Simple.Body = &types.Body{}
			return in
		}(), 400, "BadRequestException", "Body needs Text or Html"},
		{"two kinds of content", func() *sesv2.SendEmailInput {
			in := simple("a@example.com")
			in.Content.Raw = &types.RawMessage{Data: []byte("Subject: x\r\n\r\nx")}
			return in
		}(), 400, "BadRequestException", "exactly one of Simple, Raw or Template"},
		{"reserved tag", func() *sesv2.SendEmailInput {
			in := simple("a@example.com")
			in.EmailTags = []types.MessageTag{{Name: aws.String("ses:operation"), Value: aws.String("x")}}
			return in
		}(), 400, "BadRequestException", "invalid message tag name"},
		{"malformed raw", &sesv2.SendEmailInput{Content: &types.EmailContent{Raw: &types.RawMessage{Data: []byte("no colon here\r\n\r\nbody")}}},
			400, "BadRequestException", "could not parse the raw message"},
		{"raw over 10 MB", &sesv2.SendEmailInput{Destination: &types.Destination{ToAddresses: []string{"a@example.com"}},
			Content: &types.EmailContent{Raw: &types.RawMessage{Data: big}}}, 400, "MessageRejected", "Message length is more than 10485760 bytes long"},
		{"unknown template", &sesv2.SendEmailInput{FromEmailAddress: aws.String("s@example.com"),
			Destination: &types.Destination{ToAddresses: []string{"a@example.com"}},
			Content:     &types.EmailContent{Template: &types.Template{TemplateName: aws.String("Nope")}}}, 404, "NotFoundException", "Template Nope does not exist."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, client, _ := start(t)
			_, err := client.SendEmail(ctxT(t), tc.in)
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v, want an API error", err)
			}
			var re interface{ HTTPStatusCode() int }
			if apiErr.ErrorCode() != tc.code || !strings.Contains(apiErr.ErrorMessage(), tc.msg) || !errors.As(err, &re) || re.HTTPStatusCode() != tc.status {
				t.Errorf("got %v", err)
			}
			if n := len(srv.Messages()); n != 0 {
				t.Errorf("%d messages accepted", n)
			}
		})
	}
}

// TestTypedErrors checks that each SES error reaches the caller as the SDK's
// own error type.
func TestTypedErrors(t *testing.T) {
	srv, client, _ := start(t)
	if _, err := client.SendEmail(ctxT(t), simple()); !errors.As(err, new(*types.BadRequestException)) {
		t.Errorf("no recipients: %T %v", err, err)
	}
	if err := srv.UpdateAccount(func(a *sestest.Account) { a.Sandbox = true }); err != nil {
		t.Fatal(err)
	}
	if _, err := client.SendEmail(ctxT(t), simple("a@example.com")); !errors.As(err, new(*types.MessageRejected)) {
		t.Errorf("sandbox: %T %v", err, err)
	}
	if _, err := client.GetSuppressedDestination(ctxT(t), &sesv2.GetSuppressedDestinationInput{EmailAddress: aws.String("x@example.com")}); !errors.As(err, new(*types.NotFoundException)) {
		t.Errorf("suppression: %T %v", err, err)
	}
}

// TestErrorsOnTheWire compares the server's error responses with the SES
// wire examples: status, Content-Type, X-Amzn-ErrorType and a body with
// exactly a "message" member. Errors the emulated account cannot produce by
// itself are injected with SetFault, which answers the same way.
func TestErrorsOnTheWire(t *testing.T) {
	files, err := filepath.Glob("testdata/sesv2/error-*.http")
	if err != nil || len(files) != 8 {
		t.Fatalf("fixtures: %v %v", files, err)
	}
	for _, f := range files {
		code := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "error-"), ".http")
		t.Run(code, func(t *testing.T) {
			fixture, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			head, wantBody, _ := strings.Cut(strings.ReplaceAll(string(fixture), "\r\n", "\n"), "\n\n")
			var wantStatus int
			if _, err := fmt.Sscanf(head, "HTTP/1.1 %d", &wantStatus); err != nil {
				t.Fatal(err)
			}
			var wantMsg struct{ Message string }
			if err := json.Unmarshal([]byte(wantBody), &wantMsg); err != nil {
				t.Fatal(err)
			}

			srv, _, _ := start(t, func(o *sestest.Options) { o.Account.MaxSendRate = 1 })
			body := `{"FromEmailAddress":"sender@example.com","Destination":{"ToAddresses":["success@simulator.amazonses.com"]},` +
				`"Content":{"Simple":{"Subject":{"Data":"s"},"Body":{"Text":{"Data":"b"}}}}}`
			path := "/v2/email/outbound-emails"
			switch code {
			case "BadRequestException":
				body = `{"Content":`
			case "MessageRejected":
				_ = srv.UpdateAccount(func(a *sestest.Account) { a.VerifiedIdentities = []string{"other@example.com"} })
			case "TooManyRequestsException":
				post(t, srv, path, body)
			case "SendingPausedException":
				_ = srv.UpdateAccount(func(a *sestest.Account) { a.SendingPaused = true })
			case "AccountSuspendedException":
				_ = srv.UpdateAccount(func(a *sestest.Account) { a.Suspended = true })
			case "NotFoundException":
				body = `{"FromEmailAddress":"s@example.com","Destination":{"ToAddresses":["a@example.com"]},"Content":{"Template":{"TemplateName":"T"}}}`
			default:
				srv.SetFault(func(op string, req []byte) *sestest.Fault {
					if op != "SendEmail" || !strings.Contains(string(req), "success@simulator") {
						t.Errorf("fault hook called for %s with %s", op, req)
					}
					return &sestest.Fault{Status: wantStatus, Code: code, Message: wantMsg.Message}
				})
			}
			resp, gotBody := post(t, srv, path, body)
			if resp.StatusCode != wantStatus || resp.Header.Get("X-Amzn-ErrorType") != code || resp.Header.Get("Content-Type") != "application/json" {
				t.Errorf("status %d, X-Amzn-ErrorType %q, Content-Type %q; want %d %s", resp.StatusCode,
					resp.Header.Get("X-Amzn-ErrorType"), resp.Header.Get("Content-Type"), wantStatus, code)
			}
			var got map[string]any
			if err := json.Unmarshal(gotBody, &got); err != nil || len(got) != 1 || got["message"] == "" {
				t.Errorf("body %s: want {\"message\": ...}", gotBody)
			}
			if resp.Header.Get("X-Amzn-Requestid") == "" {
				t.Error("no x-amzn-RequestId")
			}
		})
	}
}

func post(t *testing.T, srv *sestest.Server, path, body string) (*http.Response, []byte) {
	t.Helper()
	return do(t, srv, http.MethodPost, path, body)
}

func do(t *testing.T, srv *sestest.Server, method, path, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctxT(t), method, srv.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// TestMalformedRequests sends what no SDK would: each gets a 4xx in SES's
// error shape, never a 500, and nothing is accepted.
func TestMalformedRequests(t *testing.T) {
	cases := []struct {
		name, method, path, body, code string
	}{
		{"empty body", "POST", "/v2/email/outbound-emails", "", "BadRequestException"},
		{"not JSON", "POST", "/v2/email/outbound-emails", "From: x", "BadRequestException"},
		{"truncated JSON", "POST", "/v2/email/outbound-emails", `{"Content":{"Simple":`, "BadRequestException"},
		{"wrong member type", "POST", "/v2/email/outbound-emails", `{"Destination":{"ToAddresses":"a@example.com"}}`, "BadRequestException"},
		{"trailing data", "POST", "/v2/email/outbound-emails", `{} {}`, "BadRequestException"},
		{"raw not base64", "POST", "/v2/email/outbound-emails", `{"Content":{"Raw":{"Data":"%%%"}}}`, "BadRequestException"},
		{"missing content", "POST", "/v2/email/outbound-emails", `{"FromEmailAddress":"a@example.com"}`, "BadRequestException"},
		{"null content", "POST", "/v2/email/outbound-emails", `null`, "BadRequestException"},
		{"bulk without template", "POST", "/v2/email/outbound-bulk-emails", `{"FromEmailAddress":"a@example.com","BulkEmailEntries":[{}]}`, "BadRequestException"},
		{"bulk with 51 entries", "POST", "/v2/email/outbound-bulk-emails", `{"FromEmailAddress":"a@example.com","DefaultContent":{"Template":{"TemplateName":"T"}},"BulkEmailEntries":[` +
			strings.TrimSuffix(strings.Repeat(`{"Destination":{"ToAddresses":["a@example.com"]}},`, 51), ",") + `]}`, "BadRequestException"},
		{"suppression reason", "PUT", "/v2/email/suppression/addresses", `{"EmailAddress":"a@example.com","Reason":"SPAM"}`, "BadRequestException"},
		{"suppression address", "PUT", "/v2/email/suppression/addresses", `{"EmailAddress":"nope","Reason":"BOUNCE"}`, "BadRequestException"},
		{"page size", "GET", "/v2/email/suppression/addresses?PageSize=0", "", "BadRequestException"},
		{"start date", "GET", "/v2/email/suppression/addresses?StartDate=yesterday", "", "BadRequestException"},
		{"next token", "GET", "/v2/email/suppression/addresses?NextToken=%25%25", "", "InvalidNextTokenException"},
		{"insights without address", "POST", "/v2/email/email-address-insights", `{}`, "BadRequestException"},
		{"unknown operation", "POST", "/v2/email/contact-lists", `{}`, "UnknownOperationException"},
		{"wrong method", "DELETE", "/v2/email/account", "", "UnknownOperationException"},
		{"unknown path", "GET", "/", "", "UnknownOperationException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, _, _ := start(t)
			resp, body := do(t, srv, tc.method, tc.path, tc.body)
			if resp.StatusCode < 400 || resp.StatusCode > 499 || resp.Header.Get("X-Amzn-ErrorType") != tc.code {
				t.Errorf("status %d, X-Amzn-ErrorType %q, body %s; want 4xx %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), body, tc.code)
			}
			var got map[string]string
			if err := json.Unmarshal(body, &got); err != nil || got["message"] == "" {
				t.Errorf("body %s: want {\"message\": ...}", body)
			}
			if len(srv.Messages()) != 0 {
				t.Error("a message was accepted")
			}
		})
	}
}

// TestOversizeRequestBody sends a body larger than any valid request.
func TestOversizeRequestBody(t *testing.T) {
	srv, _, _ := start(t)
	body := `{"Content":{"Raw":{"Data":"` + strings.Repeat("QUFB", 17<<20/4) + `"}}}`
	resp, got := post(t, srv, "/v2/email/outbound-emails", body)
	if resp.StatusCode != 400 || resp.Header.Get("X-Amzn-ErrorType") != "MessageRejected" || !strings.Contains(string(got), "10485760") {
		t.Errorf("status %d %q %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), got)
	}
}

// TestSendBulkEmail sends entries of which one is bad: it is reported in
// its result and the others go, each with its own template data and tags.
func TestSendBulkEmail(t *testing.T) {
	srv, client, _ := start(t, func(o *sestest.Options) {
		o.Templates = map[string]sestest.Template{"Hi": {Subject: "Hi {{name}}", Text: "Hello {{name}}"}}
	})
	out, err := client.SendBulkEmail(ctxT(t), &sesv2.SendBulkEmailInput{
		FromEmailAddress: aws.String("sender@example.com"),
		DefaultContent: &types.BulkEmailContent{Template: &types.Template{
			TemplateName: aws.String("Hi"), TemplateData: aws.String(`{"name":"you"}`)}},
		DefaultEmailTags: []types.MessageTag{{Name: aws.String("campaign"), Value: aws.String("spring")}},
		BulkEmailEntries: []types.BulkEmailEntry{
			{Destination: &types.Destination{ToAddresses: []string{"ann@example.com"}},
				ReplacementEmailContent: &types.ReplacementEmailContent{ReplacementTemplate: &types.ReplacementTemplate{ReplacementTemplateData: aws.String(`{"name":"Ann"}`)}},
				ReplacementTags:         []types.MessageTag{{Name: aws.String("campaign"), Value: aws.String("ann")}}},
			{Destination: &types.Destination{ToAddresses: []string{"broken"}}},
			{Destination: &types.Destination{ToAddresses: []string{"bob@example.com", "bounce@simulator.amazonses.com"}}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	var statuses []types.BulkEmailStatus
	for _, r := range out.BulkEmailEntryResults {
		statuses = append(statuses, r.Status)
	}
	if want := []types.BulkEmailStatus{"SUCCESS", "INVALID_PARAMETER", "SUCCESS"}; !slices.Equal(statuses, want) {
		t.Fatalf("statuses %v, want %v", statuses, want)
	}
	if aws.ToString(out.BulkEmailEntryResults[1].Error) == "" || out.BulkEmailEntryResults[1].MessageId != nil {
		t.Errorf("bad entry result: %+v", out.BulkEmailEntryResults[1])
	}
	msgs := srv.Messages()
	if len(msgs) != 2 {
		t.Fatalf("%d messages", len(msgs))
	}
	for i, want := range []struct{ subject, campaign, id string }{
		{"Hi Ann", "ann", aws.ToString(out.BulkEmailEntryResults[0].MessageId)},
		{"Hi you", "spring", aws.ToString(out.BulkEmailEntryResults[2].MessageId)},
	} {
		m := msgs[i]
		if m.Operation != "SendBulkEmail" || m.Subject != want.subject || m.Tags["campaign"] != want.campaign || m.MessageID != want.id {
			t.Errorf("message %d: %s %q %v %s", i, m.Operation, m.Subject, m.Tags, m.MessageID)
		}
	}
	if q := srv.Quota(); q.Recipients != 3 || q.SentLast24Hours != 2 {
		t.Errorf("quota after bulk: %+v", q)
	}
	if got := len(byType(srv.Notifications(), sestest.IdentityFormat, "Bounce")); got != 1 {
		t.Errorf("%d bounces", got)
	}
}

// TestRenderingFailure: a template naming data that is not given is
// accepted, not sent, and reported as a Rendering Failure event.
func TestRenderingFailure(t *testing.T) {
	srv, client, _ := start(t)
	srv.SetTemplate("T", sestest.Template{Subject: "Hi {{name}}"})
	in := &sesv2.SendEmailInput{FromEmailAddress: aws.String("sender@example.com"),
		Destination:          &types.Destination{ToAddresses: []string{"a@example.com"}},
		ConfigurationSetName: aws.String("cs"),
		Content:              &types.EmailContent{Template: &types.Template{TemplateName: aws.String("T"), TemplateData: aws.String(`{"nom":"x"}`)}}}
	if _, err := client.SendEmail(ctxT(t), in); err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, n := range srv.Notifications() {
		types = append(types, string(n.Format)+":"+n.Type)
	}
	if want := []string{"eventType:Send", "eventType:Rendering Failure"}; !slices.Equal(types, want) {
		t.Fatalf("notifications %v, want %v", types, want)
	}
	p := decode(t, srv.Notifications()[1].Message)
	if msg := field(p, "failure", "errorMessage"); msg != "Attribute 'name' is not present in the rendering data." {
		t.Errorf("errorMessage %v", msg)
	}
}

// TestSimulatorOutcomes sends one message to every simulator mailbox (with
// labels) and checks which notifications each gets.
func TestSimulatorOutcomes(t *testing.T) {
	srv, client, _ := start(t)
	to := []string{"success@simulator.amazonses.com", "bounce+x@simulator.amazonses.com", "ooto@simulator.amazonses.com",
		"complaint+y@simulator.amazonses.com", "suppressionlist@simulator.amazonses.com", "friend@example.com"}
	out, err := client.SendEmail(ctxT(t), simple(to...))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, n := range srv.Notifications() {
		if n.MessageID != aws.ToString(out.MessageId) || n.Format != sestest.IdentityFormat {
			t.Errorf("unexpected notification %s %s about %s", n.Format, n.Type, n.MessageID)
		}
		p := decode(t, n.Message)
		kind := n.Type
		if n.Type == "Bounce" {
			kind += "/" + fmt.Sprint(field(p, "bounce", "bounceType")) + "/" + fmt.Sprint(field(p, "bounce", "bounceSubType"))
		}
		for _, r := range n.Recipients {
			got[r] = append(got[r], kind)
		}
	}
	want := map[string][]string{
		"success@simulator.amazonses.com":         {"Delivery"},
		"bounce+x@simulator.amazonses.com":        {"Bounce/Permanent/General"},
		"ooto@simulator.amazonses.com":            {"Delivery"},
		"complaint+y@simulator.amazonses.com":     {"Delivery", "Complaint"},
		"suppressionlist@simulator.amazonses.com": {"Bounce/Permanent/Suppressed"},
		"friend@example.com":                      {"Delivery"},
	}
	if !maps.EqualFunc(got, want, slices.Equal) {
		t.Errorf("outcomes\n%v\nwant\n%v", got, want)
	}
	delivery := byType(srv.Notifications(), sestest.IdentityFormat, "Delivery")
	if len(delivery) != 1 || len(delivery[0].Recipients) != 4 {
		t.Errorf("deliveries are not batched into one notification: %d", len(delivery))
	}
	replies := srv.AutoReplies()
	if len(replies) != 1 || replies[0].From != "ooto@simulator.amazonses.com" || replies[0].To != "sender@example.com" || replies[0].InReplyTo != aws.ToString(out.MessageId) {
		t.Errorf("auto replies %+v", replies)
	}
	if q := srv.Quota(); q.SentLast24Hours != 1 || q.Recipients != 6 {
		t.Errorf("only friend@example.com counts toward the daily quota: %+v", q)
	}
}

// TestMailboxes gives ordinary addresses other outcomes.
func TestMailboxes(t *testing.T) {
	cases := []struct {
		outcome sestest.Outcome
		want    []string
	}{
		{sestest.OutcomeDeliver, []string{"Delivery"}},
		{sestest.OutcomeBounce, []string{"Bounce:Permanent/General"}},
		{sestest.OutcomeSuppressed, []string{"Bounce:Permanent/Suppressed"}},
		{sestest.OutcomeOnAccountSuppressionList, []string{"Bounce:Permanent/OnAccountSuppressionList"}},
		{sestest.OutcomeComplaint, []string{"Delivery", "Complaint"}},
		{sestest.OutcomeAutoReply, []string{"Delivery"}},
		{sestest.OutcomeSoftBounce, []string{"Bounce:Transient/General"}},
		{sestest.OutcomeMailboxFull, []string{"Bounce:Transient/MailboxFull"}},
		{sestest.OutcomeDelay, []string{"DeliveryDelay", "Delivery"}},
		{sestest.OutcomeUnsubscribe, []string{"Delivery", "Subscription"}},
		{sestest.OutcomeEngage, []string{"Delivery", "Open", "Click"}},
	}
	for _, tc := range cases {
		t.Run(tc.outcome.String(), func(t *testing.T) {
			srv, client, _ := start(t)
			srv.SetMailbox("User@Example.com", tc.outcome)
			in := simple("user@example.COM")
			in.ConfigurationSetName = aws.String("cs")
			in.ListManagementOptions = &types.ListManagementOptions{ContactListName: aws.String("L"), TopicName: aws.String("T")}
			if _, err := client.SendEmail(ctxT(t), in); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, n := range srv.Notifications() {
				if n.Format != sestest.EventFormat || n.Type == "Send" {
					continue
				}
				kind := n.Type
				if n.Type == "Bounce" {
					p := decode(t, n.Message)
					kind += fmt.Sprintf(":%v/%v", field(p, "bounce", "bounceType"), field(p, "bounce", "bounceSubType"))
				}
				got = append(got, kind)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("events %v, want %v", got, tc.want)
			}
		})
	}
}

// TestSetFault injects an error for one recipient's sends only, leaves other
// operations alone, and is removed by SetFault(nil).
func TestSetFault(t *testing.T) {
	srv, client, _ := start(t)
	srv.SetFault(func(op string, body []byte) *sestest.Fault {
		if op == "SendEmail" && strings.Contains(string(body), "flaky@example.com") {
			return &sestest.Fault{Status: 500, Code: "InternalServiceErrorException", Message: "try again"}
		}
		return nil
	})
	_, err := client.SendEmail(ctxT(t), simple("flaky@example.com"))
	if !errors.As(err, new(*types.InternalServiceErrorException)) {
		t.Fatalf("err %v, want InternalServiceErrorException", err)
	}
	if _, err := client.SendEmail(ctxT(t), simple("fine@example.com")); err != nil {
		t.Fatal(err)
	}
	if _, err := client.GetAccount(ctxT(t), &sesv2.GetAccountInput{}); err != nil {
		t.Fatal(err)
	}
	srv.SetFault(nil)
	if _, err := client.SendEmail(ctxT(t), simple("flaky@example.com")); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range srv.Messages() {
		got = append(got, m.Recipients...)
	}
	if !slices.Equal(got, []string{"fine@example.com", "flaky@example.com"}) {
		t.Errorf("accepted %v", got)
	}
}
