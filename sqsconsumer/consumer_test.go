package sqsconsumer_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/sns"
	"github.com/sesguard/sesguard/sqsconsumer"
	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/memstore"
)

// sqsClient returns a real SQS client for the SQS-compatible server at
// SESGUARD_SQS_ENDPOINT, or skips the test.
func sqsClient(t *testing.T) *sqs.Client {
	t.Helper()
	endpoint := os.Getenv("SESGUARD_SQS_ENDPOINT")
	if endpoint == "" {
		t.Skip("SESGUARD_SQS_ENDPOINT is not set: no SQS-compatible server to test against (CI runs fauxqs)")
	}
	return sqs.New(sqs.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(endpoint),
		Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
		RetryMaxAttempts: 1,
	})
}

// flakyStore fails the first Put for one address. It has memstore's
// abilities but Transactor, so that a batch is applied in order up to the
// failure.
type flakyStore struct {
	store.Store
	store.BounceCounter
	store.Deduper
	store.Counter
	addr   string
	failed atomic.Bool
}

func newFlakyStore(addr string) *flakyStore {
	ms := memstore.New()
	return &flakyStore{Store: ms, BounceCounter: ms, Deduper: ms, Counter: ms, addr: addr}
}

func (f *flakyStore) Put(ctx context.Context, s store.Suppression) (bool, error) {
	if s.Address == f.addr && f.failed.CompareAndSwap(false, true) {
		return false, errors.New("database is down")
	}
	return f.Store.Put(ctx, s)
}

// gauge records the most concurrent batches.
type gauge struct {
	inner     *sesguard.Client
	mu        sync.Mutex
	now, peak int
}

func (g *gauge) ApplyBatch(ctx context.Context, ns []*sesguard.Notification) ([][]sesguard.Decision, error) {
	g.mu.Lock()
	g.now++
	g.peak = max(g.peak, g.now)
	g.mu.Unlock()
	defer func() { g.mu.Lock(); g.now--; g.mu.Unlock() }()
	return g.inner.ApplyBatch(ctx, ns)
}

// queueCount returns the number of messages in the queue, visible or not.
func queueCount(t *testing.T, q *sqs.Client, url string) int {
	t.Helper()
	attrs, err := q.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl:       &url,
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible},
	})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, k := range []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible} {
		v, err := strconv.Atoi(attrs.Attributes[string(k)])
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		n += v
	}
	return n
}

// testdataCerts serves the real SNS certificates in testdata by the hash
// in their URL, offline.
type testdataCerts struct{}

func (testdataCerts) Certificate(_ context.Context, certURL string) (*x509.Certificate, error) {
	name := strings.TrimSuffix(certURL[strings.LastIndexByte(certURL, '/')+1:], ".pem")
	hash, ok := strings.CutPrefix(name, "SimpleNotificationService-")
	if !ok {
		return nil, fmt.Errorf("no certificate for %s", certURL)
	}
	data, err := os.ReadFile(filepath.Join("testdata", "cert-"+hash+".pem"))
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%s: not PEM", name)
	}
	return x509.ParseCertificate(block.Bytes)
}

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestNewRefusesAgeChecks checks that a Consumer is not built with a
// Validator that would refuse messages for having waited in the queue.
func TestNewRefusesAgeChecks(t *testing.T) {
	client, err := sesguard.New(sesv2.New(sesv2.Options{Region: "us-east-1"}))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		maxAge time.Duration
		ok     bool
	}{
		{"default max age", 0, false},
		{"an hour", time.Hour, false},
		{"NoMaxAge", sns.NoMaxAge, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v, err := sns.NewValidator(func(o *sns.ValidatorOptions) {
				o.TopicARNs = []string{"arn:aws:sns:us-east-1:123456789012:ses"}
				o.MaxAge = tt.maxAge
			})
			if err != nil {
				t.Fatal(err)
			}
			_, err = sqsconsumer.New(sqs.New(sqs.Options{Region: "us-east-1"}), client, func(o *sqsconsumer.Options) {
				o.QueueURL = "https://sqs.us-east-1.amazonaws.com/123456789012/ses"
				o.Validator = v
			})
			if (err == nil) != tt.ok {
				t.Fatalf("New = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

func TestConsumer(t *testing.T) {
	q := sqsClient(t)
	ctx := context.Background()
	name := fmt.Sprintf("sesguard-test-%d", time.Now().UnixNano())
	created, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: &name, Attributes: map[string]string{"VisibilityTimeout": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	url := *created.QueueUrl
	t.Cleanup(func() { q.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: &url}) })

	raw := `{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","bounceSubType":"General","feedbackId":"retry-1","bouncedRecipients":[{"emailAddress":"retry@example.com"}]},"mail":{"messageId":"m"}}`
	sent := map[string]string{
		"SNS-wrapped bounce":  read(t, "django-ses-bounce-notification.json"),
		"raw complaint":       read(t, "real-simulator-event-complaint.json"),
		"raw bounce, retried": raw,
		"not SES":             read(t, "javav2-notification-v2.json"),
		"malformed":           "hello, world",
		"forged":              read(t, "tampered-message.json"),
	}
	for _, body := range sent {
		if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String(body)}); err != nil {
			t.Fatal(err)
		}
	}

	ms := newFlakyStore("retry@example.com")
	client, err := sesguard.New(sesv2.New(sesv2.Options{Region: "us-east-1"}), func(o *sesguard.Options) { o.Store = ms })
	if err != nil {
		t.Fatal(err)
	}
	g := &gauge{inner: client}
	// The fixtures are real messages from other accounts' topics, years
	// old; a queue's messages are never refused for their age.
	validator, err := sns.NewValidator(func(o *sns.ValidatorOptions) {
		o.AllowAnyTopic = true
		o.MaxAge = sns.NoMaxAge
		o.CertificateSource = testdataCerts{}
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := sqsconsumer.New(q, g, func(o *sqsconsumer.Options) {
		o.QueueURL = url
		o.Concurrency = 2
		o.WaitTime = time.Second
		o.VisibilityTimeout = time.Second
		o.Validator = validator

	})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- c.Run(runCtx) }()

	// Bounded wait for the real asynchrony of the queue.
	want := []string{"bounce@simulator.amazonses.com", "complaint@simulator.amazonses.com", "retry@example.com"}
	deadline := time.Now().Add(30 * time.Second)
	for {
		all := true
		for _, a := range want {
			if in, err := client.Suppressions(ctx, a); err != nil || len(in) == 0 {
				all = false
			}
		}
		if all {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("notifications not applied within 30s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The malformed and the forged message keep coming back; everything
	// else was deleted.
	for queueCount(t, q, url) != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("%d messages in the queue, want the malformed and the forged one", queueCount(t, q, url))
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(25 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	if !ms.failed.Load() {
		t.Error("the store never failed: the retry path was not exercised")
	}
	g.mu.Lock()
	peak := g.peak
	g.mu.Unlock()
	if peak > 2 {
		t.Errorf("%d batches at once, want at most 2", peak)
	}
	// What is left is the malformed and the forged message, visible again
	// after their timeout.
	var left []string
	for len(left) < 2 && time.Now().Before(deadline) {
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			left = append(left, *m.Body)
		}
	}
	slices.Sort(left)
	if want := []string{sent["malformed"], sent["forged"]}; !slices.Equal(left, want) {
		t.Fatalf("left in the queue: %q, want %q", left, want)
	}
}
