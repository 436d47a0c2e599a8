package faultsuite_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/internal/faultsuite"
	"github.com/sesguard/sesguard/store/memstore"
)

// TestCheckSeesWhatWasNotDelivered delivers half of a corpus and checks
// that Check and Reached report the other half.
func TestCheckSeesWhatWasNotDelivered(t *testing.T) {
	corpus := faultsuite.PermanentBounces(200)
	st := memstore.New()
	url := faultsuite.Webhook(t, faultsuite.NewClient(t, st))
	d := faultsuite.Senders{}.Deliver(context.Background(), url, corpus.Messages[:100])
	require.Empty(t, d.Undelivered)
	assert.Equal(t, 100, d.Delivered)

	o, err := faultsuite.Check(context.Background(), st, corpus)
	require.NoError(t, err)
	assert.Equal(t, corpus.Addrs[100:], o.Lost)
	assert.Equal(t, int64(100), o.Bounced)
	assert.Equal(t, int64(100), o.Uncounted)
	assert.Zero(t, o.DoubleCounted)
	assert.ElementsMatch(t, corpus.Addrs[100:], faultsuite.Reached(t, st, corpus.Addrs))
}

// TestTransientCorpus checks that the transient corpus suppresses exactly
// the addresses that bounced TransientThreshold times, and that a bounce
// delivered again under a new id, as a store that counts one bounce twice
// would see it, shows as a spared address suppressed.
func TestTransientCorpus(t *testing.T) {
	corpus := faultsuite.TransientBounces(40)
	require.Len(t, corpus.Messages, 20*faultsuite.TransientThreshold+20*(faultsuite.TransientThreshold-1))
	st := memstore.New()
	url := faultsuite.Webhook(t, faultsuite.NewClient(t, st))
	d := faultsuite.Senders{}.Deliver(context.Background(), url, corpus.Messages)
	require.Empty(t, d.Undelivered)

	o, err := faultsuite.Check(context.Background(), st, corpus)
	require.NoError(t, err)
	assert.Empty(t, o.Lost)
	assert.Empty(t, o.Suppressed)
	assert.Zero(t, o.Extra)
	assert.Zero(t, o.Bounced)
	assert.Empty(t, faultsuite.Reached(t, st, corpus.Addrs))
	assert.Len(t, faultsuite.Reached(t, st, corpus.Spared), len(corpus.Spared))

	// The first bounce of a spared address once more, under another
	// id: the address now has 3 bounces and must be suppressed.
	extra := faultsuite.TransientBounces(42)
	d = faultsuite.Senders{}.Deliver(context.Background(), url, extra.Messages[1:2])
	require.Empty(t, d.Undelivered)
	o, err = faultsuite.Check(context.Background(), st, corpus)
	require.NoError(t, err)
	assert.Equal(t, []string{faultsuite.Addr(1)}, o.Suppressed)
}

// TestSendersRetryUntil2xx checks that a message answered 500 or not at
// all within the timeout is posted again until it is answered 2xx.
func TestSendersRetryUntil2xx(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "Notification", r.Header.Get("x-amz-sns-message-type"))
		switch calls.Add(1) {
		case 1:
			w.WriteHeader(http.StatusInternalServerError)
		case 2:
			time.Sleep(300 * time.Millisecond)
		}
	}))
	t.Cleanup(srv.Close)
	corpus := faultsuite.PermanentBounces(200)
	d := faultsuite.Senders{N: 1, Timeout: 100 * time.Millisecond}.Deliver(context.Background(), srv.URL, corpus.Messages[:1])
	assert.Equal(t, 1, d.Delivered)
	assert.Equal(t, int64(3), d.Attempts)
	assert.Equal(t, int64(1), d.Refused)
	assert.Equal(t, int64(1), d.Errors)
}
