// Package faultsuite is the harness of sesguard's fault-injection suite:
// signed SES bounce notifications in bulk, SNS-like senders that retry
// every delivery until it is answered 2xx, and the checks that prove no
// notification was lost or counted twice once the faults are over.
//
// The suite itself runs in the module github.com/sesguard/sesguard/tests/faults,
// which puts internal/faultproxy between the library and real databases;
// this package needs nothing beyond the root module, so that the tests of
// any store (SQL, DynamoDB, a user's own) can drive it too.
package faultsuite

import (
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/sesguard/sesguard/internal/snstest"
	"github.com/sesguard/sesguard/sns"
	"github.com/sesguard/sesguard/store"
)

// Message is one signed SNS notification.
type Message struct {
	ID   string // the SNS MessageId, the same on every retry
	Body []byte // the envelope, as SNS posts it and as an SQS queue holds it
}

// Corpus is a set of SES bounce notifications, each in a signed SNS
// envelope, and what applying all of them must leave in the store.
type Corpus struct {
	Messages []Message
	// Addrs are the addresses that must end suppressed, account-wide,
	// with Reason, each exactly once.
	Addrs  []string
	Reason store.Reason
	// Spared are the addresses that bounced too few times to be
	// suppressed, and must not be.
	Spared []string
	// Permanent is the number of permanent bounces among the messages:
	// what the reputation breaker must count, each exactly once.
	Permanent int64
	// At is when the bounces happened.
	At time.Time
}

// Addr is the address of the i-th recipient of a corpus.
func Addr(i int) string { return fmt.Sprintf("fault-%05d@example.com", i) }

var corpora sync.Map // corpusKey → func() *Corpus, made once

type corpusKey struct {
	permanent bool
	addrs     int
}

// PermanentBounces returns n notifications, each a permanent bounce of a
// distinct address. Signing is slow, so a corpus is made once per process
// and shared: callers must not modify it.
func PermanentBounces(n int) *Corpus {
	return corpus(corpusKey{permanent: true, addrs: n})
}

// TransientBounces returns transient bounces of n addresses: the
// even-numbered bounce [TransientThreshold] times, which must suppress
// them, the odd-numbered once less, which must not; so that a bounce
// counted twice shows as a suppression too many, and one not counted as
// one too few. Each bounce has its own SES feedback id and SNS message;
// rounds are interleaved, so that an address's bounces are not delivered
// one after another. Shared like [PermanentBounces].
func TransientBounces(n int) *Corpus {
	return corpus(corpusKey{addrs: n})
}

// TransientThreshold is the policy's default number of transient bounces
// that suppresses an address.
const TransientThreshold = 3

func corpus(k corpusKey) *Corpus {
	once, _ := corpora.LoadOrStore(k, sync.OnceValue(func() *Corpus { return build(k) }))
	return once.(func() *Corpus)()
}

// bounce names one bounce of a corpus: of the i-th address, in round.
type bounce struct{ i, round int }

func build(k corpusKey) *Corpus {
	at := time.Now().UTC().Add(-time.Minute).Truncate(time.Millisecond)
	c := &Corpus{Reason: store.ReasonSoftBounce, At: at}
	var todo []bounce
	if k.permanent {
		c.Reason = store.ReasonBounce
		c.Permanent = int64(k.addrs)
		for i := range k.addrs {
			c.Addrs = append(c.Addrs, Addr(i))
			todo = append(todo, bounce{i, 0})
		}
	} else {
		for i := range k.addrs {
			if i%2 == 0 {
				c.Addrs = append(c.Addrs, Addr(i))
			} else {
				c.Spared = append(c.Spared, Addr(i))
			}
		}
		for round := range TransientThreshold {
			for i := range k.addrs {
				if round < TransientThreshold-1 || i%2 == 0 {
					todo = append(todo, bounce{i, round})
				}
			}
		}
	}
	c.Messages = make([]Message, len(todo))
	signer := snstest.NewSigner()
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for j := range next {
				c.Messages[j] = signed(signer, k, todo[j], at)
			}
		})
	}
	for j := range todo {
		next <- j
	}
	close(next)
	wg.Wait()
	return c
}

// signed returns b, a bounce of corpus k, in a signed envelope.
func signed(signer *snstest.Signer, k corpusKey, b bounce, at time.Time) Message {
	i, round := b.i, b.round
	kind, sub, status, diag := "Transient", "MailboxFull", "4.2.2", "smtp; 452 4.2.2 mailbox full"
	if k.permanent {
		kind, sub, status, diag = "Permanent", "General", "5.1.1", "smtp; 550 5.1.1 user unknown"
	}
	// Ids differ between corpora, so that no two bounces anywhere are one.
	id := fmt.Sprintf("%s%d-%05d-%d", kind, k.addrs, i, round)
	bounceAt := at.Add(time.Duration(round) * time.Second).Format("2006-01-02T15:04:05.000Z")
	msg, err := json.Marshal(map[string]any{
		"notificationType": "Bounce",
		"bounce": map[string]any{
			"bounceType":    kind,
			"bounceSubType": sub,
			"bouncedRecipients": []map[string]string{{
				"emailAddress": Addr(i), "action": "failed", "status": status, "diagnosticCode": diag,
			}},
			"timestamp":  bounceAt,
			"feedbackId": "feedback-" + id,
		},
		"mail": map[string]any{
			"timestamp":   at.Add(-time.Second).Format("2006-01-02T15:04:05.000Z"),
			"source":      "sender@example.com",
			"messageId":   "mail-" + id,
			"destination": []string{Addr(i)},
		},
	})
	if err != nil {
		panic(err)
	}
	e := &sns.Envelope{
		Type:      sns.TypeNotification,
		MessageID: "sns-" + id,
		TopicARN:  snstest.TopicARN,
		Message:   string(msg),
		Timestamp: time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
	}
	if err := signer.Sign(e); err != nil {
		panic(err)
	}
	return Message{ID: e.MessageID, Body: snstest.Marshal(e, false)}
}
