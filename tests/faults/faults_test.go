package faults_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/internal/faultproxy"
	"github.com/sesguard/sesguard/internal/faultsuite"
)

// The suite's sizes: 1,000 distinct permanent bounces; 400 addresses
// that bounce transiently, half of them 3 times (the policy's threshold),
// half twice, 1,000 notifications in all.
const (
	permanentBounces = 1000
	transientAddrs   = 400
	faultTime        = 3 * time.Second
	faultEvery       = 20 * time.Millisecond
	deliveryLimit    = 2 * time.Minute // for everything to be delivered once the faults began
)

// A fault is what the proxy does to the connections between the library
// and the database while the notifications are applied.
type fault struct {
	name string
	// inject starts the fault and returns a channel closed when it is
	// over, and a func that reports, once it is, whether the fault
	// touched the database traffic at all.
	inject func(p *faultproxy.Proxy) (over <-chan struct{}, felt func() bool)
}

var faults = []fault{
	{"resets", func(p *faultproxy.Proxy) (<-chan struct{}, func() bool) {
		return p.Every(faultEvery, faultTime, p.Reset), func() bool { return p.Stats().Resets > 0 }
	}},
	{"stall", func(p *faultproxy.Proxy) (<-chan struct{}, func() bool) {
		over := make(chan struct{})
		var held atomic.Int64
		p.Stall(faultTime)
		// Just before the stall ends, bytes of the library's queries
		// must be held in the proxy.
		time.AfterFunc(faultTime-100*time.Millisecond, func() {
			held.Store(p.Stats().Held)
			time.AfterFunc(200*time.Millisecond, func() { close(over) })
		})
		return over, func() bool { return held.Load() > 0 }
	}},
	{"dropped replies", func(p *faultproxy.Proxy) (<-chan struct{}, func() bool) {
		return p.Every(faultEvery, faultTime, p.DropReplies), func() bool { return p.Stats().Dropped > 0 }
	}},
}

// The cases of PostgreSQL and of MariaDB run in parallel: they share
// nothing but the machine.

// TestWebhook posts 1,000 distinct signed permanent bounces to the SNS
// handler with 32 SNS-like senders (1-second timeout, retried until 2xx)
// while the database connections suffer each fault, and checks that every
// address is suppressed and counted exactly once.
func TestWebhook(t *testing.T) {
	for _, be := range servers {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			for _, f := range faults {
				t.Run(f.name, func(t *testing.T) {
					webhook(t, be, f, func() *faultsuite.Corpus { return faultsuite.PermanentBounces(permanentBounces) })
				})
			}
		})
	}
}

// TestSQSConsumer applies the same 1,000 bounces from an SQS queue with
// sqsconsumer (32 at a time, 1-second visibility timeout) under each
// fault, until the consumer has deleted every message.
func TestSQSConsumer(t *testing.T) {
	for _, be := range servers {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			for _, f := range faults {
				t.Run(f.name, func(t *testing.T) { consume(t, be, f) })
			}
		})
	}
}

// consume applies 1,000 permanent bounces from a queue with a Client over
// be, through a proxy that injects f, and verifies the result.
func consume(t *testing.T, be backend, f fault) {
	t.Helper()
	q := newQueue(t)
	d := openDB(t, be)
	corpus := faultsuite.PermanentBounces(permanentBounces)
	p, h := d.proxied(t)
	c := faultsuite.NewClient(t, d.store(t, h))
	q.send(t, corpus.Messages)
	var over <-chan struct{}
	var felt func() bool
	q.consume(t, c, deliveryLimit, func() { over, felt = f.inject(p) })
	<-over
	require.True(t, felt(), "the fault never touched the database traffic")
	verify(t, d, corpus, fmt.Sprintf("proxy %+v", p.Stats()))
}

// TestTransientBounces delivers transient bounces through the webhook
// under connection resets: 3 of each of 200 addresses, which must end
// with exactly one SOFT_BOUNCE suppression each (no bounce lost), and 2
// of each of 200 others, which must end with none (no bounce counted
// twice). The breaker counts none of them.
func TestTransientBounces(t *testing.T) {
	for _, be := range servers {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			webhook(t, be, faults[0], func() *faultsuite.Corpus { return faultsuite.TransientBounces(transientAddrs) })
		})
	}
}

// webhook delivers the corpus that made returns (made once be is known
// to be there, since signing takes a while) to the SNS handler of a
// Client over be, through a proxy that injects f, and verifies the result.
func webhook(t *testing.T, be backend, f fault, made func() *faultsuite.Corpus) {
	t.Helper()
	d := openDB(t, be)
	corpus := made()
	p, h := d.proxied(t)
	url := faultsuite.Webhook(t, faultsuite.NewClient(t, d.store(t, h)))
	ctx, cancel := context.WithTimeout(context.Background(), deliveryLimit)
	defer cancel()
	delivered := make(chan *faultsuite.Delivery, 1)
	go func() { delivered <- faultsuite.Senders{}.Deliver(ctx, url, corpus.Messages) }()
	over, felt := f.inject(p)
	del := <-delivered
	<-over
	require.Empty(t, del.Undelivered, "messages not answered 2xx within %v", deliveryLimit)
	require.True(t, felt(), "the fault never touched the database traffic")
	verify(t, d, corpus, fmt.Sprintf("%d attempts (%d refused, %d transport errors); proxy %+v",
		del.Attempts, del.Refused, del.Errors, p.Stats()))
}

// verify checks, straight on the database, that corpus was applied
// exactly once, and that a later send reaches none of its addresses.
func verify(t *testing.T, d *db, corpus *faultsuite.Corpus, how string) {
	t.Helper()
	st := d.store(t, d.direct)
	o, err := faultsuite.Check(context.Background(), st, corpus)
	require.NoError(t, err)
	t.Logf("%s: %v; %s", d.be.name, o, how)
	assert.Zero(t, len(o.Lost), "addresses not suppressed with %s, e.g. %v", corpus.Reason, head(o.Lost))
	assert.Zero(t, o.Extra, "suppressions beyond one per address")
	assert.Zero(t, len(o.Suppressed), "addresses suppressed with too few bounces, e.g. %v", head(o.Suppressed))
	assert.Zero(t, o.DoubleCounted, "permanent bounces counted twice by the breaker")
	assert.Zero(t, o.Uncounted, "permanent bounces the breaker did not count")
	reached := faultsuite.Reached(t, st, corpus.Addrs)
	if len(corpus.Spared) > 0 {
		assert.Equal(t, len(corpus.Spared), len(faultsuite.Reached(t, st, corpus.Spared)), "spared addresses a later send reached")
	}
	assert.Zero(t, len(reached), "addresses a later send reached, e.g. %v", head(reached))
}

// head returns the first few of addrs, for messages.
func head(addrs []string) []string { return addrs[:min(len(addrs), 5)] }
