package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/sesguard/sesguard/sestest"
)

// BenchmarkNotification measures one SNS delivery through the whole
// server: an HTTP POST of a signed bounce for a new address, the signature
// checked (certificate cached), the bounce applied to the store, 200
// answered. Each store runs when it is available.
func BenchmarkNotification(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			cfg := be.storeConfig(b, demoConfig())
			a, err := start(context.Background(), cfg, slog.New(slog.DiscardHandler))
			if err != nil {
				b.Fatal(err)
			}
			defer a.stop()
			envelopes := bounces(b, a.emu, b.N)
			url := a.url + a.cfg.path
			b.ResetTimer()
			for _, e := range envelopes {
				resp, err := http.Post(url, "text/plain; charset=UTF-8", bytes.NewReader(e))
				if err != nil {
					b.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
		})
	}
}

// bounces has the emulator bounce n different addresses and returns the
// signed envelopes of the bounces.
func bounces(b *testing.B, emu *sestest.Server, n int) [][]byte {
	b.Helper()
	if err := emu.UpdateAccount(func(a *sestest.Account) { a.MaxSendRate = 1e6 }); err != nil {
		b.Fatal(err)
	}
	ses := emu.Client()
	from := len(emu.Notifications())
	for i := range n {
		if _, err := ses.SendEmail(context.Background(), &sesv2.SendEmailInput{
			FromEmailAddress: aws.String("app@example.com"),
			Destination:      &types.Destination{ToAddresses: []string{fmt.Sprintf("bounce+%d@simulator.amazonses.com", i)}},
			Content:          &types.EmailContent{Simple: &types.Message{Subject: &types.Content{Data: aws.String("s")}, Body: &types.Body{Text: &types.Content{Data: aws.String("b")}}}},
		}); err != nil {
			b.Fatal(err)
		}
	}
	var out [][]byte
	for _, n := range emu.Notifications()[from:] {
		out = append(out, n.Envelope())
	}
	return out
}
