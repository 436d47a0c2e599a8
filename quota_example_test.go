package sesguard_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/sestest"
)

func ExampleQuotaExceededError() {
	now := time.Date(2026, 5, 1, 12, 0, 30, 0, time.UTC)
	ses, err := sestest.NewServer(func(o *sestest.Options) { o.Now = func() time.Time { return now } })
	if err != nil {
		log.Fatal(err)
	}
	defer ses.Close()
	api := ses.Client()
	ctx := context.Background()

	// In a service, AccountQuota reads the quota from SES instead.
	client, err := sesguard.New(api, func(o *sesguard.Options) {
		o.DailyQuota = 3
		o.Now = func() time.Time { return now }
	})
	if err != nil {
		log.Fatal(err)
	}
	client.Send(ctx, simple("a@example.com", "b@example.com"))

	_, err = client.Send(ctx, simple("c@example.com", "d@example.com"))
	var q *sesguard.QuotaExceededError
	if errors.As(err, &q) {
		fmt.Printf("%d of %d used, %d needed; room at %s\n", q.Used, q.Quota, q.Need, q.RetryAt.Format(time.RFC3339))
	}
	fmt.Println("messages SES received:", len(ses.Messages()))
	// Output:
	// 2 of 3 used, 2 needed; room at 2026-05-02T12:01:00Z
	// messages SES received: 1
}

func ExampleCritical() {
	ses, err := sestest.NewServer()
	if err != nil {
		log.Fatal(err)
	}
	defer ses.Close()
	api := ses.Client()
	ctx := context.Background()

	client, err := sesguard.New(api, func(o *sesguard.Options) {
		o.Breaker.AllowCritical = true
		o.Breaker.OnStateChange = func(c sesguard.BreakerChange) {
			fmt.Printf("breaker %s -> %s (%s)\n", c.From, c.To, c.Reason)
		}
	})
	if err != nil {
		log.Fatal(err)
	}
	// SES pauses the account; the breaker opens.
	ses.UpdateAccount(func(a *sestest.Account) { a.SendingPaused = true })
	client.Send(ctx, simple("news@example.com"))

	// Sending is enabled again at AWS; the breaker stays open for its
	// cool-down, except for critical mail.
	ses.UpdateAccount(func(a *sestest.Account) { a.SendingPaused = false })

	_, err = client.Send(ctx, simple("news@example.com"))
	fmt.Println("newsletter refused:", errors.Is(err, sesguard.ErrBreakerOpen))
	_, err = client.Send(sesguard.Critical(ctx), simple("reset@example.com"))
	fmt.Println("password reset sent:", err == nil)
	// Output:
	// breaker closed -> open (SendingPausedException)
	// newsletter refused: true
	// password reset sent: true
}
