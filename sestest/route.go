package sestest

import (
	"net/http"
	"net/url"
	"strings"
)

const suppressionPath = "/v2/email/suppression/addresses"

// route picks the handler for r by method and path, as the SES v2 REST API
// does.
func route(r *http.Request) (handler, *apiError) {
	path := r.URL.EscapedPath()
	var h handler
	switch {
	case path == "/v2/email/outbound-emails" && r.Method == http.MethodPost:
		h = (*Server).sendEmail
	case path == "/v2/email/outbound-bulk-emails" && r.Method == http.MethodPost:
		h = (*Server).sendBulkEmail
	case path == "/v2/email/account" && r.Method == http.MethodGet:
		h = (*Server).getAccount
	case path == "/v2/email/email-address-insights" && r.Method == http.MethodPost:
		h = (*Server).getEmailAddressInsights
	case path == suppressionPath && r.Method == http.MethodPut:
		h = (*Server).putSuppressedDestination
	case path == suppressionPath && r.Method == http.MethodGet:
		h = (*Server).listSuppressedDestinations
	case strings.HasPrefix(path, suppressionPath+"/") && (r.Method == http.MethodGet || r.Method == http.MethodDelete):
		addr, err := url.PathUnescape(strings.TrimPrefix(path, suppressionPath+"/"))
		if err != nil || addr == "" {
			return nil, badRequest("invalid EmailAddress in the request path")
		}
		if r.Method == http.MethodGet {
			h = func(s *Server, w http.ResponseWriter, _ *http.Request, _ []byte) *apiError {
				return s.getSuppressedDestination(w, addr)
			}
		} else {
			h = func(s *Server, w http.ResponseWriter, _ *http.Request, _ []byte) *apiError {
				return s.deleteSuppressedDestination(w, addr)
			}
		}
	default:
		return nil, &apiError{status: http.StatusBadRequest, code: "UnknownOperationException",
			message: "sestest does not emulate " + r.Method + " " + path}
	}
	return h, nil
}
