package sestest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
)

// The control endpoints under /sestest/, which a test suite in any
// language uses over HTTP to do what a Go test does with the Server's
// methods. They are not SES operations and need no signature.

const controlPrefix = "/sestest/"

// CertificatePath is the path on the server's URL where it serves its SNS
// signing certificate (PEM), for verifiers outside the Go process.
const CertificatePath = controlPrefix + "signing-cert.pem"

func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case CertificatePath:
		if err := s.signer.load(); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/x-pem-file")
		_, _ = w.Write(s.signer.certPEM)
	case controlPrefix + "sns":
		s.serveSNSAction(w, r)
	case controlPrefix + "subscriptions":
		s.serveSubscribe(w, r)
	case controlPrefix + "notifications":
		s.serveNotifications(w)
	default:
		http.NotFound(w, r)
	}
}

// serveSNSAction answers the SubscribeURL and UnsubscribeURL actions
// (?Action=ConfirmSubscription&TopicArn=...&Token=...) as SNS does, for an
// endpoint that rewrites sns.<region>.amazonaws.com to this server.
func (s *Server) serveSNSAction(w http.ResponseWriter, r *http.Request) {
	u := url.URL{Scheme: "https", Host: s.signer.host, Path: "/", RawQuery: r.URL.RawQuery}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, u.String(), nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	resp, err := snsTransport{s}.RoundTrip(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// subscribeRequest is the body of POST /sestest/subscriptions.
type subscribeRequest struct {
	Endpoint           string `json:"Endpoint"`
	RawMessageDelivery bool   `json:"RawMessageDelivery"`
	Confirmed          bool   `json:"Confirmed"`
}

func (s *Server) serveSubscribe(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST a JSON object {\"Endpoint\": URL, \"RawMessageDelivery\": bool, \"Confirmed\": bool}", http.StatusMethodNotAllowed)
		return
	}
	var req subscribeRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req); err != nil {
		http.Error(w, "bad JSON: "+err.Error(), http.StatusBadRequest)
		return
	}
	sub, err := s.Subscribe(req.Endpoint, func(o *SubscribeOptions) {
		o.RawMessageDelivery, o.Confirmed = req.RawMessageDelivery, req.Confirmed
	})
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	_ = writeJSON(w, struct {
		SubscriptionArn string `json:"SubscriptionArn"`
	}{sub.ARN()})
}

// notificationView is one notification as GET /sestest/notifications
// lists it.
type notificationView struct {
	ID               string   `json:"Id"`
	Format           Format   `json:"Format"`
	Type             string   `json:"Type"`
	MessageID        string   `json:"MessageId"`
	ConfigurationSet string   `json:"ConfigurationSet,omitempty"`
	Recipients       []string `json:"Recipients"`
	Message          string   `json:"Message"`
}

func (s *Server) serveNotifications(w http.ResponseWriter) {
	ns := s.Notifications()
	out := make([]notificationView, len(ns))
	for i, n := range ns {
		out[i] = notificationView{ID: n.ID, Format: n.Format, Type: n.Type, MessageID: n.MessageID,
			ConfigurationSet: n.ConfigurationSet, Recipients: n.Recipients, Message: string(n.Message)}
	}
	_ = writeJSON(w, struct {
		Notifications []notificationView `json:"Notifications"`
	}{out})
}
