package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/unsubscribe"
)

// demoList is the list the demo's newsletter is sent for.
const demoList = "news"

// unsubscribeHandler returns the one-click unsubscribe endpoint, or nil
// when the server has no keys to verify links with. In -demo it makes a
// key of its own. Every unsubscribe is logged with its list, never with
// the address.
func (a *app) unsubscribeHandler() (http.Handler, error) {
	a.keys = a.cfg.unsubKeys
	if a.keys == nil && a.cfg.demo {
		secret := make([]byte, unsubscribe.MinSecretLen)
		rand.Read(secret)
		keys, err := unsubscribe.NewKeys(unsubscribe.Key{ID: "demo", Secret: secret})
		if err != nil {
			return nil, err
		}
		a.keys = keys
	}
	if a.keys == nil {
		return nil, nil
	}
	return a.client.UnsubscribeHandler(func(o *sesguard.UnsubscribeHandlerOptions) {
		o.Keys = a.keys
		o.OnUnsubscribe = func(ctx context.Context, t unsubscribe.Token) error {
			a.log.InfoContext(ctx, "unsubscribed", "list", t.List, "key", t.KeyID, "issued", t.IssuedAt)
			return nil
		}
	}), nil
}

// demoUnsubscribe sends the list demoList to addr with its one-click
// fields, posts to the link as a mailbox provider does when its user
// clicks "Unsubscribe", and shows that the list's next mail is refused
// while a password reset goes out. It writes its account to w.
func (a *app) demoUnsubscribe(ctx context.Context, w io.Writer, addr string) error {
	// The links point at this server. It serves plain HTTP on loopback,
	// but a link must be https: in production a TLS-terminating proxy
	// stands in front, and here the demo posts over HTTP itself.
	host := strings.TrimPrefix(a.url, "http://")
	list := sesguard.WithUnsubscribe(sesguard.ForList(ctx, demoList), sesguard.UnsubscribeOptions{
		URL:  "https://" + host + a.cfg.unsubPath,
		Keys: a.keys,
	})
	fmt.Fprintf(w, "One-click unsubscribe (RFC 8058), for the list %q:\n", demoList)
	if _, err := a.client.Send(list, demoMessage(addr, "This week's news")); err != nil {
		return fmt.Errorf("the list send: %w", err)
	}
	msgs := a.emu.Messages()
	var link string
	for _, h := range msgs[len(msgs)-1].Headers {
		if strings.HasPrefix(h.Value, "<https://") {
			fmt.Fprintf(w, "  sent to %s with %s: %.60s…\n", addr, h.Name, h.Value)
			link = strings.TrimSuffix(strings.TrimPrefix(h.Value, "<"), ">")
		} else if h.Name == unsubscribe.HeaderUnsubscribePost {
			fmt.Fprintf(w, "  and %s: %s\n", h.Name, h.Value)
		}
	}
	if link == "" {
		return errors.New("the list send carries no List-Unsubscribe")
	}
	u, err := url.Parse(link)
	if err != nil {
		return err
	}
	u.Scheme = "http"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(unsubscribe.OneClick))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	fmt.Fprintf(w, "  POST %s with the body %s (no cookie): %s\n", a.cfg.unsubPath, unsubscribe.OneClick, resp.Status)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the unsubscribe POST answered %s", resp.Status)
	}

	_, err = a.client.Send(list, demoMessage(addr, "Next week's news"))
	var refused *sesguard.SuppressedError
	if !errors.As(err, &refused) {
		return fmt.Errorf("the list's next send: %v, want it refused", err)
	}
	fmt.Fprintf(w, "  the list's next mail to %s: refused before SES: %s (scope %q)\n", addr, refused.Skipped[0].Reason, refused.Skipped[0].Scope)
	if _, err := a.client.Send(ctx, demoMessage(addr, "Reset your password")); err != nil {
		return fmt.Errorf("the password reset: %w", err)
	}
	fmt.Fprintf(w, "  a password reset to %s: sent\n", addr)
	return nil
}

// demoMessage is a small text message to addr.
func demoMessage(addr, subject string) *sesv2.SendEmailInput {
	return &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("app@example.com"),
		Destination:      &types.Destination{ToAddresses: []string{addr}},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String(subject)},
			Body:    &types.Body{Text: &types.Content{Data: aws.String("Sent by examples/webhook -demo.")}},
		}},
	}
}
