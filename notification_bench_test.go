package sesguard

import (
	"bufio"
	"context"
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
	"sync/atomic"
	"testing"
)

// bounceFixture is a real 2.3 KB SNS-wrapped SES bounce.
var bounceFixture = filepath.Join("testdata", "sns", "django-ses-bounce-notification.json")

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

// BenchmarkRSAVerify is the floor for verification: one RSA-2048 PKCS #1
// v1.5 verify of the fixture's signature, its hash precomputed.
func BenchmarkRSAVerify(b *testing.B) {
	e := envelopesOf(b, readFile(b, bounceFixture))[0]
	cert, err := (&fixtureSource{}).Certificate(context.Background(), e.SigningCertURL)
	if err != nil {
		b.Fatal(err)
	}
	key := cert.PublicKey.(*rsa.PublicKey)
	msg, err := e.StringToSign()
	if err != nil {
		b.Fatal(err)
	}
	sum := sha1.Sum(msg)
	sig, err := base64.StdEncoding.DecodeString(e.Signature)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := rsa.VerifyPKCS1v15(key, hashFor("1"), sum[:], sig); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseVerify parses the fixture and verifies its signature with
// the certificate already cached.
func BenchmarkParseVerify(b *testing.B) {
	data := readFile(b, bounceFixture)
	v := NewVerifier(func(o *VerifierOptions) { o.CertificateSource = &fixtureSource{} })
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		e, err := ParseEnvelope(data)
		if err != nil {
			b.Fatal(err)
		}
		if err := v.Verify(ctx, e); err != nil {
			b.Fatal(err)
		}
		if _, err := fromEnvelope(e); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseEnvelope is the SNS layer of BenchmarkParse: the envelope
// and its Message string decoded, the SES payload not.
func BenchmarkParseEnvelope(b *testing.B) {
	data := readFile(b, bounceFixture)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseEnvelope(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseSES is the SES layer of BenchmarkParse: the bounce JSON of
// the fixture's Message decoded into the model.
func BenchmarkParseSES(b *testing.B) {
	e := envelopesOf(b, readFile(b, bounceFixture))[0]
	msg := []byte(e.Message)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseSES(msg); err != nil {
			b.Fatal(err)
		}
	}
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
	signer := newTestSigner(b)
	c := newNotifyClient(b)
	srv := httptest.NewServer(c.SNSHandler(func(o *HandlerOptions) { o.CertificateSource = signer.source() }))
	defer srv.Close()
	requests := make([][]byte, 256)
	for i := range requests {
		e := &Envelope{
			Type: SNSNotification, MessageID: fmt.Sprintf("load-%d", i), TopicARN: "arn:aws:sns:us-east-1:123456789012:ses",
			Message:   string(deliveryJSON(fmt.Sprintf("reader%d@example.com", i))),
			Timestamp: "2026-05-01T12:00:00.000Z", SignatureVersion: "1",
		}
		signer.sign(b, e)
		body := marshalEnvelope(b, e, false)
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
