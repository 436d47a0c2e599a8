package otelsesguard

import (
	"context"
	"errors"

	"github.com/aws/smithy-go"

	"github.com/sesguard/sesguard"
)

// The values of the error.type attribute for sesguard's own errors.
var errorTypes = []struct {
	err  error
	name string
}{
	{sesguard.ErrSuppressed, "suppressed"},
	{sesguard.ErrBreakerOpen, "breaker_open"},
	{sesguard.ErrQuotaExceeded, "quota_exceeded"},
	{sesguard.ErrStoreUnavailable, "store_unavailable"},
	{sesguard.ErrCheckFailed, "check_failed"},
	{sesguard.ErrInvalidMessage, "invalid_message"},
	{context.Canceled, "canceled"},
	{context.DeadlineExceeded, "deadline_exceeded"},
}

// errorType names err for the error.type attribute, with few distinct
// values (the semantic conventions ask for low cardinality): sesguard's
// error kinds, the context's, the error code of an AWS API error
// ("MessageRejected", "TooManyRequestsException", ...), else "_OTHER".
func errorType(err error) string {
	for _, e := range errorTypes {
		if errors.Is(err, e.err) {
			return e.name
		}
	}
	if api, ok := errors.AsType[smithy.APIError](err); ok {
		return api.ErrorCode()
	}
	return "_OTHER"
}
