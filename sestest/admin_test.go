package sestest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/sestest"
)

// wireError reads one of the reference error responses: its status, code
// and message.
func wireError(t *testing.T, name string) (int, string, string) {
	t.Helper()
	b, err := os.ReadFile("testdata/sesv2/error-" + name + ".http")
	require.NoError(t, err)
	head, body, _ := strings.Cut(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n\n")
	var status int
	_, err = fmt.Sscanf(head, "HTTP/1.1 %d", &status)
	require.NoError(t, err)
	var msg struct{ Message string }
	require.NoError(t, json.Unmarshal([]byte(body), &msg))
	return status, name, msg.Message
}

// TestUnknownConfigurationSet: a send naming a configuration set that does
// not exist answers 404 NotFoundException with the reference's message,
// and nothing is sent or published.
func TestUnknownConfigurationSet(t *testing.T) {
	srv, _, _ := start(t)
	status, code, msg := wireError(t, "NotFoundException")
	resp, body := post(t, srv, "/v2/email/outbound-emails", `{"FromEmailAddress":"sender@example.com",`+
		`"Destination":{"ToAddresses":["a@example.com"]},"ConfigurationSetName":"<ConfigSet>",`+
		`"Content":{"Simple":{"Subject":{"Data":"s"},"Body":{"Text":{"Data":"b"}}}}}`)
	assert.Equal(t, status, resp.StatusCode)
	assert.Equal(t, code, resp.Header.Get("X-Amzn-ErrorType"))
	assert.JSONEq(t, `{"message":`+string(must(json.Marshal(msg)))+`}`, string(body))
	assert.Empty(t, srv.Messages())
	assert.Empty(t, srv.Notifications())
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestConfigurationSetsOverHTTP sets a configuration set and its event
// destination up through the SDK, as a non-Go suite would, and checks that
// events are published only for the event types the destination matches.
func TestConfigurationSetsOverHTTP(t *testing.T) {
	srv, client, _ := start(t)
	ctx := ctxT(t)
	_, err := client.CreateConfigurationSet(ctx, &sesv2.CreateConfigurationSetInput{ConfigurationSetName: aws.String("tracked")})
	require.NoError(t, err)
	_, err = client.CreateConfigurationSet(ctx, &sesv2.CreateConfigurationSetInput{ConfigurationSetName: aws.String("tracked")})
	var exists *types.AlreadyExistsException
	require.ErrorAs(t, err, &exists)

	_, err = client.CreateConfigurationSetEventDestination(ctx, &sesv2.CreateConfigurationSetEventDestinationInput{
		ConfigurationSetName: aws.String("tracked"),
		EventDestinationName: aws.String("feedback"),
		EventDestination: &types.EventDestinationDefinition{
			Enabled:            true,
			MatchingEventTypes: []types.EventType{types.EventTypeBounce, types.EventTypeComplaint},
			SnsDestination:     &types.SnsDestination{TopicArn: aws.String(srv.TopicARN())},
		},
	})
	require.NoError(t, err)
	got, err := client.GetConfigurationSetEventDestinations(ctx, &sesv2.GetConfigurationSetEventDestinationsInput{ConfigurationSetName: aws.String("tracked")})
	require.NoError(t, err)
	require.Len(t, got.EventDestinations, 1)
	d := got.EventDestinations[0]
	assert.Equal(t, "feedback", aws.ToString(d.Name))
	assert.True(t, d.Enabled)
	assert.Equal(t, []types.EventType{types.EventTypeBounce, types.EventTypeComplaint}, d.MatchingEventTypes)
	assert.Equal(t, srv.TopicARN(), aws.ToString(d.SnsDestination.TopicArn))

	sets, err := client.ListConfigurationSets(ctx, &sesv2.ListConfigurationSetsInput{})
	require.NoError(t, err)
	assert.Contains(t, sets.ConfigurationSets, "tracked")

	in := simple("bounce@simulator.amazonses.com", "success@simulator.amazonses.com")
	in.ConfigurationSetName = aws.String("tracked")
	_, err = client.SendEmail(ctx, in)
	require.NoError(t, err)
	var events []string
	for _, n := range srv.Notifications() {
		if n.Format == sestest.EventFormat {
			events = append(events, n.Type)
		}
	}
	assert.Equal(t, []string{"Bounce"}, events, "only the matching event types are published")

	_, err = client.DeleteConfigurationSet(ctx, &sesv2.DeleteConfigurationSetInput{ConfigurationSetName: aws.String("tracked")})
	require.NoError(t, err)
	_, err = client.GetConfigurationSetEventDestinations(ctx, &sesv2.GetConfigurationSetEventDestinationsInput{ConfigurationSetName: aws.String("tracked")})
	var notFound *types.NotFoundException
	require.ErrorAs(t, err, &notFound)
}

// TestAccountSuppressionListLearns: a hard bounce or a complaint on an
// ordinary address puts it on the account-level suppression list, with the
// message and feedback ids in Attributes as in the reference response;
// mailbox simulator addresses never go on it, and an account that
// suppresses no reason learns nothing.
func TestAccountSuppressionListLearns(t *testing.T) {
	srv, client, _ := start(t)
	ctx := ctxT(t)
	srv.SetMailbox("gone@example.com", sestest.OutcomeBounce)
	srv.SetMailbox("angry@example.com", sestest.OutcomeComplaint)
	out, err := client.SendEmail(ctx, simple("gone@example.com", "angry@example.com", "bounce@simulator.amazonses.com", "soft@example.com"))
	require.NoError(t, err)
	feedback := map[string]string{}
	for _, n := range srv.Notifications() {
		if n.Format != sestest.IdentityFormat {
			continue
		}
		var p struct {
			Bounce *struct {
				FeedbackID string `json:"feedbackId"`
			} `json:"bounce"`
			Complaint *struct {
				FeedbackID string `json:"feedbackId"`
			} `json:"complaint"`
		}
		require.NoError(t, json.Unmarshal(n.Message, &p))
		for _, r := range n.Recipients {
			switch {
			case p.Bounce != nil:
				feedback[r] = p.Bounce.FeedbackID
			case p.Complaint != nil:
				feedback[r] = p.Complaint.FeedbackID
			}
		}
	}

	ref := map[string]any{}
	require.NoError(t, json.Unmarshal(must(os.ReadFile("testdata/sesv2/get-suppressed-destination-response.json")), &ref))
	for addr, reason := range map[string]types.SuppressionListReason{"gone@example.com": types.SuppressionListReasonBounce, "angry@example.com": types.SuppressionListReasonComplaint} {
		got, err := client.GetSuppressedDestination(ctx, &sesv2.GetSuppressedDestinationInput{EmailAddress: aws.String(addr)})
		require.NoError(t, err, addr)
		d := got.SuppressedDestination
		assert.Equal(t, reason, d.Reason, addr)
		require.NotNil(t, d.Attributes, addr)
		assert.Equal(t, aws.ToString(out.MessageId), aws.ToString(d.Attributes.MessageId), addr)
		assert.Equal(t, feedback[addr], aws.ToString(d.Attributes.FeedbackId), addr)

		_, raw := do(t, srv, http.MethodGet, "/v2/email/suppression/addresses/"+addr, "")
		wire := map[string]any{}
		require.NoError(t, json.Unmarshal(raw, &wire))
		assert.Equal(t, memberPaths(ref), memberPaths(wire), "the wire shape is the reference's")
	}
	for _, addr := range []string{"bounce@simulator.amazonses.com", "soft@example.com"} {
		_, err := client.GetSuppressedDestination(ctx, &sesv2.GetSuppressedDestinationInput{EmailAddress: aws.String(addr)})
		var notFound *types.NotFoundException
		assert.ErrorAs(t, err, &notFound, addr)
	}

	acct, err := client.GetAccount(ctx, &sesv2.GetAccountInput{})
	require.NoError(t, err)
	assert.Equal(t, []types.SuppressionListReason{"BOUNCE", "COMPLAINT"}, acct.SuppressionAttributes.SuppressedReasons)

	_, err = client.PutAccountSuppressionAttributes(ctx, &sesv2.PutAccountSuppressionAttributesInput{SuppressedReasons: []types.SuppressionListReason{}})
	require.NoError(t, err)
	srv.SetMailbox("later@example.com", sestest.OutcomeBounce)
	_, err = client.SendEmail(ctx, simple("later@example.com"))
	require.NoError(t, err)
	_, err = client.GetSuppressedDestination(ctx, &sesv2.GetSuppressedDestinationInput{EmailAddress: aws.String("later@example.com")})
	var notFound *types.NotFoundException
	assert.ErrorAs(t, err, &notFound, "an account that suppresses no reason learns nothing")
}

// memberPaths returns the member names of a JSON object, nested objects' with
// their path.
func memberPaths(m map[string]any) []string {
	var keys []string
	for k, v := range m {
		keys = append(keys, k)
		if sub, ok := v.(map[string]any); ok {
			for _, sk := range memberPaths(sub) {
				keys = append(keys, k+"."+sk)
			}
		}
	}
	slices.Sort(keys)
	return keys
}

// TestUnknownOperationIs404: an operation the server does not emulate
// answers 404 UnknownOperationException, as SES does.
func TestUnknownOperationIs404(t *testing.T) {
	srv, _, _ := start(t)
	resp, _ := do(t, srv, http.MethodGet, "/v2/email/contact-lists", "")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Equal(t, "UnknownOperationException", resp.Header.Get("X-Amzn-ErrorType"))
}

// TestTemplatesOverHTTP creates, reads, lists, updates and deletes a
// template through the SDK, and sends with it.
func TestTemplatesOverHTTP(t *testing.T) {
	srv, client, _ := start(t)
	ctx := ctxT(t)
	_, err := client.CreateEmailTemplate(ctx, &sesv2.CreateEmailTemplateInput{TemplateName: aws.String("welcome"),
		TemplateContent: &types.EmailTemplateContent{Subject: aws.String("Hi {{name}}"), Text: aws.String("Welcome, {{name}}.")}})
	require.NoError(t, err)
	got, err := client.GetEmailTemplate(ctx, &sesv2.GetEmailTemplateInput{TemplateName: aws.String("welcome")})
	require.NoError(t, err)
	assert.Equal(t, "Hi {{name}}", aws.ToString(got.TemplateContent.Subject))
	_, err = client.UpdateEmailTemplate(ctx, &sesv2.UpdateEmailTemplateInput{TemplateName: aws.String("welcome"),
		TemplateContent: &types.EmailTemplateContent{Subject: aws.String("Hello {{name}}"), Text: aws.String("Welcome, {{name}}.")}})
	require.NoError(t, err)
	list, err := client.ListEmailTemplates(ctx, &sesv2.ListEmailTemplatesInput{})
	require.NoError(t, err)
	require.Len(t, list.TemplatesMetadata, 1)
	assert.Equal(t, "welcome", aws.ToString(list.TemplatesMetadata[0].TemplateName))

	_, err = client.SendEmail(ctx, &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("sender@example.com"),
		Destination:      &types.Destination{ToAddresses: []string{"a@example.com"}},
		Content: &types.EmailContent{Template: &types.Template{TemplateName: aws.String("welcome"),
			TemplateData: aws.String(`{"name":"Ann"}`)}},
	})
	require.NoError(t, err)
	assert.Equal(t, "Hello Ann", srv.Messages()[0].Subject)

	_, err = client.DeleteEmailTemplate(ctx, &sesv2.DeleteEmailTemplateInput{TemplateName: aws.String("welcome")})
	require.NoError(t, err)
	_, err = client.GetEmailTemplate(ctx, &sesv2.GetEmailTemplateInput{TemplateName: aws.String("welcome")})
	var notFound *types.NotFoundException
	assert.ErrorAs(t, err, &notFound)
}

// TestIdentities lists and reads identities, with their DKIM and MAIL
// FROM state, and creates one through the SDK.
func TestIdentities(t *testing.T) {
	srv, client, _ := start(t, func(o *sestest.Options) {
		o.Account.VerifiedIdentities = []string{"sender@example.com"}
		o.Identities = []sestest.Identity{{Name: "example.org", MailFromDomain: "mail.example.org"}}
	})
	ctx := ctxT(t)
	srv.SetIdentity(sestest.Identity{Name: "pending.example", VerificationStatus: "PENDING", DKIMStatus: "PENDING"})
	_, err := client.CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String("ops@example.net")})
	require.NoError(t, err)
	_, err = client.CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String("ops@example.net")})
	var exists *types.AlreadyExistsException
	require.ErrorAs(t, err, &exists)

	var names []string
	p := sesv2.NewListEmailIdentitiesPaginator(client, &sesv2.ListEmailIdentitiesInput{PageSize: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		require.NoError(t, err)
		pages++
		for _, id := range page.EmailIdentities {
			names = append(names, aws.ToString(id.IdentityName))
			assert.Equal(t, id.VerificationStatus == types.VerificationStatusSuccess, id.SendingEnabled)
		}
	}
	assert.Equal(t, []string{"example.org", "ops@example.net", "pending.example", "sender@example.com"}, names)
	assert.Equal(t, 2, pages)

	dom, err := client.GetEmailIdentity(ctx, &sesv2.GetEmailIdentityInput{EmailIdentity: aws.String("example.org")})
	require.NoError(t, err)
	assert.Equal(t, types.IdentityTypeDomain, dom.IdentityType)
	assert.True(t, dom.VerifiedForSendingStatus)
	assert.Equal(t, types.DkimStatusSuccess, dom.DkimAttributes.Status)
	assert.Len(t, dom.DkimAttributes.Tokens, 3)
	assert.Equal(t, "mail.example.org", aws.ToString(dom.MailFromAttributes.MailFromDomain))
	assert.Equal(t, types.MailFromDomainStatusSuccess, dom.MailFromAttributes.MailFromDomainStatus)

	pending, err := client.GetEmailIdentity(ctx, &sesv2.GetEmailIdentityInput{EmailIdentity: aws.String("pending.example")})
	require.NoError(t, err)
	assert.False(t, pending.VerifiedForSendingStatus)
	assert.Equal(t, types.VerificationStatusPending, pending.VerificationStatus)

	_, err = client.SendEmail(ctx, &sesv2.SendEmailInput{FromEmailAddress: aws.String("x@pending.example"),
		Destination: &types.Destination{ToAddresses: []string{"a@example.com"}},
		Content:     &types.EmailContent{Simple: simple().Content.Simple}})
	var rejected *types.MessageRejected
	assert.ErrorAs(t, err, &rejected, "a pending identity may not send")

	_, err = client.DeleteEmailIdentity(ctx, &sesv2.DeleteEmailIdentityInput{EmailIdentity: aws.String("ops@example.net")})
	require.NoError(t, err)
	_, err = client.GetEmailIdentity(ctx, &sesv2.GetEmailIdentityInput{EmailIdentity: aws.String("ops@example.net")})
	var notFound *types.NotFoundException
	assert.ErrorAs(t, err, &notFound)
}

// TestRequireSignature: with RequireSignature, an unsigned request, an
// unknown key and a wrong secret are refused with SES's 403 errors, and
// the SDK's signed requests, paths with escaped addresses included, pass.
func TestRequireSignature(t *testing.T) {
	srv, client, _ := start(t, func(o *sestest.Options) { o.RequireSignature = true })
	ctx := ctxT(t)
	_, err := client.GetAccount(ctx, &sesv2.GetAccountInput{})
	require.NoError(t, err)
	put(t, client, "a+b@example.com", types.SuppressionListReasonBounce)
	_, err = client.GetSuppressedDestination(ctx, &sesv2.GetSuppressedDestinationInput{EmailAddress: aws.String("a+b@example.com")})
	require.NoError(t, err, "a signed path with an escaped address")
	_, err = client.ListSuppressedDestinations(ctx, &sesv2.ListSuppressedDestinationsInput{Reasons: []types.SuppressionListReason{"BOUNCE"}, PageSize: aws.Int32(5)})
	require.NoError(t, err, "a signed query")

	resp, _ := do(t, srv, http.MethodGet, "/v2/email/account", "")
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Equal(t, "MissingAuthenticationTokenException", resp.Header.Get("X-Amzn-ErrorType"))

	for name, tc := range map[string]struct{ key, secret, code string }{
		"unknown key":  {"AKIAUNKNOWN000000000", sestest.SecretAccessKey, "UnrecognizedClientException"},
		"wrong secret": {sestest.AccessKeyID, "not-the-secret", "InvalidSignatureException"},
	} {
		c := srv.Client(sestest.NoRetries, func(o *sesv2.Options) {
			o.Credentials = credentials.NewStaticCredentialsProvider(tc.key, tc.secret, "")
		})
		_, err := c.GetAccount(ctx, &sesv2.GetAccountInput{})
		assert.Equal(t, tc.code, errorCode(err), name)
	}
}

// TestBulkEntryStatuses: what fails one entry of a SendBulkEmail call is
// reported in that entry's status, as SES's model defines, and the other
// entries still go.
func TestBulkEntryStatuses(t *testing.T) {
	srv, client, _ := start(t, func(o *sestest.Options) {
		o.Templates = map[string]sestest.Template{"T": {Subject: "s", Text: "t"}}
		o.Account.Max24HourSend = 2
	})
	ctx := ctxT(t)
	bulk := func(template, configSet string, to ...string) *sesv2.SendBulkEmailOutput {
		in := &sesv2.SendBulkEmailInput{
			FromEmailAddress: aws.String("sender@example.com"),
			DefaultContent:   &types.BulkEmailContent{Template: &types.Template{TemplateName: aws.String(template)}},
		}
		if configSet != "" {
			in.ConfigurationSetName = aws.String(configSet)
		}
		for _, a := range to {
			in.BulkEmailEntries = append(in.BulkEmailEntries, types.BulkEmailEntry{Destination: &types.Destination{ToAddresses: []string{a}}})
		}
		out, err := client.SendBulkEmail(ctx, in)
		require.NoError(t, err)
		return out
	}
	statuses := func(out *sesv2.SendBulkEmailOutput) []types.BulkEmailStatus {
		var s []types.BulkEmailStatus
		for _, r := range out.BulkEmailEntryResults {
			s = append(s, r.Status)
		}
		return s
	}
	assert.Equal(t, []types.BulkEmailStatus{types.BulkEmailStatusTemplateNotFound}, statuses(bulk("missing", "", "a@example.com")))
	assert.Equal(t, []types.BulkEmailStatus{types.BulkEmailStatusConfigurationSetNotFound}, statuses(bulk("T", "missing", "a@example.com")))
	assert.Equal(t, []types.BulkEmailStatus{types.BulkEmailStatusSuccess, types.BulkEmailStatusSuccess, types.BulkEmailStatusAccountDailyQuotaExceeded},
		statuses(bulk("T", "", "a@example.com", "b@example.com", "c@example.com")))
	assert.Len(t, srv.Messages(), 2)
}
