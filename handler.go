package sesguard

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/sesguard/sesguard/sns"
)

// HandlerOptions configures the handler of [Client.SNSHandler]. The zero
// value of every field is a documented default, except that SNS.TopicARNs
// (or SNS.AllowAnyTopic) is required.
type HandlerOptions struct {
	// SNS configures the checks every message passes: the topic
	// allow-list (required), the maximum age (default
	// [sns.DefaultMaxAge]), the certificate source, and the HTTP client
	// that fetches certificates and confirms subscriptions. Its Now
	// defaults to the Client's clock.
	SNS sns.ValidatorOptions

	// MaxBodyBytes bounds a request body; a larger one is answered 413.
	// Zero: 1 MiB. SNS messages are at most 256 KiB.
	MaxBodyBytes int64

	// ManualConfirm leaves subscriptions unconfirmed: a verified
	// SubscriptionConfirmation is logged, with its SubscribeURL, and
	// answered 200, and an operator confirms it. false (the default): the
	// handler confirms by fetching the SubscribeURL.
	ManualConfirm bool

	// AllowRawDelivery accepts posts of a subscription with raw message
	// delivery (header x-amz-sns-rawdelivery: true): bare SES JSON with no
	// signature, which anyone who can reach the endpoint could forge. Only
	// for endpoints that authenticate requests some other way. false (the
	// default): such posts are answered 403.
	AllowRawDelivery bool
}

// SNSHandler returns an http.Handler for an SNS HTTP(S) subscription that
// carries SES notifications. For each POST it checks the message with an
// [sns.Validator] — signed by SNS, from a topic in SNS.TopicARNs, no older
// than SNS.MaxAge — then:
//
//   - a Notification is parsed and applied with [Client.Apply];
//   - a SubscriptionConfirmation is confirmed by fetching its SubscribeURL
//     ([sns.Validator.ConfirmSubscription]: only https to an SNS host),
//     unless ManualConfirm;
//   - an UnsubscribeConfirmation is logged and never confirmed.
//
// It answers 200 only after the store was written, so SNS retries whatever
// was not recorded; 200 also for valid messages it ignores (other SES
// event types, messages that are not SES notifications), so SNS does not
// retry them. It answers 405 to anything but POST, 413 to a body over
// MaxBodyBytes, 400 to a malformed message, 403 to a forged, unsigned,
// stale or disallowed one, 502 when a certificate cannot be fetched or a
// subscription not confirmed, and 500 when the store fails. Nothing is
// written on any of these.
//
// SNSHandler fails when the options name no topic (anyone can publish
// signed messages on a topic of their own: set SNS.AllowAnyTopic to accept
// them anyway), or when SNS.MaxAge is not shorter than the policy's
// DedupeWindow, which would let a genuine message be replayed once its
// dedupe record expired.
//
// The handler is safe for concurrent use; create it once, since it holds
// the certificate cache.
func (c *Client) SNSHandler(optFns ...func(*HandlerOptions)) (http.Handler, error) {
	var o HandlerOptions
	for _, fn := range optFns {
		fn(&o)
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 1 << 20
	}
	if o.SNS.Now == nil {
		o.SNS.Now = c.now
	}
	v, err := sns.NewValidator(func(vo *sns.ValidatorOptions) { *vo = o.SNS })
	if err != nil {
		return nil, fmt.Errorf("sesguard: SNSHandler: %w", err)
	}
	if window := c.notifications().policy.DedupeWindow; v.MaxAge() >= window {
		return nil, fmt.Errorf("sesguard: SNSHandler: SNS.MaxAge %s is not shorter than Policy.DedupeWindow %s: a replayed message would be applied again", v.MaxAge(), window)
	}
	return &snsHandler{c: c, opts: o, validator: v}, nil
}

type snsHandler struct {
	c         *Client
	opts      HandlerOptions
	validator *sns.Validator
}

var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (h *snsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.reply(ctx, w, http.StatusMethodNotAllowed, "only POST is accepted", nil)
		return
	}
	buf := bodyPool.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 1<<20 {
			buf.Reset()
			bodyPool.Put(buf)
		}
	}()
	buf.Reset()
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes)); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.reply(ctx, w, http.StatusRequestEntityTooLarge, "body too large", err)
			return
		}
		h.reply(ctx, w, http.StatusBadRequest, "could not read the body", err)
		return
	}
	body := buf.Bytes()

	if strings.EqualFold(r.Header.Get("x-amz-sns-rawdelivery"), "true") {
		h.raw(ctx, w, body)
		return
	}
	e, err := sns.ParseEnvelope(body)
	if err != nil {
		h.reply(ctx, w, http.StatusBadRequest, "malformed SNS message", err)
		return
	}
	if t := r.Header.Get("x-amz-sns-message-type"); t != "" && t != e.Type {
		h.reply(ctx, w, http.StatusBadRequest, "x-amz-sns-message-type disagrees with the message", nil)
		return
	}
	if e.Type == sns.TypeSubscriptionConfirmation && !h.opts.ManualConfirm {
		if err := h.validator.ConfirmSubscription(ctx, e); err != nil {
			h.refuse(ctx, w, "subscription not confirmed", err)
			return
		}
		h.c.log.InfoContext(ctx, "sesguard: SNS subscription confirmed", "topic", e.TopicARN)
		h.reply(ctx, w, http.StatusOK, "subscription confirmed", nil)
		return
	}
	if err := h.validator.Validate(ctx, e); err != nil {
		h.refuse(ctx, w, "SNS message not verified", err)
		return
	}
	switch e.Type {
	case sns.TypeSubscriptionConfirmation:
		h.c.log.InfoContext(ctx, "sesguard: SNS subscription awaits manual confirmation",
			"topic", e.TopicARN, "subscribe_url", e.SubscribeURL)
		h.reply(ctx, w, http.StatusOK, "subscription left for manual confirmation", nil)
	case sns.TypeUnsubscribeConfirmation:
		h.c.log.InfoContext(ctx, "sesguard: SNS subscription deactivated; not re-confirming",
			"topic", e.TopicARN, "message_id", e.MessageID)
		h.reply(ctx, w, http.StatusOK, "unsubscribe confirmation noted", nil)
	default:
		n, err := fromEnvelope(e)
		if err != nil {
			h.reply(ctx, w, http.StatusBadRequest, "malformed SES notification", err)
			return
		}
		h.apply(ctx, w, n)
	}
}

// refuse answers a message that failed its checks or its confirmation:
// 502 when SNS (a certificate, a confirmation) could not be reached or
// the client left, so that SNS tries again; 403 otherwise.
func (h *snsHandler) refuse(ctx context.Context, w http.ResponseWriter, msg string, err error) {
	status := http.StatusForbidden
	if errors.Is(err, sns.ErrCertificate) || errors.Is(err, sns.ErrConfirmation) || ctx.Err() != nil {
		status = http.StatusBadGateway
	}
	h.reply(ctx, w, status, msg, err)
}

// raw handles a post of raw message delivery.
func (h *snsHandler) raw(ctx context.Context, w http.ResponseWriter, body []byte) {
	if !h.opts.AllowRawDelivery {
		h.reply(ctx, w, http.StatusForbidden, "raw message delivery is unsigned and not allowed", nil)
		return
	}
	n, err := decodeSES(body)
	switch {
	case errors.Is(err, errNotSES):
		h.reply(ctx, w, http.StatusOK, "not an SES notification; ignored", nil)
		return
	case err != nil:
		h.reply(ctx, w, http.StatusBadRequest, "malformed SES notification", err)
		return
	}
	h.apply(ctx, w, n)
}

func (h *snsHandler) apply(ctx context.Context, w http.ResponseWriter, n *Notification) {
	if _, err := h.c.Apply(ctx, n); err != nil {
		h.reply(ctx, w, http.StatusInternalServerError, "notification not recorded", err)
		return
	}
	h.reply(ctx, w, http.StatusOK, "ok", nil)
}

// reply writes a short plain-text answer and logs every refusal.
func (h *snsHandler) reply(ctx context.Context, w http.ResponseWriter, status int, msg string, err error) {
	h.c.answered(ctx, status)
	if status >= 300 {
		level := slog.LevelWarn
		if status >= 500 {
			level = slog.LevelError
		}
		h.c.log.Log(ctx, level, "sesguard: SNS request refused", "status", status, "reason", msg, "error", err)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, msg+"\n")
}
