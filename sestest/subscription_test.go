package sestest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/sesguard/sesguard/sestest"
)

func envelopeOf(t *testing.T, p received) map[string]string {
	t.Helper()
	var env map[string]any
	if err := json.Unmarshal(p.body, &env); err != nil {
		t.Fatalf("%v\n%s", err, p.body)
	}
	out := map[string]string{}
	for k, v := range env {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestConfirmationHandshake: nothing is delivered before the endpoint
// confirms; the confirmation answers SNS's XML; afterwards notifications
// flow; unsubscribing stops them and re-confirming restores them.
func TestConfirmationHandshake(t *testing.T) {
	srv, client, _ := start(t)
	wh := newWebhook(t, srv, false, nil)
	sub, err := srv.Subscribe(wh.http.URL)
	if err != nil {
		t.Fatal(err)
	}
	wh.wait(1)
	if _, err := client.SendEmail(ctxT(t), simple("before@example.com")); err != nil {
		t.Fatal(err)
	}
	conf := envelopeOf(t, wh.posts()[0])
	if conf["Type"] != "SubscriptionConfirmation" || conf["SubscribeURL"] != sub.SubscribeURL() || sub.Confirmed() {
		t.Fatalf("first post %v", conf)
	}
	resp, body := get(t, srv.SNSHTTPClient(), conf["SubscribeURL"])
	if resp.StatusCode != 200 || !strings.Contains(body, "<ConfirmSubscriptionResponse") || !strings.Contains(body, "<SubscriptionArn>"+sub.ARN()+"</SubscriptionArn>") {
		t.Fatalf("confirm: %d %s", resp.StatusCode, body)
	}
	if _, err := client.SendEmail(ctxT(t), simple("after@example.com")); err != nil {
		t.Fatal(err)
	}
	if err := sub.Wait(ctxT(t), 1); err != nil {
		t.Fatal(err)
	}
	posts := wh.posts()
	if len(posts) != 2 || !strings.Contains(envelopeOf(t, posts[1])["Message"], "after@example.com") {
		t.Fatalf("posts after confirming: %d", len(posts))
	}
	note := envelopeOf(t, posts[1])
	if note["UnsubscribeURL"] != sub.UnsubscribeURL() {
		t.Errorf("UnsubscribeURL %q, want %q", note["UnsubscribeURL"], sub.UnsubscribeURL())
	}

	resp, body = get(t, srv.SNSHTTPClient(), note["UnsubscribeURL"])
	if resp.StatusCode != 200 || !strings.Contains(body, "<UnsubscribeResponse") {
		t.Fatalf("unsubscribe: %d %s", resp.StatusCode, body)
	}
	wh.wait(3)
	unsub := envelopeOf(t, wh.posts()[2])
	if unsub["Type"] != "UnsubscribeConfirmation" || unsub["SubscribeURL"] == conf["SubscribeURL"] {
		t.Fatalf("third post %v", unsub)
	}
	if _, err := client.SendEmail(ctxT(t), simple("gone@example.com")); err != nil {
		t.Fatal(err)
	}
	if resp, _ := get(t, srv.SNSHTTPClient(), unsub["SubscribeURL"]); resp.StatusCode != 200 || !sub.Confirmed() {
		t.Fatalf("re-confirm: %d", resp.StatusCode)
	}
	if _, err := client.SendEmail(ctxT(t), simple("back@example.com")); err != nil {
		t.Fatal(err)
	}
	if err := sub.Wait(ctxT(t), 2); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range wh.posts() {
		env := envelopeOf(t, p)
		for _, who := range []string{"before", "after", "gone", "back"} {
			if strings.Contains(env["Message"], who+"@example.com") {
				got = append(got, who)
			}
		}
	}
	if !slices.Equal(got, []string{"after", "back"}) {
		t.Errorf("notifications delivered for %v, want [after back]", got)
	}
}

// TestDeliveryRetries checks SNS's delivery policy: 2xx delivers, 4xx is
// final, anything else is retried up to DeliveryRetries times.
func TestDeliveryRetries(t *testing.T) {
	cases := []struct {
		name     string
		retries  int
		statuses []int // answers to the notification's attempts; then 200
		attempts int
	}{
		{"delivered first time", 0, nil, 1},
		{"two 500s then 200", 0, []int{500, 503}, 3},
		{"always 500: 1 + 3 retries", 0, []int{500, 500, 500, 500, 500}, 4},
		{"redirect is a failure", 0, []int{302}, 2},
		{"4xx is final", 0, []int{404}, 1},
		{"429 is final too", 0, []int{429}, 1},
		{"one retry", 1, []int{500, 500}, 2},
		{"no retries", -1, []int{500}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, client, _ := start(t, func(o *sestest.Options) {
				o.DeliveryRetries = tc.retries
				o.DeliveryRetryDelay = time.Millisecond
			})
			wh := newWebhook(t, srv, true, func(n int) int {
				if i := n - 2; i >= 0 && i < len(tc.statuses) { // post 1 is the confirmation
					return tc.statuses[i]
				}
				return 0
			})
			sub := wh.subscribe()
			if _, err := client.SendEmail(ctxT(t), simple("a@example.com")); err != nil {
				t.Fatal(err)
			}
			if err := sub.Wait(ctxT(t), 1); err != nil {
				t.Fatal(err)
			}
			var attempts []sestest.Delivery
			for _, d := range sub.Deliveries() {
				if d.Type == "Notification" {
					attempts = append(attempts, d)
				}
			}
			if len(attempts) != tc.attempts {
				t.Fatalf("%d attempts, want %d: %+v", len(attempts), tc.attempts, attempts)
			}
			for i, d := range attempts {
				if d.Attempt != i+1 || d.MessageID != attempts[0].MessageID {
					t.Errorf("attempt %d: %+v", i, d)
				}
				wantStatus := 200
				if i < len(tc.statuses) {
					wantStatus = tc.statuses[i]
				}
				if d.StatusCode != wantStatus || (d.Err == nil) != (wantStatus == 200) {
					t.Errorf("attempt %d: status %d err %v, want %d", i+1, d.StatusCode, d.Err, wantStatus)
				}
			}
			posts := wh.posts()[1:]
			if len(posts) != tc.attempts {
				t.Errorf("the endpoint got %d posts, want %d", len(posts), tc.attempts)
			}
			for i, p := range posts {
				if id := p.header.Get("X-Amz-Sns-Message-Id"); id != attempts[0].MessageID {
					t.Errorf("post %d carries message id %q, want %q", i+1, id, attempts[0].MessageID)
				}
			}
		})
	}
}

// TestUnreachableEndpoint: no answer at all is retried, then given up.
func TestUnreachableEndpoint(t *testing.T) {
	srv, _, _ := start(t, func(o *sestest.Options) { o.DeliveryRetries = 2; o.DeliveryRetryDelay = time.Millisecond })
	wh := newWebhook(t, srv, false, nil)
	wh.http.Close()
	sub, err := srv.Subscribe(wh.http.URL)
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.WaitAttempts(ctxT(t), 3); err != nil {
		t.Fatal(err)
	}
	for _, d := range sub.Deliveries() {
		if d.StatusCode != 0 || d.Err == nil || d.Type != "SubscriptionConfirmation" {
			t.Errorf("%+v", d)
		}
	}
}

// TestRawMessageDelivery: the body is the bare SES payload, flagged by a
// header, and the handshake is still an envelope.
func TestRawMessageDelivery(t *testing.T) {
	srv, client, _ := start(t)
	wh := newWebhook(t, srv, true, nil)
	sub := wh.subscribe(func(o *sestest.SubscribeOptions) { o.RawMessageDelivery = true })
	in := simple("bounce@simulator.amazonses.com")
	in.ConfigurationSetName = aws.String("cs")
	if _, err := client.SendEmail(ctxT(t), in); err != nil {
		t.Fatal(err)
	}
	if err := sub.Wait(ctxT(t), 3); err != nil {
		t.Fatal(err)
	}
	posts := wh.posts()
	if envelopeOf(t, posts[0])["Type"] != "SubscriptionConfirmation" || posts[0].header.Get("X-Amz-Sns-Rawdelivery") != "" {
		t.Error("the confirmation is not a plain envelope")
	}
	ns := srv.Notifications()
	for i, p := range posts[1:] {
		if string(p.body) != string(ns[i].Message) || p.header.Get("X-Amz-Sns-Rawdelivery") != "true" ||
			p.header.Get("X-Amz-Sns-Message-Type") != "Notification" || p.header.Get("X-Amz-Sns-Message-Id") != ns[i].ID {
			t.Errorf("post %d: %v %s", i+1, p.header, p.body)
		}
	}
}

// TestFilterAndChannel: a filtered channel gets only what it asked for, in
// publication order.
func TestFilterAndChannel(t *testing.T) {
	srv, client, _ := start(t)
	ch := make(chan *sestest.Notification, 10)
	sub, err := srv.SubscribeChan(ch, func(o *sestest.SubscribeOptions) {
		o.Filter = func(n *sestest.Notification) bool { return n.Type == "Bounce" && n.Format == sestest.IdentityFormat }
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, to := range []string{"bounce+1@simulator.amazonses.com", "success@simulator.amazonses.com", "bounce+2@simulator.amazonses.com"} {
		if _, err := client.SendEmail(ctxT(t), simple(to)); err != nil {
			t.Fatal(err)
		}
	}
	if err := sub.Wait(ctxT(t), 2); err != nil {
		t.Fatal(err)
	}
	var got []string
	for range 2 {
		n := <-ch
		got = append(got, n.Recipients[0])
	}
	if !slices.Equal(got, []string{"bounce+1@simulator.amazonses.com", "bounce+2@simulator.amazonses.com"}) || len(ch) != 0 {
		t.Errorf("got %v and %d more", got, len(ch))
	}
	if _, err := srv.SubscribeChan(nil); err == nil {
		t.Error("SubscribeChan(nil) succeeded")
	}
}

// TestCloseWithBlockedChannel: Close returns even when a channel nobody
// reads holds up deliveries.
func TestCloseWithBlockedChannel(t *testing.T) {
	srv, err := sestest.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.SubscribeChan(make(chan *sestest.Notification)); err != nil {
		t.Fatal(err)
	}
	client := srv.Client(sestest.NoRetries)
	for range 3 {
		if _, err := client.SendEmail(ctxT(t), simple("a@example.com")); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan struct{})
	go func() { srv.Close(); srv.Close(); close(done) }()
	select {
	case <-done:
	case <-ctxT(t).Done():
		t.Fatal("Close did not return")
	}
	if _, err := srv.SubscribeChan(make(chan *sestest.Notification)); err == nil {
		t.Error("subscribed to a closed server")
	}
}

// TestSNSURLs checks the shapes a production verifier checks, and that the
// SNS client answers only them.
func TestSNSURLs(t *testing.T) {
	srv, _, _ := start(t, func(o *sestest.Options) { o.Region = "eu-central-1" })
	wh := newWebhook(t, srv, false, nil)
	sub, err := srv.Subscribe(wh.http.URL)
	if err != nil {
		t.Fatal(err)
	}
	certURL := regexp.MustCompile(`^https://sns\.eu-central-1\.amazonaws\.com/SimpleNotificationService-[0-9a-f]{32}\.pem$`)
	if !certURL.MatchString(srv.SigningCertURL()) {
		t.Errorf("SigningCertURL %s", srv.SigningCertURL())
	}
	for name, raw := range map[string]string{"SubscribeURL": sub.SubscribeURL(), "UnsubscribeURL": sub.UnsubscribeURL()} {
		u, err := url.Parse(raw)
		if err != nil || u.Scheme != "https" || u.Host != "sns.eu-central-1.amazonaws.com" || u.Path != "/" {
			t.Errorf("%s %s", name, raw)
		}
	}
	if q, _ := url.ParseQuery(strings.SplitN(sub.SubscribeURL(), "?", 2)[1]); q.Get("Action") != "ConfirmSubscription" || q.Get("TopicArn") != srv.TopicARN() || len(q.Get("Token")) < 64 {
		t.Errorf("SubscribeURL %s", sub.SubscribeURL())
	}

	c := srv.SNSHTTPClient()
	for _, u := range []string{
		"http://sns.eu-central-1.amazonaws.com/" + strings.TrimPrefix(srv.SigningCertURL(), "https://sns.eu-central-1.amazonaws.com/"),
		"https://sns.us-east-1.amazonaws.com/SimpleNotificationService-00.pem",
		"https://sns.eu-central-1.amazonaws.com.attacker.example/x.pem",
		"https://bucket.s3.amazonaws.com/x.pem",
		wh.http.URL,
	} {
		if resp, err := c.Get(u); err == nil {
			_ = resp.Body.Close()
			t.Errorf("the SNS client answered %s", u)
		}
	}
	for _, tc := range []struct {
		url, code string
		status    int
	}{
		{strings.Replace(sub.SubscribeURL(), "Token=", "Token=00", 1), "InvalidParameter", 400},
		{strings.Replace(sub.SubscribeURL(), ":sestest&", ":other&", 1), "NotFound", 404},
		{"https://sns.eu-central-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:eu-central-1:123456789012:sestest:nope", "NotFound", 404},
		{"https://sns.eu-central-1.amazonaws.com/?Action=Publish", "InvalidAction", 400},
		{"https://sns.eu-central-1.amazonaws.com/SimpleNotificationService-00.pem", "NotFound", 404},
	} {
		resp, body := get(t, c, tc.url)
		if resp.StatusCode != tc.status || !strings.Contains(body, "<Code>"+tc.code+"</Code>") {
			t.Errorf("%s: %d %s", tc.url, resp.StatusCode, body)
		}
	}
	if sub.Confirmed() {
		t.Error("a bad token confirmed the subscription")
	}
	if _, err := srv.Certificate(ctxT(t), "https://sns.eu-central-1.amazonaws.com/SimpleNotificationService-00.pem"); !errors.Is(err, sestest.ErrUnknownCertificate) {
		t.Errorf("Certificate of another URL: %v", err)
	}
	for _, bad := range []string{"", "/relative", "ftp://host/x", "http://"} {
		if _, err := srv.Subscribe(bad); err == nil {
			t.Errorf("Subscribe(%q) succeeded", bad)
		}
	}
}

// TestWaitNotifications waits for notifications published by another
// goroutine, and gives up when its context ends.
func TestWaitNotifications(t *testing.T) {
	srv, client, _ := start(t)
	errc := make(chan error, 1)
	go func() {
		_, err := client.SendEmail(context.Background(), simple("complaint@simulator.amazonses.com"))
		errc <- err
	}()
	ns, err := srv.WaitNotifications(ctxT(t), 2)
	if err != nil || len(ns) < 2 {
		t.Fatalf("%d notifications, %v", len(ns), err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := srv.WaitNotifications(ctx, 3); !errors.Is(err, context.Canceled) {
		t.Errorf("err %v", err)
	}
}
