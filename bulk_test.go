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
	fake, api := newFakeSES(t)
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
	calls := fake.bulkCalls()
	if len(calls) != 1 {
		t.Fatalf("SES received %d bulk calls, want 1", len(calls))
	}
	var sentTo [][]string
	for _, e := range calls[0].BulkEmailEntries {
		sentTo = append(sentTo, e.Destination.ToAddresses)
	}
	want := [][]string{{"alice@example.com"}, {"dave@example.com"}, {"erin@example.com"}}
	if !slices.EqualFunc(sentTo, want, slices.Equal) {
		t.Errorf("SES received entries %v, want %v", sentTo, want)
	}
	r := out.BulkEmailEntryResults
	if len(r) != 4 {
		t.Fatalf("%d results, want one per entry (4)", len(r))
	}
	for i, wantID := range map[int]string{0: "bulk-0", 2: "bulk-1", 3: "bulk-2"} {
		if r[i].Status != types.BulkEmailStatusSuccess || aws.ToString(r[i].MessageId) != wantID {
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
	fake, api := newFakeSES(t)
	c := newClient(t, api)
	suppress(t, c, "bob@example.com", store.ReasonBounce)
	out, err := c.SendBulkEmail(ctx, bulk([]string{"bob@example.com"}, []string{"BOB@example.com"}))
	if !errors.Is(err, sesguard.ErrSuppressed) {
		t.Fatalf("error %v, want ErrSuppressed", err)
	}
	if n := len(fake.bulkCalls()); n != 0 {
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
	fake, api := newFakeSES(t)
	c := newClient(t, api, func(o *sesguard.Options) { o.AllOrNothing = true })
	suppress(t, c, "bob@example.com", store.ReasonBounce)
	out, err := c.SendBulkEmail(ctx, bulk([]string{"alice@example.com", "bob@example.com"}, []string{"carol@example.com"}))
	if err != nil {
		t.Fatalf("SendBulkEmail: %v", err)
	}
	if got := fake.bulkCalls()[0].BulkEmailEntries; len(got) != 1 || got[0].Destination.ToAddresses[0] != "carol@example.com" {
		t.Errorf("SES received %+v, want only carol's entry", got)
	}
	if s := out.BulkEmailEntryResults[0]; s.Status != sesguard.BulkStatusSuppressed || !strings.Contains(aws.ToString(s.Error), "1 are suppressed") {
		t.Errorf("entry with a suppressed recipient: %s %q", s.Status, aws.ToString(s.Error))
	}
}

func TestSendBulkWithNothingSuppressedPassesThrough(t *testing.T) {
	fake, api := newFakeSES(t)
	c := newClient(t, api)
	out, err := c.SendBulkEmail(ctx, bulk([]string{"a@example.com"}, []string{"b@example.com"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.BulkEmailEntryResults) != 2 || len(fake.bulkCalls()[0].BulkEmailEntries) != 2 {
		t.Errorf("results %v", out.BulkEmailEntryResults)
	}
}
