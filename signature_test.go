package sesguard

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// envelopesOf parses a payload and returns its SNS envelopes.
func envelopesOf(t testing.TB, data []byte) []*Envelope {
	t.Helper()
	ns, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	var out []*Envelope
	for _, n := range ns {
		if n.SNS == nil {
			t.Fatal("no SNS envelope")
		}
		out = append(out, n.SNS)
	}
	return out
}

func TestVerifyRealMessages(t *testing.T) {
	msgs := realMessages(t)
	if len(msgs) != 35 {
		t.Fatalf("%d real messages in testdata, want 35", len(msgs))
	}
	src := &fixtureSource{}
	v := NewVerifier(func(o *VerifierOptions) { o.CertificateSource = src })
	for name, data := range msgs {
		t.Run(name, func(t *testing.T) {
			envs := envelopesOf(t, data)
			if len(envs) == 0 {
				t.Fatal("no message")
			}
			for _, e := range envs {
				if err := v.Verify(context.Background(), e); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
	// The cache asked for each certificate URL once.
	asked := src.urls()
	distinct := map[string]bool{}
	for _, u := range asked {
		distinct[u] = true
	}
	if len(asked) != len(distinct) {
		t.Errorf("certificate source asked %d times for %d URLs", len(asked), len(distinct))
	}
}

// TestVerifyEverySignedByte changes each byte of each signed field of each
// real message, one at a time, and expects every change to be rejected.
func TestVerifyEverySignedByte(t *testing.T) {
	if testing.Short() {
		t.Skip("tens of thousands of RSA verifications")
	}
	src := &fixtureSource{}
	v := NewVerifier(func(o *VerifierOptions) { o.CertificateSource = src })
	for name, data := range realMessages(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, orig := range envelopesOf(t, data) {
				for _, f := range []struct {
					name string
					ptr  func(*Envelope) *string
				}{
					{"Message", func(e *Envelope) *string { return &e.Message }},
					{"MessageId", func(e *Envelope) *string { return &e.MessageID }},
					{"Timestamp", func(e *Envelope) *string { return &e.Timestamp }},
					{"TopicArn", func(e *Envelope) *string { return &e.TopicARN }},
					{"Type", func(e *Envelope) *string { return &e.Type }},
					{"Subject", func(e *Envelope) *string { return &e.Subject }},
					{"SubscribeURL", func(e *Envelope) *string { return &e.SubscribeURL }},
					{"Token", func(e *Envelope) *string { return &e.Token }},
				} {
					switch {
					case f.name == "Subject" && (!orig.HasSubject || orig.Type != SNSNotification),
						(f.name == "SubscribeURL" || f.name == "Token") && orig.Type == SNSNotification:
						continue // not signed for this type
					}
					value := *f.ptr(orig)
					for i := range len(value) {
						e := *orig
						b := []byte(value)
						b[i] ^= 0x01
						*f.ptr(&e) = string(b)
						if err := v.Verify(context.Background(), &e); !errors.Is(err, ErrSignature) {
							t.Fatalf("%s byte %d changed: Verify = %v, want ErrSignature", f.name, i, err)
						}
					}
				}
				if orig.Type == SNSNotification {
					e := *orig
					e.HasSubject = !e.HasSubject
					if err := v.Verify(context.Background(), &e); !errors.Is(err, ErrSignature) {
						t.Fatalf("Subject presence flipped: Verify = %v, want ErrSignature", err)
					}
				}
			}
		})
	}
}

func TestVerifyNegativeFixtures(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "sns", "negative", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 9 {
		t.Fatalf("%d negative fixtures, want 9", len(paths))
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			src := &fixtureSource{}
			v := NewVerifier(func(o *VerifierOptions) { o.CertificateSource = src })
			for _, e := range envelopesOf(t, readFile(t, p)) {
				if err := v.Verify(context.Background(), e); err == nil {
					t.Fatal("a forged message verified")
				}
			}
			for _, u := range src.urls() {
				if checkCertURL(u) != nil {
					t.Errorf("source asked for %s", u)
				}
			}
		})
	}
}

// TestForgeMatrix starts from a genuine signed notification and changes it
// the ways attackers and buggy peers do. Every variant must be rejected
// with the right error, and no certificate may be asked for at a URL that
// is not an SNS certificate URL.
func TestForgeMatrix(t *testing.T) {
	genuine := envelopesOf(t, readFile(t, filepath.Join("testdata", "sns", "django-ses-bounce-notification.json")))[0]
	attacker, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	const realCert = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"
	withURL := func(u string) func(*Envelope) { return func(e *Envelope) { e.SigningCertURL = u } }
	tests := []struct {
		name   string
		change func(*Envelope)
		want   error
	}{
		{"genuine", func(*Envelope) {}, nil},
		{"wrong key", func(e *Envelope) {
			e.Signature = base64.StdEncoding.EncodeToString(signWith(t, attacker, e))
		}, ErrSignature},
		{"tampered Message", func(e *Envelope) {
			e.Message = strings.Replace(e.Message, "bounce@simulator", "victim@simulator", 1)
		}, ErrSignature},
		{"tampered Subject", func(e *Envelope) { e.Subject, e.HasSubject = "x", true }, ErrSignature},
		{"tampered Timestamp", func(e *Envelope) { e.Timestamp = "2022-04-01T21:24:50.201Z" }, ErrSignature},
		{"tampered TopicArn", func(e *Envelope) { e.TopicARN += "x" }, ErrSignature},
		{"tampered MessageId", func(e *Envelope) { e.MessageID = "71a6b82e-0f1a-58db-b902-e2ef60f87542" }, ErrSignature},
		{"relabelled as confirmation", func(e *Envelope) { e.Type = SNSSubscriptionConfirmation }, ErrSignature},
		{"unknown Type", func(e *Envelope) { e.Type = "Hello" }, ErrSignature},
		{"empty Subject added", func(e *Envelope) { e.Subject, e.HasSubject = "", true }, ErrSignature},
		{"SignatureVersion 3", func(e *Envelope) { e.SignatureVersion = "3" }, ErrSignature},
		{"SignatureVersion empty", func(e *Envelope) { e.SignatureVersion = "" }, ErrSignature},
		{"SignatureVersion 01", func(e *Envelope) { e.SignatureVersion = "01" }, ErrSignature},
		{"SignatureVersion 2 for a SHA1 signature", func(e *Envelope) { e.SignatureVersion = "2" }, ErrSignature},
		{"missing Signature", func(e *Envelope) { e.Signature = "" }, ErrSignature},
		{"Signature not base64", func(e *Envelope) { e.Signature = "%%%" }, ErrSignature},
		{"truncated Signature", func(e *Envelope) { e.Signature = e.Signature[:len(e.Signature)-4] }, ErrSignature},
		{"http cert URL", withURL("http://sns.us-east-1.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"), ErrCertificateURL},
		{"foreign host", withURL("https://evil.example/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"), ErrCertificateURL},
		{"S3 bucket on amazonaws.com", withURL("https://django-sns-poc.s3.ap-southeast-2.amazonaws.com/publickey.pem"), ErrCertificateURL},
		{"host suffix look-alike", withURL("https://sns.us-east-1.amazonaws.com.evil.example/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"), ErrCertificateURL},
		{"host prefix look-alike", withURL("https://evilsns.us-east-1.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"), ErrCertificateURL},
		{"user info", withURL("https://sns.us-east-1.amazonaws.com@evil.example/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"), ErrCertificateURL},
		{"user info before SNS host", withURL("https://evil.example@sns.us-east-1.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"), ErrCertificateURL},
		{"backslash", withURL(`https://sns.us-east-1.amazonaws.com\@evil.example/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem`), ErrCertificateURL},
		{"port", withURL("https://sns.us-east-1.amazonaws.com:8443/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"), ErrCertificateURL},
		{"empty port", withURL("https://sns.us-east-1.amazonaws.com:/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"), ErrCertificateURL},
		{"upper-case host", withURL("https://SNS.us-east-1.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"), ErrCertificateURL},
		{"trailing dot host", withURL("https://sns.us-east-1.amazonaws.com./SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"), ErrCertificateURL},
		{"no region", withURL("https://sns.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"), ErrCertificateURL},
		{"not .pem", withURL("https://sns.us-east-1.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.cer"), ErrCertificateURL},
		{"query", withURL(realCert + "?x=1"), ErrCertificateURL},
		{"fragment", withURL(realCert + "#x"), ErrCertificateURL},
		{"path traversal", withURL("https://sns.us-east-1.amazonaws.com/a/../SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"), ErrCertificateURL},
		{"escaped path", withURL("https://sns.us-east-1.amazonaws.com/%53impleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"), ErrCertificateURL},
		{"empty cert URL", withURL(""), ErrCertificateURL},
		{"China partition is an SNS host", withURL("https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"), nil},
		{"other region serves the same file", withURL("https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &fixtureSource{}
			v := NewVerifier(func(o *VerifierOptions) { o.CertificateSource = src })
			e := *genuine
			tt.change(&e)
			err := v.Verify(context.Background(), &e)
			switch {
			case tt.want == nil && err != nil:
				t.Fatalf("Verify = %v, want success", err)
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
			for _, u := range src.urls() {
				if checkCertURL(u) != nil {
					t.Errorf("certificate source asked for %s", u)
				}
			}
			if errors.Is(tt.want, ErrCertificateURL) && len(src.urls()) != 0 {
				t.Errorf("certificate source asked for %v", src.urls())
			}
		})
	}
}

func TestVerifyTopicAndAge(t *testing.T) {
	genuine := envelopesOf(t, readFile(t, filepath.Join("testdata", "sns", "django-ses-bounce-notification.json")))[0]
	sent, err := time.Parse(time.RFC3339, genuine.Timestamp)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		topics []string
		maxAge time.Duration
		now    time.Time
		stamp  string
		want   error
	}{
		{"allowed topic", []string{"arn:aws:sns:us-east-1:1:other", genuine.TopicARN}, 0, sent, "", nil},
		{"topic not allowed", []string{"arn:aws:sns:us-east-1:1:other"}, 0, sent, "", ErrTopicNotAllowed},
		{"inside max age", nil, time.Hour, sent.Add(59 * time.Minute), "", nil},
		{"older than max age", nil, time.Hour, sent.Add(61 * time.Minute), "", ErrMessageTooOld},
		{"from the future", nil, time.Hour, sent.Add(-61 * time.Minute), "", ErrMessageTooOld},
		{"unreadable timestamp", nil, time.Hour, sent, "yesterday", ErrMessageTooOld},
		{"age unchecked by default", nil, 0, sent.Add(10000 * time.Hour), "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := NewVerifier(func(o *VerifierOptions) {
				o.CertificateSource = &fixtureSource{}
				o.TopicARNs = tt.topics
				o.MaxAge = tt.maxAge
				o.Now = func() time.Time { return tt.now }
			})
			e := *genuine
			if tt.stamp != "" {
				e.Timestamp = tt.stamp
			}
			if err := v.Verify(context.Background(), &e); !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestCertificateCache checks that concurrent verifications share one
// fetch, that entries expire after the TTL, that the cache is bounded, and
// that failures are not cached.
func TestCertificateCache(t *testing.T) {
	signer := newTestSigner(t)
	var fetches atomic.Int32
	started := make(chan struct{}, 64)
	release := make(chan struct{})
	var fail atomic.Bool
	src := certSourceFunc(func(ctx context.Context, u string) (*x509.Certificate, error) {
		fetches.Add(1)
		started <- struct{}{}
		<-release
		if fail.Load() {
			return nil, errors.New("unavailable")
		}
		return signer.cert, nil
	})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var clock sync.Mutex
	v := NewVerifier(func(o *VerifierOptions) {
		o.CertificateSource = src
		o.CertificateCacheTTL = time.Hour
		o.CertificateCacheSize = 2
		o.Now = func() time.Time { clock.Lock(); defer clock.Unlock(); return now }
	})
	e := &Envelope{Type: SNSNotification, MessageID: "m", TopicARN: "arn:aws:sns:us-east-1:1:t", Message: "{}", Timestamp: "2026-01-01T00:00:00.000Z"}
	signer.sign(t, e)

	t.Run("concurrent fetches collapse", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Go(func() { errs <- v.Verify(context.Background(), e) })
		}
		select {
		case <-started:
		case <-time.After(5 * time.Second):
			t.Fatal("no fetch started in 5s")
		}
		close(release)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if n := fetches.Load(); n != 1 {
			t.Fatalf("%d fetches, want 1", n)
		}
	})
	t.Run("cached", func(t *testing.T) {
		if err := v.Verify(context.Background(), e); err != nil || fetches.Load() != 1 {
			t.Fatalf("Verify = %v after %d fetches, want a cache hit", err, fetches.Load())
		}
	})
	t.Run("expires after the TTL", func(t *testing.T) {
		clock.Lock()
		now = now.Add(time.Hour)
		clock.Unlock()
		if err := v.Verify(context.Background(), e); err != nil || fetches.Load() != 2 {
			t.Fatalf("Verify = %v after %d fetches, want a second fetch", err, fetches.Load())
		}
	})
	t.Run("bounded", func(t *testing.T) {
		for i := range 5 {
			if _, err := v.certs.publicKey(context.Background(), signer.certURL+strings.Repeat("x", i)); err != nil {
				t.Fatal(err)
			}
		}
		v.certs.mu.RLock()
		n := len(v.certs.entries)
		v.certs.mu.RUnlock()
		if n != 2 {
			t.Fatalf("%d entries, want 2", n)
		}
	})
	t.Run("failures are not cached", func(t *testing.T) {
		fail.Store(true)
		before := fetches.Load()
		const u = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-ffff.pem"
		for range 2 {
			if _, err := v.certs.publicKey(context.Background(), u); !errors.Is(err, ErrCertificate) {
				t.Fatalf("publicKey = %v, want ErrCertificate", err)
			}
		}
		if got := fetches.Load() - before; got != 2 {
			t.Fatalf("%d fetches for two failing calls, want 2", got)
		}
	})
	t.Run("a waiter's context ends its wait", func(t *testing.T) {
		block := make(chan struct{})
		defer close(block)
		slow := NewVerifier(func(o *VerifierOptions) {
			o.CertificateSource = certSourceFunc(func(ctx context.Context, u string) (*x509.Certificate, error) {
				<-block
				return signer.cert, nil
			})
		})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := slow.Verify(ctx, e); !errors.Is(err, context.Canceled) {
			t.Fatalf("Verify = %v, want context.Canceled", err)
		}
	})
}
