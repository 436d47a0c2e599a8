package sesguard

import (
	"bufio"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	jsonv2 "github.com/go-json-experiment/json"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/internal/snstest"
	"github.com/sesguard/sesguard/sns"
	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/memstore"
)

// bounceFixture is a real 2.3 KB SNS-wrapped SES bounce.
var bounceFixture = filepath.Join(snsTestdata, "django-ses-bounce-notification.json")

func BenchmarkParse(b *testing.B) {
	data := readFile(b, bounceFixture)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		ns, err := Parse(data)
		if err != nil || ns[0].Bounce == nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseEncodingJSON is the usual approach, for comparison: the
// envelope, then its Message, each with encoding/json into structs that
// hold only what a bounce handler needs.
func BenchmarkParseEncodingJSON(b *testing.B) {
	data := readFile(b, bounceFixture)
	type envelope struct {
		Type, MessageId, TopicArn, Message, Timestamp string
		Subject                                       *string
		SignatureVersion, Signature, SigningCertURL   string
		UnsubscribeURL                                string
	}
	type notification struct {
		NotificationType string `json:"notificationType"`
		EventType        string `json:"eventType"`
		Bounce           struct {
			BounceType        string `json:"bounceType"`
			BounceSubType     string `json:"bounceSubType"`
			FeedbackID        string `json:"feedbackId"`
			BouncedRecipients []struct {
				EmailAddress, Action, Status, DiagnosticCode string
			} `json:"bouncedRecipients"`
		} `json:"bounce"`
		Mail struct {
			MessageID   string   `json:"messageId"`
			Destination []string `json:"destination"`
		} `json:"mail"`
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var e envelope
		if err := json.Unmarshal(data, &e); err != nil {
			b.Fatal(err)
		}
		var n notification
		if err := json.Unmarshal([]byte(e.Message), &n); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJSONLibraries is the measurement behind the choice of JSON
// library: the fixture's envelope, then its Message into the SES wire
// structs of sesjson.go (the full model), with each library. encoding/json
// ignores the structs' embedded unknown-member maps, so it does a little
// less work than json/v2 here.
func BenchmarkJSONLibraries(b *testing.B) {
	data := readFile(b, bounceFixture)
	type envelope struct {
		Type             string  `json:"Type"`
		MessageID        string  `json:"MessageId"`
		TopicARN         string  `json:"TopicArn"`
		Message          string  `json:"Message"`
		Timestamp        string  `json:"Timestamp"`
		Subject          *string `json:"Subject"`
		SignatureVersion string  `json:"SignatureVersion"`
		Signature        string  `json:"Signature"`
		SigningCertURL   *string `json:"SigningCertURL"`
		UnsubscribeURL   *string `json:"UnsubscribeURL"`
	}
	for _, lib := range []struct {
		name      string
		unmarshal func([]byte, any) error
	}{
		{"encoding-json", json.Unmarshal},
		{"json-v2", func(data []byte, v any) error { return jsonv2.Unmarshal(data, v) }},
	} {
		b.Run(lib.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var e envelope
				if err := lib.unmarshal(data, &e); err != nil {
					b.Fatal(err)
				}
				var w sesWire
				if err := lib.unmarshal([]byte(e.Message), &w); err != nil || w.Bounce == nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParseVerify compares, in one loop, what the HTTP handler does
// with a real SNS-wrapped bounce — parse the envelope, validate it (the
// certificate cached), decode the SES model — with its floor, one bare
// RSA-2048 PKCS #1 v1.5 verify of the same signature, its hash
// precomputed. Each iteration runs both; the metric x-rsa is the ratio of
// their wall-clock times (target ≤ 1.5), x-rsa-cpu that of the CPU time
// the benchmark's thread spent on each, which other processes on a busy
// machine do not inflate.
func BenchmarkParseVerify(b *testing.B) {
	data := readFile(b, bounceFixture)
	v, err := sns.NewValidator(func(o *sns.ValidatorOptions) {
		o.AllowAnyTopic = true
		o.MaxAge = sns.NoMaxAge
		o.CertificateSource = snsFixtures()
	})
	require.NoError(b, err)
	e, err := sns.ParseEnvelope(data)
	require.NoError(b, err)
	require.NoError(b, v.Validate(context.Background(), e))
	cert, err := snsFixtures().Certificate(context.Background(), e.SigningCertURL)
	require.NoError(b, err)
	key := cert.PublicKey.(*rsa.PublicKey)
	msg, err := e.StringToSign()
	require.NoError(b, err)
	sum := sha1.Sum(msg)
	sig, err := base64.StdEncoding.DecodeString(e.Signature)
	require.NoError(b, err)

	ctx := context.Background()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	_, haveCPU := threadCPU()
	var bare, full, bareCPU, fullCPU time.Duration
	for b.Loop() {
		c0, _ := threadCPU()
		t0 := time.Now()
		if err := rsa.VerifyPKCS1v15(key, crypto.SHA1, sum[:], sig); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		c1, _ := threadCPU()
		e, err := sns.ParseEnvelope(data)
		if err != nil {
			b.Fatal(err)
		}
		if err := v.Validate(ctx, e); err != nil {
			b.Fatal(err)
		}
		if n, err := fromEnvelope(e); err != nil || n.Bounce == nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		c2, _ := threadCPU()
		bare += t1.Sub(t0)
		full += t2.Sub(t1)
		bareCPU += c1 - c0
		fullCPU += c2 - c1
	}
	b.ReportMetric(float64(bare.Nanoseconds())/float64(b.N), "rsa-ns/op")
	b.ReportMetric(float64(full.Nanoseconds())/float64(b.N), "parse+verify-ns/op")
	b.ReportMetric(float64(full)/float64(bare), "x-rsa")
	if haveCPU {
		b.ReportMetric(float64(fullCPU)/float64(bareCPU), "x-rsa-cpu")
	}
}

// BenchmarkParseEnvelope is the SNS layer: the envelope and its Message
// string decoded, the SES payload not.
func BenchmarkParseEnvelope(b *testing.B) {
	data := readFile(b, bounceFixture)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sns.ParseEnvelope(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseSES is the SES layer: the bounce JSON of the fixture's
// Message decoded into the model.
func BenchmarkParseSES(b *testing.B) {
	e, err := sns.ParseEnvelope(readFile(b, bounceFixture))
	require.NoError(b, err)
	msg := []byte(e.Message)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeSES(msg); err != nil {
			b.Fatal(err)
		}
	}
}

// putOnly hides a store's optional abilities, so that a Client keeps its
// dedupe claims and transient counts in a stand-in of its own, which dies
// with it, and what outlives the Client is only what the store keeps.
type putOnly struct{ store.Store }

// BenchmarkRetainedHeap measures what a memstore keeps per suppression.
// "notification": each iteration builds an SNS-wrapped real bounce (the
// fixture, for a new address), parses it and applies it through a Client;
// then the Client and every request buffer are dropped. "by-hand": the
// same suppressions (same address, detail and source lengths) made with
// fmt.Sprintf and Put directly: the map's own overhead and the entry's
// strings. A notification must cost no more than the address length plus
// 64 bytes above that (metric extra-B/entry); if a kept string shared the
// request's buffer, it would keep the whole 2.3 KB body alive.
func BenchmarkRetainedHeap(b *testing.B) {
	body := string(readFile(b, bounceFixture))
	const addrFormat = "user%08d@simulator.amazonses.com"
	addrLen := len(fmt.Sprintf(addrFormat, 0))
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	measure := func(b *testing.B, fill func(ms *memstore.Store, n int)) float64 {
		ms := memstore.New()
		before := heapInUse()
		fill(ms, b.N)
		after := heapInUse()
		require.Equal(b, b.N, ms.Len())
		runtime.KeepAlive(ms)
		return float64(after-before) / float64(b.N)
	}
	var byHand float64
	b.Run("by-hand", func(b *testing.B) {
		byHand = measure(b, func(ms *memstore.Store, n int) {
			for i := range n {
				_, err := ms.Put(context.Background(), store.Suppression{
					Address:   fmt.Sprintf(addrFormat, i),
					Reason:    store.ReasonBounce,
					Detail:    fmt.Sprintf("Permanent/General: %s", "smtp; 550 5.1.1 user unknown"),
					Source:    fmt.Sprintf("ses-feedback:%08d-b95aeb18-3fb8-408a-be9b-15fdbac3945a-000000", i),
					CreatedAt: at,
				})
				require.NoError(b, err)
			}
		})
		b.ReportMetric(byHand, "B/entry")
		b.ReportMetric(float64(addrLen), "address-B")
	})
	b.Run("notification", func(b *testing.B) {
		got := measure(b, func(ms *memstore.Store, n int) {
			c, err := New(sesv2.New(sesv2.Options{Region: "us-east-1"}), func(o *Options) {
				o.Store = putOnly{ms}
				o.Now = func() time.Time { return at }
			})
			require.NoError(b, err)
			for i := range n {
				addr := fmt.Sprintf(addrFormat, i)
				data := []byte(strings.NewReplacer(
					"bounce@simulator.amazonses.com", addr,
					"0100017fe7044080", fmt.Sprintf("%08d", i)[:8]+"7fe7044080",
				).Replace(body))
				ns, err := Parse(data)
				require.NoError(b, err)
				ds, err := c.Apply(context.Background(), ns[0])
				require.NoError(b, err)
				require.Equal(b, ActionSuppressed, ds[0].Action)
			}
		})
		b.ReportMetric(got, "B/entry")
		b.ReportMetric(got-byHand, "extra-B/entry")
		b.ReportMetric(float64(addrLen+64), "allowed-extra-B")
	})
}

// heapInUse returns the live heap after a full collection.
func heapInUse() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkHandlerLoad posts signed SES delivery notifications to the SNS
// handler, served by net/http over loopback, from 4 keep-alive
// connections, and reports verified notifications per second. Every
// request is parsed, its signature verified (the certificate cached) and
// applied to a memstore; 256 distinct messages are cycled, each a store
// write. The load generator writes prebuilt requests and reads the
// responses with http.ReadResponse, so that on two cores it leaves the
// CPU to the server.
func BenchmarkHandlerLoad(b *testing.B) {
	env := newHandlerEnv(b)
	srv := httptest.NewServer(env.h)
	defer srv.Close()
	requests := make([][]byte, 256)
	for i := range requests {
		e := &sns.Envelope{
			Type: sns.TypeNotification, MessageID: fmt.Sprintf("load-%d", i), TopicARN: snstest.TopicARN,
			Message:   string(deliveryJSON(fmt.Sprintf("reader%d@example.com", i))),
			Timestamp: signedAt, SignatureVersion: "1",
		}
		sign(b, e)
		body := snstest.Marshal(e, false)
		requests[i] = fmt.Appendf(nil, "POST /sns HTTP/1.1\r\nHost: %s\r\nContent-Type: text/plain; charset=UTF-8\r\n"+
			"x-amz-sns-message-type: Notification\r\nContent-Length: %d\r\n\r\n%s", srv.Listener.Addr(), len(body), body)
	}
	var next atomic.Int64
	b.SetParallelism(2) // 2 × GOMAXPROCS connections
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			b.Error(err)
			return
		}
		defer conn.Close()
		r := bufio.NewReader(conn)
		for pb.Next() {
			if _, err := conn.Write(requests[next.Add(1)%int64(len(requests))]); err != nil {
				b.Error(err)
				return
			}
			resp, err := http.ReadResponse(r, nil)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "notifications/s")
}
