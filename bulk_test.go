package sesguard_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/store"
)

func bulk(dests ...[]string) *sesv2.SendBulkEmailInput {
	in := &sesv2.SendBulkEmailInput{
		FromEmailAddress: aws.String("sender@example.com"),
		DefaultContent: &types.BulkEmailContent{Template: &types.Template{
			TemplateName: aws.String("welcome"),
			TemplateData: aws.String("{}"),
		}},
	}
	for _, to := range dests {
		in.BulkEmailEntries = append(in.BulkEmailEntries, types.BulkEmailEntry{Destination: &types.Destination{ToAddresses: to}})
	}
	return in
}

func TestSendBulkGuardsEachEntry(t *testing.T) {
	ses, api := newSES(t)
	calls := hook(ses)
	c := newClient(t, api)
	suppress(t, c, "bob@example.com", store.ReasonBounce)
	suppress(t, c, "carol@example.com", store.ReasonComplaint)

	in := bulk(
		[]string{"alice@example.com"},
		[]string{"Bob <bob@example.com>"},                 // fully suppressed
		[]string{"carol@example.com", "dave@example.com"}, // partly
		[]string{"erin@example.com"},
	)
	out, err := c.SendBulkEmail(ctx, in)
	if err != nil {
		t.Fatalf("SendBulkEmail: %v", err)
	}
	if n := calls.count("SendBulkEmail"); n != 1 {
		t.Fatalf("SES received %d bulk calls, want 1", n)
	}
	sent := ses.Messages()
	var sentTo [][]string
	for _, m := range sent {
		if m.Operation != "SendBulkEmail" {
			t.Errorf("SES received %s, want SendBulkEmail", m.Operation)
		}
		sentTo = append(sentTo, m.To)
	}
	want := [][]string{{"alice@example.com"}, {"dave@example.com"}, {"erin@example.com"}}
	if !slices.EqualFunc(sentTo, want, slices.Equal) {
		t.Fatalf("SES received entries %v, want %v", sentTo, want)
	}
	r := out.BulkEmailEntryResults
	if len(r) != 4 {
		t.Fatalf("%d results, want one per entry (4)", len(r))
	}
	// SES's results come back in the caller's positions.
	for i, sentAs := range map[int]int{0: 0, 2: 1, 3: 2} {
		if wantID := sent[sentAs].MessageID; r[i].Status != types.BulkEmailStatusSuccess || aws.ToString(r[i].MessageId) != wantID {
			t.Errorf("result %d = %s %s, want SUCCESS %s", i, r[i].Status, aws.ToString(r[i].MessageId), wantID)
		}
	}
	if r[1].Status != sesguard.BulkStatusSuppressed || !strings.Contains(aws.ToString(r[1].Error), "bob@example.com") {
		t.Errorf("result 1 = %s %q, want SUPPRESSED naming bob", r[1].Status, aws.ToString(r[1].Error))
	}
	skipped := sesguard.SkippedRecipients(out.ResultMetadata)
	if len(skipped) != 2 || skipped[0].Address != "bob@example.com" || skipped[1].Address != "carol@example.com" {
		t.Errorf("SkippedRecipients = %v, want bob and carol", skipped)
	}
	if got := in.BulkEmailEntries[2].Destination.ToAddresses; len(got) != 2 {
		t.Errorf("the caller's entry was modified: %v", got)
	}
}

func TestSendBulkWithEveryEntrySuppressedMakesNoCall(t *testing.T) {
	ses, api := newSES(t)
	calls := hook(ses)
	c := newClient(t, api)
	suppress(t, c, "bob@example.com", store.ReasonBounce)
	out, err := c.SendBulkEmail(ctx, bulk([]string{"bob@example.com"}, []string{"BOB@example.com"}))
	if !errors.Is(err, sesguard.ErrSuppressed) {
		t.Fatalf("error %v, want ErrSuppressed", err)
	}
	if n := calls.count("SendBulkEmail"); n != 0 {
		t.Errorf("SES received %d bulk calls, want none", n)
	}
	if out == nil || len(out.BulkEmailEntryResults) != 2 {
		t.Fatalf("output %+v, want a result per entry", out)
	}
	for i, r := range out.BulkEmailEntryResults {
		if r.Status != sesguard.BulkStatusSuppressed {
			t.Errorf("result %d status %s, want SUPPRESSED", i, r.Status)
		}
	}
}

func TestSendBulkAllOrNothingPerEntry(t *testing.T) {
	ses, api := newSES(t)
	c := newClient(t, api, func(o *sesguard.Options) { o.AllOrNothing = true })
	suppress(t, c, "bob@example.com", store.ReasonBounce)
	out, err := c.SendBulkEmail(ctx, bulk([]string{"alice@example.com", "bob@example.com"}, []string{"carol@example.com"}))
	if err != nil {
		t.Fatalf("SendBulkEmail: %v", err)
	}
	if got := ses.Messages(); len(got) != 1 || !slices.Equal(got[0].To, []string{"carol@example.com"}) {
		t.Errorf("SES received %+v, want only carol's entry", got)
	}
	if s := out.BulkEmailEntryResults[0]; s.Status != sesguard.BulkStatusSuppressed || !strings.Contains(aws.ToString(s.Error), "1 are suppressed") {
		t.Errorf("entry with a suppressed recipient: %s %q", s.Status, aws.ToString(s.Error))
	}
}

func TestSendBulkWithNothingSuppressedPassesThrough(t *testing.T) {
	ses, api := newSES(t)
	calls := hook(ses)
	c := newClient(t, api)
	out, err := c.SendBulkEmail(ctx, bulk([]string{"a@example.com"}, []string{"b@example.com"}))
	if err != nil {
		t.Fatal(err)
	}
	sent := ses.Messages()
	if calls.count("SendBulkEmail") != 1 || len(out.BulkEmailEntryResults) != 2 || len(sent) != 2 {
		t.Fatalf("%d bulk calls, results %v, SES received %d messages; want one call of 2 entries", calls.count("SendBulkEmail"), out.BulkEmailEntryResults, len(sent))
	}
	for i, r := range out.BulkEmailEntryResults {
		if r.Status != types.BulkEmailStatusSuccess || aws.ToString(r.MessageId) != sent[i].MessageID {
			t.Errorf("result %d = %s %s, want SES's SUCCESS %s", i, r.Status, aws.ToString(r.MessageId), sent[i].MessageID)
		}
	}
}
