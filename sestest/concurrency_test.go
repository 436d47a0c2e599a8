package sestest_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/sesguard/sesguard/sestest"
)

// TestConcurrentUse sends from many goroutines while others read the
// inspection API, change the account and the suppression list, with a
// channel and an HTTP subscriber attached. Run it with -race.
func TestConcurrentUse(t *testing.T) {
	srv, client, _ := start(t, func(o *sestest.Options) {
		o.Account.MaxSendRate = 1e6
		o.Account.Max24HourSend = -1
	})
	ch := make(chan *sestest.Notification, 1000)
	chSub, err := srv.SubscribeChan(ch)
	if err != nil {
		t.Fatal(err)
	}
	wh := newWebhook(t, srv, true, nil)
	httpSub := wh.subscribe()

	const workers, each = 8, 20
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				to := fmt.Sprintf("w%d-%d@example.com", w, i)
				if i%4 == 0 {
					to = "bounce@simulator.amazonses.com"
				}
				if _, err := client.SendEmail(ctxT(t), simple(to)); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Go(func() {
		for i := range each {
			_ = srv.Quota()
			_ = srv.Messages()
			_ = srv.Notifications()
			_ = srv.UpdateAccount(func(a *sestest.Account) { a.EnforcementStatus = []string{"HEALTHY", "PROBATION"}[i%2] })
			if _, err := client.PutSuppressedDestination(ctxT(t), &sesv2.PutSuppressedDestinationInput{
				EmailAddress: aws.String(fmt.Sprintf("s%d@example.org", i)), Reason: types.SuppressionListReasonBounce}); err != nil {
				errs <- err
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	const total = workers * each
	if n := len(srv.Messages()); n != total {
		t.Fatalf("%d messages, want %d", n, total)
	}
	seen := map[string]bool{}
	for _, m := range srv.Messages() {
		if seen[m.MessageID] {
			t.Fatalf("duplicate message id %s", m.MessageID)
		}
		seen[m.MessageID] = true
	}
	if n := len(srv.Notifications()); n != total {
		t.Fatalf("%d notifications, want one per message (%d)", n, total)
	}
	if err := chSub.Wait(ctxT(t), total); err != nil {
		t.Fatal(err)
	}
	if err := httpSub.Wait(ctxT(t), total); err != nil {
		t.Fatal(err)
	}
	if len(ch) != total || len(wh.posts()) != total+1 {
		t.Errorf("channel got %d, webhook %d posts; want %d and %d", len(ch), len(wh.posts()), total, total+1)
	}
	if q := srv.Quota(); q.Messages != total || q.Recipients != total || q.SentLast24Hours != total-total/4 {
		t.Errorf("quota %+v", q)
	}
}
