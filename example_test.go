package sesguard_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/sestest"
	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/verify"
)

func Example() {
	// In a service: cfg, _ := config.LoadDefaultConfig(ctx); api := sesv2.NewFromConfig(cfg).
	// Here the sestest emulator answers the real SDK client.
	ses, err := sestest.NewServer()
	if err != nil {
		log.Fatal(err)
	}
	defer ses.Close()
	api := ses.Client()
	ctx := context.Background()

	client, err := sesguard.New(api) // in-memory suppression list; see Options for a shared store
	if err != nil {
		log.Fatal(err)
	}
	// Normally the list fills itself from SES bounce and complaint notifications.
	client.Suppress(ctx, store.Suppression{Address: "gone@example.com", Reason: store.ReasonBounce})

	_, err = client.Send(ctx, &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("app@example.com"),
		Destination:      &types.Destination{ToAddresses: []string{"Gone <Gone@Example.com>"}},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String("Reset your password")},
			Body:    &types.Body{Text: &types.Content{Data: aws.String("…")}},
		}},
	})
	if errors.Is(err, sesguard.ErrSuppressed) {
		fmt.Println(err)
	}
	// Output: sesguard: recipient suppressed: Gone <Gone@Example.com> (BOUNCE)
}

func ExampleSkippedRecipients() {
	ses, _ := sestest.NewServer()
	defer ses.Close()
	api := ses.Client()
	ctx := context.Background()
	client, _ := sesguard.New(api)
	client.Suppress(ctx, store.Suppression{Address: "bob@example.com", Reason: store.ReasonComplaint, Detail: "abuse"})

	out, err := client.Send(ctx, &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("app@example.com"),
		Destination:      &types.Destination{ToAddresses: []string{"alice@example.com", "bob@example.com"}},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String("Team news")},
			Body:    &types.Body{Text: &types.Content{Data: aws.String("…")}},
		}},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("SES mailed", ses.Messages()[0].Recipients, "as", *out.MessageId == ses.Messages()[0].MessageID)
	for _, s := range sesguard.SkippedRecipients(out.ResultMetadata) {
		fmt.Printf("skipped %s: %s (%s)\n", s.Recipient, s.Reason, s.Detail)
	}
	// Output:
	// SES mailed [alice@example.com] as true
	// skipped bob@example.com: COMPLAINT (abuse)
}

func ExampleClient_SendBulkEmail() {
	ses, _ := sestest.NewServer()
	defer ses.Close()
	api := ses.Client()
	ses.SetTemplate("digest", sestest.Template{Subject: "Your digest", Text: "Hello"})
	ctx := context.Background()
	client, _ := sesguard.New(api)
	client.Suppress(ctx, store.Suppression{Address: "bob@example.com", Reason: store.ReasonBounce})

	out, err := client.SendBulkEmail(ctx, &sesv2.SendBulkEmailInput{
		FromEmailAddress: aws.String("app@example.com"),
		DefaultContent: &types.BulkEmailContent{Template: &types.Template{
			TemplateName: aws.String("digest"), TemplateData: aws.String("{}"),
		}},
		BulkEmailEntries: []types.BulkEmailEntry{
			{Destination: &types.Destination{ToAddresses: []string{"alice@example.com"}}},
			{Destination: &types.Destination{ToAddresses: []string{"bob@example.com"}}},
			{Destination: &types.Destination{ToAddresses: []string{"carol@example.com"}}},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	for i, r := range out.BulkEmailEntryResults {
		fmt.Println(i, r.Status)
	}
	// Output:
	// 0 SUCCESS
	// 1 SUPPRESSED
	// 2 SUCCESS
}

func ExampleClient_Suppress() {
	ses, _ := sestest.NewServer()
	defer ses.Close()
	api := ses.Client()
	ctx := context.Background()
	client, _ := sesguard.New(api)

	// An operator blocks an address by hand, then asks why it is blocked.
	_, _, err := client.Suppress(ctx, store.Suppression{Address: "Mallory <MALLORY@example.com>", Detail: "legal request #1234"})
	if err != nil {
		log.Fatal(err)
	}
	in, err := client.Suppressions(ctx, "mallory@example.com")
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range in {
		fmt.Println(s.Address, s.Reason, s.Source, s.Detail)
	}

	// Lifting it lets mail through again.
	client.Unsuppress(ctx, "mallory@example.com")
	in, _ = client.Suppressions(ctx, "mallory@example.com")
	fmt.Println(len(in), "suppressions")
	// Output:
	// mallory@example.com MANUAL manual legal request #1234
	// 0 suppressions
}

func ExampleSetDefault() {
	ses, _ := sestest.NewServer()
	defer ses.Close()
	api := ses.Client()
	client, _ := sesguard.New(api)
	sesguard.SetDefault(client)
	defer sesguard.SetDefault(nil)

	// Anywhere in the program, like slog.Info:
	out, err := sesguard.Send(context.Background(), &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("app@example.com"),
		Destination:      &types.Destination{ToAddresses: []string{"alice@example.com"}},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String("Welcome")},
			Body:    &types.Body{Text: &types.Content{Data: aws.String("…")}},
		}},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(*out.MessageId == ses.Messages()[0].MessageID)
	// Output: true
}

func ExampleVerifyCheck() {
	ses, _ := sestest.NewServer()
	defer ses.Close()
	ctx := context.Background()

	// Syntax, a typo check and the disposable-domain list; no DNS here.
	// Invalid addresses are blocked by default; this sender also blocks
	// risky ones (likely typos, disposable domains) instead of flagging them.
	chain := verify.NewChain(verify.Typos{}, verify.Disposable{})
	client, _ := sesguard.New(ses.Client(), func(o *sesguard.Options) {
		o.Checks = []sesguard.Check{sesguard.VerifyCheck(chain, func(vo *sesguard.VerifyOptions) {
			vo.Policy = verify.Policy{Risky: verify.ActionBlock}
		})}
	})

	out, err := client.Send(ctx, &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("app@example.com"),
		Destination: &types.Destination{ToAddresses: []string{
			"alice@example.com", "carol@gmial.com", "temp@mailinator.com", "bob@localhost",
		}},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String("Confirm your address")},
			Body:    &types.Body{Text: &types.Content{Data: aws.String("…")}},
		}},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("sent to", ses.Messages()[0].Recipients)
	for _, s := range sesguard.SkippedRecipients(out.ResultMetadata) {
		fmt.Printf("refused %s: %s\n", s.Recipient, s.Detail)
	}
	// Output:
	// sent to [alice@example.com]
	// refused carol@gmial.com: typo: gmial.com looks like a typo of gmail.com; did you mean carol@gmail.com?
	// refused temp@mailinator.com: disposable: mailinator.com is a disposable mailbox provider
	// refused bob@localhost: localhost: localhost is not reachable from SES (RFC 6761)
}
