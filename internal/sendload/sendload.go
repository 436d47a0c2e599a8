// Package sendload drives many goroutines sending through sesguard Clients
// to one sestest emulator that enforces MaxSendRate per recipient, for the
// pacing tests and benchmarks of the root module and of redislimiter.
package sendload

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/sestest"
)

// Load is a run of many goroutines sending through one or more Clients.
type Load struct {
	Workers   int           // goroutines per Client
	Duration  time.Duration // how long they send; 0: until each sent PerWorker messages
	PerWorker int
}

// Result is what a load run sent.
type Result struct {
	Attempted            atomic.Int64 // messages tried
	Messages, Recipients atomic.Int64 // messages SES accepted, and their recipients
	mu                   sync.Mutex
	Errs                 []error
	Elapsed              time.Duration
}

// sizes is the recipient count of each worker's messages in turn: single-
// and multi-recipient mail. Every fifth is a bulk send with one entry per
// recipient.
var sizes = []int{1, 2, 1, 3, 1, 5}

// Simple is a one-part text message to the addresses of to.
func Simple(to ...string) *sesv2.SendEmailInput {
	return &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("sender@example.com"),
		Destination:      &types.Destination{ToAddresses: to},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String("Hello")},
			Body:    &types.Body{Text: &types.Content{Data: aws.String("Hi")}},
		}},
	}
}

// Bulk is a bulk send of the emulator's template "t" with one entry per
// address of to.
func Bulk(to []string) *sesv2.SendBulkEmailInput {
	in := &sesv2.SendBulkEmailInput{
		FromEmailAddress: aws.String("sender@example.com"),
		DefaultContent: &types.BulkEmailContent{Template: &types.Template{
			TemplateName: aws.String("t"), TemplateData: aws.String("{}"),
		}},
	}
	for _, a := range to {
		in.BulkEmailEntries = append(in.BulkEmailEntries, types.BulkEmailEntry{Destination: &types.Destination{ToAddresses: []string{a}}})
	}
	return in
}

// Run sends through clients until l is done, and returns what was sent.
func (l Load) Run(clients ...*sesguard.Client) *Result {
	r := &Result{}
	start := time.Now()
	var wg sync.WaitGroup
	for ci, c := range clients {
		for w := range l.Workers {
			wg.Go(func() {
				for i := 0; ; i++ {
					if l.Duration > 0 && time.Since(start) >= l.Duration || l.Duration == 0 && i >= l.PerWorker {
						return
					}
					n := sizes[(w+i)%len(sizes)]
					to := make([]string, n)
					for k := range to {
						to[k] = fmt.Sprintf("c%dw%dm%dr%d@example.com", ci, w, i, k)
					}
					var err error
					msgs := int64(1)
					if i%5 == 4 {
						msgs = int64(n) // SES counts each entry as a message
						_, err = c.SendBulkEmail(context.Background(), Bulk(to))
					} else {
						_, err = c.Send(context.Background(), Simple(to...))
					}
					r.Attempted.Add(msgs)
					if err != nil {
						r.mu.Lock()
						r.Errs = append(r.Errs, err)
						r.mu.Unlock()
						continue
					}
					r.Messages.Add(msgs)
					r.Recipients.Add(int64(n))
				}
			})
		}
	}
	wg.Wait()
	r.Elapsed = time.Since(start)
	return r
}

// Emulator starts sestest at rate recipients per second, with a template
// "t", and returns it with an SDK client for it.
func Emulator(tb testing.TB, rate float64, optFns ...func(*sestest.Options)) (*sestest.Server, *sesv2.Client) {
	srv := sestest.RunT(tb, append([]func(*sestest.Options){func(o *sestest.Options) {
		o.Account = sestest.Account{MaxSendRate: rate, Max24HourSend: -1}
		o.Templates = map[string]sestest.Template{"t": {Subject: "Hello", Text: "Hi"}}
	}}, optFns...)...)
	// One connection per request: a connection the SDK's pool dialed but
	// never used would hold up the server's graceful shutdown for seconds.
	api := srv.Client(func(o *sesv2.Options) {
		o.HTTPClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	})
	return srv, api
}

// Steady measures the share of rate that SES accepted between warm-up and
// the end of run, leaving out the bucket SES starts with.
func Steady(srv *sestest.Server, rate float64, warmup time.Duration, run func() *Result) (util float64, r *Result) {
	type mark struct {
		at time.Time
		n  int64
	}
	warm := make(chan mark, 1)
	time.AfterFunc(warmup, func() { warm <- mark{time.Now(), srv.Quota().Recipients} })
	r = run()
	end := mark{time.Now(), srv.Quota().Recipients}
	w := <-warm
	return 100 * float64(end.n-w.n) / (rate * end.at.Sub(w.at).Seconds()), r
}
