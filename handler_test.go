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
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/internal/snstest"
	"github.com/sesguard/sesguard/sns"
	"github.com/sesguard/sesguard/store/memstore"
)

// signedAt is the Timestamp of the messages the handler tests sign, and
// handlerNow the handler's clock: a few seconds later.
var (
	signedAt   = "2026-05-01T12:00:00.000Z"
	handlerNow = time.Date(2026, 5, 1, 12, 0, 5, 0, time.UTC)
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
func signedBounce(t testing.TB, id, addr string) *sns.Envelope {
	e := &sns.Envelope{
		Type: sns.TypeNotification, MessageID: id, TopicARN: snstest.TopicARN,
		Message:   string(bounceJSON("feedback-"+id, "Permanent", "General", "5.1.1", addr)),
		Timestamp: signedAt,
	}
	sign(t, e)
	return e
}

func signedConfirmation(t testing.TB, typ string) *sns.Envelope {
	e := &sns.Envelope{
		Type: typ, MessageID: "c1", TopicARN: snstest.TopicARN,
		Message:      "You have chosen to subscribe to the topic " + snstest.TopicARN + ".",
		Timestamp:    signedAt,
		Token:        "2336412f37fb687f5d51e6e2425929f5",
		SubscribeURL: "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=" + snstest.TopicARN + "&Token=2336412f37fb687f5d51e6e2425929f5",
	}
	sign(t, e)
	return e
}

type handlerEnv struct {
	store *memstore.Store
	wire  *snsWire
	c     *Client
	h     http.Handler
}

// newHandlerEnv returns a handler over a memstore that accepts the test
// signer's topic, with optFns applied after.
func newHandlerEnv(t testing.TB, optFns ...func(*HandlerOptions)) *handlerEnv {
	t.Helper()
	env := &handlerEnv{store: memstore.New(), wire: &snsWire{}}
	env.c = newNotifyClient(t, func(o *Options) {
		o.Store = env.store
		o.Now = func() time.Time { return handlerNow }
	})
	h, err := env.c.SNSHandler(append([]func(*HandlerOptions){func(o *HandlerOptions) {
		o.SNS.TopicARNs = []string{snstest.TopicARN}
		o.SNS.CertificateSource = snsFixtures()
		o.SNS.HTTPClient = env.wire.client()
	}}, optFns...)...)
	require.NoError(t, err)
	env.h = h
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

// anyTopicAnyAge lets the real AWS messages of the fixtures through: they
// come from other accounts' topics, years ago.
func anyTopicAnyAge(o *HandlerOptions) {
	o.SNS.TopicARNs = nil
	o.SNS.AllowAnyTopic = true
	o.SNS.MaxAge = sns.NoMaxAge
}

func TestHandler(t *testing.T) {
	bounce := snstest.Marshal(signedBounce(t, "n1", "gone@example.com"), false)
	tampered := signedBounce(t, "n2", "gone@example.com")
	tampered.Message = strings.Replace(tampered.Message, "gone@", "victim@", 1)
	wrongTopic := signedBounce(t, "n3", "gone@example.com")
	wrongTopic.TopicARN = "arn:aws:sns:us-east-1:999999999999:theirs"
	sign(t, wrongTopic)
	unsigned := signedBounce(t, "n4", "gone@example.com")
	unsigned.Signature = ""
	emptySubject := signedBounce(t, "n5", "gone@example.com")
	emptySubject.HasSubject = true
	badCertHost := signedBounce(t, "n6", "gone@example.com")
	badCertHost.SigningCertURL = "https://sns.us-east-1.amazonaws.com.evil.example/SimpleNotificationService-0123456789abcdef.pem"
	unknownCert := signedBounce(t, "n7", "gone@example.com")
	unknownCert.SigningCertURL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-ffffffff.pem"
	stale := signedBounce(t, "n9", "gone@example.com")
	stale.Timestamp = "2026-05-01T09:59:59.000Z"
	sign(t, stale)
	badSubscribeURL := signedConfirmation(t, sns.TypeSubscriptionConfirmation)
	badSubscribeURL.SubscribeURL = "https://evil.example/?Action=ConfirmSubscription"
	sign(t, badSubscribeURL)
	rawBounce := bounceJSON("raw-1", "Permanent", "General", "5.1.1", "gone@example.com")
	real := func(name string) []byte { return readFile(t, filepath.Join(snsTestdata, name)) }

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
		{"signed bounce in Lambda spelling", nil, "", snstest.Marshal(signedBounce(t, "n8", "gone@example.com"), true), nil, 200, true, false},
		{"GET", nil, http.MethodGet, nil, nil, 405, false, false},
		{"oversize", func(o *HandlerOptions) { o.MaxBodyBytes = 100 }, "", bounce, nil, 413, false, false},
		{"not JSON", nil, "", []byte("hello"), nil, 400, false, false},
		{"not an SNS message", nil, "", []byte(`{"Type":"Notification"}`), nil, 400, false, false},
		{"type header disagrees", nil, "", bounce, []string{"x-amz-sns-message-type", "SubscriptionConfirmation"}, 400, false, false},
		{"tampered message", nil, "", snstest.Marshal(tampered, false), nil, 403, false, false},
		{"unsigned", nil, "", snstest.Marshal(unsigned, false), nil, 403, false, false},
		{"empty Subject added", nil, "", snstest.Marshal(emptySubject, false), nil, 403, false, false},
		{"look-alike cert host", nil, "", snstest.Marshal(badCertHost, false), nil, 403, false, false},
		{"another account's topic", nil, "", snstest.Marshal(wrongTopic, false), nil, 403, false, false},
		{"older than the default max age", nil, "", snstest.Marshal(stale, false), nil, 403, false, false},
		{"stale message accepted with NoMaxAge", func(o *HandlerOptions) { o.SNS.MaxAge = sns.NoMaxAge }, "", snstest.Marshal(stale, false), nil, 200, true, false},
		{"certificate unavailable", nil, "", snstest.Marshal(unknownCert, false), nil, 502, false, false},
		{"raw delivery refused by default", nil, "", rawBounce, []string{"x-amz-sns-rawdelivery", "true"}, 403, false, false},
		{"raw delivery allowed", func(o *HandlerOptions) { o.AllowRawDelivery = true }, "", rawBounce, []string{"x-amz-sns-rawdelivery", "true"}, 200, true, false},
		{"raw delivery of something else", func(o *HandlerOptions) { o.AllowRawDelivery = true }, "", []byte(`{"hello":1}`), []string{"x-amz-sns-rawdelivery", "true"}, 200, false, false},
		{"real AWS message that is not SES", anyTopicAnyAge, "", real("javav2-notification-v2.json"), nil, 200, false, false},
		{"real AWS SES bounce", anyTopicAnyAge, "", real("django-ses-bounce-notification.json"), nil, 200, false, false},
		{"real AWS SES bounce, years old", func(o *HandlerOptions) { anyTopicAnyAge(o); o.SNS.MaxAge = 0 }, "", real("django-ses-bounce-notification.json"), nil, 403, false, false},
		{"real AWS SES bounce from a topic not allowed", nil, "", real("django-ses-bounce-notification.json"), nil, 403, false, false},
		{"subscription confirmed", nil, "", snstest.Marshal(signedConfirmation(t, sns.TypeSubscriptionConfirmation), false), nil, 200, false, true},
		{"subscription left for manual confirmation", func(o *HandlerOptions) { o.ManualConfirm = true }, "", snstest.Marshal(signedConfirmation(t, sns.TypeSubscriptionConfirmation), false), nil, 200, false, false},
		{"forged confirmation not confirmed", anyTopicAnyAge, "", real(filepath.Join("negative", "tampered-token.json")), nil, 403, false, false},
		{"forged confirmation not confirmed manually either", func(o *HandlerOptions) { anyTopicAnyAge(o); o.ManualConfirm = true }, "", real(filepath.Join("negative", "tampered-token.json")), nil, 403, false, false},
		{"confirmation to a foreign SubscribeURL", nil, "", snstest.Marshal(badSubscribeURL, false), nil, 403, false, false},
		{"unsubscribe confirmation never confirmed", nil, "", snstest.Marshal(signedConfirmation(t, sns.TypeUnsubscribeConfirmation), false), nil, 200, false, false},
		{"real unsubscribe confirmation", anyTopicAnyAge, "", real("javav2-unsubscribe-confirmation-v2.json"), nil, 200, false, false},
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
			require.Equal(t, tt.status, w.Code, strings.TrimSpace(w.Body.String()))
			_, ok, err := Suppressed(t.Context(), env.c, "gone@example.com")
			require.NoError(t, err)
			assert.Equal(t, tt.suppressed, ok, "suppressed")
			if tt.status != 200 {
				assert.Zero(t, env.store.Len(), "suppressions written on a %d", tt.status)
			}
			reqs := env.wire.requests()
			if !tt.confirmed {
				assert.Empty(t, reqs, "requests to SNS")
				return
			}
			require.Len(t, reqs, 1)
			assert.True(t, strings.HasPrefix(reqs[0], "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription"), reqs[0])
		})
	}
}

// TestHandlerSecureByDefault checks that the handler is not built with
// settings that would let forged or replayed messages in.
func TestHandlerSecureByDefault(t *testing.T) {
	c := newNotifyClient(t)
	t.Run("no topic allow-list", func(t *testing.T) {
		h, err := c.SNSHandler()
		require.ErrorContains(t, err, "AllowAnyTopic")
		assert.Nil(t, h)
	})
	t.Run("any topic, by name", func(t *testing.T) {
		_, err := c.SNSHandler(func(o *HandlerOptions) { o.SNS.AllowAnyTopic = true })
		require.NoError(t, err)
	})
	t.Run("a freshness window as long as the dedupe window", func(t *testing.T) {
		_, err := c.SNSHandler(func(o *HandlerOptions) {
			o.SNS.TopicARNs = []string{snstest.TopicARN}
			o.SNS.MaxAge = 14 * 24 * time.Hour
		})
		require.ErrorContains(t, err, "DedupeWindow")
	})
	t.Run("the default freshness window is shorter than the default dedupe window", func(t *testing.T) {
		assert.Less(t, sns.DefaultMaxAge, c.notifications().policy.DedupeWindow)
	})
}

// TestHandlerStoreFailure checks that a failed write is answered 500, so
// that SNS retries, and that the retry is applied.
func TestHandlerStoreFailure(t *testing.T) {
	fs := newFlakyStore()
	c := newNotifyClient(t, func(o *Options) {
		o.Store = fs
		o.Now = func() time.Time { return handlerNow }
	})
	h, err := c.SNSHandler(func(o *HandlerOptions) {
		o.SNS.TopicARNs = []string{snstest.TopicARN}
		o.SNS.CertificateSource = snsFixtures()
	})
	require.NoError(t, err)
	body := snstest.Marshal(signedBounce(t, "n1", "gone@example.com"), false)
	post := func() int {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body)))
		return w.Code
	}
	fs.failing.Store(true)
	require.Equal(t, 500, post(), "while the store fails")
	fs.failing.Store(false)
	require.Equal(t, 200, post(), "the retry")
	_, ok, err := Suppressed(t.Context(), c, "gone@example.com")
	require.NoError(t, err)
	require.True(t, ok, "the retried bounce was not applied")
	require.Equal(t, 200, post(), "a duplicate")
}

// TestHandlerEveryForgery posts every negative fixture and checks that the
// handler refuses it without writing or fetching anything.
func TestHandlerEveryForgery(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(snsTestdata, "negative", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			env := newHandlerEnv(t, anyTopicAnyAge)
			w := env.post(readFile(t, p))
			require.Equal(t, http.StatusForbidden, w.Code, w.Body.String())
			assert.Zero(t, env.store.Len())
			assert.Empty(t, env.wire.requests())
		})
	}
}

func TestHandlerClientGoneIsNotForbidden(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	env := newHandlerEnv(t, func(o *HandlerOptions) {
		o.SNS.CertificateSource = snstest.SourceFunc(func(ctx context.Context, _ string) (*x509.Certificate, error) {
			<-block
			return nil, errors.New("unreachable")
		})
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(snstest.Marshal(signedBounce(t, "n1", "a@example.com"), false))).WithContext(ctx)
	w := httptest.NewRecorder()
	env.h.ServeHTTP(w, r)
	require.Equal(t, http.StatusBadGateway, w.Code)
}
