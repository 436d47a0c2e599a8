package sestest

import (
	"net/http"
	"net/url"
	"strings"
)

const suppressionPath = "/v2/email/suppression/addresses"

// route picks the operation and its handler for r by method and path, as
// the SES v2 REST API does.
func route(r *http.Request) (string, handler, *apiError) {
	path := r.URL.EscapedPath()
	switch {
	case path == "/v2/email/outbound-emails" && r.Method == http.MethodPost:
		return "SendEmail", (*Server).sendEmail, nil
	case path == "/v2/email/outbound-bulk-emails" && r.Method == http.MethodPost:
		return "SendBulkEmail", (*Server).sendBulkEmail, nil
	case path == "/v2/email/account" && r.Method == http.MethodGet:
		return "GetAccount", (*Server).getAccount, nil
	case path == "/v2/email/email-address-insights" && r.Method == http.MethodPost:
		return "GetEmailAddressInsights", (*Server).getEmailAddressInsights, nil
	case path == suppressionPath && r.Method == http.MethodPut:
		return "PutSuppressedDestination", (*Server).putSuppressedDestination, nil
	case path == suppressionPath && r.Method == http.MethodGet:
		return "ListSuppressedDestinations", (*Server).listSuppressedDestinations, nil
	case strings.HasPrefix(path, suppressionPath+"/") && (r.Method == http.MethodGet || r.Method == http.MethodDelete):
		addr, err := url.PathUnescape(strings.TrimPrefix(path, suppressionPath+"/"))
		if err != nil || addr == "" {
			return "", nil, badRequest("invalid EmailAddress in the request path")
		}
		if r.Method == http.MethodGet {
			return "GetSuppressedDestination", func(s *Server, w http.ResponseWriter, _ *http.Request, _ []byte) *apiError {
				return s.getSuppressedDestination(w, addr)
			}, nil
		}
		return "DeleteSuppressedDestination", func(s *Server, w http.ResponseWriter, _ *http.Request, _ []byte) *apiError {
			return s.deleteSuppressedDestination(w, addr)
		}, nil
	}
	return "", nil, &apiError{status: http.StatusBadRequest, code: "UnknownOperationException",
		message: "sestest does not emulate " + r.Method + " " + path}
}

// Fault is an error the server answers in SES's shape instead of handling
// a request: an HTTP status, the error code (the SDK's error type name, such
// as "MailFromDomainNotVerifiedException" or
// "InternalServiceErrorException") and a message.
type Fault struct {
	Status  int
	Code    string
	Message string
}

// SetFault makes the server consult fn before every operation, with the
// operation's name as in the SES API ("SendEmail", "SendBulkEmail",
// "GetAccount", ...) and the request body; when fn returns a Fault, the
// server answers it and does nothing else. A nil fn removes the hook. Use it
// for errors the emulated account cannot produce by itself. fn runs on the
// server's request goroutines and must not call the Server.
func (s *Server) SetFault(fn func(operation string, body []byte) *Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = fn
}

func (s *Server) injectedFault(op string, body []byte) *apiError {
	s.mu.Lock()
	fn := s.fault
	s.mu.Unlock()
	if fn == nil {
		return nil
	}
	f := fn(op, body)
	if f == nil {
		return nil
	}
	status := f.Status
	if status < 400 || status > 599 {
		status = http.StatusBadRequest
	}
	return &apiError{status: status, code: f.Code, message: f.Message}
}
