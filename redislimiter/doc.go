// Package redislimiter is a [sesguard.Limiter] kept in Redis, so that every
// process sending for one SES account in one region shares one send rate.
//
// SES counts MaxSendRate per account and region, however many processes
// send. A limiter per process lets N processes send N times too fast and
// be throttled; this one keeps the pace in one Redis key per account and
// region, which every process updates atomically with a small Lua script:
//
//	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
//	lim, err := redislimiter.New(rdb, "123456789012", "us-east-1")
//	…
//	client, err := sesguard.New(api, func(o *sesguard.Options) {
//		o.Limiter = lim
//		o.AccountQuota = true // the Client sets lim's rate from GetAccount
//	})
//
// # The algorithm
//
// The key holds a theoretical arrival time (GCRA, the generic cell rate
// algorithm, as go-redis/redis_rate uses): the moment the bucket would be
// full again. A request for n tokens waits until the bucket holds min(n,
// burst) of them and then takes all n, so a message with more recipients
// than the burst goes when the bucket is full and leaves it in debt, as
// package sestest models SES's limit, and never fails for its size. The script
// reserves the tokens and answers how long to wait; the caller sleeps that
// long. A request whose wait would pass its context's deadline takes
// nothing and fails at once. Time is Redis's own (the TIME command), so the
// processes' clocks need not agree; tests may inject a clock instead.
//
// # Priorities across processes
//
// The Limiter serves sesguard's priorities (see sesguard.Priority) in every
// process that shares the key. A transactional request reserves its tokens
// in one script call, from the whole bucket, and sleeps only for its own
// reservation. A bulk request takes tokens only when the bucket holds
// sesguard.TransactionalReserve tokens more than it needs, and otherwise
// takes nothing and asks again when they should be there; within a process
// bulk requests ask one at a time, in arrival order. Bulk requests never
// reserve ahead, so a password reset sent while every process pushes a
// campaign at the full rate finds its tokens in the reserve, or waits at
// most one token's interval.
//
// # When Redis is unreachable
//
// By default the limiter fails closed: WaitN returns an [*UnavailableError]
// (errors.Is [ErrUnavailable]) and the send fails without calling SES. With
// Options.FailOpen it paces locally instead, at the same rate, and logs the
// failure: each process then keeps the rate alone, so together they may pass
// it, and the sesguard Client absorbs the throttles by retrying.
//
// A stalled connection, one that neither answers nor closes, never holds a
// send past its context: WaitN returns the context's error at its deadline,
// whatever the Redis client's own timeouts, and the send fails without
// calling SES.
package redislimiter
