package sesguard_test

import (
	"context"
	"fmt"
	"log"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/sesguard/sesguard"
)

// A bounce as raw message delivery sends it: bare SES JSON, two recipients.
const rawBounce = `{"notificationType":"Bounce",
 "bounce":{"bounceType":"Permanent","bounceSubType":"General","feedbackId":"0100-example",
  "bouncedRecipients":[
   {"emailAddress":"Jane@Example.com","action":"failed","status":"5.1.1","diagnosticCode":"smtp; 550 5.1.1 user unknown"},
   {"emailAddress":"richard@example.com"}]},
 "mail":{"messageId":"0000-example","destination":["jane@example.com","mary@example.com","richard@example.com"]}}`

func ExampleParse() {
	ns, err := sesguard.Parse([]byte(rawBounce))
	if err != nil {
		log.Fatal(err)
	}
	for _, n := range ns {
		for _, r := range n.Records() {
			fmt.Println(r.Type, n.Bounce.Type, r.Address, r.Status)
		}
	}
	// Output:
	// Bounce Permanent Jane@Example.com 5.1.1
	// Bounce Permanent richard@example.com
}

func ExampleClient_Apply() {
	ctx := context.Background()
	client, err := sesguard.New(sesv2.New(sesv2.Options{Region: "us-east-1"}))
	if err != nil {
		log.Fatal(err)
	}
	ns, err := sesguard.Parse([]byte(rawBounce)) // e.g. the body of an SQS message
	if err != nil {
		log.Fatal(err)
	}
	for range 2 { // a redelivery changes nothing
		decisions, err := client.Apply(ctx, ns[0])
		if err != nil {
			log.Fatal(err) // the store failed: leave the message for redelivery
		}
		for _, d := range decisions {
			fmt.Println(d.Action, d.Address)
		}
	}
	s, ok, _ := client.Suppressed(ctx, "jane@example.com")
	fmt.Println(ok, s.Reason, s.Detail)
	// Output:
	// suppressed jane@example.com
	// suppressed richard@example.com
	// duplicate jane@example.com
	// duplicate richard@example.com
	// true BOUNCE Permanent/General: smtp; 550 5.1.1 user unknown
}

func ExampleClient_SNSHandler() {
	client, err := sesguard.New(sesv2.New(sesv2.Options{Region: "us-east-1"}))
	if err != nil {
		log.Fatal(err)
	}
	http.Handle("POST /ses/notifications", client.SNSHandler(func(o *sesguard.HandlerOptions) {
		// Accept only the topics that carry this account's SES notifications.
		o.TopicARNs = []string{"arn:aws:sns:us-east-1:123456789012:ses-feedback"}
	}))
	// Then subscribe https://<host>/ses/notifications to the topic; the
	// handler confirms the subscription once its signature checks out.
}
