package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/sesguard/sesguard"
)

// demoAddrs are the mailbox simulator's addresses: one delivers, the
// others bounce or complain.
var demoAddrs = []string{
	"success@simulator.amazonses.com",
	"bounce@simulator.amazonses.com",
	"complaint@simulator.amazonses.com",
	"suppressionlist@simulator.amazonses.com",
}

// demoReader is the newsletter reader of the demo's unsubscribe: a
// simulator address of its own, so that success@ stays unsuppressed.
const demoReader = "success+news@simulator.amazonses.com"

// demoTimeout bounds each wait for the emulator's deliveries.
const demoTimeout = 10 * time.Second

// demo subscribes the server to the emulator's topic, sends one message to
// each simulator address, waits until the server has received everything
// SES published, and shows what the store now says about each address and
// what a second send does. It writes its account to w.
func (a *app) demo(ctx context.Context, w io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, demoTimeout)
	defer cancel()
	endpoint := a.url + a.cfg.path
	fmt.Fprintf(w, "Subscribing %s to %s.\n", endpoint, a.emu.TopicARN())
	sub, err := a.emu.Subscribe(endpoint)
	if err != nil {
		return err
	}
	if err := sub.WaitConfirmed(ctx); err != nil {
		return fmt.Errorf("the subscription was not confirmed: %w", err)
	}
	fmt.Fprintln(w, "The server checked the confirmation's signature and confirmed it.")

	for _, addr := range demoAddrs {
		if err := a.demoSend(ctx, w, addr); err != nil {
			return err
		}
	}
	published := len(a.emu.Notifications())
	if err := sub.Wait(ctx, published); err != nil {
		return fmt.Errorf("waiting for %d notifications: %w", published, err)
	}
	for _, d := range sub.Deliveries() {
		if d.StatusCode != http.StatusOK {
			return fmt.Errorf("the server answered %d to %s %s: %v", d.StatusCode, d.Type, d.MessageID, d.Err)
		}
	}
	fmt.Fprintf(w, "The server received and stored %d notifications. The suppression list says:\n", published)
	for _, addr := range demoAddrs {
		in, err := a.client.Suppressions(ctx, addr)
		switch {
		case err != nil:
			return err
		case len(in) > 0:
			fmt.Fprintf(w, "  %-40s suppressed: %s, %s\n", addr, in[0].Reason, in[0].Detail)
		default:
			fmt.Fprintf(w, "  %-40s may be mailed\n", addr)
		}
	}
	fmt.Fprintln(w, "Sending to each again:")
	for _, addr := range demoAddrs {
		if err := a.demoSend(ctx, w, addr); err != nil {
			return err
		}
	}
	if err := a.demoUnsubscribe(ctx, w, demoReader); err != nil {
		return err
	}
	fmt.Fprintf(w, "Still serving at %s (GET %s/healthz); Ctrl-C stops.\n", endpoint, a.url)
	return nil
}

// demoSend sends one message to addr and says what happened.
func (a *app) demoSend(ctx context.Context, w io.Writer, addr string) error {
	_, err := a.client.Send(ctx, demoMessage(addr, "webhook demo"))
	var refused *sesguard.SuppressedError
	switch {
	case errors.As(err, &refused):
		fmt.Fprintf(w, "  %-40s refused before SES: %s\n", addr, refused.Skipped[0].Reason)
	case err != nil:
		return fmt.Errorf("send to %s: %w", addr, err)
	default:
		fmt.Fprintf(w, "  %-40s sent\n", addr)
	}
	return nil
}
