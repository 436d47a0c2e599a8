package sestest_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sesguard/sesguard/sestest"
)

func benchServer(b *testing.B, optFns ...func(*sestest.Options)) *sestest.Server {
	b.Helper()
	srv, err := sestest.NewServer(append([]func(*sestest.Options){func(o *sestest.Options) {
		o.Account.MaxSendRate = 1e9
		o.Account.Max24HourSend = -1
	}}, optFns...)...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkSendEmail measures SendEmail calls through the real SDK client
// over loopback, from parallel goroutines, each accepted and producing a
// Delivery notification.
func BenchmarkSendEmail(b *testing.B) {
	srv := benchServer(b)
	client := srv.Client(sestest.NoRetries)
	in := simple("recipient@example.com")
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := client.SendEmail(ctx, in); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sends/s")
}

// BenchmarkSendEmailSerial is BenchmarkSendEmail from one goroutine: the
// latency of one call.
func BenchmarkSendEmailSerial(b *testing.B) {
	srv := benchServer(b)
	client := srv.Client(sestest.NoRetries)
	in := simple("recipient@example.com")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := client.SendEmail(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sends/s")
}

// BenchmarkEnvelope measures signing one notification's SNS envelope.
func BenchmarkEnvelope(b *testing.B) {
	for _, v := range []string{"1", "2"} {
		b.Run("SignatureVersion"+v, func(b *testing.B) {
			srv := benchServer(b, func(o *sestest.Options) { o.SignatureVersion = v })
			client := srv.Client(sestest.NoRetries)
			for b.Loop() {
				b.StopTimer()
				if _, err := client.SendEmail(context.Background(), simple("recipient@example.com")); err != nil {
					b.Fatal(err)
				}
				ns := srv.Notifications()
				b.StartTimer()
				_ = ns[len(ns)-1].Envelope()
			}
		})
	}
}

// BenchmarkServeHTTP measures the server's own share of a SendEmail: the
// handler called in process, without the SDK, the network or a client.
func BenchmarkServeHTTP(b *testing.B) {
	srv := benchServer(b)
	body := []byte(`{"FromEmailAddress":"sender@example.com","Destination":{"ToAddresses":["recipient@example.com"]},` +
		`"Content":{"Simple":{"Subject":{"Data":"Hello"},"Body":{"Text":{"Data":"Hello text"}}}}}`)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v2/email/outbound-emails", bytes.NewReader(body)))
		if rec.Code != http.StatusOK {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
}
