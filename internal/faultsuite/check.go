package faultsuite

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/internal/sendload"
	"github.com/sesguard/sesguard/internal/snstest"
	"github.com/sesguard/sesguard/sestest"
	"github.com/sesguard/sesguard/sns"
	"github.com/sesguard/sesguard/store"
)

// BouncedCounter is the name of the reputation breaker's count of
// permanent bounces in the store (BreakerOptions.Name is left default).
const BouncedCounter = "sesguard:breaker:bounced"

// NewClient returns a Client over st that logs nothing, for the side
// that applies notifications.
func NewClient(tb testing.TB, st store.Store) *sesguard.Client {
	tb.Helper()
	c, err := sesguard.New(sesv2.New(sesv2.Options{Region: "us-east-1"}), func(o *sesguard.Options) {
		o.Store = st
		o.Logger = slog.New(slog.DiscardHandler)
	})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// Webhook serves c's SNS handler, accepting the messages of the corpora,
// until tb ends, and returns its URL.
func Webhook(tb testing.TB, c *sesguard.Client) string {
	tb.Helper()
	h, err := c.SNSHandler(func(o *sesguard.HandlerOptions) {
		o.SNS.TopicARNs = []string{snstest.TopicARN}
		o.SNS.CertificateSource = snstest.NewSigner().NewSource("")
	})
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return srv.URL
}

// Validator returns a validator for the corpora's messages that accepts
// them at any age, as a queue consumer's must.
func Validator(tb testing.TB) *sns.Validator {
	tb.Helper()
	v, err := sns.NewValidator(func(o *sns.ValidatorOptions) {
		o.TopicARNs = []string{snstest.TopicARN}
		o.CertificateSource = snstest.NewSigner().NewSource("")
		o.MaxAge = sns.NoMaxAge
	})
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// Outcome is what applying a corpus left in a store.
type Outcome struct {
	// Lost are the addresses of the corpus with no suppression of the
	// corpus's reason.
	Lost []string
	// Extra counts the suppressions beyond one per address.
	Extra int
	// Suppressed are the spared addresses of the corpus that are
	// suppressed all the same.
	Suppressed []string
	// Bounced is the breaker's count of permanent bounces;
	// DoubleCounted is how far it exceeds the corpus's, and Uncounted how
	// far it falls short.
	Bounced, DoubleCounted, Uncounted int64
}

func (o Outcome) String() string {
	return fmt.Sprintf("%d lost, %d extra suppressions, %d suppressed that should not be, breaker counted %d bounces (%d double-counted, %d uncounted)",
		len(o.Lost), o.Extra, len(o.Suppressed), o.Bounced, o.DoubleCounted, o.Uncounted)
}

// Check reads what st holds for c: every address of c.Addrs must be
// suppressed exactly once, account-wide, with c.Reason, none of c.Spared,
// and the breaker's count of permanent bounces must equal c.Permanent.
func Check(ctx context.Context, st store.Store, c *Corpus) (Outcome, error) {
	var o Outcome
	got, err := st.Lookup(ctx, append(slices.Clip(c.Addrs), c.Spared...))
	if err != nil {
		return o, fmt.Errorf("lookup: %w", err)
	}
	held := map[string][]store.Suppression{}
	for _, s := range got {
		held[s.Address] = append(held[s.Address], s)
	}
	for _, a := range c.Addrs {
		ss := held[a]
		if len(ss) == 0 || ss[0].Scope != store.ScopeAll || ss[0].Reason != c.Reason {
			o.Lost = append(o.Lost, a)
		}
		o.Extra += max(len(ss)-1, 0)
	}
	for _, a := range c.Spared {
		if len(held[a]) > 0 {
			o.Suppressed = append(o.Suppressed, a)
		}
	}
	counter, ok := st.(store.Counter)
	if !ok {
		return o, errors.New("the store keeps no counts")
	}
	o.Bounced, err = counter.SumCounts(ctx, BouncedCounter, c.At.Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil {
		return o, fmt.Errorf("reading the breaker's counts: %w", err)
	}
	o.DoubleCounted = max(o.Bounced-c.Permanent, 0)
	o.Uncounted = max(c.Permanent-o.Bounced, 0)
	return o, nil
}

// Reached sends one message to each address through a new Client over st
// with the real SES v2 client, against the sestest emulator, and returns
// the addresses that SES accepted mail for: those the store let through.
// The Client's breaker is off, so that only the suppression list decides.
func Reached(tb testing.TB, st store.Store, addrs []string) []string {
	tb.Helper()
	srv := sestest.RunT(tb, func(o *sestest.Options) {
		o.Account = sestest.Account{MaxSendRate: 1e6, Max24HourSend: -1}
	})
	c, err := sesguard.New(srv.Client(), func(o *sesguard.Options) {
		o.Store = st
		o.Logger = slog.New(slog.DiscardHandler)
		o.Breaker.Disabled = true
	})
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	for chunk := range slices.Chunk(addrs, 50) {
		_, err := c.Send(ctx, sendload.Simple(chunk...))
		if err != nil && !errors.Is(err, sesguard.ErrSuppressed) {
			tb.Fatalf("a later send: %v", err)
		}
	}
	var reached []string
	for _, m := range srv.Messages() {
		reached = append(reached, m.Recipients...)
	}
	return reached
}
