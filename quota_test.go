package sesguard_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/sestest"
)

func TestDailyQuotaFailsFast(t *testing.T) {
	clk := newClock()
	// SES with the same quota, on the same clock, never has to refuse.
	ses, api := newSES(t, onSESClock(clk), func(o *sestest.Options) { o.Account.Max24HourSend = 10 })
	c := newClient(t, api, onClock(clk, &sleeper{clk: clk}), func(o *sesguard.Options) { o.DailyQuota = 10 })
	start := clk.Now()
	// 4 recipients at start, 6 a minute later: the quota is spent.
	for _, n := range []int{4, 6} {
		if _, err := c.Send(ctx, simple(recipients(n)...)); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Minute)
	}
	_, err := c.Send(ctx, simple(recipients(3)...))
	var q *sesguard.QuotaExceededError
	if !errors.As(err, &q) || !errors.Is(err, sesguard.ErrQuotaExceeded) {
		t.Fatalf("Send past the quota: %v, want a *QuotaExceededError", err)
	}
	// Room for 3 comes back when the first 4 leave the window: 24 hours
	// after their minute ended.
	want := sesguard.QuotaExceededError{Quota: 10, Used: 10, Need: 3, RetryAt: start.Truncate(time.Minute).Add(24*time.Hour + time.Minute)}
	if q.Quota != want.Quota || q.Used != want.Used || q.Need != want.Need || !q.RetryAt.Equal(want.RetryAt) || q.Err != nil {
		t.Errorf("error %+v, want %+v", *q, want)
	}
	if n := len(ses.Messages()); n != 2 {
		t.Errorf("SES received %d messages, want 2: a spent quota must not call SES", n)
	}

	clk.Advance(want.RetryAt.Sub(clk.Now()) - time.Second)
	if _, err := c.Send(ctx, simple("early@example.com")); !errors.Is(err, sesguard.ErrQuotaExceeded) {
		t.Errorf("a second before RetryAt: %v, want ErrQuotaExceeded", err)
	}
	clk.Advance(time.Second)
	if _, err := c.Send(ctx, simple(recipients(4)...)); err != nil {
		t.Errorf("at RetryAt: %v", err)
	}
	if q := ses.Quota(); q.Messages != 3 || q.QuotaRejections != 0 {
		t.Errorf("SES accepted %d messages and refused %d for the quota, want 3 and none", q.Messages, q.QuotaRejections)
	}
}

func TestDailyQuotaCountsWhatSESAccepted(t *testing.T) {
	clk := newClock()
	ses, api := newSES(t, onSESClock(clk))
	hook(ses).fail("SendEmail", 1, sestest.Fault{Status: http.StatusBadRequest, Code: "MessageRejected", Message: "no"})
	c := newClient(t, api, onClock(clk, &sleeper{clk: clk}), func(o *sesguard.Options) { o.DailyQuota = 5 })
	if _, err := c.Send(ctx, simple(recipients(5)...)); err == nil {
		t.Fatal("the rejected send succeeded")
	}
	if _, err := c.Send(ctx, simple(recipients(5)...)); err != nil {
		t.Fatalf("a rejected send used the quota: %v", err)
	}
	if _, err := c.Send(ctx, simple("one@example.com")); !errors.Is(err, sesguard.ErrQuotaExceeded) {
		t.Errorf("Send past the quota: %v", err)
	}
	if n := len(ses.Messages()); n != 1 {
		t.Errorf("SES accepted %d messages, want 1", n)
	}
}

func TestDailyQuotaCountsBulkEntries(t *testing.T) {
	clk := newClock()
	ses, api := newSES(t, onSESClock(clk))
	c := newClient(t, api, onClock(clk, &sleeper{clk: clk}), func(o *sesguard.Options) { o.DailyQuota = 6 })
	bulk := func(perEntry ...int) *sesv2.SendBulkEmailInput {
		in := &sesv2.SendBulkEmailInput{
			FromEmailAddress: aws.String("sender@example.com"),
			DefaultContent:   &types.BulkEmailContent{Template: &types.Template{TemplateName: aws.String("t")}},
		}
		for i, n := range perEntry {
			to := recipients(n + i*10)[i*10:]
			in.BulkEmailEntries = append(in.BulkEmailEntries, types.BulkEmailEntry{Destination: &types.Destination{ToAddresses: to}})
		}
		return in
	}
	if _, err := c.SendBulkEmail(ctx, bulk(2, 3)); err != nil {
		t.Fatal(err)
	}
	var q *sesguard.QuotaExceededError
	if _, err := c.SendBulkEmail(ctx, bulk(1, 1)); !errors.As(err, &q) || q.Used != 5 || q.Need != 2 {
		t.Errorf("bulk past the quota: %v, want 5 used and 2 needed", err)
	}
	if q := ses.Quota(); q.Messages != 2 || q.Recipients != 5 {
		t.Errorf("SES accepted %d messages to %d recipients, want the first call's 2 to 5", q.Messages, q.Recipients)
	}
}
