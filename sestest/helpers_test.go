package sestest_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/sesguard/sesguard/sestest"
)

// clock is a test clock that moves only when told to.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testConfigSets are the configuration sets the tests' messages name.
var testConfigSets = []string{"ConfigSet", "cs", "events", "raw-set"}

// start runs a server on a test clock, with the configuration sets of
// testConfigSets, and returns it with a client that does not retry.
func start(t *testing.T, optFns ...func(*sestest.Options)) (*sestest.Server, *sesv2.Client, *clock) {
	t.Helper()
	c := newClock()
	fns := append([]func(*sestest.Options){func(o *sestest.Options) { o.Now = c.Now; o.ConfigurationSets = testConfigSets }}, optFns...)
	srv := sestest.RunT(t, fns...)
	return srv, srv.Client(sestest.NoRetries), c
}

// simple is a Simple SendEmail from sender@example.com to the recipients.
func simple(to ...string) *sesv2.SendEmailInput {
	return &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("sender@example.com"),
		Destination:      &types.Destination{ToAddresses: to},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String("Hello")},
			Body:    &types.Body{Text: &types.Content{Data: aws.String("Hello text")}},
		}},
	}
}

// ctxT is a context bounded for waits on real asynchrony: the bound
// catches a hang, and is far above what a loaded machine under the race
// detector needs (a 10 MB request took more than 10 s there).
func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// decode unmarshals a notification's SES payload into a generic value.
func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("payload is not a JSON object: %v\n%s", err, b)
	}
	return v
}

// field follows a path of object keys and array indexes through a decoded
// JSON value.
func field(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

// byType returns the notifications of format f and type typ.
func byType(ns []*sestest.Notification, f sestest.Format, typ string) []*sestest.Notification {
	var out []*sestest.Notification
	for _, n := range ns {
		if n.Format == f && n.Type == typ {
			out = append(out, n)
		}
	}
	return out
}
