package sesguard_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/sestest"
	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/unsubscribe"
)

const unsubURL = "https://mail.example.com/unsubscribe"

func unsubKeys(t testing.TB, id string, b byte) *unsubscribe.Keys {
	t.Helper()
	k, err := unsubscribe.NewKeys(unsubscribe.Key{ID: id, Secret: bytes.Repeat([]byte{b}, 32)})
	require.NoError(t, err)
	return k
}

// unsubClient returns the emulator and a Client on the real SDK client
// that adds unsubscribe fields with keys.
func unsubClient(t *testing.T, keys *unsubscribe.Keys, optFns ...func(*sesguard.Options)) (*sestest.Server, *sesguard.Client) {
	t.Helper()
	srv, api := newSES(t)
	c, err := sesguard.New(api, append([]func(*sesguard.Options){func(o *sesguard.Options) {
		o.Unsubscribe = sesguard.UnsubscribeOptions{URL: unsubURL, Mailto: "unsubscribe@mail.example.com", Keys: keys}
	}}, optFns...)...)
	require.NoError(t, err)
	return srv, c
}

// header returns the values of the field name in m, as received.
func header(m sestest.Message, name string) []string {
	var vs []string
	for _, h := range m.Headers {
		if strings.EqualFold(h.Name, name) {
			vs = append(vs, h.Value)
		}
	}
	return vs
}

// linkOf checks that m carries exactly one pair of one-click fields and
// returns the HTTPS URI of its List-Unsubscribe, and the token parsed.
func linkOf(t *testing.T, keys *unsubscribe.Keys, m sestest.Message) (string, unsubscribe.Token) {
	t.Helper()
	lu := header(m, "List-Unsubscribe")
	require.Len(t, lu, 1, "List-Unsubscribe fields of %s", m.Raw)
	require.Equal(t, []string{"List-Unsubscribe=One-Click"}, header(m, "List-Unsubscribe-Post"))
	https, mailto, ok := strings.Cut(lu[0], ", ")
	require.True(t, ok, lu[0])
	require.True(t, strings.HasPrefix(https, "<"+unsubURL+"?t=") && strings.HasSuffix(https, ">"), https)
	require.True(t, strings.HasPrefix(mailto, "<mailto:unsubscribe@mail.example.com?subject=unsubscribe%20"), mailto)
	u := strings.Trim(https, "<>")
	parsed, err := url.Parse(u)
	require.NoError(t, err)
	tok, err := keys.Parse(parsed.Query().Get("t"))
	require.NoError(t, err)
	assert.NotContains(t, lu[0], tok.Address, "the address must not be in clear")
	// The raw message as received reads back with the same field.
	msg, err := mail.ReadMessage(bytes.NewReader(m.Raw))
	require.NoError(t, err)
	assert.Equal(t, lu[0], msg.Header.Get("List-Unsubscribe"))
	return u, tok
}

func rawMessage(to string) []byte {
	return []byte("From: sender@example.com\r\nTo: " + to + "\r\nSubject: Weekly\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThis week's news.\r\n")
}

func TestListSendCarriesOneClickFields(t *testing.T) {
	keys := unsubKeys(t, "k1", 1)
	srv, c := unsubClient(t, keys)
	news := sesguard.ForList(ctx, "news")

	simpleIn := simple("Bob <Bob@Example.COM>")
	simpleIn.Content.Simple.Headers = []types.MessageHeader{{Name: aws.String("X-Campaign"), Value: aws.String("w48")}}
	callerHeaders := simpleIn.Content.Simple.Headers
	_, err := c.Send(news, simpleIn)
	require.NoError(t, err)
	assert.Len(t, simpleIn.Content.Simple.Headers, 1, "the caller's input is not modified")
	assert.Len(t, callerHeaders, 1)

	templ := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("sender@example.com"),
		Destination:      &types.Destination{ToAddresses: []string{"carol@example.com"}},
		Content:          &types.EmailContent{Template: &types.Template{TemplateName: aws.String("t"), TemplateData: aws.String("{}")}},
	}
	_, err = c.Send(news, templ)
	require.NoError(t, err)

	raw := rawMessage("dave@example.com")
	_, err = c.Send(news, &sesv2.SendEmailInput{Content: &types.EmailContent{Raw: &types.RawMessage{Data: raw}}})
	require.NoError(t, err)
	assert.Equal(t, rawMessage("dave@example.com"), raw, "the caller's raw message is not modified")

	_, err = c.SendBulkEmail(news, bulk([]string{"erin@example.com"}, []string{"frank@example.com"}, []string{"Grace <grace@example.com>"}))
	require.NoError(t, err)

	sent := srv.Messages()
	require.Len(t, sent, 6)
	want := []string{"bob@example.com", "carol@example.com", "dave@example.com", "erin@example.com", "frank@example.com", "grace@example.com"}
	links := map[string]bool{}
	for i, m := range sent {
		u, tok := linkOf(t, keys, m)
		assert.Equal(t, want[i], tok.Address, "message %d (%s)", i, m.Operation)
		assert.Equal(t, "news", tok.List)
		assert.False(t, links[u], "every recipient has a link of its own")
		links[u] = true
	}
	assert.Equal(t, []string{"w48"}, header(sent[0], "X-Campaign"), "the caller's headers stay")
	assert.Equal(t, "Weekly", sent[2].Subject, "the raw message still reads")
	assert.Equal(t, "This week's news.\r\n", strings.SplitN(string(sent[2].Raw), "\r\n\r\n", 2)[1], "the raw body is untouched")
}

func TestTransactionalSendCarriesNoFields(t *testing.T) {
	keys := unsubKeys(t, "k1", 1)
	srv, c := unsubClient(t, keys)
	_, err := c.Send(ctx, simple("bob@example.com", "carol@example.com"))
	require.NoError(t, err, "several recipients are fine for transactional mail")
	_, err = c.Send(ctx, &sesv2.SendEmailInput{Content: &types.EmailContent{Raw: &types.RawMessage{Data: rawMessage("dave@example.com")}}})
	require.NoError(t, err)
	_, err = c.SendBulkEmail(ctx, bulk([]string{"erin@example.com"}))
	require.NoError(t, err)

	contactList := simple("frank@example.com")
	contactList.ListManagementOptions = &types.ListManagementOptions{ContactListName: aws.String("Customers"), TopicName: aws.String("News")}
	_, err = c.Send(sesguard.ForList(ctx, "news"), contactList)
	require.NoError(t, err)

	sent := srv.Messages()
	require.Len(t, sent, 4)
	for _, m := range sent {
		assert.Empty(t, header(m, "List-Unsubscribe"), "%s to %v", m.Operation, m.Recipients)
		assert.Empty(t, header(m, "List-Unsubscribe-Post"))
	}
	assert.Equal(t, "Customers", sent[3].ContactList, "SES adds its own fields to contact-list mail; sesguard adds none")
}

func TestListSendKeepsTheSendersOwnField(t *testing.T) {
	keys := unsubKeys(t, "k1", 1)
	srv, c := unsubClient(t, keys)
	news := sesguard.ForList(ctx, "news")
	own := "<https://own.example.com/u/1>"

	in := simple("bob@example.com")
	in.Content.Simple.Headers = []types.MessageHeader{{Name: aws.String("list-unsubscribe"), Value: aws.String(own)}}
	_, err := c.Send(news, in)
	require.NoError(t, err)

	raw := []byte("From: sender@example.com\r\nTo: carol@example.com\r\nList-Unsubscribe: " + own + "\r\nSubject: x\r\n\r\nbody")
	_, err = c.Send(news, &sesv2.SendEmailInput{Content: &types.EmailContent{Raw: &types.RawMessage{Data: raw}}})
	require.NoError(t, err)

	b := bulk([]string{"dave@example.com"})
	b.BulkEmailEntries[0].ReplacementHeaders = []types.MessageHeader{{Name: aws.String("List-Unsubscribe"), Value: aws.String(own)}}
	_, err = c.SendBulkEmail(news, b)
	require.NoError(t, err)

	for _, m := range srv.Messages() {
		assert.Equal(t, []string{own}, header(m, "List-Unsubscribe"), "%s: never a second field", m.Operation)
		assert.Empty(t, header(m, "List-Unsubscribe-Post"))
	}
}

func TestListSendToSeveralRecipientsIsRefused(t *testing.T) {
	keys := unsubKeys(t, "k1", 1)
	srv, c := unsubClient(t, keys)
	news := sesguard.ForList(ctx, "news")

	cc := simple("bob@example.com")
	cc.Destination.CcAddresses = []string{"carol@example.com"}
	rawTwo := &sesv2.SendEmailInput{Content: &types.EmailContent{Raw: &types.RawMessage{Data: rawMessage("bob@example.com, carol@example.com")}}}
	for name, send := range map[string]func() error{
		"simple": func() error { _, err := c.Send(news, simple("bob@example.com", "carol@example.com")); return err },
		"cc":     func() error { _, err := c.Send(news, cc); return err },
		"raw":    func() error { _, err := c.Send(news, rawTwo); return err },
		"bulk": func() error {
			_, err := c.SendBulkEmail(news, bulk([]string{"a@example.com"}, []string{"b@example.com", "c@example.com"}))
			return err
		},
		"bad entry": func() error { _, err := c.SendBulkEmail(news, bulk([]string{"not an address"})); return err },
	} {
		t.Run(name, func(t *testing.T) {
			require.ErrorIs(t, send(), sesguard.ErrInvalidMessage)
		})
	}
	assert.Empty(t, srv.Messages(), "nothing was sent")

	_, err := c.Send(news, simple("Bob <bob@example.com>", "BOB@example.com"))
	require.NoError(t, err, "one address written twice is one recipient")
}

func TestWithUnsubscribeOverridesPerSend(t *testing.T) {
	keys := unsubKeys(t, "k1", 1)
	other := unsubKeys(t, "brand2", 2)
	srv, c := unsubClient(t, keys)

	off := sesguard.WithUnsubscribe(sesguard.ForList(ctx, "news"), sesguard.UnsubscribeOptions{})
	_, err := c.Send(off, simple("a@example.com"))
	require.NoError(t, err)

	brand := sesguard.WithUnsubscribe(sesguard.ForList(ctx, "deals"), sesguard.UnsubscribeOptions{URL: unsubURL + "?brand=2", Keys: other})
	_, err = c.Send(brand, simple("b@example.com"))
	require.NoError(t, err)

	asked := sesguard.WithUnsubscribe(ctx, sesguard.UnsubscribeOptions{URL: unsubURL, Keys: keys, List: "account-summary"})
	_, err = c.Send(asked, simple("c@example.com"))
	require.NoError(t, err)

	_, err = c.Send(sesguard.WithUnsubscribe(sesguard.ForList(ctx, "news"), sesguard.UnsubscribeOptions{URL: "http://insecure.example.com/u", Keys: keys}), simple("d@example.com"))
	require.ErrorIs(t, err, sesguard.ErrInvalidMessage)

	sent := srv.Messages()
	require.Len(t, sent, 3)
	assert.Empty(t, header(sent[0], "List-Unsubscribe"), "the zero options turn the fields off")

	lu := header(sent[1], "List-Unsubscribe")
	require.Len(t, lu, 1)
	require.True(t, strings.HasPrefix(lu[0], "<"+unsubURL+"?brand=2&t="), lu[0])
	u, _ := url.Parse(strings.Trim(lu[0], "<>"))
	tok, err := other.Parse(u.Query().Get("t"))
	require.NoError(t, err)
	assert.Equal(t, unsubscribe.Token{Address: "b@example.com", List: "deals", IssuedAt: tok.IssuedAt, KeyID: "brand2"}, tok)

	lu = header(sent[2], "List-Unsubscribe")
	require.Len(t, lu, 1, "transactional mail gets the fields when asked")
	u, _ = url.Parse(strings.Trim(lu[0], "<>"))
	tok, err = keys.Parse(u.Query().Get("t"))
	require.NoError(t, err)
	assert.Equal(t, "account-summary", tok.List)
}

func TestNewRefusesBadUnsubscribeOptions(t *testing.T) {
	keys := unsubKeys(t, "k1", 1)
	for name, o := range map[string]sesguard.UnsubscribeOptions{
		"no keys":        {URL: unsubURL},
		"http":           {URL: "http://example.com/u", Keys: keys},
		"relative":       {URL: "/unsubscribe", Keys: keys},
		"bad mailto":     {URL: unsubURL, Keys: keys, Mailto: "nobody"},
		"reserved list":  {URL: unsubURL, Keys: keys, List: "ses-contact-list:x"},
		"token in query": {URL: unsubURL + "?t=1", Keys: keys},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := sesguard.New(funcAPI{}, func(opt *sesguard.Options) { opt.Unsubscribe = o })
			require.Error(t, err)
		})
	}
}

// oneClick posts to link exactly as RFC 8058 §3.2 describes: the form
// body, no cookie, no redirect followed.
func oneClick(t *testing.T, srv *httptest.Server, link string) int {
	t.Helper()
	u, err := url.Parse(link)
	require.NoError(t, err)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Post(srv.URL+u.Path+"?"+u.RawQuery, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	require.NoError(t, resp.Body.Close())
	return resp.StatusCode
}

func TestUnsubscribeBlocksTheListOnly(t *testing.T) {
	keys := unsubKeys(t, "k1", 1)
	var mu sync.Mutex
	var told []unsubscribe.Token
	ses, c := unsubClient(t, keys)
	h := httptest.NewServer(c.UnsubscribeHandler(func(o *sesguard.UnsubscribeHandlerOptions) {
		o.OnUnsubscribe = func(_ context.Context, tok unsubscribe.Token) error {
			mu.Lock()
			defer mu.Unlock()
			told = append(told, tok)
			return nil
		}
	}))
	defer h.Close()

	news := sesguard.ForList(ctx, "news")
	_, err := c.Send(news, simple("Bob <Bob@Example.com>"))
	require.NoError(t, err)
	link, _ := linkOf(t, keys, ses.Messages()[0])

	require.Equal(t, http.StatusOK, oneClick(t, h, link))
	require.Equal(t, http.StatusOK, oneClick(t, h, link), "a repeated POST is harmless")
	mu.Lock()
	require.Len(t, told, 2)
	assert.Equal(t, "bob@example.com", told[0].Address)
	assert.Equal(t, "news", told[0].List)
	mu.Unlock()

	_, err = c.Send(news, simple("bob@example.com"))
	require.ErrorIs(t, err, sesguard.ErrSuppressed, "the next mail for the list is refused")
	var se *sesguard.SuppressedError
	require.ErrorAs(t, err, &se)
	require.Len(t, se.Skipped, 1)
	assert.Equal(t, store.ReasonUnsubscribe, se.Skipped[0].Reason)
	assert.Equal(t, store.Scope("news"), se.Skipped[0].Scope)
	assert.Equal(t, sesguard.SourceUnsubscribeLink, se.Skipped[0].Source)

	out, err := c.SendBulkEmail(news, bulk([]string{"bob@example.com"}, []string{"carol@example.com"}))
	require.NoError(t, err)
	assert.Equal(t, sesguard.BulkStatusSuppressed, out.BulkEmailEntryResults[0].Status)
	assert.Equal(t, types.BulkEmailStatusSuccess, out.BulkEmailEntryResults[1].Status)

	reset := simple("bob@example.com")
	reset.Content.Simple.Subject.Data = aws.String("Reset your password")
	_, err = c.Send(ctx, reset)
	require.NoError(t, err, "a password reset still goes out")
	_, err = c.Send(sesguard.ForList(ctx, "deals"), simple("bob@example.com"))
	require.NoError(t, err, "another list still goes out")

	sent := ses.Messages()
	require.Len(t, sent, 4)
	assert.Equal(t, "Reset your password", sent[2].Subject)
	assert.Equal(t, []string{"bob@example.com"}, sent[2].Recipients)
	assert.Empty(t, header(sent[2], "List-Unsubscribe"))
}

func TestUnsubscribeHandlerWritesNothingForABadToken(t *testing.T) {
	keys := unsubKeys(t, "k1", 1)
	_, c := unsubClient(t, keys)
	foreign, err := unsubscribe.NewLinks(unsubURL, "", unsubKeys(t, "k2", 2))
	require.NoError(t, err)
	link, err := foreign.URL("bob@example.com", "news", newClock().Now())
	require.NoError(t, err)
	h := httptest.NewServer(c.UnsubscribeHandler())
	defer h.Close()
	assert.Equal(t, http.StatusForbidden, oneClick(t, h, link))

	got, err := c.Store().Lookup(ctx, []string{"bob@example.com"})
	require.NoError(t, err)
	assert.Empty(t, got)
}

func TestUnsubscribeHandlerWithoutKeysPanics(t *testing.T) {
	c, err := sesguard.New(funcAPI{})
	require.NoError(t, err)
	assert.Panics(t, func() { c.UnsubscribeHandler() })
}

// TestSESSubscriptionEventBlocksItsContactListOnly follows an unsubscribe
// that SES handled itself (a send with ListManagementOptions, whose
// List-Unsubscribe SES adds): its Subscription event, signed and posted by
// the emulator's SNS to the handler, suppresses the address in the scope
// of the contact list, so that the next send to that list is refused
// while a password reset and the application's own lists go out.
func TestSESSubscriptionEventBlocksItsContactListOnly(t *testing.T) {
	const addr = "leaving@example.com"
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	srv := sestest.RunT(t, func(o *sestest.Options) {
		o.Mailboxes = map[string]sestest.Outcome{addr: sestest.OutcomeUnsubscribe}
		o.ConfigurationSets = []string{"tracking"}
	})
	c, err := sesguard.New(srv.Client(), func(o *sesguard.Options) {
		o.Unsubscribe = sesguard.UnsubscribeOptions{URL: unsubURL, Keys: unsubKeys(t, "k1", 1)}
	})
	require.NoError(t, err)
	web := httptest.NewServer(snsHandler(t, c, func(o *sesguard.HandlerOptions) {
		o.SNS.HTTPClient = srv.SNSHTTPClient()
		o.SNS.TopicARNs = []string{srv.TopicARN()}
	}))
	defer web.Close()
	sub, err := srv.Subscribe(web.URL)
	require.NoError(t, err)
	require.NoError(t, sub.WaitConfirmed(ctx))

	contactList := func() *sesv2.SendEmailInput {
		in := simple(addr)
		in.ConfigurationSetName = aws.String("tracking")
		in.ListManagementOptions = &types.ListManagementOptions{ContactListName: aws.String("Customers"), TopicName: aws.String("News")}
		return in
	}
	_, err = c.Send(ctx, contactList())
	require.NoError(t, err)
	require.NoError(t, sub.Wait(ctx, len(srv.Notifications())))
	for _, d := range sub.Deliveries() {
		require.Equal(t, http.StatusOK, d.StatusCode, "%s %s: %v", d.Type, d.MessageID, d.Err)
	}

	found, err := c.Store().Lookup(ctx, []string{addr})
	require.NoError(t, err)
	require.NotEmpty(t, found)
	for _, s := range found {
		assert.Equal(t, store.ReasonUnsubscribe, s.Reason)
		assert.Contains(t, []store.Scope{sesguard.ContactListScope("Customers", ""), sesguard.ContactListScope("Customers", "News")}, s.Scope)
	}

	_, err = c.Send(ctx, contactList())
	require.ErrorIs(t, err, sesguard.ErrSuppressed, "the contact list's next mail is refused")
	sent := len(srv.Messages())
	_, err = c.Send(ctx, simple(addr))
	require.NoError(t, err, "a password reset still goes out")
	_, err = c.Send(sesguard.ForList(ctx, "news"), simple(addr))
	require.NoError(t, err, "the application's own list is another list")
	assert.Len(t, srv.Messages(), sent+2)
}

// A failing OnUnsubscribe answers 503, so that the provider posts again;
// the suppression is written already, and the repeated POST is harmless.
func TestUnsubscribeHookFailureIsRetried(t *testing.T) {
	keys := unsubKeys(t, "k1", 1)
	ses, c := unsubClient(t, keys)
	var fail atomic.Bool
	fail.Store(true)
	h := httptest.NewServer(c.UnsubscribeHandler(func(o *sesguard.UnsubscribeHandlerOptions) {
		o.OnUnsubscribe = func(context.Context, unsubscribe.Token) error {
			if fail.Load() {
				return errors.New("preferences service down")
			}
			return nil
		}
	}))
	defer h.Close()
	_, err := c.Send(sesguard.ForList(ctx, "news"), simple("bob@example.com"))
	require.NoError(t, err)
	link, _ := linkOf(t, keys, ses.Messages()[0])

	assert.Equal(t, http.StatusServiceUnavailable, oneClick(t, h, link))
	fail.Store(false)
	assert.Equal(t, http.StatusOK, oneClick(t, h, link))
	found, err := c.Suppressions(ctx, "bob@example.com")
	require.NoError(t, err)
	require.Len(t, found, 1)
	assert.Equal(t, store.Scope("news"), found[0].Scope)
}
