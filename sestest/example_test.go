package sestest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/sesguard/sesguard/sestest"
)

// Sending to the mailbox simulator's bounce address yields a hard bounce,
// received here through a Go channel.
func Example() {
	srv, err := sestest.NewServer()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	bounces := make(chan *sestest.Notification, 1)
	if _, err := srv.SubscribeChan(bounces, func(o *sestest.SubscribeOptions) {
		o.Filter = func(n *sestest.Notification) bool { return n.Type == "Bounce" }
	}); err != nil {
		log.Fatal(err)
	}

	ctx := context.Background()
	out, err := srv.Client().SendEmail(ctx, &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("sender@example.com"),
		Destination:      &types.Destination{ToAddresses: []string{"bounce@simulator.amazonses.com"}},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String("Welcome")},
			Body:    &types.Body{Text: &types.Content{Data: aws.String("Hello!")}},
		}},
	})
	if err != nil {
		log.Fatal(err)
	}

	select {
	case n := <-bounces:
		var payload struct {
			NotificationType string
			Bounce           struct {
				BounceType, BounceSubType string
				BouncedRecipients         []struct{ EmailAddress, DiagnosticCode string }
			}
		}
		if err := json.Unmarshal(n.Message, &payload); err != nil {
			log.Fatal(err)
		}
		fmt.Println(payload.NotificationType, payload.Bounce.BounceType+"/"+payload.Bounce.BounceSubType)
		fmt.Println(payload.Bounce.BouncedRecipients[0].EmailAddress)
		fmt.Println(payload.Bounce.BouncedRecipients[0].DiagnosticCode)
		fmt.Println("about the message sent:", n.MessageID == aws.ToString(out.MessageId))
	case <-time.After(5 * time.Second):
		log.Fatal("no bounce")
	}
	// Output:
	// Bounce Permanent/General
	// bounce@simulator.amazonses.com
	// smtp; 550 5.1.1 user unknown
	// about the message sent: true
}

// A webhook subscribed over HTTP first receives a SubscriptionConfirmation
// and confirms it by fetching the SubscribeURL with the server's SNS client,
// as it would fetch SNS's; notifications follow.
func ExampleServer_Subscribe() {
	srv, err := sestest.NewServer()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	sns := srv.SNSHTTPClient()
	webhook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var env struct{ Type, SubscribeURL, Message string }
		if err := json.NewDecoder(r.Body).Decode(&env); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		// A real webhook verifies the signature before anything else.
		if env.Type == "SubscriptionConfirmation" {
			resp, err := sns.Get(env.SubscribeURL)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		}
	}))
	defer webhook.Close()

	sub, err := srv.Subscribe(webhook.URL)
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := sub.WaitConfirmed(ctx); err != nil {
		log.Fatal(err)
	}

	_, err = srv.Client().SendEmail(ctx, &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("sender@example.com"),
		Destination:      &types.Destination{ToAddresses: []string{"complaint@simulator.amazonses.com"}},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String("Hi")},
			Body:    &types.Body{Text: &types.Content{Data: aws.String("Hello")}},
		}},
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := sub.Wait(ctx, 2); err != nil {
		log.Fatal(err)
	}
	for _, d := range sub.Deliveries() {
		fmt.Println(d.Type, d.StatusCode)
	}
	// Output:
	// SubscriptionConfirmation 200
	// Notification 200
	// Notification 200
}

// With retries off, a send past the account's rate fails at once with the
// SDK's typed throttling error.
func ExampleNoRetries() {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	srv, err := sestest.NewServer(func(o *sestest.Options) {
		o.Account.MaxSendRate = 2
		o.Now = func() time.Time { return now } // time stands still
	})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	client := srv.Client(sestest.NoRetries)

	send := func() error {
		_, err := client.SendEmail(context.Background(), &sesv2.SendEmailInput{
			FromEmailAddress: aws.String("sender@example.com"),
			Destination:      &types.Destination{ToAddresses: []string{"success@simulator.amazonses.com"}},
			Content: &types.EmailContent{Simple: &types.Message{
				Subject: &types.Content{Data: aws.String("Hi")},
				Body:    &types.Body{Text: &types.Content{Data: aws.String("Hello")}},
			}},
		})
		return err
	}
	for i := 1; i <= 3; i++ {
		var throttled *types.TooManyRequestsException
		if err := send(); errors.As(err, &throttled) {
			fmt.Println(i, "throttled:", throttled.ErrorMessage())
		} else {
			fmt.Println(i, err)
		}
	}
	// Output:
	// 1 <nil>
	// 2 <nil>
	// 3 throttled: Maximum sending rate exceeded.
}
