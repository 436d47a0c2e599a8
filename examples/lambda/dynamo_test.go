package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/dynamostore"
)

// TestFunctionOnDynamoDB runs the function as template.yaml deploys it —
// its store a DynamoDB table, reached through the SDK's default
// configuration — against the DynamoDB API server that
// SESGUARD_DYNAMODB_ENDPOINT names (dynalite, which .ci/run starts), for
// each trigger.
func TestFunctionOnDynamoDB(t *testing.T) {
	ep := os.Getenv("SESGUARD_DYNAMODB_ENDPOINT")
	if ep == "" {
		t.Skip("SESGUARD_DYNAMODB_ENDPOINT is not set: no DynamoDB API server to run the function against (.ci/run starts dynalite)")
	}
	// What Lambda gives the function: a region and the role's
	// credentials; and the SDK's own variable for another endpoint.
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", ep)
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	require.NoError(t, err)
	api := dynamodb.NewFromConfig(cfg)

	for i, trigger := range []string{"", "sns", "sqs"} {
		t.Run(or(trigger, "default"), func(t *testing.T) {
			table := fmt.Sprintf("lambda-%d-%d", os.Getpid(), i)
			require.NoError(t, dynamostore.CreateTable(ctx, api, table, func(o *dynamostore.TableOptions) { o.SkipTTL = true }))
			t.Cleanup(func() {
				_, err := api.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)})
				assert.NoError(t, err)
			})
			env := map[string]string{"SESGUARD_DYNAMODB_TABLE": table, "SESGUARD_TRIGGER": trigger, "AWS_REGION": "us-east-1"}
			fn, closer, err := newFunction(ctx, func(k string) string { return env[k] }, slog.New(slog.DiscardHandler))
			require.NoError(t, err)
			defer closer.Close()

			event := snsEvent(t, read(t, "django-ses-bounce-notification.json"))
			if trigger == "sqs" {
				event = sqsEvent(t, "m-1", string(read(t, "django-ses-bounce-notification.json")))
			}
			out, err := invoke(fn, event)
			require.NoError(t, err)
			if trigger == "sqs" {
				assert.Empty(t, failures(t, out))
			} else {
				assert.Equal(t, "null", string(out))
			}

			st, err := dynamostore.New(api, table)
			require.NoError(t, err)
			got, err := st.Lookup(ctx, []string{"bounce@simulator.amazonses.com"})
			require.NoError(t, err)
			require.Len(t, got, 1)
			assert.Equal(t, store.ReasonBounce, got[0].Reason)
		})
	}
}

func TestFunctionRefusesTwoStores(t *testing.T) {
	env := map[string]string{"SESGUARD_DYNAMODB_TABLE": "sesguard", "SESGUARD_DSN": "file:x.db"}
	_, _, err := newFunction(context.Background(), func(k string) string { return env[k] }, slog.New(slog.DiscardHandler))
	require.ErrorContains(t, err, "not both")
}
