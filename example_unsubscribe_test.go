package sesguard_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/sestest"
	"github.com/sesguard/sesguard/unsubscribe"
)

// Mail sent under ForList gets List-Unsubscribe and List-Unsubscribe-Post,
// with a link of its own per recipient; the one-click POST to that link
// unsubscribes the recipient from that list, and from nothing else.
func ExampleClient_UnsubscribeHandler() {
	ses, _ := sestest.NewServer()
	defer ses.Close()
	ctx := context.Background()

	// Keep the secret where the senders and the handler can read it,
	// e.g. unsubscribe.ParseKeys(os.Getenv("SESGUARD_UNSUBSCRIBE_KEYS")).
	secret := make([]byte, 32)
	rand.Read(secret)
	keys, err := unsubscribe.NewKeys(unsubscribe.Key{ID: "2026-11", Secret: secret})
	if err != nil {
		log.Fatal(err)
	}
	client, err := sesguard.New(ses.Client(), func(o *sesguard.Options) {
		o.Unsubscribe = sesguard.UnsubscribeOptions{URL: "https://example.com/unsubscribe", Keys: keys}
	})
	if err != nil {
		log.Fatal(err)
	}
	// Serve the handler where URL points:
	//	http.Handle("/unsubscribe", client.UnsubscribeHandler())
	web := httptest.NewServer(client.UnsubscribeHandler())
	defer web.Close()

	msg := func(subject string) *sesv2.SendEmailInput {
		return &sesv2.SendEmailInput{
			FromEmailAddress: aws.String("news@example.com"),
			Destination:      &types.Destination{ToAddresses: []string{"bob@example.com"}}, // one recipient per list message
			Content: &types.EmailContent{Simple: &types.Message{
				Subject: &types.Content{Data: aws.String(subject)},
				Body:    &types.Body{Text: &types.Content{Data: aws.String("…")}},
			}},
		}
	}
	news := sesguard.ForList(ctx, "weekly-news")
	if _, err := client.Send(news, msg("This week")); err != nil {
		log.Fatal(err)
	}
	var link string
	for _, h := range ses.Messages()[0].Headers {
		switch h.Name {
		case "List-Unsubscribe":
			link = strings.Trim(h.Value, "<>")
			before, _, _ := strings.Cut(h.Value, "t=")
			fmt.Printf("%s: %st=(Bob's token)>\n", h.Name, before)
		case "List-Unsubscribe-Post":
			fmt.Printf("%s: %s\n", h.Name, h.Value)
		}
	}

	// What Gmail does when Bob clicks "Unsubscribe" (RFC 8058).
	resp, err := http.Post(strings.Replace(link, "https://example.com", web.URL, 1),
		"application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println("one-click POST:", resp.Status)

	_, err = client.Send(news, msg("Next week"))
	fmt.Println("next newsletter refused:", errors.Is(err, sesguard.ErrSuppressed))
	_, err = client.Send(ctx, msg("Reset your password"))
	fmt.Println("password reset sent:", err == nil)
	// Output:
	// List-Unsubscribe: <https://example.com/unsubscribe?t=(Bob's token)>
	// List-Unsubscribe-Post: List-Unsubscribe=One-Click
	// one-click POST: 200 OK
	// next newsletter refused: true
	// password reset sent: true
}
