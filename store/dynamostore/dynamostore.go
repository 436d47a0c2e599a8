package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sesguard/sesguard/store"
)

// API is the part of *dynamodb.Client that a [Store] calls; *dynamodb.Client
// satisfies it.
type API interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	Scan(ctx context.Context, in *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
}

var _ API = (*dynamodb.Client)(nil)

// Options configures a [Store]. Every zero value is a documented default.
type Options struct {
	// Sources are tables of the team's own that Lookup reads as well,
	// read-only (see [Source]). Zero: none.
	Sources []Source

	// CounterShards is how many items one bucket of a counter is spread
	// over, so that concurrent adds do not queue on one item. Zero: 4.
	// It may be changed at any time: sums read every shard there is.
	CounterShards int

	// BatchAttempts is how many times a BatchGetItem or BatchWriteItem is
	// sent for keys or items that DynamoDB left unprocessed, with jittered
	// exponential backoff between the attempts, before the call fails.
	// Zero: 8. Throttled requests are retried by the client's own retryer
	// (its MaxAttempts) before that.
	BatchAttempts int

	// BackoffBase is the first backoff after unprocessed keys or a lost
	// race of a conditional write; each retry doubles it, up to a second,
	// and sleeps a random part of it. Zero: 25 ms.
	BackoffBase time.Duration

	// WriteAttempts is how many times Put, Delete and Purge retry their
	// conditional write of an address's item after a concurrent writer
	// changed it first (and MarkApplied and AddTransientBounce theirs after
	// a concurrent delete), before they fail. Zero: 64.
	WriteAttempts int
}

// Store is a [store.Store] on one DynamoDB table, with every optional
// ability of package store except [store.Transactor]. It is safe for
// concurrent use by multiple goroutines, and any number of processes may
// share one table.
type Store struct {
	api   API
	table string
	o     Options
}

var (
	_ store.Store         = (*Store)(nil)
	_ store.BounceCounter = (*Store)(nil)
	_ store.Deduper       = (*Store)(nil)
	_ store.Counter       = (*Store)(nil)
	_ store.Lister        = (*Store)(nil)
	_ store.Purger        = (*Store)(nil)
)

// New returns a Store on table, which must have the key schema that
// [CreateTable] makes. New sends no request.
func New(api API, table string, optFns ...func(*Options)) (*Store, error) {
	if api == nil {
		return nil, errors.New("dynamostore: nil API")
	}
	if table == "" {
		return nil, errors.New("dynamostore: empty table name")
	}
	var o Options
	for _, fn := range optFns {
		fn(&o)
	}
	if o.CounterShards <= 0 {
		o.CounterShards = 4
	}
	if o.BatchAttempts <= 0 {
		o.BatchAttempts = 8
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = 25 * time.Millisecond
	}
	if o.WriteAttempts <= 0 {
		o.WriteAttempts = 64
	}
	tables := map[string]bool{table: true}
	for i, src := range o.Sources {
		if err := src.check(); err != nil {
			return nil, fmt.Errorf("dynamostore: Sources[%d]: %w", i, err)
		}
		if tables[src.Table] {
			return nil, fmt.Errorf("dynamostore: Sources[%d]: table %q is read already", i, src.Table)
		}
		tables[src.Table] = true
	}
	o.Sources = append([]Source(nil), o.Sources...)
	return &Store{api: api, table: table, o: o}, nil
}

// Table returns the name of the store's table.
func (s *Store) Table() string { return s.table }

// backoff sleeps before retry attempt (0 for the first retry): a random
// part of BackoffBase doubled attempt times, at most a second. It returns
// ctx's error if ctx ends first.
func (s *Store) backoff(ctx context.Context, attempt int) error {
	d := min(s.o.BackoffBase<<min(attempt, 16), time.Second)
	t := time.NewTimer(rand.N(d) + 1)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// conditionFailed reports whether err is DynamoDB's answer to a write whose
// ConditionExpression did not hold.
func conditionFailed(err error) bool {
	var cf *types.ConditionalCheckFailedException
	return errors.As(err, &cf)
}

// ErrUnprocessed is returned (wrapped) when DynamoDB still left keys of a
// BatchGetItem or items of a BatchWriteItem unprocessed after
// Options.BatchAttempts attempts: the table is throttled for longer than
// the store waits. Lookup then fails rather than answer for part of its
// addresses.
var ErrUnprocessed = errors.New("dynamostore: unprocessed after retries")

// errConflict is returned when a read-modify-write kept losing the race to
// concurrent writers for WriteAttempts attempts.
var errConflict = errors.New("item kept changing under concurrent writers")
