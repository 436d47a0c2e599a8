package sestest

import (
	"net/http"
	"net/url"
	"strings"
)

const suppressionPath = "/v2/email/suppression/addresses"

// operation is one SES v2 operation the server emulates: its name, and the
// handler that answers it with the path parameters already unescaped.
type operation struct {
	name   string
	handle func(s *Server, w http.ResponseWriter, r *http.Request, body []byte, params []string) *apiError
}

// routes maps "METHOD /path/pattern" to an operation; "{}" in a pattern
// matches one path segment, handed to the handler unescaped.
var routes = map[string]operation{
	"POST /v2/email/outbound-emails":        {"SendEmail", plain((*Server).sendEmail)},
	"POST /v2/email/outbound-bulk-emails":   {"SendBulkEmail", plain((*Server).sendBulkEmail)},
	"GET /v2/email/account":                 {"GetAccount", plain((*Server).getAccount)},
	"PUT /v2/email/account/suppression":     {"PutAccountSuppressionAttributes", plain((*Server).putAccountSuppressionAttributes)},
	"POST /v2/email/email-address-insights": {"GetEmailAddressInsights", plain((*Server).getEmailAddressInsights)},
	"PUT " + suppressionPath:                {"PutSuppressedDestination", plain((*Server).putSuppressedDestination)},
	"GET " + suppressionPath:                {"ListSuppressedDestinations", plain((*Server).listSuppressedDestinations)},
	"GET " + suppressionPath + "/{}":        {"GetSuppressedDestination", (*Server).getSuppressedDestination},
	"DELETE " + suppressionPath + "/{}":     {"DeleteSuppressedDestination", (*Server).deleteSuppressedDestination},

	"POST /v2/email/identities":      {"CreateEmailIdentity", plain((*Server).createEmailIdentity)},
	"GET /v2/email/identities":       {"ListEmailIdentities", plain((*Server).listEmailIdentities)},
	"POST /v2/email/list-identities": {"ListEmailIdentities", plain((*Server).listEmailIdentities)},
	"GET /v2/email/identities/{}":    {"GetEmailIdentity", (*Server).getEmailIdentity},
	"DELETE /v2/email/identities/{}": {"DeleteEmailIdentity", (*Server).deleteEmailIdentity},

	"POST /v2/email/configuration-sets":                            {"CreateConfigurationSet", plain((*Server).createConfigurationSet)},
	"GET /v2/email/configuration-sets":                             {"ListConfigurationSets", plain((*Server).listConfigurationSets)},
	"POST /v2/email/list-configuration-sets":                       {"ListConfigurationSets", plain((*Server).listConfigurationSets)},
	"GET /v2/email/configuration-sets/{}":                          {"GetConfigurationSet", (*Server).getConfigurationSet},
	"DELETE /v2/email/configuration-sets/{}":                       {"DeleteConfigurationSet", (*Server).deleteConfigurationSet},
	"POST /v2/email/configuration-sets/{}/event-destinations":      {"CreateConfigurationSetEventDestination", (*Server).createEventDestination},
	"GET /v2/email/configuration-sets/{}/event-destinations":       {"GetConfigurationSetEventDestinations", (*Server).getEventDestinations},
	"DELETE /v2/email/configuration-sets/{}/event-destinations/{}": {"DeleteConfigurationSetEventDestination", (*Server).deleteEventDestination},

	"POST /v2/email/templates":      {"CreateEmailTemplate", plain((*Server).createEmailTemplate)},
	"GET /v2/email/templates":       {"ListEmailTemplates", plain((*Server).listEmailTemplates)},
	"GET /v2/email/templates/{}":    {"GetEmailTemplate", (*Server).getEmailTemplate},
	"PUT /v2/email/templates/{}":    {"UpdateEmailTemplate", (*Server).updateEmailTemplate},
	"DELETE /v2/email/templates/{}": {"DeleteEmailTemplate", (*Server).deleteEmailTemplate},
}

// plain adapts a handler that takes no path parameters.
func plain(h func(s *Server, w http.ResponseWriter, r *http.Request, body []byte) *apiError) func(*Server, http.ResponseWriter, *http.Request, []byte, []string) *apiError {
	return func(s *Server, w http.ResponseWriter, r *http.Request, body []byte, _ []string) *apiError {
		return h(s, w, r, body)
	}
}

// route picks the operation for r by method and path, as the SES v2 REST
// API does, and unescapes its path parameters. A request for anything
// else answers 404 UnknownOperationException, as SES does.
func route(r *http.Request) (operation, []string, *apiError) {
	segments := strings.Split(r.URL.EscapedPath(), "/")
	for key, op := range routes {
		method, pattern, _ := strings.Cut(key, " ")
		if method != r.Method {
			continue
		}
		params, ok, err := match(strings.Split(pattern, "/"), segments)
		if err != nil {
			return operation{}, nil, err
		}
		if ok {
			return op, params, nil
		}
	}
	return operation{}, nil, unknownOperation()
}

// match matches path segments against a pattern's and returns the
// unescaped parameters.
func match(pattern, segments []string) ([]string, bool, *apiError) {
	if len(pattern) != len(segments) {
		return nil, false, nil
	}
	var params []string
	for i, p := range pattern {
		if p != "{}" {
			if p != segments[i] {
				return nil, false, nil
			}
			continue
		}
		v, err := url.PathUnescape(segments[i])
		if err != nil || v == "" {
			return nil, false, badRequest("invalid path parameter %q", truncate(segments[i], 64))
		}
		params = append(params, v)
	}
	return params, true, nil
}

func unknownOperation() *apiError {
	return &apiError{status: http.StatusNotFound, code: "UnknownOperationException", message: "The requested operation is not recognized by the service, or sestest does not emulate it."}
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
