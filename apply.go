package sesguard

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"log/slog"
	"sync"

	"github.com/sesguard/sesguard/sns"
	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/memstore"
)

// notifyState is what the Client needs to apply notifications, set up on
// first use.
type notifyState struct {
	once    sync.Once
	policy  Policy
	counter store.BounceCounter
	deduper store.Deduper
}

// notifications returns the Client's policy with its defaults, and the
// store's counting and dedupe abilities. A store without them gets a
// private in-memory stand-in: the policy still works, but its transient
// counts and dedupe memory are then per process.
func (c *Client) notifications() *notifyState {
	st := &c.notify
	st.once.Do(func() {
		st.policy = c.opts.Policy.withDefaults()
		var fallback *memstore.Store
		if bc, ok := c.store.(store.BounceCounter); ok {
			st.counter = bc
		} else {
			fallback = memstore.New()
			st.counter = fallback
		}
		if dd, ok := c.store.(store.Deduper); ok {
			st.deduper = dd
		} else {
			if fallback == nil {
				fallback = memstore.New()
			}
			st.deduper = fallback
		}
	})
	return st
}

// Apply applies the suppression policy (Options.Policy) to n, one decision
// per record, and returns the decisions. It does not verify anything: use
// it where AWS handed over the notification (an SQS queue, a Lambda
// invocation), with what [Parse] returns, or after [sns.Validator.Validate].
//
// Apply is idempotent: a record already applied (same SES feedback id for
// bounces and complaints, same SNS message otherwise) is skipped with
// ActionDuplicate, across processes when the store implements
// [store.Deduper]. Transient bounces are counted atomically across
// processes when the store implements [store.BounceCounter]. A store
// without these abilities gets in-process stand-ins.
//
// When the store fails, Apply stops and returns the decisions made so far
// with an error that wraps [ErrStoreUnavailable]. The failed record's
// dedupe claim is released, so redelivering the notification applies what
// was not applied, and only that.
func (c *Client) Apply(ctx context.Context, n *Notification) (ds []Decision, err error) {
	ctx, end := c.startApply(ctx, n)
	defer func() { end(ds, err) }()
	st := c.notifications()
	now := c.now()
	recs := n.Records()
	if len(recs) == 0 {
		why := "not an SES notification"
		switch {
		case n.Type != "":
			why = fmt.Sprintf("SES notification type %q has no recipients the policy acts on", n.Type)
		case n.SNS != nil && n.SNS.Type != sns.TypeNotification:
			why = "SNS " + n.SNS.Type
		}
		d := Decision{Action: ActionIgnored, Record: Record{Type: n.Type, Notification: n}, Why: why, At: now}
		c.observe(ctx, d)
		return []Decision{d}, nil
	}
	if len(n.Unknown) > 0 {
		c.log.DebugContext(ctx, "sesguard: notification has fields the model does not know",
			"type", n.Type, "fields", n.Unknown)
	}
	out := make([]Decision, 0, len(recs))
	for _, rec := range recs {
		d, err := c.applyRecord(ctx, st, rec)
		if err != nil {
			return out, err
		}
		c.observe(ctx, d)
		out = append(out, d)
	}
	return out, nil
}

func (c *Client) applyRecord(ctx context.Context, st *notifyState, rec Record) (Decision, error) {
	d := Decision{Record: rec, At: c.now()}
	addr, err := c.Canonical(rec.Address)
	if err != nil {
		d.Action, d.Why = ActionIgnored, "unreadable address: "+err.Error()
		return d, nil
	}
	d.Address = addr
	eff, sup, why := st.policy.decide(rec)
	signal, toBreaker := reputationSignalOf(rec)
	d.Why = why
	switch {
	case eff == effectNone && !toBreaker:
		d.Action = ActionIgnored
		return d, nil
	case eff == effectClear:
		// Clearing twice is clearing once: no dedupe needed.
		if err := st.counter.ClearTransientBounces(ctx, addr); err != nil {
			return d, &StoreError{Op: "clear transient bounces", Err: err}
		}
		d.Action = ActionCleared
		return d, nil
	}

	claim := claimID(rec, addr)
	if claim != "" {
		ok, err := st.deduper.Claim(ctx, claim, d.At, d.At.Add(st.policy.DedupeWindow))
		if err != nil {
			return d, &StoreError{Op: "claim", Err: err}
		}
		if !ok {
			d.Action, d.Why = ActionDuplicate, "already applied: "+why
			return d, nil
		}
	}
	d.Action = ActionIgnored
	if eff != effectNone {
		err = c.applyEffect(ctx, st, &d, eff, sup)
	}
	if err == nil && toBreaker {
		// The reputation breaker counts what AWS counts, whatever the
		// policy made of it, once per new record.
		err = c.observeReputation(ctx, signal, 1)
	}
	if err != nil && claim != "" {
		if rerr := st.deduper.Release(ctx, claim); rerr != nil {
			c.log.ErrorContext(ctx, "sesguard: could not release a dedupe claim; the notification's redelivery will be skipped",
				"address", addr, "error", rerr)
		}
	}
	return d, err
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
func (c *Client) applyEffect(ctx context.Context, st *notifyState, d *Decision, eff effect, sup store.Suppression) error {
	p := &st.policy
	if eff == effectCount {
		n, err := st.counter.AddTransientBounce(ctx, d.Address, d.At, p.TransientWindow)
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
	found, err := c.store.Lookup(ctx, []string{d.Address})
	if err != nil {
		return &StoreError{Op: "lookup", Err: err}
	}
	d.Action = ActionSuppressed
	if old, ok := found[d.Address]; ok && stronger(old, sup, d.At) {
		d.Suppression = old
		return nil
	}
	if err := c.store.Put(ctx, sup); err != nil {
		return &StoreError{Op: "put", Err: err}
	}
	d.Suppression = sup
	return nil
}

// claimID names a record for dedupe: by the SES feedback id for bounces
// and complaints, which is the same whichever route (identity
// notification, configuration set, HTTP, SQS) delivered it, else by the
// SNS message id, else by the SES message id and the event's time. The
// address is part of it, so that the records of one notification are
// claimed one by one. The name is hashed to a fixed length that any
// store can hold.
func claimID(rec Record, addr string) string {
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

// observe is the one place every decision passes, after the store was
// written: it logs the decision and calls the policy's OnDecision hook.
// The reputation breaker is fed earlier, in applyRecord, because a failed
// breaker write must release the record's claim, as a failed store write
// does.
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
