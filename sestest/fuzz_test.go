package sestest_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sesguard/sesguard/sestest"
)

// fuzzServer is shared by a fuzz target's iterations: its limits never
// interfere, so every input reaches the request decoding.
func fuzzServer(f *testing.F) *sestest.Server {
	f.Helper()
	srv, err := sestest.NewServer(func(o *sestest.Options) {
		o.Account.MaxSendRate = 1e12
		o.Account.Max24HourSend = -1
		o.Templates = map[string]sestest.Template{"T": {Subject: "{{a}}", Text: "{{b.c}}"}}
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(srv.Close)
	return srv
}

// checkAnswer asserts SES's contract for any input: never a 5xx; an error
// carries X-Amzn-ErrorType and {"message": ...}; a success is JSON.
func checkAnswer(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if rec.Code >= 300 {
		var e map[string]any
		if rec.Header().Get("X-Amzn-ErrorType") == "" || json.Unmarshal(rec.Body.Bytes(), &e) != nil || e["message"] == "" || len(e) != 1 {
			t.Fatalf("error not in SES's shape: %d %v %s", rec.Code, rec.Header(), rec.Body)
		}
		return
	}
	if rec.Body.Len() > 0 && !json.Valid(rec.Body.Bytes()) {
		t.Fatalf("success is not JSON: %s", rec.Body)
	}
}

// FuzzSendEmail feeds arbitrary bodies to SendEmail and SendBulkEmail.
func FuzzSendEmail(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/sesv2/send-email-request-*.json")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(false, b)
	}
	f.Add(true, []byte(`{"FromEmailAddress":"a@b.c","DefaultContent":{"Template":{"TemplateName":"T","TemplateData":"{\"a\":1}"}},"BulkEmailEntries":[{"Destination":{"ToAddresses":["x@y.z"]}}]}`))
	srv := fuzzServer(f)
	f.Fuzz(func(t *testing.T, bulk bool, body []byte) {
		path := "/v2/email/outbound-emails"
		if bulk {
			path = "/v2/email/outbound-bulk-emails"
		}
		before := len(srv.Messages())
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, strings.NewReader(string(body))))
		checkAnswer(t, rec)
		after := srv.Messages()
		if rec.Code != http.StatusOK && len(after) != before {
			t.Fatalf("a refused request recorded %d messages", len(after)-before)
		}
		for _, m := range after[before:] {
			if n := len(m.Recipients); n < 1 || n > 50 {
				t.Fatalf("accepted a message with %d recipients", n)
			}
		}
	})
}

// FuzzSuppressionRequests feeds arbitrary paths, queries and bodies to the
// suppression list operations and to unknown routes.
func FuzzSuppressionRequests(f *testing.F) {
	f.Add(uint8(0), "/v2/email/suppression/addresses", "", `{"EmailAddress":"a@example.com","Reason":"BOUNCE"}`)
	f.Add(uint8(1), "/v2/email/suppression/addresses", "Reason=BOUNCE&PageSize=2&StartDate=2024-01-01T00:00:00Z", "")
	f.Add(uint8(1), "/v2/email/suppression/addresses/a%40example.com", "", "")
	f.Add(uint8(2), "/v2/email/suppression/addresses/a%40example.com", "", "")
	f.Add(uint8(1), "/v2/email/suppression/addresses", "NextToken=YQ", "")
	f.Add(uint8(3), "/v2/email/email-address-insights", "", `{"EmailAddress":"x@y"}`)
	srv := fuzzServer(f)
	methods := []string{http.MethodPut, http.MethodGet, http.MethodDelete, http.MethodPost}
	f.Fuzz(func(t *testing.T, method uint8, path, query, body string) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		req := httptest.NewRequest(methods[int(method)%len(methods)], "/", strings.NewReader(body))
		req.URL.Path, req.URL.RawPath, req.URL.RawQuery = path, "", query
		if esc := req.URL.EscapedPath(); strings.ContainsAny(esc, " ") {
			t.Skip()
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		checkAnswer(t, rec)
	})
}
