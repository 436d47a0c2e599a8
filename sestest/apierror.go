package sestest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// apiError is an error in SES v2's wire shape: an HTTP status, the error
// code in the X-Amzn-ErrorType header, and {"message": ...} in the body. The
// SDK turns the code into its typed error (*types.MessageRejected, ...).
type apiError struct {
	status  int
	code    string
	message string
	bulk    string // the status of a SendBulkEmail entry that meets this error, "" to derive it from code
}

// bulkStatus is the BulkEmailStatus of an entry that met e.
func (e *apiError) bulkStatus() string {
	switch {
	case e.bulk != "":
		return e.bulk
	case e.code == "MessageRejected":
		return "MESSAGE_REJECTED"
	case e.code == "BadRequestException":
		return "INVALID_PARAMETER"
	}
	return "FAILED"
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func writeError(w http.ResponseWriter, e *apiError) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-ErrorType", e.code)
	body, _ := json.Marshal(struct {
		Message string `json:"message"`
	}{e.message})
	w.WriteHeader(e.status)
	_, _ = w.Write(body)
}

func writeJSON(w http.ResponseWriter, v any) *apiError {
	body, err := json.Marshal(v)
	if err != nil {
		return &apiError{status: http.StatusInternalServerError, code: "InternalServiceErrorException", message: "sestest: encode response: " + err.Error()}
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
	return nil
}

func badRequest(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "BadRequestException", message: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *apiError {
	return &apiError{status: http.StatusNotFound, code: "NotFoundException", message: fmt.Sprintf(format, args...)}
}

func messageRejected(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "MessageRejected", message: fmt.Sprintf(format, args...)}
}

// maxRawMessage is SES's limit on a raw message: 10 MB.
const maxRawMessage = 10 << 20

// messageTooLong is SES's answer to a raw message over 10 MB; n < 0 when
// the size is not known because the request was cut off.
func messageTooLong(n int) *apiError {
	if n < 0 {
		return messageRejected("Message length is more than %d bytes long.", maxRawMessage)
	}
	return messageRejected("Message length is more than %d bytes long: '%d'.", maxRawMessage, n)
}

func notVerified(region string, identities []string) *apiError {
	return messageRejected("Email address is not verified. The following identities failed the check in region %s: %s",
		strings.ToUpper(region), strings.Join(identities, ", "))
}

var (
	errMaxSendRate = &apiError{status: http.StatusTooManyRequests, code: "TooManyRequestsException", message: "Maximum sending rate exceeded.", bulk: "ACCOUNT_THROTTLED"}
	errDailyQuota  = &apiError{status: http.StatusTooManyRequests, code: "TooManyRequestsException", message: "Daily message quota exceeded.", bulk: "ACCOUNT_DAILY_QUOTA_EXCEEDED"}
	errPaused      = &apiError{status: http.StatusBadRequest, code: "SendingPausedException", message: "The message can't be sent because the account's ability to send email is currently paused.", bulk: "ACCOUNT_SENDING_PAUSED"}
	errSuspended   = &apiError{status: http.StatusBadRequest, code: "AccountSuspendedException", message: "The message can't be sent because the account's ability to send email has been permanently restricted.", bulk: "ACCOUNT_SUSPENDED"}
)
