package sns

import (
	"context"
	"errors"
	"fmt"
)

// ErrConfirmation is wrapped by the error of
// [Validator.ConfirmSubscription] when SNS could not be reached or did
// not accept the confirmation. An HTTP endpoint should answer 5xx, so
// that SNS sends the confirmation again.
var ErrConfirmation = errors.New("sns: subscription not confirmed")

// maxConfirmationBytes bounds the response to a confirmation, an XML
// document of a few hundred bytes.
const maxConfirmationBytes = 64 << 10

// ConfirmSubscription confirms the subscription that the
// SubscriptionConfirmation e asks for, by fetching its SubscribeURL, as
// SNS's documentation describes. It does so only after e passes
// [Validator.Validate] (so only for an allowed topic, signed by SNS), and
// only over https to an SNS host, without following redirects, through
// ValidatorOptions.HTTPClient.
//
// The error wraps [ErrMalformedEnvelope] when e is not a
// SubscriptionConfirmation, what Validate's wraps, [ErrSubscribeURL], or
// [ErrConfirmation] when the request failed.
func (v *Validator) ConfirmSubscription(ctx context.Context, e *Envelope) error {
	if e.Type != TypeSubscriptionConfirmation {
		return fmt.Errorf("%w: a %s is not a subscription confirmation", ErrMalformedEnvelope, e.Type)
	}
	if err := v.Validate(ctx, e); err != nil {
		return err
	}
	if err := checkSubscribeURL(e.SubscribeURL); err != nil {
		return err
	}
	if _, err := get(ctx, v.client, e.SubscribeURL, maxConfirmationBytes); err != nil {
		return fmt.Errorf("%w: %w", ErrConfirmation, err)
	}
	return nil
}
