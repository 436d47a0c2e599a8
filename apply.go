package sesguard

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sesguard/sesguard/sns"
	"github.com/sesguard/sesguard/store"
)

// notifyState is the policy with its defaults, set up on first use.
type notifyState struct {
	once   sync.Once
	policy Policy
}

// notifications returns the Client's policy with its defaults.
func (c *Client) notifications() *notifyState {
	st := &c.notify
	st.once.Do(func() { st.policy = c.opts.Policy.withDefaults() })
	return st
}

// Apply applies the suppression policy (Options.Policy) to n, one decision
// per record, and returns the decisions. It does not verify anything: use
// it where AWS handed over the notification (an SQS queue, a Lambda
// invocation), with what [Parse] returns, or after [sns.Validator.Validate].
//
// Apply applies each record exactly once. It asks whether the record was
// applied (same SES feedback id for bounces and complaints, same SNS
// message otherwise), writes its effects — each of them idempotent: a
// suppression never weakens one in force, a transient bounce is recorded
// once per bounce — and marks it applied last, adding its counts for the
// reputation breaker in the same step ([store.Deduper.MarkApplied]). A
// record found applied is skipped with ActionDuplicate. Across processes
// this needs a store that implements [store.Deduper] and
// [store.BounceCounter]; a store without them gets in-process stand-ins.
// With a [store.Transactor], the whole notification is one transaction.
//
// When the store fails, Apply returns no decisions and an error that wraps
// [ErrStoreUnavailable]; what it wrote before the failure is written again,
// harmlessly, when the notification is redelivered, and nothing is counted
// twice. A record whose address cannot be canonicalised (see [Canonical])
// is reported as ActionIgnored with the reason, and the notification's
// other records are applied.
func (c *Client) Apply(ctx context.Context, n *Notification) (ds []Decision, err error) {
	ctx, end := c.startApply(ctx, n)
	defer func() { end(ds, err) }()
	out, err := c.applyBatch(ctx, []*Notification{n})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// ApplyBatch applies ns as [Client.Apply] applies one, and returns the
// decisions of the notifications applied: ds[i] for ns[i]. When the store
// implements [store.Transactor], the batch is one transaction: on success
// every notification is applied, on failure none is, and ds is empty.
// Without one, the notifications are applied in order until the store
// fails; then ds holds the decisions of those applied before the failure,
// and ns[len(ds):] were not applied (redeliver them). The error wraps
// [ErrStoreUnavailable]. Hooks.Apply hears each notification of the
// batch.
func (c *Client) ApplyBatch(ctx context.Context, ns []*Notification) ([][]Decision, error) {
	ends := make([]func([]Decision, error), len(ns))
	for i, n := range ns {
		_, ends[i] = c.startApply(ctx, n)
	}
	out, err := c.applyBatch(ctx, ns)
	for i, end := range ends {
		if i < len(out) {
			end(out[i], nil)
		} else {
			end(nil, err)
		}
	}
	return out, err
}

// applyBatch is ApplyBatch without the hooks.
func (c *Client) applyBatch(ctx context.Context, ns []*Notification) ([][]Decision, error) {
	c.housekeep()
	now := c.now()
	var out [][]Decision
	var marks []pendingMark
	var err error
	if tr, ok := c.store.(store.Transactor); ok {
		err = tr.InTx(ctx, func(tx store.Store) error {
			out, marks = out[:0], marks[:0]
			ab := c.abilitiesOf(tx, true)
			for _, n := range ns {
				ds, ms, err := c.applyOne(ctx, ab, n, now)
				if err != nil {
					return err
				}
				out, marks = append(out, ds), append(marks, ms...)
			}
			return nil
		})
		if err == nil {
			// The marks of a store whose transactions hold none are made
			// once the effects are committed.
			err = c.markAll(ctx, c.abilitiesOf(c.store, false), marks)
		}
		if err != nil {
			out = nil
		}
	} else {
		ab := c.abilitiesOf(c.store, false)
		for _, n := range ns {
			var ds []Decision
			if ds, _, err = c.applyOne(ctx, ab, n, now); err != nil {
				break
			}
			out = append(out, ds)
		}
	}
	c.observeAll(ctx, out, now)
	if err != nil {
		var se *StoreError
		if !errors.As(err, &se) {
			err = &StoreError{Op: "transaction", Err: err}
		}
		return out, err
	}
	return out, nil
}

// abilities are the store abilities one application uses: those of s, the
// store or a transaction of it, and the Client's in-process stand-ins for
// those s lacks.
type abilities struct {
	store   store.Store
	bounces store.BounceCounter
	deduper store.Deduper
	counts  store.Counter
	// countsInMark: the breaker's counts go with the mark, into the same
	// store; otherwise they are added to counts after the mark is made.
	countsInMark bool
	// markLater: s is a transaction that cannot hold the marks, which
	// are made after it commits.
	markLater bool
}

func (c *Client) abilitiesOf(s store.Store, inTx bool) abilities {
	ab := abilities{store: s, bounces: c.aux, deduper: c.aux, counts: c.aux}
	bc, hasBounces := s.(store.BounceCounter)
	if hasBounces {
		ab.bounces = bc
	}
	d, hasDeduper := s.(store.Deduper)
	if hasDeduper {
		ab.deduper = d
	}
	cn, hasCounter := s.(store.Counter)
	if hasCounter {
		ab.counts = cn
	}
	ab.countsInMark = hasDeduper == hasCounter
	ab.markLater = inTx && !hasDeduper
	return ab
}

// pendingMark is a record's mark, left to be made after a transaction.
type pendingMark struct {
	id     string
	at     time.Time
	counts []store.Count
}

// applyOne applies the records of n.
func (c *Client) applyOne(ctx context.Context, ab abilities, n *Notification, now time.Time) ([]Decision, []pendingMark, error) {
	recs := n.Records()
	if len(recs) == 0 {
		why := "not an SES notification"
		switch {
		case n.Type != "":
			why = fmt.Sprintf("SES notification type %q has no recipients the policy acts on", n.Type)
		case n.SNS != nil && n.SNS.Type != sns.TypeNotification:
			why = "SNS " + n.SNS.Type
		}
		return []Decision{{Action: ActionIgnored, Record: Record{Type: n.Type, Notification: n}, Why: why, At: now}}, nil, nil
	}
	if len(n.Unknown) > 0 {
		c.log.DebugContext(ctx, "sesguard: notification has fields the model does not know",
			"type", n.Type, "fields", n.Unknown)
	}
	out := make([]Decision, 0, len(recs))
	var marks []pendingMark
	for _, rec := range recs {
		d, m, err := c.applyRecord(ctx, ab, rec, now)
		if err != nil {
			return nil, nil, err
		}
		if m != nil {
			marks = append(marks, *m)
		}
		out = append(out, d)
	}
	return out, marks, nil
}

func (c *Client) applyRecord(ctx context.Context, ab abilities, rec Record, now time.Time) (Decision, *pendingMark, error) {
	p := &c.notifications().policy
	d := Decision{Record: rec, At: now}
	addr, err := c.Canonical(rec.Address)
	if err != nil {
		d.Action, d.Why = ActionIgnored, "unusable address: "+err.Error()
		return d, nil, nil
	}
	d.Address = addr
	eff, sup, why := p.decide(rec)
	signal, toBreaker := reputationSignalOf(rec)
	d.Why = why
	switch {
	case eff == effectNone && !toBreaker:
		d.Action = ActionIgnored
		return d, nil, nil
	case eff == effectClear:
		// Clearing twice is clearing once: no mark needed.
		if err := ab.bounces.ClearTransientBounces(ctx, addr); err != nil {
			return d, nil, &StoreError{Op: "clear transient bounces", Err: err}
		}
		d.Action = ActionCleared
		return d, nil, nil
	}

	id := markID(rec, addr)
	if id != "" {
		done, err := ab.deduper.Applied(ctx, id, now)
		if err != nil {
			return d, nil, &StoreError{Op: "applied", Err: err}
		}
		if done {
			d.Action, d.Why = ActionDuplicate, "already applied: "+why
			return d, nil, nil
		}
	}
	d.Action = ActionIgnored
	if eff != effectNone {
		if err := c.applyEffect(ctx, ab, &d, eff, sup, id); err != nil {
			return d, nil, err
		}
	}
	var counts []store.Count
	if toBreaker {
		// The reputation breaker counts what AWS counts, whatever the
		// policy made of it, once per record.
		counts = c.breaker.countsFor(signal, now)
	}
	m := pendingMark{id: id, at: now, counts: counts}
	if ab.markLater && id != "" {
		return d, &m, nil
	}
	return d, nil, c.markAll(ctx, ab, []pendingMark{m})
}

// markAll marks records applied, with their counts. A record without an
// id cannot be marked: its counts are added as they are.
func (c *Client) markAll(ctx context.Context, ab abilities, marks []pendingMark) error {
	for _, m := range marks {
		if m.id == "" || !ab.countsInMark {
			made := true
			if m.id != "" {
				var err error
				if made, err = ab.deduper.MarkApplied(ctx, m.id, m.at, m.at.Add(c.notifications().policy.DedupeWindow)); err != nil {
					return &StoreError{Op: "mark applied", Err: err}
				}
			}
			if made {
				for _, k := range m.counts {
					if err := ab.counts.AddCount(ctx, k); err != nil {
						return &StoreError{Op: "add count", Err: err}
					}
				}
			}
			continue
		}
		if _, err := ab.deduper.MarkApplied(ctx, m.id, m.at, m.at.Add(c.notifications().policy.DedupeWindow), m.counts...); err != nil {
			return &StoreError{Op: "mark applied", Err: err}
		}
	}
	return nil
}

// reputationSignalOf says whether rec counts against the account's
// reputation as AWS counts it: a Permanent bounce, except one that SES did
// not even attempt (OnAccountSuppressionList), or a complaint, except a
// not-spam report and one about an address on the account's suppression
// list.
func reputationSignalOf(rec Record) (reputationSignal, bool) {
	n := rec.Notification
	switch {
	case n.Bounce != nil:
		return signalBounce, n.Bounce.Type == BouncePermanent && n.Bounce.SubType != "OnAccountSuppressionList"
	case n.Complaint != nil:
		return signalComplaint, n.Complaint.FeedbackType != "not-spam" && n.Complaint.SubType != "OnAccountSuppressionList"
	}
	return 0, false
}

// applyEffect counts or suppresses for d.
func (c *Client) applyEffect(ctx context.Context, ab abilities, d *Decision, eff effect, sup store.Suppression, id string) error {
	p := &c.notifications().policy
	if eff == effectCount {
		at := d.At
		if b := d.Record.Notification.Bounce; b != nil && !b.Timestamp.IsZero() {
			at = b.Timestamp
		}
		if id == "" {
			id = "at:" + at.UTC().Format(time.RFC3339Nano)
		}
		n, err := ab.bounces.AddTransientBounce(ctx, d.Address, id, at, p.TransientWindow)
		if err != nil {
			return &StoreError{Op: "add transient bounce", Err: err}
		}
		d.Count = n
		if n < p.TransientThreshold {
			d.Action = ActionCounted
			d.Why = fmt.Sprintf("%s: %d of %d in %s", d.Why, n, p.TransientThreshold, p.TransientWindow)
			return nil
		}
		d.Why = fmt.Sprintf("%s: %d in %s", d.Why, n, p.TransientWindow)
		sup.ExpiresAt = d.At.Add(p.TransientSuppression)
	}
	sup.Address = d.Address
	sup.CreatedAt = d.At
	sup.Source = source(d.Record.Notification)
	scopes := []store.Scope{sup.Scope}
	if s := d.Record.Notification.Subscription; s != nil {
		scopes = unsubscribeScopes(s)
	}
	for i, scope := range scopes {
		if len(scope) > store.MaxScopeLen {
			d.Action, d.Why = ActionIgnored, fmt.Sprintf("%s: its scope is %d octets, more than %d", d.Why, len(scope), store.MaxScopeLen)
			return nil
		}
		sup.Scope = scope
		written, err := ab.store.Put(ctx, sup)
		if err != nil {
			return &StoreError{Op: "put", Err: err}
		}
		if i > 0 {
			continue
		}
		d.Action = ActionSuppressed
		d.Suppression = sup
		if !written {
			// A stronger suppression is in force; report it.
			found, err := ab.store.Lookup(ctx, []string{d.Address})
			if err != nil {
				return &StoreError{Op: "lookup", Err: err}
			}
			for _, f := range found {
				if f.Key() == sup.Key() {
					d.Suppression = f
				}
			}
		}
	}
	return nil
}

// markID names a record for its applied mark: by the SES feedback id for
// bounces and complaints, which is the same whichever route (identity
// notification, configuration set, HTTP, SQS) delivered it, else by the
// SNS message id, else by the SES message id and the event's time. The
// address is part of it, so that the records of one notification are
// marked one by one. The name is hashed to a fixed length that any
// store can hold.
func markID(rec Record, addr string) string {
	n := rec.Notification
	var id string
	switch {
	case n.Bounce != nil && n.Bounce.FeedbackID != "":
		id = "feedback:" + n.Bounce.FeedbackID
	case n.Complaint != nil && n.Complaint.FeedbackID != "":
		id = "feedback:" + n.Complaint.FeedbackID
	case n.SNS != nil && n.SNS.MessageID != "":
		id = "sns:" + n.SNS.MessageID
	case n.Subscription != nil && n.Mail.MessageID != "":
		id = "subscription:" + n.Mail.MessageID + ":" + n.Subscription.Timestamp.String()
	default:
		return ""
	}
	sum := sha256.Sum256([]byte(id + "\x00" + addr))
	return "sesguard:" + base64.RawURLEncoding.EncodeToString(sum[:])
}

// source names where a suppression came from, for store.Suppression.Source.
func source(n *Notification) string {
	switch {
	case n.Bounce != nil && n.Bounce.FeedbackID != "":
		return "ses-feedback:" + n.Bounce.FeedbackID
	case n.Complaint != nil && n.Complaint.FeedbackID != "":
		return "ses-feedback:" + n.Complaint.FeedbackID
	case n.SNS != nil:
		return "sns:" + n.SNS.MessageID
	case n.Mail.MessageID != "":
		return "ses-message:" + n.Mail.MessageID
	}
	return "ses"
}

// observeAll reports applied decisions, once they are in the store: it
// logs each, calls the policy's OnDecision hook, and, when a record fed
// the reputation breaker, has it judge its counts again.
func (c *Client) observeAll(ctx context.Context, out [][]Decision, now time.Time) {
	signals := false
	for _, ds := range out {
		for _, d := range ds {
			c.observe(ctx, d)
			if d.Action != ActionDuplicate {
				_, s := reputationSignalOf(d.Record)
				signals = signals || (s && d.Address != "")
			}
		}
	}
	if signals {
		c.breaker.refresh(ctx, now)
	}
}

// observe logs one decision and calls the policy's OnDecision hook.
func (c *Client) observe(ctx context.Context, d Decision) {
	// Suppressions and counts are news; deliveries, ignored events and
	// duplicates are the bulk of the traffic.
	level := slog.LevelDebug
	if d.Action == ActionSuppressed || d.Action == ActionCounted {
		level = slog.LevelInfo
	}
	if c.log.Enabled(ctx, level) {
		c.log.Log(ctx, level, "sesguard: notification applied",
			"action", d.Action.String(), "type", d.Record.Type, "address", d.Address, "why", d.Why)
	}
	if hook := c.notifications().policy.OnDecision; hook != nil {
		hook(ctx, d)
	}
}
