package sesguard_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/internal/sesstub"
	"github.com/sesguard/sesguard/sestest"
)

// The pacing benchmarks run on the wall clock, over loopback HTTP, what
// the synctest tests in pacing_test.go prove on the bubble's clock. Run
// them with -benchtime=1x: each iteration takes 12 to 35 seconds.

// wallSES is sestest at rate, over loopback.
func wallSES(b *testing.B, rate float64) endpoint {
	srv := sestest.RunT(b, func(o *sestest.Options) {
		o.Account = sestest.Account{MaxSendRate: rate, Max24HourSend: -1}
		o.Templates = map[string]sestest.Template{"t": {Subject: "Hello", Text: "Hi"}}
	})
	return endpoint{
		api:       srv.Client(sestest.NoRetries),
		throttles: func() int { return int(srv.Quota().RateThrottles) },
		accepted:  func() int64 { return srv.Quota().Recipients },
	}
}

// wallStub is sesstub at rate, over loopback.
func wallStub(b *testing.B, stub *sesstub.Stub) endpoint {
	hs := httptest.NewServer(stub)
	b.Cleanup(hs.Close)
	ep := bubbleStub(stub)
	ep.api = sesv2.New(sesv2.Options{
		BaseEndpoint:     aws.String(hs.URL),
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIASESSTUB000000000", "sesstub-secret", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
	})
	return ep
}

func accountClientFor(b *testing.B, api sesguard.SESv2API) *sesguard.Client {
	c, err := sesguard.New(api, func(o *sesguard.Options) { o.AccountQuota = true })
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

// BenchmarkUtilisation: 32 goroutines send single- and multi-recipient
// mail for 30 s through a Client with AccountQuota and its defaults;
// reported are the share of MaxSendRate SES accepted after the first
// second, and the throttles.
func BenchmarkUtilisation(b *testing.B) {
	for _, rate := range []float64{14, 500} {
		for _, model := range []string{"sestest", "sesstub"} {
			b.Run(fmt.Sprintf("%s/%v", model, rate), func(b *testing.B) {
				for b.Loop() {
					ep := wallStub(b, sesstub.New(rate, nil))
					if model == "sestest" {
						ep = wallSES(b, rate)
					}
					c := accountClientFor(b, ep.api)
					start := time.Now()
					warm, end := start.Add(time.Second), start.Add(30*time.Second)
					atWarm, atEnd := countAt(warm, ep.accepted), countAt(end, ep.accepted)
					errs := campaign(c, 32, end, context.Background())
					b.ReportMetric(100*float64(atEnd()-atWarm())/(rate*end.Sub(warm).Seconds()), "%util")
					b.ReportMetric(float64(ep.throttles()), "throttles")
					b.ReportMetric(float64(len(errs)), "errors")
				}
			})
		}
	}
}

// BenchmarkRecovery: as BenchmarkUtilisation against sesstub, for 12 s;
// at 4 s another sender takes a second's worth of the rate, and SES
// throttles the Client. Reported are the seconds until the Client's last
// second of sends reaches 95% of the rate again, and the share of the rate
// used from 5 s after the other sender's burst to the end.
func BenchmarkRecovery(b *testing.B) {
	for _, rate := range []float64{14, 500} {
		b.Run(fmt.Sprint(rate), func(b *testing.B) {
			for b.Loop() {
				stub := sesstub.New(rate, nil)
				c := accountClientFor(b, wallStub(b, stub).api)
				start := time.Now()
				hit, end := start.Add(4*time.Second), start.Add(12*time.Second)
				time.AfterFunc(time.Until(hit), func() { stub.Take(int(rate)) })
				errs := campaign(c, 32, end, context.Background())
				back, ok := stub.Recovered(hit, 0.95)
				if !ok {
					back = end
				}
				settled := hit.Add(5 * time.Second)
				b.ReportMetric(back.Sub(hit).Seconds(), "s-to-95%")
				b.ReportMetric(100*float64(stub.Accepted(settled, end))/(rate*end.Sub(settled).Seconds()), "%util-after")
				b.ReportMetric(float64(stub.Throttles()), "throttles")
				b.ReportMetric(float64(len(errs)), "errors")
			}
		})
	}
}

// BenchmarkPasswordResetDuringACampaign is TestPasswordResetsDuringACampaign
// on the wall clock: sestest at 14/s over loopback, 32 goroutines sending
// a bulk campaign for 22 s, one password reset a second for 20 s.
// Reported are the resets' p99 and longest wait, and the share of the rate
// used.
func BenchmarkPasswordResetDuringACampaign(b *testing.B) {
	const rate = 14
	for b.Loop() {
		ep := wallSES(b, rate)
		c := accountClientFor(b, ep.api)
		start := time.Now()
		warm, end := start.Add(time.Second), start.Add(22*time.Second)
		atWarm, atEnd := countAt(warm, ep.accepted), countAt(end, ep.accepted)
		waits := make(chan time.Duration, 20)
		go func() {
			defer close(waits)
			for i := range 20 {
				time.Sleep(time.Until(warm.Add(time.Duration(i)*time.Second + time.Duration(i)*7*time.Millisecond)))
				sent := time.Now()
				if _, err := c.Send(context.Background(), simple(fmt.Sprintf("reset%d@example.com", i))); err != nil {
					b.Error(err)
				}
				waits <- time.Since(sent)
			}
		}()
		news := sesguard.ForList(context.Background(), "newsletter")
		errs := campaign(c, 32, end, news)
		var w []time.Duration
		for d := range waits {
			w = append(w, d)
		}
		slices.Sort(w)
		b.ReportMetric(float64(w[len(w)*99/100])/float64(time.Millisecond), "ms-p99-reset")
		b.ReportMetric(float64(w[len(w)-1])/float64(time.Millisecond), "ms-max-reset")
		b.ReportMetric(100*float64(atEnd()-atWarm())/(rate*end.Sub(warm).Seconds()), "%util")
		b.ReportMetric(float64(ep.throttles()), "throttles")
		b.ReportMetric(float64(len(errs)), "errors")
	}
}
