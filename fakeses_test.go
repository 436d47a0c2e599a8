package sesguard_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
)

// fakeSES answers the SESv2 REST calls that sesguard makes, so that the
// tests drive the real *sesv2.Client over real HTTP. It records what SES
// would have received.
type fakeSES struct {
	srv *httptest.Server

	mu    sync.Mutex
	sends []wireSend
	bulks []wireBulk
	// fail, if set, makes SendEmail answer an error: it returns the HTTP
	// status, the error code for X-Amzn-ErrorType and the message, or a
	// zero status to succeed.
	fail func(wireSend) (status int, code, msg string)
}

type wireDestination struct {
	ToAddresses, CcAddresses, BccAddresses []string
}

type wireSend struct {
	FromEmailAddress string
	Destination      *wireDestination
	Content          struct {
		Raw *struct{ Data []byte }
	}
}

type wireBulk struct {
	BulkEmailEntries []struct{ Destination wireDestination }
}

func newFakeSES(t testing.TB) (*fakeSES, *sesv2.Client) {
	t.Helper()
	f, api := startFakeSES()
	t.Cleanup(f.srv.Close)
	return f, api
}

// startFakeSES starts a fakeSES and returns it with a real SES v2 client
// pointed at it. The caller closes f.srv.
func startFakeSES() (*fakeSES, *sesv2.Client) {
	f := &fakeSES{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v2/email/outbound-emails", f.sendEmail)
	mux.HandleFunc("POST /v2/email/outbound-bulk-emails", f.sendBulk)
	mux.HandleFunc("GET /v2/email/account", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `{"SendQuota":{"Max24HourSend":50000,"MaxSendRate":14,"SentLast24Hours":0},"SendingEnabled":true,"ProductionAccessEnabled":true,"EnforcementStatus":"HEALTHY"}`)
	})
	f.srv = httptest.NewServer(mux)
	api := sesv2.New(sesv2.Options{
		BaseEndpoint:     aws.String(f.srv.URL),
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		RetryMaxAttempts: 1,
	})
	return f, api
}

func (f *fakeSES) sendEmail(w http.ResponseWriter, r *http.Request) {
	var in wireSend
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		sesError(w, http.StatusBadRequest, "BadRequestException", err.Error())
		return
	}
	f.mu.Lock()
	fail := f.fail
	f.mu.Unlock()
	if fail != nil {
		if status, code, msg := fail(in); status != 0 {
			sesError(w, status, code, msg)
			return
		}
	}
	f.mu.Lock()
	f.sends = append(f.sends, in)
	n := len(f.sends)
	f.mu.Unlock()
	fmt.Fprintf(w, `{"MessageId":"fake-%d"}`, n)
}

func (f *fakeSES) sendBulk(w http.ResponseWriter, r *http.Request) {
	var in wireBulk
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		sesError(w, http.StatusBadRequest, "BadRequestException", err.Error())
		return
	}
	f.mu.Lock()
	f.bulks = append(f.bulks, in)
	f.mu.Unlock()
	type result struct{ Status, MessageId string }
	out := struct{ BulkEmailEntryResults []result }{}
	for i := range in.BulkEmailEntries {
		out.BulkEmailEntryResults = append(out.BulkEmailEntryResults, result{"SUCCESS", fmt.Sprintf("bulk-%d", i)})
	}
	_ = json.NewEncoder(w).Encode(out)
}

func sesError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}

func (f *fakeSES) sent() []wireSend {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]wireSend(nil), f.sends...)
}

func (f *fakeSES) bulkCalls() []wireBulk {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]wireBulk(nil), f.bulks...)
}

func (f *fakeSES) setFail(fn func(wireSend) (int, string, string)) {
	f.mu.Lock()
	f.fail = fn
	f.mu.Unlock()
}

// funcAPI is an in-process SESv2API made of funcs, for benchmarks that
// measure sesguard without HTTP.
type funcAPI struct {
	send func(context.Context, *sesv2.SendEmailInput) (*sesv2.SendEmailOutput, error)
}

func (f funcAPI) SendEmail(ctx context.Context, in *sesv2.SendEmailInput, _ ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
	return f.send(ctx, in)
}

func (f funcAPI) SendBulkEmail(context.Context, *sesv2.SendBulkEmailInput, ...func(*sesv2.Options)) (*sesv2.SendBulkEmailOutput, error) {
	return &sesv2.SendBulkEmailOutput{}, nil
}

func (f funcAPI) GetAccount(context.Context, *sesv2.GetAccountInput, ...func(*sesv2.Options)) (*sesv2.GetAccountOutput, error) {
	return &sesv2.GetAccountOutput{}, nil
}
