package faultstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
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
// without faults, then a batch applied with one. Each run of a scenario
// has a tag of its own in its addresses, feedback ids and breaker name, so
// that the runs can share one store.
type scenario struct {
	name string
	make func(tag string) run
}

// run is one run of a scenario.
type run struct {
	tag     string
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
	{"PermanentBounce", func(tag string) run {
		a, b := "a-"+tag+"@example.com", "b-"+tag+"@example.com"
		return run{tag: tag, batch: [][]byte{bounce("hard-1-"+tag, "Permanent", 0, a, b)}, addrs: []string{a, b}}
	}},
	{"Complaint", func(tag string) run {
		c := "c-" + tag + "@example.com"
		return run{tag: tag, batch: [][]byte{complaint("complaint-1-"+tag, c)}, addrs: []string{c}}
	}},
	{"ThirdTransientBounce", func(tag string) run {
		d := "d-" + tag + "@example.com"
		return run{
			tag:     tag,
			prepare: [][]byte{bounce("soft-1-"+tag, "Transient", -2*time.Hour, d), bounce("soft-2-"+tag, "Transient", -time.Hour, d)},
			batch:   [][]byte{bounce("soft-3-"+tag, "Transient", 0, d)},
			addrs:   []string{d},
			soft:    d,
		}
	}},
	{"Batch", func(tag string) run {
		d, e, f, g, h := "d-"+tag+"@example.com", "e-"+tag+"@example.com", "f-"+tag+"@example.com", "g-"+tag+"@example.com", "h-"+tag+"@example.com"
		return run{
			tag:     tag,
			prepare: [][]byte{bounce("soft-1-"+tag, "Transient", -time.Hour, d)},
			batch: [][]byte{
				bounce("hard-2-"+tag, "Permanent", 0, e),
				complaint("complaint-2-"+tag, f),
				bounce("soft-2-"+tag, "Transient", 0, d),
				unsubscribe("m-unsub-"+tag, h),
				delivery(g),
				bounce("hard-2-"+tag, "Permanent", 0, e), // SNS delivered it twice
			},
			addrs: []string{d, e, f, h},
			soft:  d,
		}
	}},
}

// RunApplyMatrix proves exactly-once application on the stores newStore
// returns (each new and empty): for each scenario — a permanent bounce of
// two recipients, a complaint, the third transient bounce of an address,
// a batch of several notifications — it applies the scenario once without
// faults to learn its store calls and the state it leaves, then, for each
// call and each Fault, applies it again with that call faulted, redelivers
// it until it is applied, and requires the same state: the same
// suppressions, the reputation breaker's counts not doubled, the transient
// bounces recorded once, and every record marked applied. The runs of one
// scenario share one store, each with addresses, ids and breaker counters
// of its own, so that a store on a database is created once per scenario.
func RunApplyMatrix(t *testing.T, newStore func(t *testing.T) store.Store) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			s := newStore(t)
			w, ctl := New(s)
			ref := sc.make("ref")
			c := newClient(t, w, ref.tag)
			apply(t, c, ref.prepare)
			ctl.Clear()
			apply(t, c, ref.batch)
			steps := ctl.Calls()
			want := snapshot(t, s, ref)
			for i, step := range steps {
				for _, f := range Faults {
					t.Run(fmt.Sprintf("%02d-%s-%s", i+1, step, f), func(t *testing.T) {
						r := sc.make(fmt.Sprintf("%02d%s", i+1, f))
						c := newClient(t, w, r.tag)
						apply(t, c, r.prepare)
						ctl.Clear()
						ctl.InjectAt(i+1, f)
						_, _ = applyRecovering(c, r.batch) // fails, or not when the call's failure does not matter
						ctl.Clear()
						redeliver(t, c, r.batch)
						require.Equal(t, want, snapshot(t, s, r), "state after %s at call %d (%s) and redelivery", f, i+1, step)
						requireAllApplied(t, c, r.batch)
					})
				}
			}
		})
	}
}

// breakerName is the name of the breaker's counters of the run tagged tag.
func breakerName(tag string) string { return "faultstore:" + tag }

func newClient(t *testing.T, s store.Store, tag string) *sesguard.Client {
	t.Helper()
	c, err := sesguard.New(sesv2.New(sesv2.Options{Region: "us-east-1"}), func(o *sesguard.Options) {
		o.Store = s
		o.Now = func() time.Time { return at }
		o.PurgeEvery = -1
		o.Breaker.Name = breakerName(tag)
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

// snapshot returns the state of run r in s, with r's tag written TAG.
func snapshot(t *testing.T, s store.Store, r run) state {
	t.Helper()
	ctx := context.Background()
	var st state
	found, err := s.Lookup(ctx, r.addrs)
	require.NoError(t, err)
	for _, f := range found {
		st.Suppressions = append(st.Suppressions, strings.ReplaceAll(fmt.Sprintf("%s|%s|%s|%s|%s|%s|%v",
			f.Address, f.Scope, f.Reason, f.Detail, f.Source, f.CreatedAt.UTC().Format(time.RFC3339), f.ExpiresAt.UTC()), r.tag, "TAG"))
	}
	slices.Sort(st.Suppressions)
	if cn, ok := s.(store.Counter); ok {
		from, to := at.Add(-time.Hour), at.Add(time.Hour)
		st.Bounced, err = cn.SumCounts(ctx, breakerName(r.tag)+":bounced", from, to)
		require.NoError(t, err)
		st.Complained, err = cn.SumCounts(ctx, breakerName(r.tag)+":complained", from, to)
		require.NoError(t, err)
	}
	if bc, ok := s.(store.BounceCounter); ok && r.soft != "" {
		st.SoftBounces, err = bc.AddTransientBounce(ctx, r.soft, "faultstore-probe", at, 14*24*time.Hour)
		require.NoError(t, err)
	}
	return st
}
