package faultsuite

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sesguard/sesguard/internal/snstest"
)

// Senders deliver messages to an HTTP endpoint the way SNS does: each
// message is posted until the endpoint answers 2xx, retried after any
// other status or a transport error (a reset, a timeout) with a growing,
// jittered backoff. The zero value is 32 senders with a 1-second timeout.
type Senders struct {
	N          int           // concurrent senders; 0: 32
	Timeout    time.Duration // bounds one attempt; 0: 1 second
	MinBackoff time.Duration // the first wait before a retry; 0: 10 ms
	MaxBackoff time.Duration // the longest wait; 0: 250 ms
}

// Delivery is what a run of Senders did.
type Delivery struct {
	Attempts  int64 // requests made
	Refused   int64 // answered with a status other than 2xx
	Errors    int64 // ended by a transport error or the timeout
	Delivered int   // messages answered 2xx
	// Undelivered are the messages not answered 2xx before ctx ended.
	Undelivered []string
}

// Deliver posts every message of msgs to url and returns when each was
// answered 2xx or ctx is done.
func (s Senders) Deliver(ctx context.Context, url string, msgs []Message) *Delivery {
	n, timeout := s.N, s.Timeout
	if n <= 0 {
		n = 32
	}
	if timeout <= 0 {
		timeout = time.Second
	}
	client := &http.Client{
		Timeout:   timeout,
		Transport: &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: n},
	}
	defer client.CloseIdleConnections()
	var (
		d                       Delivery
		attempts, refused, errs atomic.Int64
		mu                      sync.Mutex
		wg                      sync.WaitGroup
		next                    = make(chan Message)
	)
	for range n {
		wg.Go(func() {
			for m := range next {
				ok := s.post(ctx, client, url, m, &attempts, &refused, &errs)
				mu.Lock()
				if ok {
					d.Delivered++
				} else {
					d.Undelivered = append(d.Undelivered, m.ID)
				}
				mu.Unlock()
			}
		})
	}
	for _, m := range msgs {
		next <- m
	}
	close(next)
	wg.Wait()
	d.Attempts, d.Refused, d.Errors = attempts.Load(), refused.Load(), errs.Load()
	return &d
}

// post delivers m until it is answered 2xx, and reports whether it was
// before ctx ended.
func (s Senders) post(ctx context.Context, client *http.Client, url string, m Message, attempts, refused, errs *atomic.Int64) bool {
	lo, hi := s.MinBackoff, s.MaxBackoff
	if lo <= 0 {
		lo = 10 * time.Millisecond
	}
	if hi <= 0 {
		hi = 250 * time.Millisecond
	}
	wait := lo
	for ctx.Err() == nil {
		attempts.Add(1)
		status, err := postOnce(ctx, client, url, m)
		switch {
		case err != nil:
			errs.Add(1)
		case status >= 200 && status < 300:
			return true
		default:
			refused.Add(1)
		}
		jittered := wait/2 + rand.N(wait/2+1)
		select {
		case <-ctx.Done():
		case <-time.After(jittered):
		}
		wait = min(2*wait, hi)
	}
	return false
}

func postOnce(ctx context.Context, client *http.Client, url string, m Message) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(m.Body))
	if err != nil {
		return 0, err
	}
	// The headers SNS sends with every HTTP(S) delivery.
	req.Header.Set("Content-Type", "text/plain; charset=UTF-8")
	req.Header.Set("x-amz-sns-message-type", "Notification")
	req.Header.Set("x-amz-sns-message-id", m.ID)
	req.Header.Set("x-amz-sns-topic-arn", snstest.TopicARN)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}
