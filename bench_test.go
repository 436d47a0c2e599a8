package sesguard_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/memstore"
)

// BenchmarkSend measures the guard's overhead: the same in-process fake
// SESv2API called directly, and through a Client whose memstore holds
// 100,000 suppressions.
func BenchmarkSend(b *testing.B) {
	api := funcAPI{send: func(context.Context, *sesv2.SendEmailInput) (*sesv2.SendEmailOutput, error) {
		return &sesv2.SendEmailOutput{MessageId: aws.String("id")}, nil
	}}
	ms := memstore.New()
	for i := range 100_000 {
		if _, err := ms.Put(ctx, store.Suppression{Address: fmt.Sprintf("user%d@example.com", i), Reason: store.ReasonBounce}); err != nil {
			b.Fatal(err)
		}
	}
	c, err := sesguard.New(api, func(o *sesguard.Options) { o.Store = ms })
	if err != nil {
		b.Fatal(err)
	}
	run := func(name string, send func(context.Context, *sesv2.SendEmailInput, ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error), in *sesv2.SendEmailInput) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := send(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	run("direct", api.SendEmail, simple("alice@example.com"))
	run("guarded", c.Send, simple("alice@example.com"))
	run("guarded/display-name", c.Send, simple("Alice Liddell <Alice@Example.COM>"))
	run("guarded/IDN", c.Send, simple("alice@bücher.example"))
	run("guarded/one-of-two-suppressed", c.Send, simple("alice@example.com", "user42@example.com"))
	run("direct/50-recipients", api.SendEmail, simple(fifty()...))
	run("guarded/50-recipients", c.Send, simple(fifty()...))
}

func fifty() []string {
	var to []string
	for i := range 50 {
		to = append(to, fmt.Sprintf("reader%d@example.com", i))
	}
	return to
}

func BenchmarkCanonical(b *testing.B) {
	for _, in := range []string{"alice@example.com", "Alice@Example.COM", "Alice Liddell <alice@example.com>", "alice@bücher.example"} {
		b.Run(in, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := sesguard.Canonical(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
