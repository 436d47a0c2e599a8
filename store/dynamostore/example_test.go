package dynamostore_test

import (
	"context"
	"errors"
	"log"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/dynamostore"
)

// A sender's Client on the table that the Lambda function of
// examples/lambda fills: every Send first asks the table about its
// recipients, in one BatchGetItem.
func ExampleNew() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		log.Fatal(err)
	}
	st, err := dynamostore.New(dynamodb.NewFromConfig(cfg), "sesguard")
	if err != nil {
		log.Fatal(err)
	}
	client, err := sesguard.New(sesv2.NewFromConfig(cfg), func(o *sesguard.Options) {
		o.Store = st
	})
	if err != nil {
		log.Fatal(err)
	}
	sesguard.SetDefault(client)
}

// A team's own table of bounced addresses, keyed by "email", read beside
// sesguard's table while the team moves over.
func ExampleSource() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		log.Fatal(err)
	}
	st, err := dynamostore.New(dynamodb.NewFromConfig(cfg), "sesguard", func(o *dynamostore.Options) {
		o.Sources = []dynamostore.Source{{
			Table:            "bounced-emails",
			KeyAttribute:     "email",
			ExpiresAttribute: "expires_at",
		}}
	})
	if err != nil {
		log.Fatal(err)
	}
	_ = st
}

// Importing a team's table once, passing over the addresses sesguard
// cannot use.
func ExampleScanSource() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		log.Fatal(err)
	}
	api := dynamodb.NewFromConfig(cfg)
	st, err := dynamostore.New(api, "sesguard")
	if err != nil {
		log.Fatal(err)
	}
	src := dynamostore.Source{Table: "bounced-emails", KeyAttribute: "email"}
	rows := func(yield func(store.Suppression, error) bool) {
		for v, err := range dynamostore.ScanSource(ctx, api, src) {
			if errors.Is(err, store.ErrInvalid) {
				log.Print(err) // not an address: pass over it
				continue
			}
			if !yield(v, err) {
				return
			}
		}
	}
	n, err := st.Import(ctx, rows, func(o *dynamostore.ImportOptions) {
		o.Progress = func(n int) { log.Printf("%d imported", n) }
	})
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("imported %d suppressions", n)
}
