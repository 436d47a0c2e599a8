package sestest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// SubscribeOptions configures a subscription to the server's topic.
type SubscribeOptions struct {
	// RawMessageDelivery delivers the bare SES payload instead of the signed
	// SNS envelope, as SNS's RawMessageDelivery attribute does; HTTP
	// deliveries then carry the header x-amz-sns-rawdelivery: true. The
	// subscription handshake is never raw.
	RawMessageDelivery bool

	// Filter, if set, picks the notifications the subscription receives,
	// as an SNS filter policy would. It runs while the server publishes, so
	// it must be quick and must not call the Server.
	Filter func(*Notification) bool

	// HTTPClient posts to the endpoint of an HTTP subscription. Default: a
	// client with [Options.DeliveryTimeout] that does not follow redirects.
	HTTPClient *http.Client

	// Confirmed starts an HTTP subscription confirmed, without the
	// SubscriptionConfirmation handshake, for an endpoint that cannot
	// reach the SubscribeURL (a service outside the test process).
	Confirmed bool
}

// Delivery is one attempt to deliver a message to a subscription.
type Delivery struct {
	Type       string    // SNS message type: "SubscriptionConfirmation", "Notification" or "UnsubscribeConfirmation"
	MessageID  string    // SNS MessageId; the same on every attempt
	Attempt    int       // 1 for the first attempt
	StatusCode int       // the endpoint's HTTP status; 0 when it did not answer, and for a channel
	Err        error     // why the attempt failed; nil when it succeeded
	Timestamp  time.Time // when the attempt ended, by the server's clock
}

type subState int

const (
	pendingConfirmation subState = iota
	confirmed
	unsubscribed
)

// Subscription is an endpoint (an HTTP URL or a Go channel) subscribed to the
// server's topic. Deliveries to one subscription happen in publication
// order, one at a time, on a goroutine of their own.
//
// A Subscription is safe for concurrent use by multiple goroutines.
type Subscription struct {
	s        *Server
	arn      string
	endpoint string
	ch       chan<- *Notification
	opts     SubscribeOptions

	transport *http.Transport // the endpoint's own, when opts.HTTPClient was not given

	mu         sync.Mutex
	token      string
	state      subState
	queue      []outbound
	deliveries []Delivery
	finished   int
	changed    chan struct{} // closed and replaced on every change
	wake       chan struct{}
}

// outbound is a message waiting for delivery: a notification, or a signed
// confirmation body.
type outbound struct {
	typ  string
	id   string
	body []byte
	n    *Notification
}

// Subscribe subscribes an HTTP(S) endpoint to the server's topic, as SNS
// does: it first POSTs a SubscriptionConfirmation, and delivers
// notifications published after the endpoint confirmed by fetching the
// SubscribeURL (see [Server.SNSHTTPClient]). Deliveries that fail are retried
// [Options.DeliveryRetries] times, [Options.DeliveryRetryDelay] apart: a 2xx
// answer is success, a 4xx answer is final, anything else or no answer is
// retried.
func (s *Server) Subscribe(endpointURL string, optFns ...func(*SubscribeOptions)) (*Subscription, error) {
	u, err := url.Parse(endpointURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("sestest: subscribe %q: want an absolute http or https URL", endpointURL)
	}
	sub := s.newSubscription(optFns)
	sub.endpoint = endpointURL
	if sub.opts.HTTPClient == nil {
		// A transport of its own, whose connections the subscription
		// closes when the server closes: an endpoint's graceful shutdown
		// must not wait on connections the emulator no longer uses.
		sub.transport = http.DefaultTransport.(*http.Transport).Clone()
		sub.opts.HTTPClient = &http.Client{
			Transport:     sub.transport,
			Timeout:       s.opts.DeliveryTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	sub.token = token(64)
	if sub.opts.Confirmed {
		sub.state = confirmed
	} else {
		id, body := s.confirmationEnvelope("SubscriptionConfirmation", sub.arn, sub.token, s.now())
		sub.queue = append(sub.queue, outbound{typ: "SubscriptionConfirmation", id: id, body: body})
	}
	if err := s.start(sub); err != nil {
		return nil, err
	}
	return sub, nil
}

// SubscribeChan subscribes a Go channel to the server's topic. The
// subscription is confirmed at once; every notification published from then
// on is sent on ch in order. A full channel holds up only this
// subscription. ch is not closed when the server closes.
func (s *Server) SubscribeChan(ch chan<- *Notification, optFns ...func(*SubscribeOptions)) (*Subscription, error) {
	if ch == nil {
		return nil, fmt.Errorf("sestest: SubscribeChan: nil channel")
	}
	sub := s.newSubscription(optFns)
	sub.ch = ch
	sub.state = confirmed
	if err := s.start(sub); err != nil {
		return nil, err
	}
	return sub, nil
}

func (s *Server) newSubscription(optFns []func(*SubscribeOptions)) *Subscription {
	sub := &Subscription{
		s:       s,
		arn:     s.TopicARN() + ":" + s.ids.uuid(),
		changed: make(chan struct{}),
		wake:    make(chan struct{}, 1),
	}
	for _, fn := range optFns {
		fn(&sub.opts)
	}
	return sub
}

func (s *Server) start(sub *Subscription) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return fmt.Errorf("sestest: the server is closed")
	}
	s.subs = append(s.subs, sub)
	s.workers.Add(1)
	go sub.run()
	return nil
}

// ARN is the subscription's ARN.
func (sub *Subscription) ARN() string { return sub.arn }

// SubscribeURL is the URL that confirms the subscription, as sent in its
// latest SubscriptionConfirmation or UnsubscribeConfirmation.
func (sub *Subscription) SubscribeURL() string {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	return sub.s.subscribeURL(sub.token)
}

// UnsubscribeURL is the URL that ends the subscription, as carried by every
// notification delivered to it.
func (sub *Subscription) UnsubscribeURL() string { return sub.s.unsubscribeURL(sub.arn) }

// Confirmed reports whether the subscription is confirmed and receiving
// notifications.
func (sub *Subscription) Confirmed() bool {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	return sub.state == confirmed
}

// Deliveries returns every delivery attempt so far, in order.
func (sub *Subscription) Deliveries() []Delivery {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	return append([]Delivery(nil), sub.deliveries...)
}

// WaitConfirmed waits until the subscription is confirmed or ctx is done.
func (sub *Subscription) WaitConfirmed(ctx context.Context) error {
	return sub.wait(ctx, func() bool { return sub.state == confirmed })
}

// Wait waits until n notifications (not counting the handshake messages)
// have been delivered to the subscription or given up on after the last
// retry, or ctx is done.
func (sub *Subscription) Wait(ctx context.Context, n int) error {
	return sub.wait(ctx, func() bool { return sub.finished >= n })
}

// WaitAttempts waits until n delivery attempts of any message type, the
// handshake's included, have been made, or ctx is done.
func (sub *Subscription) WaitAttempts(ctx context.Context, n int) error {
	return sub.wait(ctx, func() bool { return len(sub.deliveries) >= n })
}

func (sub *Subscription) wait(ctx context.Context, done func() bool) error {
	for {
		sub.mu.Lock()
		ok, changed := done(), sub.changed
		sub.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// notifyLocked wakes the waiters; sub.mu must be held.
func (sub *Subscription) notifyLocked() {
	close(sub.changed)
	sub.changed = make(chan struct{})
}

// offer queues n if the subscription is confirmed and wants it.
func (sub *Subscription) offer(n *Notification) {
	if sub.opts.Filter != nil && !sub.opts.Filter(n) {
		return
	}
	sub.enqueue(outbound{typ: "Notification", id: n.ID, n: n}, true)
}

func (sub *Subscription) enqueue(m outbound, onlyConfirmed bool) {
	sub.mu.Lock()
	if onlyConfirmed && sub.state != confirmed {
		sub.mu.Unlock()
		return
	}
	sub.queue = append(sub.queue, m)
	sub.mu.Unlock()
	select {
	case sub.wake <- struct{}{}:
	default:
	}
}

// confirm confirms the subscription if tok is its current token.
func (sub *Subscription) confirm(tok string) bool {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	if sub.endpoint == "" || tok != sub.token {
		return false
	}
	sub.state = confirmed
	sub.notifyLocked()
	return true
}

// unsubscribe ends the subscription and queues the UnsubscribeConfirmation,
// whose SubscribeURL restores it.
func (sub *Subscription) unsubscribe(now time.Time) {
	sub.mu.Lock()
	if sub.state == unsubscribed {
		sub.mu.Unlock()
		return
	}
	sub.state = unsubscribed
	sub.token = token(64)
	tok := sub.token
	sub.notifyLocked()
	sub.mu.Unlock()
	if sub.endpoint != "" {
		id, body := sub.s.confirmationEnvelope("UnsubscribeConfirmation", sub.arn, tok, now)
		sub.enqueue(outbound{typ: "UnsubscribeConfirmation", id: id, body: body}, false)
	}
}

// run delivers queued messages until the server closes.
func (sub *Subscription) run() {
	defer sub.s.workers.Done()
	if sub.transport != nil {
		defer sub.transport.CloseIdleConnections()
	}
	for {
		sub.mu.Lock()
		if len(sub.queue) == 0 {
			sub.mu.Unlock()
			select {
			case <-sub.wake:
				continue
			case <-sub.s.done:
				return
			}
		}
		m := sub.queue[0]
		sub.queue[0] = outbound{}
		sub.queue = sub.queue[1:]
		sub.mu.Unlock()
		if sub.ch != nil {
			select {
			case sub.ch <- m.n:
				sub.record(m, Delivery{Type: m.typ, MessageID: m.id, Attempt: 1}, true)
			case <-sub.s.done:
				return
			}
			continue
		}
		if !sub.post(m) {
			return
		}
	}
}

// post delivers m to the HTTP endpoint with SNS's retries. It returns false
// when the server closed meanwhile.
func (sub *Subscription) post(m outbound) bool {
	s := sub.s
	body, raw := m.body, false
	if m.n != nil {
		if sub.opts.RawMessageDelivery {
			body, raw = m.n.Message, true
		} else {
			body = m.n.envelope(sub.UnsubscribeURL())
		}
	}
	for attempt := 1; ; attempt++ {
		d := Delivery{Type: m.typ, MessageID: m.id, Attempt: attempt}
		d.StatusCode, d.Err = sub.attempt(m, body, raw)
		final := d.Err == nil || (d.StatusCode >= 400 && d.StatusCode < 500) || attempt > s.opts.DeliveryRetries
		sub.record(m, d, final)
		if final {
			return true
		}
		t := time.NewTimer(s.opts.DeliveryRetryDelay)
		select {
		case <-t.C:
		case <-s.done:
			t.Stop()
			return false
		}
	}
}

// attempt makes one HTTP POST of body, with SNS's headers.
func (sub *Subscription) attempt(m outbound, body []byte, raw bool) (int, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-sub.s.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.endpoint, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	h := req.Header
	h.Set("Content-Type", "text/plain; charset=UTF-8")
	h.Set("User-Agent", "Amazon Simple Notification Service Agent")
	h.Set("x-amz-sns-message-type", m.typ)
	h.Set("x-amz-sns-message-id", m.id)
	h.Set("x-amz-sns-topic-arn", sub.s.TopicARN())
	if m.typ != "SubscriptionConfirmation" {
		h.Set("x-amz-sns-subscription-arn", sub.arn)
	}
	if raw {
		h.Set("x-amz-sns-rawdelivery", "true")
	}
	resp, err := sub.opts.HTTPClient.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("sestest: endpoint answered %s", resp.Status)
	}
	return resp.StatusCode, nil
}

// record keeps an attempt; final marks the end of a notification's delivery.
func (sub *Subscription) record(m outbound, d Delivery, final bool) {
	d.Timestamp = sub.s.now()
	sub.mu.Lock()
	defer sub.mu.Unlock()
	sub.deliveries = append(sub.deliveries, d)
	if final && m.n != nil {
		sub.finished++
	}
	sub.s.log.Debug("sestest: delivery", "subscription", sub.arn, "type", d.Type, "id", d.MessageID, "attempt", d.Attempt, "status", d.StatusCode, "err", d.Err)
	sub.notifyLocked()
}
