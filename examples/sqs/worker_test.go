package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/examples/internal/exampledb"
	"github.com/sesguard/sesguard/sestest"
	"github.com/sesguard/sesguard/store"
)

// awsEnv gives the SDK's default chain static credentials and a region, and
// keeps it from reading this machine's AWS files or asking for an instance
// role.
func awsEnv(t *testing.T, region string) {
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_REGION": region, "AWS_DEFAULT_REGION": "", "AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_SQS": "",
		"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
}

// hook is a slog.Handler that calls fn with every record's message.
type hook struct {
	slog.Handler
	fn func(msg string)
}

func (hook) Enabled(context.Context, slog.Level) bool { return true }

func (h hook) Handle(ctx context.Context, r slog.Record) error {
	h.fn(r.Message)
	return nil
}

func TestNewWorkerRefuses(t *testing.T) {
	tests := []struct {
		name   string
		region string
		cfg    func(c *config)
		want   string
	}{
		{"NoRegion", "", func(*config) {}, "no AWS region"},
		{"StoreUnreachable", "us-east-1", func(c *config) { c.dsn = "postgres://nobody@127.0.0.1:1/none?connect_timeout=2" }, "open the pgx store"},
		{"BadTablePrefix", "us-east-1", func(c *config) { c.tablePrefix = "mail-" }, "TablePrefix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			awsEnv(t, tt.region)
			cfg := config{queueURL: "http://127.0.0.1:1/000000000000/q", concurrency: 1, sqlite: filepath.Join(t.TempDir(), "s.db")}
			tt.cfg(&cfg)
			if _, err := newWorker(context.Background(), cfg, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}

// Without a queue to reach, the worker logs each failed receive and keeps
// trying; it stops when told to.
func TestWorkerStopsWhileTheQueueIsUnreachable(t *testing.T) {
	awsEnv(t, "us-east-1")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var failed atomic.Bool
	log := slog.New(hook{slog.DiscardHandler, func(msg string) {
		if msg == "sqsconsumer: receive failed" {
			failed.Store(true)
			cancel()
		}
	}})
	cfg := config{queueURL: "http://127.0.0.1:1/000000000000/q", endpoint: "http://127.0.0.1:1", concurrency: 2, sqlite: filepath.Join(t.TempDir(), "s.db")}
	w, err := newWorker(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.run(ctx); err != nil {
		t.Errorf("run: %v", err)
	}
	if !failed.Load() {
		t.Error("run returned without having tried the endpoint")
	}
	if err := w.db.Ping(); err == nil {
		t.Error("the store is still open after run returned")
	}
}

// The worker against a real SQS-compatible server (CI runs fauxqs):
// notifications in both shapes are applied and deleted, an unreadable
// message stays, and a stop lets the worker finish.
func TestWorkerConsumesAQueue(t *testing.T) {
	endpoint := os.Getenv("SESGUARD_SQS_ENDPOINT")
	if endpoint == "" {
		t.Skip("SESGUARD_SQS_ENDPOINT is not set: no SQS-compatible server to test against (CI runs fauxqs; e.g. SESGUARD_SQS_ENDPOINT=http://127.0.0.1:4577)")
	}
	awsEnv(t, "us-east-1")
	ctx := context.Background()
	q := sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), Credentials: aws.AnonymousCredentials{}})
	name := fmt.Sprintf("sesguard-example-%d", time.Now().UnixNano())
	created, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: &name, Attributes: map[string]string{"VisibilityTimeout": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	url := *created.QueueUrl
	t.Cleanup(func() { q.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: &url}) })

	// SES's notifications for a bounce and a complaint, from the emulator:
	// the bounce as SNS delivers it to a queue, the complaint as raw
	// message delivery does.
	ses := sestest.RunT(t)
	sender, err := sesguard.New(ses.Client())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sender.Send(ctx, &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("app@example.com"),
		Destination:      &types.Destination{ToAddresses: []string{"bounce@simulator.amazonses.com", "complaint@simulator.amazonses.com"}},
		Content:          &types.EmailContent{Simple: &types.Message{Subject: &types.Content{Data: aws.String("hi")}, Body: &types.Body{Text: &types.Content{Data: aws.String("hi")}}}},
	}); err != nil {
		t.Fatal(err)
	}
	bodies := []string{"not a notification"}
	for _, n := range ses.Notifications() {
		switch n.Type {
		case "Bounce":
			bodies = append(bodies, string(n.Envelope()))
		case "Complaint":
			bodies = append(bodies, string(n.Message))
		}
	}
	if len(bodies) != 3 {
		t.Fatalf("the emulator published %d bounces and complaints, want 2", len(bodies)-1)
	}
	for _, b := range bodies {
		if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}

	cfg := config{queueURL: url, endpoint: endpoint, concurrency: 2, sqlite: filepath.Join(t.TempDir(), "s.db")}
	w, err := newWorker(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.run(runCtx) }()

	// Bounded wait for the real asynchrony of the queue: until only the
	// unreadable message is left.
	for deadline := time.Now().Add(30 * time.Second); queueCount(t, q, url) != 1; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("%d messages in the queue after 30s, want the unreadable one", queueCount(t, q, url))
		}
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}

	// Another process opens the same store and finds the suppressions.
	st, db, err := exampledb.Open(ctx, exampledb.SQLite(cfg.sqlite), "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := st.Lookup(ctx, []string{"bounce@simulator.amazonses.com", "complaint@simulator.amazonses.com"})
	if err != nil {
		t.Fatal(err)
	}
	stored := make(map[string]store.Suppression)
	for _, s := range got {
		stored[s.Address] = s
	}
	for addr, want := range map[string]store.Reason{"bounce@simulator.amazonses.com": store.ReasonBounce, "complaint@simulator.amazonses.com": store.ReasonComplaint} {
		if stored[addr].Reason != want {
			t.Errorf("%s: stored %+v, want reason %s", addr, stored[addr], want)
		}
	}
}

// queueCount returns the number of messages in the queue, visible or not.
func queueCount(t *testing.T, q *sqs.Client, url string) int {
	t.Helper()
	names := []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}
	attrs, err := q.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: names})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, k := range names {
		v, err := strconv.Atoi(attrs.Attributes[string(k)])
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		n += v
	}
	return n
}
