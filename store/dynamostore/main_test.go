package dynamostore_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/store/dynamostore"
)

// The tests run against the DynamoDB API server whose URL
// SESGUARD_DYNAMODB_ENDPOINT names — dynalite on loopback, as .ci/run
// starts it — and skip when it is unset.
const endpointEnv = "SESGUARD_DYNAMODB_ENDPOINT"

// endpoint returns the server's URL, or skips t.
func endpoint(t testing.TB) string {
	t.Helper()
	ep := os.Getenv(endpointEnv)
	if ep == "" {
		t.Skipf("%s is not set: no DynamoDB API server to test against (.ci/run starts dynalite)", endpointEnv)
	}
	return ep
}

// newClient returns a real DynamoDB client for url, with static
// credentials (the server checks that requests are signed, not by whom).
func newClient(url string, optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	}, optFns...)
}

var tables atomic.Int64

// newTable creates a table of its own for t on the server at url, and
// drops it when t ends.
func newTable(t testing.TB, api *dynamodb.Client) string {
	t.Helper()
	name := fmt.Sprintf("sesguard-%d-%d", os.Getpid(), tables.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// dynalite has no UpdateTimeToLive; expiry is checked by the readers
	// and by Purge all the same.
	require.NoError(t, dynamostore.CreateTable(ctx, api, name, func(o *dynamostore.TableOptions) { o.SkipTTL = true }))
	t.Cleanup(func() {
		_, err := api.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
		require.NoError(t, err)
	})
	return name
}

// newStore returns a Store on a new table of the server the environment
// names.
func newStore(t testing.TB, optFns ...func(*dynamostore.Options)) *dynamostore.Store {
	t.Helper()
	api := newClient(endpoint(t))
	s, err := dynamostore.New(api, newTable(t, api), optFns...)
	require.NoError(t, err)
	return s
}
