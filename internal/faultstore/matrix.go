package faultstore

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/store"
)

// at is the clock of every Client of the matrix: the counts and marks of
// one run and its reference fall in the same buckets.
var at = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// scenario is what the matrix applies: notifications applied beforehand,
// without faults, then a batch applied with one.
type scenario struct {
	name    string
	prepare [][]byte
	batch   [][]byte
	addrs   []string // the addresses whose suppressions are compared
	soft    string   // the address whose transient bounces are compared
}

func bounce(id, kind string, offset time.Duration, addrs ...string) []byte {
	recs := ""
	for i, a := range addrs {
		if i > 0 {
			recs += ","
		}
		recs += fmt.Sprintf(`{"emailAddress":%q,"action":"failed","status":"5.1.1","diagnosticCode":"smtp; 550 5.1.1"}`, a)
	}
	if kind == "Transient" {
		recs = fmt.Sprintf(`{"emailAddress":%q,"action":"delayed","status":"4.2.2"}`, addrs[0])
	}
	return fmt.Appendf(nil, `{"notificationType":"Bounce","bounce":{"bounceType":%q,"bounceSubType":"General","feedbackId":%q,"timestamp":%q,"bouncedRecipients":[%s]},"mail":{"messageId":"m-%s"}}`,
		kind, id, at.Add(offset).Format(time.RFC3339Nano), recs, id)
}

func complaint(id, addr string) []byte {
	return fmt.Appendf(nil, `{"eventType":"Complaint","complaint":{"feedbackId":%q,"complaintFeedbackType":"abuse","complainedRecipients":[{"emailAddress":%q}]},"mail":{"messageId":"m-%s"}}`,
		id, addr, id)
}

func unsubscribe(msgID, addr string) []byte {
	return fmt.Appendf(nil, `{"eventType":"Subscription","subscription":{"contactList":"news","source":"UnsubscribeHeader","timestamp":%q,"newTopicPreferences":{"unsubscribeAll":true}},"mail":{"messageId":%q,"destination":[%q]}}`,
		at.Format(time.RFC3339Nano), msgID, addr)
}

func delivery(addr string) []byte {
	return fmt.Appendf(nil, `{"notificationType":"Delivery","delivery":{"recipients":[%q]},"mail":{"messageId":"m-delivery"}}`, addr)
}

var scenarios = []scenario{
	{
		name:  "PermanentBounce",
		batch: [][]byte{bounce("hard-1", "Permanent", 0, "a@example.com", "b@example.com")},
		addrs: []string{"a@example.com", "b@example.com"},
	},
	{
		name:  "Complaint",
		batch: [][]byte{complaint("complaint-1", "c@example.com")},
		addrs: []string{"c@example.com"},
	},
	{
		name:    "ThirdTransientBounce",
		prepare: [][]byte{bounce("soft-1", "Transient", -2*time.Hour, "d@example.com"), bounce("soft-2", "Transient", -time.Hour, "d@example.com")},
		batch:   [][]byte{bounce("soft-3", "Transient", 0, "d@example.com")},
		addrs:   []string{"d@example.com"},
		soft:    "d@example.com",
	},
	{
		name:    "Batch",
		prepare: [][]byte{bounce("soft-1", "Transient", -time.Hour, "d@example.com")},
		batch: [][]byte{
			bounce("hard-2", "Permanent", 0, "e@example.com"),
			complaint("complaint-2", "f@example.com"),
			bounce("soft-2", "Transient", 0, "d@example.com"),
			unsubscribe("m-unsub", "h@example.com"),
			delivery("g@example.com"),
			bounce("hard-2", "Permanent", 0, "e@example.com"), // SNS delivered it twice
		},
		addrs: []string{"d@example.com", "e@example.com", "f@example.com", "h@example.com"},
		soft:  "d@example.com",
	},
}

// RunApplyMatrix proves exactly-once application on the stores newStore
// returns (each new and empty): for each scenario — a permanent bounce of
// two recipients, a complaint, the third transient bounce of an address,
// a batch of several notifications — it applies the scenario once without
// faults to learn its store calls and the state it leaves, then, for each
// call and each Fault, applies it again on a new store with that call
// faulted, redelivers it until it is applied, and requires the same state:
// the same suppressions, the reputation breaker's counts not doubled, the
// transient bounces recorded once, and every record marked applied.
func RunApplyMatrix(t *testing.T, newStore func(t *testing.T) store.Store) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			ref := newStore(t)
			w, ctl := New(ref)
			c := newClient(t, w)
			apply(t, c, sc.prepare)
			ctl.Clear()
			apply(t, c, sc.batch)
			steps := ctl.Calls()
			want := snapshot(t, ref, sc)
			for i, step := range steps {
				for _, f := range Faults {
					t.Run(fmt.Sprintf("%02d-%s-%s", i+1, step, f), func(t *testing.T) {
						s := newStore(t)
						w, ctl := New(s)
						c := newClient(t, w)
						apply(t, c, sc.prepare)
						ctl.Clear()
						ctl.InjectAt(i+1, f)
						_, _ = applyRecovering(c, sc.batch) // fails, or not when the call's failure does not matter
						redeliver(t, c, sc.batch)
						require.Equal(t, want, snapshot(t, s, sc), "state after %s at call %d (%s) and redelivery", f, i+1, step)
						requireAllApplied(t, c, sc.batch)
					})
				}
			}
		})
	}
}

func newClient(t *testing.T, s store.Store) *sesguard.Client {
	t.Helper()
	c, err := sesguard.New(sesv2.New(sesv2.Options{Region: "us-east-1"}), func(o *sesguard.Options) {
		o.Store = s
		o.Now = func() time.Time { return at }
		o.PurgeEvery = -1
	})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

func parse(t *testing.T, raw [][]byte) []*sesguard.Notification {
	t.Helper()
	var ns []*sesguard.Notification
	for _, r := range raw {
		n, err := sesguard.Parse(r)
		require.NoError(t, err)
		ns = append(ns, n...)
	}
	return ns
}

func apply(t *testing.T, c *sesguard.Client, raw [][]byte) {
	t.Helper()
	if len(raw) == 0 {
		return
	}
	_, err := c.ApplyBatch(context.Background(), parse(t, raw))
	require.NoError(t, err)
}

// applyRecovering applies raw and turns an injected panic into an error,
// as the process that crashed would be restarted.
func applyRecovering(c *sesguard.Client, raw [][]byte) (ds [][]sesguard.Decision, err error) {
	defer func() {
		if r := recover(); r != nil {
			if r != ErrPanic {
				panic(r)
			}
			err = ErrPanic
		}
	}()
	var ns []*sesguard.Notification
	for _, r := range raw {
		n, perr := sesguard.Parse(r)
		if perr != nil {
			return nil, perr
		}
		ns = append(ns, n...)
	}
	return c.ApplyBatch(context.Background(), ns)
}

// redeliver applies raw until it is applied, as SNS and SQS redeliver.
func redeliver(t *testing.T, c *sesguard.Client, raw [][]byte) {
	t.Helper()
	for range 3 {
		if _, err := applyRecovering(c, raw); err == nil {
			return
		}
	}
	t.Fatal("the redelivered notifications were not applied after 3 tries without faults")
}

// requireAllApplied redelivers raw once more and requires that nothing is
// written again: every record is a duplicate, or needs no mark.
func requireAllApplied(t *testing.T, c *sesguard.Client, raw [][]byte) {
	t.Helper()
	out, err := c.ApplyBatch(context.Background(), parse(t, raw))
	require.NoError(t, err)
	for _, ds := range out {
		for _, d := range ds {
			switch d.Action {
			case sesguard.ActionSuppressed, sesguard.ActionCounted:
				t.Errorf("%s of %s applied again: %s", d.Record.Type, d.Address, d.Why)
			}
		}
	}
}

// state is what the matrix compares.
type state struct {
	Suppressions []string // key, reason, detail, source, expiry of each
	Bounced      int64    // the breaker's counts, when the store keeps them
	Complained   int64
	SoftBounces  int // the transient bounces recorded for the scenario's soft address, plus a probe
}

func snapshot(t *testing.T, s store.Store, sc scenario) state {
	t.Helper()
	ctx := context.Background()
	var st state
	found, err := s.Lookup(ctx, sc.addrs)
	require.NoError(t, err)
	for _, f := range found {
		st.Suppressions = append(st.Suppressions, fmt.Sprintf("%s|%s|%s|%s|%s|%s|%v",
			f.Address, f.Scope, f.Reason, f.Detail, f.Source, f.CreatedAt.UTC().Format(time.RFC3339), f.ExpiresAt.UTC()))
	}
	slices.Sort(st.Suppressions)
	if cn, ok := s.(store.Counter); ok {
		from, to := at.Add(-time.Hour), at.Add(time.Hour)
		st.Bounced, err = cn.SumCounts(ctx, "sesguard:breaker:bounced", from, to)
		require.NoError(t, err)
		st.Complained, err = cn.SumCounts(ctx, "sesguard:breaker:complained", from, to)
		require.NoError(t, err)
	}
	if bc, ok := s.(store.BounceCounter); ok && sc.soft != "" {
		st.SoftBounces, err = bc.AddTransientBounce(ctx, sc.soft, "faultstore-probe", at, 14*24*time.Hour)
		require.NoError(t, err)
	}
	return st
}
