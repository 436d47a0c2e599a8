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
	s, ok, _ := sesguard.Suppressed(ctx, client, "jane@example.com")
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
	handler, err := client.SNSHandler(func(o *sesguard.HandlerOptions) {
		// Accept only the topics that carry this account's SES
		// notifications: without an allow-list SNSHandler fails, since
		// anyone can publish signed messages on a topic of their own.
		o.SNS.TopicARNs = []string{"arn:aws:sns:us-east-1:123456789012:ses-feedback"}
	})
	if err != nil {
		log.Fatal(err)
	}
	http.Handle("POST /ses/notifications", handler)
	// Then subscribe https://<host>/ses/notifications to the topic; the
	// handler confirms the subscription once its signature checks out.
	// Messages older than sns.DefaultMaxAge (two hours) are refused.
}

// A Lambda function subscribed to the SNS topic receives an SNS event;
// Parse reads it as it is (Lambda's SigningCertUrl spelling, "Subject":
// null) and the notifications go to Apply. AWS invoked the function, so no
// signature check is needed.
func ExampleParse_lambda() {
	event := []byte(`{"Records":[{"EventSource":"aws:sns","EventVersion":"1.0",
	  "EventSubscriptionArn":"arn:aws:sns:us-east-1:123456789012:ses-feedback:0b5c",
	  "Sns":{"Type":"Notification","MessageId":"95df01b4-ee98-5cb9-9903-4c221d41eb5e",
	    "TopicArn":"arn:aws:sns:us-east-1:123456789012:ses-feedback","Subject":null,
	    "Message":"{\"notificationType\":\"Complaint\",\"complaint\":{\"feedbackId\":\"0100-c\",\"complaintFeedbackType\":\"abuse\",\"complainedRecipients\":[{\"emailAddress\":\"bob@example.com\"}]},\"mail\":{\"messageId\":\"0000-m\"}}",
	    "Timestamp":"2026-05-01T12:00:00.000Z","SignatureVersion":"1","Signature":"...",
	    "SigningCertUrl":"https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000.pem",
	    "UnsubscribeUrl":"https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe","MessageAttributes":{}}}]}`)
	ns, err := sesguard.Parse(event)
	if err != nil {
		log.Fatal(err)
	}
	for _, n := range ns {
		fmt.Println(n.SNS.MessageID, n.SNS.HasSubject, n.Type, n.Complaint.FeedbackType, n.Records()[0].Address)
	}
	// Output:
	// 95df01b4-ee98-5cb9-9903-4c221d41eb5e false Complaint abuse bob@example.com
}
