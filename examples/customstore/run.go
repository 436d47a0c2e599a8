package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/sestest"
	"github.com/sesguard/sesguard/store"
)

// recipients are the mailbox simulator's addresses the demo mails.
var recipients = []string{
	"success@simulator.amazonses.com",
	"bounce@simulator.amazonses.com",
	"complaint@simulator.amazonses.com",
}

// run sends through a Client backed by a FileStore at path (a temporary
// file when path is empty), applies what SES reports, and shows that a
// reopened file still refuses the dead addresses.
func run(ctx context.Context, w io.Writer, path string) error {
	if path == "" {
		dir, err := os.MkdirTemp("", "customstore")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "suppressions.jsonl")
	}
	ses, err := sestest.NewServer()
	if err != nil {
		return fmt.Errorf("start the emulator: %w", err)
	}
	defer ses.Close()

	st, err := Open(path)
	if err != nil {
		return err
	}
	defer st.Close()
	entries, err := st.List(ctx, store.Key{}, 1000)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "1. Opened %s: %d suppressions.\n", path, len(entries))

	client, err := sesguard.New(ses.Client(), func(o *sesguard.Options) { o.Store = st })
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "2. Sending to %d simulator addresses through a Client that uses it.\n", len(recipients))
	if err := send(ctx, w, client); err != nil {
		return err
	}

	fmt.Fprintln(w, "3. Applying the notifications SES sent back.")
	for _, n := range ses.Notifications() {
		ns, err := sesguard.Parse(n.Envelope())
		if err != nil {
			return err
		}
		for _, n := range ns {
			ds, err := client.Apply(ctx, n)
			if err != nil {
				return fmt.Errorf("apply: %w", err)
			}
			for _, d := range ds {
				fmt.Fprintf(w, "   %-34s %-9s → %s\n", d.Address, d.Record.Type, d.Action)
			}
		}
	}
	if err := st.Close(); err != nil {
		return err
	}

	fmt.Fprintln(w, "4. Reopening the file, as a restarted process would, and sending again.")
	st, err = Open(path)
	if err != nil {
		return err
	}
	defer st.Close()
	client, err = sesguard.New(ses.Client(), func(o *sesguard.Options) { o.Store = st })
	if err != nil {
		return err
	}
	return send(ctx, w, client)
}

// send mails every recipient in one message and says who was refused.
func send(ctx context.Context, w io.Writer, client *sesguard.Client) error {
	out, err := client.Send(ctx, &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("app@example.com"),
		Destination:      &types.Destination{ToAddresses: recipients},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String("Hello")},
			Body:    &types.Body{Text: &types.Content{Data: aws.String("From the customstore example.")}},
		}},
	})
	var refused *sesguard.SuppressedError
	switch {
	case errors.As(err, &refused):
		fmt.Fprintln(w, "   nothing sent:")
		for _, s := range refused.Skipped {
			fmt.Fprintf(w, "   refused %-34s %s\n", s.Recipient, s.Reason)
		}
		return nil
	case err != nil:
		return fmt.Errorf("send: %w", err)
	}
	fmt.Fprintf(w, "   SES accepted %s\n", aws.ToString(out.MessageId))
	for _, s := range sesguard.SkippedRecipients(out.ResultMetadata) {
		fmt.Fprintf(w, "   refused %-34s %s\n", s.Recipient, s.Reason)
	}
	return nil
}
