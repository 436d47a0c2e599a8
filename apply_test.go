package sesguard

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/sesguard/sesguard/sns"
	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/memstore"
)

// testClock is a settable clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock {
	return &testClock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newNotifyClient returns a Client over a real SES v2 SDK client that the
// notification tests never call.
func newNotifyClient(t testing.TB, optFns ...func(*Options)) *Client {
	t.Helper()
	api := sesv2.New(sesv2.Options{Region: "us-east-1"})
	c, err := New(api, optFns...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func parseOne(t testing.TB, data []byte) *Notification {
	t.Helper()
	ns, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(ns) != 1 {
		t.Fatalf("%d notifications, want 1", len(ns))
	}
	return ns[0]
}

func apply(t testing.TB, c *Client, n *Notification) []Decision {
	t.Helper()
	ds, err := c.Apply(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func suppressedAs(t testing.TB, c *Client, addr string) (store.Suppression, bool) {
	t.Helper()
	in, err := c.Suppressions(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range in {
		if s.Scope == store.ScopeAll || len(in) == 1 {
			return s, true
		}
	}
	return store.Suppression{}, false
}

func TestApplySESExamples(t *testing.T) {
	for _, ex := range sesExamples {
		t.Run(ex.file, func(t *testing.T) {
			c := newNotifyClient(t)
			ds := apply(t, c, parseOne(t, readFile(t, filepath.Join("testdata", "ses", ex.file))))
			if ds[0].Action != ex.policy {
				t.Fatalf("first decision %v (%s), want %v", ds[0].Action, ds[0].Why, ex.policy)
			}
			for _, addr := range ex.addrs {
				_, ok := suppressedAs(t, c, addr)
				if ok != (ex.policy == ActionSuppressed) {
					t.Errorf("%s suppressed: %v", addr, ok)
				}
			}
		})
	}
}

// bounceJSON builds an SES bounce notification for the policy tests.
func bounceJSON(feedbackID, bounceType, subType, status string, addrs ...string) []byte {
	recs := ""
	for i, a := range addrs {
		if i > 0 {
			recs += ","
		}
		recs += fmt.Sprintf(`{"emailAddress":%q,"action":"failed","status":%q,"diagnosticCode":"smtp; 550 %s"}`, a, status, status)
	}
	return fmt.Appendf(nil, `{"notificationType":"Bounce","bounce":{"bounceType":%q,"bounceSubType":%q,"feedbackId":%q,"bouncedRecipients":[%s]},"mail":{"messageId":"m-%s"}}`,
		bounceType, subType, feedbackID, recs, feedbackID)
}

func complaintJSON(feedbackID, feedbackType, addr string) []byte {
	return fmt.Appendf(nil, `{"eventType":"Complaint","complaint":{"feedbackId":%q,"complaintFeedbackType":%q,"complainedRecipients":[{"emailAddress":%q}]},"mail":{"messageId":"m"}}`,
		feedbackID, feedbackType, addr)
}

func deliveryJSON(addr string) []byte {
	return fmt.Appendf(nil, `{"notificationType":"Delivery","delivery":{"recipients":[%q]},"mail":{"messageId":"m"}}`, addr)
}

func subscriptionJSON(addr string, all bool) []byte {
	return fmt.Appendf(nil, `{"eventType":"Subscription","subscription":{"contactList":"L","source":"UnsubscribeHeader","timestamp":"2026-05-01T12:00:00Z","newTopicPreferences":{"unsubscribeAll":%v}},"mail":{"messageId":"m","destination":[%q]}}`,
		all, addr)
}

// step is one notification of a policy scenario, and what must follow.
type step struct {
	advance time.Duration
	payload []byte
	action  Action
	reason  store.Reason  // suppression in force after the step; "" for none
	expires time.Duration // its expiry from the step's time; 0 for never
}

func TestPolicy(t *testing.T) {
	const a = "Alice@Example.com"
	day := 24 * time.Hour
	tests := []struct {
		name   string
		policy Policy
		steps  []step
	}{
		{"permanent bounce suppresses forever", Policy{}, []step{
			{0, bounceJSON("f1", "Permanent", "General", "5.1.1", a), ActionSuppressed, store.ReasonBounce, 0},
		}},
		{"OnAccountSuppressionList is permanent", Policy{}, []step{
			{0, bounceJSON("f1", "Permanent", "OnAccountSuppressionList", "", a), ActionSuppressed, store.ReasonBounce, 0},
		}},
		{"third transient bounce in the window suppresses for 30 days", Policy{}, []step{
			{0, bounceJSON("f1", "Transient", "MailboxFull", "4.2.2", a), ActionCounted, "", 0},
			{day, bounceJSON("f2", "Transient", "General", "4.0.0", a), ActionCounted, "", 0},
			{day, bounceJSON("f3", "Undetermined", "Undetermined", "", a), ActionSuppressed, store.ReasonSoftBounce, 30 * day},
		}},
		{"transient bounces outside the window expire", Policy{}, []step{
			{0, bounceJSON("f1", "Transient", "General", "4.0.0", a), ActionCounted, "", 0},
			{day, bounceJSON("f2", "Transient", "General", "4.0.0", a), ActionCounted, "", 0},
			{14 * day, bounceJSON("f3", "Transient", "General", "4.0.0", a), ActionCounted, "", 0},
		}},
		{"delivery clears the transient count", Policy{}, []step{
			{0, bounceJSON("f1", "Transient", "General", "4.0.0", a), ActionCounted, "", 0},
			{0, bounceJSON("f2", "Transient", "General", "4.0.0", a), ActionCounted, "", 0},
			{0, deliveryJSON(a), ActionCleared, "", 0},
			{0, bounceJSON("f3", "Transient", "General", "4.0.0", a), ActionCounted, "", 0},
		}},
		{"delivery never lifts a permanent suppression", Policy{}, []step{
			{0, bounceJSON("f1", "Permanent", "General", "5.1.1", a), ActionSuppressed, store.ReasonBounce, 0},
			{0, deliveryJSON(a), ActionCleared, store.ReasonBounce, 0},
		}},
		{"a bounce after a delivery is final", Policy{}, []step{
			{0, deliveryJSON(a), ActionCleared, "", 0},
			{0, bounceJSON("f1", "Permanent", "General", "5.1.1", a), ActionSuppressed, store.ReasonBounce, 0},
		}},
		{"Transient with a bad-address status is permanent", Policy{}, []step{
			{0, bounceJSON("f1", "Transient", "General", "5.4.4", a), ActionSuppressed, store.ReasonBounce, 0},
		}},
		{"Transient 5.1.1 is permanent", Policy{}, []step{
			{0, bounceJSON("f1", "Transient", "General", "5.1.1", a), ActionSuppressed, store.ReasonBounce, 0},
		}},
		{"Transient mailbox-full 5.2.2 is counted", Policy{}, []step{
			{0, bounceJSON("f1", "Transient", "MailboxFull", "5.2.2", a), ActionCounted, "", 0},
		}},
		{"a transient suppression never replaces a permanent one", Policy{TransientThreshold: 1}, []step{
			{0, complaintJSON("c1", "abuse", a), ActionSuppressed, store.ReasonComplaint, 0},
			{0, bounceJSON("f1", "Transient", "General", "4.0.0", a), ActionSuppressed, store.ReasonComplaint, 0},
		}},
		{"a permanent suppression replaces a transient one", Policy{TransientThreshold: 1}, []step{
			{0, bounceJSON("f1", "Transient", "General", "4.0.0", a), ActionSuppressed, store.ReasonSoftBounce, 30 * day},
			{0, bounceJSON("f2", "Permanent", "General", "5.1.1", a), ActionSuppressed, store.ReasonBounce, 0},
		}},
		{"complaint suppresses forever", Policy{}, []step{
			{0, complaintJSON("c1", "abuse", a), ActionSuppressed, store.ReasonComplaint, 0},
		}},
		{"complaint without a feedback report suppresses", Policy{}, []step{
			{0, complaintJSON("c1", "", a), ActionSuppressed, store.ReasonComplaint, 0},
		}},
		{"not-spam complaint does not suppress", Policy{}, []step{
			{0, complaintJSON("c1", "not-spam", a), ActionIgnored, "", 0},
		}},
		{"unsubscribe from all suppresses", Policy{}, []step{
			{0, subscriptionJSON(a, true), ActionSuppressed, store.ReasonUnsubscribe, 0},
		}},
		{"a topic opt-out does not suppress", Policy{}, []step{
			{0, subscriptionJSON(a, false), ActionIgnored, "", 0},
		}},
		{"unsubscribes can be ignored", Policy{IgnoreUnsubscribes: true}, []step{
			{0, subscriptionJSON(a, true), ActionIgnored, "", 0},
		}},
		{"custom threshold, window and duration", Policy{TransientThreshold: 2, TransientWindow: time.Hour, TransientSuppression: 2 * time.Hour}, []step{
			{0, bounceJSON("f1", "Transient", "General", "4.0.0", a), ActionCounted, "", 0},
			{2 * time.Hour, bounceJSON("f2", "Transient", "General", "4.0.0", a), ActionCounted, "", 0},
			{time.Minute, bounceJSON("f3", "Transient", "General", "4.0.0", a), ActionSuppressed, store.ReasonSoftBounce, 2 * time.Hour},
		}},
		{"negative threshold ignores transient bounces", Policy{TransientThreshold: -1}, []step{
			{0, bounceJSON("f1", "Transient", "General", "4.0.0", a), ActionIgnored, "", 0},
		}},
		{"custom permanent status", Policy{PermanentStatus: func(s string) bool { return s == "5.2.2" }}, []step{
			{0, bounceJSON("f1", "Transient", "MailboxFull", "5.2.2", a), ActionSuppressed, store.ReasonBounce, 0},
		}},
		{"custom complaint rule", Policy{SuppressComplaint: func(c *Complaint) bool { return c.FeedbackType == "abuse" }}, []step{
			{0, complaintJSON("c1", "other", a), ActionIgnored, "", 0},
			{0, complaintJSON("c2", "abuse", a), ActionSuppressed, store.ReasonComplaint, 0},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newTestClock()
			c := newNotifyClient(t, func(o *Options) { o.Policy = tt.policy; o.Now = clk.Now })
			for i, s := range tt.steps {
				clk.Advance(s.advance)
				ds := apply(t, c, parseOne(t, s.payload))
				if len(ds) != 1 || ds[0].Action != s.action {
					t.Fatalf("step %d: decisions %+v, want %v", i, ds, s.action)
				}
				if ds[0].Address != "alice@example.com" {
					t.Errorf("step %d: address %q, want the canonical form", i, ds[0].Address)
				}
				sup, ok := suppressedAs(t, c, a)
				switch {
				case s.reason == "" && ok:
					t.Fatalf("step %d: suppressed %+v, want not", i, sup)
				case s.reason != "" && (!ok || sup.Reason != s.reason):
					t.Fatalf("step %d: suppressed %v %+v, want %s", i, ok, sup, s.reason)
				case s.reason != "" && s.expires == 0 && !sup.ExpiresAt.IsZero():
					t.Fatalf("step %d: expires %v, want never", i, sup.ExpiresAt)
				case s.reason != "" && s.expires != 0 && !sup.ExpiresAt.Equal(sup.CreatedAt.Add(s.expires)):
					t.Fatalf("step %d: expires %v, want %v after %v", i, sup.ExpiresAt, s.expires, sup.CreatedAt)
				}
			}
		})
	}
}

func TestApplyEveryRecipient(t *testing.T) {
	c := newNotifyClient(t)
	ds := apply(t, c, parseOne(t, bounceJSON("f1", "Permanent", "General", "5.1.1", "a@example.com", "b@example.com", "not an address", "c@example.com")))
	want := []Action{ActionSuppressed, ActionSuppressed, ActionIgnored, ActionSuppressed}
	for i, d := range ds {
		if d.Action != want[i] {
			t.Errorf("record %d (%s): %v, want %v", i, d.Record.Address, d.Action, want[i])
		}
	}
	for _, addr := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		if _, ok := suppressedAs(t, c, addr); !ok {
			t.Errorf("%s not suppressed", addr)
		}
	}
}

func TestApplyDedupe(t *testing.T) {
	t.Run("the same notification twice changes nothing", func(t *testing.T) {
		c := newNotifyClient(t)
		n := parseOne(t, bounceJSON("f1", "Transient", "General", "4.0.0", "a@example.com"))
		if ds := apply(t, c, n); ds[0].Action != ActionCounted || ds[0].Count != 1 {
			t.Fatalf("first: %+v", ds[0])
		}
		if ds := apply(t, c, n); ds[0].Action != ActionDuplicate {
			t.Fatalf("second: %+v", ds[0])
		}
		if ds := apply(t, c, parseOne(t, bounceJSON("f2", "Transient", "General", "4.0.0", "a@example.com"))); ds[0].Count != 2 {
			t.Fatalf("the next bounce counted %d, want 2", ds[0].Count)
		}
	})
	t.Run("one bounce through two routes counts once", func(t *testing.T) {
		c := newNotifyClient(t)
		identity := parseOne(t, bounceJSON("f1", "Transient", "General", "4.0.0", "a@example.com"))
		event := parseOne(t, []byte(`{"eventType":"Bounce","bounce":{"bounceType":"Transient","feedbackId":"f1","bouncedRecipients":[{"emailAddress":"a@example.com"}]},"mail":{}}`))
		event.SNS = &sns.Envelope{MessageID: "another SNS message"}
		apply(t, c, identity)
		if ds := apply(t, c, event); ds[0].Action != ActionDuplicate {
			t.Fatalf("second route: %+v", ds[0])
		}
	})
	t.Run("across processes sharing a store", func(t *testing.T) {
		shared := memstore.New()
		var decisions atomic.Int32
		hook := func(_ context.Context, d Decision) {
			if d.Action == ActionSuppressed {
				decisions.Add(1)
			}
		}
		c1 := newNotifyClient(t, func(o *Options) { o.Store = shared; o.Policy.OnDecision = hook })
		c2 := newNotifyClient(t, func(o *Options) { o.Store = shared; o.Policy.OnDecision = hook })
		n := parseOne(t, bounceJSON("f1", "Permanent", "General", "5.1.1", "a@example.com"))
		var wg sync.WaitGroup
		for i := range 16 {
			c := c1
			if i%2 == 1 {
				c = c2
			}
			wg.Go(func() {
				if _, err := c.Apply(context.Background(), n); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if got := decisions.Load(); got != 1 {
			t.Fatalf("%d suppress decisions for 16 concurrent applications, want 1", got)
		}
	})
	t.Run("transient counting is atomic", func(t *testing.T) {
		shared := memstore.New()
		c := newNotifyClient(t, func(o *Options) { o.Store = shared; o.Policy.TransientThreshold = 1000 })
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				apply(t, c, parseOne(t, bounceJSON(fmt.Sprint("f", i), "Transient", "General", "4.0.0", "a@example.com")))
			})
		}
		wg.Wait()
		ds := apply(t, c, parseOne(t, bounceJSON("last", "Transient", "General", "4.0.0", "a@example.com")))
		if ds[0].Count != 21 {
			t.Fatalf("count %d after 21 bounces", ds[0].Count)
		}
	})
}

// plainStore implements only the three methods of store.Store, like a
// user's own store.
type plainStore struct{ s *memstore.Store }

func (p plainStore) Lookup(ctx context.Context, addrs []string) ([]store.Suppression, error) {
	return p.s.Lookup(ctx, addrs)
}
func (p plainStore) Put(ctx context.Context, s store.Suppression) (bool, error) {
	return p.s.Put(ctx, s)
}
func (p plainStore) Delete(ctx context.Context, k store.Key) error { return p.s.Delete(ctx, k) }

func TestApplyWithAPlainStore(t *testing.T) {
	c := newNotifyClient(t, func(o *Options) { o.Store = plainStore{memstore.New()} })
	for i := range 3 {
		n := parseOne(t, bounceJSON(fmt.Sprint("f", i), "Transient", "General", "4.0.0", "a@example.com"))
		apply(t, c, n)
		if ds := apply(t, c, n); ds[0].Action != ActionDuplicate {
			t.Fatalf("redelivery of bounce %d: %v", i, ds[0].Action)
		}
	}
	if s, ok := suppressedAs(t, c, "a@example.com"); !ok || s.Reason != store.ReasonSoftBounce {
		t.Fatalf("after three transient bounces: %v %+v", ok, s)
	}
}

// flakyStore fails Put while failing is set. It has memstore's abilities
// but Transactor, whose transactions would write past its Put.
type flakyStore struct {
	store.Store
	store.BounceCounter
	store.Deduper
	store.Counter
	failing atomic.Bool
}

func newFlakyStore() *flakyStore {
	ms := memstore.New()
	return &flakyStore{Store: ms, BounceCounter: ms, Deduper: ms, Counter: ms}
}

func (f *flakyStore) Put(ctx context.Context, s store.Suppression) (bool, error) {
	if f.failing.Load() {
		return false, errors.New("database is down")
	}
	return f.Store.Put(ctx, s)
}

func TestApplyStoreFailureIsRetried(t *testing.T) {
	fs := newFlakyStore()
	c := newNotifyClient(t, func(o *Options) { o.Store = fs })
	n := parseOne(t, bounceJSON("f1", "Permanent", "General", "5.1.1", "a@example.com"))
	fs.failing.Store(true)
	if _, err := c.Apply(context.Background(), n); !errors.Is(err, ErrStoreUnavailable) {
		t.Fatalf("Apply = %v, want ErrStoreUnavailable", err)
	}
	if _, ok := suppressedAs(t, c, "a@example.com"); ok {
		t.Fatal("suppressed although the write failed")
	}
	fs.failing.Store(false)
	if ds := apply(t, c, n); ds[0].Action != ActionSuppressed {
		t.Fatalf("redelivery after the failure: %v, want the bounce applied", ds[0].Action)
	}
	if _, ok := suppressedAs(t, c, "a@example.com"); !ok {
		t.Fatal("the redelivered bounce was lost")
	}
}

func TestApplyHooksAndIgnored(t *testing.T) {
	var got []Decision
	c := newNotifyClient(t, func(o *Options) {
		o.Policy.OnDecision = func(_ context.Context, d Decision) { got = append(got, d) }
	})
	for _, file := range []string{"php-notification-v1.json", "javav2-subscription-confirmation-v1.json"} {
		ds := apply(t, c, parseOne(t, readFile(t, filepath.Join(snsTestdata, file))))
		if len(ds) != 1 || ds[0].Action != ActionIgnored {
			t.Fatalf("%s: %+v", file, ds)
		}
	}
	apply(t, c, parseOne(t, bounceJSON("f1", "Permanent", "General", "5.1.1", "a@example.com")))
	if len(got) != 3 || got[2].Action != ActionSuppressed || got[2].Suppression.Source != "ses-feedback:f1" {
		t.Fatalf("hook saw %+v", got)
	}
}

// TestApplyFeedsTheBreaker checks what the reputation breaker learns from
// notifications: what AWS counts, once per new record.
func TestApplyFeedsTheBreaker(t *testing.T) {
	clk := newTestClock()
	c := newNotifyClient(t, func(o *Options) { o.Now = clk.Now })
	hard := parseOne(t, bounceJSON("f1", "Permanent", "General", "5.1.1", "a@example.com", "b@example.com"))
	steps := []struct {
		name                string
		n                   *Notification
		bounced, complained int64
	}{
		{"permanent bounce of two recipients", hard, 2, 0},
		{"the same again", hard, 2, 0},
		{"a bounce SES did not attempt", parseOne(t, bounceJSON("f2", "Permanent", "OnAccountSuppressionList", "", "c@example.com")), 2, 0},
		{"a transient bounce", parseOne(t, bounceJSON("f3", "Transient", "General", "4.0.0", "d@example.com")), 2, 0},
		{"a complaint", parseOne(t, complaintJSON("c1", "abuse", "e@example.com")), 2, 1},
		{"a not-spam report", parseOne(t, complaintJSON("c2", "not-spam", "f@example.com")), 2, 1},
	}
	for _, s := range steps {
		apply(t, c, s.n)
		if st := c.Breaker(); st.Bounced != s.bounced || st.Complained != s.complained {
			t.Fatalf("after %s: breaker counts %d bounced, %d complained; want %d, %d", s.name, st.Bounced, st.Complained, s.bounced, s.complained)
		}
	}
}

// TestApplyBreakerCountsWhatThePolicyIgnores: a policy that does not
// suppress a complaint still reports it to the breaker, since AWS counts
// it.
func TestApplyBreakerCountsWhatThePolicyIgnores(t *testing.T) {
	c := newNotifyClient(t, func(o *Options) {
		o.Policy.SuppressComplaint = func(*Complaint) bool { return false }
	})
	n := parseOne(t, complaintJSON("c1", "abuse", "e@example.com"))
	for range 2 {
		if ds := apply(t, c, n); ds[0].Action == ActionSuppressed {
			t.Fatalf("suppressed: %+v", ds[0])
		}
	}
	if st := c.Breaker(); st.Complained != 1 {
		t.Fatalf("breaker counted %d complaints, want 1", st.Complained)
	}
}
