// Package dynamostore keeps sesguard's suppression list in one DynamoDB
// table, for the serverless pipeline SES → SNS → Lambda → DynamoDB: the
// function that applies notifications and the services that send share the
// table, and no one runs a database server.
//
// A [Store] implements [store.Store] and the optional abilities
// [store.BounceCounter], [store.Deduper], [store.Counter], [store.Lister]
// and [store.Purger], each atomic across any number of processes with
// DynamoDB's conditional writes alone. It does not implement
// [store.Transactor]: DynamoDB's transactions take at most 100 items and
// cost twice as much, and the emulators it is tested on lack them; a
// Client without it applies notifications one by one, which the design
// below makes safe.
//
//	cfg, err := config.LoadDefaultConfig(ctx)
//	...
//	st, err := dynamostore.New(dynamodb.NewFromConfig(cfg), "sesguard")
//	...
//	client, err := sesguard.New(sesv2.NewFromConfig(cfg), func(o *sesguard.Options) {
//		o.Store = st
//	})
//
// # Table
//
// One table with a string partition key "pk" and a string sort key "sk",
// on-demand billing, and Time to Live on the number attribute "ttl".
// [CreateTable] makes it; in CloudFormation:
//
//	SuppressionTable:
//	  Type: AWS::DynamoDB::Table
//	  Properties:
//	    TableName: sesguard
//	    BillingMode: PAY_PER_REQUEST
//	    AttributeDefinitions:
//	      - {AttributeName: pk, AttributeType: S}
//	      - {AttributeName: sk, AttributeType: S}
//	    KeySchema:
//	      - {AttributeName: pk, KeyType: HASH}
//	      - {AttributeName: sk, KeyType: RANGE}
//	    TimeToLiveSpecification: {AttributeName: ttl, Enabled: true}
//	    PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: true}
//
// The least-privilege policy of a process that uses a Store — a sender,
// or the function that applies notifications:
//
//	{
//	  "Version": "2012-10-17",
//	  "Statement": [{
//	    "Effect": "Allow",
//	    "Action": [
//	      "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query",
//	      "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"
//	    ],
//	    "Resource": "arn:aws:dynamodb:REGION:ACCOUNT:table/sesguard"
//	  }]
//	}
//
// Operators' tasks need more: [Store.Import] dynamodb:BatchWriteItem,
// [Store.Purge] dynamodb:Scan, [CreateTable] dynamodb:CreateTable,
// DescribeTable and UpdateTimeToLive. A [Source] needs
// dynamodb:BatchGetItem on its own table, and dynamodb:Scan to be read by
// [ScanSource].
//
// # Items
//
// Four kinds of item share the table. Times are Unix nanoseconds in number
// attributes; "ttl" is Unix seconds, rounded up, and present only on an
// item that may go once it has passed; "v" is the version that Put's and
// Delete's conditional writes check.
//
//	kind         pk                    sk                      attributes
//	suppression  "sup#" + 2 hex digits address                 v, s, ttl
//	bounces      "bnc#" + address      "bnc"                   b, t, u, ttl
//	mark         "mark#" + id          "mark"                  st, tok, c, u, ttl
//	count        "cnt#" + name         bucket "#" shard        n, ids, u, ttl
//
// A suppression item holds every scope of one address: "s" is a map from
// "@" + scope ("@" alone for store.ScopeAll) to a map of "r" (reason), "d"
// (detail), "src" (source), "ct" (created) and "x" (expires; absent for
// never). Its partition key is one of [SuppressionShards] shards, chosen by
// the FNV-1a hash of the address, and its sort key the address, so that
// List can walk the shards in address order; its "ttl" is the latest
// expiry of its scopes, and absent while one of them never expires, so
// that DynamoDB never deletes a suppression that still holds.
//
// A bounce record's "b" maps each transient bounce id to its time, "t" is
// the latest time seen and "u" the time the records stop counting; a
// record is added with an UpdateItem that sets b.id only if it is not set,
// so concurrent adds to one address never conflict (see
// [Store.AddTransientBounce]). A
// mark's "st" is "pending" or "done", "tok" the random token of this
// generation of the mark, "c" its counts while pending, and "u" its
// expiry. A count bucket's sort key is the bucket's start (the Unix
// nanoseconds with the sign bit flipped, in 20 digits, so that keys sort
// as times do), "#", and a shard number; "n" is its sum, "ids" the set of
// the marks' adds already made, "u" the bucket's KeepUntil.
//
// # Lookup
//
// Lookup asks for the suppression item of each address with BatchGetItem,
// 100 keys per call: a 50-recipient message costs one round trip, whatever
// scopes its recipients hold, because one item holds all the scopes of an
// address. The trade-off: a Put writes the whole item of its address
// (read first, when the address holds something already), and an
// address's scopes share DynamoDB's 400
// KB item limit — room for hundreds of list unsubscribes, or five details
// of the 64 KB a field may hold; a write that would pass it fails with
// [store.ErrInvalid]. One item per address and scope would make every Put a
// single conditional write, but Lookup a Query per address, or two round
// trips with an index of scopes. Lookups are sending's hot path and Puts
// arrive with notifications, so the item per address wins.
//
// Keys that DynamoDB returns as UnprocessedKeys are asked for again with
// jittered exponential backoff, within the context and at most
// Options.BatchAttempts times; then Lookup fails with [ErrUnprocessed]
// rather than answer for part of the recipients.
//
// # Never weaker
//
// Put writes the address's whole item with a PutItem whose
// ConditionExpression holds only while the item is as Put saw it: absent,
// for the first suppression of an address (Put assumes so first, since
// it is the common case, and costs one round trip then), or at the
// version Put read. Put decides with [store.Replaces] on what it saw. A
// concurrent writer makes the condition fail; Put then decides afresh on
// the item as it is now — returned with the failure by DynamoDB
// (ReturnValuesOnConditionCheckFailure), read again where a server does
// not return it. So of concurrent Puts to one key the strongest stays, in
// any order.
//
// # Exactly once
//
// [Store.MarkApplied] must mark a notification applied and add its counts
// in one atomic step; DynamoDB's transactions would do it, but the store
// does without them. The mark item is made pending, with its counts and a
// random token, by a PutItem conditioned on there being no live mark;
// each count is then added to its bucket by an UpdateItem that ADDs the
// number and puts token and count number into the bucket's "ids" set, on
// condition that they are not there yet; and a last UpdateItem turns the
// mark done on condition that it is still pending with that token. Every
// step can be repeated without effect, so a call that finds a pending
// mark — its maker crashed or lost its connection — finishes it with the
// counts and token stored in it. Counts are therefore added exactly once,
// and exactly one call reports that it made the mark: the one whose last
// step succeeds. A mark with counts costs three writes, and one without
// counts a single write.
//
// # Counters
//
// AddCount ADDs to one of Options.CounterShards items of its bucket,
// chosen at random, so concurrent senders do not queue on one item.
// SumCounts reads a range of buckets with one Query (paginated): the
// reputation breaker's 24-hour window of 10-second buckets is up to
// 8640 × CounterShards small items, read whenever the breaker refreshes.
//
// # Expiry
//
// The reader judges expiry: Lookup may return expired suppressions, and
// the Client ignores them by its own clock. Every item that may expire
// also carries "ttl", so that DynamoDB's Time to Live deletes it, free of
// charge, usually within a few days of its expiry. [Store.Purge] does the
// same at once, for a table without TTL, by reading the whole table.
//
// # Throttling
//
// A throttled request (ProvisionedThroughputExceededException,
// ThrottlingException) is retried by the DynamoDB client's own retryer;
// set its attempts with the client's options (retry.AddWithMaxAttempts).
// When throttling outlasts them, the method fails with an error that
// wraps the SDK's (errors.As finds *types.ProvisionedThroughputExceededException),
// and the Client's Send fails closed.
//
// # A team's own table
//
// A team whose hand-written pipeline keeps bounced addresses in a table of
// its own, keyed by address, can have sesguard read that table beside its
// own while it moves over: Options.Sources lists such tables, and Lookup
// asks for their keys in the same BatchGetItem (50 recipients and one
// source: 100 keys, still one round trip). Or it imports the table once:
//
//	n, err := st.Import(ctx, dynamostore.ScanSource(ctx, api, dynamostore.Source{
//		Table:        "bounced-emails",
//		KeyAttribute: "email",
//	}))
//
// # Testing
//
// The package is tested, with store/storetest's suite, against dynalite,
// a DynamoDB API server from the npm registry that .ci/run starts on
// loopback; tests read its URL from SESGUARD_DYNAMODB_ENDPOINT and skip
// when it is unset. dynalite has no UpdateTimeToLive, so the tests create
// their tables with TableOptions.SkipTTL.
package dynamostore
