package sestest

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// SNSHTTPClient returns an *http.Client whose transport answers, in
// process, the requests a webhook makes to SNS: a GET of
// [Server.SigningCertURL] returns the certificate PEM; a GET of a
// SubscribeURL confirms that subscription and answers a
// ConfirmSubscriptionResponse XML document as SNS does; a GET of an
// UnsubscribeURL ends the subscription. It refuses requests to any other
// host, so code under test given this client cannot reach the network.
func (s *Server) SNSHTTPClient() *http.Client {
	return &http.Client{Transport: snsTransport{s}}
}

type snsTransport struct{ s *Server }

func (t snsTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
	s := t.s
	if req.URL.Scheme != "https" || req.URL.Host != s.signer.host {
		return nil, fmt.Errorf("sestest: the SNS client only answers https://%s, not %s://%s", s.signer.host, req.URL.Scheme, req.URL.Host)
	}
	if req.Method != http.MethodGet && req.Method != http.MethodPost {
		return snsError(req, http.StatusMethodNotAllowed, "InvalidAction", "Unsupported method "+req.Method), nil
	}
	if req.URL.Path == s.signer.certPath() {
		if err := s.signer.load(); err != nil {
			return nil, err
		}
		return response(req, http.StatusOK, "application/x-x509-ca-cert", s.signer.certPEM), nil
	}
	if req.URL.Path != "/" && req.URL.Path != "" {
		return snsError(req, http.StatusNotFound, "NotFound", "Not Found"), nil
	}
	q := req.URL.Query()
	switch q.Get("Action") {
	case "ConfirmSubscription":
		if q.Get("TopicArn") != s.TopicARN() {
			return snsError(req, http.StatusNotFound, "NotFound", "Topic does not exist"), nil
		}
		sub := s.subscriptionBy(func(sub *Subscription) bool { return sub.confirm(q.Get("Token")) })
		if sub == nil {
			return snsError(req, http.StatusBadRequest, "InvalidParameter", "Invalid token"), nil
		}
		body := fmt.Sprintf(`<ConfirmSubscriptionResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
  <ConfirmSubscriptionResult>
    <SubscriptionArn>%s</SubscriptionArn>
  </ConfirmSubscriptionResult>
  <ResponseMetadata>
    <RequestId>%s</RequestId>
  </ResponseMetadata>
</ConfirmSubscriptionResponse>`, sub.arn, s.ids.uuid())
		return response(req, http.StatusOK, "text/xml", []byte(body)), nil
	case "Unsubscribe":
		arn := q.Get("SubscriptionArn")
		sub := s.subscriptionBy(func(sub *Subscription) bool { return sub.arn == arn })
		if sub == nil {
			return snsError(req, http.StatusNotFound, "NotFound", "Subscription does not exist"), nil
		}
		sub.unsubscribe(s.now())
		body := fmt.Sprintf(`<UnsubscribeResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
  <ResponseMetadata>
    <RequestId>%s</RequestId>
  </ResponseMetadata>
</UnsubscribeResponse>`, s.ids.uuid())
		return response(req, http.StatusOK, "text/xml", []byte(body)), nil
	}
	return snsError(req, http.StatusBadRequest, "InvalidAction", "The action "+q.Get("Action")+" is not valid for this endpoint."), nil
}

func (sg *signer) certPath() string { return sg.certURL[len("https://")+len(sg.host):] }

// subscriptionBy returns the first subscription for which match is true.
func (s *Server) subscriptionBy(match func(*Subscription) bool) *Subscription {
	s.mu.Lock()
	subs := append([]*Subscription(nil), s.subs...)
	s.mu.Unlock()
	for _, sub := range subs {
		if match(sub) {
			return sub
		}
	}
	return nil
}

func response(req *http.Request, status int, contentType string, body []byte) *http.Response {
	h := make(http.Header)
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	return &http.Response{
		Status:        strconv.Itoa(status) + " " + http.StatusText(status),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}
}

// snsError answers in SNS's XML error shape.
func snsError(req *http.Request, status int, code, message string) *http.Response {
	body := fmt.Sprintf(`<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
  <Error>
    <Type>Sender</Type>
    <Code>%s</Code>
    <Message>%s</Message>
  </Error>
</ErrorResponse>`, code, xmlEscape(message))
	return response(req, status, "text/xml", []byte(body))
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
