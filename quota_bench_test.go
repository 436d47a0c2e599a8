package sesguard_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/sesguard/sesguard"
)

// BenchmarkSendGuardSteps measures a whole Send on an in-process SESv2API:
// "default" (the breaker on, nothing paced) and "paced" (also the 24-hour
// quota and the limiter, at a rate too high to wait), serially and from
// all cores at once.
func BenchmarkSendGuardSteps(b *testing.B) {
	api := funcAPI{send: func(context.Context, *sesv2.SendEmailInput) (*sesv2.SendEmailOutput, error) {
		return &sesv2.SendEmailOutput{MessageId: aws.String("id")}, nil
	}}
	configs := []struct {
		name string
		opts func(*sesguard.Options)
	}{
		{"default", func(*sesguard.Options) {}},
		{"paced", func(o *sesguard.Options) { o.SendRate, o.DailyQuota = 1e12, 1e15 }},
	}
	for _, cfg := range configs {
		for _, n := range []int{1, 50} {
			in := simple(recipients(n)...)
			c, err := sesguard.New(api, cfg.opts)
			if err != nil {
				b.Fatal(err)
			}
			b.Run(cfg.name+"/recipients="+itoa(n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := c.Send(ctx, in); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(cfg.name+"/recipients="+itoa(n)+"/parallel", func(b *testing.B) {
				b.ReportAllocs()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := c.Send(ctx, in); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		}
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
