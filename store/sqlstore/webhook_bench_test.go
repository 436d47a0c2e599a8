package sqlstore_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/internal/snstest"
	"github.com/sesguard/sesguard/sns"
	"github.com/sesguard/sesguard/store/sqlstore"
)

// benchNow is the clock of the benchmarks' Clients, and the time their
// notifications were signed and bounced at.
var benchNow = time.Now().UTC().Truncate(time.Millisecond)

// bounceMessage is the SES notification of a permanent bounce of a
// distinct address, numbered i.
func bounceMessage(i int) string {
	return fmt.Sprintf(`{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","bounceSubType":"General","feedbackId":"bench-%07d","timestamp":%q,"bouncedRecipients":[{"emailAddress":"bench%07d@example.com","action":"failed","status":"5.1.1","diagnosticCode":"smtp; 550 5.1.1 user unknown"}]},"mail":{"messageId":"m-%07d"}}`,
		i, benchNow.Format(time.RFC3339Nano), i, i)
}

var signed struct {
	mu     sync.Mutex
	bodies [][]byte
}

// signedBounces returns n SNS posts, each a signed bounce of a distinct
// address; they are signed once per run, on every CPU, and shared by the
// benchmarks (each of which uses tables of its own).
func signedBounces(b *testing.B, n int) [][]byte {
	b.Helper()
	signed.mu.Lock()
	defer signed.mu.Unlock()
	if have := len(signed.bodies); have < n {
		signer := snstest.NewSigner()
		more := make([][]byte, n-have)
		var next atomic.Int64
		var wg sync.WaitGroup
		for range runtime.GOMAXPROCS(0) {
			wg.Go(func() {
				for {
					j := int(next.Add(1) - 1)
					if j >= len(more) {
						return
					}
					e := &sns.Envelope{
						Type: sns.TypeNotification, MessageID: fmt.Sprintf("bench-msg-%07d", have+j), TopicARN: snstest.TopicARN,
						Message: bounceMessage(have + j), Timestamp: benchNow.Format("2006-01-02T15:04:05.000Z"),
					}
					if err := signer.Sign(e); err != nil {
						b.Error(err)
						return
					}
					more[j] = snstest.Marshal(e, false)
				}
			})
		}
		wg.Wait()
		signed.bodies = append(signed.bodies, more...)
	}
	return signed.bodies[:n]
}

// benchClient returns a Client on a new store of be, with its pool set by
// ConfigurePool for concurrent callers.
func benchClient(b *testing.B, be backend, concurrent int) (*sesguard.Client, *sqlstore.Store) {
	b.Helper()
	db := be.open(b)
	sqlstore.ConfigurePool(db, concurrent)
	st := newStore(b, db)
	c, err := sesguard.New(sesv2.New(sesv2.Options{Region: "us-east-1"}), func(o *sesguard.Options) {
		o.Store = st
		o.Now = func() time.Time { return benchNow }
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c, st
}

// runConcurrently calls do(i) for i in [0, n) from workers goroutines,
// reports notifications/s for notes notifications and the latencies of
// the calls.
func runConcurrently(b *testing.B, n, workers, notes int, do func(i int) error) {
	b.Helper()
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				t0 := time.Now()
				err := do(i)
				lat[i] = time.Since(t0)
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(notes)/elapsed.Seconds(), "notifications/s")
	reportLatency(b, lat)
}

// BenchmarkWebhook posts b.N distinct signed SNS bounces to
// Client.SNSHandler from 1, 8 and 32 concurrent senders: the signature
// check, parsing, the lookup, the conditional Put and the mark with the
// breaker's counts, on each database. Read notifications/s, and p50-ms
// and p99-ms per post. Run it with a fixed count, e.g. -benchtime 3000x.
func BenchmarkWebhook(b *testing.B) {
	for _, be := range backends {
		for _, senders := range []int{1, 8, 32} {
			b.Run(fmt.Sprintf("%s/senders=%d", be.name, senders), func(b *testing.B) {
				bodies := signedBounces(b, b.N)
				c, _ := benchClient(b, be, senders)
				h, err := c.SNSHandler(func(o *sesguard.HandlerOptions) {
					o.SNS.TopicARNs = []string{snstest.TopicARN}
					o.SNS.CertificateSource = snstest.NewSigner().NewSource("")
				})
				if err != nil {
					b.Fatal(err)
				}
				runConcurrently(b, b.N, senders, b.N, func(i int) error {
					r := httptest.NewRequest(http.MethodPost, "/sns", bytes.NewReader(bodies[i]))
					r.Header.Set("Content-Type", "text/plain; charset=UTF-8")
					w := httptest.NewRecorder()
					h.ServeHTTP(w, r)
					if w.Code != http.StatusOK {
						return fmt.Errorf("post %d answered %d: %s", i, w.Code, w.Body)
					}
					return nil
				})
			})
		}
	}
}

// BenchmarkApplyBatch applies b.N distinct bounces in batches of 10, as
// the SQS consumer applies a receive, each batch one transaction, from 1
// and 4 concurrent consumers. Read notifications/s, and p50-ms and p99-ms
// per batch.
func BenchmarkApplyBatch(b *testing.B) {
	const batch = 10
	for _, be := range backends {
		for _, consumers := range []int{1, 4} {
			b.Run(fmt.Sprintf("%s/consumers=%d", be.name, consumers), func(b *testing.B) {
				ns := make([]*sesguard.Notification, b.N)
				for i := range ns {
					parsed, err := sesguard.Parse([]byte(bounceMessage(i)))
					if err != nil {
						b.Fatal(err)
					}
					ns[i] = parsed[0]
				}
				c, _ := benchClient(b, be, consumers)
				batches := (b.N + batch - 1) / batch
				runConcurrently(b, batches, consumers, b.N, func(i int) error {
					_, err := c.ApplyBatch(context.Background(), ns[i*batch:min((i+1)*batch, len(ns))])
					return err
				})
			})
		}
	}
}
