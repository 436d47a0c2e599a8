package sestest

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
)

// Options configures a [Server]. Every zero value is a documented default.
type Options struct {
	// Addr is the TCP address the server listens on. Default
	// "127.0.0.1:0", a free loopback port.
	Addr string

	// Region is the AWS region the server pretends to be in. It appears in
	// ARNs, in the SNS URLs and in error messages. Default "us-east-1".
	Region string

	// AccountID is the 12-digit AWS account id used in ARNs and in
	// mail.sendingAccountId. Default "123456789012".
	AccountID string

	// Account is the initial state of the SES account: quotas, sandbox,
	// verified identities, enforcement. See [Account] for its defaults. Change
	// it later with [Server.UpdateAccount].
	Account Account

	// Now is the clock. Quotas, the rate bucket, timestamps in notifications
	// and the suppression list all read it. Default time.Now. A test that
	// controls time passes a func reading its own clock.
	Now func() time.Time

	// SignatureVersion is the SNS SignatureVersion of every envelope: "1"
	// (SHA1withRSA, the SNS default) or "2" (SHA256withRSA). Default "1".
	SignatureVersion string

	// Mailboxes maps recipient addresses (compared case-insensitively) to
	// the [Outcome] their mail has, ahead of the mailbox simulator. Use it to
	// make an ordinary address bounce softly, complain or be delayed.
	// Change it later with [Server.SetMailbox].
	Mailboxes map[string]Outcome

	// Templates are the email templates SendEmail and SendBulkEmail may name,
	// keyed by name. A send naming a template not here fails with
	// NotFoundException.
	Templates map[string]Template

	// ConfigurationSets are the configuration sets that exist at start, each
	// with one event destination that publishes every event type to the
	// server's topic. A send naming a set that does not exist fails with
	// NotFoundException, as at SES. Add sets later with
	// [Server.SetConfigurationSet] or CreateConfigurationSet.
	ConfigurationSets []string

	// Identities are the sending identities that exist at start, beside
	// Account.VerifiedIdentities, with their DKIM and MAIL FROM state. Add
	// more later with [Server.SetIdentity] or CreateEmailIdentity.
	Identities []Identity

	// RequireSignature makes the server refuse, with SES's 403 errors, a
	// request that is not signed with AWS Signature Version 4 by one of
	// Credentials, so that a client's signing bug shows. Off by default:
	// any request is served.
	RequireSignature bool

	// Credentials maps the access key ids the server accepts to their
	// secret keys, for RequireSignature. Default: the one pair
	// [Server.Client] signs with, [AccessKeyID] and [SecretAccessKey].
	Credentials map[string]string

	// DeliveryRetries is how often an HTTP delivery that failed (status 5xx,
	// a 3xx, or no answer) is retried. SNS's default is 3. Default 3; a
	// negative value means no retries.
	DeliveryRetries int

	// DeliveryRetryDelay is the wait between HTTP delivery attempts. SNS
	// waits 20 seconds; the default here is 10ms so that tests run fast.
	DeliveryRetryDelay time.Duration

	// DeliveryTimeout bounds one HTTP delivery attempt, as SNS's 15 seconds
	// do. Default 15s.
	DeliveryTimeout time.Duration

	// Logger receives the server's diagnostics. Default: discard.
	Logger *slog.Logger
}

func (o *Options) setDefaults() error {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.AccountID == "" {
		o.AccountID = "123456789012"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	switch o.SignatureVersion {
	case "":
		o.SignatureVersion = "1"
	case "1", "2":
	default:
		return fmt.Errorf("sestest: SignatureVersion %q: want \"1\" or \"2\"", o.SignatureVersion)
	}
	if o.DeliveryRetries == 0 {
		o.DeliveryRetries = 3
	} else if o.DeliveryRetries < 0 {
		o.DeliveryRetries = 0
	}
	if o.DeliveryRetryDelay <= 0 {
		o.DeliveryRetryDelay = 10 * time.Millisecond
	}
	if o.DeliveryTimeout <= 0 {
		o.DeliveryTimeout = 15 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Credentials == nil {
		o.Credentials = map[string]string{AccessKeyID: SecretAccessKey}
	}
	return o.Account.validate()
}

// Server is an in-process emulator of the SES v2 API and of the SNS topic
// SES publishes its notifications to. Create one with [NewServer] or
// [RunT]; stop it with [Server.Close].
//
// A Server is safe for concurrent use by multiple goroutines.
type Server struct {
	opts     Options
	now      func() time.Time
	log      *slog.Logger
	listener net.Listener
	http     *http.Server
	connMu   sync.Mutex
	newConns map[net.Conn]struct{} // connections in http.StateNew
	url      string
	signer   *signer
	ids      idSource

	mu            sync.Mutex
	account       Account
	bucket        bucket
	window        window
	counters      counters
	mailboxes     map[string]Outcome
	templates     map[string]Template
	suppressed    map[string]*suppressedDestination
	identities    map[string]*Identity
	configSets    map[string]*configSet
	messages      []Message
	notifications []*Notification
	autoReplies   []AutoReply
	subs          []*Subscription
	published     chan struct{} // closed and replaced on every publish
	fault         func(operation string, body []byte) *Fault

	done    chan struct{}
	workers sync.WaitGroup
	closed  atomic.Bool
}

// NewServer starts a Server listening on [Options.Addr], a free loopback
// port by default. The server makes
// its self-signed SNS signing certificate when it first signs; the RSA key
// behind it is generated once per process and shared by every Server in it.
func NewServer(optFns ...func(*Options)) (*Server, error) {
	var o Options
	for _, fn := range optFns {
		fn(&o)
	}
	if err := o.setDefaults(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("sestest: listen on %s: %w", o.Addr, err)
	}
	s := &Server{
		opts:       o,
		now:        o.Now,
		log:        o.Logger,
		listener:   ln,
		url:        "http://" + ln.Addr().String(),
		signer:     newSigner(o.Region),
		ids:        newIDSource(),
		account:    o.Account.withDefaults(),
		mailboxes:  make(map[string]Outcome, len(o.Mailboxes)),
		templates:  make(map[string]Template, len(o.Templates)),
		suppressed: make(map[string]*suppressedDestination),
		identities: make(map[string]*Identity),
		configSets: make(map[string]*configSet),
		published:  make(chan struct{}),
		done:       make(chan struct{}),
	}
	for addr, out := range o.Mailboxes {
		s.mailboxes[canonicalKey(addr)] = out
	}
	for name, t := range o.Templates {
		s.templates[name] = t
	}
	for _, name := range o.ConfigurationSets {
		s.configSets[name] = &configSet{name: name, destinations: []*EventDestination{ptr(s.defaultDestination())}}
	}
	for _, id := range o.Identities {
		id = id.withDefaults()
		s.identities[id.Name] = &id
	}
	s.bucket.reset(s.account.rate(), s.now())
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(o.Logger.Handler(), slog.LevelWarn),
		ConnState:         s.trackConn,
	}
	s.workers.Add(1)
	go func() {
		defer s.workers.Done()
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("sestest: serve", "err", err)
		}
	}()
	return s, nil
}

// RunT starts a Server for the test tb and closes it when tb ends. It
// fails tb if the server cannot start.
func RunT(tb testing.TB, optFns ...func(*Options)) *Server {
	tb.Helper()
	s, err := NewServer(optFns...)
	if err != nil {
		tb.Fatalf("sestest: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Close stops the HTTP server and every delivery goroutine, and waits for
// them. Notifications still queued are dropped. Channels given to
// [Server.SubscribeChan] are not closed. Close may be called more than once.
func (s *Server) Close() {
	if !s.closed.CompareAndSwap(false, true) {
		return
	}
	close(s.done)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.closeUnusedConns()
	if err := s.http.Shutdown(ctx); err != nil {
		_ = s.http.Close()
	}
	s.workers.Wait()
}

// trackConn remembers the connections that have not sent a request yet.
// http.Server.Shutdown waits five seconds before it counts such a connection
// as idle, so Close closes them itself.
func (s *Server) trackConn(c net.Conn, state http.ConnState) {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	if state == http.StateNew {
		if s.newConns == nil {
			s.newConns = make(map[net.Conn]struct{})
		}
		s.newConns[c] = struct{}{}
	} else {
		delete(s.newConns, c)
	}
}

func (s *Server) closeUnusedConns() {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	for c := range s.newConns {
		_ = c.Close()
	}
}

// URL is the server's base URL, "http://127.0.0.1:<port>": the BaseEndpoint
// of an SES v2 client.
func (s *Server) URL() string { return s.url }

// Region is the region the server reports.
func (s *Server) Region() string { return s.opts.Region }

// Client returns a new *sesv2.Client that talks to the server: BaseEndpoint
// set to [Server.URL], static credentials, the server's region. optFns are
// applied last and may change anything.
//
// The client keeps the SDK's standard retryer: TooManyRequestsException
// (429) is a throttle the SDK retries up to 3 attempts with backoff, so a
// throttled call returns late and the server counts every attempt. A test
// that wants to see each throttle raw passes [NoRetries].
func (s *Server) Client(optFns ...func(*sesv2.Options)) *sesv2.Client {
	base := []func(*sesv2.Options){func(o *sesv2.Options) {
		o.BaseEndpoint = aws.String(s.url)
		o.Region = s.opts.Region
		o.Credentials = credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, "")
	}}
	return sesv2.New(sesv2.Options{}, append(base, optFns...)...)
}

// AccessKeyID and SecretAccessKey are the credentials [Server.Client]
// signs with, and the ones a server with RequireSignature accepts unless
// [Options.Credentials] says otherwise.
const (
	AccessKeyID     = "AKIASESTEST000000000"
	SecretAccessKey = "sestest-secret"
)

func ptr[T any](v T) *T { return &v }

// NoRetries is an option for [Server.Client] (or sesv2.New) that turns the
// SDK's retries off, so that a throttle or any other error reaches the
// caller on the first attempt.
func NoRetries(o *sesv2.Options) { o.RetryMaxAttempts = 1 }

// ServeHTTP answers one SES v2 API request. Requests to paths the server
// does not emulate get an UnknownOperationException in SES's error shape.
// Paths under /sestest/ are the server's own control endpoints, for test
// suites outside the Go process (see "Running as a server" in the package
// documentation).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("sestest: handler panic", "panic", v, "method", r.Method, "path", r.URL.Path)
			writeError(w, &apiError{status: http.StatusInternalServerError, code: "InternalServiceErrorException", message: "sestest: internal error"})
		}
	}()
	if strings.HasPrefix(r.URL.Path, controlPrefix) {
		s.serveControl(w, r)
		return
	}
	w.Header().Set("x-amzn-RequestId", s.ids.uuid())
	op, params, err := route(r)
	if err != nil {
		writeError(w, err)
		return
	}
	body, err := readBody(r)
	if err == nil {
		err = s.authenticate(r, body)
	}
	if err == nil {
		err = s.injectedFault(op.name, body)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	if err := op.handle(s, w, r, body, params); err != nil {
		writeError(w, err)
	}
}

// maxRequestBody bounds what the server reads of one request: a 10 MB raw
// message, base64-encoded, inside its JSON.
const maxRequestBody = 16 << 20

func readBody(r *http.Request) ([]byte, *apiError) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil {
		return nil, badRequest("could not read the request body: %v", err)
	}
	if len(body) > maxRequestBody {
		return nil, messageTooLong(-1)
	}
	return body, nil
}

var _ interface {
	Certificate(ctx context.Context, certURL string) (*x509.Certificate, error)
} = (*Server)(nil)
