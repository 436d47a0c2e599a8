package sesguard_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/sesguard/sesguard"
)

// BenchmarkListUnsubscribeFields measures what the one-click fields add to
// a send for a list: a SendEmail to one recipient and a SendBulkEmail of
// 50 entries, through the in-process fake SESv2API, with Options.Unsubscribe
// set and without.
func BenchmarkListUnsubscribeFields(b *testing.B) {
	keys := unsubKeys(b, "k1", 1)
	entries := make([][]string, 50)
	for i := range entries {
		entries[i] = []string{fmt.Sprintf("reader%d@example.com", i)}
	}
	news := sesguard.ForList(ctx, "weekly-digest")
	for _, on := range []bool{false, true} {
		c, err := sesguard.New(funcAPI{send: func(context.Context, *sesv2.SendEmailInput) (*sesv2.SendEmailOutput, error) {
			return &sesv2.SendEmailOutput{}, nil
		}}, func(o *sesguard.Options) {
			if on {
				o.Unsubscribe = sesguard.UnsubscribeOptions{URL: unsubURL, Mailto: "unsubscribe@mail.example.com", Keys: keys}
			}
		})
		if err != nil {
			b.Fatal(err)
		}
		name := map[bool]string{false: "without", true: "with"}[on]
		b.Run("send/"+name, func(b *testing.B) {
			in := simple("someone.with.a.name@example.com")
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Send(news, in); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("bulk-50/"+name, func(b *testing.B) {
			in := bulk(entries...)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.SendBulkEmail(news, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
