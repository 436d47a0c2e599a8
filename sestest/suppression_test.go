package sestest_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/sesguard/sesguard/sestest"
)

func put(t *testing.T, client *sesv2.Client, addr string, reason types.SuppressionListReason) {
	t.Helper()
	if _, err := client.PutSuppressedDestination(ctxT(t), &sesv2.PutSuppressedDestinationInput{EmailAddress: aws.String(addr), Reason: reason}); err != nil {
		t.Fatal(err)
	}
}

// TestSuppressionList drives Put, Get, List (every page) and Delete
// through the SDK.
func TestSuppressionList(t *testing.T) {
	_, client, clk := start(t)
	put(t, client, "bounce+x@example.com", types.SuppressionListReasonBounce)
	clk.Advance(time.Minute)
	var all []string
	for i := range 7 {
		addr := fmt.Sprintf("c%d@example.com", i)
		put(t, client, addr, types.SuppressionListReasonComplaint)
		all = append(all, addr)
	}

	got, err := client.GetSuppressedDestination(ctxT(t), &sesv2.GetSuppressedDestinationInput{EmailAddress: aws.String("bounce+x@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	d := got.SuppressedDestination
	if aws.ToString(d.EmailAddress) != "bounce+x@example.com" || d.Reason != types.SuppressionListReasonBounce || !d.LastUpdateTime.Equal(clk.Now().Add(-time.Minute)) {
		t.Errorf("got %s %s %v", aws.ToString(d.EmailAddress), d.Reason, d.LastUpdateTime)
	}

	var listed []string
	pages := 0
	p := sesv2.NewListSuppressedDestinationsPaginator(client, &sesv2.ListSuppressedDestinationsInput{
		Reasons: []types.SuppressionListReason{types.SuppressionListReasonComplaint}, PageSize: aws.Int32(3)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, s := range page.SuppressedDestinationSummaries {
			listed = append(listed, aws.ToString(s.EmailAddress))
		}
	}
	if !slices.Equal(listed, all) || pages != 3 {
		t.Errorf("listed %v in %d pages, want %v in 3", listed, pages, all)
	}

	window, err := client.ListSuppressedDestinations(ctxT(t), &sesv2.ListSuppressedDestinationsInput{
		StartDate: aws.Time(clk.Now().Add(-2 * time.Minute)), EndDate: aws.Time(clk.Now().Add(-time.Second))})
	if err != nil || len(window.SuppressedDestinationSummaries) != 1 || aws.ToString(window.SuppressedDestinationSummaries[0].EmailAddress) != "bounce+x@example.com" {
		t.Errorf("date window: %+v %v", window, err)
	}

	if _, err := client.DeleteSuppressedDestination(ctxT(t), &sesv2.DeleteSuppressedDestinationInput{EmailAddress: aws.String("bounce+x@example.com")}); err != nil {
		t.Fatal(err)
	}
	for _, op := range []func() error{
		func() error {
			_, err := client.GetSuppressedDestination(ctxT(t), &sesv2.GetSuppressedDestinationInput{EmailAddress: aws.String("bounce+x@example.com")})
			return err
		},
		func() error {
			_, err := client.DeleteSuppressedDestination(ctxT(t), &sesv2.DeleteSuppressedDestinationInput{EmailAddress: aws.String("bounce+x@example.com")})
			return err
		},
	} {
		if err := op(); !errors.As(err, new(*types.NotFoundException)) {
			t.Errorf("after delete: %v, want NotFoundException", err)
		}
	}
}

// TestSuppressionWireShape compares Get and List bodies with the SESv2
// examples: the same members, LastUpdateTime as epoch seconds.
func TestSuppressionWireShape(t *testing.T) {
	srv, client, _ := start(t)
	put(t, client, "bounce@example.com", types.SuppressionListReasonBounce)
	put(t, client, "complaint@example.com", types.SuppressionListReasonComplaint)
	for _, tc := range []struct{ path, fixture string }{
		{"/v2/email/suppression/addresses/" + url.PathEscape("bounce@example.com"), "get-suppressed-destination-response.json"},
		{"/v2/email/suppression/addresses?PageSize=1", "list-suppressed-destinations-response.json"},
	} {
		_, body := do(t, srv, "GET", tc.path, "")
		fixture, err := os.ReadFile("testdata/sesv2/" + tc.fixture)
		if err != nil {
			t.Fatal(err)
		}
		want, got := shapeOf(t, fixture), shapeOf(t, body)
		// Attributes carry the message and feedback ids of an entry SES
		// added itself; entries put through the API have none.
		maps.DeleteFunc(want, func(p, _ string) bool { return strings.HasPrefix(p, ".SuppressedDestination.Attributes") })
		if !maps.Equal(want, got) {
			t.Errorf("%s: shape %v, want %v", tc.fixture, got, want)
		}
		var v map[string]any
		_ = json.Unmarshal(body, &v)
		if ts, ok := field(v, "SuppressedDestination", "LastUpdateTime").(float64); strings.HasPrefix(tc.fixture, "get") && (!ok || ts < 1e9) {
			t.Errorf("LastUpdateTime %v is not epoch seconds", ts)
		}
	}
}

// TestSendToSuppressedAddress: mail to a listed address (matched without
// regard to case) is accepted, bounces OnAccountSuppressionList in both
// formats, and is delivered again once the address is removed.
func TestSendToSuppressedAddress(t *testing.T) {
	srv, client, _ := start(t)
	put(t, client, "Gone@Example.com", types.SuppressionListReasonBounce)
	in := simple("gone@example.com", "bounce@simulator.amazonses.com")
	in.ConfigurationSetName = aws.String("cs")
	if _, err := client.SendEmail(ctxT(t), in); err != nil {
		t.Fatal(err)
	}
	for _, f := range []sestest.Format{sestest.IdentityFormat, sestest.EventFormat} {
		var subtypes []string
		for _, n := range byType(srv.Notifications(), f, "Bounce") {
			p := decode(t, n.Message)
			subtypes = append(subtypes, fmt.Sprintf("%v:%v", field(p, "bounce", "bounceSubType"), n.Recipients))
		}
		want := []string{"General:[bounce@simulator.amazonses.com]", "OnAccountSuppressionList:[gone@example.com]"}
		if !slices.Equal(subtypes, want) {
			t.Errorf("%s bounces %v, want %v", f, subtypes, want)
		}
	}
	if _, err := client.DeleteSuppressedDestination(ctxT(t), &sesv2.DeleteSuppressedDestinationInput{EmailAddress: aws.String("gone@example.com")}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.SendEmail(ctxT(t), simple("gone@example.com")); err != nil {
		t.Fatal(err)
	}
	last := srv.Notifications()[len(srv.Notifications())-1]
	if last.Type != "Delivery" || !slices.Equal(last.Recipients, []string{"gone@example.com"}) {
		t.Errorf("after removal: %s %v", last.Type, last.Recipients)
	}
}
