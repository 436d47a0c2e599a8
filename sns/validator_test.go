package sns_test

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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/internal/snstest"
	"github.com/sesguard/sesguard/sns"
)

func TestValidateRealMessages(t *testing.T) {
	msgs := realMessages(t)
	require.Len(t, msgs, 35, "real messages in testdata")
	src := fixtures()
	v := newValidator(t, src)
	for name, data := range msgs {
		t.Run(name, func(t *testing.T) {
			for _, e := range envelopesOf(t, data) {
				require.NoError(t, v.Validate(t.Context(), e))
			}
		})
	}
	// The cache asked for each certificate URL once.
	asked := src.URLs()
	distinct := map[string]bool{}
	for _, u := range asked {
		distinct[u] = true
	}
	assert.Len(t, asked, len(distinct), "certificate source asked more than once for a URL")
}

// TestValidateEverySignedByte changes each byte of each signed field of
// each real message, one at a time, and expects every change to be
// rejected.
func TestValidateEverySignedByte(t *testing.T) {
	if testing.Short() {
		t.Skip("tens of thousands of RSA verifications")
	}
	v := newValidator(t, fixtures())
	for name, data := range realMessages(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, orig := range envelopesOf(t, data) {
				for _, f := range []struct {
					name string
					ptr  func(*sns.Envelope) *string
				}{
					{"Message", func(e *sns.Envelope) *string { return &e.Message }},
					{"MessageId", func(e *sns.Envelope) *string { return &e.MessageID }},
					{"Timestamp", func(e *sns.Envelope) *string { return &e.Timestamp }},
					{"TopicArn", func(e *sns.Envelope) *string { return &e.TopicARN }},
					{"Type", func(e *sns.Envelope) *string { return &e.Type }},
					{"Subject", func(e *sns.Envelope) *string { return &e.Subject }},
					{"SubscribeURL", func(e *sns.Envelope) *string { return &e.SubscribeURL }},
					{"Token", func(e *sns.Envelope) *string { return &e.Token }},
				} {
					switch {
					case f.name == "Subject" && (!orig.HasSubject || orig.Type != sns.TypeNotification),
						(f.name == "SubscribeURL" || f.name == "Token") && orig.Type == sns.TypeNotification:
						continue // not signed for this type
					}
					value := *f.ptr(orig)
					for i := range len(value) {
						e := *orig
						b := []byte(value)
						b[i] ^= 0x01
						*f.ptr(&e) = string(b)
						require.ErrorIs(t, v.Validate(t.Context(), &e), sns.ErrSignature, "%s byte %d changed", f.name, i)
					}
				}
				if orig.Type == sns.TypeNotification {
					e := *orig
					e.HasSubject = !e.HasSubject
					require.ErrorIs(t, v.Validate(t.Context(), &e), sns.ErrSignature, "Subject presence flipped")
				}
			}
		})
	}
}

func TestValidateNegativeFixtures(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "negative", "*.json"))
	require.NoError(t, err)
	require.Len(t, paths, 9, "negative fixtures")
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			src := fixtures()
			v := newValidator(t, src)
			for _, e := range envelopesOf(t, readFile(t, p)) {
				require.Error(t, v.Validate(t.Context(), e), "a forged message validated")
			}
			for _, u := range src.URLs() {
				assert.NoError(t, sns.CheckCertURL(u), "source asked for %s", u)
			}
		})
	}
}

// TestForgeMatrix starts from a genuine signed notification and changes it
// the ways attackers and buggy peers do. Every variant must be rejected
// with the right error, and no certificate may be asked for at a URL that
// is not an SNS certificate URL.
func TestForgeMatrix(t *testing.T) {
	genuine := envelopesOf(t, readFile(t, filepath.Join("testdata", "django-ses-bounce-notification.json")))[0]
	attacker, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	const realCert = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"
	withURL := func(u string) func(*sns.Envelope) { return func(e *sns.Envelope) { e.SigningCertURL = u } }
	tests := []struct {
		name   string
		change func(*sns.Envelope)
		want   error
	}{
		{"genuine", func(*sns.Envelope) {}, nil},
		{"wrong key", func(e *sns.Envelope) {
			sig, err := snstest.SignWith(attacker, e)
			require.NoError(t, err)
			e.Signature = base64.StdEncoding.EncodeToString(sig)
		}, sns.ErrSignature},
		{"tampered Message", func(e *sns.Envelope) {
			e.Message = strings.Replace(e.Message, "bounce@simulator", "victim@simulator", 1)
		}, sns.ErrSignature},
		{"tampered Subject", func(e *sns.Envelope) { e.Subject, e.HasSubject = "x", true }, sns.ErrSignature},
		{"tampered Timestamp", func(e *sns.Envelope) { e.Timestamp = "2022-04-01T21:24:50.201Z" }, sns.ErrSignature},
		{"tampered TopicArn", func(e *sns.Envelope) { e.TopicARN += "x" }, sns.ErrSignature},
		{"tampered MessageId", func(e *sns.Envelope) { e.MessageID = "71a6b82e-0f1a-58db-b902-e2ef60f87542" }, sns.ErrSignature},
		{"relabelled as confirmation", func(e *sns.Envelope) { e.Type = sns.TypeSubscriptionConfirmation }, sns.ErrSignature},
		{"unknown Type", func(e *sns.Envelope) { e.Type = "Hello" }, sns.ErrSignature},
		{"empty Subject added", func(e *sns.Envelope) { e.Subject, e.HasSubject = "", true }, sns.ErrSignature},
		{"SignatureVersion 3", func(e *sns.Envelope) { e.SignatureVersion = "3" }, sns.ErrSignature},
		{"SignatureVersion empty", func(e *sns.Envelope) { e.SignatureVersion = "" }, sns.ErrSignature},
		{"SignatureVersion 01", func(e *sns.Envelope) { e.SignatureVersion = "01" }, sns.ErrSignature},
		{"SignatureVersion 2 for a SHA1 signature", func(e *sns.Envelope) { e.SignatureVersion = "2" }, sns.ErrSignature},
		{"missing Signature", func(e *sns.Envelope) { e.Signature = "" }, sns.ErrSignature},
		{"Signature not base64", func(e *sns.Envelope) { e.Signature = "%%%" }, sns.ErrSignature},
		{"truncated Signature", func(e *sns.Envelope) { e.Signature = e.Signature[:len(e.Signature)-4] }, sns.ErrSignature},
		{"http cert URL", withURL("http://sns.us-east-1.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"), sns.ErrCertificateURL},
		{"foreign host", withURL("https://evil.example/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"), sns.ErrCertificateURL},
		{"S3 bucket on amazonaws.com", withURL("https://django-sns-poc.s3.ap-southeast-2.amazonaws.com/publickey.pem"), sns.ErrCertificateURL},
		{"host suffix look-alike", withURL("https://sns.us-east-1.amazonaws.com.evil.example/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"), sns.ErrCertificateURL},
		{"host prefix look-alike", withURL("https://evilsns.us-east-1.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"), sns.ErrCertificateURL},
		{"user info", withURL("https://sns.us-east-1.amazonaws.com@evil.example/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"), sns.ErrCertificateURL},
		{"user info before SNS host", withURL("https://evil.example@sns.us-east-1.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"), sns.ErrCertificateURL},
		{"backslash", withURL(`https://sns.us-east-1.amazonaws.com\@evil.example/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem`), sns.ErrCertificateURL},
		{"port", withURL("https://sns.us-east-1.amazonaws.com:8443/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"), sns.ErrCertificateURL},
		{"empty port", withURL("https://sns.us-east-1.amazonaws.com:/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"), sns.ErrCertificateURL},
		{"upper-case host", withURL("https://SNS.us-east-1.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"), sns.ErrCertificateURL},
		{"trailing dot host", withURL("https://sns.us-east-1.amazonaws.com./SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"), sns.ErrCertificateURL},
		{"no region", withURL("https://sns.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"), sns.ErrCertificateURL},
		{"not .pem", withURL("https://sns.us-east-1.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.cer"), sns.ErrCertificateURL},
		{"two path segments", withURL("https://sns.us-east-1.amazonaws.com/a/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"), sns.ErrCertificateURL},
		{"query", withURL(realCert + "?x=1"), sns.ErrCertificateURL},
		{"fragment", withURL(realCert + "#x"), sns.ErrCertificateURL},
		{"path traversal", withURL("https://sns.us-east-1.amazonaws.com/a/../SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"), sns.ErrCertificateURL},
		{"escaped path", withURL("https://sns.us-east-1.amazonaws.com/%53impleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"), sns.ErrCertificateURL},
		{"empty cert URL", withURL(""), sns.ErrCertificateURL},
		{"China partition is an SNS host", withURL("https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"), nil},
		{"other region serves the same file", withURL("https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := fixtures()
			v := newValidator(t, src)
			e := *genuine
			tt.change(&e)
			err := v.Validate(t.Context(), &e)
			if tt.want == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tt.want)
			}
			for _, u := range src.URLs() {
				assert.NoError(t, sns.CheckCertURL(u), "certificate source asked for %s", u)
			}
			if errors.Is(tt.want, sns.ErrCertificateURL) {
				assert.Empty(t, src.URLs(), "certificate source asked")
			}
		})
	}
}

func TestValidateTopicAndAge(t *testing.T) {
	genuine := envelopesOf(t, readFile(t, filepath.Join("testdata", "django-ses-bounce-notification.json")))[0]
	sent, err := time.Parse(time.RFC3339, genuine.Timestamp)
	require.NoError(t, err)
	tests := []struct {
		name   string
		topics []string
		maxAge time.Duration
		now    time.Time
		stamp  string
		want   error
	}{
		{"allowed topic", []string{"arn:aws:sns:us-east-1:1:other", genuine.TopicARN}, sns.NoMaxAge, sent, "", nil},
		{"topic not allowed", []string{"arn:aws:sns:us-east-1:1:other"}, sns.NoMaxAge, sent, "", sns.ErrTopicNotAllowed},
		{"inside max age", nil, time.Hour, sent.Add(59 * time.Minute), "", nil},
		{"older than max age", nil, time.Hour, sent.Add(61 * time.Minute), "", sns.ErrMessageTooOld},
		{"from the future", nil, time.Hour, sent.Add(-61 * time.Minute), "", sns.ErrMessageTooOld},
		{"unreadable timestamp", nil, time.Hour, sent, "yesterday", sns.ErrMessageTooOld},
		{"inside the default max age", nil, 0, sent.Add(sns.DefaultMaxAge - time.Second), "", nil},
		{"older than the default max age", nil, 0, sent.Add(sns.DefaultMaxAge + time.Second), "", sns.ErrMessageTooOld},
		{"age unchecked with NoMaxAge", nil, sns.NoMaxAge, sent.Add(14 * 24 * time.Hour), "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newValidator(t, fixtures(), func(o *sns.ValidatorOptions) {
				o.TopicARNs = tt.topics
				o.AllowAnyTopic = len(tt.topics) == 0
				o.MaxAge = tt.maxAge
				o.Now = func() time.Time { return tt.now }
			})
			e := *genuine
			if tt.stamp != "" {
				e.Timestamp = tt.stamp
			}
			err := v.Validate(t.Context(), &e)
			if tt.want == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tt.want)
			}
		})
	}
}

func TestNewValidator(t *testing.T) {
	t.Run("refuses to accept every topic unless told", func(t *testing.T) {
		_, err := sns.NewValidator()
		require.ErrorContains(t, err, "AllowAnyTopic")
	})
	t.Run("refuses both an allow-list and AllowAnyTopic", func(t *testing.T) {
		_, err := sns.NewValidator(func(o *sns.ValidatorOptions) {
			o.TopicARNs = []string{snstest.TopicARN}
			o.AllowAnyTopic = true
		})
		require.Error(t, err)
	})
	t.Run("checks ages by default", func(t *testing.T) {
		v, err := sns.NewValidator(func(o *sns.ValidatorOptions) { o.TopicARNs = []string{snstest.TopicARN} })
		require.NoError(t, err)
		assert.Equal(t, sns.DefaultMaxAge, v.MaxAge())
	})
	t.Run("NoMaxAge turns the age check off", func(t *testing.T) {
		v := newValidator(t, fixtures())
		assert.Zero(t, v.MaxAge())
	})
}

// TestCertificateCache checks that concurrent validations share one
// fetch, that entries expire after the TTL, that the cache is bounded, and
// that failures are not cached.
func TestCertificateCache(t *testing.T) {
	signer := snstest.NewSigner()
	var fetches atomic.Int32
	started := make(chan struct{}, 64)
	release := make(chan struct{})
	var fail atomic.Bool
	src := snstest.SourceFunc(func(ctx context.Context, u string) (*x509.Certificate, error) {
		fetches.Add(1)
		started <- struct{}{}
		<-release
		if fail.Load() {
			return nil, errors.New("unavailable")
		}
		return signer.Cert, nil
	})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var clock sync.Mutex
	v := newValidator(t, src, func(o *sns.ValidatorOptions) {
		o.CertificateCacheTTL = time.Hour
		o.CertificateCacheSize = 2
		o.Now = func() time.Time { clock.Lock(); defer clock.Unlock(); return now }
	})
	e := signed(t, "m", "{}")
	withURL := func(u string) *sns.Envelope {
		c := *e
		c.SigningCertURL = u
		return &c
	}

	t.Run("concurrent fetches collapse", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Go(func() { errs <- v.Validate(context.Background(), e) })
		}
		<-started
		close(release)
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		require.EqualValues(t, 1, fetches.Load())
	})
	t.Run("cached", func(t *testing.T) {
		require.NoError(t, v.Validate(t.Context(), e))
		require.EqualValues(t, 1, fetches.Load())
	})
	t.Run("expires after the TTL", func(t *testing.T) {
		clock.Lock()
		now = now.Add(time.Hour)
		clock.Unlock()
		require.NoError(t, v.Validate(t.Context(), e))
		require.EqualValues(t, 2, fetches.Load())
	})
	t.Run("bounded", func(t *testing.T) {
		for i := range 5 {
			u := strings.Replace(signer.CertURL, ".pem", strings.Repeat("x", i)+".pem", 1)
			// The signature was made for the signer's URL, which is
			// not signed: every URL verifies with the same key.
			require.NoError(t, v.Validate(t.Context(), withURL(u)))
		}
		require.Equal(t, 2, v.CachedCertificates())
	})
	t.Run("failures are not cached", func(t *testing.T) {
		fail.Store(true)
		before := fetches.Load()
		u := withURL("https://sns.us-east-1.amazonaws.com/SimpleNotificationService-ffff.pem")
		for range 2 {
			require.ErrorIs(t, v.Validate(t.Context(), u), sns.ErrCertificate)
		}
		require.EqualValues(t, 2, fetches.Load()-before)
	})
	t.Run("a waiter's context ends its wait", func(t *testing.T) {
		block := make(chan struct{})
		defer close(block)
		slow := newValidator(t, snstest.SourceFunc(func(ctx context.Context, u string) (*x509.Certificate, error) {
			<-block
			return signer.Cert, nil
		}))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		require.ErrorIs(t, slow.Validate(ctx, e), context.Canceled)
	})
}
