// Command quickstart shows sesguard's whole loop offline, in one command:
//
//	go run ./examples/quickstart
//
// It needs no AWS account, no network and no services. It starts sestest, an
// in-process SES emulator with AWS's mailbox simulator, and a sesguard Client
// around the real SES v2 SDK client pointed at it. It serves the Client's SNS
// webhook on a loopback port and subscribes it to the emulator's
// notification topic, with signature verification on. Then it mails the
// simulator's success, bounce, complaint and suppression-list addresses,
// waits for the signed notifications SES sends back, and mails the same
// addresses again: this time sesguard refuses the dead ones before SES sees
// them, and says why.
//
// It prints an account of each step and exits 0, or exits 1 with the step
// that misbehaved.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/sestest"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart failed:", err)
		os.Exit(1)
	}
}

// The mailbox simulator's addresses, and what each should end as.
var simulator = []struct {
	addr       string
	suppressed bool
}{
	{"success@simulator.amazonses.com", false},
	{"bounce@simulator.amazonses.com", true},
	{"complaint@simulator.amazonses.com", true},
	{"suppressionlist@simulator.amazonses.com", true},
}

// notificationsPerRound is what SES sends for one message to each simulator
// address: a Delivery, a Bounce, a Delivery and a Complaint, a Bounce.
const notificationsPerRound = 5

func run(ctx context.Context, w io.Writer) error {
	say := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }

	say("1. Starting sestest, an SES v2 + SNS emulator, on loopback.")
	ses, err := sestest.NewServer()
	if err != nil {
		return fmt.Errorf("start the emulator: %w", err)
	}
	defer ses.Close()
	say("   SES endpoint %s, notification topic %s", ses.URL(), ses.TopicARN())

	say("2. Creating a sesguard Client around the real SES v2 SDK client (in-memory suppression list).")
	var mu sync.Mutex
	var decisions []sesguard.Decision
	client, err := sesguard.New(ses.Client(), func(o *sesguard.Options) {
		o.Policy.OnDecision = func(_ context.Context, d sesguard.Decision) {
			mu.Lock()
			decisions = append(decisions, d)
			mu.Unlock()
		}
	})
	if err != nil {
		return fmt.Errorf("create the client: %w", err)
	}
	defer client.Close()

	say("3. Serving the SNS webhook and subscribing it to the topic; every message's signature is verified.")
	handler, err := client.SNSHandler(func(o *sesguard.HandlerOptions) {
		// Only the topic that carries this account's notifications may
		// post: without an allow-list SNSHandler refuses to start.
		o.SNS.TopicARNs = []string{ses.TopicARN()}
		// In production the handler fetches SNS's signing certificate
		// over https and this line is absent. Here the emulator answers
		// for sns.<region>.amazonaws.com in process.
		o.SNS.HTTPClient = ses.SNSHTTPClient()
	})
	if err != nil {
		return fmt.Errorf("build the SNS handler: %w", err)
	}
	webhook, err := serve(handler)
	if err != nil {
		return err
	}
	defer webhook.Close()
	sub, err := ses.Subscribe(webhook.url + "/sns")
	if err != nil {
		return fmt.Errorf("subscribe the webhook: %w", err)
	}
	if err := sub.WaitConfirmed(ctx); err != nil {
		return fmt.Errorf("the webhook did not confirm its subscription: %w", err)
	}
	say("   %s confirmed the subscription after checking its signature.", webhook.url+"/sns")

	say("4. Sending one message to each mailbox-simulator address.")
	for _, s := range simulator {
		out, err := client.Send(ctx, message(s.addr))
		if err != nil {
			return fmt.Errorf("first send to %s: %w", s.addr, err)
		}
		say("   %-40s accepted by SES as %s", s.addr, aws.ToString(out.MessageId))
	}

	say("5. Waiting for SES's notifications to reach the webhook.")
	if err := sub.Wait(ctx, notificationsPerRound); err != nil {
		return fmt.Errorf("waiting for notifications: %w", err)
	}
	for _, d := range sub.Deliveries() {
		if d.StatusCode != http.StatusOK {
			return fmt.Errorf("the webhook answered %d to %s %s: %v", d.StatusCode, d.Type, d.MessageID, d.Err)
		}
	}
	mu.Lock()
	for _, d := range decisions {
		say("   %-40s %-10s → %s (%s)", d.Address, d.Record.Type, d.Action, d.Why)
	}
	mu.Unlock()

	say("6. Sending the same addresses again, in one message.")
	accepted := len(ses.Messages())
	all := make([]string, len(simulator))
	for i, s := range simulator {
		all[i] = s.addr
	}
	out, err := client.Send(ctx, message(all...))
	if err != nil {
		return fmt.Errorf("second send: %w", err)
	}
	msgs := ses.Messages()
	if len(msgs) != accepted+1 {
		return fmt.Errorf("SES accepted %d messages for the second send, want 1", len(msgs)-accepted)
	}
	got := msgs[len(msgs)-1].Recipients
	say("   SES received it for: %s", strings.Join(got, ", "))
	skipped := sesguard.SkippedRecipients(out.ResultMetadata)
	for _, s := range skipped {
		say("   refused before SES:  %-40s %s: %s", s.Recipient, s.Reason, s.Detail)
	}
	for _, s := range simulator {
		mailed := slices.Contains(got, s.addr)
		if mailed == s.suppressed {
			return fmt.Errorf("%s: mailed=%v on the second send, want %v", s.addr, mailed, !s.suppressed)
		}
	}
	if len(skipped) != 3 {
		return fmt.Errorf("%d recipients reported skipped, want 3", len(skipped))
	}

	say("7. A message to a suppressed address alone is not sent at all:")
	_, err = client.Send(ctx, message("bounce@simulator.amazonses.com"))
	if !errors.Is(err, sesguard.ErrSuppressed) {
		return fmt.Errorf("send to bounce@ alone: got %v, want ErrSuppressed", err)
	}
	say("   %v", err)

	say("Done: SES accepted %d messages; sesguard kept %d dead recipients out of step 6 and refused step 7 outright.",
		len(ses.Messages()), len(skipped))
	return nil
}

func message(to ...string) *sesv2.SendEmailInput {
	return &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("app@example.com"),
		Destination:      &types.Destination{ToAddresses: to},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String("Welcome to the quickstart")},
			Body:    &types.Body{Text: &types.Content{Data: aws.String("Hello from sesguard.")}},
		}},
	}
}

// webhookServer is the SNS endpoint on a loopback port.
type webhookServer struct {
	url string
	srv *http.Server
}

func serve(h http.Handler) (*webhookServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the webhook: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /sns", h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return &webhookServer{url: "http://" + ln.Addr().String(), srv: srv}, nil
}

func (w *webhookServer) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = w.srv.Shutdown(ctx)
}
