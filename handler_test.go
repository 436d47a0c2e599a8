package sesguard

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sesguard/sesguard/store/memstore"
)

// roundTripFunc adapts a function to http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// snsWire records the requests the handler makes to SNS (subscription
// confirmations) and answers them like SNS does.
type snsWire struct {
	mu   sync.Mutex
	urls []string
}

func (s *snsWire) client() *http.Client {
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		s.mu.Lock()
		s.urls = append(s.urls, r.URL.String())
		s.mu.Unlock()
		return &http.Response{StatusCode: 200, Status: "200 OK", Body: io.NopCloser(strings.NewReader("<ConfirmSubscriptionResponse/>")), Request: r}, nil
	})}
}

func (s *snsWire) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.urls...)
}

// signedBounce returns a Notification envelope carrying an SES permanent
// bounce for addr, signed by the test signer.
func signedBounce(t testing.TB, s *testSigner, id, addr string) *Envelope {
	e := &Envelope{
		Type: SNSNotification, MessageID: id, TopicARN: "arn:aws:sns:us-east-1:123456789012:ses",
		Message:   string(bounceJSON("feedback-"+id, "Permanent", "General", "5.1.1", addr)),
		Timestamp: "2026-05-01T12:00:00.000Z",
	}
	s.sign(t, e)
	return e
}

func signedConfirmation(t testing.TB, s *testSigner, typ string) *Envelope {
	e := &Envelope{
		Type: typ, MessageID: "c1", TopicARN: "arn:aws:sns:us-east-1:123456789012:ses",
		Message:      "You have chosen to subscribe to the topic arn:aws:sns:us-east-1:123456789012:ses.",
		Timestamp:    "2026-05-01T12:00:00.000Z",
		Token:        "2336412f37fb687f5d51e6e2425929f5",
		SubscribeURL: "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-1:123456789012:ses&Token=2336412f37fb687f5d51e6e2425929f5",
	}
	s.sign(t, e)
	return e
}

type handlerEnv struct {
	store *memstore.Store
	wire  *snsWire
	h     http.Handler
}

func newHandlerEnv(t testing.TB, optFns ...func(*HandlerOptions)) *handlerEnv {
	t.Helper()
	env := &handlerEnv{store: memstore.New(), wire: &snsWire{}}
	c := newNotifyClient(t, func(o *Options) { o.Store = env.store })
	src := newTestSigner(t).source()
	env.h = c.SNSHandler(append([]func(*HandlerOptions){func(o *HandlerOptions) {
		o.CertificateSource = src
		o.HTTPClient = env.wire.client()
	}}, optFns...)...)
	return env
}

func (env *handlerEnv) post(body []byte, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/sns", bytes.NewReader(body))
	r.Header.Set("Content-Type", "text/plain; charset=UTF-8")
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	env.h.ServeHTTP(w, r)
	return w
}

func TestHandler(t *testing.T) {
	signer := newTestSigner(t)
	bounce := marshalEnvelope(t, signedBounce(t, signer, "n1", "gone@example.com"), false)
	tampered := signedBounce(t, signer, "n2", "gone@example.com")
	tampered.Message = strings.Replace(tampered.Message, "gone@", "victim@", 1)
	wrongTopic := signedBounce(t, signer, "n3", "gone@example.com")
	unsigned := signedBounce(t, signer, "n4", "gone@example.com")
	unsigned.Signature = ""
	emptySubject := signedBounce(t, signer, "n5", "gone@example.com")
	emptySubject.HasSubject = true
	badCertHost := signedBounce(t, signer, "n6", "gone@example.com")
	badCertHost.SigningCertURL = "https://sns.us-east-1.amazonaws.com.evil.example/SimpleNotificationService-0123456789abcdef.pem"
	unknownCert := signedBounce(t, signer, "n7", "gone@example.com")
	unknownCert.SigningCertURL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-ffffffff.pem"
	badSubscribeURL := signedConfirmation(t, signer, SNSSubscriptionConfirmation)
	badSubscribeURL.SubscribeURL = "https://evil.example/?Action=ConfirmSubscription"
	signer.sign(t, badSubscribeURL)
	rawBounce := bounceJSON("raw-1", "Permanent", "General", "5.1.1", "gone@example.com")

	tests := []struct {
		name       string
		opts       func(*HandlerOptions)
		method     string
		body       []byte
		header     []string
		status     int
		suppressed bool
		confirmed  bool
	}{
		{"signed bounce", nil, "", bounce, nil, 200, true, false},
		{"signed bounce in Lambda spelling", nil, "", marshalEnvelope(t, signedBounce(t, signer, "n8", "gone@example.com"), true), nil, 200, true, false},
		{"GET", nil, http.MethodGet, nil, nil, 405, false, false},
		{"oversize", func(o *HandlerOptions) { o.MaxBodyBytes = 100 }, "", bounce, nil, 413, false, false},
		{"not JSON", nil, "", []byte("hello"), nil, 400, false, false},
		{"not an SNS message", nil, "", []byte(`{"Type":"Notification"}`), nil, 400, false, false},
		{"type header disagrees", nil, "", bounce, []string{"x-amz-sns-message-type", "SubscriptionConfirmation"}, 400, false, false},
		{"tampered message", nil, "", marshalEnvelope(t, tampered, false), nil, 403, false, false},
		{"unsigned", nil, "", marshalEnvelope(t, unsigned, false), nil, 403, false, false},
		{"empty Subject added", nil, "", marshalEnvelope(t, emptySubject, false), nil, 403, false, false},
		{"look-alike cert host", nil, "", marshalEnvelope(t, badCertHost, false), nil, 403, false, false},
		{"topic not allowed", func(o *HandlerOptions) { o.TopicARNs = []string{"arn:aws:sns:us-east-1:123456789012:other"} }, "", marshalEnvelope(t, wrongTopic, false), nil, 403, false, false},
		{"certificate unavailable", nil, "", marshalEnvelope(t, unknownCert, false), nil, 502, false, false},
		{"raw delivery refused by default", nil, "", rawBounce, []string{"x-amz-sns-rawdelivery", "true"}, 403, false, false},
		{"raw delivery allowed", func(o *HandlerOptions) { o.AllowRawDelivery = true }, "", rawBounce, []string{"x-amz-sns-rawdelivery", "true"}, 200, true, false},
		{"raw delivery of something else", func(o *HandlerOptions) { o.AllowRawDelivery = true }, "", []byte(`{"hello":1}`), []string{"x-amz-sns-rawdelivery", "true"}, 200, false, false},
		{"real AWS message that is not SES", nil, "", readFile(t, filepath.Join("testdata", "sns", "javav2-notification-v2.json")), nil, 200, false, false},
		{"real AWS SES bounce", nil, "", readFile(t, filepath.Join("testdata", "sns", "django-ses-bounce-notification.json")), nil, 200, false, false},
		{"subscription confirmed", nil, "", marshalEnvelope(t, signedConfirmation(t, signer, SNSSubscriptionConfirmation), false), nil, 200, false, true},
		{"subscription left for manual confirmation", func(o *HandlerOptions) { o.ManualConfirm = true }, "", marshalEnvelope(t, signedConfirmation(t, signer, SNSSubscriptionConfirmation), false), nil, 200, false, false},
		{"forged confirmation not confirmed", nil, "", readFile(t, filepath.Join("testdata", "sns", "negative", "tampered-token.json")), nil, 403, false, false},
		{"confirmation to a foreign SubscribeURL", nil, "", marshalEnvelope(t, badSubscribeURL, false), nil, 403, false, false},
		{"unsubscribe confirmation never confirmed", nil, "", marshalEnvelope(t, signedConfirmation(t, signer, SNSUnsubscribeConfirmation), false), nil, 200, false, false},
		{"real unsubscribe confirmation", nil, "", readFile(t, filepath.Join("testdata", "sns", "javav2-unsubscribe-confirmation-v2.json")), nil, 200, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []func(*HandlerOptions)
			if tt.opts != nil {
				opts = append(opts, tt.opts)
			}
			env := newHandlerEnv(t, opts...)
			var w *httptest.ResponseRecorder
			if tt.method != "" {
				w = httptest.NewRecorder()
				env.h.ServeHTTP(w, httptest.NewRequest(tt.method, "/sns", nil))
			} else {
				w = env.post(tt.body, tt.header...)
			}
			if w.Code != tt.status {
				t.Fatalf("status %d (%s), want %d", w.Code, strings.TrimSpace(w.Body.String()), tt.status)
			}
			_, ok, err := newNotifyClient(t, func(o *Options) { o.Store = env.store }).Suppressed(context.Background(), "gone@example.com")
			if err != nil {
				t.Fatal(err)
			}
			if ok != tt.suppressed {
				t.Errorf("suppressed %v, want %v", ok, tt.suppressed)
			}
			if tt.status != 200 && env.store.Len() != 0 {
				t.Errorf("%d suppressions written on a %d", env.store.Len(), tt.status)
			}
			reqs := env.wire.requests()
			if tt.confirmed != (len(reqs) == 1) || len(reqs) > 1 {
				t.Errorf("SNS requests %v, confirmed want %v", reqs, tt.confirmed)
			}
			for _, u := range reqs {
				if !strings.HasPrefix(u, "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription") {
					t.Errorf("request to %s", u)
				}
			}
		})
	}
}

// TestHandlerStoreFailure checks that a failed write is answered 500, so
// that SNS retries, and that the retry is applied.
func TestHandlerStoreFailure(t *testing.T) {
	fs := &flakyStore{Store: memstore.New()}
	c := newNotifyClient(t, func(o *Options) { o.Store = fs })
	signer := newTestSigner(t)
	h := c.SNSHandler(func(o *HandlerOptions) { o.CertificateSource = signer.source() })
	body := marshalEnvelope(t, signedBounce(t, signer, "n1", "gone@example.com"), false)
	post := func() int {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body)))
		return w.Code
	}
	fs.failing.Store(true)
	if code := post(); code != 500 {
		t.Fatalf("status %d while the store fails, want 500", code)
	}
	fs.failing.Store(false)
	if code := post(); code != 200 {
		t.Fatalf("status %d on the retry, want 200", code)
	}
	if _, ok, _ := c.Suppressed(context.Background(), "gone@example.com"); !ok {
		t.Fatal("the retried bounce was not applied")
	}
	if code := post(); code != 200 {
		t.Fatalf("status %d for a duplicate, want 200", code)
	}
}

// TestHandlerEveryForgery posts every negative fixture and checks that the
// handler refuses it without writing or fetching anything.
func TestHandlerEveryForgery(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "sns", "negative", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			env := newHandlerEnv(t)
			if w := env.post(readFile(t, p)); w.Code != http.StatusForbidden {
				t.Fatalf("status %d, want 403", w.Code)
			}
			if env.store.Len() != 0 || len(env.wire.requests()) != 0 {
				t.Fatalf("wrote %d, requested %v", env.store.Len(), env.wire.requests())
			}
		})
	}
}

func TestHandlerClientGoneIsNotForbidden(t *testing.T) {
	signer := newTestSigner(t)
	block := make(chan struct{})
	defer close(block)
	c := newNotifyClient(t)
	h := c.SNSHandler(func(o *HandlerOptions) {
		o.CertificateSource = certSourceFunc(func(ctx context.Context, _ string) (*x509.Certificate, error) {
			<-block
			return nil, errors.New("unreachable")
		})
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(marshalEnvelope(t, signedBounce(t, signer, "n1", "a@example.com"), false))).WithContext(ctx)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusBadGateway {
		t.Fatalf("status %d, want 502", w.Code)
	}
}
