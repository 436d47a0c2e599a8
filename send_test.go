package sesguard_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/internal/testclock"
	"github.com/sesguard/sesguard/sestest"
	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/memstore"
)

var ctx = context.Background()

// clock is a settable clock for Options.Now.
type clock = testclock.Clock

func newClock() *clock { return testclock.New(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)) }

func newClient(t *testing.T, api sesguard.SESv2API, optFns ...func(*sesguard.Options)) *sesguard.Client {
	t.Helper()
	c, err := sesguard.New(api, optFns...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func simple(to ...string) *sesv2.SendEmailInput {
	return &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("sender@example.com"),
		Destination:      &types.Destination{ToAddresses: to},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String("Hello")},
			Body:    &types.Body{Text: &types.Content{Data: aws.String("Hi there")}},
		}},
	}
}

func suppress(t *testing.T, c *sesguard.Client, addr string, r store.Reason) {
	t.Helper()
	if _, _, err := c.Suppress(ctx, store.Suppression{Address: addr, Reason: r, Detail: "test " + string(r)}); err != nil {
		t.Fatalf("Suppress(%q): %v", addr, err)
	}
}

func TestSendWithNothingSuppressedSendsUnchanged(t *testing.T) {
	ses, api := newSES(t)
	c := newClient(t, api)
	in := simple("Alice <alice@example.com>", "bob@example.com")
	in.Destination.CcAddresses = []string{"carol@example.com"}
	out, err := c.Send(ctx, in)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	sent := ses.Messages()
	if len(sent) != 1 {
		t.Fatalf("SES received %d messages, want 1", len(sent))
	}
	if aws.ToString(out.MessageId) != sent[0].MessageID {
		t.Errorf("MessageId = %q, want SES's %q", aws.ToString(out.MessageId), sent[0].MessageID)
	}
	m := sent[0]
	if !slices.Equal(m.To, in.Destination.ToAddresses) || !slices.Equal(m.Cc, in.Destination.CcAddresses) || len(m.Bcc) != 0 {
		t.Errorf("SES received To %v, Cc %v, Bcc %v; want the caller's %+v", m.To, m.Cc, m.Bcc, in.Destination)
	}
	if m.From != "sender@example.com" || m.Subject != "Hello" || m.Text != "Hi there" {
		t.Errorf("SES received from %q, subject %q, text %q; want the caller's message unchanged", m.From, m.Subject, m.Text)
	}
	if s := sesguard.SkippedRecipients(out.ResultMetadata); s != nil {
		t.Errorf("SkippedRecipients = %v, want nil", s)
	}
}

func TestSendRemovesSuppressedRecipients(t *testing.T) {
	ses, api := newSES(t)
	var hooked []sesguard.Skipped
	c := newClient(t, api, func(o *sesguard.Options) {
		o.OnSkip = func(_ context.Context, s []sesguard.Skipped) { hooked = append(hooked, s...) }
	})
	suppress(t, c, "bob@example.com", store.ReasonBounce)
	suppress(t, c, "dave@example.com", store.ReasonComplaint)

	in := simple("alice@example.com", "Bob Builder <Bob@EXAMPLE.com>")
	in.Destination.CcAddresses = []string{"carol@example.com", "bob@example.com"}
	in.Destination.BccAddresses = []string{"DAVE@example.com"}
	orig := *in.Destination
	out, err := c.Send(ctx, in)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	m := ses.Messages()[0]
	if !slices.Equal(m.To, []string{"alice@example.com"}) || !slices.Equal(m.Cc, []string{"carol@example.com"}) || len(m.Bcc) != 0 {
		t.Errorf("SES received To %v, Cc %v, Bcc %v; want To alice, Cc carol, no Bcc", m.To, m.Cc, m.Bcc)
	}
	if !slices.Equal(in.Destination.ToAddresses, orig.ToAddresses) || !slices.Equal(in.Destination.BccAddresses, orig.BccAddresses) {
		t.Errorf("Send modified the caller's input: %+v", in.Destination)
	}
	skipped := sesguard.SkippedRecipients(out.ResultMetadata)
	if len(skipped) != 2 {
		t.Fatalf("SkippedRecipients = %v, want bob and dave once each", skipped)
	}
	if skipped[0].Recipient != "Bob Builder <Bob@EXAMPLE.com>" || skipped[0].Address != "bob@example.com" || skipped[0].Reason != store.ReasonBounce {
		t.Errorf("first skipped = %+v, want bob as written, canonical address, BOUNCE", skipped[0])
	}
	if skipped[1].Address != "dave@example.com" || skipped[1].Reason != store.ReasonComplaint {
		t.Errorf("second skipped = %+v, want dave, COMPLAINT", skipped[1])
	}
	if !slices.EqualFunc(hooked, skipped, func(a, b sesguard.Skipped) bool { return a.Address == b.Address }) {
		t.Errorf("OnSkip got %v, want %v", hooked, skipped)
	}
}

func TestSendWithEveryRecipientSuppressedSendsNothing(t *testing.T) {
	ses, api := newSES(t)
	c := newClient(t, api)
	suppress(t, c, "bob@example.com", store.ReasonBounce)
	suppress(t, c, "carol@example.com", store.ReasonUnsubscribe)

	out, err := c.Send(ctx, simple("bob@example.com", "Carol <carol@example.com>"))
	if out != nil {
		t.Errorf("output %+v, want nil", out)
	}
	if !errors.Is(err, sesguard.ErrSuppressed) {
		t.Fatalf("error %v, want ErrSuppressed", err)
	}
	var se *sesguard.SuppressedError
	if !errors.As(err, &se) {
		t.Fatalf("error %T is not a *SuppressedError", err)
	}
	if len(se.Skipped) != 2 || se.Skipped[0].Reason != store.ReasonBounce || se.Skipped[1].Reason != store.ReasonUnsubscribe {
		t.Errorf("SuppressedError lists %v, want bob BOUNCE and carol UNSUBSCRIBE", se.Skipped)
	}
	for _, want := range []string{"bob@example.com", "BOUNCE", "Carol <carol@example.com>", "UNSUBSCRIBE"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if n := len(ses.Messages()); n != 0 {
		t.Errorf("SES received %d messages, want none", n)
	}
}

func TestSendAllOrNothingRefusesTheWholeMessage(t *testing.T) {
	ses, api := newSES(t)
	c := newClient(t, api, func(o *sesguard.Options) { o.AllOrNothing = true })
	suppress(t, c, "bob@example.com", store.ReasonBounce)

	_, err := c.Send(ctx, simple("alice@example.com", "bob@example.com", "carol@example.com"))
	var se *sesguard.SuppressedError
	if !errors.As(err, &se) || !errors.Is(err, sesguard.ErrSuppressed) {
		t.Fatalf("error %v, want a *SuppressedError", err)
	}
	if len(se.Skipped) != 1 || se.Withheld != 2 {
		t.Errorf("SuppressedError: %d skipped, %d withheld; want 1 and 2", len(se.Skipped), se.Withheld)
	}
	if n := len(ses.Messages()); n != 0 {
		t.Errorf("SES received %d messages, want none", n)
	}
	if _, err := c.Send(ctx, simple("alice@example.com")); err != nil {
		t.Errorf("a message without suppressed recipients failed: %v", err)
	}
}

func TestSendIgnoresExpiredSuppressions(t *testing.T) {
	clk := newClock()
	ses, api := newSES(t, onSESClock(clk))
	c := newClient(t, api, func(o *sesguard.Options) { o.Now = clk.Now })
	_, _, err := c.Suppress(ctx, store.Suppression{
		Address:   "soft@example.com",
		Reason:    store.ReasonSoftBounce,
		ExpiresAt: clk.Now().Add(time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send(ctx, simple("soft@example.com")); !errors.Is(err, sesguard.ErrSuppressed) {
		t.Fatalf("before expiry: error %v, want ErrSuppressed", err)
	}
	clk.Advance(time.Hour)
	if _, err := c.Send(ctx, simple("soft@example.com")); err != nil {
		t.Fatalf("at expiry: %v, want the message sent", err)
	}
	if n := len(ses.Messages()); n != 1 {
		t.Errorf("SES received %d messages, want 1", n)
	}
}

func TestSendSkipsUnparsableRecipients(t *testing.T) {
	ses, api := newSES(t)
	c := newClient(t, api)
	out, err := c.Send(ctx, simple("not an address", "alice@example.com"))
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if got := ses.Messages()[0].To; !slices.Equal(got, []string{"alice@example.com"}) {
		t.Errorf("SES received %v, want only alice", got)
	}
	s := sesguard.SkippedRecipients(out.ResultMetadata)
	if len(s) != 1 || s[0].Reason != store.ReasonInvalid || s[0].Recipient != "not an address" {
		t.Errorf("skipped %v, want the unparsable address as INVALID", s)
	}
}

func TestSendRawMessageWithoutDestinationUsesHeaders(t *testing.T) {
	ses, api := newSES(t)
	c := newClient(t, api)
	suppress(t, c, "bob@example.com", store.ReasonBounce)
	raw := "From: sender@example.com\r\n" +
		"To: =?UTF-8?Q?Al=C3=AFce?= <alice@example.com>, Bob <BOB@example.com>\r\n" +
		"Cc: team: carol@example.com, dave@example.com;\r\n" +
		"Bcc: erin@example.com\r\n" +
		"Subject: hi\r\n\r\nbody\r\n"
	in := &sesv2.SendEmailInput{Content: &types.EmailContent{Raw: &types.RawMessage{Data: []byte(raw)}}}
	if _, err := c.Send(ctx, in); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := ses.Messages()[0]
	// Without a Destination SES mails whoever the headers name: the
	// suppressed Bob included.
	if want := []string{"alice@example.com", "carol@example.com", "dave@example.com", "erin@example.com"}; !slices.Equal(got.Recipients, want) {
		t.Fatalf("SES mailed %v, want %v", got.Recipients, want)
	}
	if len(got.To) != 1 || !strings.Contains(got.To[0], "alice@example.com") {
		t.Errorf("To = %v, want only alice", got.To)
	}
	if len(got.Cc) != 2 || len(got.Bcc) != 1 {
		t.Errorf("Cc = %v, Bcc = %v; want carol and dave, erin", got.Cc, got.Bcc)
	}
	if string(got.Raw) != raw {
		t.Error("the raw message was altered")
	}
	if in.Destination != nil {
		t.Error("Send set a Destination on the caller's input")
	}
}

func TestSendRawMessageWithUnreadableHeadersFailsClosed(t *testing.T) {
	ses, api := newSES(t)
	c := newClient(t, api)
	raw := "From: sender@example.com\r\nTo: <unterminated@example.com\r\n\r\nbody"
	in := &sesv2.SendEmailInput{Content: &types.EmailContent{Raw: &types.RawMessage{Data: []byte(raw)}}}
	_, err := c.Send(ctx, in)
	if !errors.Is(err, sesguard.ErrInvalidMessage) {
		t.Fatalf("error %v, want ErrInvalidMessage", err)
	}
	if n := len(ses.Messages()); n != 0 {
		t.Errorf("SES received %d messages, want none", n)
	}
}

func TestSendRawMessageWithDestinationChecksTheDestination(t *testing.T) {
	ses, api := newSES(t)
	c := newClient(t, api)
	suppress(t, c, "bob@example.com", store.ReasonBounce)
	raw := "From: s@example.com\r\nTo: bob@example.com\r\n\r\nbody"
	in := &sesv2.SendEmailInput{
		Destination: &types.Destination{ToAddresses: []string{"alice@example.com"}},
		Content:     &types.EmailContent{Raw: &types.RawMessage{Data: []byte(raw)}},
	}
	if _, err := c.Send(ctx, in); err != nil {
		t.Fatalf("Send: %v (the Destination, not the headers, names the recipients)", err)
	}
	if got := ses.Messages()[0]; !slices.Equal(got.To, []string{"alice@example.com"}) || !slices.Equal(got.Recipients, []string{"alice@example.com"}) {
		t.Errorf("SES received To %v and mailed %v, want only alice", got.To, got.Recipients)
	}
}

// failingStore is a Store whose every call fails.
type failingStore struct{ err error }

func (f failingStore) Lookup(context.Context, []string) ([]store.Suppression, error) {
	return nil, f.err
}
func (f failingStore) Put(context.Context, store.Suppression) (bool, error) { return false, f.err }
func (f failingStore) Delete(context.Context, store.Key) error              { return f.err }

func TestSendFailsClosedWhenTheStoreFails(t *testing.T) {
	ses, api := newSES(t)
	down := errors.New("connection refused")
	c := newClient(t, api, func(o *sesguard.Options) { o.Store = failingStore{down} })
	_, err := c.Send(ctx, simple("alice@example.com"))
	if !errors.Is(err, sesguard.ErrStoreUnavailable) || !errors.Is(err, down) {
		t.Fatalf("error %v, want ErrStoreUnavailable wrapping the store's error", err)
	}
	var se *sesguard.StoreError
	if !errors.As(err, &se) || se.Op != "lookup" {
		t.Errorf("error %v is not a lookup *StoreError", err)
	}
	if n := len(ses.Messages()); n != 0 {
		t.Errorf("SES received %d messages, want none", n)
	}
}

func TestSendFailOpenSendsAndLogs(t *testing.T) {
	ses, api := newSES(t)
	var logs bytes.Buffer
	c := newClient(t, api, func(o *sesguard.Options) {
		o.Store = failingStore{errors.New("connection refused")}
		o.FailOpen = true
		o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	if _, err := c.Send(ctx, simple("alice@example.com")); err != nil {
		t.Fatalf("Send with FailOpen: %v", err)
	}
	if n := len(ses.Messages()); n != 1 {
		t.Errorf("SES received %d messages, want 1", n)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "connection refused") {
		t.Errorf("FailOpen did not log the failure at Warn: %q", logs.String())
	}
}

func TestChecks(t *testing.T) {
	refuseExample := func(_ context.Context, addr string) (*sesguard.Veto, error) {
		if strings.HasSuffix(addr, "@invalid.example") {
			return &sesguard.Veto{Detail: "domain has a null MX", Remember: 24 * time.Hour}, nil
		}
		return nil, nil
	}
	t.Run("VetoRemovesAndRemembers", func(t *testing.T) {
		clk := newClock()
		ses, api := newSES(t, onSESClock(clk))
		calls := 0
		counting := func(ctx context.Context, addr string) (*sesguard.Veto, error) {
			calls++
			return refuseExample(ctx, addr)
		}
		c := newClient(t, api, func(o *sesguard.Options) {
			o.Checks = []sesguard.Check{counting}
			o.Now = clk.Now
		})
		out, err := c.Send(ctx, simple("alice@example.com", "Nobody@Invalid.Example"))
		if err != nil {
			t.Fatalf("Send: %v", err)
		}
		if got := ses.Messages()[0].To; !slices.Equal(got, []string{"alice@example.com"}) {
			t.Errorf("SES received %v, want only alice", got)
		}
		s := sesguard.SkippedRecipients(out.ResultMetadata)
		if len(s) != 1 || s[0].Reason != store.ReasonInvalid || s[0].Detail != "domain has a null MX" || s[0].Source != "check" {
			t.Errorf("skipped %+v, want the vetoed address as INVALID from a check", s)
		}
		got, ok, err := sesguard.Suppressed(ctx, c, "nobody@invalid.example")
		if err != nil || !ok || !got.ExpiresAt.Equal(clk.Now().Add(24*time.Hour)) {
			t.Errorf("remembered veto: %+v, %v, %v; want a suppression expiring in 24h", got, ok, err)
		}
		if calls != 2 {
			t.Errorf("check ran %d times, want once per distinct recipient (2)", calls)
		}
	})
	t.Run("ErrorFailsClosed", func(t *testing.T) {
		ses, api := newSES(t)
		dnsDown := errors.New("i/o timeout")
		c := newClient(t, api, func(o *sesguard.Options) {
			o.Checks = []sesguard.Check{func(context.Context, string) (*sesguard.Veto, error) { return nil, dnsDown }}
		})
		_, err := c.Send(ctx, simple("alice@example.com"))
		var ce *sesguard.CheckError
		if !errors.Is(err, sesguard.ErrCheckFailed) || !errors.Is(err, dnsDown) || !errors.As(err, &ce) || ce.Address != "alice@example.com" {
			t.Fatalf("error %v, want a *CheckError for alice wrapping the check's error", err)
		}
		if n := len(ses.Messages()); n != 0 {
			t.Errorf("SES received %d messages, want none", n)
		}
	})
	t.Run("ErrorWithFailOpenSends", func(t *testing.T) {
		ses, api := newSES(t)
		c := newClient(t, api, func(o *sesguard.Options) {
			o.FailOpen = true
			o.Checks = []sesguard.Check{func(context.Context, string) (*sesguard.Veto, error) { return nil, errors.New("timeout") }}
		})
		if _, err := c.Send(ctx, simple("alice@example.com")); err != nil {
			t.Fatalf("Send: %v", err)
		}
		if n := len(ses.Messages()); n != 1 {
			t.Errorf("SES received %d messages, want 1", n)
		}
	})
}

func TestSendKeepsSDKErrorTypes(t *testing.T) {
	// In the sandbox, SES refuses a sender that is not a verified identity.
	ses, api := newSES(t, func(o *sestest.Options) { o.Account.Sandbox = true })
	c := newClient(t, api)
	_, err := c.Send(ctx, simple("alice@example.com"))
	var mr *types.MessageRejected
	if !errors.As(err, &mr) {
		t.Fatalf("error %v (%T) does not yield a *types.MessageRejected", err, err)
	}
	if !strings.Contains(mr.ErrorMessage(), "not verified") || !strings.Contains(mr.ErrorMessage(), "sender@example.com") {
		t.Errorf("MessageRejected message %q lost", mr.ErrorMessage())
	}
	if n := len(ses.Messages()); n != 0 {
		t.Errorf("SES accepted %d messages, want none", n)
	}
}

func TestNilInputIsAnError(t *testing.T) {
	ses, api := newSES(t)
	c := newClient(t, api)
	if _, err := c.Send(ctx, nil); !errors.Is(err, sesguard.ErrInvalidMessage) {
		t.Errorf("Send(nil) error %v, want ErrInvalidMessage", err)
	}
	if _, err := c.SendBulkEmail(ctx, nil); !errors.Is(err, sesguard.ErrInvalidMessage) {
		t.Errorf("SendBulkEmail(nil) error %v, want ErrInvalidMessage", err)
	}
	if _, err := sesguard.New(nil); err == nil {
		t.Error("New(nil) returned no error")
	}
	if n := len(ses.Messages()); n != 0 {
		t.Errorf("SES received %d messages, want none", n)
	}
}

func TestSendEmailIsSend(t *testing.T) {
	ses, api := newSES(t)
	c := newClient(t, api)
	suppress(t, c, "bob@example.com", store.ReasonBounce)
	var guarded sesguard.SESv2API = c
	if _, err := guarded.SendEmail(ctx, simple("bob@example.com")); !errors.Is(err, sesguard.ErrSuppressed) {
		t.Errorf("SendEmail error %v, want ErrSuppressed", err)
	}
	if n := len(ses.Messages()); n != 0 {
		t.Errorf("SES received %d messages, want none", n)
	}
}

func TestDefaultClient(t *testing.T) {
	t.Cleanup(func() { sesguard.SetDefault(nil) })
	sesguard.SetDefault(nil)
	if _, err := sesguard.Send(ctx, simple("alice@example.com")); !errors.Is(err, sesguard.ErrNoDefault) {
		t.Fatalf("Send without a default: %v, want ErrNoDefault", err)
	}
	ses, api := newSES(t)
	c := newClient(t, api)
	suppress(t, c, "bob@example.com", store.ReasonBounce)
	sesguard.SetDefault(c)
	if sesguard.Default() != c {
		t.Error("Default() is not the client set")
	}
	if _, err := sesguard.Send(ctx, simple("alice@example.com")); err != nil {
		t.Fatalf("Send through the default: %v", err)
	}
	if _, err := sesguard.Send(ctx, simple("bob@example.com")); !errors.Is(err, sesguard.ErrSuppressed) {
		t.Errorf("the default client did not guard: %v", err)
	}
	if n := len(ses.Messages()); n != 1 {
		t.Errorf("SES received %d messages, want 1", n)
	}
}

func TestAdministration(t *testing.T) {
	clk := newClock()
	_, api := newSES(t, onSESClock(clk))
	ms := memstore.New()
	c := newClient(t, api, func(o *sesguard.Options) { o.Store = ms; o.Now = clk.Now })

	if _, _, err := c.Suppress(ctx, store.Suppression{Address: "Eve <EVE@Example.com>"}); err != nil {
		t.Fatal(err)
	}
	s, ok, err := sesguard.Suppressed(ctx, c, "eve@example.com")
	if err != nil || !ok {
		t.Fatalf("Suppressed after Suppress: %v, %v", ok, err)
	}
	if s.Address != "eve@example.com" || s.Reason != store.ReasonManual || s.Source != "manual" || !s.CreatedAt.Equal(clk.Now()) {
		t.Errorf("defaults not applied: %+v", s)
	}
	if _, err := ms.AddTransientBounce(ctx, "eve@example.com", "b1", clk.Now(), time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := c.Unsuppress(ctx, "EVE@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := sesguard.Suppressed(ctx, c, "eve@example.com"); ok {
		t.Error("still suppressed after Unsuppress")
	}
	if n, _ := ms.AddTransientBounce(ctx, "eve@example.com", "b2", clk.Now(), time.Hour); n != 1 {
		t.Errorf("Unsuppress kept %d transient bounces, want them forgotten", n-1)
	}
	if err := c.Unsuppress(ctx, "eve@example.com"); err != nil {
		t.Errorf("Unsuppress of an address not suppressed: %v", err)
	}
	if _, _, err := c.Suppress(ctx, store.Suppression{Address: "nope"}); !errors.Is(err, sesguard.ErrInvalidAddress) {
		t.Errorf("Suppress of an invalid address: %v, want ErrInvalidAddress", err)
	}
	if _, _, err := c.Suppress(ctx, store.Suppression{Address: "tmp@example.com", ExpiresAt: clk.Now().Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	if _, ok, _ := sesguard.Suppressed(ctx, c, "tmp@example.com"); ok {
		t.Error("an expired suppression is reported as in force")
	}
}

func TestConcurrentSendAndAdministration(t *testing.T) {
	ses, api := newSES(t)
	c := newClient(t, api)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 20 {
				addr := []string{"a@example.com", "b@example.com", "c@example.com"}[(i+j)%3]
				switch j % 4 {
				case 0:
					c.Suppress(ctx, store.Suppression{Address: addr})
				case 1:
					c.Unsuppress(ctx, addr)
				default:
					_, err := c.Send(ctx, simple(addr, "always@example.com"))
					if err != nil {
						t.Errorf("Send: %v", err)
					}
				}
			}
		})
	}
	wg.Wait()
	for _, m := range ses.Messages() {
		if !slices.Contains(m.To, "always@example.com") {
			t.Errorf("a send lost its unsuppressed recipient: %v", m.To)
		}
	}
}
