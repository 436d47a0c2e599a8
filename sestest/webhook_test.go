package sestest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/sesguard/sesguard/sestest"
)

// received is one POST a webhook got.
type received struct {
	header http.Header
	body   []byte
}

// webhook is a real HTTP endpoint for subscriptions. It confirms
// subscriptions through the server's SNS client when confirm is set, and
// answers each POST with status(n) for the n-th POST (1-based), or 200.
type webhook struct {
	t       *testing.T
	srv     *sestest.Server
	http    *httptest.Server
	confirm bool
	status  func(n int) int

	mu      sync.Mutex
	got     []received
	errs    []error
	changed chan struct{} // closed and replaced on every post
}

func newWebhook(t *testing.T, srv *sestest.Server, confirm bool, status func(n int) int) *webhook {
	t.Helper()
	wh := &webhook{t: t, srv: srv, confirm: confirm, status: status, changed: make(chan struct{})}
	wh.http = httptest.NewServer(http.HandlerFunc(wh.serve))
	t.Cleanup(wh.http.Close)
	return wh
}

func (wh *webhook) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	wh.mu.Lock()
	wh.got = append(wh.got, received{header: r.Header.Clone(), body: body})
	n := len(wh.got)
	if err != nil {
		wh.errs = append(wh.errs, err)
	}
	close(wh.changed)
	wh.changed = make(chan struct{})
	wh.mu.Unlock()
	if wh.confirm && r.Header.Get("x-amz-sns-message-type") == "SubscriptionConfirmation" {
		var env struct{ SubscribeURL string }
		if err := json.Unmarshal(body, &env); err != nil {
			wh.fail(err)
		} else if resp, err := wh.srv.SNSHTTPClient().Get(env.SubscribeURL); err != nil {
			wh.fail(err)
		} else {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		}
	}
	if wh.status != nil {
		if code := wh.status(n); code != 0 {
			w.WriteHeader(code)
		}
	}
}

func (wh *webhook) fail(err error) {
	wh.mu.Lock()
	defer wh.mu.Unlock()
	wh.errs = append(wh.errs, err)
}

// posts returns what the webhook received, failing the test on any error
// the handler met.
func (wh *webhook) posts() []received {
	wh.t.Helper()
	wh.mu.Lock()
	defer wh.mu.Unlock()
	for _, err := range wh.errs {
		wh.t.Errorf("webhook: %v", err)
	}
	return append([]received(nil), wh.got...)
}

// subscribe subscribes the webhook and waits for the handshake.
func (wh *webhook) subscribe(optFns ...func(*sestest.SubscribeOptions)) *sestest.Subscription {
	wh.t.Helper()
	sub, err := wh.srv.Subscribe(wh.http.URL, optFns...)
	if err != nil {
		wh.t.Fatal(err)
	}
	if err := sub.WaitConfirmed(ctxT(wh.t)); err != nil {
		wh.t.Fatalf("subscription not confirmed: %v", err)
	}
	return sub
}

// wait waits, bounded, until the webhook has received n posts.
func (wh *webhook) wait(n int) {
	wh.t.Helper()
	ctx := ctxT(wh.t)
	for {
		wh.mu.Lock()
		got, changed := len(wh.got), wh.changed
		wh.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-changed:
		case <-ctx.Done():
			wh.t.Fatalf("the webhook received %d posts, want %d", got, n)
		}
	}
}
